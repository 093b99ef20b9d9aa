# fish completion for cdp-shard(1)

complete -c cdp-shard -s n -l shards -x -a '2 4 8 16' -d 'How many shards (1 to 4096)'
complete -c cdp-shard -l by -x -a 'cdp_id' -d 'Shard by this field instead of the record id'
complete -c cdp-shard -l order -r -F -d 'Write the shard of every record to this file'
complete -c cdp-shard -s o -l output -r -F -d 'The shards: a file name with %d'
complete -c cdp-shard -s z -l zstd -d 'Compress the shards with zstd'
complete -c cdp-shard -l zstd-level -x -a '1 3 9 19' -d 'Zstd level (implies -z)'
complete -c cdp-shard -l rejects -r -F -d 'Write the lines not written to a shard here'
complete -c cdp-shard -l stats -r -F -d 'Write the counts as JSON here'
complete -c cdp-shard -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-shard -l progress -d 'Show progress on stderr'
complete -c cdp-shard -l help -d 'Show help and exit'
complete -c cdp-shard -l version -d 'Show the version and exit'
