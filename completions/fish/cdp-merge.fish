# fish completion for cdp-merge(1)

# The canonical fields that survive by a policy, in the order of lib/schema.c
# (the person fields but the identifiers, consent and full_name; see
# cdp-merge(1), SURVIVORSHIP).
set -g __cdp_merge_fields last_name first_name middle_name gender birth_date \
    country city postal_code address points_balance points_expire_at \
    created_at updated_at

# --as-of DATE: YYYY-MM-DD (the end of that day), "today" or an ISO time;
# offer today and yesterday's date (UTC).
function __cdp_merge_as_of
    date -u +%Y-%m-%d 2>/dev/null
    date -u -d yesterday +%Y-%m-%d 2>/dev/null
end

# --prefer SRC[,SRC]...: the sources of the shipped map files, after what the
# list has so far.
function __cdp_merge_prefer
    set -l tok (commandline -ct | string replace -r '^--prefer=' '')
    set -l head ''
    string match -q '*,*' -- $tok; and set head (string replace -r ',[^,]*$' ',' -- $tok)
    printf "$head%s\n" crm shop pos web
end

# --rule FIELD=POLICY: the field, then the policy.
function __cdp_merge_rule
    set -l tok (commandline -ct | string replace -r '^--rule=' '')
    if string match -q '*=*' -- $tok
        set -l field (string replace -r '=.*$' '' -- $tok)
        printf "$field=%s\t%s\n" \
            recent 'the most recent record (default)' \
            prefer 'the most trusted source (--prefer)' \
            frequent 'the value most records offer' \
            first 'the oldest record' \
            min 'the smallest value' \
            max 'the largest value'
        return
    end
    printf '%s=\n' $__cdp_merge_fields
end

complete -c cdp-merge -l as-of -x -a '(__cdp_merge_as_of)' -d 'Compute traits as of the end of DATE (or a time)'
complete -c cdp-merge -l prefer -x -a '(__cdp_merge_prefer)' -d 'Sources to trust first, most trusted first'
complete -c cdp-merge -l rule -x -a '(__cdp_merge_rule)' -d 'How FIELD survives (FIELD=POLICY)'
complete -c cdp-merge -l trait -x -d 'Add trait NAME computed by a jq program (NAME=JQ)'
complete -c cdp-merge -l cart-timeout -x -a '1 12 24 48 72 168' -d 'Hours after which a cart is abandoned (default 24)'
complete -c cdp-merge -l memory -x -a '64M 256M 512M 1G 2G 4G 8G' -d 'Group in memory up to SIZE, then spill to TMPDIR'
complete -c cdp-merge -l state -r -F -d 'Keep records and profiles from night to night in a file'
complete -c cdp-merge -l journal -r -F -d "cdp-dedupe's journal: follow merged ids"
complete -c cdp-merge -l threads -x -d 'Worker threads (0-64)'
complete -c cdp-merge -l rejects -r -F -d 'Write input lines that are not records to a file'
complete -c cdp-merge -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-merge -s z -l zstd -d 'Compress the output with zstd'
complete -c cdp-merge -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-merge -s i -l input-format -x -a 'ndjson csv tsv' -d 'Input format'
complete -c cdp-merge -s d -l delimiter -x -a 'comma semicolon tab pipe' -d 'CSV delimiter'
complete -c cdp-merge -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-merge -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-merge -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-merge -l progress -d 'Show progress on stderr'
complete -c cdp-merge -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-merge -l rule-time -x -d 'CPU seconds a jq rule may spend on one profile (default 10, 0: no limit)'
complete -c cdp-merge -l rule-memory -x -d 'Memory growth a jq rule may cause on one profile (default 1G, 0: no limit)'
complete -c cdp-merge -l help -d 'Show help and exit'
complete -c cdp-merge -l version -d 'Show the version and exit'
