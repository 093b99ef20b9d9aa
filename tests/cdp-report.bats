#!/usr/bin/env bats
# cdp-report: figures checked against independent computations (awk, jq),
# bad input, and the page in headless Chromium.

load helper

# A run folder with a campaign: 200 members sent it (40 bought), 100 held
# out (10 bought), on 2026-11-20; tonight is 2026-11-25.
campaign_folder() {
    local d=$1
    mkdir -p "$d/nights/2026-11-20"
    awk 'BEGIN {
        for (i = 1; i <= 300; i++) {
            arm = i <= 200 ? "\"segments\":[\"promo\"],\"holdout\":[]" : "\"segments\":[],\"holdout\":[\"promo\"]"
            printf "{\"cdp_id\":\"p%03d\",\"records\":1,%s}\n", i, arm
        }
    }' > "$d/nights/2026-11-20/segments.ndjson"
    cp "$d/nights/2026-11-20/segments.ndjson" "$d/segments.ndjson"
    # Buyers: p001..p040 (sent) and p201..p210 (held out), 1000.50 each;
    # p001 twice in one order, plus one purchase before the window.
    awk 'BEGIN {
        for (i = 1; i <= 40; i++) printf "{\"cdp_id\":\"p%03d\",\"ts\":\"2026-11-22T10:00:00Z\",\"event\":\"purchase\",\"order_id\":\"o%d\",\"amount\":1000.50}\n", i, i
        for (i = 201; i <= 210; i++) printf "{\"cdp_id\":\"p%03d\",\"ts\":\"2026-11-23T10:00:00Z\",\"event\":\"purchase\",\"amount\":1000.50}\n", i
        printf "{\"cdp_id\":\"p001\",\"ts\":\"2026-11-22T10:05:00Z\",\"event\":\"purchase\",\"order_id\":\"o1\",\"amount\":99.50}\n"
        printf "{\"cdp_id\":\"p050\",\"ts\":\"2026-11-20T10:00:00Z\",\"event\":\"purchase\",\"amount\":500}\n"
    }' > "$d/identified.ndjson"
    echo '{"as_of":"2026-11-25","profiles":300,"segments":{"promo":{"members":200,"holdout":100,"revenue":0.00,"revenue_mean":0.00,"errors":0}}}' > "$d/segments-history.ndjson"
    echo '{"program":"cdp-segment","counts":{"read":300,"written":300,"memberships":200}}' > "$d/stats-segment.json"
}

@test "cdp-report: a campaign's arms, uplift and Newcombe's interval as awk computes them" {
    d=$BATS_TEST_TMPDIR/run
    campaign_folder "$d"
    run cdp-report -q --campaign promo@2026-11-20 --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$status" -eq 0 ]
    jq -r '.campaigns[0] | [.sent.people, .sent.converted, .held_out.people, .held_out.converted,
        .sent.orders, .sent.revenue, .held_out.revenue, .observed_days, .verdict] | @tsv' "$d/r.json" |
        assert_file /dev/stdin <<< "200	40	100	10	40	40119.5	10005	5	up" || true
    got=$(jq -r '.campaigns[0] | [.sent.people, .sent.converted, .held_out.people, .held_out.converted,
        .sent.orders, .sent.revenue, .held_out.revenue, .observed_days, .verdict] | @tsv' "$d/r.json")
    [ "$got" = "$(printf '200\t40\t100\t10\t40\t40119.5\t10005\t5\tup')" ]
    # Newcombe (method 10) from Wilson's intervals, computed here in awk.
    want=$(awk 'function wl(x, n, z,   p, c, h) { p = x / n; c = (p + z*z/(2*n)) / (1 + z*z/n)
            h = z / (1 + z*z/n) * sqrt(p*(1-p)/n + z*z/(4*n*n)); L = c - h; U = c + h }
        BEGIN { z = 1.959963984540054; wl(40, 200, z); l1 = L; u1 = U; wl(10, 100, z); l0 = L; u0 = U
            p1 = 0.2; p0 = 0.1; d = p1 - p0
            printf "%.6f %.6f %.6f\n", d, d - sqrt((p1-l1)^2 + (u0-p0)^2), d + sqrt((u1-p1)^2 + (p0-l0)^2) }')
    got=$(jq -r '.campaigns[0].conversion | "\(.uplift) \(.ci_low) \(.ci_high)"' "$d/r.json" |
        awk '{ printf "%.6f %.6f %.6f\n", $1, $2, $3 }')
    [ "$got" = "$want" ]
    # Relative uplift 100%; the z-test p-value by awk.
    [ "$(jq '.campaigns[0].conversion.relative_uplift' "$d/r.json")" = 1 ]
    want=$(awk 'BEGIN { p = 50/300; z = 0.1 / sqrt(p*(1-p)*(1/200 + 1/100)); printf "%.4f\n", z }')
    [ "$want" = 2.1909 ]
    grep -q 'v-up' "$d/r.html"
}

