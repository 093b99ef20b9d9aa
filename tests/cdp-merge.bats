#!/usr/bin/env bats
# cdp-merge: golden records, survivorship, consent, traits, grouping.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# One person (p1) seen by the CRM twice and the shop, with a history of
# events around the as-of day 2026-11-20; a second person (p2).
history() {
    cat > in.ndjson <<'IN'
{"_source":"crm","_rid":"1","_kind":"person","cdp_id":"p1","first_name":"Ольга","last_name":"Смирнова","city":"Москва","email":"olga@mail.ru","phone":"+79160000001","card":"0010231","consent_email":true,"consent_sms":true,"updated_at":"2026-01-10T10:00:00Z","created_at":"2019-03-02T09:00:00Z"}
{"_source":"shop","_rid":"10001","_kind":"person","cdp_id":"p1","first_name":"Olga","last_name":"Smirnova","city":"Санкт-Петербург","email":"olga.s@gmail.com","customer_id":"10001","consent_email":false,"updated_at":"2026-11-10T16:40:02Z","created_at":"2021-05-01T00:00:00Z"}
{"_source":"crm","_rid":"2","_kind":"person","cdp_id":"p1","first_name":"Ольга","last_name":"Смирнова","middle_name":"Викторовна","city":"Москва","card":"0099999","consent_sms":false}
{"_source":"pos","_rid":"1","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2025-11-21T09:00:00Z","order_id":"R1","sku":"K1","category":"Кухня","qty":1,"price":89990.00,"amount":89990.00,"channel":"pos","store":"Авиапарк"}
{"_source":"pos","_rid":"2","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2025-11-21T09:00:00Z","order_id":"R1","sku":"K2","category":"Кухня","qty":2,"price":1000.50,"amount":2001.00,"channel":"pos","store":"Авиапарк"}
{"_source":"pos","_rid":"3","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2025-11-20T23:59:59Z","order_id":"R0","sku":"G1","category":"Гостиная","qty":1,"amount":500.00,"channel":"pos","store":"Химки"}
{"_source":"web","_rid":"1","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2026-10-22T12:00:00Z","order_id":"W1","sku":"S1","category":"Спальня","qty":1,"price":30000,"amount":30000,"channel":"web"}
{"_source":"pos","_rid":"4","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2026-10-23T10:00:00Z","order_id":"R2","sku":"S1","category":"Спальня","qty":-1,"amount":-30000,"channel":"pos","store":"Химки"}
{"_source":"web","_rid":"2","_kind":"event","cdp_id":"p1","event":"view","ts":"2026-11-18T10:00:00Z","sku":"K3","category":"Кухня","channel":"web"}
{"_source":"web","_rid":"3","_kind":"event","cdp_id":"p1","event":"view","ts":"2026-11-19T10:00:00Z","sku":"K4","category":"Кухня","channel":"app"}
{"_source":"web","_rid":"4","_kind":"event","cdp_id":"p1","event":"view","ts":"2026-11-19T11:00:00Z","sku":"K3","category":"Кухня","channel":"web"}
{"_source":"web","_rid":"5","_kind":"event","cdp_id":"p1","event":"cart_add","ts":"2026-11-18T11:00:00Z","sku":"K3","category":"Кухня","qty":1,"price":5000,"channel":"web"}
{"_source":"web","_rid":"6","_kind":"event","cdp_id":"p1","event":"cart_add","ts":"2026-11-18T11:01:00Z","sku":"K4","category":"Кухня","qty":2,"price":700.5,"channel":"web"}
{"_source":"web","_rid":"7","_kind":"event","cdp_id":"p1","event":"cart_add","ts":"2026-11-18T11:02:00Z","sku":"K5","category":"Кухня","qty":1,"price":100,"channel":"web"}
{"_source":"web","_rid":"8","_kind":"event","cdp_id":"p1","event":"cart_remove","ts":"2026-11-18T11:03:00Z","sku":"K5","channel":"web"}
{"_source":"pos","_rid":"5","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2026-11-19T09:00:00Z","order_id":"R3","sku":"K4","category":"Кухня","qty":2,"amount":1401.00,"channel":"pos","store":"Авиапарк"}
{"_source":"web","_rid":"9","_kind":"event","cdp_id":"p1","event":"cart_add","ts":"2026-11-20T12:00:00Z","sku":"K6","category":"Кухня","qty":1,"price":10,"channel":"web"}
{"_source":"web","_rid":"10","_kind":"event","cdp_id":"p1","event":"view","ts":"2026-11-21T10:00:00Z","sku":"K9","category":"Кухня","channel":"web"}
{"_source":"crm","_rid":"3","_kind":"person","cdp_id":"p2","first_name":"Иван","consent_email":true}
{"_source":"web","_rid":"11","_kind":"event","cdp_id":null,"event":"view","ts":"2026-11-19T10:00:00Z","sku":"K1"}
IN
}

