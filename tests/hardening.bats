#!/usr/bin/env bats
# The defects of issue #13 (a hostile review of every program), one test or
# more each, named "#13.N: ...": each failed before its fix.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# The shim of tests/fault.bats; here only for CDP_FAULT_NO_TMPFILE (outputs
# then take io/output.c's named temporary, as on a file system without
# O_TMPFILE: tmpfs has it). Never sanitized, so ASan must not insist on
# coming first.
FAULT_LIB=$BUILD/tests/fault/libfault.so
no_tmpfile() {
    CDP_FAULT_NO_TMPFILE=1 LD_PRELOAD=$FAULT_LIB \
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
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
    # the sharded run's files (issue 19)
    usage_refused "cdp-shard: --order 'p.ndjson' and input 'p.ndjson' are the same file" \
        cdp-shard -n 2 --order p.ndjson -o 'x-%d' p.ndjson
    usage_refused "cdp-dedupe: --order-out 'p.ndjson' and input 'p.ndjson' are the same file" \
        cdp-dedupe --resolve o --order-out p.ndjson -o 'ids-%d' p.ndjson
    usage_refused "cdp-dedupe: --order-out 's2' and --stats 's2' are the same file" \
        cdp-dedupe --resolve o --order-out s2 --stats s2 -o 'ids-%d' p.ndjson
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

# changed_between CHANGE CMD...: runs CMD -o fifo, a named pipe, whose
# opening blocks until read: CMD has then read its inputs once. The shell
# code CHANGE runs then, and the pipe is read into out; $rc, and the
# messages in err.
changed_between() {
    local change=$1 i pid
    shift
    rm -f fifo out err
    mkfifo fifo
    "$@" -o fifo 2>err &
    pid=$!
    for ((i = 0; i < 3000; i++)); do
        [ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = wait_for_partner ] && break
        sleep 0.01
    done
    eval "$change"
    cat fifo > out
    rc=0
    wait "$pid" || rc=$?
}

@test "#13.1: an input replaced or written to between the two passes stops the run (exit 1, nothing written)" {
    persons p.ndjson
    echo '{"_source":"x","_rid":"3","_kind":"person","email":"a@b.ru"}' >> p.ndjson
    cp p.ndjson p0.ndjson
    # replaced by another file of the same size, records in another order
    printf '%s\n' '{"_source":"x","_rid":"3","_kind":"person","email":"a@b.ru"}' \
        '{"_source":"x","_rid":"2","_kind":"person","email":"c@d.ru"}' \
        '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru"}' > other.ndjson
    [ "$(stat -c %s other.ndjson)" = "$(stat -c %s p.ndjson)" ]
    changed_between 'cp other.ndjson new.ndjson && mv new.ndjson p.ndjson' cdp-dedupe -q p.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-dedupe: 'p.ndjson' changed between the two passes (replaced by another file)" ]
    [ ! -s out ]
    # the same bytes written over it in place: same size, same inode
    cp p0.ndjson p.ndjson
    changed_between 'dd if=p0.ndjson of=p.ndjson conv=notrunc status=none' cdp-dedupe -q p0.ndjson p.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-dedupe: 'p.ndjson' changed between the two passes (written to: its size or modification time changed)" ]
    # the same bytes written back with the old modification time (as rsync -t
    # does): only the status-change time tells; chmod and a new hard link
    # move it as well, and say so
    changed_between 'cp -p p.ndjson kept && dd if=p0.ndjson of=p.ndjson conv=notrunc status=none && touch -r kept p.ndjson' cdp-dedupe -q p.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-dedupe: 'p.ndjson' changed between the two passes (its status-change time moved: written to, or its permissions or links changed)" ]
    changed_between 'ln p.ndjson p.link' cdp-dedupe -q p.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-dedupe: 'p.ndjson' changed between the two passes (its status-change time moved: written to, or its permissions or links changed)" ]
    rm p.link
    # a line appended (the count of records alone told before, without the file)
    changed_between 'echo "{\"_source\":\"x\",\"_rid\":\"9\",\"_kind\":\"person\"}" >> p.ndjson' cdp-dedupe -q p.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-dedupe: 'p.ndjson' changed between the two passes (written to: its size or modification time changed)" ]
    # untouched: the run goes through
    cp p0.ndjson p.ndjson
    changed_between 'true' cdp-dedupe -q p.ndjson
    [ "$rc" -eq 0 ]
    [ "$(wc -l < out)" -eq 3 ]
}

@test "#13.1: cdp-segment with population rules and cdp-export with a channel read twice too" {
    cp "$FIX/segment/profiles.ndjson" prof.ndjson
    head -n 2 prof.ndjson > fewer.ndjson
    changed_between 'mv fewer.ndjson prof.ndjson' cdp-segment -q --use rfm --as-of 2026-01-01 prof.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-segment: 'prof.ndjson' changed between the two passes (replaced by another file)" ]
    [ ! -s out ]
    cp "$FIX/export/profiles.ndjson" prof.ndjson
    changed_between 'touch -d "2020-01-01 00:00" prof.ndjson' cdp-export -q -f mailchimp prof.ndjson
    [ "$rc" -eq 1 ]
    [ "$(cat err)" = "cdp-export: 'prof.ndjson' changed between the two passes (written to: its size or modification time changed)" ]
    [ ! -s out ]
    changed_between 'true' cdp-export -q -f mailchimp prof.ndjson
    [ "$rc" -eq 0 ]
    [ -s out ]
}

@test "#13.12: suppression lists with CR-only lines or in UTF-16 are read; a list mostly unreadable stops the run" {
    printf '%s\n' '{"cdp_id":"p1","email":"a@b.ru","consent_email":true}' \
        '{"cdp_id":"p2","email":"c@b.ru","consent_email":true}' \
        '{"cdp_id":"p3","email":"e@b.ru","consent_email":true}' > prof.ndjson
    printf 'a@b.ru\r# a comment\rc@b.ru\r' > cr.txt
    run --separate-stderr cdp-export -f mailchimp --suppress cr.txt prof.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = $'Email Address,First Name,Last Name,Birthday,Phone Number,Tags\ne@b.ru,,,,,' ]
    [ "$stderr" = "cdp-export: 3 profiles read, 1 exported, 2 skipped (2 suppressed), 0 rejected" ]
    printf 'a@b.ru\r\nc@b.ru\r\n' | iconv -f UTF-8 -t UTF-16 > utf16.txt   # with its BOM
    printf '\xfe\xff' > utf16be.txt
    printf 'c@b.ru\ne@b.ru' | iconv -f UTF-8 -t UTF-16BE >> utf16be.txt
    run --separate-stderr cdp-export -f mailchimp --suppress utf16.txt --suppress utf16be.txt prof.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = 'Email Address,First Name,Last Name,Birthday,Phone Number,Tags' ]
    [ "$stderr" = "cdp-export: 3 profiles read, 0 exported, 3 skipped (3 suppressed), 0 rejected" ]
    # UTF-16 without a byte-order mark: nothing can be used, the run stops
    printf 'a@b.ru\n' | iconv -f UTF-8 -t UTF-16LE > nobom.txt
    run --separate-stderr cdp-export -f mailchimp --suppress nobom.txt -o out.csv prof.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[2]}" = "cdp-export: --suppress nobom.txt: 2 of 2 entries are not an e-mail, phone or SHA-256 hash: is it a list of them, as written?" ]
    [ ! -e out.csv ]
    # one typo among many is reported and the list used; two of three is not a list
    printf 'a@b.ru\nnot a contact\nc@b.ru\n' > typo.txt
    run --separate-stderr cdp-export -f mailchimp --suppress typo.txt prof.ndjson
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "cdp-export: typo.txt:2: not an e-mail, phone or SHA-256 hash, ignored: 'no***ct'" ]
    run --separate-stderr cdp-export --show-values -f mailchimp --suppress typo.txt prof.ndjson
    [ "${stderr_lines[0]}" = "cdp-export: typo.txt:2: not an e-mail, phone or SHA-256 hash, ignored: 'not a contact'" ]
    printf 'x\ny\na@b.ru\n' > bad.txt
    run --separate-stderr cdp-export -f mailchimp --suppress bad.txt prof.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[2]}" = "cdp-export: --suppress bad.txt: 2 of 3 entries are not an e-mail, phone or SHA-256 hash: is it a list of them, as written?" ]
    [ -z "$output" ]
}

