#!/bin/sh
# Runs the programs on the bundled examples under valgrind: no invalid read or
# write, no use of uninitialised memory, nothing definitely or possibly lost
# (but for libphonenumber's own singleton, see valgrind.supp).
#   tests/valgrind.sh BUILD_DIR
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
maps=$here/../share/cdp/maps
ex=$here/../examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg() {
    valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,possible \
        --suppressions="$here/valgrind.supp" "$@"
}
vg "$build/bin/cdp-ingest" -q -s crm --encoding cp1251 --tz +03:00 --map "$maps/crm-1c.map" \
    --as-of 2026-11-20 --rejects "$tmp/rej.ndjson" -o "$tmp/crm.ndjson.zst" "$ex/crm.csv" 2>/dev/null
vg "$build/bin/cdp-ingest" -q -s shop --map "$maps/shop.map" --threads 2 -o "$tmp/shop.ndjson" \
    "$ex/shop-customers.jsonl" 2>/dev/null
vg "$build/bin/cdp-ingest" -q -s pos --map "$maps/pos.map" -o "$tmp/pos.ndjson" "$ex/pos-receipts.csv" 2>/dev/null
vg "$build/bin/cdp-ingest" -q -s web --map "$maps/web.map" -o "$tmp/web.ndjson" "$ex/web-events.ndjson.zst"
# Map rules, modifiers, countries and regions, --country-from-phone; the
# program that makes the vocabularies at build time.
printf 'InvoiceNo,Quantity,CustomerID,Country,Region,Phone\nC1,-2,17850.0,EIRE,,\n2,3,0012345,Unspecified,Limburg,+44 7797 712345\n' \
    > "$tmp/retail.csv"
printf 'event := purchase\nevent := return if InvoiceNo starts with C\nevent := refund if Quantity is negative\ncustomer_id = CustomerID | drop-dot-zero\ncountry = Country\nregion = Region\nphone = Phone\n' \
    > "$tmp/retail.map"
vg "$build/bin/cdp-ingest" -q -s shop --map "$tmp/retail.map" --country-from-phone --rid-prefix d: \
    --threads 2 -o "$tmp/retail.ndjson" "$tmp/retail.csv" 2>/dev/null
vg "$build/tools/iso-vocab" /usr/share/iso-codes/json /usr/share/locale "$here/../lib/norm/vocab_aliases.txt" \
    "$tmp/vocab_iso.c" 'ru de' 'ru'
for run in 1 2; do
    vg "$build/bin/cdp-dedupe" -q --state "$tmp/state.zst" --journal "$tmp/journal.ndjson" \
        --links "$tmp/links.ndjson" -o "$tmp/out.ndjson.zst" \
        "$tmp/crm.ndjson.zst" "$tmp/shop.ndjson" "$tmp/pos.ndjson" "$tmp/web.ndjson"
done
vg "$build/bin/cdp-merge" -q --as-of 2026-11-20 --trait 'n=.events | length' -o "$tmp/profiles.ndjson" \
    "$tmp/out.ndjson.zst"
vg "$build/bin/cdp-merge" -q --as-of 2026-11-20 --memory 64K --threads 2 -o "$tmp/profiles-spilled.ndjson" \
    "$tmp/out.ndjson.zst"
# Two nights with a state (the second makes some persons again and writes
# the rest from their saved profiles), the journal followed.
zstd -dc "$tmp/out.ndjson.zst" | awk 'NR % 2' > "$tmp/night1.ndjson"
zstd -dc "$tmp/out.ndjson.zst" | awk 'NR % 2 == 0' | head -n 40 > "$tmp/night2.ndjson"
vg "$build/bin/cdp-merge" -q --as-of 2026-11-19 --state "$tmp/merge.state" --journal "$tmp/journal.ndjson" \
    --threads 2 -o "$tmp/profiles-night1.ndjson" "$tmp/night1.ndjson"
vg "$build/bin/cdp-merge" -q --as-of 2026-11-20 --state "$tmp/merge.state" --journal "$tmp/journal.ndjson" \
    --memory 64K -o "$tmp/profiles-night2.ndjson" "$tmp/night2.ndjson"