@test "--help, --version, usage errors" {
    run cdp-merge --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-merge [OPTION]... [FILE]..." ]
    run cdp-merge --version
    [[ "$output" =~ ^cdp-merge\ \(cdp\)\  ]]
    run cdp-merge --rule city=newest
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-merge: --rule takes FIELD=POLICY (recent, prefer, frequent, first, min, max), not 'city=newest'" ]
    run cdp-merge --as-of 2026-13-01
    [ "$status" -eq 2 ]
    run cdp-merge --memory lots
    [ "$status" -eq 2 ]
    run cdp-merge --trait 'x=.profile |||' in.ndjson
    [ "$status" -eq 2 ]
    [[ "${lines[0]}" == "cdp-merge: --trait x: "*"syntax error"* ]]
}

# What the expected profile says, worked out by hand:
# - names and city: crm/2 has no date, so it counts as recent as p1's latest
#   event (2026-11-20T12:00), newer than the shop's 2026-11-10 update;
# - cards: 0099999 (crm/2, that recent) before 0010231 (crm/1, 2026-01-10);
# - consent_email: the shop's "no" of 2026-11-10 is newer than the CRM's "yes";
#   consent_sms: crm/2's undated "no" wins over crm/1's dated "yes";
# - orders R0 (2025-11-20 23:59:59, 365 days before: outside 365d), R1
#   (2025-11-21, inside), W1, R3 (inside 30d); R2 returns W1's item;
# - the cart: K3 open; K4 bought at a till the next day; K5 removed; K6 added
#   less than 24 hours before the end of the as-of day; web/10 and its view
#   come after the as-of day and do not count.
@test "a golden profile with every trait, as of the end of the as-of day" {
    history
    run --separate-stderr cdp-merge --as-of 2026-11-20 --prefer crm,shop in.ndjson
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"cdp_id":"p1","last_name":"Смирнова","first_name":"Ольга","middle_name":"Викторовна","city":"Москва","created_at":"2019-03-02T09:00:00Z","updated_at":"2026-11-10T16:40:02Z","email":"olga.s@gmail.com","emails":["olga.s@gmail.com","olga@mail.ru"],"phone":"+79160000001","phones":["+79160000001"],"cards":["0099999","0010231"],"customer_ids":["10001"],"consent_email":false,"consent_email_source":"shop/10001","consent_email_at":"2026-11-10T16:40:02Z","consent_sms":false,"consent_sms_source":"crm/2","orders":4,"revenue":93892.00,"avg_order_value":23473.00,"first_purchase_at":"2025-11-20T23:59:59Z","last_purchase_at":"2026-11-19T09:00:00Z","days_since_last_purchase":1,"orders_30d":2,"orders_90d":2,"orders_365d":3,"revenue_365d":93392.00,"returns":1,"categories":{"Гостиная":{"orders":1,"revenue":500.00,"first_at":"2025-11-20T23:59:59Z","last_at":"2025-11-20T23:59:59Z","views":0},"Кухня":{"orders":2,"revenue":93392.00,"first_at":"2025-11-21T09:00:00Z","last_at":"2026-11-19T09:00:00Z","views":3,"last_view_at":"2026-11-19T11:00:00Z"},"Спальня":{"orders":1,"revenue":0.00,"first_at":"2026-10-22T12:00:00Z","last_at":"2026-10-22T12:00:00Z","views":0}},"top_category":"Кухня","views_30d":3,"last_viewed":[{"sku":"K3","category":"Кухня","at":"2026-11-19T11:00:00Z"},{"sku":"K4","category":"Кухня","at":"2026-11-19T10:00:00Z"}],"abandoned_cart":{"since":"2026-11-18T11:00:00Z","items":[{"sku":"K3","category":"Кухня","qty":1,"price":5000.00}],"value":5000.00},"channels":{"app":1,"pos":5,"web":8},"stores":["Авиапарк","Химки"],"sources":{"crm":["1","2"],"pos":["1","2","3","4","5"],"shop":["10001"],"web":["1","2","3","4","5","6","7","8","9","10"]},"records":18}
{"cdp_id":"p2","first_name":"Иван","consent_email":true,"consent_email_source":"crm/3","orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["3"]},"records":1}
OUT
    [ "$stderr" = "cdp-merge: 20 records read, 2 profiles, 1 anonymous events, 0 rejected" ]
}

