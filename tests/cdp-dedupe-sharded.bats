#!/usr/bin/env bats
# cdp-dedupe in three steps over shards (--edges, --resolve, --apply): the
# same records, ids, state, journal and links as one cdp-dedupe over the
# unsplit input, on the examples (two nights, with the state), on generated
# data, and on a case where the order of the records decides the persons.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# sharded N DIR [OPTION]... -- FILE...: cdp-shard into N shards, then the
# three steps (OPTIONs go to --resolve), each shard's records to
# DIR/out-I.ndjson.
sharded() {
    local n=$1 dir=$2 i
    shift 2
    local -a opts=()
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    mkdir -p "$dir"
    cdp-shard -q -n "$n" --order "$dir/order" -o "$dir/in-%d.ndjson.zst" "$@"
    local -a edges=()
    for ((i = 0; i < n; i++)); do
        cdp-dedupe -q --edges -o "$dir/edges-$i.zst" "$dir/in-$i.ndjson.zst"
        edges+=("$dir/edges-$i.zst")
    done
    cdp-dedupe -q --resolve "$dir/order" "${opts[@]}" --order-out "$dir/identified.order" \
        -o "$dir/ids-%d.zst" "${edges[@]}"
    for ((i = 0; i < n; i++)); do
        cdp-dedupe -q --apply "$dir/ids-$i.zst" -o "$dir/out-$i.ndjson" "$dir/in-$i.ndjson.zst"
    done
}