@test "#13.2: numbers with an exponent or beyond 12 integer digits are invalid at ingest; cdp-merge never wraps a sum" {
    printf '%s\n' '{"email":"a@b.ru","amount":1e20,"order_id":"1"}' \
        '{"email":"a@b.ru","amount":1E5,"order_id":"2"}' \
        '{"email":"a@b.ru","amount":123456789012345678901234,"order_id":"3"}' \
        '{"email":"a@b.ru","amount":"1 000 000 000 000","order_id":"4"}' \
        '{"email":"a@b.ru","amount":999999999999.99,"order_id":"5"}' \
        '{"email":"a@b.ru","amount":"-999 999 999 999,99","order_id":"6"}' > o.ndjson
    run --separate-stderr cdp-ingest -s shop -m email=email -m amount=amount -m order_id=order_id \
        --set event=purchase --set ts=2026-01-01 o.ndjson
    [ "$status" -eq 0 ]
    [ "$(jq -c '[._invalid.amount, .amount]' <<< "$output" | tr '\n' ' ')" = '["1e20",null] ["1E5",null] ["123456789012345678901234",null] ["1 000 000 000 000",null] [null,999999999999.99] [null,-999999999999.99] ' ]
    [ "$stderr" = 'cdp-ingest: o.ndjson:1: invalid number "1e20" in field "amount"
cdp-ingest: o.ndjson:2: invalid number "1E5" in field "amount"
cdp-ingest: o.ndjson:3: invalid number "123456789012345678901234" in field "amount"
cdp-ingest: o.ndjson:4: invalid number "1 000 000 000 000" in field "amount"
cdp-ingest: 6 rows read, 6 written, 0 rejected, 4 invalid values' ]
    # records not made by cdp-ingest: such amounts are no amount, and sums stop short of wrapping
    ev() { printf '{"_source":"x","_rid":"%s","_kind":"event","cdp_id":"p1","event":"purchase","ts":"2026-01-01T00:00:00Z","order_id":"%s",%s}\n' "$1" "$1" "$2"; }
    { ev 1 '"amount":1e20'; ev 2 '"amount":99999999999999999999'; ev 3 '"price":999999999999,"qty":999999999999'
      ev 4 '"amount":10.5'; } > m.ndjson
    run --separate-stderr cdp-merge -q --as-of 2026-02-01 m.ndjson
    [ "$status" -eq 0 ]
    [[ "$output" == '{"cdp_id":"p1","orders":1,"revenue":10.50,'* ]]
    for i in $(seq 1 600); do ev "$i" '"amount":999999999999.99'; done > big.ndjson
    run --separate-stderr cdp-merge -q --as-of 2026-02-01 big.ndjson
    [ "$status" -eq 0 ]
    [[ "$output" == *'"orders":600,"revenue":461168601842738.79,'* ]]
}

@test "#13.11: no exported CSV cell is a spreadsheet formula; numbers and E.164 phones are left as they are" {
    printf '%s\n' '{"cdp_id":"p1","email":"a@b.ru","first_name":"=HYPERLINK(\"http://x\",\"y\")","last_name":"+Cmd","city":"@SUM(A1)","phone":"+79161234567","consent_email":true,"consent_sms":true}' \
        '{"cdp_id":"p2","email":"c@b.ru","first_name":"-Анна","city":"\rx","consent_email":true}' > f.ndjson
    run --separate-stderr cdp-export -f mailchimp f.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = "Email Address,First Name,Last Name,Birthday,Phone Number,Tags
a@b.ru,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+Cmd,,+79161234567,
c@b.ru,'-Анна,,,," ]
    run --separate-stderr cdp-export -f csv -c 'city=.city' -c 'n=-5' -c 'x=-5.5 | tostring' -c 'phone=.phone' -c 't="\tx"' f.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = "city,n,x,phone,t
'@SUM(A1),-5,-5.5,+79161234567,'	x
\"'"$'\r'"x\",-5,-5.5,,'	x" ]
}

