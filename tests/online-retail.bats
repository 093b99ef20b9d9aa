#!/usr/bin/env bats
# A real retailer's exports (UCI Online Retail, ../shared/data/online-retail)
# through the chain: examples/online-retail.sh night by night, checked against
# a computation from the raw files by tests/tools/online-retail-truth.py; the
# vocabularies on the whole year. All 305 nights run in make bench (too slow
# for this suite: about a second a night).

load helper

DAYS=$SHARED/online-retail/by-day
MAPS=$BATS_TEST_DIRNAME/../share/cdp/maps
TRUTH=$BATS_TEST_DIRNAME/tools/online-retail-truth.py

setup() {
    [ -d "$DAYS" ] || skip "no $DAYS"
    cd "$BATS_TEST_TMPDIR"
}

@test "eight nights: the last night's profiles are the raw files' orders, returns, revenue and purchase times" {
    run --separate-stderr "$BATS_TEST_DIRNAME/../examples/online-retail.sh" --days 8 out
    [ "$status" -eq 0 ]
    [ "$(grep -cE '^night +[0-9]+ [0-9]{4}-' <<< "$output")" -eq 8 ]
    # The summary, but for the times.
    run grep -v -e '^night ' -e '^time:' <<< "$output"
    assert_output <<'OUT'

== out after 8 nights (as of 2010-12-09)
invoice lines: 22523 read, 22523 written, 0 rejected, 0 invalid values
countries left out (no one country), by reason: several_countries 17
profiles: 622, 573 with orders; orders 776, returns 125, revenue 304623.35
customers by country: GB 574, DE 16, FR 9, PT 4, AU 2, ES 2, IE 2, IT 2, ...
segment rfm_about_to_sleep: 44 (held out 6)
segment rfm_at_risk: 72 (held out 7)
segment rfm_cant_lose: 22 (held out 2)
segment rfm_champions: 78 (held out 8)
segment rfm_hibernating: 72 (held out 14)
segment rfm_loyal: 72 (held out 10)
segment rfm_need_attention: 27 (held out 3)
segment rfm_new: 28 (held out 4)
segment rfm_potential_loyalists: 78 (held out 9)
segment rfm_promising: 15 (held out 2)
segment vip: 54 (held out 4)
campaign file of the last night: out/nights/2010-12-09/campaign.csv
customer_id,country,segment,orders,revenue,last_purchase_at,rec_1,rec_2,rec_3
14723,GB,Can't lose,2,250.94,2010-12-03T14:26:00Z,21262,22161,21942
16013,GB,Can't lose,2,1062,2010-12-03T13:10:00Z,20723,72807A,85017B
report of the last night: out/report.html; cdp-report: 0 problems, 0 campaigns
OUT
    python3 "$TRUTH" "$DAYS" 8 > truth.tsv
    python3 "$TRUTH" --profiles out/profiles.ndjson.zst > profiles.tsv
    [ "$(wc -l < truth.tsv)" -eq 622 ]
    diff truth.tsv profiles.tsv
    # Customer 12347's first night, as the computation says.
    grep -q "^12347	1	0	711.79	2010-12-07T14:57:00Z	2010-12-07T14:57:00Z$" truth.tsv
    # The nights are all in the timings, and the campaign is the at-risk customers.
    [ "$(cut -f1,2,3 out/timings.tsv | sed -n '2p;9p' | paste -sd' ')" = "1	2010-12-01	3108 8	2010-12-09	2891" ]
    [ "$(head -n 1 out/nights/2010-12-09/campaign.csv)" = "customer_id,country,segment,orders,revenue,last_purchase_at,rec_1,rec_2,rec_3" ]
    # Recommendations on nights 1 and 8 (once a week, and the last night),
    # never a stock code without a digit (postage, fees), never what the
    # customer bought.
    [ "$(ls out/nights/*/stats-recommend.json | cut -d/ -f3 | paste -sd' ')" = "2010-12-01 2010-12-09" ]
    [ "$(tail -n +2 out/nights/2010-12-09/campaign.csv | cut -d, -f7-9 | tr , '\n' | grep -vc '[0-9]')" -eq 0 ]
    zstd -dc out/recommendations.ndjson.zst | jq -r '.cdp_id as $i | .recommendations[] | [$i, .sku] | @tsv' | sort > offered.tsv
    zstd -dc out/history/*.ndjson.zst | jq -r 'select(.event == "purchase" and .cdp_id) | [.cdp_id, .sku] | @tsv' | sort -u > bought.tsv
    [ -s offered.tsv ]
    [ -z "$(comm -12 offered.tsv bought.tsv)" ]
    # The report of the last night, its figures in report.json.
    [ "$(jq -c '[.as_of, (.campaigns | length)]' out/report.json)" = '["2010-12-09",0]' ]
    [ "$(stat -c %a out/report.html)" = 600 ]
    [ "$(tail -n +2 out/nights/2010-12-09/campaign.csv | cut -d, -f3 | sort -u | paste -sd' ')" = "At risk Can't lose" ]
}

@test "returns from the C-invoice rule and from negative quantities give the same profiles" {
    files=$(ls "$DAYS"/*.csv.zst | head -n 10)
    # shellcheck disable=SC2086
    cdp-ingest -q -s shop --map "$MAPS/online-retail.map" -o rule.ndjson $files
    # The same lines with every event a purchase: cdp-merge counts the
    # negative quantities as returns by itself.
    # shellcheck disable=SC2086
    cdp-ingest -q -s shop --map "$MAPS/online-retail.map" --set event=purchase -o sign.ndjson $files
    [ "$(jq -r .event rule.ndjson | sort | uniq -c | tr -s ' ' | paste -sd,)" = " 26321 purchase, 411 return" ]
    [ "$(jq -r .event sign.ndjson | sort -u)" = purchase ]
    for f in rule sign; do
        cdp-dedupe -q "$f.ndjson" | cdp-merge -q --as-of 2010-12-31 -o "$f.profiles.ndjson"
    done
    cmp rule.profiles.ndjson sign.profiles.ndjson
    [ "$(jq -s 'map(.returns) | add' rule.profiles.ndjson)" -eq 138 ]
    # From the raw lines: the C invoice lines, and the C invoices of customers.
    # shellcheck disable=SC2086
    for f in $files; do zstd -dcq "$f" | tail -n +2; done | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
c = [r for r in rows if r[0].startswith("C")]
print(len(rows) - len(c), len(c), len({r[0] for r in c if r[6]}))' > raw.txt
    [ "$(cat raw.txt)" = "$(jq -r .event rule.ndjson | sort | uniq -c | awk '{ printf "%s ", $1 }')$(jq -s 'map(.returns) | add' rule.profiles.ndjson)" ]
}

@test "the whole year: every country is ISO 3166 but those that are no one country, counted by reason" {
    cdp-ingest -q -s shop --map "$MAPS/online-retail.map" --stats year.json -o /dev/null "$DAYS"/*.csv.zst
    assert_file year.json <<'OUT'
{"program":"cdp-ingest","counts":{"read":541909,"written":541909,"rejected":0,"omitted":1265},"omitted_by_field":{"country":1265},"omitted_by_reason":{"several_countries":819,"unspecified":446}}
OUT
    # The same figures from the raw files: the lines, and those whose Country
    # is no one country (Channel Islands and European Community: several;
    # Unspecified).
    for f in "$DAYS"/*.csv.zst; do zstd -dcq "$f" | tail -n +2; done | python3 -c '
import collections, csv, sys
n, c = 0, collections.Counter()
for row in csv.reader(sys.stdin):
    n += 1
    c[row[7]] += 1
print([n, c["Channel Islands"] + c["European Community"], c["Unspecified"]])' | tr -d ' ' > raw.json
    [ "$(jq -c '[.counts.read, .omitted_by_reason.several_countries, .omitted_by_reason.unspecified]' year.json)" = \
      "$(cat raw.json)" ]
    # What the left-out values were, and the customers' countries.
    cdp-ingest -q -s customers --map "$MAPS/online-retail-customers.map" --drop-unmapped \
        -o customers.ndjson "$DAYS"/*.csv.zst 2>/dev/null
    jq -r '[._rid, .country // "-", ._omitted.country // "-"] | @tsv' customers.ndjson | sort -u > c.tsv
    [ "$(cut -f3 c.tsv | grep -v '^-$' | sort | uniq -c | tr -s ' ' | paste -sd,)" = " 9 Channel Islands, 1 European Community, 4 Unspecified" ]
    [ "$(cut -f2 c.tsv | sort | uniq -c | sort -rn | head -n 5 | tr -s ' ' | paste -sd,)" = " 3950 GB, 95 DE, 87 FR, 31 ES, 25 BE" ]
    [ "$(cut -f2 c.tsv | sort -u | paste -sd' ')" = "- AE AT AU BE BH BR CA CH CY CZ DE DK ES FI FR GB GR IE IL IS IT JP LB LT MT NL NO PL PT SA SE SG US ZA" ]
}
