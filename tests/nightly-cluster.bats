#!/usr/bin/env bats
# examples/nightly-cluster.sh: nightly.sh's night over shards with GNU
# parallel (-S :, this host) gives nightly.sh's outputs, as sorted files;
# a shard job that fails is run again.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    EX=$BATS_TEST_DIRNAME/../examples
    command -v parallel >/dev/null || skip "GNU parallel is not installed (Debian: parallel)"
}

# same A B: A and B hold the same outputs (tests/same-night.sh).
same() {
    "$BATS_TEST_DIRNAME/same-night.sh" "$@"
}

# nights SCRIPT [OPTION]...: SCRIPT's nights of 20 and 21 November (the
# second's exports the first's with the day's rows, as nights.sh makes them)
# into out/, from the current folder.
nights() {
    local script=$1 d=$EX/2026-11-21
    shift
    CDP_AS_OF=2026-11-20 "$script" "$@" "$EX" out >log1 2>&1
    mkdir -p x2
    { cat "$EX/crm.csv"; tail -n +2 "$d/crm.csv"; } >x2/crm.csv
    { cat "$EX/pos-receipts.csv"; tail -n +2 "$d/pos-receipts.csv"; } >x2/pos-receipts.csv
    cat "$EX/shop-customers.jsonl" "$d/shop-customers.jsonl" >x2/shop-customers.jsonl
    { zstd -dcq "$EX/web-events.ndjson.zst"; cat "$d/web-events.ndjson"; } | zstd -q -o x2/web-events.ndjson.zst
    cp "$EX/segments.rules" "$EX/unsubscribed.txt" x2/
    CDP_AS_OF=2026-11-21 "$script" "$@" x2 out >log2 2>&1
}

@test "usage: --help, and a bad -n exits 2" {
    run "$EX/nightly-cluster.sh" --help
    [ "$status" -eq 0 ]
    [ "$output" = "Usage: nightly-cluster.sh [-S SSHLOGINS] [-n SHARDS] [EXAMPLES_DIR [OUT_DIR]]" ]
    run "$EX/nightly-cluster.sh" -n 0
    [ "$status" -eq 2 ]
    [ "$output" = "nightly-cluster.sh: -n takes a number of shards from 1, not '0'" ]
    run "$EX/nightly-cluster.sh" -x
    [ "$status" -eq 2 ]
}

@test "two nights over 4 shards on this host: nightly.sh's outputs, file for file" {
    mkdir one cluster
    (cd one && nights "$EX/nightly.sh")
    (cd cluster && nights "$EX/nightly-cluster.sh" -S : -n 4)
    run same one/out cluster/out
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # Not trivially: the persons, profiles, deltas, history, report and
    # campaign files are there.
    [ "$(zstd -dc cluster/out/identified.ndjson.zst | wc -l)" -eq 294 ]
    [ "$(zstd -dc cluster/out/profiles.ndjson.zst | wc -l)" -eq 49 ]
    [ "$(zstd -dc cluster/out/segments.ndjson.zst | grep -c '"entered":\["')" -eq 7 ]
    [ "$(wc -l <cluster/out/segments-history.ndjson)" -eq 2 ]
    [ -s cluster/out/report.html ]
    [ "$(ls cluster/out/export | tr '\n' ' ')" = "birthday-unisender.csv carts-sms.txt lapsed-meta.csv preview-mailchimp.csv " ]
    [ "$(ls cluster/out/shards | grep -c '^segments-')" -eq 4 ]
    grep -q '^== dedupe, step 2: resolve$' cluster/log2
}

@test "a shard job that fails is run again, and the night comes out the same" {
    mkdir bin flaky one cluster
    # cdp-merge that fails the first time for each shard.
    cat >bin/cdp-merge <<EOF2
#!/bin/sh
mark=$BATS_TEST_TMPDIR/flaky/\$(echo "\$*" | md5sum | cut -c1-16)
if [ ! -e "\$mark" ]; then
    : >"\$mark"
    echo "cdp-merge: failing once" >&2
    exit 1
fi
exec $(command -v cdp-merge) "\$@"
EOF2
    chmod +x bin/cdp-merge
    (cd one && "$EX/nightly.sh" "$EX" out >log 2>&1)
    (cd cluster && PATH=$BATS_TEST_TMPDIR/bin:$PATH "$EX/nightly-cluster.sh" -S : -n 2 "$EX" out >log 2>&1)
    [ "$(ls flaky | wc -l)" -eq 2 ]
    run same one/out cluster/out
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}
