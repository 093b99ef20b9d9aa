#!/usr/bin/env bats
# cdp-segment over shards of profiles (--summarize, --join-summaries,
# --figures, --shard, --join-reports): the RFM scores and the VIP threshold
# of the whole population, the gone persons once, the report summed, so the
# shards' segments, audiences and report are one run's.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

SEG=(--as-of 2026-11-20 --use rfm,birthday,cart,lapsed,category,vip --holdout 10 --salt s)

@test "usage: one step at a time, the summary steps write only -o" {
    run cdp-segment --summarize --join-summaries -o x p.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-segment: --summarize, --join-summaries and --join-reports are steps: give one" ]
    run cdp-segment --summarize --split dir -o x p.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-segment: --summarize and --join-summaries write only -o: no --figures, --shard, --previous, --report, --history, --split or --rejects" ]
    run cdp-segment --use vip --join-summaries -o x
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-segment: --join-summaries needs the shards' files, one per shard" ]
    run cdp-segment --join-reports -o x r0.json
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-segment: --join-reports writes --report and --history only" ]
    run cdp-segment --use vip --shard 2/2 -o x p.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-segment: --shard takes I/N (shard I of N, 0 <= I < N), not '2/2'" ]
}

@test "10k generated persons over 4 shards of profiles: one run's segments and audiences" {
    cdp-gen -q -n 10k -o gen
    ingest_exports gen in
    cdp-dedupe -q -o linked.ndjson in/crm.ndjson.zst in/shop.ndjson.zst in/pos.ndjson.zst in/web.ndjson.zst
    cdp-merge -q --as-of 2026-11-20 -o profiles.ndjson linked.ndjson
    cdp-segment -q "${SEG[@]}" --split one-aud -o one.ndjson profiles.ndjson

    cdp-shard -q -n 4 --by cdp_id -o 'p-%d.ndjson' profiles.ndjson
    for i in 0 1 2 3; do
        run cdp-segment --summarize -o "sum-$i.ndjson" "p-$i.ndjson"
        [ "$status" -eq 0 ]
        [[ "$output" == "cdp-segment: "*" profiles read" ]]
    done
    cdp-segment -q "${SEG[@]}" --join-summaries -o figures.json sum-{0,1,2,3}.ndjson
    [ "$(jq -c '[.profiles, .buyers]' figures.json)" = "[13034,8018]" ]
    [ "$(tail -n 1 sum-0.ndjson | jq -r .end)" = 1 ]
    for i in 0 1 2 3; do
        cdp-segment -q "${SEG[@]}" --figures figures.json --split "aud-$i" -o "seg-$i.ndjson" "p-$i.ndjson"
    done
    [ "$(cat seg-{0,1,2,3}.ndjson | LC_ALL=C sort | md5sum)" = "$(md5sum <one.ndjson)" ]
    for f in one-aud/*.ndjson; do
        local name=${f#one-aud/}
        [ "$(cat aud-{0,1,2,3}/"$name" | LC_ALL=C sort | md5sum)" = "$(LC_ALL=C sort "$f" | md5sum)" ]
    done
    # Every score and the VIP segment are there, not trivially empty.
    [ "$(jq -r 'select(.rfm) | .rfm.f' one.ndjson | sort -u | tr '\n' ' ')" = "1 2 3 4 5 " ]
    [ "$(wc -l <one-aud/vip.ndjson)" -gt 100 ]
    # The F ranks of tied order counts depend on every shard: scored by its
    # own shard's population, F differs.
    cdp-segment -q "${SEG[@]}" -o alone-0.ndjson p-0.ndjson
    ! cmp -s alone-0.ndjson seg-0.ndjson
}

@test "--shard: each gone person is written by one shard; --join-reports gives one run's report and history" {
    # Last run: a, b, c, d; now c and d are gone, e is new.
    for id in a b c d; do echo "{\"cdp_id\":\"$id\",\"orders\":1,\"revenue\":10.25}"; done >prev-in.ndjson
    cdp-segment -q --as-of 2026-11-20 -s buyer='.orders > 0' -o prev.ndjson prev-in.ndjson
    for id in a b e; do echo "{\"cdp_id\":\"$id\",\"orders\":1,\"revenue\":10.25}"; done >now.ndjson
    local opts=(--as-of 2026-11-21 -s buyer='.orders > 0' --previous prev.ndjson)
    cdp-segment -q "${opts[@]}" --report one.json --history one.history -o one.ndjson now.ndjson
    cdp-shard -q -n 2 --by cdp_id -o 'now-%d.ndjson' now.ndjson
    for i in 0 1; do
        cdp-segment -q "${opts[@]}" --shard "$i/2" --report "r$i.json" -o "seg-$i.ndjson" "now-$i.ndjson"
    done
    [ "$(cat seg-0.ndjson seg-1.ndjson | LC_ALL=C sort)" = "$(LC_ALL=C sort one.ndjson)" ]
    [ "$(cat seg-0.ndjson seg-1.ndjson | grep -c '"gone":true')" -eq 2 ]
    run cdp-segment --join-reports --report joined.json --history joined.history r0.json r1.json
    [ "$status" -eq 0 ]
    [ "$output" = "cdp-segment: 3 profiles read" ]
    cmp joined.json one.json
    cmp joined.history one.history
    assert_file joined.json <<'OUT'
{"as_of":"2026-11-21","profiles":3,"gone":2,"segments":{"buyer":{"members":3,"holdout":0,"entered":1,"exited":2,"revenue":30.75,"revenue_mean":10.25,"errors":0}}}
OUT
    # Reports of other runs do not add up.
    cdp-segment -q --as-of 2026-11-22 -s buyer='.orders > 0' --report other.json -o /dev/null now-0.ndjson
    run cdp-segment --join-reports --report x.json r0.json other.json
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-segment: other.json: the report of another run (day, segments or deltas differ)" ]
    [ ! -e x.json ]
    # The report and the history line together, or neither: a history that
    # cannot be written leaves no report.
    run cdp-segment --join-reports --report y.json --history no-dir/h r0.json r1.json
    [ "$status" -eq 1 ]
    [ ! -e y.json ]
}

@test "a summary out of cdp_id order, cut short, or damaged figures are refused" {
    printf '%s\n' '{"cdp_id":"b","orders":1,"days_since_last_purchase":3,"revenue":10}' \
        '{"cdp_id":"a","orders":2,"days_since_last_purchase":5,"revenue":20}' >p.ndjson
    cdp-segment -q --summarize -o sum.ndjson p.ndjson
    run cdp-segment --use rfm --join-summaries -o f.json sum.ndjson
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-segment: sum.ndjson:2: damaged summary line: not in cdp_id order (profiles not as cdp-merge writes them)" ]
    sort p.ndjson >sorted.ndjson
    cdp-segment -q --summarize -o sum.ndjson sorted.ndjson
    head -n 1 sum.ndjson >cut.ndjson
    run cdp-segment --use rfm --join-summaries -o f.json cut.ndjson
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-segment: cut.ndjson: cut short (no end line)" ]
    [ ! -e f.json ]
    cdp-segment -q --use rfm --join-summaries -o f.json sum.ndjson
    assert_file f.json <<'OUT'
{"cdp_population":1,"profiles":2,"buyers":2,"recency":[3.3999999999999999,3.7999999999999998,4.2000000000000002,4.5999999999999996],"revenue":[12,14,16,18],"f0_orders":2,"f0_cdp_id":"a","f1_orders":2,"f1_cdp_id":"a","f2_orders":2,"f2_cdp_id":"a","f3_orders":2,"f3_cdp_id":"a","vip_threshold":1e308}
OUT
    # Ranks 1 (b) and 2 (a); every F edge (1.2 to 1.8) lies between them.
    cdp-segment -q --as-of 2026-11-20 --use rfm --figures f.json -o by-figures.ndjson sorted.ndjson
    cdp-segment -q --as-of 2026-11-20 --use rfm -o one.ndjson sorted.ndjson
    cmp by-figures.ndjson one.ndjson
    [ "$(jq -r '"\(.cdp_id) \(.rfm.f)"' one.ndjson | tr '\n' ' ')" = "a 5 b 1 " ]
    echo '{"cdp_population":1}' >bad.json
    run cdp-segment --use rfm --figures bad.json -o x.ndjson sorted.ndjson
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-segment: bad.json: not the figures of cdp-segment --join-summaries" ]
}
