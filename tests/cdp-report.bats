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

@test "cdp-report: a campaign's arms, Newcombe's interval, the z-test and Welch's interval as computed here" {
    d=$BATS_TEST_TMPDIR/run
    campaign_folder "$d"
    run cdp-report -q --campaign promo@2026-11-20 --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$status" -eq 0 ]
    jq -r '.campaigns[0] | [.sent.people, .sent.converted, .held_out.people, .held_out.converted,
        .sent.orders, .sent.revenue, .held_out.revenue, .observed_days, .verdict] | @tsv' "$d/r.json" >"$d/arms"
    assert_file "$d/arms" <<< "200	40	100	10	40	40119.5	10005	5	up"
    # Newcombe (method 10) from Wilson's intervals, computed here in awk.
    want=$(awk 'function wl(x, n, z,   p, c, h) { p = x / n; c = (p + z*z/(2*n)) / (1 + z*z/n)
            h = z / (1 + z*z/n) * sqrt(p*(1-p)/n + z*z/(4*n*n)); L = c - h; U = c + h }
        BEGIN { z = 1.959963984540054; wl(40, 200, z); l1 = L; u1 = U; wl(10, 100, z); l0 = L; u0 = U
            p1 = 0.2; p0 = 0.1; d = p1 - p0
            printf "%.6f %.6f %.6f\n", d, d - sqrt((p1-l1)^2 + (u0-p0)^2), d + sqrt((u1-p1)^2 + (p0-l0)^2) }')
    got=$(jq -r '.campaigns[0].conversion | "\(.uplift) \(.ci_low) \(.ci_high)"' "$d/r.json" |
        awk '{ printf "%.6f %.6f %.6f\n", $1, $2, $3 }')
    [ "$got" = "$want" ]
    [ "$(jq '.campaigns[0].conversion.relative_uplift' "$d/r.json")" = 1 ]
    # The arms, the z-test's p-value and Welch's intervals for revenue and
    # orders per person, from the segment output and the events by python3
    # (erfc, and Student's t by integrating its density: not cdp-report's
    # method).
    want=$(python3 "$BATS_TEST_DIRNAME/tools/campaign-stats.py" "$d/nights/2026-11-20/segments.ndjson" \
        "$d/identified.ndjson" promo 2026-11-20 14)
    got=$(jq -r '.campaigns[0] | "\(.sent.converted) \(.sent.people) \(.held_out.converted) \(.held_out.people) " +
        "\(.conversion.p) " + ([.revenue_per_person, .orders_per_person] |
            map("\(.difference) \(.ci_low) \(.ci_high) \(.df) \(.p)") | join(" "))' "$d/r.json" |
        awk '{ printf "%s %s %s %s %.6f %.4f %.4f %.4f %.4f %.6f %.4f %.4f %.4f %.4f %.6f\n",
            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 }')
    [ "$got" = "$want" ]
    # The case itself, so that a broken helper cannot pass unseen.
    [[ $want == "40 200 10 100 0.028460 100.5475 18.8943 182.2007 "*" 0.1000 0.0185 0.1815 "* ]]
    grep -q 'v-up' "$d/r.html"
    # --window 2: purchases on 21 and 22 November only, so the control
    # group's (on the 23rd) fall outside it.
    cdp-report -q --window 2 --campaign promo@2026-11-20 --json "$d/w.json" -o "$d/w.html" "$d"
    want=$(python3 "$BATS_TEST_DIRNAME/tools/campaign-stats.py" "$d/nights/2026-11-20/segments.ndjson" \
        "$d/identified.ndjson" promo 2026-11-20 2 | cut -d' ' -f1-4)
    [ "$(jq -r '.campaigns[0] | "\(.sent.converted) \(.sent.people) \(.held_out.converted) \(.held_out.people) \(.window_days) \(.observed_days)"' "$d/w.json")" = "$want 2 2" ]
    [ "$want" = "40 200 0 100" ]
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
    run --separate-stderr cdp-report --campaign promo@2026-11-19 --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    # Each problem once, where it is, as the program names its files (the
    # folder as given); no "(null)" where a message has no file:line.
    assert_file <(printf '%s\n' "${stderr_lines[@]}") <<OUT
