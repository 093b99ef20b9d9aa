#!/bin/sh
# nightly.sh: the nightly run of "Уютный дом" (a furniture retailer) on the
# example exports in this folder, as a cron job would run it on the day's files.
#
#   examples/nightly.sh [EXAMPLES_DIR [OUT_DIR]]
#
# EXAMPLES_DIR holds the exports (default: the folder this script is in):
#   crm.csv                 1C CRM customers: Windows-1251, ';', CRLF
#   shop-customers.jsonl    online shop accounts, one JSON object a line
#   pos-receipts.csv        till receipt lines, Excel "CSV UTF-8" (with BOM)
#   web-events.ndjson.zst   site and app events, zstd-compressed JSON lines
#   erasure-requests.txt    people who asked to be forgotten (optional), one
#                           email=..., phone=..., card=... a line
# OUT_DIR receives everything the run makes (default: ./nightly-out):
#   SOURCE.ndjson.zst             canonical records of one source
#   rejects-SOURCE.ndjson         rows that could not be used, with line and reason
#   stats-ingest-SOURCE.json      counts per reason and field
#   ingest-SOURCE.log             what cdp-ingest said (invalid values, summary)
#   identified.ndjson.zst         every record with its person id (cdp_id)
#   identity.state.zst, identity.journal.ndjson, links.ndjson
#                                 ids kept from night to night; why records link
#   profiles.ndjson.zst           one golden profile per person, with traits
#   segments.ndjson.zst           the profiles with their segments (the last
#                                 run's kept as segments.prev.ndjson.zst)
#   segments-report.json, segments-history.ndjson, audiences/NAME.ndjson
#                                 sizes per segment; one file per audience
#   recommendations.ndjson.zst    ten items to offer each person, and what
#                                 they viewed last
#   export/                       the campaign files for the mailing service,
#                                 the SMS gateway and Meta
#   nights/DATE/                  what the report needs of each night, kept:
#                                 its stats files, journal and segment output
#   report.html, report.json      the nightly report (cdp-report) and its figures
#   forgotten.list, forgotten.list.secret
#                                 who was erased (keyed hashes), kept out of
#                                 every later night
#
# The programs (cdp-ingest, cdp-dedupe, cdp-merge...) are taken from PATH; the map
# files from $CDP_SHARE/maps (default: ../share/cdp next to this script).
# CDP_AS_OF is "today" for the checks that need one (default 2026-11-20, the
# day the example exports were made). CDP_CAMPAIGNS holds cdp-report options
# for the campaigns to measure (--campaign SEGMENT@DATE...; default none).
# CDP_NIGHTLY_STEPS is "all" (default), "ingest" (step 1 only), "recommend"
# (step 5 only: tonight's records, ids, profiles and segments are in OUT_DIR
# already) or "finish" (steps 7 on: the export files are there too):
# nightly-cluster.sh runs steps 2 to 4 and 6 over shards between them.
# What it prints (for cron's mail) shows e-mails, phones, names, cards and ids
# masked, as the programs' messages do; CDP_SHOW_VALUES=1 shows them whole.
# Needs jq and zstd. nights.sh runs this night after night.
#
# The whole pipeline: ingest, dedupe, merge, segment, recommend, export, erasure
# requests, report.

set -eu
# Everything this folder gets holds personal data: the programs make their
# files 0600 and folders 0700 whatever the umask; the logs and folders this
# script makes itself are kept as private.
umask 077

prog=nightly.sh
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

# shellcheck source=examples/args.sh
. "$script_dir/args.sh"
dirs_only "$@"

in_dir=${1:-$script_dir}
out_dir=${2:-./nightly-out}
share=${CDP_SHARE:-$script_dir/../share/cdp}
maps=$share/maps
as_of=${CDP_AS_OF:-2026-11-20}

