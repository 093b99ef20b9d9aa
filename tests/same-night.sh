#!/bin/bash
# tests/same-night.sh A B: whether two nights' OUT_DIRs hold the same
# outputs: every file of A (but the shard files, the forget list's keyed
# hashes and secret, random on every run, and the logs that hold one summary
# a shard; cdp-merge's spill counts are left out of its stats and the report)
# is in B with the same lines, decompressed and sorted, and B has no
# other. Names the files that differ; exit status 1 when one does.
set -uo pipefail
a_dir=$1 b_dir=$2
files() { (cd "$1" && find . -type f -not -path './shards/*' | LC_ALL=C sort); }
bad=0
unspilled='walk(if type == "object" then del(.bytes_spilled, .runs_spilled) else . end)'
diff <(files "$a_dir") <(files "$b_dir") || bad=1
while read -r f; do
    case $f in
    ./forgotten.list | ./forgotten.list.secret | ./merge.log | ./segment.log | ./export-*.log) continue ;;
    */stats-merge.json | ./report.json)
        # how cdp-merge did its work, not what it found: one host spills
        # sorted runs past its --memory (at 1M), a shard may not
        a=$(jq -cS "$unspilled" "$a_dir/$f" | md5sum)
        b=$(jq -cS "$unspilled" "$b_dir/$f" 2>/dev/null | md5sum) ;;
    *.zst)
        a=$(zstd -dcq "$a_dir/$f" | LC_ALL=C sort | md5sum)
        b=$(zstd -dcq "$b_dir/$f" | LC_ALL=C sort | md5sum) ;;
    *)
        a=$(LC_ALL=C sort "$a_dir/$f" | md5sum)
        b=$(LC_ALL=C sort "$b_dir/$f" 2>/dev/null | md5sum) ;;
    esac
    if [ "$a" != "$b" ]; then
        echo "differs: $f"
        bad=1
    fi
done < <(files "$a_dir")
exit "$bad"
