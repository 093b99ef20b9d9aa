#!/usr/bin/env bash
# summary.sh NAME LOG CRASHES: one line on a libFuzzer run: executions, the
# coverage it ended with (libFuzzer's cov: edges and ft: features), the
# corpus size, and the inputs it left in CRASHES (crash-, leak-, timeout-,
# oom-, slow-unit-). Works on a plain run's log and on a -fork run's.
name=$1 log=$2 crashes=$3
# The last status line: "#123 ... cov: 10 ft: 20 corp: 5/1Kb ..." (a fork
# run writes "#123: cov: ...").
last=$(grep -E '^#[0-9]+:?[[:space:]].*cov: [0-9]+' "$log" | tail -n 1)
execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+$')
[ -n "$execs" ] || execs=$(printf '%s\n' "$last" | grep -Eo '^#[0-9]+' | tr -d '#')
cov=$(printf '%s\n' "$last" | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+')
ft=$(printf '%s\n' "$last" | grep -Eo 'ft: [0-9]+' | grep -Eo '[0-9]+')
corp=$(printf '%s\n' "$last" | grep -Eo 'corp: [0-9]+' | grep -Eo '[0-9]+')
found=$(find "$crashes" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
    -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | wc -l)
slow=$(find "$crashes" -maxdepth 1 -type f -name 'slow-unit-*' 2>/dev/null | wc -l)
printf '%-9s executions %s  cov %s  ft %s  corpus %s  crashes %s  slow %s\n' "$name" \
    "${execs:-0}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found" "$slow"
