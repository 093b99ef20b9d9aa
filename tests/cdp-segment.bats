#!/usr/bin/env bats
# cdp-segment: rules, the rule library, control groups, deltas, reports.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    SEG=$FIX/segment
}

@test "--help, --version, usage errors exit 2 with one line" {
    run cdp-segment --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-segment [OPTION]... [FILE]..." ]
    run cdp-segment --version
    [[ "$output" =~ ^cdp-segment\ \(cdp\)\  ]]
    run --separate-stderr cdp-segment "$SEG/profiles.ndjson"
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-segment: no segments: give -s NAME=JQ, --segments FILE or --use NAME" ]
    run --separate-stderr cdp-segment -s 'no name'
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-segment: -s takes NAME=JQ, not 'no name'" ]
    run --separate-stderr cdp-segment -s 'a b=true'
    [ "${stderr_lines[0]}" = "cdp-segment: -s a b: invalid segment name 'a b' (letters, digits, '_' and '-')" ]
    run --separate-stderr cdp-segment -s 'a=true' -s 'a=false'
    [ "${stderr_lines[0]}" = "cdp-segment: -s a: segment 'a' is already defined (-s a)" ]
    run --separate-stderr cdp-segment --use nosuch
    [ "${stderr_lines[0]}" = "cdp-segment: --use: no rule library 'nosuch' (rfm, lapsed, birthday, cart, category, vip)" ]
    run --separate-stderr cdp-segment -s 'a=segment("b")' -s 'b=segment("a")'
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-segment: -s "?": segments '"?"' and '"?"' refer to each other (a cycle)" ]]
    run --separate-stderr cdp-segment -s 'a=segment("zz")'
    [ "${stderr_lines[0]}" = 'cdp-segment: -s a: segment("zz"): no such segment' ]
    run --separate-stderr cdp-segment -s 'a=true' --holdout 100
    [ "${stderr_lines[0]}" = "cdp-segment: --holdout takes a percentage, 0 up to 100, not '100'" ]
    run --separate-stderr cdp-segment -s 'a=true' --journal j.ndjson
    [ "${stderr_lines[0]}" = "cdp-segment: --journal needs --previous" ]
    run --separate-stderr cdp-segment -s 'a=true' --arg x
    [ "${stderr_lines[0]}" = "cdp-segment: --arg takes NAME and VALUE" ]
    # profiles are NDJSON: no -i or -d
    run --separate-stderr cdp-segment -s 'a=true' -i csv
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-segment: invalid option -- 'i'" ]
    run --separate-stderr cdp-segment -s 'a=true' --threads 65
    [ "${stderr_lines[0]}" = "cdp-segment: --threads takes a number 0 to 64, not '65'" ]
}

@test "a rule that does not compile: its name and jq's message, exit 2, no output" {
    run --separate-stderr cdp-segment -s 'ok=true' -s 'broken=.orders >>> 1' -o out.ndjson "$SEG/profiles.ndjson"
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-segment: -s broken: segment broken: syntax error"* ]]
    [ ! -e out.ndjson ]
    printf 'good = true\n\nbad = $nosuch\n' > r.seg
    run --separate-stderr cdp-segment --segments r.seg "$SEG/profiles.ndjson"
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-segment: r.seg:3: segment bad: \$nosuch is not defined"* ]]
    printf 'good = true\n  and true\nnot a rule\n' > r.seg
    run --separate-stderr cdp-segment --segments r.seg
    [ "${stderr_lines[0]}" = "cdp-segment: r.seg:3: expected NAME = JQ, 'param', 'needs' or 'def'" ]
}

