#!/usr/bin/env bash
# campaign.sh BINS MINUTES OUT [NAME...]: a long fuzzing campaign. Runs each
# harness BINS/fuzz-NAME (all of them, or the NAMEs given), one after
# another, for MINUTES of CPU time (its own and its jobs'), at nice 19, in
# libFuzzer's fork mode so that it goes on after a crash. OUT holds:
#   corpus/NAME/    the corpus it grows (started from seeds/NAME/ if there,
#                   else from the committed tests/fuzz/corpus/NAME/)
#   crashes/NAME/   each input that crashed, leaked, timed out or ran out of
#                   memory (crash-*, leak-*, timeout-*, oom-*)
#   logs/NAME.log   libFuzzer's output
#   summary.log     one line per harness when it ends: CPU seconds,
#                   executions, libFuzzer's final cov: (edges) and ft:
#                   (features), corpus size, crash inputs
# Reproduce a crash with BINS/fuzz-NAME FILE (or build/tests/fuzz/replay-NAME
# FILE); fix it, and add FILE to tests/fuzz/corpus/NAME/.
set -uo pipefail
if [ $# -lt 3 ]; then
    echo "usage: campaign.sh BINS MINUTES OUT [NAME...]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bins=$(cd "$1" && pwd) minutes=$2 out=$3
shift 3
mkdir -p "$out"
out=$(cd "$out" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for b in "$bins"/fuzz-*; do names+=("${b##*/fuzz-}"); done
fi
tick=$(getconf CLK_TCK)
budget=$((minutes * 60 * tick))

# CPU ticks of a session: per live process its own time and that of its
# children it has waited for (utime, stime, cutime, cstime: a job's time
# moves up the tree as it ends, so nothing counts twice).
session_ticks() {
    local sid=$1 total=0 p stat rest
    local -a f
    for p in $(ps -s "$sid" -o pid= 2>/dev/null); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${stat##*) }
        read -ra f <<<"$rest"
        # fields 14-17 of the line; the array starts at field 3
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$total"
}

echo "campaign: ${#names[@]} harnesses, $minutes CPU minutes each, in $out ($(date -u +%FT%TZ))" \
    >>"$out/summary.log"
for name in "${names[@]}"; do
    bin=$bins/fuzz-$name
    if [ ! -x "$bin" ]; then
        echo "$name: no $bin" >>"$out/summary.log"
        continue
    fi
    corpus=$out/corpus/$name crashes=$out/crashes/$name log=$out/logs/$name.log
    mkdir -p "$corpus" "$crashes" "$out/logs"
    seeds=$out/seeds/$name
    [ -d "$seeds" ] || seeds=$here/corpus/$name
    dict=()
    [ -f "$here/$name.dict" ] && dict=("-dict=$here/$name.dict")
    # Its own session, so that the interrupt reaches the jobs too. A new
    # session is a new scheduling autogroup (Linux, sched_autogroup_enabled),
    # which shares the CPUs with the others as an equal whatever its nice
    # value: measured, six campaigns at nice 19 took a quarter of a CPU each
    # from the builds beside them. Its autogroup gets nice 19 too.
    setsid sh -c 'echo 19 >/proc/self/autogroup 2>/dev/null; exec "$@"' sh nice -n 19 "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=10 -rss_limit_mb=2048 -max_total_time=$((minutes * 60 * 20)) \
        -artifact_prefix="$crashes/" "${dict[@]}" "$corpus" "$seeds" >"$log" 2>&1 &
    pid=$!
    used=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 10
        used=$(session_ticks "$pid")
        if [ "$used" -ge "$budget" ]; then
            kill -INT -- -"$pid" 2>/dev/null
            sleep 5
            kill -TERM -- -"$pid" 2>/dev/null
            break
        fi
    done
    wait "$pid" 2>/dev/null
    printf '%s  cpu %ss\n' "$("$here/summary.sh" "$name" "$log" "$crashes")" \
        "$((used / tick))" >>"$out/summary.log"
done
echo "campaign: done ($(date -u +%FT%TZ))" >>"$out/summary.log"