cdp-report: $d/segments-history.ndjson: no segment history (cdp-segment --history): no sizes over time
cdp-report: $d/stats-bad.json:1: damaged stats line: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.
cdp-report: campaign promo@2026-11-19: no segment output kept for 2026-11-19 ($d/nights/2026-11-19/segments.ndjson.zst)
cdp-report: 3 problems, 1 campaigns
OUT
    # The rest is still written, and the page says what is missing.
    [ "$(jq '.identity.persons' "$d/r.json")" = 300 ]
    [ "$(jq -c '[.problems[] | select(.error) | .section]' "$d/r.json")" = '["audiences","run","campaigns"]' ]
    grep -qF 'no segment output kept for 2026-11-19' "$d/r.html"
    grep -qF 'stats-bad.json:1: damaged stats line' "$d/r.html"
    grep -qF 'no segment history' "$d/r.html"
    [ "$(jq -r '.campaigns[0] | "\(.found) \(.verdict)"' "$d/r.json")" = "false no_data" ]
}

@test "cdp-report: model links and their match weights, as jq computes them from --links" {
    d=$BATS_TEST_TMPDIR/run
    campaign_folder "$d"
    cdp-report -q --lang en --json "$d/r.json" -o "$d/r.html" "$d"
    # Without a links file: no figures, and the page says why.
    [ "$(jq -c '.identity.links' "$d/r.json")" = null ]
    grep -qF 'no links file (cdp-dedupe --links): links used and refused not shown' "$d/r.html"
    ! grep -qF 'Model links by match weight' "$d/r.html"
    # A links file without model links: the page says --model was not used.
    cdp-dedupe -q --links "$d/links.ndjson" "$FIX/model/people.ndjson" > /dev/null
    cdp-report -q --lang en --json "$d/r.json" -o "$d/r.html" "$d"
    [ "$(jq -c '.identity.links.model_links' "$d/r.json")" = 0 ]
    grep -qF 'No model links (cdp-dedupe ran without --model).' "$d/r.html"
    # cdp-dedupe --model on the people of the model tests: three links
    # used (weights 22.2, 22.2, 13.4) and one refused.
    cdp-dedupe -q --model "$CDP_SHARE/models/person.json" --no-train --links "$d/links.ndjson" \
        "$FIX/model/people.ndjson" > /dev/null
    cdp-report -q --lang en --json "$d/r.json" -o "$d/r.html" "$d"
    want=$(jq -sc '[.[] | select(.link == "used" and .key == "model") | .match.weight] |
        {model_links: length, model_weight: {min: min, max: max, mean: (add / length),
         bins: (reduce .[] as $w ({"<5": 0, "5-10": 0, "10-15": 0, "15-20": 0, "20-25": 0, "25-30": 0, "30-35": 0, "35+": 0};
            .[if $w < 5 then "<5" elif $w >= 35 then "35+" else "\(($w / 5 | floor) * 5)-\(($w / 5 | floor) * 5 + 5)" end] += 1))}}' \
        "$d/links.ndjson")
    got=$(jq -c '.identity.links | {model_links, model_weight} | .model_weight.mean |= (. * 1e6 | round / 1e6)' "$d/r.json")
    [ "$got" = "$(jq -c '.model_weight.mean |= (. * 1e6 | round / 1e6)' <<< "$want")" ]
    [ "$(jq -c '.identity.links | [.model_links, .refused_by_key.model]' "$d/r.json")" = '[3,1]' ]
    grep -qF 'Model links by match weight' "$d/r.html"
    ! grep -qF 'No model links' "$d/r.html"
}

@test "cdp-report: usage errors exit 2 with one line, and write nothing" {
    cd "$BATS_TEST_TMPDIR"
    run cdp-report --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-report [OPTION]... [DIR]" ]
    bad() {
        local want=$1
        shift
        run --separate-stderr cdp-report --json r.json -o r.html "$@"
        [ "$status" -eq 2 ] || { echo "status $status for $*" >&2; return 1; }
        [ "${stderr_lines[0]}" = "cdp-report: $want" ] || { echo "got: ${stderr_lines[0]}" >&2; return 1; }
        [ "${stderr_lines[1]}" = "Try 'cdp-report --help' for more information." ]
        [ -z "$output" ] && [ ! -e r.json ] && [ ! -e r.html ]
    }
    bad "--lang takes en or ru, not 'de'" --lang de
    bad "--campaign takes SEGMENT@YYYY-MM-DD, not 'promo'" --campaign promo
    bad "--campaign takes SEGMENT@YYYY-MM-DD, not 'promo@2026-13-01'" --campaign promo@2026-13-01
    bad "--window takes days, 1 to 3650, not '0'" --window 0
    bad "one run folder only, not 2" a b
}

# The three nights of examples/nights.sh, once for the file.
nights() {
    out=$BATS_FILE_TMPDIR/nightly
    [ -f "$out/report.json" ] && return
    "$BATS_TEST_DIRNAME/../examples/nights.sh" "$BATS_TEST_DIRNAME/../examples" "$out" >/dev/null 2>&1
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

@test "cdp-report: the examples' run, identity, overlap, RFM grid and rooms as jq computes them" {
    nights
    r=$out/report.json
    # The run: each stats file as it is, tonight's and each night's kept
    # copy; the rejects files' lines.
    for f in "$out"/stats-*.json "$out"/nights/*/stats-*.json; do
        label=$(basename "$f" .json)
        label=${label#stats-}
        case $f in
        */nights/*) day=$(basename "$(dirname "$f")")
            got=$(jq -cS --arg d "$day" --arg l "$label" '.run.nights[] | select(.date == $d) | .stats[$l] | del(.source)' "$r") ;;
        *) got=$(jq -cS --arg l "$label" '.run.tonight[$l] | del(.source, .rejects_file, .rejects_lines)' "$r") ;;
        esac
        [ "$got" = "$(jq -cS . "$f")" ] || { echo "$f: $got" >&2; return 1; }
    done
    [ "$(jq -c '[.run.nights[].date]' "$r")" = '["2026-11-20","2026-11-21","2026-11-22"]' ]
    want=$(for s in crm pos shop web; do printf '%s %s\n' "$s" "$(wc -l < "$out/rejects-$s.ndjson")"; done)
    [ "$(jq -r '.run.tonight[] | select(.source) | "\(.source) \(.rejects_lines)"' "$r")" = "$want" ]
    [ "$want" = $'crm 1\npos 0\nshop 1\nweb 1' ]
    # Identity: persons, records, cross-source persons and the histogram
    # from the profiles' records and sources; the largest clusters.
    zstd -dc "$out/segments.ndjson.zst" > "$BATS_TEST_TMPDIR/profiles.ndjson"
    p=$BATS_TEST_TMPDIR/profiles.ndjson
    want=$(jq -sc '{persons: length, records: (map(.records // 1) | add),
        cross_source: map(select((.sources // {}) | length > 1)) | length,
        records_per_person: (map(.records // 1 | if . <= 5 then tostring elif . <= 10 then "6-10"
            elif . <= 20 then "11-20" else "21+" end) | group_by(.) | map({key: .[0], value: length}) | from_entries)}' "$p" | jq -cS .)
    got=$(jq -cS '.identity | {persons, records, cross_source,
        records_per_person: (.records_per_person | with_entries(select(.value > 0)))}' "$r")
    [ "$got" = "$want" ]
    [ "$(jq -c '.identity | [.persons, .records, .cross_source]' "$r")" = '[49,295,38]' ]
    want=$(jq -sc 'sort_by(-(.records // 1), .cdp_id) | .[:10] | map({cdp_id, records,
        sources: (.sources | to_entries | map("\(.key) \(.value | length)") | join(", ")),
        emails: (.emails // [] | length), phones: (.phones // [] | length), cards: (.cards // [] | length)})' "$p")
    [ "$(jq -c '.identity.largest | map(del(.name))' "$r")" = "$want" ]
    # Links used by key, refused by reason and by key, from --links.
    want=$(jq -sc 'def count(f): group_by(f) | map({key: (.[0] | f), value: length}) | from_entries;
        {used_by_key: (map(select(.link == "used")) | count(.key)),
         refused_by_reason: (map(select(.link != "used")) | count(.reason)),
         refused_by_key: (map(select(.link != "used")) | count(.key)),
         model_links: map(select(.link == "used" and .key == "model")) | length}' "$out/links.ndjson" | jq -cS .)
    [ "$(jq -cS '.identity.links' "$r")" = "$want" ]
    # Audiences: the held out per night and revenue from the history, the
    # overlap of every two segments and the RFM grid from the profiles.
    want=$(jq -sc 'map(.segments | map_values(.holdout))' "$out/segments-history.ndjson")
    [ "$(jq -c '[range(0; 3) as $i | .audiences.segments | map_values(.holdout[$i])]' "$r")" = "$want" ]
    want=$(jq -sc 'last | .segments | map_values(.revenue)' "$out/segments-history.ndjson")
    [ "$(jq -c '.audiences.segments | map_values(.revenue)' "$r")" = "$want" ]
    want=$(jq -sc '[.[] | .segments as $s | $s[] as $a | $s[] as $b | "\($a) \($b)"] | group_by(.) |
        map({key: .[0], value: length}) | from_entries' "$p" | jq -cS .)
    got=$(jq -c '[.audiences.segments | to_entries[] | .key as $a | .value.overlap // {} | to_entries[] |
        {key: "\($a) \(.key)", value}] | from_entries' "$r" | jq -cS .)
    [ "$got" = "$want" ]
    want=$(jq -sc '[.[] | select(.rfm.r and .rfm.f)] | {rfm_profiles: length, rfm: (group_by([.rfm.r, .rfm.f]) |
        map({r: .[0].rfm.r, f: .[0].rfm.f, count: length, revenue: (map(.revenue // 0) | add)}))}' "$p")
    [ "$(jq -c '{rfm_profiles: .audiences.rfm_profiles, rfm: [.audiences.rfm[] | select(.count > 0)]}' "$r")" = "$want" ]
    [ "$(jq -c '[(.audiences.rfm | length), .audiences.rfm_profiles, (.audiences.rfm | map(.count) | add)]' "$r")" = '[25,26,26]' ]
    # Categories: buyers, orders, revenue and viewers from the profiles'
    # categories; the room each person is furnishing is the category they
    # bought or viewed in last (the larger name on a tie), within 90 days
    # of 2026-11-22. One person's living room (bought 2026-11-21) after a
    # kitchen (2026-10-03) is the case that was once counted as a kitchen.
    want=$(jq -sc --arg cut 2026-08-25 '[.[] | .categories // {} | to_entries[]] as $all |
        [.[] | .categories // {} | to_entries | map({key, at: ([.value.last_at, .value.last_view_at] | map(values) | max)} |
            select(.at and .at[:10] >= $cut)) | max_by([.at, .key]) | .key | values] as $rooms |
        {furnishing: ($rooms | length), categories: ($all | group_by(.key) | map(.[0].key as $k | {name: $k,
            buyers: map(select(.value.orders > 0)) | length, orders: (map(.value.orders | select(. > 0)) | add // 0),
            revenue: (map(.value.revenue // 0) | add), viewers: map(select(.value.views > 0)) | length,
            furnishing: ($rooms | map(select(. == $k)) | length)}) | sort_by(-.revenue, .name))}' "$p")
    [ "$(jq -c '{furnishing: .carts.furnishing, categories: .carts.categories}' "$r")" = "$want" ]
    [ "$(jq -r '.carts.categories | map("\(.name) \(.furnishing)") | join(", ")' "$r")" = \
        "Кухня 4, Спальня 4, Гостиная 6, Детская 4, Текстиль 8, Прихожая 2" ]
}

@test "cdp-report: the examples' campaign, merges and recovered carts as jq computes them" {
    nights
    r=$out/report.json
    # Ids merged since the night before: the journal lines of the runs after
    # the last one kept with 2026-11-21.
    last=$(jq -s 'map(.run) | max // 0' "$out/nights/2026-11-21/identity.journal.ndjson")
    want=$(jq -sc --argjson last "$last" 'map(select(.run > $last)) | [length, map({from, to, key})]' \
        "$out/identity.journal.ndjson")
    got=$(jq -c '.identity.journal | [.merged, (.entries | map({from, to, key}))]' "$r")
    [ "$got" = "$want" ]
    [ "$(jq .identity.journal.merged "$r")" -ge 1 ]
    # Merged ids, from -> to, as jq follows them (one step is enough here).
    jq -s 'map(select(.reason == "merged") | {key: .from, value: .to}) | from_entries' \
        "$out/identity.journal.ndjson" >"$BATS_TEST_TMPDIR/merged.json"
    # The campaign: who was in abandoned_cart on 2026-11-20 and who was held
    # out, and who of them bought from 21 November on.
    zstd -dc "$out/nights/2026-11-20/segments.ndjson.zst" | jq -c --slurpfile m "$BATS_TEST_TMPDIR/merged.json" '
        select(.segments + .holdout | index("abandoned_cart")) |
        {id: ($m[0][.cdp_id] // .cdp_id), sent: (.segments | index("abandoned_cart") != null)}' >"$BATS_TEST_TMPDIR/arms"
    zstd -dc "$out/identified.ndjson.zst" | jq -r 'select(.event == "purchase" and .ts >= "2026-11-21") | .cdp_id' |
        sort -u >"$BATS_TEST_TMPDIR/buyers"
    want=$(jq -rs --rawfile b "$BATS_TEST_TMPDIR/buyers" '($b | split("\n")) as $buyers |
        [true, false] | map(. as $s | [$all[] | select(.sent == $s)] | "\(length) \(map(select(.id as $i | $buyers | index($i))) | length)") |
        join(" ")' --slurpfile all "$BATS_TEST_TMPDIR/arms" /dev/null)
    got=$(jq -r '.campaigns[0] | "\(.sent.people) \(.sent.converted) \(.held_out.people) \(.held_out.converted)"' "$r")
    [ "$got" = "$want" ]
    [ "$got" = "6 3 2 0" ]
    [ "$(jq -r .campaigns[0].verdict "$r")" = not_enough_people ]
    # In plain words on the page, as the interval crosses zero.
    [ "$(jq -r '.campaigns[0].conversion | .ci_low < 0 and .ci_high > 0' "$r")" = true ]
    grep -qF 'Not enough people to tell: the interval crosses zero.' "$out/report.html"
    # Carts recovered: open on 2026-11-21 (ids followed), bought since.
    zstd -dc "$out/nights/2026-11-21/segments.ndjson.zst" | jq -r --slurpfile m "$BATS_TEST_TMPDIR/merged.json" '
        select(.abandoned_cart) | $m[0][.cdp_id] // .cdp_id' | sort -u >"$BATS_TEST_TMPDIR/open"
    zstd -dc "$out/identified.ndjson.zst" | jq -r 'select(.event == "purchase" and .ts >= "2026-11-22") | .cdp_id' |
        sort -u >"$BATS_TEST_TMPDIR/buyers"
    want="$(wc -l <"$BATS_TEST_TMPDIR/open") $(comm -12 "$BATS_TEST_TMPDIR/open" "$BATS_TEST_TMPDIR/buyers" | wc -l)"
    [ "$(jq -r '.carts | "\(.previous_abandoned) \(.recovered)"' "$r")" = "$want" ]
    [ "$want" = "7 2" ]
    # What the recovered carts held on 2026-11-21, and the recovery rate.
    want=$(zstd -dc "$out/nights/2026-11-21/segments.ndjson.zst" | jq -s --slurpfile m "$BATS_TEST_TMPDIR/merged.json" \
        --rawfile b "$BATS_TEST_TMPDIR/buyers" '($b | split("\n")) as $buyers |
        [.[] | select(.abandoned_cart) | select(($m[0][.cdp_id] // .cdp_id) as $i | $buyers | index($i)) |
            .abandoned_cart.value] | add')
    [ "$(jq '.carts.recovered_value' "$r")" = "$want" ]
    [ "$(jq '.carts.recovery_rate * 1e9 | round' "$r")" = "$(jq -n '2 / 7 * 1e9 | round')" ]
    # The page links the rejects files of the sources that have some.
    [ "$(grep -o 'href="rejects-[a-z]*\.ndjson"' "$out/report.html" | sort -u | paste -sd' ')" = \
        'href="rejects-crm.ndjson" href="rejects-shop.ndjson" href="rejects-web.ndjson"' ]
}

@test "cdp-report: names and link values masked unless --show-values; the page and JSON readable by their owner only" {
    nights
    t=$BATS_TEST_TMPDIR
    (umask 000 && cdp-report -q --json "$t/r.json" -o "$t/r.html" "$out")
    [ "$(stat -c %a "$t/r.json") $(stat -c %a "$t/r.html")" = "600 600" ]
    # No name, e-mail or phone of the examples in clear, on the page or in the JSON.
    zstd -dc "$out/segments.ndjson.zst" | jq -r '.first_name, .last_name, .email, .phone | values' |
        sort -u >"$t/values"
    [ "$(wc -l <"$t/values")" -gt 50 ]
    ! grep -Fwf "$t/values" "$t/r.html" "$t/r.json"
    [ "$(jq -r .identity.values "$t/r.json")" = masked ]
    [ "$(jq -r '.identity.journal.entries[0].value' "$t/r.json")" = "6e***f1" ]
    cdp-report -q --show-values --json "$t/s.json" -o "$t/s.html" "$out"
    [ "$(jq -r .identity.values "$t/s.json")" = shown ]
    name=$(zstd -dc "$out/segments.ndjson.zst" | jq -r --arg id "$(jq -r '.identity.largest[0].cdp_id' "$t/s.json")" \
        'select(.cdp_id == $id) | "\(.first_name) \(.last_name)"')
    [ "$(jq -r '.identity.largest[0].name' "$t/s.json")" = "$name" ]
    grep -qF "$name" "$t/s.html"
}

@test "cdp-report: --lang ru and en give the same figures" {
    nights
    cdp-report -q --lang ru --json "$BATS_TEST_TMPDIR/ru.json" -o "$BATS_TEST_TMPDIR/ru.html" "$out"
    cdp-report -q --lang en --json "$BATS_TEST_TMPDIR/en.json" -o "$BATS_TEST_TMPDIR/en.html" "$out"
    cmp "$BATS_TEST_TMPDIR/ru.json" "$BATS_TEST_TMPDIR/en.json"
    grep -q '<html lang="ru">' "$BATS_TEST_TMPDIR/ru.html"
    grep -q 'Ночной отчёт' "$BATS_TEST_TMPDIR/ru.html"
    grep -q 'Nightly report' "$BATS_TEST_TMPDIR/en.html"
    # The value of the abandoned carts and the abandonment rate as each
    # language writes them (digits grouped by commas, or by no-break spaces
    # with a comma for the decimals), formatted here from the JSON.
    read -r en_value ru_value en_rate ru_rate < <(jq -r '.carts | [.abandoned_value, .abandonment_rate] | @tsv' \
        "$BATS_TEST_TMPDIR/en.json" | python3 -c 'import sys
v, r = map(float, sys.stdin.read().split())
print("%s %s %s %s" % ("\u20bd{:,.0f}".format(v), "{:,.0f}".format(v).replace(",", "\u00a0") + "\u00a0\u20bd",
    "%.1f%%" % (r * 100), ("%.1f" % (r * 100)).replace(".", ",") + "\u00a0%"))')
    [ "$en_value $ru_value $en_rate" = $'\xe2\x82\xbd238,920 238\xc2\xa0920\xc2\xa0\xe2\x82\xbd 37.5%' ]
    grep -qF "<b>$en_value</b><span>value in them" "$BATS_TEST_TMPDIR/en.html"
    grep -qF "<b>$ru_value</b>" "$BATS_TEST_TMPDIR/ru.html"
    grep -qF "<b>$en_rate</b>" "$BATS_TEST_TMPDIR/en.html"
    grep -qF "<b>$ru_rate</b>" "$BATS_TEST_TMPDIR/ru.html"
}

# Chromium, headless, with no way out: every host name resolves to
# nothing and every connection goes to a closed port, so a request the page
# makes fails fast instead of waiting for the network; the net log records
# it all the same.
chromium_shot() { # HTML PNG NETLOG LOG
    timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="http://127.0.0.1:9" \
        --user-data-dir="$BATS_TEST_TMPDIR/profile" --enable-logging=stderr --v=0 --log-net-log="$3" \
        --window-size=1280,4000 --screenshot="$2" "file://$1" 2>"$4" || true
}

@test "cdp-report: on a phone-sized window the page does not scroll sideways" {
    command -v chromium >/dev/null || skip "chromium is not installed (.ci/deps check)"
    nights
    t=$BATS_TEST_TMPDIR
    # A copy of the page, without its policy, with a script that writes the
    # page's width and the window's into the title once laid out. Headless
    # Chromium makes a window 500 px wide at the least (390 asked): wide
    # tables and charts scroll inside their own boxes, not the page.
    sed 's/<meta http-equiv="Content-Security-Policy"[^>]*>//; s#</body>#<script>window.onload = function () { document.title = "width " + document.documentElement.scrollWidth + " " + window.innerWidth; };</script></body>#' \
        "$out/report.html" >"$t/phone.html"
    title=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$t/profile" \
        --window-size=390,2000 --dump-dom "file://$t/phone.html" 2>/dev/null | grep -o '<title>width [0-9]* [0-9]*')
    read -r _ page window <<< "${title#<title>}"
    [ "$window" -le 500 ]
    [ "$page" -le "$window" ]
}

@test "cdp-report: the page in headless Chromium: no console messages, no requests, every section, not blank" {
    command -v chromium >/dev/null || skip "chromium is not installed (.ci/deps check)"
    nights
    t=$BATS_TEST_TMPDIR
    for s in run identity audiences campaigns carts; do grep -q "<section id=\"$s\">" "$out/report.html"; done
    [ "$(grep -o '<svg class="chart' "$out/report.html" | wc -l)" -ge 10 ]
    # Nothing in the markup could fetch: no script, link, image, frame or
    # style sheet URL; the only links are the rejects files beside it and
    # the sections of the page.
    ! grep -Eiq '<(script|link|img|iframe|object|embed)|src=|url\(|@import' "$out/report.html"
    [ -z "$(grep -o 'href="[^"]*"' "$out/report.html" | grep -Ev '^href="(rejects-[a-z]*\.ndjson|#[a-z]*)"$')" ]
    chromium_shot "$out/report.html" "$t/page.png" "$t/net.json" "$t/log.txt"
    [ -s "$t/page.png" ]
    # Under the page's policy (default-src 'none') an attempt to load
    # anything is refused and said on the console; there is none.
    ! grep CONSOLE "$t/log.txt"
    # And the net log holds no request of the page's: only Chromium's own
    # background calls, which its initiator tells apart (see the tool).
    python3 "$BATS_TEST_DIRNAME/tools/netlog-requests.py" "$t/net.json" >"$t/requests"
    assert_file "$t/requests" </dev/null
    # The same check sees a request a page makes: the page without its
    # policy and with an image from elsewhere.
    sed 's/<meta http-equiv="Content-Security-Policy"[^>]*>//; s#</footer>#<img src="http://probe.invalid/x.png"></footer>#' \
        "$out/report.html" >"$t/probe.html"
    chromium_shot "$t/probe.html" "$t/probe.png" "$t/probe-net.json" "$t/probe-log.txt"
    python3 "$BATS_TEST_DIRNAME/tools/netlog-requests.py" "$t/probe-net.json" >"$t/requests"
    assert_file "$t/requests" <<< "http://probe.invalid/x.png"
    # Not blank: the screenshot's pixel rows (decoded here) vary a lot; a
    # blank page's are all alike.
    rows=$(python3 -c 'import sys, zlib, struct
d = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", d[16:24]); i, idat = 8, b""
while i < len(d):
    n, kind = struct.unpack(">I4s", d[i:i + 8]); idat += d[i + 8:i + 8 + n] if kind == b"IDAT" else b""; i += 12 + n
raw = zlib.decompress(idat); stride = len(raw) // h
print(len(set(raw[r * stride + 1:(r + 1) * stride] for r in range(h))))' "$t/page.png")
    [ "$rows" -gt 500 ]
}