vg "$build/bin/cdp-segment" -q --as-of 2026-11-20 --use rfm,birthday,cart,category --holdout 10 \
    -s 'big=segment("abandoned_cart") and .abandoned_cart.value > 10000' --report "$tmp/report.json" \
    --split "$tmp/audiences" -o "$tmp/segments.ndjson" "$tmp/profiles.ndjson"
{ cat "$tmp/profiles.ndjson"; echo 'not a profile'; } > "$tmp/profiles-bad.ndjson"
vg "$build/bin/cdp-segment" -q --as-of 2026-11-21 --use rfm,birthday,cart,category --threads 2 \
    --previous "$tmp/segments.ndjson" --journal "$tmp/journal.ndjson" --history "$tmp/history.ndjson" \
    --rejects "$tmp/seg-rejects.ndjson" -o "$tmp/segments2.ndjson" "$tmp/profiles-bad.ndjson" 2>/dev/null
vg "$build/bin/cdp-export" -q --format mailchimp --segment rfm_loyal --suppress "$ex/unsubscribed.txt" \
    -o "$tmp/loyal.csv" "$tmp/segments.ndjson"
vg "$build/bin/cdp-export" -q --format meta -o "$tmp/meta.csv" "$tmp/segments.ndjson"
vg "$build/bin/cdp-export" -q --format mailchimp --previous "$tmp/loyal.csv" --removed "$tmp/removed.csv" \
    --full "$tmp/full.csv" --split-rows 20 --rejects "$tmp/exp-rejects.ndjson" \
    -o "$tmp/changes.csv" "$tmp/segments2.ndjson" "$tmp/profiles-bad.ndjson" 2>/dev/null
vg "$build/bin/cdp-recommend" -q --as-of 2026-11-20 --catalog "$here/fixtures/recommend/catalog.csv" \
    --filter '.price < 50000' --exclude-category-bought Гостиная=365 --threads 2 --rejects "$tmp/rec-rej.ndjson" \
    -o "$tmp/recs.ndjson" "$tmp/out.ndjson.zst"
vg "$build/bin/cdp-recommend" -q --similar --basket person --threads 0 -o "$tmp/similar.ndjson" "$tmp/out.ndjson.zst"
vg "$build/bin/cdp-recommend" -q --evaluate 2026-10-01 -o "$tmp/eval.json" "$tmp/out.ndjson.zst"
vg "$build/bin/cdp-export" -q --format mailchimp --recommendations "$tmp/recs.ndjson" --rec-columns 2 \
    -o "$tmp/with-recs.csv" "$tmp/segments.ndjson"
vg "$build/bin/cdp-export" -q --format ndjson --channel none --recommendations "$tmp/recs.ndjson" \
    -o "$tmp/with-recs.ndjson" "$tmp/segments.ndjson"
# A sharded export: two shards' summaries, joined, a shard's rows.
"$build/bin/cdp-shard" -q -n 2 --by cdp_id -o "$tmp/seg-%d.ndjson" "$tmp/segments.ndjson"
for i in 0 1; do
    vg "$build/bin/cdp-export" -q --summarize --format mailchimp --suppress "$ex/unsubscribed.txt" \
        -o "$tmp/xsum-$i" "$tmp/seg-$i.ndjson"
done
vg "$build/bin/cdp-export" -q --join-summaries -o "$tmp/contacts" "$tmp/xsum-0" "$tmp/xsum-1"
vg "$build/bin/cdp-export" -q --contacts "$tmp/contacts" --format mailchimp --suppress "$ex/unsubscribed.txt" \
    -o "$tmp/x-0.csv" "$tmp/seg-0.ndjson"
