bats_require_minimum_version 1.5.0

# Shared set-up for the Bats tests: the programs under test come from the
# build directory (make check sets CDP_BUILD; build-san for sanitizer runs).
BUILD=${CDP_BUILD:-$BATS_TEST_DIRNAME/../build}
PATH="$BUILD/bin:$BUILD/tests/tools:$PATH"
FIX=$BATS_TEST_DIRNAME/fixtures
SHARED=${CDP_SHARED_DATA:-$BATS_TEST_DIRNAME/../../shared/data}
export CDP_SHARE=$BATS_TEST_DIRNAME/../share/cdp
export LC_ALL=C.UTF-8

# Compares a file with the expected text on stdin; shows a diff on failure.
assert_file() {
    local want
    want=$(cat)
    if [ "$(cat "$1")" != "$want" ]; then
        diff -u <(printf '%s\n' "$want") "$1" >&2 || true
        return 1
    fi
}

# Compares $output (from run) with the expected text on stdin.
assert_output() {
    local want
    want=$(cat)
    if [ "$output" != "$want" ]; then
        diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$output") >&2 || true
        return 1
    fi
}

# ingest_exports DIR OUT: the four exports of DIR (the examples, or
# cdp-gen's) to OUT/SOURCE.ndjson.zst, as examples/nightly.sh does.
ingest_exports() {
    local d=$1 o=$2 m=$CDP_SHARE/maps
    mkdir -p "$o"
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 -d ';' --map "$m/crm-1c.map" --as-of 2026-11-20 \
        -o "$o/crm.ndjson.zst" "$d/crm.csv" 2>/dev/null
    cdp-ingest -q -s shop --map "$m/shop.map" --as-of 2026-11-20 -o "$o/shop.ndjson.zst" \
        "$d/shop-customers.jsonl" 2>/dev/null
    cdp-ingest -q -s pos --tz +03:00 -d ';' --map "$m/pos.map" -o "$o/pos.ndjson.zst" \
        "$d/pos-receipts.csv" 2>/dev/null
    cdp-ingest -q -s web --map "$m/web.map" -o "$o/web.ndjson.zst" "$d/web-events.ndjson.zst" 2>/dev/null
}
