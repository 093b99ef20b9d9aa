#!/usr/bin/env bats
# cdp-recommend: pair statistics against independent computations, each
# source of recommendations and each exclusion with exact output, the
# evaluation, bad options and bad input.
#
# tests/fixtures/recommend/shop.ndjson, the furniture shop these tests use,
# as of 2026-11-20 (seven orders; N = 7 baskets):
#   O1 pos  p1    2026-11-01  K1 K2          O5 pos  p4  2026-06-01  G1 G2 T1
#   O2 shop p2    2026-10-01  K1 K2 K3       O6 shop p5  2025-12-01  G1 G3
#   O3 shop p3    2026-09-01  K1 K3 K4       O7 pos  p6  2026-11-19  T1
#   O4 pos  (anonymous) 2026-10-15  K2 K3
# views: p2 K3 (09-20) and G3 (11-05), p7 G1 and G2 (11-18), p8 K5 twice,
# an anonymous K1; p10 put K2 in the cart (11-19); p9 has a person record
# only. K = Кухня, G = Гостиная, T = Текстиль. Jaccard similarities:
# K1-K2 K1-K3 K2-K3 G1-G2 G1-G3 G2-T1 = 1/2, K1-K4 K3-K4 G1-T1 = 1/3.
# Buyers (popularity with --popular-half-life 0): K1 K2 K3 3, G1 T1 2,
# G2 G3 K4 1 (the anonymous order is a buyer of its own).

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    REC=$FIX/recommend
}

# Plain SAR arithmetic: no decay, no popularity in the scores, buyer
# counts for the fallbacks, no viewed list.
plain() {
    cdp-recommend -q --as-of 2026-11-20 --half-life 0 --popular-half-life 0 --popular-weight 0 \
        --viewed 0 "$@"
}

# One person's line.
person() {
    local id=$1
    shift
    plain "$@" "$REC/shop.ndjson" | grep -F "{\"cdp_id\":\"$id\","
}

@test "--help, --version, usage errors exit 2 with one line" {
    run cdp-recommend --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-recommend [OPTION]... [FILE]..." ]
    run cdp-recommend --version
    [[ "$output" =~ ^cdp-recommend\ \(cdp\)\  ]]
    bad() {
        local want=$1
        shift
        run --separate-stderr cdp-recommend "$@" "$REC/shop.ndjson"
        [ "$status" -eq 2 ] || { echo "status $status for $*" >&2; return 1; }
        [ "${stderr_lines[0]}" = "cdp-recommend: $want" ] || { echo "got: ${stderr_lines[0]}" >&2; return 1; }
        [ "${stderr_lines[1]}" = "Try 'cdp-recommend --help' for more information." ]
        [ -z "$output" ]
    }
    bad "--top takes a whole number from 1 to 1000, not '0'" --top 0
    bad "--top takes a whole number from 1 to 1000, not 'ten'" -n ten
    bad "--popular-weight takes a number from 0 to 1, not '1.5'" --popular-weight 1.5
    bad "--half-life takes a number from 0 to 100000, not '-1'" --half-life -1
    bad "--min-count takes a whole number from 1 to 1e+09, not '0'" --min-count 0
    bad "--weight 'buy=2' is not EVENT=W with EVENT purchase, return, view, cart_add, cart_remove or other" --weight buy=2
    bad "--weight 'view=x': W must be a number from -1000 to 1000" --weight view=x
    bad "--fallback takes category,popular, popular, category or none, not 'popular,category'" --fallback popular,category
    bad "--basket takes order or person, not 'receipt'" --basket receipt
    bad "--similarity takes jaccard, lift, count or confidence, not 'cosine'" --similarity cosine
    bad "--exclude-bought takes days (0 to 100000) or all, not 'ever'" --exclude-bought ever
    bad "--exclude-category-bought 'Гостиная' is not CATEGORY=DAYS" --exclude-category-bought Гостиная
    bad "--exclude-category-bought 'Гостиная=0': DAYS must be a whole number from 1 to 100000 or all" --exclude-category-bought Гостиная=0
    bad "--evaluate takes a date YYYY-MM-DD, not '2026-13-01'" --evaluate 2026-13-01
    bad "--similar and --evaluate do not go together" --similar --evaluate 2026-11-01
    bad "--evaluate learns before its DATE: leave out --as-of" --evaluate 2026-11-01 --as-of 2026-11-20
    bad "--as-of takes YYYY-MM-DD, today or an ISO time, not 'yesterday'" --as-of yesterday
    bad "--format takes ndjson or csv, not 'xml'" --format xml
    printf 'Гостиная=365\nКухня\n' > rules.txt
    bad "--category-rules: rules.txt:2: 'Кухня' is not CATEGORY=DAYS" --category-rules rules.txt
    run --separate-stderr cdp-recommend --filter '.price <' -o out.ndjson "$REC/shop.ndjson"
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-recommend: --filter: syntax error"* ]]
    [ ! -e out.ndjson ]
}