@test "survivorship: --rule FIELD=POLICY and --prefer" {
    cat > in.ndjson <<'IN'
{"_source":"crm","_rid":"1","cdp_id":"a","city":"Москва","first_name":"Анна","updated_at":"2026-01-01T00:00:00Z"}
{"_source":"shop","_rid":"1","cdp_id":"a","city":"Казань","first_name":"Аня","updated_at":"2026-06-01T00:00:00Z"}
{"_source":"pos","_rid":"1","cdp_id":"a","city":"Москва","first_name":"Анна","updated_at":"2025-01-01T00:00:00Z"}
IN
    pick() { cdp-merge -q --as-of 2026-11-20 "$@" in.ndjson | jq -r '"\(.city) \(.first_name)"'; }
    [ "$(pick)" = "Казань Аня" ]                                  # recent
    [ "$(pick --prefer crm --rule city=prefer)" = "Москва Аня" ]  # the trusted source
    [ "$(pick --rule city=frequent --rule first_name=frequent)" = "Москва Анна" ]
    [ "$(pick --rule first_name=first)" = "Москва Анна" ] || [ "$(pick --rule first_name=first | cut -d' ' -f2)" = "Анна" ]
    [ "$(pick --rule city=min)" = "Казань Аня" ]
    [ "$(pick --rule city=max)" = "Москва Аня" ]
}

@test "consent: the latest dated answer; an undated no wins; an undated yes only alone" {
    cat > in.ndjson <<'IN'
{"_source":"crm","_rid":"1","cdp_id":"a","consent_email":true,"updated_at":"2026-01-01T00:00:00Z"}
{"_source":"shop","_rid":"1","cdp_id":"a","consent_email":false,"updated_at":"2025-01-01T00:00:00Z"}
{"_source":"crm","_rid":"2","cdp_id":"b","consent_email":true,"updated_at":"2026-01-01T00:00:00Z"}
{"_source":"shop","_rid":"2","cdp_id":"b","consent_email":false}
{"_source":"crm","_rid":"3","cdp_id":"c","consent_email":true}
{"_source":"crm","_rid":"4","cdp_id":"d","consent_sms":true,"updated_at":"2026-01-01T00:00:00Z"}
{"_source":"shop","_rid":"4","cdp_id":"d","consent_sms":false,"updated_at":"2026-01-01T00:00:00Z"}
IN
    run cdp-merge -q --as-of 2026-11-20 in.ndjson
    run jq -c '[.cdp_id, .consent_email, .consent_email_source, .consent_email_at, .consent_sms, .consent_sms_source]' <<< "$output"
    assert_output <<'OUT'
["a",true,"crm/1","2026-01-01T00:00:00Z",null,null]
["b",false,"shop/2",null,null,null]
["c",true,"crm/3",null,null,null]
["d",null,null,null,false,"shop/4"]
OUT
}

@test "--as-of windows at their edges; events after the as-of moment do not count" {
    printf '%s\n' \
        '{"_source":"p","_rid":"1","cdp_id":"a","event":"purchase","ts":"2026-10-22T00:00:00Z","order_id":"1","amount":1}' \
        '{"_source":"p","_rid":"2","cdp_id":"a","event":"purchase","ts":"2026-10-21T23:59:59Z","order_id":"2","amount":1}' \
        '{"_source":"p","_rid":"3","cdp_id":"a","event":"purchase","ts":"2026-08-23T00:00:00Z","order_id":"3","amount":1}' \
        '{"_source":"p","_rid":"4","cdp_id":"a","event":"purchase","ts":"2026-08-22T12:00:00Z","order_id":"4","amount":1}' \
        '{"_source":"p","_rid":"5","cdp_id":"a","event":"purchase","ts":"2026-11-20T23:59:59Z","order_id":"5","amount":1}' \
        '{"_source":"p","_rid":"6","cdp_id":"a","event":"purchase","ts":"2026-11-21T00:00:00Z","order_id":"6","amount":1}' > in.ndjson
    run cdp-merge -q --as-of 2026-11-20 in.ndjson
    [ "$(jq -c '[.orders, .orders_30d, .orders_90d, .days_since_last_purchase, .last_purchase_at]' <<< "$output")" = '[5,2,4,0,"2026-11-20T23:59:59Z"]' ]
    # a moment in the day: the purchase at 23:59:59 has not happened yet
    run cdp-merge -q --as-of 2026-11-20T12:00:00Z in.ndjson
    [ "$(jq -c '[.orders, .orders_30d, .days_since_last_purchase]' <<< "$output")" = '[4,1,29]' ]
}

