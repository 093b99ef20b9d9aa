#!/bin/sh
# online-retail.sh: a real retailer's year, night by night. The 305 daily
# exports of a UK online retailer of gifts (UCI Online Retail, 2010-12-01 to
# 2011-12-09: 541,909 invoice lines, 4,372 customers) are fed to the chain one
# night at a time, as its cron job would have run:
#
#   1. cdp-ingest   the day's invoice lines (share/cdp/maps/online-retail.map):
#                   purchases, and returns for the lines of cancelled (C)
#                   invoices; the customers and their countries
#                   (online-retail-customers.map), one record per customer
#   2. cdp-dedupe   the day's records get their customer's person id, kept
#                   from night to night in the state file
#   3. cdp-merge    every profile as of the night: orders, revenue, returns,
#                   recency; with --state, from the night's identified
#                   records and the state of the nights before (the same
#                   profiles as a merge of the whole history, at a night's
#                   cost); with --full-merge, from the whole history
#   4. cdp-segment  the library's RFM, lapsed and VIP audiences, 10% held out,
#                   who entered and left since last night
#   5. cdp-recommend what to offer each customer, from the whole history:
#                   once a week (--recommend-every) and on the last night,
#                   as a shop would schedule a job whose cost grows with the
#                   history (2.2 s of CPU on the whole year, against about
#                   0.3 s for the rest of a night)
#   6. cdp-export   the campaign file: customers at risk and those the shop
#                   cannot lose, by customer id for the shop's own mailer,
#                   with the three items to offer each (rec_1..rec_3)
#   and after the last night:
#   7. cdp-report   the report of the last night (report.html, report.json):
#                   the run, identity, audiences, and the at-risk campaign of
#                   two weeks before measured against its control group
#
#   examples/online-retail.sh [--days N] [--full-merge] [--recommend-every N]
#                             [--data DIR] [OUT_DIR]
#
#   --days N   run the first N nights only (default: all 305)
#   --recommend-every N  recommend every N nights (default 7) and on the last
#   --full-merge  merge the whole history every night instead of keeping
#              cdp-merge's state (as a comparison: the profiles are the same)
#   --data DIR the daily files DAY.csv.zst (default: $CDP_SHARED_DATA, else
#              ../shared/data next to the repository, /online-retail/by-day)
#   OUT_DIR    receives everything the run makes (default ./online-retail-out,
#              emptied first):
#     identity.state.zst, identity.journal.ndjson   ids from night to night
#     merge.state                cdp-merge's: every customer's records and
#                                profile, from night to night
#     history/DAY.ndjson.zst     each night's identified records (merged again
#                                every night with --full-merge)
#     nights/DAY/                the night's canonical records, logs, stats,
#                                campaign file (campaign.csv), and what the
#                                report keeps of it (segments, journal)
#     profiles.ndjson.zst, segments.ndjson.zst      the last night's
#     segments-history.ndjson    the audiences' sizes night by night
#     recommendations.ndjson.zst the latest recommendations
#     report.html, report.json   the last night's report; identified.ndjson.zst
#                                and stats-*.json: what it read (the history
#                                in one file, the last night's stats)
#     timings.tsv                what each step of each night cost: CPU seconds
#                                (user + system, all threads) per step, and
#                                the night's CPU and wall-clock seconds
#
# The programs are taken from PATH, the map files from $CDP_SHARE/maps
# (default: ../share/cdp next to this script). Needs jq and zstd.
#
# cdp-merge reads cdp-dedupe's journal, so that records linked on earlier
# nights to an id merged away since count for the id that absorbed it (its
# journal stays empty here, where customer_id is the only key and each
# customer has one).

set -eu

prog=online-retail.sh
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

usage() {
    echo "Usage: $prog [--days N] [--full-merge] [--recommend-every N] [--data DIR] [OUT_DIR]"
}
# shellcheck source=examples/args.sh
. "$script_dir/args.sh"

