#!/usr/bin/env bash
# run.sh BUILD SECONDS [NAME]: runs each fuzzing harness (BUILD/tests/fuzz/
# fuzz-NAME, or only NAME) for SECONDS on its committed corpus
# (tests/fuzz/corpus/NAME, never written to) and on what earlier runs found
# (BUILD/corpus/NAME). A crash, leak, timeout or broken promise leaves its
# input in BUILD/crashes/NAME/ and makes this script fail after the other
# harnesses have run. Each harness's output is in BUILD/logs/NAME.log; one
# summary line per harness goes to standard output. What `make fuzz` runs.
# FUZZ_SEED=N (environment) fixes libFuzzer's seed: the same binary then
# tries the same mutations, so a crash CI finds is found again by anyone.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$1 seconds=$2 only=${3-}
bins=$build/tests/fuzz
names=()
if [ -n "$only" ]; then
    if [ ! -x "$bins/fuzz-$only" ]; then
        echo "run.sh: no harness '$only' (tests/fuzz/$only.c)" >&2
        exit 2
    fi
    names=("$only")
else
    for b in "$bins"/fuzz-*; do names+=("${b##*/fuzz-}"); done
fi
failed=()
for name in "${names[@]}"; do
    corpus=$build/corpus/$name crashes=$build/crashes/$name log=$build/logs/$name.log
    mkdir -p "$corpus" "$crashes" "$build/logs"
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
    seed=()
    [ -n "${FUZZ_SEED-}" ] && seed=("-seed=$FUZZ_SEED")
    "$bins/fuzz-$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${seed[@]}" \
        -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
        "$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    tests/fuzz/summary.sh "$name" "$log" "$crashes"
    if [ $rc -ne 0 ]; then
        failed+=("$name")
        echo "  fuzz-$name failed (exit $rc): see $log; the input is in $crashes/" >&2
        grep -m 3 -E 'ERROR|broken promise|runtime error' "$log" | sed 's/^/    /' >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run.sh: ${#failed[@]} harness(es) failed: ${failed[*]}" >&2
    exit 1
fi
