# fish completion for cdp-segment(1)

# The folders cdp-segment looks for its rule library in, in its order (see
# cdp-segment(1), THE RULE LIBRARY).
function __cdp_segment_dirs
    if set -q CDP_SHARE; and test -n "$CDP_SHARE"
        echo $CDP_SHARE/segments # then only there
        return
    end
    set -l prog (commandline -opc)[1]
    string match -q '*/*' -- $prog; or set prog (command -s -- $prog)
    if test -n "$prog"
        set prog (realpath -- $prog 2>/dev/null)
        and set -l dir (dirname -- $prog)
        and printf '%s\n' $dir/../share/cdp/segments $dir/../../share/cdp/segments
    end
    echo /usr/local/share/cdp/segments
end

# The rule files of the library folders (else the shipped ones).
function __cdp_segment_rule_files
    for d in (__cdp_segment_dirs)
        for f in $d/*.rules
            test -f $f; and echo $f
        end
    end
end

# --use NAME[,NAME]...: the library's names, after what the list has so far,
# leaving out those already in it.
function __cdp_segment_use
    set -l tok (commandline -ct | string replace -r '^--use=' '')
    set -l head ''
    string match -q '*,*' -- $tok; and set head (string replace -r ',[^,]*$' ',' -- $tok)
    set -l given (string split ',' -- $head)
    set -l names
    for f in (__cdp_segment_rule_files)
        set -l n (basename -- $f .rules)
        contains -- $n $names; or set -a names $n
    end
    test (count $names) -gt 0; or set names rfm lapsed birthday cart category vip
    for n in $names
        contains -- $n $given; or printf '%s%s\n' $head $n
    end
end

# --arg / --argjson NAME: the parameters (param NAME = JSON) of the library's
# rule files (else the shipped ones) and of the --segments files given.
function __cdp_segment_params
    set -l files (__cdp_segment_rule_files)
    test (count $files) -gt 0
    or printf '%s\n' birthday_days cart_min_value interest_days lapsed_days vip_percent
    set -l tokens (commandline -opc)
    for i in (seq (count $tokens))
        if test "$tokens[$i]" = --segments; and test $i -lt (count $tokens)
            set -a files $tokens[(math $i + 1)]
        else if string match -q -- '--segments=*' $tokens[$i]
            set -a files (string replace -- '--segments=' '' $tokens[$i])
        end
    end
    for f in $files
        test -f $f; and string replace -rf '^param[ \t]+([A-Za-z_][A-Za-z0-9_]*).*' '$1' <$f
    end | sort -u
end

# Whether the token being completed is the VALUE of --arg NAME VALUE.
function __cdp_segment_arg_value
    set -l tokens (commandline -opc)
    set -l n (count $tokens)
    test $n -ge 2; and contains -- $tokens[-2] --arg --argjson; and return 0
    test $n -ge 1; and string match -qr -- '^--arg(json)?=' $tokens[-1]
end

# --as-of DATE: YYYY-MM-DD or "today": offer today's and yesterday's dates
# (UTC).
function __cdp_segment_as_of
    echo today
    date -u +%Y-%m-%d 2>/dev/null
    date -u -d yesterday +%Y-%m-%d 2>/dev/null
end

complete -c cdp-segment -n __cdp_segment_arg_value -f
complete -c cdp-segment -s s -l segment -x -d 'A segment: profiles for which a jq program is true (NAME=JQ)'
complete -c cdp-segment -l segments -r -F -d 'Read segments from a rule file'
complete -c cdp-segment -l use -x -a '(__cdp_segment_use)' -d 'Ready rules from the library'
complete -c cdp-segment -l arg -x -a '(__cdp_segment_params)' -d 'A string variable in every rule (NAME VALUE)'
complete -c cdp-segment -l argjson -x -a '(__cdp_segment_params)' -d 'A JSON variable in every rule (NAME JSON)'
complete -c cdp-segment -l as-of -x -a '(__cdp_segment_as_of)' -d 'The day the rules are run for'
complete -c cdp-segment -l holdout -x -a '1 2 5 10 20 50' -d 'Keep PCT% of each segment out as a control group'
complete -c cdp-segment -l salt -x -d 'Vary the holdout draw (default cdp)'
complete -c cdp-segment -l previous -r -F -d "The last run's output: add entered and exited"
complete -c cdp-segment -l journal -r -F -d "cdp-dedupe's journal: follow merged ids (needs --previous)"
complete -c cdp-segment -l report -r -F -d 'Write per-segment counts as JSON to a file'
complete -c cdp-segment -l history -r -F -d 'Append the per-segment counts as one line to a file'
complete -c cdp-segment -l split -x -a '(__fish_complete_directories)' -d 'Write the members of each segment to DIR/NAME.ndjson'
complete -c cdp-segment -l summarize -d 'Sharded run, step 1: write the population summary'
complete -c cdp-segment -l join-summaries -d 'Sharded run, step 2: the figures of the shards\' summaries'
complete -c cdp-segment -l figures -r -F -d 'Sharded run, step 3: RFM and VIP from these figures'
complete -c cdp-segment -l shard -x -a '0/2 1/2 0/4 1/4 2/4 3/4' -d 'This is shard I of N: the gone persons of this shard only'
complete -c cdp-segment -l join-reports -d 'Sharded run, step 4: the shards\' reports as one run\'s'
complete -c cdp-segment -l threads -x -a '0 1 2 4 8 16' -d 'Worker threads (0-64)'
complete -c cdp-segment -l rejects -r -F -d 'Write input lines that are not profiles to a file'
complete -c cdp-segment -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-segment -s z -l zstd -d 'Compress the output (and split files) with zstd'
complete -c cdp-segment -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-segment -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-segment -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-segment -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-segment -l progress -d 'Show progress on stderr'
complete -c cdp-segment -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-segment -l rule-time -x -d 'CPU seconds a jq rule may spend on one profile (default 10, 0: no limit)'
complete -c cdp-segment -l rule-memory -x -d 'Memory growth a jq rule may cause on one profile (default 1G, 0: no limit)'
complete -c cdp-segment -l help -d 'Show help and exit'
complete -c cdp-segment -l version -d 'Show the version and exit'