@test "cdp-report: a segment without a control group gets no lift, and the page says so" {
    d=$BATS_TEST_TMPDIR/run
    campaign_folder "$d"
    sed -i 's/"holdout":\["promo"\]/"holdout":[]/' "$d/nights/2026-11-20/segments.ndjson"
    run cdp-report -q --lang en --campaign promo@2026-11-20 --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.campaigns[0].verdict' "$d/r.json")" = no_holdout ]
    grep -q 'No control group' "$d/r.html"
}

@test "cdp-report: a campaign date with no segment output, a missing history, a damaged stats file" {
    d=$BATS_TEST_TMPDIR/run
    campaign_folder "$d"
    rm "$d/segments-history.ndjson"
    echo '{"program":' > "$d/stats-bad.json"
    run cdp-report --campaign promo@2026-11-19 --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$status" -eq 1 ]
    [[ $output == *"no segment output kept for 2026-11-19"* ]]
    [[ $output == *"no segment history"* ]]
    [[ $output == *"stats-bad.json:1"* ]]
    # The rest is still written.
    [ -s "$d/r.html" ]
    [ "$(jq '.identity.persons' "$d/r.json")" = 300 ]
}

@test "cdp-report: usage errors" {
    run cdp-report --lang de
    [ "$status" -eq 2 ]
    [[ $output == *"--lang takes en or ru, not 'de'"* ]]
    run cdp-report --campaign promo
    [ "$status" -eq 2 ]
    run cdp-report --window 0
    [ "$status" -eq 2 ]
}

# Three nights of examples/nightly.sh, once for the file.
nights() {
    out=$BATS_FILE_TMPDIR/nightly
    [ -f "$out/report.json" ] && return
    for day in 2026-11-20 2026-11-21 2026-11-22; do
        CDP_AS_OF=$day CDP_CAMPAIGNS="--campaign abandoned_cart@2026-11-20" \
            "$BATS_TEST_DIRNAME/../examples/nightly.sh" "$BATS_TEST_DIRNAME/../examples" "$out" >/dev/null 2>&1
    done
}