@test "custom traits with jq over {profile, events}; a run-time error is counted, not fatal" {
    history
    run --separate-stderr cdp-merge --as-of 2026-11-20 \
        --trait 'kitchen_views=[.events[] | select(.event == "view" and .category == "Кухня")] | length' \
        --trait 'big=.profile.orders >= 4' \
        --trait 'oops=.profile.first_name | .x' in.ndjson
    [ "$status" -eq 0 ]
    run jq -c '[.cdp_id, .kitchen_views, .big, .oops]' <<< "$output"
    assert_output <<'OUT'
["p1",3,true,null]
["p2",0,false,null]
OUT
    [[ "$stderr" == *'cdp-merge: cdp_id p1: trait oops: Cannot index string with string "x"'* ]]
    [[ "$stderr" == *'cdp-merge: cdp_id p2: trait oops: Cannot index string with string "x"'* ]]
}

@test "spilling to disk gives the same bytes as grouping in memory; any thread count too" {
    cdp-gen -q -n 400 -o gen
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 --map "$CDP_SHARE/maps/crm-1c.map" --as-of 2026-11-20 -o crm.ndjson gen/crm.csv 2>/dev/null
    cdp-ingest -q -s pos --tz +03:00 --map "$CDP_SHARE/maps/pos.map" -o pos.ndjson gen/pos-receipts.csv 2>/dev/null
    cdp-ingest -q -s web --map "$CDP_SHARE/maps/web.map" -o web.ndjson gen/web-events.ndjson.zst 2>/dev/null
    cdp-dedupe -q -o linked.ndjson crm.ndjson pos.ndjson web.ndjson
    cdp-merge -q --as-of 2026-11-20 --stats mem.json -o mem.ndjson linked.ndjson
    cdp-merge -q --as-of 2026-11-20 --memory 64K --stats spill.json --threads 3 -o spill.ndjson linked.ndjson
    cdp-merge -q --as-of 2026-11-20 --threads 0 -o one.ndjson < linked.ndjson
    cmp mem.ndjson spill.ndjson
    cmp mem.ndjson one.ndjson
    [ "$(jq .grouping.runs_spilled mem.json)" = null ] || [ "$(jq .grouping.runs_spilled mem.json)" -eq 0 ]
    [ "$(jq .grouping.runs_spilled spill.json)" -gt 5 ]
    # sorted by cdp_id, one line each
    [ "$(jq -r .cdp_id mem.ndjson | sort -c && echo sorted)" = sorted ]
    [ "$(jq -r .cdp_id mem.ndjson | sort -u | wc -l)" -eq "$(wc -l < mem.ndjson)" ]
}

@test "lines that are not records are rejected and counted" {
    printf '%s\n' '{"_source":"a","_rid":"1","cdp_id":"x","first_name":"Анна"}' 'oops' '{"_source":"a","_rid":"2","cdp_id":"x"' > in.ndjson
    run --separate-stderr cdp-merge --rejects rej.ndjson in.ndjson
    [ "$status" -eq 0 ]
    [ "$(jq -r .first_name <<< "$output")" = "Анна" ]
    assert_file rej.ndjson <<'OUT'
{"_source":null,"file":"in.ndjson","line":2,"row":2,"code":"invalid_json","reason":"not a JSON object","raw":"oops"}
{"_source":null,"file":"in.ndjson","line":3,"row":3,"code":"invalid_json","reason":"not a JSON object","raw":"{\"_source\":\"a\",\"_rid\":\"2\",\"cdp_id\":\"x\""}
OUT
    [ "${stderr##*$'\n'}" = "cdp-merge: 3 records read, 1 profiles, 0 anonymous events, 2 rejected" ]
}