@test "#13.9: a NUL byte in a value is an invalid value, never written on (a NUL in a header: see io.bats)" {
    printf 'email,first_name\na@b.ru,An\0na\n' > nul.csv
    printf '%s\n' '{"email":"c@b.ru","first_name":"An\u0000na"}' > nul.ndjson
    run --separate-stderr cdp-ingest -s x -m email=email -m first_name=first_name nul.csv nul.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = '{"_source":"x","_rid":"nul.csv:1","_kind":"person","email":"a@b.ru","_invalid":{"first_name":"An\u0000na"}}
{"_source":"x","_rid":"nul.ndjson:1","_kind":"person","email":"c@b.ru","_invalid":{"first_name":"An\u0000na"}}' ]
    # a name is masked in messages; shown whole, the NUL is escaped (norm/show.h)
    [ "${stderr_lines[0]}" = 'cdp-ingest: nul.csv:2: invalid name "A***" in column "first_name"' ]
    [ "${stderr_lines[1]}" = 'cdp-ingest: nul.ndjson:1: invalid name "A***" in field "first_name"' ]
    [ "${stderr_lines[2]}" = "cdp-ingest: 2 rows read, 2 written, 0 rejected, 2 invalid values" ]
    run --separate-stderr cdp-ingest --show-values -s x -m email=email -m first_name=first_name nul.csv nul.ndjson
    [ "${stderr_lines[0]}" = 'cdp-ingest: nul.csv:2: invalid name "An\0na" in column "first_name"' ]
    [ "${stderr_lines[1]}" = 'cdp-ingest: nul.ndjson:1: invalid name "An\0na" in field "first_name"' ]
    cdp-ingest -q -s x -m email=email -m first_name=first_name nul.csv | cdp-dedupe -q | cdp-merge -q |
        sed 's/}$/,"consent_email":true}/' | cdp-export -q -f mailchimp > out.csv
    [ "$(cat out.csv)" = $'Email Address,First Name,Last Name,Birthday,Phone Number,Tags\na@b.ru,,,,,' ]
}

