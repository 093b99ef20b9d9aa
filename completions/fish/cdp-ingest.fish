# fish completion for cdp-ingest(1)

# Canonical fields, in the order of lib/schema.c (see cdp-schema(5)).
set -g __cdp_ingest_fields customer_id email phone card anon_id full_name \
    last_name first_name middle_name gender birth_date country city \
    postal_code address consent_email consent_sms consent_ads points_balance \
    points_expire_at created_at updated_at ts event channel store order_id \
    sku category qty price amount points

# -m FIELD=COLUMN: the field; the column is the export's own.
function __cdp_ingest_map_field
    set -l tok (commandline -ct | string replace -r '^(-m|--map-field=)' '')
    string match -q '*=*' -- $tok; and return
    printf '%s=\n' $__cdp_ingest_fields _rid
end

# --set FIELD=VALUE: the field; the value only for _kind.
function __cdp_ingest_set
    set -l tok (commandline -ct | string replace -r '^--set=' '')
    if string match -q '_kind=*' -- $tok
        printf '_kind=%s\n' person event
        return
    end
    string match -q '*=*' -- $tok; and return
    printf '%s=\n' $__cdp_ingest_fields _kind
end

# --require FIELD[,FIELD]...: the fields after what the list has so far.
function __cdp_ingest_require
    set -l tok (commandline -ct | string replace -r '^--require=' '')
    set -l head ''
    string match -q '*,*' -- $tok; and set head (string replace -r ',[^,]*$' ',' -- $tok)
    printf "$head%s\n" $__cdp_ingest_fields
end

complete -c cdp-ingest -s s -l source -x -d 'Name of the source (required)'
complete -c cdp-ingest -s k -l kind -x -a 'person event' -d 'Kind of record'
complete -c cdp-ingest -s m -l map-field -x -a '(__cdp_ingest_map_field)' -d 'Fill FIELD from column COLUMN'
complete -c cdp-ingest -l map -r -F -d 'Read mappings from a file'
complete -c cdp-ingest -l set -x -a '(__cdp_ingest_set)' -d 'Set FIELD to a constant'
complete -c cdp-ingest -l require -x -a '(__cdp_ingest_require)' -d 'Reject rows with no valid value in any of these'
complete -c cdp-ingest -l region -x -a 'RU KZ BY UA UZ KG TJ TM AM AZ GE MD DE GB US FR IT ES NL PL FI EE LV LT TR CN IL AE IN' -d 'Country of phones written without a code'
complete -c cdp-ingest -l country-from-phone -d "Give a record with no country its phone's"
complete -c cdp-ingest -l date-order -x -a 'dmy\t"day first (default)" mdy\t"month first" ymd\t"year-first dates only"' -d 'How to read dates like 05/03/2024'
complete -c cdp-ingest -l tz -x -a 'Z +00:00 +01:00 +02:00 +03:00 +04:00 +05:00 +06:00 +07:00 +08:00 +09:00 +10:00 +11:00 +12:00 -05:00 -08:00' -d 'UTC offset of times written without one'
complete -c cdp-ingest -l as-of -x -a 'today' -d 'Date taken as today for birth dates (YYYY-MM-DD)'
complete -c cdp-ingest -l drop-unmapped -d 'Do not keep unmapped columns under attrs'
complete -c cdp-ingest -l rid-prefix -x -d 'Text before the row numbers that stand for _rid'
complete -c cdp-ingest -l forgotten -r -F -d 'Drop the records of persons on a forget list (cdp-forget)'
complete -c cdp-ingest -l rejects -r -F -d 'Write rejected rows to a file'
complete -c cdp-ingest -l threads -x -d 'Worker threads (0-64)'
complete -c cdp-ingest -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-ingest -s z -l zstd -d 'Compress the output with zstd'
complete -c cdp-ingest -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-ingest -s i -l input-format -x -a 'csv tsv ndjson' -d 'Input format'
complete -c cdp-ingest -s d -l delimiter -x -a 'comma semicolon tab pipe' -d 'CSV delimiter'
complete -c cdp-ingest -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-ingest -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-ingest -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-ingest -l progress -d 'Show progress on stderr'
complete -c cdp-ingest -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-ingest -l help -d 'Show help and exit'
complete -c cdp-ingest -l version -d 'Show the version and exit'