@test "loyalty: the surviving balance and the points expiring with their date" {
    cat > in.ndjson <<'IN'
{"_source":"crm","_rid":"1","cdp_id":"a","points_balance":1200.50,"points_expire_at":"2026-12-31","updated_at":"2026-11-01T00:00:00Z"}
{"_source":"crm","_rid":"2","cdp_id":"a","points_balance":900,"points_expire_at":"2026-06-30","updated_at":"2026-01-01T00:00:00Z"}
{"_source":"crm","_rid":"3","cdp_id":"b","points_balance":300,"points_expire_at":"2026-11-19","updated_at":"2026-11-01T00:00:00Z"}
{"_source":"crm","_rid":"4","cdp_id":"c","points_balance":0,"points_expire_at":"2026-12-31","updated_at":"2026-11-01T00:00:00Z"}
{"_source":"crm","_rid":"5","cdp_id":"d","points_balance":50,"points_expire_at":"2026-11-20","updated_at":"2026-11-01T00:00:00Z"}
IN
    run --separate-stderr cdp-merge --as-of 2026-11-20 in.ndjson
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"cdp_id":"a","points_balance":1200.50,"points_expire_at":"2026-12-31","updated_at":"2026-11-01T00:00:00Z","points_expiring":{"points":1200.50,"at":"2026-12-31","days":41},"orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["1","2"]},"records":2}
{"cdp_id":"b","points_balance":300,"points_expire_at":"2026-11-19","updated_at":"2026-11-01T00:00:00Z","orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["3"]},"records":1}
{"cdp_id":"c","points_balance":0,"points_expire_at":"2026-12-31","updated_at":"2026-11-01T00:00:00Z","orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["4"]},"records":1}
{"cdp_id":"d","points_balance":50,"points_expire_at":"2026-11-20","updated_at":"2026-11-01T00:00:00Z","points_expiring":{"points":50,"at":"2026-11-20","days":0},"orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["5"]},"records":1}
OUT
}

@test "placeholders are nobody's identifiers; an empty cdp_id is anonymous; the last --rule wins" {
    cat > in.ndjson <<'IN'
{"_source":"pos","_rid":"1","cdp_id":"a","phone":"+79999999999","updated_at":"2026-11-01T00:00:00Z"}
{"_source":"crm","_rid":"1","cdp_id":"a","phone":"+79161234567","email":"anonymous","city":"Казань","updated_at":"2026-01-01T00:00:00Z"}
{"_source":"crm","_rid":"2","cdp_id":"a","city":"Москва","updated_at":"2026-02-01T00:00:00Z"}
{"_source":"web","_rid":"1","cdp_id":"","event":"view","ts":"2026-11-01T00:00:00Z"}
IN
    run --separate-stderr cdp-merge --as-of today --rule city=min --rule city=max in.ndjson
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"cdp_id":"a","city":"Москва","updated_at":"2026-11-01T00:00:00Z","phone":"+79161234567","phones":["+79161234567"],"orders":0,"revenue":0.00,"orders_30d":0,"orders_90d":0,"orders_365d":0,"revenue_365d":0.00,"returns":0,"views_30d":0,"sources":{"crm":["1","2"],"pos":["1"]},"records":3}
OUT
    [ "$stderr" = "cdp-merge: 4 records read, 1 profiles, 1 anonymous events, 0 rejected" ]
}

@test "a line that ends like a record but is not JSON goes to --rejects" {
    printf '%s\n' '{"_source":"a","_rid":"1","cdp_id":"x"}' '{"_source":"a","_rid":"2","x":tru,"cdp_id":"y"}' > in.ndjson
    run --separate-stderr cdp-merge --as-of 2026-11-20 --rejects rej.ndjson --stats stats.json in.ndjson
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    assert_file rej.ndjson <<'OUT'
{"_source":null,"file":null,"line":null,"row":null,"code":"invalid_json","reason":"invalid JSON: Problem while parsing an atom starting with the letter 't'","raw":"{\"_source\":\"a\",\"_rid\":\"2\",\"x\":tru,\"cdp_id\":\"y\"}"}
OUT
    [ "${stderr_lines[1]}" = "cdp-merge: 2 records read, 1 profiles, 0 anonymous events, 1 rejected" ]
    [ "$(jq -c .counts stats.json)" = '{"read":2,"profiles":1,"anonymous":0,"rejected":1}' ]
}

# One person with N records of every shape that used to cost time in the
# square of a person's records (issue #13: 10k/20k/40k person records took
# 2.4/9.5/41 s): person records each with their own e-mail, phone, card and
# city; views, cart additions and the lines of one order, each of its own
# product and category; and N persons with a field of their own each.
many_records() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            printf "{\"_source\":\"crm\",\"_rid\":\"%d\",\"_kind\":\"person\",\"email\":\"p%d@x.ru\",\"phone\":\"+7916%07d\",\"card\":\"%d\",\"city\":\"C%d\",\"updated_at\":\"2026-01-%02dT10:00:00Z\",\"cdp_id\":\"p\"}\n", i, i, i, 1000000 + i, i % 9, i % 28 + 1
            ts = sprintf("2026-%02d-%02dT%02d:%02d:%02dZ", i % 10 + 1, i % 28 + 1, i % 24, i % 60, int(i / 60) % 60)
            printf "{\"_source\":\"web\",\"_rid\":\"v%d\",\"event\":\"view\",\"ts\":\"%s\",\"sku\":\"V%d\",\"category\":\"C%d\",\"cdp_id\":\"p\"}\n", i, ts, i, i
            printf "{\"_source\":\"web\",\"_rid\":\"c%d\",\"event\":\"cart_add\",\"ts\":\"%s\",\"sku\":\"S%d\",\"qty\":1,\"price\":1,\"cdp_id\":\"p\"}\n", i, ts, i
            printf "{\"_source\":\"pos\",\"_rid\":\"o%d\",\"event\":\"purchase\",\"ts\":\"2026-01-01T10:00:00Z\",\"order_id\":\"R1\",\"category\":\"K%d\",\"amount\":1,\"cdp_id\":\"p\"}\n", i, i
            printf "{\"_source\":\"crm\",\"_rid\":\"f%d\",\"_kind\":\"person\",\"x%d\":\"v\",\"cdp_id\":\"q%06d\"}\n", i, i, i
        } }'
}

