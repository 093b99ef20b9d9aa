# fish completion for cdp-gen(1)

# cdp-gen takes no operands: no file names after the options.
complete -c cdp-gen -f

# -o DIR: folders, also in -oDIR and --output=DIR.
function __cdp_gen_dirs
    set -l tok (commandline -ct | string replace -r '^(-o|--output=)' '')
    __fish_complete_directories $tok
end

complete -c cdp-gen -s n -l persons -x -a '1000 10k 100k 1M 10M 20M' -d 'How many real customers (1 to 20M)'
complete -c cdp-gen -s s -l seed -x -a '1 42' -d 'Seed of the random numbers (default 1)'
complete -c cdp-gen -l as-of -x -a '2026-11-20' -d 'Day of the export, YYYY-MM-DD from 1990 on'
complete -c cdp-gen -s e -l events-per-person -x -a '0 10 100 1000' -d 'Receipt lines and web events per person'
complete -c cdp-gen -s o -l output -x -a '(__cdp_gen_dirs)' -d 'Folder to write to (created if missing)'
complete -c cdp-gen -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-gen -l help -d 'Show help and exit'
complete -c cdp-gen -l version -d 'Show the version and exit'
