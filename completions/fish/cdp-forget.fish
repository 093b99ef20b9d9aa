# fish completion for cdp-forget(1)

complete -c cdp-forget -l email -x -d 'The person with this e-mail'
complete -c cdp-forget -l phone -x -d 'The person with this phone'
complete -c cdp-forget -l card -x -d 'The person with this loyalty card'
complete -c cdp-forget -l customer-id -x -d 'The person with this customer id'
complete -c cdp-forget -l cdp-id -x -d 'The person with this cdp_id'
complete -c cdp-forget -l list -r -F -d 'Identifiers from a file, one FIELD=VALUE a line'
complete -c cdp-forget -l state -r -F -d "cdp-dedupe's state: who the identifiers belong to"
complete -c cdp-forget -l journal -r -F -d "cdp-dedupe's journal: merged ids; lines removed"
complete -c cdp-forget -l links -r -F -d 'A cdp-dedupe links file: lines removed'
complete -c cdp-forget -l merge-state -r -F -d "cdp-merge's --state: their records and profiles removed"
complete -c cdp-forget -l export -r -F -d 'An export file or baseline: rows removed'
complete -c cdp-forget -l forgotten -r -F -d 'The forget list to add the persons to'
complete -c cdp-forget -l region -x -a 'RU BY KZ UA UZ AM GE DE GB US' -d 'Country of phones written without a code'
complete -c cdp-forget -l max-persons -x -a '1 2 3' -d 'Stop when an identifier belongs to more persons'
complete -c cdp-forget -l block-value -x -d "Values matching a regular expression are nobody's"
complete -c cdp-forget -l block-file -r -F -d "Values listed in a file are nobody's"
complete -c cdp-forget -l dry-run -d 'Count what would be removed, change nothing'
complete -c cdp-forget -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-forget -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-forget -l help -d 'Show help and exit'
complete -c cdp-forget -l version -d 'Show the version and exit'
