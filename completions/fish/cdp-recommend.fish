# fish completion for cdp-recommend(1)

# --as-of and --evaluate DATE: YYYY-MM-DD (--as-of also "today" or an ISO
# time); offer today and yesterday's date (UTC).
function __cdp_recommend_date
    date -u +%Y-%m-%d 2>/dev/null
    date -u -d yesterday +%Y-%m-%d 2>/dev/null
end

# --weight EVENT=W: the event kind; the weight is the user's.
function __cdp_recommend_weight
    set -l tok (commandline -ct | string replace -r '^--weight=' '')
    string match -q '*=*' -- $tok; and return
    printf '%s=\t%s\n' \
        purchase 'purchase, order (default 4)' \
        cart_add 'cart_add, add_to_cart (default 3)' \
        view 'view, product_view (default 1)' \
        cart_remove 'cart_remove, remove_from_cart (default -1)' \
        return 'return, refund (default -4)' \
        other 'any other event (default 0)'
end

# --exclude-category-bought CATEGORY=DAYS: the category is the shop's own;
# offer the windows once it is typed.
function __cdp_recommend_category_days
    set -l tok (commandline -ct | string replace -r '^--exclude-category-bought=' '')
    string match -q '*=*' -- $tok; or return
    set -l category (string replace -r '=.*$' '' -- $tok)
    printf "$category=%s\n" 30 90 365 all
end

complete -c cdp-recommend -l similar -d "Write each item's most similar items instead"
complete -c cdp-recommend -l evaluate -x -a '(__cdp_recommend_date)' -d 'Learn before DATE, score the purchases after it'
complete -c cdp-recommend -s f -l format -x -a 'ndjson csv' -d 'ndjson (default) or csv, one row per list entry'
complete -c cdp-recommend -s n -l top -x -a '3 5 10 20' -d 'Items per person or per item (default 10)'
complete -c cdp-recommend -l as-of -x -a '(__cdp_recommend_date)' -d 'Learn from what happened before the end of DATE'
complete -c cdp-recommend -l weight -x -a '(__cdp_recommend_weight)' -d 'Weight of an event kind (EVENT=W)'
complete -c cdp-recommend -l half-life -x -a '0 7 15 30 60 90' -d 'Days after which an event counts half (default 30)'
complete -c cdp-recommend -l popular-half-life -x -a '0 3 7 14 30' -d 'Days after which a purchase counts half in popularity'
complete -c cdp-recommend -l popular-weight -x -a '0 0.1 0.2 0.3 0.5' -d "Popularity's share of a score (default 0.2)"
complete -c cdp-recommend -l viewed -x -a '0 3 5 10' -d 'Length of the recently viewed list (default 5)'
complete -c cdp-recommend -l mix-viewed -d 'Items viewed or in the cart may be recommended'
complete -c cdp-recommend -l fallback -x -a 'category,popular popular category none' -d 'Fill short lists from'
complete -c cdp-recommend -l basket -x -a 'order person' -d 'What together means (default order)'
complete -c cdp-recommend -l similarity -x -a 'jaccard lift count confidence' -d 'How similar two items are'
complete -c cdp-recommend -l min-count -x -a '1 2 3 5 10' -d 'Keep pairs in at least N baskets'
complete -c cdp-recommend -l min-support -x -a '0 0.001 0.01 0.1' -d 'Keep pairs with support at least X'
complete -c cdp-recommend -l min-confidence -x -a '0 0.01 0.1 0.5' -d 'Keep pairs with confidence at least X'
complete -c cdp-recommend -l neighbours -x -a '0 100 200 1000' -d "Keep each item's K most similar items"
complete -c cdp-recommend -l max-basket -x -a '0 100 1000' -d 'Leave out baskets of more than N items'
complete -c cdp-recommend -l exclude-bought -x -a 'all 0 1 2 7 30 365' -d 'Do not offer items bought within DAYS'
complete -c cdp-recommend -l exclude-category-bought -x -a '(__cdp_recommend_category_days)' -d 'Offer nothing of CATEGORY to who bought in it (CATEGORY=DAYS)'
complete -c cdp-recommend -l category-rules -r -F -d 'Read CATEGORY=DAYS lines from a file'
complete -c cdp-recommend -l catalog -r -F -d 'Offer only items of the catalogue that are in stock'
complete -c cdp-recommend -l filter -x -d 'Offer only items for which the jq program is true'
complete -c cdp-recommend -l threads -x -d 'Worker threads (0-64)'
complete -c cdp-recommend -l rejects -r -F -d 'Write input lines that are not records to a file'
complete -c cdp-recommend -s o -l output -r -F -d 'Write to a file (atomically)'
complete -c cdp-recommend -s z -l zstd -d 'Compress the output with zstd'
complete -c cdp-recommend -l zstd-level -x -a '(seq 1 19)' -d 'zstd compression level (implies -z)'
complete -c cdp-recommend -s i -l input-format -x -a 'ndjson csv tsv' -d 'Input format'
complete -c cdp-recommend -s d -l delimiter -x -a 'comma semicolon tab pipe' -d 'CSV delimiter'
complete -c cdp-recommend -l encoding -x -a 'utf-8 cp1251 koi8-r cp866 utf-16 utf-16le utf-16be cp1252' -d 'Input encoding'
complete -c cdp-recommend -l stats -r -F -d 'Write counts as JSON to a file'
complete -c cdp-recommend -s q -l quiet -d 'No summary line on stderr'
complete -c cdp-recommend -l progress -d 'Show progress on stderr'
complete -c cdp-recommend -l show-values -d 'Identifiers in clear in messages (default: masked)'
complete -c cdp-recommend -l help -d 'Show help and exit'
complete -c cdp-recommend -l version -d 'Show the version and exit'
