# fish completion for cdp-dedupe(1)

# Canonical fields, in the order of lib/schema.c (see cdp-schema(5)).
set -g __cdp_dedupe_fields customer_id email phone card anon_id full_name \
    last_name first_name middle_name gender birth_date country city \
    postal_code address consent_email consent_sms consent_ads points_balance \
    points_expire_at created_at updated_at ts event channel store order_id \
    sku category qty price amount points

# -k FIELD[+FIELD]...: the fields after what the composite key has so far.
function __cdp_dedupe_key
    set -l tok (commandline -ct | string replace -r '^(-k|--key=)' '')
    set -l head ''
    string match -q '*+*' -- $tok; and set head (string replace -r '\+[^+]*$' '+' -- $tok)
    printf "$head%s\n" $__cdp_dedupe_fields
end

# --max-per-key KEY=N: a key in use (those given with --key, else the
# defaults); the number is the user's.
function __cdp_dedupe_max_per_key
    set -l tok (commandline -ct | string replace -r '^--max-per-key=' '')
    string match -q '*=*' -- $tok; and return
    set -l keys
    set -l words (commandline -opc)
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        if test "$w" = --
            break
        else if contains -- $w -k --key
            set i (math $i + 1)
            test $i -le (count $words); and set -a keys $words[$i]
        else if string match -q -- '--key=*' $w
            set -a keys (string replace -- '--key=' '' $w)
        else if string match -qr -- '^-k.' $w
            set -a keys (string replace -r -- '^-k' '' $w)
        end
        set i (math $i + 1)
    end
    test (count $keys) -gt 0; or set keys customer_id card email phone anon_id
    printf '%s=\n' $keys
end

complete -c cdp-dedupe -s k -l key -x -a '(__cdp_dedupe_key)' -d 'Link by this key, strongest first'
complete -c cdp-dedupe -l max-per-key -x -a '(__cdp_dedupe_max_per_key)' -d 'Most distinct people a value of KEY may be shared by'
complete -c cdp-dedupe -l block-value -x -d 'Values matching REGEX are never identifiers'
complete -c cdp-dedupe -l block-file -r -F -d 'Values listed in FILE are never identifiers'
complete -c cdp-dedupe -l no-default-blocks -d 'Drop the built-in list of blocked values'
complete -c cdp-dedupe -l conflict -x -a "$__cdp_dedupe_fields" -d 'Never join groups that disagree on FIELD'
complete -c cdp-dedupe -l no-conflict -d 'Check no field at all, not even birth_date'
complete -c cdp-dedupe -s m -l model -r -F -d 'Also link person records by the probabilistic model in a file'
complete -c cdp-dedupe -l train -d "Fit the model's m, u and prior to the input first"
complete -c cdp-dedupe -l no-train -d "Use the model's m, u and prior as they are"
complete -c cdp-dedupe -l model-out -r -F -d 'Write the (trained) model to a file'
complete -c cdp-dedupe -l threshold -x -d 'Link pairs with match probability at least P'
complete -c cdp-dedupe -l seed -x -d 'Seed for the random pairs of training'
complete -c cdp-dedupe -l labels -r -F -d 'Refine the model with pairs known to be one person'
complete -c cdp-dedupe -l state -r -F -d 'Keep person ids stable across runs in a file'
complete -c cdp-dedupe -l journal -r -F -d 'Append the ids merged or split (needs --state)'
complete -c cdp-dedupe -l links -r -F -d 'Explain every link used and refused'
complete -c cdp-dedupe -l forgotten -r -F -d 'Leave out the persons on a forget list (cdp-forget)'
complete -c cdp-dedupe -l edges -d 'Sharded run, step 1: write the edges file of the input'
complete -c cdp-dedupe -l resolve -r -F -d 'Sharded run, step 2: join the edges in the order of cdp-shard'
complete -c cdp-dedupe -l order-out -r -F -d 'With --resolve: the order of the records the shards write'
complete -c cdp-dedupe -l apply -r -F -d 'Sharded run, step 3: the records with the ids of this ids file'
complete -c cdp-dedupe -l threads -x -d 'Worker threads (0-64)'
complete -c cdp-dedupe -l rejects -r -F -d 'Write input lines that are not records to a file'
complete -c cdp-dedupe -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-dedupe -s z -l zstd -d 'Compress the output with zstd'
complete -c cdp-dedupe -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-dedupe -s i -l input-format -x -a 'ndjson csv tsv' -d 'Input format'
complete -c cdp-dedupe -s d -l delimiter -x -a 'comma semicolon tab pipe' -d 'CSV delimiter'
complete -c cdp-dedupe -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-dedupe -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-dedupe -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-dedupe -l progress -d 'Show progress on stderr'
complete -c cdp-dedupe -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-dedupe -l help -d 'Show help and exit'
complete -c cdp-dedupe -l version -d 'Show the version and exit'