@test "pairs: a hand-checked basket set (support, confidence, lift, count; jaccard order)" {
    # Five orders: A B C / A B / A C / B D / D. n(A) = n(B) = 3, n(C) = n(D) = 2;
    # n(A,B) = n(A,C) = 2, n(B,C) = n(B,D) = 1. A->C: support 2/5, confidence
    # 2/3, lift (2/3)/(2/5) = 5/3; jaccard A-C 2/3 before A-B 1/2.
    for o in "1 A" "1 B" "1 C" "2 A" "2 B" "3 A" "3 C" "4 B" "4 D" "5 D"; do
        set -- $o
        printf '{"_kind":"event","event":"purchase","order_id":"%s","sku":"%s"}\n' "$1" "$2"
    done > baskets.ndjson
    run --separate-stderr cdp-recommend --similar baskets.ndjson
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"sku":"A","baskets":3,"similar":[{"sku":"C","support":0.4,"confidence":0.666667,"lift":1.66667,"count":2},{"sku":"B","support":0.4,"confidence":0.666667,"lift":1.11111,"count":2}]}
{"sku":"B","baskets":3,"similar":[{"sku":"A","support":0.4,"confidence":0.666667,"lift":1.11111,"count":2},{"sku":"C","support":0.2,"confidence":0.333333,"lift":0.833333,"count":1},{"sku":"D","support":0.2,"confidence":0.333333,"lift":0.833333,"count":1}]}
{"sku":"C","baskets":2,"similar":[{"sku":"A","support":0.4,"confidence":1,"lift":1.66667,"count":2},{"sku":"B","support":0.2,"confidence":0.5,"lift":0.833333,"count":1}]}
{"sku":"D","baskets":2,"similar":[{"sku":"B","support":0.2,"confidence":0.5,"lift":0.833333,"count":1}]}
OUT
    [ "$stderr" = "cdp-recommend: 10 records read, 10 events, 0 rejected, 4 items written" ]
    # The thresholds, and ranking by count and by lift.
    run cdp-recommend -q --similar --min-count 2 baskets.ndjson
    [ "$(jq -c '[.sku, [.similar[].sku]]' <<< "$output")" = '["A",["C","B"]]
["B",["A"]]
["C",["A"]]
["D",[]]' ]
    run cdp-recommend -q --similar --min-confidence 0.5 --min-support 0.3 baskets.ndjson
    [ "$(jq -c '[.sku, [.similar[].sku]]' <<< "$output")" = '["A",["C","B"]]
["B",["A"]]
["C",["A"]]
["D",[]]' ]
    run cdp-recommend -q --similar --similarity lift --top 1 baskets.ndjson
    [ "$(jq -c '[.sku, [.similar[].sku]]' <<< "$output")" = '["A",["C"]]
["B",["A"]]
["C",["A"]]
["D",["B"]]' ]
    # Person baskets: everything one person bought (without cdp_id, nobody).
    run cdp-recommend -q --similar --basket person baskets.ndjson
    [ -z "$output" ]
    # The same orders bought by u1 (1 and 2), u2 (3) and u3 (4 and 5): the
    # baskets A B C / A C / B D, whose figures the Python script computes.
    jq -c '.cdp_id = {"1": "u1", "2": "u1", "3": "u2", "4": "u3", "5": "u3"}[.order_id]' baskets.ndjson > people.ndjson
    jq -r 'select(.cdp_id) | [.cdp_id, .sku] | @tsv' people.ndjson | sort -u |
        awk -F'\t' '$1 != p { if (NR > 1) print b; p = $1; b = $2; next } { b = b "," $2 } END { print b }' > people.csv
    [ "$(paste -sd' ' people.csv)" = "A,B,C A,C B,D" ]
    cdp-recommend -q --similar --basket person people.ndjson > cdp.ndjson
    python3 "$BATS_TEST_DIRNAME/tools/pair-stats.py" people.csv | diff - cdp.ndjson
    [ "$(sed -n 1p cdp.ndjson)" = '{"sku":"A","baskets":2,"similar":[{"sku":"C","support":0.666667,"confidence":1,"lift":1.5,"count":2},{"sku":"B","support":0.333333,"confidence":0.5,"lift":0.75,"count":1}]}' ]
}

@test "pairs: every pair of arules' Groceries equals an independent computation, and the published rules" {
    [ -f "$SHARED/groceries/groceries.csv" ] || skip "no ../shared/data/groceries"
    awk -F, '{ for (i = 1; i <= NF; i++)
        printf "{\"_kind\":\"event\",\"event\":\"purchase\",\"order_id\":\"%d\",\"sku\":\"%s\"}\n", NR, $i }' \
        "$SHARED/groceries/groceries.csv" > groceries.ndjson
    cdp-recommend -q --similar --top 1000 --neighbours 0 groceries.ndjson > cdp.ndjson
    python3 "$BATS_TEST_DIRNAME/tools/pair-stats.py" "$SHARED/groceries/groceries.csv" > python.ndjson
    [ "$(wc -l < cdp.ndjson)" -eq 169 ]
    diff -u python.ndjson cdp.ndjson
    # arules' figures as published (Lantz, Machine Learning with R, ch. 8):
    # {herbs} => {root vegetables} 0.007015760 0.4312500 3.956477,
    # {berries} => {whipped/sour cream} 0.009049314 0.2721713 3.796886,
    # {pasta} => {whole milk} 0.006100661 0.4054054 1.586614; six digits here.
    rule() {
        jq -r --arg a "$1" --arg b "$2" 'select(.sku == $a) | .similar[] | select(.sku == $b) |
            "\(.support) \(.confidence) \(.lift)"' cdp.ndjson
    }
    [ "$(rule herbs 'root vegetables')" = "0.00701576 0.43125 3.95648" ]
    [ "$(rule berries 'whipped/sour cream')" = "0.00904931 0.272171 3.79689" ]
    [ "$(rule pasta 'whole milk')" = "0.00610066 0.405405 1.58661" ]
}

@test "bought together: SAR over what the person bought, the anchor that gave most as because" {
    # p1 bought K1 and K2 (affinity 4 each): K3 = 4 * 1/2 + 4 * 1/2 = 4 (a
    # tie between the anchors: the smaller, K1), K4 = 4 * 1/3; then the
    # fallbacks: nothing left in Кухня, popular G1 and T1 (2 of 3 buyers).
    run person p1 --top 4
    assert_output <<'OUT'
{"cdp_id":"p1","recommendations":[{"sku":"K3","score":4,"reason":"bought_together","because":"K1","category":"Кухня"},{"sku":"K4","score":1.33333,"reason":"bought_together","because":"K1","category":"Кухня"},{"sku":"G1","score":0.666667,"reason":"popular","category":"Гостиная"},{"sku":"T1","score":0.666667,"reason":"popular","category":"Текстиль"}]}
OUT
    # Your cart and what goes with it: p10's cart (K2, weight 3).
    run person p10 --top 3
    assert_output <<'OUT'
{"cdp_id":"p10","recommendations":[{"sku":"K1","score":1.5,"reason":"bought_together","because":"K2","category":"Кухня"},{"sku":"K3","score":1.5,"reason":"bought_together","because":"K2","category":"Кухня"},{"sku":"K4","score":0.333333,"reason":"category","category":"Кухня"}]}
OUT
    # --fallback none: only what the pairs give.
    run person p1 --top 4 --fallback none
    assert_output <<'OUT'
{"cdp_id":"p1","recommendations":[{"sku":"K3","score":4,"reason":"bought_together","because":"K1","category":"Кухня"},{"sku":"K4","score":1.33333,"reason":"bought_together","because":"K1","category":"Кухня"}]}
OUT
}

@test "viewed: items like those viewed; ties by sku; viewed items stay out unless --mix-viewed" {
    # p7 viewed G1 and G2 (1 each): T1 = 1/3 + 1/2 (because G2, which gave
    # more), G3 = 1/2; G1 and G2 themselves are reminders, not offers.
    run person p7 --top 2
    assert_output <<'OUT'
{"cdp_id":"p7","recommendations":[{"sku":"T1","score":0.833333,"reason":"viewed","because":"G2","category":"Текстиль"},{"sku":"G3","score":0.5,"reason":"viewed","because":"G1","category":"Гостиная"}]}
OUT
    # The view weight and SAR's half-life as given: views weigh 2, halved
    # every 30 days back from the end of 11-20 (G1 viewed 2 days 14 hours
    # before it, G2 five minutes later), computed here.
    want=$(python3 -c 'g1 = 2 * 2 ** (-(2 + 14 / 24) / 30); g2 = 2 * 2 ** (-(2 + 14 / 24 - 5 / 1440) / 30)
print("T1 %.6g G2, G3 %.6g G1" % (g1 / 3 + g2 / 2, g1 / 2))')
    run person p7 --top 2 --half-life 30 --weight view=2
    [ "$(jq -r '[.recommendations[] | "\(.sku) \(.score) \(.because)"] | join(", ")' <<< "$output")" = "$want" ]
    [ "$want" = "T1 1.57017 G2, G3 0.942059 G1" ]
    # With them: G1, G2 and G3 tie at 1/2 and come in sku order.
    run person p7 --top 4 --mix-viewed
    assert_output <<'OUT'
{"cdp_id":"p7","recommendations":[{"sku":"T1","score":0.833333,"reason":"viewed","because":"G2","category":"Текстиль"},{"sku":"G1","score":0.5,"reason":"viewed","because":"G2","category":"Гостиная"},{"sku":"G2","score":0.5,"reason":"viewed","because":"G1","category":"Гостиная"},{"sku":"G3","score":0.5,"reason":"viewed","because":"G1","category":"Гостиная"}]}
OUT
}

@test "category and popular fallbacks; an empty history gets the popular items" {
    # p8 viewed K5, which nobody bought: no pairs, so Кухня's best sellers,
    # then the overall ones.
    run person p8 --top 6
    assert_output <<'OUT'
{"cdp_id":"p8","recommendations":[{"sku":"K1","score":1,"reason":"category","category":"Кухня"},{"sku":"K2","score":1,"reason":"category","category":"Кухня"},{"sku":"K3","score":1,"reason":"category","category":"Кухня"},{"sku":"K4","score":0.333333,"reason":"category","category":"Кухня"},{"sku":"G1","score":0.666667,"reason":"popular","category":"Гостиная"},{"sku":"T1","score":0.666667,"reason":"popular","category":"Текстиль"}]}
OUT
    # p9: a CRM record and nothing else.
    run person p9 --top 3
    assert_output <<'OUT'
{"cdp_id":"p9","recommendations":[{"sku":"K1","score":1,"reason":"popular","category":"Кухня"},{"sku":"K2","score":1,"reason":"popular","category":"Кухня"},{"sku":"K3","score":1,"reason":"popular","category":"Кухня"}]}
OUT
    run person p9 --fallback category
    [ "$output" = '{"cdp_id":"p9","recommendations":[]}' ]
    # Everyone who has a cdp_id gets a line, in cdp_id order.
    run plain "$REC/shop.ndjson"
    [ "$(jq -r .cdp_id <<< "$output" | tr '\n' ' ')" = "p1 p10 p2 p3 p4 p5 p6 p7 p8 p9 " ]
}

@test "popularity now: recent buyers count more, and a share of it ranks bought-together items" {
    # With a 7-day half-life T1 (bought on 11-19) is the most popular item
    # of 2026-11-20: first for p9, whatever the buyer counts say.
    run cdp-recommend -q --as-of 2026-11-20 --viewed 0 --top 3 "$REC/shop.ndjson"
    [ "$(grep -F '"p9"' <<< "$output" | jq -r '[.recommendations[] | "\(.sku) \(.score)"] | join(", ")')" = \
        "T1 1, K2 0.203384, K1 0.172914" ]
    # K2: p1 on 11-01 10:00, p2 on 10-01 12:00 and the anonymous order on
    # 10-15 12:00, as of the end of 11-20 (19.58, 50.5 and 36.5 days back),
    # over T1's (p6: 1.375 days, p4: 172.5 days); K1 has p3 (80.5 days) for
    # the anonymous order.
    t1='(2**(-1.375/7) + 2**(-172.5/7))'
    [ "$(python3 -c "print('%.6g' % ((2**(-(19 + 14/24)/7) + 2**(-50.5/7) + 2**(-36.5/7)) / $t1))")" = 0.203384 ]
    [ "$(python3 -c "print('%.6g' % ((2**(-(19 + 14/24)/7) + 2**(-50.5/7) + 2**(-80.5/7)) / $t1))")" = 0.172914 ]
    # Bought-together scores: SAR's over the best one's, 0.8 of it, and 0.2
    # of the popularity: p7's T1 is first on both counts.
    [ "$(grep -F '"p7"' <<< "$output" | jq -c '.recommendations[0] | [.sku, .score, .reason]')" = '["T1",1,"viewed"]' ]
}

@test "exclusions: what was bought stays out, even yesterday in a shop (--exclude-bought)" {
    # p6 bought T1 at a till on 11-19. By default and within 2 days (the
    # as-of day and the day before) it is not offered; within 1 day it is
    # (as the top of its category, Текстиль).
    run person p6 --top 6
    assert_output <<'OUT'
{"cdp_id":"p6","recommendations":[{"sku":"G2","score":2,"reason":"bought_together","because":"T1","category":"Гостиная"},{"sku":"G1","score":1.33333,"reason":"bought_together","because":"T1","category":"Гостиная"},{"sku":"K1","score":1,"reason":"popular","category":"Кухня"},{"sku":"K2","score":1,"reason":"popular","category":"Кухня"},{"sku":"K3","score":1,"reason":"popular","category":"Кухня"},{"sku":"G3","score":0.333333,"reason":"popular","category":"Гостиная"}]}
OUT
    [ "$(person p6 --top 6 --exclude-bought 2)" = "$output" ]
    run person p6 --top 3 --exclude-bought 1
    assert_output <<'OUT'
{"cdp_id":"p6","recommendations":[{"sku":"G2","score":2,"reason":"bought_together","because":"T1","category":"Гостиная"},{"sku":"G1","score":1.33333,"reason":"bought_together","because":"T1","category":"Гостиная"},{"sku":"T1","score":0.666667,"reason":"category","category":"Текстиль"}]}
OUT
    # 0: what was bought may be offered again (p1's K1 and K2 go together).
    run person p1 --top 2 --exclude-bought 0
    assert_output <<'OUT'
{"cdp_id":"p1","recommendations":[{"sku":"K3","score":4,"reason":"bought_together","because":"K1","category":"Кухня"},{"sku":"K1","score":2,"reason":"bought_together","because":"K2","category":"Кухня"}]}
OUT
}

@test "exclusions: nobody who bought a living room within the year is offered another" {
    # p4 bought G1, G2 and T1 on 2026-06-01: G3 goes with G1...
    run person p4 --top 4
    assert_output <<'OUT'
{"cdp_id":"p4","recommendations":[{"sku":"G3","score":2,"reason":"bought_together","because":"G1","category":"Гостиная"},{"sku":"K1","score":1,"reason":"popular","category":"Кухня"},{"sku":"K2","score":1,"reason":"popular","category":"Кухня"},{"sku":"K3","score":1,"reason":"popular","category":"Кухня"}]}
OUT
    # ...but not within 365 days of a living-room purchase: nothing of
    # Гостиная from any source, and the category of interest moves on.
    run person p4 --top 4 --exclude-category-bought Гостиная=365
    assert_output <<'OUT'
{"cdp_id":"p4","recommendations":[{"sku":"K1","score":1,"reason":"popular","category":"Кухня"},{"sku":"K2","score":1,"reason":"popular","category":"Кухня"},{"sku":"K3","score":1,"reason":"popular","category":"Кухня"},{"sku":"K4","score":0.333333,"reason":"popular","category":"Кухня"}]}
OUT
    printf '# rooms\nГостиная=365\n\nСпальня=all\n' > rules.txt
    [ "$(person p4 --top 4 --category-rules rules.txt)" = "$output" ]
    # 90 days: June is too long ago.
    run person p4 --top 1 --exclude-category-bought Гостиная=90
    [ "$(jq -r '.recommendations[].sku' <<< "$output")" = G3 ]
    # The rule is about buying: p7, who only viewed living-room items, is
    # still offered them.
    run person p7 --top 2 --exclude-category-bought Гостиная=365
    [ "$(jq -r '[.recommendations[].sku] | join(" ")' <<< "$output")" = "T1 G3" ]
}

@test "exclusions: a catalogue (in stock only, none outside it) and a jq filter on the item" {
    # K3 is out of stock (нет), G3 too (0), K4 and K5 are not in it.
    run --separate-stderr person p1 --top 4 --catalog "$REC/catalog.csv"
    assert_output <<'OUT'
{"cdp_id":"p1","recommendations":[{"sku":"G1","score":0.666667,"reason":"popular","category":"Гостиная"},{"sku":"T1","score":0.666667,"reason":"popular","category":"Текстиль"},{"sku":"G2","score":0.333333,"reason":"popular","category":"Гостиная"}]}
OUT
    cdp-recommend -q --as-of 2026-11-20 --catalog "$REC/catalog.csv" --stats stats.json "$REC/shop.ndjson" >/dev/null
    [ "$(jq -c .items_left_out stats.json)" = '{"not_in_catalog":2,"out_of_stock":2,"filtered":0}' ]
    # The filter sees the item's events' sku, category and price...
    run person p1 --top 4 --filter '.price < 20000'
    assert_output <<'OUT'
{"cdp_id":"p1","recommendations":[{"sku":"K4","score":1.33333,"reason":"bought_together","because":"K1","category":"Кухня"},{"sku":"T1","score":0.666667,"reason":"popular","category":"Текстиль"},{"sku":"G2","score":0.333333,"reason":"popular","category":"Гостиная"},{"sku":"G3","score":0.333333,"reason":"popular","category":"Гостиная"}]}
OUT
    # ...or the catalogue row, prices as numbers.
    run person p1 --top 4 --catalog "$REC/catalog.csv" --filter '.name | test("Кресло|Плед")'
    [ "$(jq -r '[.recommendations[].sku] | join(" ")' <<< "$output")" = "T1 G2" ]
    # Similar items never include what may not be offered.
    run cdp-recommend -q --similar --catalog "$REC/catalog.csv" "$REC/shop.ndjson"
    [ "$(jq -c '[.sku, [.similar[].sku]]' <<< "$output" | head -n 4)" = '["G1",["G2","T1"]]
["G2",["G1","T1"]]
["G3",["G1"]]
["K1",["K2"]]' ]
}

@test "a catalogue with problems: rows named by line, exit 1 without a sku column" {
    printf 'sku,in_stock\nK1,yes\n,yes\nK2,maybe\n' > cat.csv
    run --separate-stderr cdp-recommend --as-of 2026-11-20 --catalog cat.csv "$REC/shop.ndjson"
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "cdp-recommend: cat.csv:3: no sku; row skipped" ]
    [ "${stderr_lines[1]}" = "cdp-recommend: cat.csv:4: in_stock is not yes/no or a number; taken as out of stock" ]
    # Only K1 may be offered, and p1 bought it.
    [ "$(grep -F '"p9"' <<< "$output" | jq -r '[.recommendations[].sku] | join(" ")')" = "K1" ]
    printf 'article,in_stock\nK1,yes\n' > cat.csv
    run --separate-stderr cdp-recommend -o out.ndjson --catalog cat.csv "$REC/shop.ndjson"
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "cdp-recommend: cat.csv: no sku column in the catalogue" ]
    [ ! -e out.ndjson ]
    run --separate-stderr cdp-recommend --catalog nosuch.csv "$REC/shop.ndjson"
    [ "$status" -eq 1 ]
    [[ "${stderr_lines[0]}" == "cdp-recommend: cannot open 'nosuch.csv'"* ]]
}

@test "recently viewed: its own list, latest first, without what was bought since" {
    run plain --viewed 5 --top 1 "$REC/shop.ndjson"
    [ "$(jq -c '[.cdp_id, .viewed]' <<< "$output")" = '["p1",[]]
["p10",[]]
["p2",[{"sku":"G3","at":"2026-11-05T10:00:00Z","category":"Гостиная"}]]
["p3",[]]
["p4",[]]
["p5",[]]
["p6",[]]
["p7",[{"sku":"G2","at":"2026-11-18T10:05:00Z","category":"Гостиная"},{"sku":"G1","at":"2026-11-18T10:00:00Z","category":"Гостиная"}]]
["p8",[{"sku":"K5","at":"2026-11-18T10:00:00Z","category":"Кухня"}]]
["p9",[]]' ]
    # p2 viewed K3 on 09-20 and bought it on 10-01: no reminder. The list
    # keeps the other exclusions.
    run person p7 --viewed 5 --exclude-category-bought Гостиная=365
    [ "$(jq -c '.viewed | length' <<< "$output")" = 2 ]
    run person p7 --viewed 1 --filter '.sku != "G2"'
    [ "$(jq -c '.viewed' <<< "$output")" = '[{"sku":"G1","at":"2026-11-18T10:00:00Z","category":"Гостиная"}]' ]
}

@test "the same bytes whatever the threads and the order of the input" {
    cdp-recommend -q --as-of 2026-11-20 --threads 0 "$REC/shop.ndjson" > one.ndjson
    cdp-recommend -q --as-of 2026-11-20 --threads 3 "$REC/shop.ndjson" > three.ndjson
    tac "$REC/shop.ndjson" | cdp-recommend -q --as-of 2026-11-20 > reversed.ndjson
    cmp one.ndjson three.ndjson
    cmp one.ndjson reversed.ndjson
    [ "$(wc -l < one.ndjson)" -eq 10 ]
    # Without --as-of: the moment after the latest event (p6's, 11-19 15:00).
    cdp-recommend -q --as-of 2026-11-19T15:00:00.001Z "$REC/shop.ndjson" > latest.ndjson
    cdp-recommend -q "$REC/shop.ndjson" | cmp - latest.ndjson
}

@test "evaluation: learn before the split, score what was bought after (hand-checked)" {
    # eval.ndjson adds O8: p2 buys K4 and G3 on 2026-11-12. Learnt before
    # 11-01 (O1 and O7 are after), p2's list is K4 (pairs), G1 G2 G3 T1
    # (popular: all else was bought): hits at 1 and 4 of 2, NDCG (1 + 1/log2 5)
    # / (1 + 1/log2 3) = 0.8772; popularity G1 G2 G3 K4 T1: hits at 3 and 4,
    # (1/2 + 1/log2 5) / (1 + 1/log2 3) = 0.5706. p3, p4 and p5 bought nothing
    # after it.
    run --separate-stderr cdp-recommend --evaluate 2026-11-01 --half-life 0 --popular-half-life 0 \
        --popular-weight 0 "$REC/eval.ndjson"
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"split":"2026-11-01","k":10,"people":4,"items":8,"evaluated":1,"truth":2,"recommender":{"precision":0.2000,"recall":1.0000,"hit_rate":1.0000,"ndcg":0.8772},"popular":{"precision":0.2000,"recall":1.0000,"hit_rate":1.0000,"ndcg":0.5706}}
OUT
    [ "$stderr" = "cdp-recommend: 28 records read, 26 events, 0 rejected, 1 people evaluated" ]
    # At 2: K4 G1 against G1 G2.
    run cdp-recommend -q --evaluate 2026-11-01 --top 2 --half-life 0 --popular-half-life 0 \
        --popular-weight 0 "$REC/eval.ndjson"
    [ "$(jq -c '[.k, .recommender.precision, .recommender.ndcg, .popular.hit_rate]' <<< "$output")" = '[2,0.5,0.6131,0]' ]
}

@test "evaluation on UCI Online Retail: at least SAR's figures, and SAR's own reproduced" {
    [ -d "$SHARED/online-retail/by-day" ] || skip "no ../shared/data/online-retail"
    run "$BATS_TEST_DIRNAME/../examples/recommend-online-retail.sh" "$SHARED/online-retail/by-day" out
    [ "$status" -eq 0 ]
    # The protocol's counts, from the data.
    [ "$(jq -c '[.people, .items, .evaluated]' out/evaluation.json)" = '[3970,3608,1440]' ]
    # The reference: a plain SAR (people who bought both, jaccard, 30-day
    # half-life) and popularity by buyers give the issue's figures.
    [ "$(jq -c '[.recommender.precision, .recommender.recall, .recommender.hit_rate]' out/evaluation-sar.json)" = '[0.068,0.051,0.3924]' ]
    [ "$(jq -c '[.popular.precision, .popular.recall, .popular.hit_rate]' out/evaluation-sar.json)" = '[0.0345,0.0192,0.2542]' ]
    # The defaults beat both, on every figure, in the same run.
    jq -e --slurpfile sar out/evaluation-sar.json '.recommender as $r | $sar[0].recommender as $s |
        $r.precision > $s.precision and $r.recall > $s.recall and $r.hit_rate > $s.hit_rate and $r.ndcg > $s.ndcg and
        $r.precision >= 0.068 and $r.recall >= 0.051 and $r.hit_rate >= 0.39' out/evaluation.json
    # A list for every customer.
    [ "$(zstd -dc out/recommendations.ndjson.zst | wc -l)" -eq "$(zstd -dc out/linked.ndjson.zst | jq -r .cdp_id | sort -u | wc -l)" ]
}

@test "bad input: lines that are not records are rejected and counted; a missing file exits 1" {
    { head -n 3 "$REC/shop.ndjson"; echo 'oops'; echo '[1,2]'; tail -n +4 "$REC/shop.ndjson"; } > in.ndjson
    run --separate-stderr cdp-recommend --as-of 2026-11-20 --rejects rej.ndjson --stats stats.json -o out.ndjson in.ndjson
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "cdp-recommend: in.ndjson:4: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.; line rejected" ]
    [ "${stderr_lines[1]}" = "cdp-recommend: in.ndjson:5: not a JSON object; line rejected" ]
    [ "${stderr_lines[2]}" = "cdp-recommend: 28 records read, 24 events, 2 rejected, 10 people written" ]
    assert_file rej.ndjson <<'OUT'
{"_source":null,"file":"in.ndjson","line":4,"row":null,"code":"invalid_json","reason":"invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.","raw":"oops"}
{"_source":null,"file":"in.ndjson","line":5,"row":null,"code":"not_object","reason":"not a JSON object","raw":"[1,2]"}
OUT
    [ "$(jq -c .counts stats.json)" = '{"read":28,"events":24,"rejected":2,"anonymous":3,"undated":0,"people":10,"items":9,"future":0,"baskets":7,"pairs":18,"baskets_too_large":0,"written":10}' ]
    cdp-recommend -q --as-of 2026-11-20 "$REC/shop.ndjson" | cmp - out.ndjson
    run --separate-stderr cdp-recommend -o out2.ndjson nosuch.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "cdp-recommend: cannot open 'nosuch.ndjson': No such file or directory" ]
    [ ! -e out2.ndjson ]
    # A zstd file cut short is an I/O error: nothing is written.
    zstd -q -c "$REC/shop.ndjson" | head -c 200 > cut.ndjson.zst
    run --separate-stderr cdp-recommend -o out3.ndjson cut.ndjson.zst
    [ "$status" -eq 1 ]
    [ ! -e out3.ndjson ]
}