@test "#13.9: a NUL byte is found in a quoted field and in a plain one between clean rows (the reader's per-row look)" {
    printf 'email,first_name\na@b.ru,Anna\nb@b.ru,"Ma\0ria"\nc@b.ru,Ol\0ga\nd@b.ru,Olga\n' > nul.csv
    run --separate-stderr cdp-ingest -s x -m email=email -m first_name=first_name nul.csv
    [ "$status" -eq 0 ]
    [ "$output" = '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru","first_name":"Anna"}
{"_source":"x","_rid":"2","_kind":"person","email":"b@b.ru","_invalid":{"first_name":"Ma\u0000ria"}}
{"_source":"x","_rid":"3","_kind":"person","email":"c@b.ru","_invalid":{"first_name":"Ol\u0000ga"}}
{"_source":"x","_rid":"4","_kind":"person","email":"d@b.ru","first_name":"Olga"}' ]
    [ "${stderr_lines[2]}" = "cdp-ingest: 4 rows read, 4 written, 0 rejected, 2 invalid values" ]
}

@test "#13.14: misspelt key and --rule fields are usage errors; -o X.NDJSON.ZST is zstd; -z with a .gz name is refused" {
    persons p.ndjson
    run --separate-stderr cdp-dedupe -k nosuch p.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: --key 'nosuch': no field 'nosuch' in the canonical schema (cdp-schema(5))" ]
    run --separate-stderr cdp-dedupe -k last_name+first_nme p.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: --key 'last_name+first_nme': no field 'first_nme' in the canonical schema (cdp-schema(5))" ]
    run --separate-stderr cdp-merge --rule nosuchfield=recent p.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-merge: --rule nosuchfield=recent: no field 'nosuchfield' in the canonical schema (cdp-schema(5))" ]
    [ -z "$output" ]
    run --separate-stderr cdp-dedupe -q -k email -o X.NDJSON.ZST p.ndjson
    [ "$status" -eq 0 ]
    [ "$(zstd -dc X.NDJSON.ZST | wc -l)" -eq 2 ]
    run --separate-stderr cdp-dedupe -q -z -o x.gz p.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: -z (or --zstd-level) writes zstd, but 'x.gz' is named as gzip" ]
    [ ! -e x.gz ]
}

@test "#13.13: after a failed run the summary says nothing was written; --help to a full disk is an error" {
    persons p.ndjson
    run --separate-stderr cdp-ingest -s x -m email=email -o /dev/full p.ndjson
    [ "$status" -eq 1 ]
    [ "$stderr" = "cdp-ingest: cannot write to '/dev/full': No space left on device
cdp-ingest: 2 rows read, 0 written, 0 rejected" ]
    run --separate-stderr cdp-dedupe -o /dev/full p.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[1]}" = "cdp-dedupe: 2 records read, 2 persons, 0 written, 0 rejected, 0 links, 0 refused" ]
    cdp-dedupe -q p.ndjson > ids.ndjson
    cdp-merge -q ids.ndjson | sed 's/}$/,"consent_email":true}/' > prof.ndjson
    run --separate-stderr cdp-merge -o /dev/full ids.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[1]}" = "cdp-merge: 2 records read, 0 profiles, 0 anonymous events, 0 rejected" ]
    run --separate-stderr cdp-segment -s a=true -o /dev/full prof.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[1]}" = "cdp-segment: 2 profiles read, 0 written, 0 rejected, 2 memberships, 0 rule errors" ]
    run --separate-stderr cdp-export -f mailchimp -o /dev/full prof.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[1]}" = "cdp-export: 2 profiles read, 0 exported, 0 skipped, 0 rejected" ]
    # trailing garbage after a zstd stream: the file is refused, nothing written
    { zstd -q -c p.ndjson; echo garbage; } > tg.ndjson.zst
    run --separate-stderr cdp-ingest -s x -m email=email -o out.ndjson tg.ndjson.zst
    [ "$status" -eq 1 ]
    [ "${stderr_lines[1]}" = "cdp-ingest: 2 rows read, 0 written, 0 rejected" ]
    [ ! -e out.ndjson ]
    run bash -c 'cdp-ingest --help > /dev/full'
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-ingest: cannot write to stdout: No space left on device" ]
}