@test "a person's records cost time in proportion to their number, not its square" {
    many_records 30000 > in.ndjson
    # CPU seconds, which a busy machine changes less than wall-clock time:
    # about 0.2 s here (1 s under the sanitizers); the square took minutes.
    TIMEFORMAT=%U
    { time cdp-merge -q --threads 0 --as-of 2026-11-20 -o out.ndjson in.ndjson; } 2> cpu
    [ "$(wc -l < out.ndjson)" -eq 30001 ]
    run jq -c 'select(.cdp_id == "p") | [((.emails, .phones, .cards, .categories, .abandoned_cart.items,
                                          .sources.crm, .sources.web) | length), .orders, .revenue, .records]' out.ndjson
    [ "$output" = "[30000,30000,30000,60000,30000,30000,60000,1,30000,120000]" ]
    run jq -r 'select(.cdp_id == "q029999") | .x29999' out.ndjson
    [ "$output" = "v" ]
    awk '{ exit !($1 < 8) }' cpu
}

# Four nights of a small shop, linked by cdp-dedupe with its state: on
# night 2 a shop account joins two CRM records (the journal says "merged"),
# on night 3 a correction of that account splits them again ("split"), on
# night 4 more events, one of them after the as-of moment.
nights() {
    cat > n1.ndjson <<'IN'
{"_source":"crm","_rid":"1","_kind":"person","email":"anna@mail.ru","first_name":"Анна","updated_at":"2026-01-10T00:00:00Z"}
{"_source":"crm","_rid":"2","_kind":"person","phone":"+79161234567","first_name":"Анна","city":"Москва"}
{"_source":"crm","_rid":"3","_kind":"person","card":"0012345","first_name":"Иван","points_balance":300,"points_expire_at":"2026-02-01"}
{"_source":"pos","_rid":"1","_kind":"event","event":"purchase","ts":"2026-01-11T10:00:00Z","order_id":"R1","amount":100,"phone":"+79161234567"}
{"_source":"web","_rid":"1","_kind":"event","event":"view","ts":"2026-01-11T11:00:00Z","sku":"S1","email":"anna@mail.ru"}
{"_source":"web","_rid":"2","_kind":"event","event":"cart_add","ts":"2026-01-11T12:00:00Z","sku":"S1","qty":1,"price":10,"card":"0012345"}
IN
    cat > n2.ndjson <<'IN'
{"_source":"shop","_rid":"7","_kind":"person","email":"anna@mail.ru","phone":"+79161234567","first_name":"Аня"}
{"_source":"pos","_rid":"2","_kind":"event","event":"purchase","ts":"2026-01-12T10:00:00Z","order_id":"R2","amount":50,"email":"anna@mail.ru"}
IN
    cat > n3.ndjson <<'IN'
{"_source":"shop","_rid":"7","_kind":"person","email":"anna@mail.ru","phone":"+79990000000","first_name":"Аня"}
{"_source":"pos","_rid":"3","_kind":"event","event":"purchase","ts":"2026-01-13T10:00:00Z","order_id":"R3","amount":70,"phone":"+79161234567"}
IN
    cat > n4.ndjson <<'IN'
{"_source":"pos","_rid":"4","_kind":"event","event":"return","ts":"2026-01-14T10:00:00Z","order_id":"R1","amount":100,"phone":"+79161234567"}
{"_source":"web","_rid":"3","_kind":"event","event":"view","ts":"2026-01-30T10:00:00Z","sku":"S2","card":"0012345"}
IN
    for n in 1 2 3 4; do
        cdp-dedupe -q --state ids.zst --journal journal.ndjson -o linked$n.ndjson n$n.ndjson
    done
}