@test "values as written: undated events, numbers as skus, CSV input, stdin" {
    printf '%s\n' '{"cdp_id":"a","event":"purchase","order_id":1,"sku":100}' \
        '{"cdp_id":"a","event":"purchase","order_id":1,"sku":"200"}' \
        '{"cdp_id":"b","event":"purchase","order_id":2,"sku":100,"ts":"not a time"}' > in.ndjson
    run --separate-stderr cdp-recommend --stats stats.json --popular-half-life 0 --viewed 0 < in.ndjson
    [ "$status" -eq 0 ]
    # Undated: no time to decay from, so no affinity with a half-life (b's
    # list is popular only); none at all without one.
    assert_output <<'OUT'
{"cdp_id":"a","recommendations":[]}
{"cdp_id":"b","recommendations":[{"sku":"200","score":0.5,"reason":"popular"}]}
OUT
    [ "$(jq -c '[.counts.undated, .counts.baskets]' stats.json)" = '[3,2]' ]
    run cdp-recommend -q --half-life 0 --popular-weight 0 --viewed 0 in.ndjson
    [ "$(sed -n 2p <<< "$output")" = '{"cdp_id":"b","recommendations":[{"sku":"200","score":2,"reason":"bought_together","because":"100"}]}' ]
    printf 'cdp_id;event;order_id;sku\na;purchase;1;100\na;purchase;1;200\nb;purchase;2;100\n' > in.csv
    run cdp-recommend -q --half-life 0 --popular-weight 0 --viewed 0 -d ';' in.csv
    [ "$(sed -n 2p <<< "$output")" = '{"cdp_id":"b","recommendations":[{"sku":"200","score":2,"reason":"bought_together","because":"100"}]}' ]
    # A return (a negative qty, a string in CSV) takes back its purchase:
    # b's 100 is no anchor any more.
    printf 'cdp_id;event;order_id;sku;qty\na;purchase;1;100;1\na;purchase;1;200;1\nb;purchase;2;100;1\nb;purchase;3;100;-1\n' > in.csv
    run cdp-recommend -q --half-life 0 --popular-half-life 0 --popular-weight 0 --viewed 0 -d ';' in.csv
    [ "$(sed -n 2p <<< "$output")" = '{"cdp_id":"b","recommendations":[{"sku":"200","score":0.5,"reason":"popular"}]}' ]
}