@test "#13.14: a column mapped to more fields than a column can feed is an error, not a field left out" {
    printf 'e,n\na@b.ru,Anna\n' > m.csv
    run --separate-stderr cdp-ingest -s x -m email=e -m first_name=n -m last_name=n -m middle_name=n \
        -m full_name=n -m city=n -o out.ndjson m.csv
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = 'cdp-ingest: column "n" is mapped to more than 4 fields (the rest would be left out)' ]
    [ ! -e out.ndjson ]
    run --separate-stderr cdp-ingest -s x -m email=e -m first_name=n -m last_name=n -m middle_name=n -m city=n m.csv
    [ "$status" -eq 0 ]
    [ "$output" = '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru","last_name":"Anna","first_name":"Anna","middle_name":"Anna","city":"Anna"}' ]
}

# budget_stop WANT CMD...: CMD -o out.ndjson, on a file system without
# O_TMPFILE, exits 1 with WANT as its one message, and leaves the previous
# out.ndjson as it was and no temporary file.
budget_stop() {
    local want=$1
    shift
    echo previous > out.ndjson
    local before
    before=$(ls -A -I 'separate-stderr*')
    run --separate-stderr no_tmpfile "$@" -o out.ndjson
    [ "$status" -eq 1 ] || { echo "exit $status: $stderr" >&2; return 1; }
    [ "$stderr" = "$want" ] || { echo "got: $stderr" >&2; return 1; }
    [ -z "$output" ]
    [ "$(cat out.ndjson)" = previous ]
    [ "$(ls -A -I 'separate-stderr*')" = "$before" ] || { ls -A >&2; return 1; }
}

