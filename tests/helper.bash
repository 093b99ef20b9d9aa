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
