#!/bin/sh
# nights.sh: three nights of "Уютный дом" in a row, as cron would run
# nightly.sh on 20, 21 and 22 November, so that the nightly report has a
# history to show: sizes over time, movers, carts recovered, a campaign
# measured against its control group.
#
#   examples/nights.sh [EXAMPLES_DIR [OUT_DIR]]
#
# EXAMPLES_DIR (default: the folder this script is in) holds the exports of
# the first night, 2026-11-20 (see nightly.sh), and one folder per later
# night, YYYY-MM-DD/, with what is new that day: rows the shop's systems
# added to their exports since the night before.
#   2026-11-21/  a customer registered at a till buys bedding (her e-mail
#                has no domain ending: an invalid value); a new shop
#                account fills a cart with a child's bed; a buyer who left a
#                mattress in her cart comes back for it (a cart recovered);
#                the anonymous visitor whose bar stools were left in a cart
#                since 6 November logs in as a known customer (two person
#                ids merged)
#   2026-11-22/  that customer buys the stools at a till, a second cart is
#                recovered online, a new customer buys at once from the
#                app, a till return, and a line the tag manager cut short
#                (a rejected row)
# Each night's exports are the night before's with the new rows appended
# (OUT_DIR/exports/DATE), and nightly.sh runs on them with CDP_AS_OF=DATE
# into the same OUT_DIR (default: ./nightly-out), as the nights follow one
# another. The SMS reminder of 20 November to the abandoned carts
# (nightly.sh's carts-sms.txt, its control group held out by cdp-segment)
# is measured every night: CDP_CAMPAIGNS="--campaign abandoned_cart@2026-11-20".
#
# What each night printed is kept in OUT_DIR/nightly-DATE.log; the last
# night's is also shown, and of the others what cdp-forget said when the
# night answered erasure requests (the first night answers
# EXAMPLES_DIR/erasure-requests.txt). Needs what nightly.sh needs.

set -eu

prog=nights.sh
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

# shellcheck source=examples/args.sh
. "$script_dir/args.sh"
dirs_only "$@"

in_dir=$(CDPATH='' cd -- "${1:-$script_dir}" && pwd)
out_dir=${2:-./nightly-out}
first=2026-11-20

command -v zstd >/dev/null 2>&1 || die "zstd not found on PATH"
mkdir -p "$out_dir"
CDP_CAMPAIGNS=${CDP_CAMPAIGNS-"--campaign abandoned_cart@$first"}
export CDP_CAMPAIGNS

# night DATE EXPORTS_DIR [show]: nightly.sh for one night, its output kept.
night() {
    log=$out_dir/nightly-$1.log
    if ! CDP_AS_OF=$1 "$script_dir/nightly.sh" "$2" "$out_dir" >"$log" 2>&1; then
        cat "$log" >&2
        die "the night of $1 failed"
    fi
    if [ "${3-}" = show ]; then
        echo "== night of $1: what nightly.sh printed"
        cat "$log"
    else
        echo "== night of $1: done (what it printed: $log)"
        # The night's erasure requests, if it had any: the counts (the next
        # night replaces forget.log).
        if [ -f "$out_dir/forget.log" ]; then
            echo "   erasure requests answered:"
            sed 's/^/     /' "$out_dir/forget.log"
        fi
    fi
}

# append PREVIOUS_DIR NEW_DIR OUT_DIR: the exports of a night, as the night
# before's with the day's rows at the end (CSV headers not repeated).
append() {
    mkdir -p "$3"
    for f in crm.csv pos-receipts.csv; do
        cp "$1/$f" "$3/$f"
        if [ -f "$2/$f" ]; then
            tail -n +2 "$2/$f" >>"$3/$f"
        fi
    done
    cp "$1/shop-customers.jsonl" "$3/shop-customers.jsonl"
    if [ -f "$2/shop-customers.jsonl" ]; then
        cat "$2/shop-customers.jsonl" >>"$3/shop-customers.jsonl"
    fi
    {
        zstd -dcq "$1/web-events.ndjson.zst"
        if [ -f "$2/web-events.ndjson" ]; then
            cat "$2/web-events.ndjson"
        fi
    } | zstd -q -o "$3/web-events.ndjson.zst.tmp" && mv "$3/web-events.ndjson.zst.tmp" "$3/web-events.ndjson.zst"
    cp "$in_dir/segments.rules" "$in_dir/unsubscribed.txt" "$3/"
}

days=$(
    cd "$in_dir"
    for d in 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]; do
        if [ -d "$d" ]; then
            echo "$d"
        fi
    done
)
last=$(echo "$days" | tail -n 1)
if [ -z "$last" ]; then
    night "$first" "$in_dir" show
    exit 0
fi
night "$first" "$in_dir"
previous=$in_dir
for day in $days; do
    exports=$out_dir/exports/$day
    append "$previous" "$in_dir/$day" "$exports"
    if [ "$day" = "$last" ]; then
        night "$day" "$exports" show
    else
        night "$day" "$exports"
    fi
    previous=$exports
done