for tool in cdp-ingest cdp-dedupe cdp-merge cdp-segment cdp-recommend cdp-export cdp-report jq zstd; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done
[ -d "$in_dir" ] || die "no such folder: $in_dir"
[ -d "$maps" ] || die "no map files in $maps (set CDP_SHARE)"
mkdir -p "$out_dir"
forgotten=$out_dir/forgotten.list

# cdp-recommend runs beside cdp-merge and cdp-segment, and the exports two at a
# time: on two CPUs each of these programs keeps about one and a half busy,
# so side by side they finish sooner (a night of 100k persons, from the
# first ingest to the report: 13.4-13.8 s against 15.2-16.4 s one after
# another, alternated, the same files). The programs' ids, to stop them if
# the night cannot go on (each removes its unfinished files when stopped).
running=
stop_running() {
    for pid in $running; do
        kill "$pid" 2>/dev/null || true
    done
}
trap stop_running EXIT
# finish PID LOG MESSAGE: waits for the program; when it failed, shows its
# log and stops with MESSAGE.
finish() {
    status=0
    wait "$1" || status=$?
    left=
    for pid in $running; do
        [ "$pid" = "$1" ] || left="$left $pid"
    done
    running=$left
    if [ "$status" -ne 0 ]; then
        cat "$2" >&2
        die "$3"
    fi
}

# 5. What to offer each person: items bought with theirs (online and at the
# tills alike), the best sellers of the room they furnish, never what they
# bought, and no living room to who bought one within the year. Started in
# the background (its id in $recommend_pid).
recommend() {
    cdp-recommend --as-of "$as_of" --exclude-category-bought Гостиная=365 \
        --stats "$out_dir/stats-recommend.json" -o "$out_dir/recommendations.ndjson.zst" \
        "$out_dir/identified.ndjson.zst" 2>"$out_dir/recommend.log" &
    recommend_pid=$!
    running="$running $recommend_pid"
}

# ingest SOURCE FILE MAP [OPTION]...: one export to OUT_DIR/SOURCE.ndjson.zst.
ingest() {
    src=$1 file=$in_dir/$2 map=$maps/$3
    shift 3
    [ -f "$file" ] || die "$src: no export $file"
    [ -f "$map" ] || die "$src: no map file $map"
    echo "== ingest $src: $file"
    # Messages (invalid values, rejected rows, the summary) are kept in a log
    # and shown in the report below; on failure they are shown at once.
    if ! cdp-ingest --source "$src" --map "$map" "$@" --as-of "$as_of" \
        --forgotten "$forgotten" --rejects "$out_dir/rejects-$src.ndjson" \
        --stats "$out_dir/stats-ingest-$src.json" \
        --output "$out_dir/$src.ndjson.zst" \
        "$file" 2>"$out_dir/ingest-$src.log"; then
        cat "$out_dir/ingest-$src.log" >&2
        die "cdp-ingest failed on $file"
    fi
}

steps=${CDP_NIGHTLY_STEPS:-all}
case $steps in
all | ingest | recommend | finish) ;;
*) die "CDP_NIGHTLY_STEPS is all, ingest, recommend or finish, not '$steps'" ;;
esac
sources="crm shop pos web"

if [ "$steps" = all ] || [ "$steps" = ingest ]; then
# 1. Collection: every source to canonical records.
# The 1C CRM: Windows-1251, times in Moscow time without an offset.
ingest crm crm.csv crm-1c.map --encoding cp1251 --tz +03:00 --delimiter ';'
# The online shop's accounts: UTF-8 JSON, times with their offset.
ingest shop shop-customers.jsonl shop.map
# The tills: Excel CSV with a BOM, receipt times in Moscow time.
ingest pos pos-receipts.csv pos.map --tz +03:00 --delimiter ';'
# Site and app events: compressed JSON lines, times in UTC.
ingest web web-events.ndjson.zst web.map
[ "$steps" = ingest ] && exit 0

