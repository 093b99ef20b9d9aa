#!/bin/sh
# recommend-online-retail.sh: cdp-recommend on a real retailer's year, UCI
# Online Retail (541,909 invoice lines of a UK gift shop, 2010-12-01 to
# 2011-12-09, one CSV per day), and how good its recommendations are.
#
#   examples/recommend-online-retail.sh [DATA_DIR [OUT_DIR]]
#
# DATA_DIR holds the daily files (default: ../shared/data/online-retail/by-day
# beside the repository); OUT_DIR receives (default: ./online-retail-out):
#   linked.ndjson.zst         the purchases as linked records (cdp_id)
#   evaluation.json           learnt before 2011-11-01, scored on the purchases
#                             from then on: precision, recall, hit rate, NDCG
#                             at 10, for cdp-recommend and for popularity
#   evaluation-sar.json       the same for a plain SAR (people who bought both,
#                             no popularity), the reference the issue cites
#   similar.ndjson.zst        items bought together, learnt from the whole year
#   recommendations.ndjson.zst  ten items for every customer, as of the last day
#
# The protocol (issue #15, that of Microsoft Recommenders' SAR notebooks):
# lines with a CustomerID, positive quantity and price, not a cancellation
# (InvoiceNo starting with C) and a stock code holding a digit (POST, M, D,
# BANK CHARGES, AMAZONFEE are not products). The programs come from PATH;
# needs zstd and jq.

set -eu

prog=recommend-online-retail.sh
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
case ${1-} in
-h | --help)
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
-*)
    echo "Usage: $prog [DATA_DIR [OUT_DIR]]" >&2
    exit 2
    ;;
esac
data=${1:-$script_dir/../../shared/data/online-retail/by-day}
out=${2:-./online-retail-out}
map=$script_dir/../bench/online-retail.map

# shellcheck source=examples/args.sh
. "$script_dir/args.sh"
for tool in cdp-ingest cdp-dedupe cdp-recommend jq zstd; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done
[ -d "$data" ] || die "no such folder: $data"
mkdir -p "$out"

# 1. The daily files as one CSV, the protocol's lines only. Description may
# hold commas (in quotes), so the columns after it are counted from the end:
# Quantity is $(NF-4), UnitPrice $(NF-2), CustomerID $(NF-1).
echo "== the purchases"
for f in "$data"/*.csv.zst; do
    zstd -dc "$f" | tail -n +2
done | awk -F, 'BEGIN { OFS = ","; print "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country" }
    $1 !~ /^C/ && $2 ~ /[0-9]/ && $(NF-4) + 0 > 0 && $(NF-2) + 0 > 0 && $(NF-1) != "" {
        sub(/\.0$/, "", $(NF-1)); print }' |
    cdp-ingest -q --source retail --map "$map" --date-order ymd --drop-unmapped |
    cdp-dedupe -q -o "$out/linked.ndjson.zst"
echo "   $(zstd -dc "$out/linked.ndjson.zst" | wc -l | tr -d ' ') purchase lines in $out/linked.ndjson.zst"

# 2. How good: the defaults, and a plain SAR for reference.
echo "== learnt before 2011-11-01, scored on the purchases after"
cdp-recommend -q --evaluate 2011-11-01 -o "$out/evaluation.json" "$out/linked.ndjson.zst"
cdp-recommend -q --evaluate 2011-11-01 --basket person --neighbours 0 --max-basket 0 \
    --popular-weight 0 --popular-half-life 0 -o "$out/evaluation-sar.json" "$out/linked.ndjson.zst"
jq -r '"   \(.people) customers and \(.items) items in training, \(.evaluated) with purchases to find",
    "   cdp-recommend    precision@10 \(.recommender.precision)  recall@10 \(.recommender.recall)  hit rate@10 \(.recommender.hit_rate)  NDCG@10 \(.recommender.ndcg)",
    "   popular now      precision@10 \(.popular.precision)  recall@10 \(.popular.recall)  hit rate@10 \(.popular.hit_rate)  NDCG@10 \(.popular.ndcg)"' \
    "$out/evaluation.json"
jq -r '"   plain SAR        precision@10 \(.recommender.precision)  recall@10 \(.recommender.recall)  hit rate@10 \(.recommender.hit_rate)  NDCG@10 \(.recommender.ndcg)",
    "   popular (ever)   precision@10 \(.popular.precision)  recall@10 \(.popular.recall)  hit rate@10 \(.popular.hit_rate)  NDCG@10 \(.popular.ndcg)"' \
    "$out/evaluation-sar.json"

# 3. Bought together, over the whole year: what goes with the best seller.
echo "== bought together with 85123A (WHITE HANGING HEART T-LIGHT HOLDER)"
cdp-recommend -q --similar --top 5 -o "$out/similar.ndjson.zst" "$out/linked.ndjson.zst"
zstd -dc "$out/similar.ndjson.zst" | grep '^{"sku":"85123A",' |
    jq -r '.similar[] | "   \(.sku): in \(.count) orders, confidence \(.confidence), lift \(.lift)"'

# 4. Ten items for every customer as of the last day.
echo "== recommendations as of 2011-12-09"
cdp-recommend -q --as-of 2011-12-09 -o "$out/recommendations.ndjson.zst" "$out/linked.ndjson.zst"
zstd -dc "$out/recommendations.ndjson.zst" | head -n 1 |
    jq -r '"   \(.cdp_id): " + ([.recommendations[] | "\(.sku) (\(.reason)\(if .because then " " + .because else "" end))"] | join(", "))'