days=0 full_merge=0 recommend_every=7
data=${CDP_SHARED_DATA:-$script_dir/../../shared/data}/online-retail/by-day
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --days)
        need_value $#
        case $2 in '' | *[!0-9]*) echo "$prog: --days takes a number, not '$2'" >&2; exit 2 ;; esac
        days=$2
        shift 2
        ;;
    --recommend-every)
        need_value $#
        case $2 in '' | *[!0-9]* | 0) echo "$prog: --recommend-every takes a number of nights, not '$2'" >&2; exit 2 ;; esac
        recommend_every=$2
        shift 2
        ;;
    --data)
        need_value $#
        data=$2
        shift 2
        ;;
    --full-merge)
        full_merge=1
        shift
        ;;
    -*) usage_error ;;
    *) break ;;
    esac
done
[ $# -le 1 ] || usage_error
out=${1:-./online-retail-out}
share=${CDP_SHARE:-$script_dir/../share/cdp}
maps=$share/maps

for tool in cdp-ingest cdp-dedupe cdp-merge cdp-segment cdp-recommend cdp-export cdp-report jq zstd; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done
[ -d "$data" ] || die "no such folder: $data"
[ -f "$maps/online-retail.map" ] || die "no map files in $maps (set CDP_SHARE)"
ls "$data"/*.csv.zst >/dev/null 2>&1 || die "no daily files DAY.csv.zst in $data"
rm -rf "$out"
mkdir -p "$out/history" "$out/nights"

# Costs are CPU seconds, which a busy machine changes less than wall-clock
# time: the shell's "times" gives what its children used so far. It must run
# in this shell, not in a $(...) subshell, hence the file.
now() { date +%s.%N; }
cpu() {
    awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out/.times"
}
# seconds from $1 to $2, to the millisecond
minus() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

# step NAME LOG COMMAND...: runs one program of the night, its messages kept in
# LOG (shown if it fails); adds the CPU time it used to t_NAME.
step() {
    name=$1 log=$2
    shift 2
    times >"$out/.times"
    before=$(cpu)
    if ! "$@" 2>"$log"; then
        cat "$log" >&2
        die "night $night ($day): $name failed"
    fi
    times >"$out/.times"
    eval "t_$name=\$(minus \"\$before\" \"\$(cpu)\" | awk -v t=\"\${t_$name:-0}\" '{ printf \"%.3f\", t + \$1 }')"
}

printf 'night\tday\tlines\thistory_lines\tprofiles\tingest\tdedupe\tmerge\tsegment\trecommend\texport\tcpu\twall\n' \
    >"$out/timings.tsv"
nfiles=$(ls "$data"/*.csv.zst | wc -l)
last=$nfiles
[ "$days" -gt 0 ] && [ "$days" -lt "$nfiles" ] && last=$days
night=0 history_lines=0
for file in "$data"/*.csv.zst; do
    night=$((night + 1))
    [ "$days" -gt 0 ] && [ "$night" -gt "$days" ] && break
    day=$(basename "$file" .csv.zst)
    dir=$out/nights/$day
    mkdir -p "$dir"
    times >"$out/.times"
    night_started=$(now) night_cpu=$(cpu)
    t_ingest=0 t_dedupe=0 t_merge=0 t_segment=0 t_recommend=0 t_export=0

    # 1. The day's invoice lines as events, and its customers. _rid is the
    # line's number in the day, prefixed with the day to stay unique.
    step ingest "$dir/ingest-shop.log" cdp-ingest --source shop --map "$maps/online-retail.map" \
        --rid-prefix "$day:" --as-of "$day" --stats "$dir/stats-ingest-shop.json" \
        -o "$dir/shop.ndjson.zst" "$file"
    # One person record per customer and day: the last line's.
    step ingest "$dir/ingest-customers.log" sh -c '
        cdp-ingest --source customers --map "$1" --as-of "$2" --drop-unmapped \
            --stats "$3/stats-ingest-customers.json" "$4" |
            jq -c -s "group_by(._rid) | map(last) | .[]" | zstd -q -1 -o "$3/customers.ndjson.zst"
    ' sh "$maps/online-retail-customers.map" "$day" "$dir" "$file"

    # 2. Person ids, stable from night to night.
    step dedupe "$dir/dedupe.log" cdp-dedupe --state "$out/identity.state.zst" \
        --journal "$out/identity.journal.ndjson" --stats "$dir/stats-dedupe.json" \
        -o "$out/history/$day.ndjson.zst" "$dir/customers.ndjson.zst" "$dir/shop.ndjson.zst"

    # 3. Every profile as of the end of the day: from the night's records and
    # the state, or from the whole history.
    if [ "$full_merge" = 1 ]; then
        step merge "$dir/merge.log" cdp-merge --as-of "$day" --prefer customers,shop \
            --journal "$out/identity.journal.ndjson" --stats "$dir/stats-merge.json" \
            -o "$out/profiles.ndjson.zst" "$out"/history/*.ndjson.zst
    else
        step merge "$dir/merge.log" cdp-merge --as-of "$day" --prefer customers,shop \
            --state "$out/merge.state" --journal "$out/identity.journal.ndjson" \
            --stats "$dir/stats-merge.json" -o "$out/profiles.ndjson.zst" "$out/history/$day.ndjson.zst"
    fi

    # 4. Audiences, with a control group and who entered and left.
    previous=
    if [ -f "$out/segments.ndjson.zst" ]; then
        mv "$out/segments.ndjson.zst" "$out/segments.prev.ndjson.zst"
        previous="--previous $out/segments.prev.ndjson.zst --journal $out/identity.journal.ndjson"
    fi
    # shellcheck disable=SC2086 # $previous is two options or none
    step segment "$dir/segment.log" cdp-segment --as-of "$day" --use rfm,lapsed,vip \
        --holdout 10 --salt online-retail $previous --report "$dir/segments-report.json" \
        --history "$out/segments-history.ndjson" \
        --stats "$dir/stats-segment.json" -o "$out/segments.ndjson.zst" "$out/profiles.ndjson.zst"

    # 5. What to offer: items bought with what the customer bought, never
    # what they bought already; from the whole history, once a week. Stock
    # codes without a digit are postage, fees and manual lines (POST, DOT,
    # M, BANK CHARGES), not items to offer.
    if [ $(((night - 1) % recommend_every)) = 0 ] || [ "$night" = "$last" ]; then
        step recommend "$dir/recommend.log" cdp-recommend --as-of "$day" --top 3 --viewed 0 \
            --filter '.sku | test("[0-9]")' \
            --stats "$dir/stats-recommend.json" -o "$out/recommendations.ndjson.zst" \
            "$out"/history/*.ndjson.zst
    fi

    # 6. The campaign: win back the customers at risk and those the shop
    # cannot lose, a file the shop's own mailer joins on the customer id,
    # with what to offer each.
    step export "$dir/export.log" cdp-export --format csv --channel none \
        --segment rfm_at_risk --segment rfm_cant_lose \
        -c customer_id='.customer_ids[0]' -c country='.country // ""' -c segment='.rfm.segment' \
        -c orders=.orders -c revenue=.revenue -c last_purchase_at=.last_purchase_at \
        --recommendations "$out/recommendations.ndjson.zst" \
        --stats "$dir/stats-export.json" -o "$dir/campaign.csv" "$out/segments.ndjson.zst"

    # What the report needs of the night (hard links: the next night
    # replaces these files, it does not rewrite them).
    for f in "$out/segments.ndjson.zst" "$out/identity.journal.ndjson"; do
        ln -f "$f" "$dir/" 2>/dev/null || cp "$f" "$dir/"
    done

    lines=$(jq .counts.read "$dir/stats-ingest-shop.json")
    history_lines=$((history_lines + lines))
    profiles=$(jq .counts.profiles "$dir/stats-merge.json")
    times >"$out/.times"
    total=$(minus "$night_cpu" "$(cpu)")
    wall=$(minus "$night_started" "$(now)")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$night" "$day" "$lines" \
        "$history_lines" "$profiles" "$t_ingest" "$t_dedupe" "$t_merge" "$t_segment" \
        "$t_recommend" "$t_export" "$total" "$wall" >>"$out/timings.tsv"
    printf 'night %3d %s: %5d lines, %6d in history, %4d profiles; CPU %ss (merge %ss), wall %ss\n' \
        "$night" "$day" "$lines" "$history_lines" "$profiles" "$total" "$t_merge" "$wall"
done
[ "$night" -gt 0 ] || die "no nights run"

# 7. The report of the last night, with the at-risk campaign of two weeks
# (fourteen nights) before measured against its control group. It reads the
# linked events as one file: the nights' files joined (zstd frames
# concatenate).
cat "$out"/history/*.ndjson.zst >"$out/identified.ndjson.zst"
for f in "$dir"/stats-*.json; do
    ln -f "$f" "$out/" 2>/dev/null || cp "$f" "$out/"
done
campaign=
if [ "$night" -gt 14 ]; then
    campaign="--campaign rfm_at_risk@$(ls "$out/nights" | tail -n 15 | head -n 1)"
fi
times >"$out/.times"
before=$(cpu)
# shellcheck disable=SC2086 # $campaign is two words or none
if ! cdp-report --title "UCI Online Retail" --lang en $campaign --json "$out/report.json" \
    -o "$out/report.html" "$out" 2>"$out/report.log"; then
    cat "$out/report.log" >&2
    die "cdp-report failed"
fi
times >"$out/.times"
t_report=$(minus "$before" "$(cpu)")
rm -f "$out/.times"

# What came out.
echo
echo "== $out after $(tail -n 1 "$out/timings.tsv" | cut -f1) nights (as of $(tail -n 1 "$out/timings.tsv" | cut -f2))"
awk -F'\t' 'NR > 1 { n++; t += $12; w += $13; m += $8; c[n] = $12; g[n] = $8; d[n] = $2 }
    END {
        printf "time: CPU %.1f s in all, %.1f s of it cdp-merge (wall %.1f s); a night %.2f s on average\n", t, m, w, t / n
        printf "night 1 (%s): CPU %.2f s, merge %.2f s", d[1], c[1], g[1]
        if (n >= 150) printf "; night 150 (%s): %.2f s, merge %.2f s", d[150], c[150], g[150]
        printf "; night %d (%s): %.2f s, merge %.2f s\n", n, d[n], c[n], g[n]
    }' "$out/timings.tsv"
cat "$out"/nights/*/stats-ingest-shop.json | jq -s -r '
    "invoice lines: \(map(.counts.read) | add) read, \(map(.counts.written) | add) written, " +
    "\(map(.counts.rejected) | add) rejected, \(map(.counts.invalid // 0) | add) invalid values",
    "countries left out (no one country), by reason: " +
    (map(.omitted_by_reason // {} | to_entries[]) | group_by(.key) |
     map("\(.[0].key) \(map(.value) | add)") | join(", ") | if . == "" then "none" else . end)'
zstd -dc "$out/profiles.ndjson.zst" | jq -s -r '
    "profiles: \(length), \(map(select(.orders > 0)) | length) with orders; " +
    "orders \(map(.orders) | add), returns \(map(.returns) | add), " +
    "revenue \(map(.revenue) | add * 100 | round / 100)",
    "customers by country: " + (map(.country // "none") | group_by(.) |
        map([.[0], length]) | sort_by(-.[1]) | .[:8] | map("\(.[0]) \(.[1])") | join(", ")) + ", ..."'
jq -r '.segments | to_entries[] | select(.value.members > 0) |
    "segment \(.key): \(.value.members) (held out \(.value.holdout))"' \
    "$(ls -d "$out"/nights/* | tail -n 1)/segments-report.json"
echo "campaign file of the last night: $(ls -d "$out"/nights/* | tail -n 1)/campaign.csv"
head -n 3 "$(ls -d "$out"/nights/* | tail -n 1)/campaign.csv"
echo "report of the last night: $out/report.html; $(cat "$out/report.log")"
echo "time: the report ${t_report} s of CPU"
jq -r '.campaigns[] | "campaign \(.segment)@\(.date), \(.observed_days) of \(.window_days) days: " +
    "sent \(.sent.converted)/\(.sent.people) bought, held out \(.held_out.converted)/\(.held_out.people): \(.verdict)"' \
    "$out/report.json"