@test "rules from -s and a rule file: params, definitions, continuations, segment()" {
    run --separate-stderr cdp-segment --segments "$SEG/rules.seg" -s 'none=false' --as-of 2026-11-20 "$SEG/profiles.ndjson"
    [ "$status" -eq 0 ]
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output")" = '["p1",["regular","regular_and_valuable","valuable"]]
["p2",["lost"]]
["p3",["regular","regular_and_valuable","valuable"]]
["p4",["lost"]]' ]
    # the profile is written as read, "segments" added at the end
    [ "${lines[3]}" = '{"cdp_id":"p4","orders":0,"revenue":0.00,"revenue_365d":0.00,"segments":["lost"]}' ]
    [ "$stderr" = "cdp-segment: 4 profiles read, 4 written, 0 rejected, 8 memberships, 0 rule errors" ]
    # --argjson overrides a param's default
    run cdp-segment -q --segments "$SEG/rules.seg" --argjson min_orders 3 "$SEG/profiles.ndjson"
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | head -1)" = '["p1",["regular","regular_and_valuable","valuable"]]' ]
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | sed -n 3p)" = '["p3",["lost","valuable"]]' ]
    # --arg makes a string
    run cdp-segment -q -s 'named=.first_name == $who' --arg who Анна "$SEG/profiles.ndjson"
    [ "$(jq -c '.segments' <<< "$output" | tr -d '\n')" = '[][]["named"][]' ]
}

