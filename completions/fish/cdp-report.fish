# fish completion for cdp-report(1)
complete -c cdp-report -x -a '(__fish_complete_directories)'
complete -c cdp-report -l json -r -F -d 'Write every figure of the page as JSON'
complete -c cdp-report -l lang -x -a 'en ru' -d "The page's language"
complete -c cdp-report -l campaign -x -d 'A campaign sent to SEGMENT on DATE (SEGMENT@DATE)'
complete -c cdp-report -l window -x -a '7 14 28 30' -d 'Days after the date a purchase counts'
complete -c cdp-report -l title -x -d "The shop's name"
complete -c cdp-report -l show-values -d 'Names, e-mails, phones and cards in clear'
complete -c cdp-report -s o -l output -r -F -d 'Write the page to a file (atomically)'
complete -c cdp-report -s z -l zstd -d 'Compress the page with zstd'
complete -c cdp-report -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-report -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-report -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-report -l progress -d 'Show progress on stderr'
complete -c cdp-report -l help -d 'Show help and exit'
complete -c cdp-report -l version -d 'Show the version and exit'