@test "#13.7: a jq rule past its budget (CPU time, memory) stops the run naming it and its option, exit 1, nothing written" {
    echo '{"cdp_id":"p1","email":"a@b.ru","consent_email":true}' > prof.ndjson
    echo '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru","cdp_id":"p1"}' > ids.ndjson
    budget_stop "cdp-segment: segment 'a' stopped: it ran longer on one profile than --rule-time 0.2 allows" \
        cdp-segment --rule-time 0.2 -s 'a=(def f: f; f)' prof.ndjson
    budget_stop "cdp-segment: segment 'b' stopped: it ran longer on one profile than --rule-time 0.2 allows" \
        cdp-segment --rule-time 0.2 -s a=true -s 'b=([range(1e9)] | length > 0)' prof.ndjson
    budget_stop "cdp-segment: segment 'a' stopped: it took more memory on one profile than --rule-memory 50M allows" \
        cdp-segment --rule-memory 50M -s 'a=(def f: 1 + f; f)' prof.ndjson
    budget_stop "cdp-merge: trait 'x' stopped: it ran longer on one profile than --rule-time 0.2 allows" \
        cdp-merge --rule-time 0.2 --trait 'x=(def f: f; f)' ids.ndjson
    budget_stop "cdp-merge: trait 'x' stopped: it took more memory on one profile than --rule-memory 50M allows" \
        cdp-merge --rule-memory 50M --trait 'x=(def f: 1 + f; f)' ids.ndjson
    budget_stop "cdp-export: column 'h' stopped: it ran longer on one profile than --rule-time 0.2 allows" \
        cdp-export -f mailchimp --rule-time 0.2 -c 'h=[range(1e9)]' prof.ndjson
    budget_stop "cdp-export: column 'h' stopped: it took more memory on one profile than --rule-memory 50M allows" \
        cdp-export -f mailchimp --rule-memory 50M -c 'h=(def f: 1 + f; f)' prof.ndjson
    # a budget of 0 is none; within the budget nothing changes
    run --separate-stderr cdp-segment --rule-time 0 --rule-memory 0 -s 'a=([range(1000)] | length > 0)' prof.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = '{"cdp_id":"p1","email":"a@b.ru","consent_email":true,"segments":["a"]}' ]
    usage_refused "cdp-segment: --rule-time takes seconds (0.001 to 1e6, or 0), not 'soon'" \
        cdp-segment --rule-time soon -s a=true prof.ndjson
    usage_refused "cdp-merge: --rule-memory takes a size (1M or more, or 0), not '10K'" \
        cdp-merge --rule-memory 10K ids.ndjson
}