@test "--state: night after night, the profiles of a run on every night so far, merges and splits too" {
    nights
    [ "$(jq -r .reason journal.ndjson | tr '\n' ' ')" = "merged split " ]
    for n in 1 2 3 4; do
        day=2026-01-2$n
        cdp-merge -q --as-of $day --journal journal.ndjson --state merge.state --stats inc$n.json \
            -o inc$n.ndjson linked$n.ndjson
        cdp-merge -q --as-of $day --journal journal.ndjson -o full$n.ndjson $(seq -f 'linked%g.ndjson' 1 $n)
        cmp inc$n.ndjson full$n.ndjson
    done
    # night 2: the CRM phone record's person merged into the e-mail one's
    [ "$(jq -c '[.cdp_id, .sources]' inc2.ndjson | wc -l)" -eq 2 ]
    [ "$(jq -c 'select(.sources.shop) | [.sources, .orders]' inc2.ndjson)" = \
      '[{"crm":["1","2"],"pos":["1","2"],"shop":["7"],"web":["1"]},2]' ]
    # night 4: Иван had no new record before the as-of moment: written again
    # from his saved profile, his points a day nearer to expiry
    [ "$(jq -c .state inc4.json)" = '{"profiles_restored":1,"profiles_remade":2,"persons":3,"records":12}' ]
    [ "$(jq -c 'select(.first_name == "Иван") | .points_expiring' inc4.ndjson)" = \
      '{"points":300,"at":"2026-02-01","days":8}' ]
    # the view of 01-30 is after the moment; on 01-31 it counts
    cdp-merge -q --as-of 2026-01-31 --journal journal.ndjson --state merge.state --stats inc5.json \
        -o inc5.ndjson /dev/null
    cdp-merge -q --as-of 2026-01-31 --journal journal.ndjson -o full5.ndjson linked?.ndjson
    cmp inc5.ndjson full5.ndjson
    [ "$(jq -c .state inc5.json)" = '{"profiles_restored":2,"profiles_remade":1,"persons":3,"records":12}' ]
    # the state holds every record kept, person by person
    [ "$(zstd -dc merge.state | wc -l)" -eq 12 ]
    [ "$(zstd -dc merge.state | jq -r ._rid | sort | tr '\n' ' ')" = "1 1 1 2 2 2 3 3 3 4 7 7 " ]
}