@test "cdp-export --recommendations: rec_1..rec_N columns, or a member of NDJSON lines" {
    plain --top 3 -o recs.ndjson "$REC/shop.ndjson"
    printf '%s\n' '{"cdp_id":"p1","email":"anna@example.com","first_name":"Анна","consent_email":true}' \
        '{"cdp_id":"p9","email":"ivan@example.com","consent_email":true}' \
        '{"cdp_id":"p42","email":"new@example.com","consent_email":true}' > profiles.ndjson
    run --separate-stderr cdp-export -q --format mailchimp --recommendations recs.ndjson --rec-columns 4 profiles.ndjson
    [ "$status" -eq 0 ]
    # p1: K3 K4 G1 (top 3 of the file); p42 has no line in it.
    assert_output <<'OUT'
Email Address,First Name,Last Name,Birthday,Phone Number,Tags,rec_1,rec_2,rec_3,rec_4
anna@example.com,Анна,,,,,K3,K4,G1,
ivan@example.com,,,,,,K1,K2,K3,
new@example.com,,,,,,,,,
OUT
    run cdp-export -q --format csv -c email=.email --recommendations recs.ndjson --rec-columns 1 profiles.ndjson
    [ "$output" = $'email,rec_1\nanna@example.com,K3\nivan@example.com,K1\nnew@example.com,' ]
    run cdp-export -q --format ndjson --recommendations recs.ndjson --rec-columns 2 profiles.ndjson
    [ "${lines[0]}" = '{"cdp_id":"p1","email":"anna@example.com","first_name":"Анна","consent_email":true,"recommendations":["K3","K4"]}' ]
    [ "${lines[2]}" = '{"cdp_id":"p42","email":"new@example.com","consent_email":true,"recommendations":[]}' ]
    run --separate-stderr cdp-export --format meta --recommendations recs.ndjson profiles.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-export: --recommendations: --format meta has fixed columns" ]
    printf '{"cdp_id":"p1","recommendations":[{"score":1}]}\n' > bad.ndjson
    run --separate-stderr cdp-export -o out.csv --format mailchimp --recommendations bad.ndjson profiles.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "cdp-export: --recommendations bad.ndjson:1: damaged recommendations line: a recommendation without a sku" ]
    [ ! -e out.csv ]
}

