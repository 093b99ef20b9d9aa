#!/usr/bin/env bats
# The defects of issue #13 (a hostile review of every program), one test or
# more each, named "#13.N: ...": each failed before its fix.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# A canonical person file for cdp-dedupe and friends.
persons() {
    printf '%s\n' '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru"}' \
        '{"_source":"x","_rid":"2","_kind":"person","email":"c@d.ru"}' > "$1"
}

# usage_refused WANT CMD...: CMD exits 2 with WANT as its first message
# line, and leaves the folder as it was.
usage_refused() {
    local want=$1 before
    shift
    before=$(ls -lA -I 'separate-stderr*' --time-style=+%s.%N .)
    run --separate-stderr "$@"
    [ "$status" -eq 2 ] || { echo "exit $status: ${stderr_lines[*]}" >&2; return 1; }
    [ "${stderr_lines[0]}" = "$want" ] || { echo "got: ${stderr_lines[0]}" >&2; return 1; }
    [ "${stderr_lines[1]}" = "Try '${1} --help' for more information." ]
    [ -z "$output" ]
    [ "$(ls -lA -I 'separate-stderr*' --time-style=+%s.%N .)" = "$before" ] || { ls -lA -I 'separate-stderr*' --time-style=+%s.%N . >&2; echo "$before" >&2; return 1; }
}

@test "#13.4: two outputs naming one file, or an input also an output, are refused (exit 2, nothing touched)" {
    persons p.ndjson
    cp p.ndjson s
    usage_refused "cdp-ingest: -o 'x' and --rejects 'x' are the same file" \
        cdp-ingest -s x -m email=email p.ndjson -o x --rejects x
    usage_refused "cdp-ingest: -o 'p.ndjson' and input './p.ndjson' are the same file" \
        cdp-ingest -s x -m email=email ./p.ndjson -o p.ndjson
    usage_refused "cdp-dedupe: --state 's' and -o 's' are the same file" \
        cdp-dedupe p.ndjson --state s -o s
    usage_refused "cdp-dedupe: --state 's' and --journal './s' are the same file" \
        cdp-dedupe p.ndjson --state s --journal ./s -o l
    usage_refused "cdp-dedupe: -o 'l' and --links '../${PWD##*/}/l' are the same file" \
        cdp-dedupe p.ndjson -o l --links "../${PWD##*/}/l"
    usage_refused "cdp-dedupe: --stats 'st' and --rejects 'st' are the same file" \
        cdp-dedupe p.ndjson --stats st --rejects st
    usage_refused "cdp-dedupe: --state 's' and input 's' are the same file" \
        cdp-dedupe --state s p.ndjson s
    usage_refused "cdp-merge: -o 'p.ndjson' and input 'p.ndjson' are the same file" \
        cdp-merge -o p.ndjson p.ndjson
    usage_refused "cdp-segment: --report 'r' and --history 'r' are the same file" \
        cdp-segment -s all=true --report r --history r p.ndjson
    usage_refused "cdp-export: --previous 'p' and --removed 'p' are the same file" \
        cdp-export -f ndjson --previous p --removed p p.ndjson
    usage_refused "cdp-export: -o 'o' and --previous 'o' are the same file" \
        cdp-export -f ndjson -o o --previous o p.ndjson
    usage_refused "cdp-export: --full 'f' and --removed 'f' are the same file" \
        cdp-export -f ndjson --previous p --full f --removed f p.ndjson
    usage_refused "cdp-recommend: -o 'p.ndjson' and input 'p.ndjson' are the same file" \
        cdp-recommend -o p.ndjson p.ndjson
    usage_refused "cdp-report: -o 'r.html' and --json 'r.html' are the same file" \
        cdp-report -o r.html --json r.html .
    usage_refused "cdp-forget: --journal 'e' and --export 'e' are the same file" \
        cdp-forget --state s --email a@b.ru --journal e --export e
    usage_refused "cdp-forget: --state 's' and input 's' are the same file" \
        cdp-forget --state s --email a@b.ru s
    # standard output and standard input twice
    usage_refused "cdp-dedupe: --stats '-' and standard output (no -o) are both standard output" \
        cdp-dedupe p.ndjson --stats -
    usage_refused "cdp-dedupe: --rejects '/dev/stdout' and -o '-' are both standard output" \
        cdp-dedupe p.ndjson --rejects /dev/stdout -o -
    usage_refused "cdp-merge: stdin ('-') given twice" cdp-merge - -
    usage_refused "cdp-merge: stdin ('-') given twice" cdp-merge -o m /dev/stdin -
    # the file standard output is redirected to is an output too
    run --separate-stderr cdp-dedupe p.ndjson --rejects out.txt
    [ "$status" -eq 0 ]
    run bash -c 'cdp-dedupe p.ndjson --rejects out.txt > out.txt'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-dedupe: --rejects 'out.txt' and standard output (no -o) are the same file" ]
    [ "$(cat p.ndjson)" = "$(printf '%s\n' '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru"}' '{"_source":"x","_rid":"2","_kind":"person","email":"c@d.ru"}')" ]
    [ "$(cat s)" = "$(cat p.ndjson)" ]
}

@test "#13.4: what may name one file: inputs read twice, devices, a model and a baseline read and then replaced" {
    persons p.ndjson
    run --separate-stderr cdp-dedupe -q p.ndjson p.ndjson --stats /dev/null --rejects /dev/null --links /dev/null
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
    run --separate-stderr cdp-dedupe -q -m "$CDP_SHARE/models/person.json" --model-out m p.ndjson -o /dev/null
    [ "$status" -eq 0 ]
    run --separate-stderr cdp-dedupe -q -m m --model-out m p.ndjson -o /dev/null
    [ "$status" -eq 0 ]
    [ -s m ]
    cdp-merge -q -o prof.ndjson p.ndjson
    run --separate-stderr cdp-export -q -f ndjson -o o --full f prof.ndjson
    [ "$status" -eq 0 ]
    run --separate-stderr cdp-export -q -f ndjson -o o --previous f --full f prof.ndjson
    [ "$status" -eq 0 ]
    # the last of a repeated output counts
    run --separate-stderr cdp-dedupe -q p.ndjson -o x --rejects x --rejects y
    [ "$status" -eq 0 ]
}