@test "--state: nights of generated data; new options, an earlier moment or traits make every profile again" {
    cdp-gen -q -n 300 -o gen
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 --map "$CDP_SHARE/maps/crm-1c.map" --as-of 2026-11-20 -o crm.ndjson gen/crm.csv 2>/dev/null
    cdp-ingest -q -s pos --tz +03:00 --map "$CDP_SHARE/maps/pos.map" -o pos.ndjson gen/pos-receipts.csv 2>/dev/null
    cdp-ingest -q -s web --map "$CDP_SHARE/maps/web.map" -o web.ndjson gen/web-events.ndjson.zst 2>/dev/null
    cdp-dedupe -q -o linked.ndjson crm.ndjson pos.ndjson web.ndjson
    # five nights: every fifth line each
    for n in 1 2 3 4 5; do awk -v n=$n 'NR % 5 == n % 5' linked.ndjson > night$n.ndjson; done
    for n in 1 2 3 4 5; do
        cdp-merge -q --as-of 2026-11-1$((n + 4)) --state merge.state --stats inc.json -o inc.ndjson night$n.ndjson
        cdp-merge -q --as-of 2026-11-1$((n + 4)) --threads 0 --memory 64K --state one.state -o one.ndjson night$n.ndjson
        cdp-merge -q --as-of 2026-11-1$((n + 4)) -o full.ndjson $(seq -f 'night%g.ndjson' 1 $n)
        cmp inc.ndjson full.ndjson
        cmp one.ndjson full.ndjson
        cmp merge.state one.state
    done
    # a night with no record writes everyone from their saved profile
    cdp-merge -q --as-of 2026-11-20 --state merge.state --stats inc.json -o inc.ndjson /dev/null
    cdp-merge -q --as-of 2026-11-20 -o full.ndjson night?.ndjson
    cmp inc.ndjson full.ndjson
    [ "$(jq .state.profiles_remade inc.json)" -eq 0 ]
    [ "$(jq .state.profiles_restored inc.json)" -eq "$(wc -l < full.ndjson)" ]
    # other options, an earlier moment, traits: every profile made again
    for opts in "--as-of 2026-11-20 --prefer web,crm --rule city=first" "--as-of 2026-11-18" \
                "--as-of 2026-11-20 --trait n=.events|length --cart-timeout 2"; do
        cp merge.state other.state
        # shellcheck disable=SC2086 # the options, split
        cdp-merge -q $opts --state other.state --stats inc.json -o inc.ndjson /dev/null
        # shellcheck disable=SC2086
        cdp-merge -q $opts -o full.ndjson night?.ndjson
        cmp inc.ndjson full.ndjson
        [ "$(jq .state.profiles_restored inc.json)" -eq 0 ]
    done
}

@test "--state: a damaged, foreign, locked or compressed state is refused, and left as it was" {
    nights
    cdp-merge -q --as-of 2026-01-21 --state merge.state -o out.ndjson linked1.ndjson
    cp merge.state good.state
    head -c -5 good.state > merge.state
    cp merge.state cut.state
    run cdp-merge -q --as-of 2026-01-22 --state merge.state -o out2.ndjson linked2.ndjson
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-merge: state file 'merge.state' is damaged (cut short); remove it and run once on the whole history" ]
    cmp merge.state cut.state
    [ ! -e out2.ndjson ]
    # one byte changed in a person's saved profile: the digest says so
    cp good.state merge.state
    printf 'X' | dd of=merge.state bs=1 seek=200 conv=notrunc 2>/dev/null
    run cdp-merge -q --as-of 2026-01-22 --state merge.state -o out2.ndjson linked2.ndjson
    [ "$status" -eq 1 ]
    [[ "$output" == *"state file 'merge.state' is damaged"* ]]
    echo '{"not":"a state"}' > other.state
    run cdp-merge -q --as-of 2026-01-22 --state other.state -o out2.ndjson linked2.ndjson
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-merge: 'other.state' is not a cdp-merge state file" ]
    cp good.state merge.state
    flock merge.state.lock sleep 5 &
    sleep 0.5
    run cdp-merge -q --as-of 2026-01-22 --state merge.state -o out2.ndjson linked2.ndjson
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-merge: state file 'merge.state' is in use by another run (locked: merge.state.lock)" ]
    kill %1 2>/dev/null || true
    wait
    cmp merge.state good.state
    run cdp-merge -q --state merge.state.zst linked2.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-merge: --state takes a file name without .zst or .gz (it is compressed inside), not 'merge.state.zst'" ]
    # a pipe was read and waited on for ever; a folder left a lock file
    mkfifo pipe.state
    mkdir folder.state
    for state in pipe.state folder.state; do
        run timeout 20 cdp-merge -q --as-of 2026-01-22 --state "$state" -o out3.ndjson linked2.ndjson
        [ "$status" -eq 1 ]
        [ "$output" = "cdp-merge: state file '$state' is not a regular file" ]
        [ ! -e "$state.lock" ]
        [ ! -e out3.ndjson ]
    done
}