@test "CSV: one row per list entry, the same facts as the NDJSON lines; quoting; -o NAME.csv" {
    # Every table as CSV holds what its NDJSON holds, row for row (jq turns
    # the lines into the expected rows independently of the writer).
    plain -n 3 --viewed 2 -f csv "$REC/shop.ndjson" > got.csv
    plain -n 3 --viewed 2 "$REC/shop.ndjson" | jq -r '.cdp_id as $id |
        (.recommendations | to_entries[] | [$id, "recommended", .key + 1, .value.sku, .value.score,
            .value.reason, .value.because // "", .value.category // "", ""]),
        (.viewed | to_entries[] | [$id, "viewed", .key + 1, .value.sku, "", "", "",
            .value.category // "", .value.at]) | map(tostring) | join(",")' > want.csv
    [ "$(head -1 got.csv)" = "cdp_id,list,rank,sku,score,reason,because,category,viewed_at" ]
    [ "$(sed -n 2p got.csv)" = "p1,recommended,1,K3,4,bought_together,K1,Кухня," ]
    tail -n +2 got.csv | diff - want.csv
    [ "$(grep -c ',viewed,' got.csv)" -gt 0 ]
    plain --similar -n 2 -o similar.csv "$REC/shop.ndjson"
    plain --similar -n 2 "$REC/shop.ndjson" | jq -r '.sku as $a | .baskets as $n | .similar |
        to_entries[] | [$a, $n, .key + 1, .value.sku, .value.support, .value.confidence,
            .value.lift, .value.count] | map(tostring) | join(",")' > want-similar.csv
    [ "$(head -1 similar.csv)" = "sku,baskets,rank,similar_sku,support,confidence,lift,count" ]
    [ "$(sed -n 2p similar.csv)" = "G1,2,1,G2,0.142857,0.5,3.5,1" ]
    tail -n +2 similar.csv | diff - want-similar.csv
    [ "$(stat -c %a similar.csv)" = 600 ]
    # -f ndjson wins over the name; .csv.zst is CSV too.
    plain --similar -n 2 -f ndjson -o forced.csv "$REC/shop.ndjson"
    [ "$(head -c 8 forced.csv)" = '{"sku":"' ]
    plain --similar -n 2 -o similar.csv.zst "$REC/shop.ndjson"
    zstd -dcq similar.csv.zst | cmp - similar.csv
    # The evaluation: one row a model.
    cdp-recommend -q --evaluate 2026-10-01 --format csv "$REC/shop.ndjson" > eval.csv
    [ "$(cat eval.csv)" = "split,k,people,items,evaluated,truth,model,precision,recall,hit_rate,ndcg
2026-10-01,10,3,7,0,0,recommender,0.0000,0.0000,0.0000,0.0000
2026-10-01,10,3,7,0,0,popular,0.0000,0.0000,0.0000,0.0000" ]
    # Cells holding the delimiter, quotes or a leading space are quoted.
    printf '%s\n' \
        '{"_kind":"event","cdp_id":"a,1","ts":"2026-11-01T10:00:00Z","event":"purchase","order_id":"1","sku":"X,1","category":"Sofa \"Oslo\""}' \
        '{"_kind":"event","cdp_id":"a,1","ts":"2026-11-01T10:00:00Z","event":"purchase","order_id":"1","sku":" Y"}' \
        '{"_kind":"event","cdp_id":"b","ts":"2026-11-02T10:00:00Z","event":"purchase","order_id":"2","sku":"X,1","category":"Sofa \"Oslo\""}' > odd.ndjson
    run cdp-recommend -q --as-of 2026-11-20 --half-life 0 --popular-weight 0 --exclude-bought 0 \
        -f csv odd.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = 'cdp_id,list,rank,sku,score,reason,because,category,viewed_at
"a,1",recommended,1," Y",2,bought_together,"X,1",,
"a,1",recommended,2,"X,1",2,bought_together," Y","Sofa ""Oslo""",
b,recommended,1," Y",2,bought_together,"X,1",,
b,recommended,2,"X,1",1,category,,"Sofa ""Oslo""",' ]
    # A person whose list is empty has no row (NDJSON writes their empty list).
    run cdp-recommend -q --as-of 2026-11-20 --half-life 0 --popular-weight 0 --fallback none \
        -f csv odd.ndjson
    [ "$output" = 'cdp_id,list,rank,sku,score,reason,because,category,viewed_at
b,recommended,1," Y",2,bought_together,"X,1",,' ]
}
