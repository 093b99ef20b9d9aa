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

# same A B: every file of folder A (but the shard files, the forget list's
# keyed hashes and secret, random on every run, and merge.log, one summary a
# shard) is in B with the same lines, decompressed and sorted, and B has no
# other.
same() {
    local f a b bad=0
    diff <(cd "$1" && find . -type f -not -path './shards/*' | sort) \
        <(cd "$2" && find . -type f -not -path './shards/*' | sort)
    while read -r f; do
        case $f in
        ./forgotten.list | ./forgotten.list.secret | ./merge.log) continue ;;
        *.zst)
            a=$(zstd -dcq "$1/$f" | LC_ALL=C sort | md5sum)
            b=$(zstd -dcq "$2/$f" | LC_ALL=C sort | md5sum) ;;
        *)
            a=$(LC_ALL=C sort "$1/$f" | md5sum)
            b=$(LC_ALL=C sort "$2/$f" | md5sum) ;;
        esac
        if [ "$a" != "$b" ]; then
            echo "differs: $f"
            bad=1
        fi
    done < <(cd "$1" && find . -type f -not -path './shards/*' | sort)
    return "$bad"
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

@test "the night over 4 shards on this host: nightly.sh's outputs, file for file" {
    mkdir one cluster
    (cd one && "$EX/nightly.sh" "$EX" out >log 2>&1)
    (cd cluster && "$EX/nightly-cluster.sh" -S : -n 4 "$EX" out >log 2>&1)
    run same one/out cluster/out
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # Not trivially: the persons, profiles and campaign files are there.
    [ "$(zstd -dc cluster/out/identified.ndjson.zst | wc -l)" -eq 280 ]
    [ "$(zstd -dc cluster/out/profiles.ndjson.zst | wc -l)" -eq 47 ]
    [ "$(ls cluster/out/export | tr '\n' ' ')" = "birthday-unisender.csv carts-sms.txt lapsed-meta.csv preview-mailchimp.csv " ]
    [ "$(ls cluster/out/shards | grep -c '^profiles-')" -eq 4 ]
    grep -q '^== dedupe, step 2: resolve$' cluster/log
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