# 2. Unification: one stable person id (cdp_id) for the records of all
# sources, linked by shop id, loyalty card, e-mail, phone and anon_id; never by
# a cashier's placeholder phone or a family's shared e-mail (different birth
# dates). The state keeps ids stable from night to night; the journal lists
# ids merged or split; the links file explains every link.
echo "== dedupe"
if ! cdp-dedupe --state "$out_dir/identity.state.zst" --journal "$out_dir/identity.journal.ndjson" \
    --links "$out_dir/links.ndjson" --stats "$out_dir/stats-dedupe.json" --forgotten "$forgotten" \
    -o "$out_dir/identified.ndjson.zst" \
    "$out_dir/crm.ndjson.zst" "$out_dir/shop.ndjson.zst" \
    "$out_dir/pos.ndjson.zst" "$out_dir/web.ndjson.zst" 2>"$out_dir/dedupe.log"; then
    cat "$out_dir/dedupe.log" >&2
    die "cdp-dedupe failed"
fi

# 5. (below) starts here: what to offer needs only the linked records.
echo "== recommend, beside merge and segment"
recommend

# 3. Golden profiles: one per person, the newest consent per channel (an
# undated "no" is never lost), and traits from events as of the end of
# $as_of: orders and revenue, categories bought and viewed (the room being
# furnished), open (abandoned) carts, channels and stores.
echo "== merge"
if ! cdp-merge --as-of "$as_of" --prefer crm,shop,pos,web --stats "$out_dir/stats-merge.json" \
    -o "$out_dir/profiles.ndjson.zst" "$out_dir/identified.ndjson.zst" 2>"$out_dir/merge.log"; then
    cat "$out_dir/merge.log" >&2
    die "cdp-merge failed"
fi

# 4. Audiences: the ready rules (RFM, birthdays, carts, lapsed buyers, room
# interest, VIPs) and the shop's own (examples/segments.rules), 10% of each
# held out as a control group; who entered and left each audience since the
# last run (followed through merged ids), sizes in the report and the history.
echo "== segment"
if [ -f "$out_dir/segments.ndjson.zst" ]; then
    mv "$out_dir/segments.ndjson.zst" "$out_dir/segments.prev.ndjson.zst"
fi
previous=
if [ -f "$out_dir/segments.prev.ndjson.zst" ]; then
    previous="--previous $out_dir/segments.prev.ndjson.zst --journal $out_dir/identity.journal.ndjson"
fi
# shellcheck disable=SC2086 # $previous is two options or none
if ! cdp-segment --as-of "$as_of" --use rfm,birthday,cart,lapsed,category,vip \
    --segments "$in_dir/segments.rules" --holdout 10 --salt uyutny-dom $previous \
    --report "$out_dir/segments-report.json" --history "$out_dir/segments-history.ndjson" \
    --split "$out_dir/audiences" --stats "$out_dir/stats-segment.json" \
    -o "$out_dir/segments.ndjson.zst" "$out_dir/profiles.ndjson.zst" 2>"$out_dir/segment.log"; then
    cat "$out_dir/segment.log" >&2
    die "cdp-segment failed"
fi
fi

if [ "$steps" = all ] || [ "$steps" = recommend ]; then
# 5. What to offer (see recommend above): started after step 2 in a whole
# night, here when only this step runs.
if [ "$steps" = recommend ]; then
    echo "== recommend"
    recommend
fi
finish "$recommend_pid" "$out_dir/recommend.log" "cdp-recommend failed"
[ "$steps" = recommend ] && exit 0
fi

