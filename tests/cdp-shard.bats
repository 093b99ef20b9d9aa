#!/usr/bin/env bats
# cdp-shard: options, the split (exact, stable: the hash is part of the
# contract, a change moves every record of a running installation), the
# order file, rejects, and all-or-nothing outputs.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    for i in 1 2 3 4 5 6 7 8 9 10; do
        echo "{\"_source\":\"crm\",\"_rid\":\"$i\",\"cdp_id\":\"id$((i % 4))\"}"
    done >ten.ndjson
}

@test "--help, --version, usage errors exit 2 with a hint" {
    run cdp-shard --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-shard [OPTION]... -n N -o TEMPLATE [FILE]..." ]
    run cdp-shard --version
    [ "$status" -eq 0 ]
    [ "$output" = "cdp-shard (cdp) 0.1.0" ]
    run cdp-shard -o 'p%d' ten.ndjson
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-shard: -n N is required
Try 'cdp-shard --help' for more information.
OUT
    run cdp-shard -n 2 ten.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-shard: -o TEMPLATE is required" ]
    run cdp-shard -n 2 -o part.ndjson ten.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-shard: -o takes a file name with %d once (the shard number), not 'part.ndjson'" ]
    run cdp-shard -n 2 -o 'p%d-%s' ten.ndjson
    [ "$status" -eq 2 ]
    run cdp-shard -n 0 -o 'p%d' ten.ndjson
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-shard: --shards takes a number 1 to 4096, not '0'" ]
    run cdp-shard -n 2 -o 'p%d' --order - ten.ndjson
    [ "$status" -eq 2 ]
    run cdp-shard -n 2 -o 'p%d' --interleave order.txt
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-shard: --interleave needs the shards as FILEs" ]
    [ "$(ls)" = "ten.ndjson" ]
}

@test "records go to the shard of their record id, in input order, with the order file" {
    run cdp-shard -n 4 --order order.txt -o 'part-%d.ndjson' ten.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = "cdp-shard: 10 records read, 10 written, 0 rejected" ]
    assert_file part-0.ndjson <<'OUT'
{"_source":"crm","_rid":"1","cdp_id":"id1"}
{"_source":"crm","_rid":"6","cdp_id":"id2"}
OUT
    assert_file part-1.ndjson <<'OUT'
{"_source":"crm","_rid":"3","cdp_id":"id3"}
OUT
    assert_file part-2.ndjson <<'OUT'
{"_source":"crm","_rid":"4","cdp_id":"id0"}
{"_source":"crm","_rid":"8","cdp_id":"id0"}
{"_source":"crm","_rid":"9","cdp_id":"id1"}
OUT
    assert_file part-3.ndjson <<'OUT'
{"_source":"crm","_rid":"2","cdp_id":"id2"}
{"_source":"crm","_rid":"5","cdp_id":"id1"}
{"_source":"crm","_rid":"7","cdp_id":"id3"}
{"_source":"crm","_rid":"10","cdp_id":"id2"}
OUT
    [ "$(tr '\n' ' ' <order.txt)" = "cdp-shard order 4 0 3 1 2 3 0 3 2 2 3 " ]
    [ "$(stat -c %a part-0.ndjson)" = 600 ]
    # The same split again, from stdin, compressed: the same lines.
    cdp-shard -q -n 4 -o 'again-%d.ndjson.zst' <ten.ndjson
    for i in 0 1 2 3; do
        [ "$(zstd -q -t again-$i.ndjson.zst && zstd -dc again-$i.ndjson.zst)" = "$(cat part-$i.ndjson)" ]
    done
}

@test "--by cdp_id puts every record of a person in one shard; empty shards are written" {
    run cdp-shard -n 4 --by cdp_id -o 'p-%d.ndjson' ten.ndjson
    [ "$status" -eq 0 ]
    [ ! -s p-0.ndjson ] && [ ! -s p-1.ndjson ]
    [ "$(jq -r .cdp_id p-2.ndjson | sort -u | tr '\n' ' ')" = "id0 id1 id3 " ]
    [ "$(jq -r .cdp_id p-3.ndjson | sort -u | tr '\n' ' ')" = "id2 " ]
    [ "$(cat p-*.ndjson | sort)" = "$(sort ten.ndjson)" ]
}

@test "lines that are not records, or have no key, are rejected with file and line" {
    cat >in.ndjson <<'EOF2'
{"_source":"crm","_rid":"1"}
not json
{"_source":"web","event":"view"}
{"_source":"pos","_rid":17}
{"_source":"pos","_rid":"17","cdp_id":null}
EOF2
    run cdp-shard -n 3 --rejects rej.ndjson -o 'x%d.ndjson' in.ndjson
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
cdp-shard: in.ndjson:2: invalid JSON: Problem while parsing an atom starting with the letter 'n'; line rejected
cdp-shard: in.ndjson:3: no _source or _rid; line rejected
cdp-shard: 5 records read, 3 written, 2 rejected
OUT
    [ "$(jq -c '[.line, .code]' rej.ndjson | tr '\n' ' ')" = '[2,"invalid_json"] [3,"no_record_id"] ' ]
    # A number and a string of the same digits are one record id.
    [ "$(cat x0.ndjson)" = '{"_source":"crm","_rid":"1"}' ]
    [ "$(cat x1.ndjson)" = "$(printf '%s\n' '{"_source":"pos","_rid":17}' '{"_source":"pos","_rid":"17","cdp_id":null}')" ]
    [ ! -s x2.ndjson ]
    # --by: a record without the field (an anonymous event) goes to shard 0.
    run cdp-shard -n 3 --by cdp_id -o 'y%d.ndjson' in.ndjson
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "cdp-shard: 5 records read, 4 written, 1 rejected" ]
    [ "$(wc -l <y0.ndjson)" -eq 4 ] && [ ! -s y1.ndjson ] && [ ! -s y2.ndjson ]
}

@test "a failed run changes no shard and leaves no file" {
    cdp-shard -q -n 2 --order o.txt -o 'p%d.ndjson' ten.ndjson
    cp p0.ndjson p0.before
    run cdp-shard -n 2 --order o.txt -o 'p%d.ndjson' ten.ndjson missing.ndjson
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-shard: cannot open 'missing.ndjson': No such file or directory" ]
    cmp p0.ndjson p0.before
    [ "$(ls -A | tr '\n' ' ')" = "o.txt p0.before p0.ndjson p1.ndjson ten.ndjson " ]
    mkdir ro && chmod 500 ro
    if [ "$(id -u)" != 0 ]; then
        run cdp-shard -n 2 -o 'ro/p%d.ndjson' ten.ndjson
        [ "$status" -eq 1 ]
    fi
    run cdp-shard -n 2 -o 'p%d.ndjson' --stats /dev/full ten.ndjson
    [ "$status" -eq 1 ]
}
