# fish completion for cdp-export(1)

set -g __cdp_export_fields cdp_id email emails phone phones first_name \
    last_name middle_name gender birth_date city postal_code country address \
    segments holdout consent_email consent_sms consent_ads orders revenue \
    last_purchase_at top_category

# -c HEADER=JQ: after the '=', the profile's fields as .field.
function __cdp_export_column
    set -l tok (commandline -ct | string replace -r '^(-c|--column=)' '')
    string match -q '*=*' -- $tok; or return
    set -l head (string replace -r '=.*$' '=' -- $tok)
    printf "$head.%s\n" $__cdp_export_fields
end

complete -c cdp-export -s f -l format -x -a 'csv\t"the -c columns" ndjson\t"the profiles as read" mailchimp\tMailchimp unisender\tUniSender sendpulse\tSendPulse brevo\tBrevo google-customer-match\t"Google Customer Match (hashed)" meta\t"Meta Custom Audiences (hashed)" sms\t"one mobile a line"' -d 'The file to write'
complete -c cdp-export -s s -l segment -x -d 'Only members of this segment (repeat: any)'
complete -c cdp-export -l channel -x -a 'email sms ads none' -d 'Whose contact and consent a row needs'
complete -c cdp-export -l include-holdout -d 'Write held-out control-group members too'
complete -c cdp-export -l strict-consent -d 'Ads: leave out profiles without consent_ads'
complete -c cdp-export -l suppress -r -F -d 'Never write the e-mails, phones or hashes listed'
complete -c cdp-export -l suppress-column -x -d 'Read suppression files as CSV, this column'
complete -c cdp-export -l region -x -a 'RU BY KZ UA US GB DE' -d 'Country of phones without a code'
complete -c cdp-export -l recommendations -r -F -d "Add each profile's recommendations (cdp-recommend) from a file"
complete -c cdp-export -l rec-columns -x -a '1 3 5 10' -d 'How many recommendations a row gets (default 3)'
complete -c cdp-export -s c -l column -x -a '(__cdp_export_column)' -d 'A column: HEADER=JQ over the profile'
complete -c cdp-export -s d -l delimiter -x -a 'comma semicolon tab pipe' -d 'csv: the delimiter'
complete -c cdp-export -l bom -d 'csv: start with a UTF-8 byte-order mark'
complete -c cdp-export -l crlf -d 'End lines with CR LF'
complete -c cdp-export -l no-plus -d 'sms: numbers without the leading +'
complete -c cdp-export -l previous -r -F -d 'The last export: write only the changes'
complete -c cdp-export -l removed -r -F -d 'With --previous: the rows to remove'
complete -c cdp-export -l allow-empty -d 'With --previous and -s: go on when a segment is in no profile'
complete -c cdp-export -l full -r -F -d 'Also write the whole audience here'
complete -c cdp-export -l split-rows -x -d 'Numbered parts of at most N rows'
complete -c cdp-export -l mode -x -a '0600 0640 0644' -d 'Permissions of the files written'
complete -c cdp-export -l forgotten -r -F -d 'Never export persons on a forget list (cdp-forget)'
complete -c cdp-export -l summarize -d 'Sharded export, step 1: the shard\'s refusals and contacts'
complete -c cdp-export -l join-summaries -d 'Sharded export, step 2: join the shards\' summaries'
complete -c cdp-export -l contacts -r -F -d 'Sharded export, step 3: export with the joined decisions'
complete -c cdp-export -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-export -s z -l zstd -d 'Compress the output with zstd'
complete -c cdp-export -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-export -s i -l input-format -x -a 'ndjson csv' -d 'Input format'
complete -c cdp-export -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-export -l rejects -r -F -d 'Write input lines that are not profiles to a file'
complete -c cdp-export -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-export -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-export -l progress -d 'Show progress on stderr'
complete -c cdp-export -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-export -l rule-time -x -d 'CPU seconds a jq rule may spend on one profile (default 10, 0: no limit)'
complete -c cdp-export -l rule-memory -x -d 'Memory growth a jq rule may cause on one profile (default 1G, 0: no limit)'
complete -c cdp-export -l help -d 'Show help and exit'
complete -c cdp-export -l version -d 'Show the version and exit'