@test "#13.7: libjq out of memory in a rule (it aborts) stops the run naming the rule, exit 1, nothing written" {
    # ulimit -v and AddressSanitizer's shadow memory do not mix
    [[ $BUILD != */build-san ]] || skip "ulimit -v under AddressSanitizer"
    echo '{"cdp_id":"p1","email":"a@b.ru","consent_email":true}' > prof.ndjson
    echo previous > out.ndjson
    run --separate-stderr bash -c 'ulimit -v 600000; CDP_FAULT_NO_TMPFILE=1 LD_PRELOAD=$0 exec cdp-segment --rule-time 0 --rule-memory 0 -s "a=(def f: 1 + f; f)" -o out.ndjson prof.ndjson' "$FAULT_LIB"
    [ "$status" -eq 1 ]
    [ "$stderr" = "error: cannot allocate memory
cdp-segment: segment 'a' stopped: memory ran out on one profile" ]
    [ "$(cat out.ndjson)" = previous ]
    [ "$(ls -A -I 'separate-stderr*')" = "$(printf 'out.ndjson\nprof.ndjson')" ]
}

@test "#13.15: a run killed by SIGTERM, SIGINT or SIGHUP mid-write leaves no temporary file and the previous output (no O_TMPFILE)" {
    for sig in TERM INT HUP; do
        rm -f in.fifo
        mkfifo in.fifo
        echo previous > out.ndjson
        # env: a background job of a script starts with SIGINT ignored, and
        # a suite run under nohup with SIGHUP ignored (the program keeps an
        # ignored signal ignored, and the wait below would never end)
        CDP_FAULT_NO_TMPFILE=1 LD_PRELOAD=$FAULT_LIB \
            ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
            env --default-signal=INT,HUP cdp-segment -s all=true -o out.ndjson in.fifo 2> err &
        local pid=$! status=0 i fd
        exec {fd}> in.fifo # not 3: Bats writes there
        echo '{"cdp_id":"p1"}' >&"$fd"
        for i in $(seq 200); do
            compgen -G '.out.ndjson.??????' > /dev/null && break
            sleep 0.05
        done
        compgen -G '.out.ndjson.??????' > /dev/null
        kill -s "$sig" "$pid"
        wait "$pid" || status=$?
        exec {fd}>&-
        [ "$status" -eq $((128 + $(kill -l "$sig"))) ] || { echo "$sig: exit $status" >&2; return 1; }
        [ "$(cat out.ndjson)" = previous ]
        [ "$(ls -A)" = "$(printf 'err\nin.fifo\nout.ndjson')" ] || { echo "$sig:" >&2; ls -A >&2; return 1; }
        [ ! -s err ]
    done
}

@test "#13.14: cdp-export -s NAME in no profile, against a --previous with rows, is an error unless --allow-empty" {
    printf '%s\n' '{"cdp_id":"p1","email":"a@b.ru","consent_email":true,"segments":["vip"]}' \
        '{"cdp_id":"p2","email":"c@d.ru","consent_email":true,"segments":[],"holdout":["cart"]}' > seg.ndjson
    cdp-export -q -f mailchimp -s vip -o prev.csv seg.ndjson
    cp prev.csv prev.before
    run --separate-stderr cdp-export -f mailchimp -s vpi --previous prev.csv --full prev.csv --removed rem.csv \
        -o out.csv seg.ndjson
    [ "$status" -eq 1 ]
    [ "$stderr" = "cdp-export: segment 'vpi' is in no profile, but --previous had members: misspelt? (--allow-empty lets an empty audience through)
cdp-export: 2 profiles read, 0 exported (0 added, 0 changed, 0 unchanged), 0 removed, 2 skipped (2 not_in_segment), 0 rejected" ]
    [ "$(ls -A -I 'separate-stderr*')" = "$(printf 'prev.before\nprev.csv\nseg.ndjson')" ]
    cmp prev.csv prev.before
    # any of several: one misspelt is enough
    run --separate-stderr cdp-export -q -f mailchimp -s vip -s vpi --previous prev.csv -o out.csv seg.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "cdp-export: segment 'vpi' is in no profile, but --previous had members: misspelt? (--allow-empty lets an empty audience through)" ]
    # deliberately empty: everyone goes to --removed
    run --separate-stderr cdp-export -f mailchimp -s vpi --allow-empty --previous prev.csv --removed rem.csv \
        -o out.csv seg.ndjson
    [ "$status" -eq 0 ]
    [ "$stderr" = "cdp-export: 2 profiles read, 0 exported (0 added, 0 changed, 0 unchanged), 1 removed, 2 skipped (2 not_in_segment), 0 rejected" ]
    cmp rem.csv prev.before
    # a segment some profile has only as held out, or an empty previous export, goes on
    run --separate-stderr cdp-export -q -f mailchimp -s cart --previous prev.csv -o out.csv seg.ndjson
    [ "$status" -eq 0 ]
    head -1 prev.csv > empty.csv
    run --separate-stderr cdp-export -q -f mailchimp -s vpi --previous empty.csv -o out.csv seg.ndjson
    [ "$status" -eq 0 ]
    [ "$(cat out.csv)" = "$(head -1 prev.csv)" ]
}