@test "cdp-report: the examples' segment sizes, carts and categories as jq computes them" {
    nights
    r=$out/report.json
    [ "$(jq -c .audiences.nights "$r")" = '["2026-11-20","2026-11-21","2026-11-22"]' ]
    want=$(jq -sc 'map(.segments | map_values(.members)) ' "$out/segments-history.ndjson")
    got=$(jq -c '[range(0; 3) as $i | .audiences.segments | map_values(.members[$i])]' "$r")
    [ "$got" = "$want" ]
    want=$(jq -c '.segments | map_values([.entered, .exited])' "$out/segments-report.json")
    got=$(jq -c '.audiences.segments | map_values([.entered, .exited])' "$r")
    [ "$got" = "$want" ]
    # Abandoned carts and their value, from the segment output.
    want=$(zstd -dc "$out/segments.ndjson.zst" | jq -s '[.[] | select(.abandoned_cart)] | "\(length) \(map(.abandoned_cart.value) | add)"')
    got=$(jq '.carts | "\(.abandoned) \(.abandoned_value)"' "$r")
    [ "$got" = "$want" ]
    # Carts created: a cart_add in the 30 days up to 2026-11-22, or an open cart.
    want=$(
        { zstd -dc "$out/identified.ndjson.zst" | jq -r 'select(.event == "cart_add" and .ts >= "2026-10-24" and .ts < "2026-11-23") | .cdp_id'
          zstd -dc "$out/segments.ndjson.zst" | jq -r 'select(.abandoned_cart) | .cdp_id'; } | sort -u | wc -l)
    [ "$(jq .carts.created "$r")" -eq "$want" ]
    [ "$(jq '.carts.abandonment_rate * 1e6 | round' "$r")" = "$(jq -n "$(jq .carts.abandoned "$r") / $want * 1e6 | round")" ]
    # Revenue per category.
    want=$(zstd -dc "$out/segments.ndjson.zst" | jq -sc '[.[].categories // {} | to_entries[]] | group_by(.key) |
        map({key: .[0].key, value: (map(.value.revenue) | add)}) | from_entries')
    got=$(jq -c '.carts.categories | map({key: .name, value: .revenue}) | from_entries' "$r")
    [ "$(jq -cS . <<< "$got")" = "$(jq -cS . <<< "$want")" ]
    # The persons and the histogram add up.
    [ "$(jq '.identity.persons' "$r")" = "$(zstd -dc "$out/segments.ndjson.zst" | wc -l)" ]
    [ "$(jq '[.identity.records_per_person[]] | add' "$r")" = "$(jq .identity.persons "$r")" ]
}

@test "cdp-report: --lang ru and en give the same figures" {
    nights
    cdp-report -q --lang ru --json "$BATS_TEST_TMPDIR/ru.json" -o "$BATS_TEST_TMPDIR/ru.html" "$out"
    cdp-report -q --lang en --json "$BATS_TEST_TMPDIR/en.json" -o "$BATS_TEST_TMPDIR/en.html" "$out"
    cmp "$BATS_TEST_TMPDIR/ru.json" "$BATS_TEST_TMPDIR/en.json"
    grep -q '<html lang="ru">' "$BATS_TEST_TMPDIR/ru.html"
    grep -q 'Ночной отчёт' "$BATS_TEST_TMPDIR/ru.html"
    grep -q 'Nightly report' "$BATS_TEST_TMPDIR/en.html"
}

@test "cdp-report: the page in headless Chromium: no console messages, no requests, every section, not blank" {
    command -v chromium >/dev/null || skip "chromium is not installed (.ci/deps check)"
    nights
    t=$BATS_TEST_TMPDIR
    for s in run identity audiences campaigns carts; do grep -q "<section id=\"$s\">" "$out/report.html"; done
    [ "$(grep -o '<svg class="chart' "$out/report.html" | wc -l)" -ge 10 ]
    ! grep -Eq '(src|href)="https?:' "$out/report.html"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$t/profile" --enable-logging=stderr --v=0 --log-net-log="$t/net.json" \
        --window-size=1280,4000 --screenshot="$t/page.png" "file://$out/report.html" 2>"$t/log.txt" || true
    [ -s "$t/page.png" ]
    ! grep CONSOLE "$t/log.txt"
    # The page requested nothing but itself (Chromium's own calls to
    # Google's update and account services, which its flags do not all
    # stop, are the browser's, not the page's).
    grep -q "file://$out/report.html" "$t/net.json"
    others=$(grep -o '"url":"[^"]*"' "$t/net.json" | sort -u | grep -v "\"url\":\"file://$out/report.html\"" |
        grep -Ev '"url":"https?://[a-z0-9.]*(google\.com|googleapis\.com)/' || true)
    [ -z "$others" ]
    # Not blank: many different colours in the screenshot.
    colours=$(python3 -c 'import sys, zlib, struct
d = open(sys.argv[1], "rb").read(); print(len(set(d[i:i+3] for i in range(100, len(d) - 3, 97))))' "$t/page.png")
    [ "$colours" -gt 100 ]
}