if [ "$steps" = all ]; then
# 6. Campaign files, consent and the global unsubscribe list honoured
# (examples/unsubscribed.txt): the new-collection preview for the mailing
# service (with what to offer each reader), SMS reminders of open carts,
# birthday greetings, and the lapsed buyers as a hashed Meta audience for a
# win-back campaign.
echo "== export"
mkdir -p "$out_dir/export"
# export_start NAME FORMAT SEGMENT [OPTION]...: one campaign file, made in the
# background (its id in $export_pid), its log kept for the report.
export_start() {
    name=$1 format=$2 segment=$3
    shift 3
    cdp-export --format "$format" --segment "$segment" --suppress "$in_dir/unsubscribed.txt" "$@" \
        --forgotten "$forgotten" -o "$out_dir/export/$name" "$out_dir/segments.ndjson.zst" \
        2>"$out_dir/export-$name.log" &
    export_pid=$!
    running="$running $export_pid"
}
# export_finish PID NAME
export_finish() {
    finish "$1" "$out_dir/export-$2.log" "cdp-export failed on $2"
}
# Two at a time: the preview (the longest, it joins the recommendations)
# beside the other three one after another.
# The preview mailing carries three recommendations a person (rec_1..rec_3
# merge fields).
export_start preview-mailchimp.csv mailchimp preview \
    --recommendations "$out_dir/recommendations.ndjson.zst" --rec-columns 3
preview_pid=$export_pid
export_start carts-sms.txt sms abandoned_cart
export_finish "$export_pid" carts-sms.txt
export_start birthday-unisender.csv unisender birthday
birthday_pid=$export_pid
export_finish "$preview_pid" preview-mailchimp.csv
export_start lapsed-meta.csv meta lapsed
export_finish "$birthday_pid" birthday-unisender.csv
export_finish "$export_pid" lapsed-meta.csv
fi