# A run folder of two nights for cdp-report: tonight's files, and what was
# kept of each night (a campaign sent to abandoned_cart on the first).
run=$tmp/run
mkdir -p "$run/nights/2026-11-20" "$run/nights/2026-11-21"
cp "$tmp/segments.ndjson" "$run/nights/2026-11-20/segments.ndjson"
cp "$tmp/segments2.ndjson" "$run/segments.ndjson"
cp "$tmp/segments2.ndjson" "$run/nights/2026-11-21/segments.ndjson"
cp "$tmp/journal.ndjson" "$run/identity.journal.ndjson"
cp "$tmp/journal.ndjson" "$run/nights/2026-11-21/identity.journal.ndjson"
cp "$tmp/links.ndjson" "$tmp/history.ndjson" "$run/"
mv "$run/history.ndjson" "$run/segments-history.ndjson"
cp "$tmp/out.ndjson.zst" "$run/identified.ndjson.zst"
echo '{"program":"cdp-ingest","counts":{"read":3,"written":2,"rejected":1},"rejected_by_reason":{"bad":1}}' \
    > "$run/stats-ingest-crm.json"
cp "$run/stats-ingest-crm.json" "$run/nights/2026-11-20/"
cp "$run/stats-ingest-crm.json" "$run/nights/2026-11-21/"
vg "$build/bin/cdp-report" -q --lang ru --campaign abandoned_cart@2026-11-20 --campaign lapsed@2026-11-19 \
    --json "$tmp/report.json" -o "$tmp/report.html" "$run" 2>/dev/null || [ $? -eq 1 ]
vg "$build/bin/cdp-report" -q --lang en --show-values -o "$tmp/report-en.html" "$run"
# An erasure: the state, journal, links, record and export files, the forget
# list; then the list on every program that reads it.
vg "$build/bin/cdp-forget" -q --email andrey.kuznetsov79@gmail.com --state "$tmp/state.zst" \
    --journal "$tmp/journal.ndjson" --links "$tmp/links.ndjson" --forgotten "$tmp/forgotten.list" \
    --export "$tmp/meta.csv" --export "$tmp/full.csv" --stats "$tmp/forget-stats.json" "$tmp/out.ndjson.zst" \
    "$tmp/segments.ndjson" "$tmp/crm.ndjson.zst" "$tmp/pos.ndjson"
vg "$build/bin/cdp-ingest" -q -s pos --map "$maps/pos.map" --forgotten "$tmp/forgotten.list" --threads 2 \
    -o "$tmp/pos2.ndjson" "$ex/pos-receipts.csv" 2>/dev/null
vg "$build/bin/cdp-dedupe" -q --state "$tmp/state.zst" --forgotten "$tmp/forgotten.list" --threads 2 \
    -o "$tmp/out2.ndjson" "$tmp/crm.ndjson.zst" "$tmp/shop.ndjson" "$tmp/pos.ndjson" "$tmp/web.ndjson"
vg "$build/bin/cdp-export" -q --format sms --forgotten "$tmp/forgotten.list" -o "$tmp/sms.txt" \
    "$tmp/profiles.ndjson"
awk -f "$here/fixtures/model/background.awk" > "$tmp/people.ndjson"
cat "$here/fixtures/model/people.ndjson" >> "$tmp/people.ndjson"
vg "$build/bin/cdp-dedupe" -q --model "$here/../share/cdp/models/person.json" --train \
    --model-out "$tmp/model.json" --links "$tmp/model-links.ndjson" -o "$tmp/people-out.ndjson" "$tmp/people.ndjson"
printf '%s\n' '{"_source":"a","_rid":"1","last_name":"Petrov","email":"ivan.petrov84@mail.ru"}' \
    '{"_source":"a","_rid":"2","last_name":"Petrov","email":"ivan.petorv84@mail.ru"}' \
    '{"_source":"a","_rid":"3","last_name":"Petrov","email":"ivan.petrov91@mail.ru"}' > "$tmp/digits.ndjson"
vg "$build/bin/cdp-dedupe" -q --model "$here/fixtures/model/email.json" --links "$tmp/digits-links.ndjson" \
    -o "$tmp/digits-out.ndjson" "$tmp/digits.ndjson"
vg "$build/bin/cdp-gen" -q -n 300 -o "$tmp/gen"
echo "valgrind: clean"
