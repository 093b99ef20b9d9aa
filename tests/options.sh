#!/usr/bin/env bash
# tests/options.sh BUILD: each program's options, as its --help lists them
# (generated from its option table, see lib/cli/cli.h), are exactly those of
# its man page's OPTIONS section and of its bash, zsh and fish completions.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bad=0
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }
for bin in "$build"/bin/cdp-*; do
    p=$(basename "$bin")
    help=$("$bin" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '-[a-zA-Z]\b|--[a-z0-9-]+' | sorted)
    man=$(awk '/^\.SH OPTIONS/{on=1;next} /^\.SH/{on=0} on && /^\.TP/{getline; print}' "man/$p.1" |
        sed 's/\\-/-/g' | grep -oE -- '(^|[ "])-[a-zA-Z]( |"|$)|--[a-z0-9-]+' | tr -d ' "' | sorted)
    # bash: the words of the opts="..." list the completion offers
    bash=$(awk '/ opts="/{on=1} on{print} on && /"$/ && !/opts="$/{exit}' "completions/bash/$p" |
        sed 's/.*opts="//; s/"$//' | sorted)
    zsh=$(grep -v '^ *#' "completions/zsh/_$p" | grep -oE -- "[{'(,)*](-[a-zA-Z]|--[a-z0-9-]+)\\b" | tr -d "{'(,)*" | sorted)
    fish=$(grep '^complete ' "completions/fish/$p.fish" | grep -oE -- ' -[sl] [a-z0-9-]+' |
        sed 's/ -s /-/; s/ -l /--/' | sorted)
    for what in man bash zsh fish; do
        got=${!what}
        if [ "$got" != "$help" ]; then
            echo "options: $p: $what differs from --help:"
            { diff <(tr ' ' '\n' <<< "$help") <(tr ' ' '\n' <<< "$got") || true; } |
                grep '^[<>]' | sed 's/^</  missing:/; s/^>/  extra:  /'
            bad=1
        fi
    done
done
[ "$bad" = 0 ] && echo "options: man pages and completions agree with --help"
exit "$bad"