# 7. Erasure requests (the right to be forgotten): each person is removed from
# everything this folder keeps, all files or none, and put on the forget list
# (keyed hashes, never the identifiers) that keeps them out of later nights.
requests=$in_dir/erasure-requests.txt
rm -f "$out_dir/forget.log"
if [ -f "$requests" ]; then
    echo "== erasure requests: $requests"
    # The export files; the journal and segment output kept of earlier nights
    # (step 8).
    set --
    for f in "$out_dir"/export/*; do
        set -- "$@" --export "$f"
    done
    for f in "$out_dir"/nights/*/identity.journal.ndjson "$out_dir"/nights/*/segments.ndjson.zst; do
        if [ -f "$f" ]; then
            case $f in
            *.journal.ndjson) set -- "$@" --journal "$f" ;;
            *) set -- "$@" "$f" ;;
            esac
        fi
    done
    if ! cdp-forget --list "$requests" --state "$out_dir/identity.state.zst" \
        --journal "$out_dir/identity.journal.ndjson" --links "$out_dir/links.ndjson" \
        --forgotten "$forgotten" "$@" "$out_dir"/*.ndjson.zst "$out_dir"/audiences/*.ndjson \
        2>"$out_dir/forget.log"; then
        cat "$out_dir/forget.log" >&2
        die "cdp-forget failed"
    fi
fi

# 8. The report. What it needs of tonight is kept under nights/DATE (hard
# links: tomorrow's run replaces these files, it does not rewrite them), so
# that a campaign sent to a segment tonight can be measured days later
# (cdp-report --campaign SEGMENT@DATE).
night=$out_dir/nights/$as_of
mkdir -p "$night"
for f in "$out_dir"/stats-*.json "$out_dir/identity.journal.ndjson" "$out_dir/segments.ndjson.zst"; do
    ln -f "$f" "$night/" 2>/dev/null || cp "$f" "$night/"
done
echo "== report"
# shellcheck disable=SC2086 # $CDP_CAMPAIGNS is options or none
if ! cdp-report --title "Уютный дом" ${CDP_CAMPAIGNS-} --json "$out_dir/report.json" \
    -o "$out_dir/report.html" "$out_dir" 2>"$out_dir/report.log"; then
    cat "$out_dir/report.log" >&2
    die "cdp-report failed"
fi

# 9. What came out, as cron mails it and nights.sh keeps it: e-mails, phones,
# names, cards, customer ids and birth dates masked as the programs' own
# messages mask them (lib/norm/show.h, cdp(7): "iv***@mail.ru",
# "+7916***4501", "См***ва"), unless CDP_SHOW_VALUES=1; a rejected row's raw
# text stays in the rejects file.
clear=false
[ "${CDP_SHOW_VALUES:-0}" = 1 ] && clear=true
# It shows examples, not the data: each is picked from the first $limit lines
# of its file (CDP_PRINT_RECORDS, default 100000: all of the example exports)
# and a list stops after $list_max lines (CDP_PRINT_LINES, default 20).
# Measured at a million persons: jq slurping every identified record took
# 14 GB, and the lists ran to 170,000 lines.
limit=${CDP_PRINT_RECORDS:-100000}
list_max=${CDP_PRINT_LINES:-20}
head_of() { zstd -dc "$1" | head -n "$limit"; }
# among COUNT WHAT: ", among the first N WHAT" when there were more
among() { [ "$1" -gt "$limit" ] && echo ", among the first $limit $2" || true; }
# capped: stdin up to $list_max lines, then how many more there were
capped() { awk -v max="$list_max" 'NR <= max { print } END { if (NR > max) printf "    ... and %d more\n", NR - max }'; }
# shellcheck disable=SC2016 # jq's $variables, not the shell's
masks='
def text_mask: if length >= 8 then .[:2] + "***" + .[-2:] elif length >= 3 then .[:1] + "***" else "***" end;
def email_mask: rindex("@") as $at | if $at == null then text_mask
    else .[:$at] as $l | (if ($l | length) <= 4 then $l[:1] else $l[:2] end) + "***" + .[$at:] end;
def phone_mask: gsub("[^0-9]"; "") as $d | (if startswith("+") then "+" else "" end)
    + if ($d | length) >= 9 then $d[:4] + "***" + $d[-4:] else $d[:2] + "***" + $d[-2:] end;
def shown($k): if $clear or type != "string" then .
    elif $k == "email" or $k == "emails" then email_mask
    elif $k == "phone" or $k == "phones" then phone_mask
    elif $k | IN("card", "cards", "customer_id", "customer_ids", "anon_id", "last_name", "first_name",
                 "middle_name", "full_name", "birth_date", "address") then text_mask
    else . end;
def masked: with_entries(.key as $k | .value |= (if type == "array" then map(shown($k)) else shown($k) end));
'
# one JSON line as written (jq would print 74960.00 as 74960), or masked
as_written() {
    if [ "$clear" = true ]; then
        cat
    else
        jq -c --argjson clear false "$masks masked"
    fi
}

echo
echo "== results in $out_dir (as of $as_of)"
for src in $sources; do
    out=$out_dir/$src.ndjson.zst
    echo
    echo "---- $src"
    # cdp-ingest's own words: invalid values it kept aside, rejected rows, and
    # its summary line (the last line).
    sed 's/^/  /' "$out_dir/ingest-$src.log"
    records=$(zstd -dc "$out" | wc -l | tr -d ' ')
    echo "  records: $records in $out"
    jq -r '.counts | "  totals: read \(.read) = written \(.written) + rejected \(.rejected)" +
        (if .read == .written + .rejected then " (ok)" else " (MISMATCH)" end)' \
        "$out_dir/stats-ingest-$src.json"
    # grep passes every line with an _invalid member (and any with such a
    # key nested), jq then picks exactly: jq alone parsed every record
    invalid=$(head_of "$out" | grep -F '"_invalid":' | jq -r --argjson clear "$clear" "$masks"'select(._invalid) | ._rid as $rid |
        ._invalid | to_entries[] | "    record \($rid): \(.key) \(.key as $k | .value | shown($k) | tojson)"')
    if [ -n "$invalid" ]; then
        echo "  invalid values (left out of the records, kept under _invalid)$(among "$records" records):"
        echo "$invalid" | capped
    fi
    rejects=$out_dir/rejects-$src.ndjson
    if [ -s "$rejects" ]; then
        echo "  rejected rows ($rejects):"
        jq -r --argjson clear "$clear" '"    line \(.line): \(.code): \(.reason)" +
            (if $clear then "\n      \(.raw | gsub("\n"; "\\n"))" else "" end)' "$rejects" | capped
    else
        echo "  rejected rows: none"
    fi
    echo "  a record:"
    zstd -dc "$out" | head -n 1 | as_written | sed 's/^/    /'
done

echo
echo "---- dedupe"
sed 's/^/  /' "$out_dir/dedupe.log"
identified=$(jq '.counts.written' "$out_dir/stats-dedupe.json")
profiles=$(jq '.counts.profiles' "$out_dir/stats-merge.json")
echo "  persons seen in more than one source$(among "$identified" records) (cdp_id: sources, names, e-mails, phones):"
# Masked once picked: masking each of the 100,000 records first (a regex per
# phone number) took 37 of the printout's 57 s at 100k persons.
head_of "$out_dir/identified.ndjson.zst" | jq -rs --argjson clear "$clear" "$masks"'
    map(select(.cdp_id)) | group_by(.cdp_id) |
    map(select(map(._source) | unique | length > 1)) |
    sort_by(-length) | .[:8][] | map(masked) |
    "    \(.[0].cdp_id): \(map(._source) | unique | join("+")) (\(length) records); " +
    "\(map(select(.last_name) | "\(.last_name) \(.first_name // "")") | unique | join(", ")); " +
    "\(map(.email // empty) | unique | join(", ")); \(map(.phone // empty) | unique | join(", "))"'
echo "  links refused ($out_dir/links.ndjson):"
# grep first: the file holds every link used too (189,472 lines at 100k persons)
grep -F '"link":"refused"' "$out_dir/links.ndjson" | jq -r 'select(.link == "refused") | "    \(.key) \(.value): \(.reason)" +
    (if .reason == "conflict" then " (\(.field) \(.values | join(" vs ")); \(.a._source)/\(.a._rid) and \(.b._source)/\(.b._rid) stay apart)"
     elif .reason == "over_limit" then " (\(.people) people, limit \(.limit))"
     elif .reason == "blocked" then " (on \(.records) records)" else "" end)' | capped

echo
echo "---- merge"
sed 's/^/  /' "$out_dir/merge.log"
echo "  profiles with purchases, by revenue$(among "$profiles" profiles) (cdp_id: name; orders, revenue; top category; consent e-mail/SMS):"
# The five buyers with the most revenue (ties by cdp_id) as "revenue<TAB>id"
# lines, most first; the recommend section shows the first three. One jq pass
# over the profiles serves both (jq parses some 40 MB a second: 3.5 s for the
# first 100,000 profiles at 100k persons, once instead of twice), then jq reads
# the five profiles alone.
top_buyers=$(head_of "$out_dir/profiles.ndjson.zst" | jq -r 'select(.orders > 0) | [.revenue, .cdp_id] | @tsv' |
    LC_ALL=C sort -k1,1gr -k2,2 | head -n 5)
top_ids=$(printf '%s\n' "$top_buyers" | cut -f2 | paste -sd '|' -)
head_of "$out_dir/profiles.ndjson.zst" | grep -E "^\{\"cdp_id\":\"($top_ids)\"," | jq -rs --argjson clear "$clear" "$masks"'
    sort_by(-.revenue, .cdp_id) | .[] | masked |
    "    \(.cdp_id): \(.first_name // "") \(.last_name // ""); orders \(.orders), revenue \(.revenue); " +
    "\(.top_category // "-"); e-mail \(.consent_email // "unknown"), SMS \(.consent_sms // "unknown")"'
echo "  open carts as of $as_of$(among "$profiles" profiles):"
# grep passes each profile with a cart and more; of those jq masks only the
# names it shows (masking whole profiles took 3.5 s for 6,683 carts)
head_of "$out_dir/profiles.ndjson.zst" | grep -F '"abandoned_cart":' | jq -r --argjson clear "$clear" "$masks"'
    select(.abandoned_cart) | .first_name |= shown("first_name") | .last_name |= shown("last_name") |
    "    \(.cdp_id): \([.first_name, .last_name] | map(values) | join(" ") | if . == "" then "(no name)" else . end), since \(.abandoned_cart.since): " +
    "\(.abandoned_cart.items | map("\(.sku) x\(.qty)") | join(", ")) = \(.abandoned_cart.value)"' | capped
echo "  a profile:"
# Printed as written with CDP_SHOW_VALUES=1 (jq would reformat amounts such as
# 74960.00), else masked.
id=$(head_of "$out_dir/profiles.ndjson.zst" | jq -r 'select(.orders > 0 and (.sources | length) > 2) | .cdp_id' | head -n 1)
head_of "$out_dir/profiles.ndjson.zst" | grep -F "{\"cdp_id\":\"$id\"," | as_written | sed 's/^/    /'

echo
echo "---- segment"
sed 's/^/  /' "$out_dir/segment.log"
echo "  segments as of $as_of (members, held out, entered, exited, revenue of the members):"
jq -r '.segments | to_entries[] | select(.value.members + .value.holdout + (.value.exited // 0) > 0) |
    "    \(.key): \(.value.members), held out \(.value.holdout), entered \(.value.entered // "-"), exited \(.value.exited // "-"), revenue \(.value.revenue)"' \
    "$out_dir/segments-report.json"
echo "  (one file per audience in $out_dir/audiences; run again to see entered and exited)"

echo
echo "---- recommend"
sed 's/^/  /' "$out_dir/recommend.log"
echo "  for the buyers with the most revenue$(among "$profiles" profiles) (cdp_id: sku (why), ...):"
[ -z "$top_buyers" ] || printf '%s\n' "$top_buyers" | head -n 3 | cut -f2 | while read -r id; do
    zstd -dc "$out_dir/recommendations.ndjson.zst" | grep -m 1 -F "{\"cdp_id\":\"$id\"," | jq -r '
        "    \(.cdp_id): " + ([.recommendations[:5][] | "\(.sku) (\(.reason)\(if .because then " " + .because else "" end))"] | join(", "))'
done

echo
echo "---- export (consent and $in_dir/unsubscribed.txt honoured)"
for f in "$out_dir"/export-*.log; do
    name=$(basename "$f" .log)
    echo "  ${name#export-}:"
    sed 's/^/    /' "$f"
done
if [ "$clear" = true ]; then
    echo "  the preview mailing, as the mailing service gets it:"
    sed 's/^/    /' "$out_dir/export/preview-mailchimp.csv"
else
    echo "  the preview mailing, its columns ($(($(wc -l <"$out_dir/export/preview-mailchimp.csv") - 1)) rows; CDP_SHOW_VALUES=1 shows them):"
    head -n 1 "$out_dir/export/preview-mailchimp.csv" | sed 's/^/    /'
fi

echo
echo "---- report"
sed 's/^/  /' "$out_dir/report.log"
echo "  $out_dir/report.html (figures in $out_dir/report.json), among them:"
jq -r '"    persons \(.identity.persons), merged since the night before \(.identity.journal.merged // "-")",
    "    abandoned carts \(.carts.abandoned) (abandonment rate \(.carts.abandonment_rate * 1000 | round / 10)%), recovered since the night before \(.carts.recovered // "-")",
    (.campaigns[] | "    campaign \(.segment)@\(.date), \(.observed_days) of \(.window_days) days: got it \(.sent.converted)/\(.sent.people) bought, control group \(.held_out.converted)/\(.held_out.people): \(.verdict)")' \
    "$out_dir/report.json"

if [ -f "$out_dir/forget.log" ]; then
    echo
    echo "---- erasure requests (lines removed per file; the forget list)"
    sed 's/^/  /' "$out_dir/forget.log"
fi
