#!/bin/sh
# tests/layers.sh: every module of lib/ includes only its own layer and the
# layers below it (lib/README says which), and cmd/ programs include only
# lib/ headers, never another program's file. Exits 1 naming each offence.
set -eu
cd "$(dirname "$0")/.."
allowed() {
    case $1 in
    base) echo "base" ;;
    io) echo "base io" ;;
    norm) echo "base norm" ;;
    ingest) echo "base io norm ingest" ;;
    identity) echo "base io norm identity" ;;
    profile) echo "base io norm identity rules profile" ;;
    rules) echo "base io rules" ;;
    segment) echo "base io norm identity rules segment" ;;
    export) echo "base io norm rules export" ;;
    recommend) echo "base io norm rules recommend" ;;
    insight) echo "base io norm identity segment insight" ;;
    forget) echo "base io norm identity profile export forget" ;;
    gen) echo "base io norm gen" ;;
    cli) echo "base io norm ingest identity profile rules segment export recommend insight forget cli" ;;
    *) echo "" ;;
    esac
}
bad=0
for dir in lib/*/; do
    layer=$(basename "$dir")
    ok=$(allowed "$layer")
    if [ -z "$ok" ]; then
        echo "layers: lib/$layer is not a known layer (add it to lib/README and tests/layers.sh)"
        bad=1
        continue
    fi
    for f in "$dir"*; do
        grep -o '#include "[^"]*"' "$f" | sed 's/#include "//; s/"$//' | while read -r inc; do
            case $inc in
            */*) used=${inc%%/*} ;;
            *) echo "layers: $f includes \"$inc\" without its layer"; exit 1 ;;
            esac
            case " $ok " in
            *" $used "*) ;;
            *) echo "layers: $f ($layer) includes $inc: $used is not below $layer"; exit 1 ;;
            esac
        done || bad=1
    done
done
for f in cmd/*.c; do
    if grep -o '#include "[^"]*"' "$f" | grep -v '#include "[a-z]*/[a-z_]*\.h"' >/dev/null; then
        echo "layers: $f includes a file outside lib/"
        bad=1
    fi
done
[ "$bad" = 0 ] && echo "layers: ok"
exit "$bad"