@test "a segment written again replaces the old segments; a profile with only its id" {
    printf '%s\n' '{"cdp_id":"a","segments":["old"],"holdout":["x"],"entered":[],"orders":1}' '{"cdp_id":"b"}' > in.ndjson
    run cdp-segment -q -s 'buyer=.orders > 0' -s 'knows_old=(.segments // []) | length == 0' in.ndjson
    [ "$output" = '{"cdp_id":"a","orders":1,"segments":["buyer","knows_old"]}
{"cdp_id":"b","segments":["knows_old"]}' ]
}

@test "a rule that errors at run time: counted per rule, reported, the profile left out of it" {
    run --separate-stderr cdp-segment -s 'bad=.first_name | ascii_downcase | length > 3' -s 'ok=true' \
        --stats stats.json "$SEG/profiles.ndjson"
    [ "$status" -eq 0 ]
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["p1",["bad","ok"]] ["p2",["bad","ok"]] ["p3",["bad","ok"]] ["p4",["ok"]] ' ]
    [ "${stderr_lines[0]}" = "cdp-segment: $SEG/profiles.ndjson:4: cdp_id p4: segment bad: explode input must be a string" ]
    [ "${stderr_lines[1]}" = "cdp-segment: 4 profiles read, 4 written, 0 rejected, 7 memberships, 1 rule errors" ]
    [ "$(jq -c '.rule_errors' stats.json)" = '{"bad":1}' ]
}

@test "RFM: quintile scores over a population with known edges, and the segment map" {
    # days 10..100, revenue 100..1000 in steps: edges fall between pairs;
    # orders are ranked (ties by input order) into five pairs of ranks.
    run cdp-segment -q --use rfm --as-of 2026-11-20 "$SEG/rfm.ndjson"
    [ "$status" -eq 0 ]
    [ "$(jq -r '"\(.cdp_id) \(.rfm.score // "-") \(.segments | join(","))"' <<< "$output")" = "b0 555 rfm_champions
b1 511 rfm_new
b2 444 rfm_loyal
b3 411 rfm_promising
b4 333 rfm_need_attention
b5 322 rfm_about_to_sleep
b6 243 rfm_at_risk
b7 232 rfm_at_risk
b8 155 rfm_cant_lose
b9 124 rfm_hibernating
n0 - " ]
    diff -u "$SEG/rfm.expected" <(printf '%s\n' "$output")
    # two passes over stdin (spooled) give the same bytes
    run cdp-segment -q --use rfm --as-of 2026-11-20 < "$SEG/rfm.ndjson"
    diff -u "$SEG/rfm.expected" <(printf '%s\n' "$output")
    # and so do two passes over a pipe
    run cdp-segment -q --use rfm --as-of 2026-11-20 <(cat "$SEG/rfm.ndjson")
    diff -u "$SEG/rfm.expected" <(printf '%s\n' "$output")
}

@test "vip: the top share by revenue over 365 days, rounded up" {
    run cdp-segment -q --use vip "$SEG/rfm.ndjson"
    [ "$(jq -r 'select(.segments == ["vip"]) | .cdp_id' <<< "$output" | tr '\n' ' ')" = "b0 " ]
    run cdp-segment -q --use vip --argjson vip_percent 25 "$SEG/rfm.ndjson"
    [ "$(jq -r 'select(.segments == ["vip"]) | .cdp_id' <<< "$output" | tr '\n' ' ')" = "b0 b8 b9 " ]
}

@test "lapsed, abandoned cart, category interest: edges and parameters" {
    run cdp-segment -q --use lapsed,cart,category --as-of 2026-11-20 "$SEG/profiles.ndjson"
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["p1",["abandoned_cart","category_interest"]] ["p2",["category_interest","lapsed"]] ["p3",["abandoned_cart","category_interest"]] ["p4",[]] ' ]
    run cdp-segment -q --use lapsed,cart --argjson lapsed_days 179 --argjson cart_min_value 1000 "$SEG/profiles.ndjson"
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["p1",["abandoned_cart"]] ["p2",["lapsed"]] ["p3",["lapsed"]] ["p4",[]] ' ]
    # the kitchen is done, the living room is next; interest over 90 days
    run cdp-segment -q --use category --as-of 2026-11-20 \
        -s 'living_room_next=bought_within("Кухня"; 365) and (bought_within("Гостиная"; 365) | not) and interest == "Гостиная"' \
        -s 'kitchen_fan=interest == "Кухня"' "$SEG/profiles.ndjson"
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["p1",["category_interest","kitchen_fan"]] ["p2",["category_interest"]] ["p3",["category_interest","living_room_next"]] ["p4",[]] ' ]
    # 90 days later only p1's kitchen is within 90 days... of nothing: all gone
    run cdp-segment -q --use category --as-of 2027-03-01 "$SEG/profiles.ndjson"
    [ "$(jq -c '.segments' <<< "$output" | tr -d '\n')" = '[][][][]' ]
}

@test "birthday: the next N days, across the year end, 29 February on 28 February" {
    printf '%s\n' '{"cdp_id":"a","birth_date":"1990-11-20"}' '{"cdp_id":"b","birth_date":"1990-11-26"}' \
        '{"cdp_id":"c","birth_date":"1990-11-27"}' '{"cdp_id":"d","birth_date":"1988-01-02"}' \
        '{"cdp_id":"e","birth_date":"1992-02-29"}' '{"cdp_id":"f","birth_date":"1992-03-01"}' \
        '{"cdp_id":"g","birth_date":"1992"}' '{"cdp_id":"h"}' '{"cdp_id":"i","birth_date":"1992-02-28"}' > b.ndjson
    bday() { cdp-segment -q --use birthday --as-of "$@" b.ndjson | jq -r 'select(.segments == ["birthday"]) | .cdp_id' | tr '\n' ' '; }
    [ "$(bday 2026-11-20)" = "a b " ]
    [ "$(bday 2026-12-28)" = "d " ]
    [ "$(bday 2027-02-28)" = "e f i " ]
    [ "$(bday 2027-03-01)" = "f " ]
    [ "$(bday 2028-02-28)" = "e f i " ]
    [ "$(bday 2028-02-29 )" = "e f " ]
    [ "$(bday 2026-11-20 --argjson birthday_days 1)" = "a " ]
    run cdp-segment -q --use birthday --as-of 2026-12-30 -s 'soon=days_to_birthday' b.ndjson
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["a",["soon"]] ["b",["soon"]] ["c",["soon"]] ["d",["birthday","soon"]] ["e",["soon"]] ["f",["soon"]] ["g",[]] ["h",[]] ["i",["soon"]] ' ]
}

@test "holdout: a stable, independent share of each segment, by cdp_id and salt" {
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"cdp_id\":\"%016x\"}\n", i * 2654435761 % 4294967296 }' > ids.ndjson
    cdp-segment -q -s 'a=true' -s 'b=true' --holdout 10 -o one.ndjson ids.ndjson
    cdp-segment -q -s 'a=true' -s 'b=true' --holdout 10 --threads 0 -o two.ndjson ids.ndjson
    cmp one.ndjson two.ndjson
    counts=$(jq -s -r '[(map(select(.holdout | any(.[]; . == "a"))) | length), (map(select(.holdout | any(.[]; . == "b"))) | length),
        (map(select(.holdout == ["a","b"])) | length), (map(select(.segments == [])) | length)] | @tsv' one.ndjson)
    read -r ha hb both none <<< "$counts"
    echo "held out: a $ha, b $hb, both $both, neither in the campaign $none" >&3
    # 10% of 100000 within 3 standard deviations (95); both ~1% (sd 31)
    [ "$ha" -ge 9700 ] && [ "$ha" -le 10300 ]
    [ "$hb" -ge 9700 ] && [ "$hb" -le 10300 ]
    [ "$both" -ge 900 ] && [ "$both" -le 1100 ]
    [ "$none" -eq "$both" ]
    # another salt draws another group
    cdp-segment -q -s 'a=true' --holdout 10 --salt spring-campaign ids.ndjson > salted.ndjson
    same=$(paste -d ' ' <(jq -c '.holdout | any(.[]; . == "a")' one.ndjson) <(jq -c '.holdout != []' salted.ndjson) | grep -c '^true true$')
    [ "$same" -ge 850 ] && [ "$same" -le 1150 ]
}

@test "deltas: entered and exited against the last run, gone people, merged ids followed" {
    run --separate-stderr cdp-segment --segments "$SEG/rules.seg" --as-of 2026-11-20 \
        --previous "$SEG/previous.ndjson" --journal "$SEG/journal.ndjson" "$SEG/profiles.ndjson"
    [ "$status" -eq 0 ]
    diff -u "$SEG/deltas.expected" <(printf '%s\n' "$output")
    # p8 was merged into p7, then p7 into p3: p3 carries p8's memberships
    [ "$(jq -c '[.cdp_id, .segments, .entered, .exited, .gone]' <<< "$output")" = '["p1",["regular","regular_and_valuable","valuable"],["regular_and_valuable","valuable"],[],null]
["p2",["lost"],[],["valuable"],null]
["p3",["regular","regular_and_valuable","valuable"],["regular_and_valuable","valuable"],["old_segment"],null]
["p4",["lost"],["lost"],[],null]
["p9",[],[],["regular"],true]' ]
    [ "$stderr" = "cdp-segment: 4 profiles read, 4 written, 0 rejected, 8 memberships, 1 gone, 0 rule errors" ]
    # a damaged line of the last run's output ends the run, naming it: exit 1, no output
    # (line 3 is blank, which is no line)
    damaged() {
        { head -2 "$SEG/previous.ndjson"; echo; printf '%s\n' "$1"; } > prev.ndjson
        run --separate-stderr cdp-segment --segments "$SEG/rules.seg" --previous prev.ndjson -o out.ndjson "$SEG/profiles.ndjson"
        [ "$status" -eq 1 ] && [ ! -e out.ndjson ] &&
            [ "${stderr_lines[0]}" = "cdp-segment: prev.ndjson:4: damaged previous output line: $2" ]
    }
    damaged '{"orders":1}' 'no cdp_id'
    damaged '{"cdp_id":"","segments":[]}' 'no cdp_id'
    damaged '{"cdp_id":"p5","segments":"lost"}' '"segments" is not an array of segment names'
    damaged '{"cdp_id":"p5","holdout":[1]}' '"holdout" is not an array of segment names'
    damaged 'not json' "invalid JSON: Problem while parsing an atom starting with the letter 'n'"
    # without the journal, p8 is gone and p3 entered everything
    run cdp-segment -q --segments "$SEG/rules.seg" --previous "$SEG/previous.ndjson" "$SEG/profiles.ndjson"
    [ "$(jq -c 'select(.cdp_id == "p3" or .cdp_id == "p8") | [.cdp_id, .entered, .exited]' <<< "$output")" = '["p3",["regular","regular_and_valuable","valuable"],[]]
["p8",[],["old_segment","regular"]]' ]
}

@test "--report, --history and --split" {
    run cdp-segment -q --segments "$SEG/rules.seg" --as-of 2026-11-20 --previous "$SEG/previous.ndjson" \
        --journal "$SEG/journal.ndjson" --report report.json --history history.ndjson --split split \
        -o out.ndjson "$SEG/profiles.ndjson"
    [ "$status" -eq 0 ]
    assert_file report.json <<'OUT'
{"as_of":"2026-11-20","profiles":4,"gone":1,"segments":{"lost":{"members":2,"holdout":0,"entered":1,"exited":0,"revenue":1200.50,"revenue_mean":600.25,"errors":0},"old_segment":{"members":0,"holdout":0,"entered":0,"exited":1,"revenue":0.00,"revenue_mean":null,"defined":false},"regular":{"members":2,"holdout":0,"entered":0,"exited":1,"revenue":123892.00,"revenue_mean":61946.00,"errors":0},"regular_and_valuable":{"members":2,"holdout":0,"entered":2,"exited":0,"revenue":123892.00,"revenue_mean":61946.00,"errors":0},"valuable":{"members":2,"holdout":0,"entered":2,"exited":1,"revenue":123892.00,"revenue_mean":61946.00,"errors":0}}}
OUT
    cmp report.json history.ndjson
    [ "$(ls split | tr '\n' ' ')" = "lost.ndjson regular.ndjson regular_and_valuable.ndjson valuable.ndjson " ]
    [ "$(jq -r .cdp_id split/lost.ndjson | tr '\n' ' ')" = "p2 p4 " ]
    [ "$(jq -r .cdp_id split/valuable.ndjson | tr '\n' ' ')" = "p1 p3 " ]
    grep -F '"cdp_id":"p2"' out.ndjson | cmp - <(head -1 split/lost.ndjson)
    # the history grows by a line a night
    cdp-segment -q -s 'all=true' --as-of 2026-11-21 --history history.ndjson -o /dev/null "$SEG/profiles.ndjson"
    [ "$(wc -l < history.ndjson)" -eq 2 ]
    [ "$(sed -n 2p history.ndjson)" = '{"as_of":"2026-11-21","profiles":4,"segments":{"all":{"members":4,"holdout":0,"revenue":125092.50,"revenue_mean":31273.12,"errors":0}}}' ]
    # held-out members are counted apart and are not in the split files
    cdp-segment -q -s 'all=true' --holdout 50 --salt x --report r.json --split s "$SEG/profiles.ndjson" > held.ndjson
    [ "$(jq -c '.segments.all | [.members, .holdout]' r.json)" = "[$(jq -s 'map(select(.segments == ["all"])) | length' held.ndjson),$(jq -s 'map(select(.holdout == ["all"])) | length' held.ndjson)]" ]
    [ "$(wc -l < s/all.ndjson)" -eq "$(jq -s 'map(select(.segments == ["all"])) | length' held.ndjson)" ]
    # a pipe or a folder as the history: refused before any profile is read
    # (a pipe was opened to be written at the end, and waited on for ever)
    mkfifo pipe
    mkdir folder
    for h in pipe folder; do
        run timeout 20 cdp-segment -s 'all=true' --history "$h" -o out3.ndjson "$SEG/profiles.ndjson"
        [ "$status" -eq 1 ]
        [ "${lines[0]}" = "cdp-segment: '$h' is not a regular file: it is read, then replaced with its new lines added" ]
        [ "${lines[1]}" = "cdp-segment: 0 profiles read, 0 written, 0 rejected, 0 memberships, 0 rule errors" ]
        [ ! -e out3.ndjson ]
    done
}

@test "lines that are not profiles are rejected with their line number; -o is atomic" {
    printf '%s\n' '{"cdp_id":"a","orders":1}' 'not json' '{"orders":2}' '[1]' '{"cdp_id":"b","orders":0}' > in.ndjson
    run --separate-stderr cdp-segment -s 'buyer=.orders > 0' --rejects rej.ndjson -o out.ndjson in.ndjson
    [ "$status" -eq 0 ]
    assert_file out.ndjson <<'OUT'
{"cdp_id":"a","orders":1,"segments":["buyer"]}
{"cdp_id":"b","orders":0,"segments":[]}
OUT
    # the rejects file of every program (io/rejects.h)
    assert_file rej.ndjson <<'OUT'
{"_source":null,"file":"in.ndjson","line":2,"row":2,"code":"invalid_json","reason":"invalid JSON: Problem while parsing an atom starting with the letter 'n'","raw":"not json"}
{"_source":null,"file":"in.ndjson","line":3,"row":3,"code":"no_cdp_id","reason":"no cdp_id","raw":"{\"orders\":2}"}
{"_source":null,"file":"in.ndjson","line":4,"row":4,"code":"not_object","reason":"not a JSON object","raw":"[1]"}
OUT
    [ "${stderr_lines[0]}" = "cdp-segment: in.ndjson:2: invalid JSON: Problem while parsing an atom starting with the letter 'n'; line rejected" ]
    [ "${stderr_lines[1]}" = "cdp-segment: in.ndjson:3: no cdp_id; line rejected" ]
    [ "${stderr_lines[-1]}" = "cdp-segment: 5 profiles read, 2 written, 3 rejected, 1 memberships, 0 rule errors" ]
    # a missing input: exit 1, no output file left behind
    run cdp-segment -s 'a=true' -o out2.ndjson nosuch.ndjson
    [ "$status" -eq 1 ]
    [ ! -e out2.ndjson ]
}

@test "any number of threads writes the same bytes; zstd in and out" {
    for i in $(seq 1 3000); do printf '{"cdp_id":"%05d","orders":%d,"revenue":%d.5,"revenue_365d":%d,"days_since_last_purchase":%d}\n' \
        "$i" $((i % 7)) $((i * 37 % 1000)) $((i * 37 % 1000)) $((i % 400)); done | zstd -q > many.ndjson.zst
    cdp-segment -q --use rfm,vip,lapsed -s 'x=.orders > 2' --threads 0 -o a.ndjson many.ndjson.zst
    cdp-segment -q --use rfm,vip,lapsed -s 'x=.orders > 2' --threads 3 -o b.ndjson.zst many.ndjson.zst
    zstd -dc b.ndjson.zst | cmp - a.ndjson
    cdp-segment -q --use rfm,vip,lapsed -s 'x=.orders > 2' --threads 1 -o c.ndjson many.ndjson.zst
    cmp c.ndjson a.ndjson
    [ "$(wc -l < a.ndjson)" -eq 3000 ]
}

@test "segment() inside a definition orders the rules too; reserved variables; stdin once" {
    printf '%s\n' 'def big: segment("buyer") and .revenue > 10000;' 'vip_buyer = big' 'buyer = .orders > 0' > r.seg
    run cdp-segment -q --segments r.seg "$SEG/profiles.ndjson"
    [ "$status" -eq 0 ]
    [ "$(jq -c '[.cdp_id, .segments]' <<< "$output" | tr '\n' ' ')" = '["p1",["buyer","vip_buyer"]] ["p2",["buyer"]] ["p3",["buyer","vip_buyer"]] ["p4",[]] ' ]
    run --separate-stderr cdp-segment -s 'x=true' --arg as_of 2020-01-01
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = 'cdp-segment: --arg: $as_of is set by cdp-segment (use --as-of)' ]
    run --separate-stderr cdp-segment --use rfm - -
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-segment: stdin ('-') given twice" ]
    # a rule that does not compile is refused before a two-pass input is read
    run --separate-stderr cdp-segment --use rfm -s 'bad=.x |||' /dev/null
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-segment: -s bad: segment bad: syntax error"* ]]
}

# Rules in the part of jq that rules/native.h evaluates run natively; the
# same run with CDP_NATIVE=0 runs every rule in libjq. Both must give the
# same bytes, report and messages: on profiles of a generated retailer
# (cdp-gen, ingest, dedupe, merge) and on lines with nulls, missing fields,
# strings where numbers were expected and dates strptime refuses, which make
# native rules hand profiles to libjq (CDP_TIMING counts them).
@test "native rules: the same output, report and messages as libjq on generated and odd profiles" {
    share=$BATS_TEST_DIRNAME/../share/cdp
    cdp-gen -q --persons 1500 --seed 11 --as-of 2026-11-20 -o gen
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 --map "$share/maps/crm-1c.map" --as-of 2026-11-20 -o crm.zst gen/crm.csv 2> /dev/null
    cdp-ingest -q -s shop --map "$share/maps/shop.map" --as-of 2026-11-20 -o shop.zst gen/shop-customers.jsonl 2> /dev/null
    cdp-ingest -q -s pos --tz +03:00 --map "$share/maps/pos.map" -o pos.zst gen/pos-receipts.csv 2> /dev/null
    cdp-ingest -q -s web --map "$share/maps/web.map" -o web.zst gen/web-events.ndjson.zst 2> /dev/null
    cdp-dedupe -q -o linked.zst crm.zst shop.zst pos.zst web.zst
    # the odd lines first: their messages are among the first shown
    cat > profiles.ndjson <<'ODD'
{"cdp_id":"odd1","orders":"5","revenue_365d":"x","days_since_last_purchase":null,"birth_date":"1990-13-01"}
{"cdp_id":"odd2","birth_date":"1990-11-22\n","categories":{"Кухня":{"last_at":"2026-1-5"}},"abandoned_cart":{"value":"9e9"}}
{"cdp_id":"odd3","categories":"Кухня","abandoned_cart":[1],"consent_email":"true","orders":1e400}
{"cdp_id":"odd4","categories":{"Кухня":{"last_at":5},"Гостиная":null},"birth_date":19901122,"orders":-1}
{"cdp_id":"odd5","categories":{"Кухня":{"last_at":"2026-11-19"},"Кухня":{"last_at":"2020-01-01"}},"revenue_365d":12345678901234567890}
{"cdp_id":"odd6","categories":[{"last_at":"2026-11-19"}],"birth_date":"1984-02-29","orders":3,"revenue":null}
ODD
    cdp-merge -q --as-of 2026-11-20 linked.zst >> profiles.ndjson
    [ "$(wc -l < profiles.ndjson)" -gt 1000 ]
    rules=(--use rfm,birthday,cart,lapsed,category,vip --segments "$BATS_TEST_DIRNAME/../examples/segments.rules"
        -s 'avg=(.orders // 0) > 0 and (.revenue // 0) / .orders > 20000' -s 'kitchen=bought_within("Кухня"; $days)'
        -s 'soon=(days_to_birthday // 99) < 30 and (.first_name | length) > 3' --argjson days 400)
    # (--show-values: the values jq's messages quote, whole)
    CDP_TIMING=1 cdp-segment --show-values --as-of 2026-11-20 --holdout 10 "${rules[@]}" --report native.json \
        -o native.ndjson profiles.ndjson 2> native.err
    CDP_NATIVE=0 CDP_TIMING=1 cdp-segment --show-values --as-of 2026-11-20 --holdout 10 "${rules[@]}" \
        --report jq.json -o jq.ndjson profiles.ndjson 2> jq.err
    cmp native.ndjson jq.ndjson
    cmp native.json jq.json
    diff <(grep -v ' s$\|rules native\|left .* to libjq' native.err) <(grep -v ' s$\|rules native\|left .* to libjq' jq.err)
    grep -q '^cdp-segment: 21 of 21 rules native$' native.err
    grep -q '^cdp-segment: 0 of 21 rules native; in libjq: rfm_champions, rfm_loyal, ' jq.err
    # the odd lines: rule errors from libjq, on profiles native rules left to it
    grep -q 'cdp_id odd1: segment birthday: date "2026-13-01" does not match format "%Y-%m-%d"' native.err
    grep -q 'cdp_id odd1: segment avg: number (0) and string ("5") cannot be divided$' native.err
    grep -q 'cdp_id odd3: segment category_interest: string ("Кухня") has no keys$' native.err
    grep -q 'cdp_id odd4: segment kitchen: Cannot index number with object$' native.err
    asked=$(sed -n 's/^cdp-segment: native rules left \([0-9]*\) profiles to libjq$/\1/p' native.err)
    [ "$asked" -ge 6 ]
    [ "$(jq -s 'map(.segments | length) | add' native.ndjson)" -gt 500 ]
}