@test "usage: one step at a time, no --model, --state only with --resolve" {
    run cdp-dedupe --edges --model "$CDP_SHARE/models/person.json" -o e x.ndjson
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-dedupe: --model cannot be split across shards (it compares person records of all shards and is trained on all of them): run it on one host
Try 'cdp-dedupe --help' for more information.
OUT
    run cdp-dedupe --edges --resolve o -o e x
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --edges, --resolve and --apply are three steps: give one" ]
    run cdp-dedupe --apply ids --state s.zst x
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --state, --journal, --links and --order-out go with --resolve" ]
    run cdp-dedupe --order-out o x
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --order-out goes with --resolve" ]
    run cdp-dedupe --resolve order -o ids.zst e0
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --resolve needs -o TEMPLATE, a file name with %d once (the shard's ids file)" ]
    run cdp-dedupe --resolve order -o 'ids-%d'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --resolve needs the edges files, one per shard" ]
}

@test "the examples over 3 shards, two nights with the state: the same records, ids, state, journal, links" {
    ingest_exports "$BATS_TEST_DIRNAME/../examples" n1
    # The second night: the first's exports with the day's new rows (nights.sh).
    local e=$BATS_TEST_DIRNAME/../examples d=$BATS_TEST_DIRNAME/../examples/2026-11-21
    mkdir x2
    { cat "$e/crm.csv"; tail -n +2 "$d/crm.csv"; } >x2/crm.csv
    { cat "$e/pos-receipts.csv"; tail -n +2 "$d/pos-receipts.csv"; } >x2/pos-receipts.csv
    cat "$e/shop-customers.jsonl" "$d/shop-customers.jsonl" >x2/shop-customers.jsonl
    { zstd -dcq "$e/web-events.ndjson.zst"; cat "$d/web-events.ndjson"; } | zstd -q -o x2/web-events.ndjson.zst
    ingest_exports x2 n2
    for night in n1 n2; do
        local in=("$night/crm.ndjson.zst" "$night/shop.ndjson.zst" "$night/pos.ndjson.zst" "$night/web.ndjson.zst")
        cdp-dedupe -q --state one.state.zst --journal one.journal --links "one-$night.links" \
            -o "one-$night.ndjson" "${in[@]}"
        sharded 3 "sh-$night" --state sh.state.zst --journal sh.journal --links "sh-$night.links" -- "${in[@]}"
        [ "$(cat sh-$night/out-*.ndjson | sort | md5sum)" = "$(sort one-$night.ndjson | md5sum)" ]
        cmp "one-$night.links" "sh-$night.links"
        cmp <(zstd -dc one.state.zst) <(zstd -dc sh.state.zst)
    done
    cmp one.journal sh.journal
    [ "$(wc -l <one-n2.ndjson)" -eq 306 ]
    [ "$(jq -r 'select(.cdp_id) | .cdp_id' one-n2.ndjson | sort -u | wc -l)" -eq 50 ]
}

@test "10k generated persons over 4 shards: the same records and ids" {
    cdp-gen -q -n 10k -o gen
    ingest_exports gen g
    local in=(g/crm.ndjson.zst g/shop.ndjson.zst g/pos.ndjson.zst g/web.ndjson.zst)
    cdp-dedupe -q --links one.links -o one.ndjson "${in[@]}"
    sharded 4 sh --links sh.links -- "${in[@]}"
    [ "$(cat sh/out-*.ndjson | sort | md5sum)" = "$(sort one.ndjson | md5sum)" ]
    cmp one.links sh.links
    [ "$(wc -l <one.ndjson)" -eq 114948 ]
    [ "$(jq -r 'select(.cdp_id) | .cdp_id' one.ndjson | sort -u | wc -l)" -eq 13034 ]
    # Read back in --order-out's order, the shards' records are one run's, byte for byte.
    cdp-shard -q -n 1 --interleave sh/identified.order -o 'all-%d.ndjson' sh/out-{0,1,2,3}.ndjson
    cmp all-0.ndjson one.ndjson
    # Split by cdp_id in that order, each shard's profiles are one cdp-merge's.
    cdp-merge -q --as-of 2026-11-20 -o profiles.ndjson one.ndjson
    cdp-shard -q -n 3 --by cdp_id --interleave sh/identified.order -o 'person-%d.ndjson' sh/out-{0,1,2,3}.ndjson
    for i in 0 1 2; do
        cdp-merge -q --as-of 2026-11-20 -o "profiles-$i.ndjson" "person-$i.ndjson"
        [ -s "profiles-$i.ndjson" ]
    done
    cat profiles-{0,1,2}.ndjson | LC_ALL=C sort | cmp - profiles.ndjson
    # Split after one another instead, some profiles list their records in
    # another order: the order is what makes them the same.
    cdp-shard -q -n 3 --by cdp_id -o 'unordered-%d.ndjson' sh/out-{0,1,2,3}.ndjson
    for i in 0 1 2; do
        cdp-merge -q --as-of 2026-11-20 -o "uprofiles-$i.ndjson" "unordered-$i.ndjson"
    done
    ! cat uprofiles-{0,1,2}.ndjson | LC_ALL=C sort | cmp -s - profiles.ndjson
}

@test "the order of the records decides the persons: --resolve follows cdp-shard's order" {
    # b and the event are one person by customer_id X; a (born 1980) shares
    # e1 with b, c (born 1960) e2 with the event. Whichever e-mail is seen
    # first joins; the other is refused (a conflict of birth dates).
    cat >in.ndjson <<'EOF2'
{"_source":"crm","_rid":"b4","_kind":"person","customer_id":"X","email":"e1@x.ru"}
{"_source":"web","_rid":"ev","_kind":"event","event":"view","customer_id":"X","email":"e2@x.ru"}
{"_source":"shop","_rid":"a","_kind":"person","email":"e1@x.ru","birth_date":"1980-01-01"}
{"_source":"shop","_rid":"c","_kind":"person","email":"e2@x.ru","birth_date":"1960-01-01"}
EOF2
    cdp-dedupe -q -o one.ndjson in.ndjson
    [ "$(jq -r '"\(._rid) \(.cdp_id)"' one.ndjson | tr '\n' ' ')" = "b4 cd3b429932022c2d ev cd3b429932022c2d a cd3b429932022c2d c 35a417eb5411ca60 " ]
    sharded 2 sh -- in.ndjson
    [ "$(tail -n +2 sh/order | tr '\n' ' ')" = "1 0 1 0 " ]
    [ "$(cat sh/out-*.ndjson | sort)" = "$(sort one.ndjson)" ]
    # One cdp-dedupe over the shards one after the other sees e2 first: other persons.
    cdp-dedupe -q -o cat.ndjson sh/in-0.ndjson.zst sh/in-1.ndjson.zst
    [ "$(jq -r '"\(._rid) \(.cdp_id)"' cat.ndjson | tr '\n' ' ')" = "ev cd3b429932022c2d c cd3b429932022c2d b4 cd3b429932022c2d a 09b005ac572c453f " ]
}

@test "a shared browser's events by time, and an ambiguous event: the same ids, links and stats over 3 shards" {
    # Анна logs in at 10:00 and 14:00, Борис at 12:00, on one browser; the
    # edges files carry each device row's time for --resolve to go by. A
    # mother and son share an e-mail: its page view is nobody's.
    cat > in.ndjson <<'IN'
{"_source":"shop","_rid":"anna","_kind":"person","customer_id":"1","email":"anna@x.ru","birth_date":"1980-01-01"}
{"_source":"shop","_rid":"boris","_kind":"person","customer_id":"2","email":"boris@x.ru","birth_date":"2005-01-01"}
{"_source":"web","_rid":"1","_kind":"event","event":"view","anon_id":"pc","ts":"2026-01-10T09:40:00Z"}
{"_source":"web","_rid":"2","_kind":"event","event":"view","anon_id":"pc","ts":"2026-01-10T08:00:00Z"}
{"_source":"web","_rid":"3","_kind":"event","event":"login","anon_id":"pc","customer_id":"1","ts":"2026-01-10T10:00:00Z"}
{"_source":"web","_rid":"4","_kind":"event","event":"view","anon_id":"pc","ts":"2026-01-10T10:30:00Z"}
{"_source":"web","_rid":"5","_kind":"event","event":"login","anon_id":"pc","customer_id":"2","ts":"2026-01-10T12:00:00Z"}
{"_source":"web","_rid":"6","_kind":"event","event":"view","anon_id":"pc","ts":"2026-01-10T12:05:00Z"}
{"_source":"web","_rid":"7","_kind":"event","event":"login","anon_id":"pc","email":"anna@x.ru","ts":"2026-01-10T14:00:00Z"}
{"_source":"web","_rid":"8","_kind":"event","event":"view","anon_id":"pc","ts":"2026-01-11T09:00:00Z"}
{"_source":"web","_rid":"9","_kind":"event","event":"view","anon_id":"pc"}
{"_source":"crm","_rid":"mother","_kind":"person","email":"family@x.ru","birth_date":"1961-03-14"}
{"_source":"crm","_rid":"son","_kind":"person","email":"family@x.ru","birth_date":"1991-03-14"}
{"_source":"web","_rid":"10","_kind":"event","event":"view","email":"family@x.ru"}
IN
    cdp-dedupe -q --show-values --links one.links --stats one.json -o one.ndjson in.ndjson
    sharded 3 sh --show-values --links sh.links --stats sh.json -- in.ndjson
    [ "$(cat sh/out-*.ndjson | sort | md5sum)" = "$(sort one.ndjson | md5sum)" ]
    cmp one.links sh.links
    # 09:40 and 10:30 Анна's, 12:05 Борис's, 08:00 and no time nobody's
    local anna boris
    anna=$(jq -r 'select(._rid == "anna") | .cdp_id' one.ndjson)
    boris=$(jq -r 'select(._rid == "boris") | .cdp_id' one.ndjson)
    [ "$(jq -r 'select(._source == "web") | ._rid + "=" + (if .cdp_id == null then "-" elif .cdp_id == "'"$anna"'" then "a" elif .cdp_id == "'"$boris"'" then "b" else "?" end)' \
        <(cat sh/out-*.ndjson) | sort -t= -k1n | tr '\n' ' ')" = "1=a 2=- 3=a 4=a 5=b 6=b 7=a 8=a 9=- 10=- " ]
    [ "$(jq -c '.shared_devices' sh.json)" = '{"events_attributed":4,"events_unattributed":2}' ]
    [ "$(jq -c '.graph.ambiguous_events' sh.json)" = 1 ]
    [ "$(jq -c '[.refused, .shared_devices, .graph]' sh.json)" = "$(jq -c '[.refused, .shared_devices, .graph]' one.json)" ]
}

@test "damaged or mismatched step files are refused, and nothing is written" {
    for i in 1 2 3 4 5 6 7; do echo "{\"_source\":\"crm\",\"_rid\":\"$i\",\"_kind\":\"person\",\"email\":\"p$((i % 3))@x.ru\"}"; done >in.ndjson
    sharded 2 sh -- in.ndjson
    [ "$(cat sh/out-0.ndjson sh/out-1.ndjson | wc -l)" -eq 7 ]
    [ "$(tail -n +2 sh/order | tr '\n' ' ')" = "0 1 1 0 1 0 1 " ]
    # Too few edges files for the order.
    run cdp-dedupe --resolve sh/order -o 'ids-%d' sh/edges-0.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: sh/order: the order of 2 shards, but 1 edges files given" ]
    # The shards swapped.
    run cdp-dedupe --resolve sh/order -o 'ids-%d' sh/edges-1.zst sh/edges-0.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: sh/edges-1.zst: record crm/2 is not of shard 0 of 2 (files swapped, or not made from cdp-shard's shards)" ]
    # An edges file cut short.
    zstd -dc sh/edges-0.zst | head -n -1 >cut.edges
    run cdp-dedupe --resolve sh/order -o 'ids-%d' cut.edges sh/edges-1.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: cut.edges: cut short (no end line)" ]
    # Edges made with other keys.
    cdp-dedupe -q --edges -k email -o other.edges sh/in-0.ndjson.zst
    run cdp-dedupe --resolve sh/order -o 'ids-%d' other.edges sh/edges-1.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: other.edges: made with other keys (--key) than this run's" ]
    [ ! -e ids-0 ] && [ ! -e ids-1 ]
    # The ids of another shard.
    run cdp-dedupe --apply sh/ids-1.zst -o out.ndjson sh/in-0.ndjson.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: sh/ids-1.zst: more rows than the input" ]
    [ ! -e out.ndjson ]
    run cdp-dedupe --apply sh/ids-0.zst -o out.ndjson sh/in-1.ndjson.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-dedupe: sh/in-1.ndjson.zst: more rows than its ids file gives" ]
    [ ! -e out.ndjson ]
    # --interleave: the shards must hold the rows the order gives them.
    run cdp-shard -n 1 --interleave sh/identified.order -o 'all-%d' sh/out-1.ndjson sh/out-0.ndjson
    [ "$status" -eq 1 ]
    [[ "${lines[0]}" == "cdp-shard: sh/out-"*" rows than sh/identified.order gives it" ]]
    run cdp-shard -n 1 --interleave sh/identified.order -o 'all-%d' sh/out-0.ndjson
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-shard: sh/identified.order: the order of 2 shards, but 1 files given" ]
    [ ! -e all-0 ]
}
