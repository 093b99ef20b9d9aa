#!/usr/bin/env bats
# Personal data as #14 asks: every file a program writes is private whatever
# the umask, and no message, --stats file, journal or links file shows an
# e-mail or phone in clear unless --show-values; control characters in a
# value never reach the terminal raw (#13, defect 10).

load helper

EXAMPLES=$BATS_TEST_DIRNAME/../examples

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# The examples' exports with or without the erasure requests, as links.
examples() {
    local f
    mkdir -p "$1"
    for f in "$EXAMPLES"/*; do
        [ "${f##*/}" = erasure-requests.txt ] && [ "${2-}" = no-requests ] && continue
        ln -s "$f" "$1/"
    done
}

# Every output of every program into $1, under the caller's umask: the
# nightly chain (which makes its own logs and folders under umask 077), then
# every program again with every output option, under the caller's umask.
every_output() {
    local o=$1
    "$EXAMPLES/nightly.sh" "$EXAMPLES" "$o" > /dev/null
    cdp-gen -q -n 20 -o "$o/gen"
    cdp-ingest -q --source crm --map "$CDP_SHARE/maps/crm-1c.map" --encoding cp1251 -d ';' \
        --rejects "$o/x-ingest-rejects.ndjson" --stats "$o/x-ingest-stats.json" -o "$o/x-crm.ndjson" \
        "$EXAMPLES/crm.csv"
    cdp-dedupe -q --state "$o/x.state" --journal "$o/x.journal" --links "$o/x-links.ndjson" \
        --model "$CDP_SHARE/models/person.json" --model-out "$o/x-model.json" \
        --rejects "$o/x-dedupe-rejects.ndjson" --stats "$o/x-dedupe-stats.json" -o "$o/x-identified.ndjson" \
        "$o/x-crm.ndjson"
    cdp-merge -q --state "$o/x-merge.state" --rejects "$o/x-merge-rejects.ndjson" --stats "$o/x-merge-stats.json" \
        -o "$o/x-profiles.ndjson.zst" "$o/x-identified.ndjson"
    cdp-segment -q --use rfm --rejects "$o/x-segment-rejects.ndjson" --stats "$o/x-segment-stats.json" \
        --report "$o/x-segment-report.json" --history "$o/x-history.ndjson" --split "$o/x-audiences" \
        -o "$o/x-segments.ndjson" "$o/x-profiles.ndjson.zst"
    cdp-recommend -q --rejects "$o/x-recommend-rejects.ndjson" --stats "$o/x-recommend-stats.json" \
        -o "$o/x-recommendations.ndjson" "$o/identified.ndjson.zst"
    cdp-export -q -f csv -c 'email=.email' --full "$o/x-full.csv" -o "$o/x-export.csv" "$o/x-segments.ndjson"
    cdp-export -q -f csv -c 'email=.email' --previous "$o/x-full.csv" --removed "$o/x-removed.csv" \
        --rejects "$o/x-export-rejects.ndjson" --stats "$o/x-export-stats.json" -o "$o/x-export2.csv" \
        "$o/profiles.ndjson.zst"
    cdp-report -q --stats "$o/x-report-stats.json" --json "$o/x-report.json" -o "$o/x-report.html" "$o"
    cdp-shard -q -n 2 --order "$o/x-shard.order" --rejects "$o/x-shard-rejects.ndjson" \
        --stats "$o/x-shard-stats.json" -o "$o/x-shard-%d.ndjson.zst" "$o/x-identified.ndjson"
    cdp-forget -q --email olga.smirnova85@mail.ru --state "$o/x.state" --journal "$o/x.journal" \
        --links "$o/x-links.ndjson" --forgotten "$o/x-forgotten.list" --stats "$o/x-forget-stats.json" \
        "$o/x-crm.ndjson" "$o/x-identified.ndjson" "$o/x-profiles.ndjson.zst"
}

# "MODE PATH" of every file and folder under $1 that is not 0600 (files) or
# 0700 (folders).
not_private() {
    find "$1" -mindepth 1 \( -type f ! -perm 600 -o -type d ! -perm 700 \) -printf '%m %P\n' | sort
}

# The files each program wrote, so that a program that stopped writing one
# fails the test rather than passes it.
@test "every output of every program is 0600, every folder 0700, under umask 022 and 000" {
    local mask o
    for mask in 022 000; do
        o=$BATS_TEST_TMPDIR/out-$mask
        mkdir -m 700 "$o"
        (umask "$mask" && every_output "$o")
        run not_private "$o"
        [ "$status" -eq 0 ]
        assert_output < /dev/null
        # what was checked: each kind of output exists
        for f in crm.ndjson.zst rejects-crm.ndjson stats-ingest-crm.json identified.ndjson.zst \
            identity.state.zst identity.journal.ndjson links.ndjson profiles.ndjson.zst \
            segments.ndjson.zst segments-report.json segments-history.ndjson audiences \
            recommendations.ndjson.zst export/preview-mailchimp.csv report.html report.json \
            forgotten.list forgotten.list.secret gen/crm.csv gen/truth.csv x-ingest-rejects.ndjson \
            x-dedupe-rejects.ndjson x-model.json x-merge-rejects.ndjson x-segment-rejects.ndjson \
            x-history.ndjson x-audiences x-recommend-rejects.ndjson x-full.csv x-removed.csv \
            x-export-rejects.ndjson x-export-stats.json x-report-stats.json x-report.html \
            x-forgotten.list x-forgotten.list.secret x-forget-stats.json x-profiles.ndjson.zst \
            x-crm.ndjson x-identified.ndjson x-links.ndjson x.journal x.state x-segment-stats.json \
            x-merge.state x-shard-0.ndjson.zst x-shard-1.ndjson.zst x-shard.order \
            x-shard-rejects.ndjson x-shard-stats.json; do
            [ -e "$o/$f" ] || { echo "$mask: no $f" >&2; return 1; }
        done
        [ "$(find "$o/audiences" -type f | wc -l)" -gt 0 ]
    done
}

# Every e-mail and phone of the example exports (both nights): e-mails as
# written, lower-cased; phones as the digits after the country code, so that
# "8 (916) 123-45-01" and "+79161234501" are both found.
identifiers() {
    local f
    for f in "$EXAMPLES"/crm.csv "$EXAMPLES"/*/crm.csv; do iconv -f cp1251 -t utf-8 "$f"; done
    cat "$EXAMPLES"/shop-customers.jsonl "$EXAMPLES"/pos-receipts.csv "$EXAMPLES"/*/shop-customers.jsonl \
        "$EXAMPLES"/*/pos-receipts.csv "$EXAMPLES"/*/web-events.ndjson
    zstd -dc "$EXAMPLES/web-events.ndjson.zst"
}
emails() {
    identifiers | grep -oE '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]+' | tr 'A-Z' 'a-z' | sort -u
}
phones() {
    identifiers | grep -oE '(\+7|8)[ (-]*[0-9]{3}[ )-]*[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{2}' |
        tr -dc '0-9\n' | sed -E 's/^[78]//' | grep -E '^[0-9]{10}$' | sort -u |
        grep -vE '^9{10}$' # a cashier's placeholder, nobody's: shown whole
}

# The identifiers of emails() and phones() found in the files named: "FILE:
# VALUE" lines. Phones are looked for in the text with its spaces, dashes
# and brackets taken out.
found_in() {
    local f e p
    for f in "$@"; do
        for e in $(emails); do
            grep -qiF -- "$e" "$f" && echo "${f##*/}: $e"
        done
        for p in $(phones); do
            tr -d ' ()-' < "$f" | grep -qF -- "$p" && echo "${f##*/}: $p"
        done
    done
    true
}

@test "a night of the examples: no e-mail or phone in clear in what nightly.sh prints, any log, --stats file, journal, links file or report" {
    local o=$BATS_TEST_TMPDIR/out
    [ "$(emails | wc -l)" -gt 20 ]
    [ "$(phones | wc -l)" -gt 20 ]
    examples "$BATS_TEST_TMPDIR/ex"
    "$EXAMPLES/nightly.sh" "$BATS_TEST_TMPDIR/ex" "$o" > "$BATS_TEST_TMPDIR/stdout" 2> "$BATS_TEST_TMPDIR/stderr"
    # the logs hold messages that quote values (else this test proves nothing)
    grep -q 'invalid e-mail "' "$o/ingest-crm.log"
    grep -q '"value":' "$o/links.ndjson"
    run found_in "$BATS_TEST_TMPDIR/stdout" "$BATS_TEST_TMPDIR/stderr" "$o"/*.log "$o"/stats-*.json \
        "$o/identity.journal.ndjson" "$o/links.ndjson" "$o/segments-report.json" "$o/segments-history.ndjson" "$o/report.html" \
        "$o/report.json" "$o"/nights/*/*.json
    assert_output < /dev/null
    [ -s "$o/forget.log" ]
    # with --show-values the same runs show them, so the greps above can fail
    local crm=(--source crm --map "$CDP_SHARE/maps/crm-1c.map" --encoding cp1251 --tz +03:00 -d ';'
        -o /dev/null "$EXAMPLES/crm.csv")
    cdp-ingest --show-values "${crm[@]}" 2> "$BATS_TEST_TMPDIR/clear.log"
    cdp-dedupe -q --show-values --links "$BATS_TEST_TMPDIR/links-clear.ndjson" -o /dev/null \
        "$o/crm.ndjson.zst" "$o/shop.ndjson.zst" "$o/pos.ndjson.zst" "$o/web.ndjson.zst"
    run found_in "$BATS_TEST_TMPDIR/clear.log" "$BATS_TEST_TMPDIR/links-clear.ndjson"
    [ "${#lines[@]}" -gt 3 ]
    grep -q '^clear.log: ' <<< "$output"
    grep -q '^links-clear.ndjson: ' <<< "$output"
    # nightly.sh's own account of the night (cron mails it, nights.sh keeps
    # it in OUT_DIR) masks what it shows of the files: names too
    CDP_SHOW_VALUES=1 "$EXAMPLES/nightly.sh" "$BATS_TEST_TMPDIR/ex" "$BATS_TEST_TMPDIR/out2" \
        > "$BATS_TEST_TMPDIR/stdout-clear"
    [ "$(found_in "$BATS_TEST_TMPDIR/stdout-clear" | wc -l)" -gt 20 ]
    grep -q 'Смирнова' "$BATS_TEST_TMPDIR/stdout-clear"
    run grep -c 'Смирнова' "$BATS_TEST_TMPDIR/stdout"
    [ "$output" = 0 ]
    grep -Fq '    {"_source":"crm","_rid":"000000101","_kind":"person","email":"ol***@mail.ru","phone":"+7916***4501","card":"0***","last_name":"См***ва","first_name":"О***","middle_name":"Ви***на","gender":"f","birth_date":"19***14",' \
        "$BATS_TEST_TMPDIR/stdout"
}

@test "masked by default, whole with --show-values: cdp-ingest's invalid values, not its dates" {
    printf 'email,phone,birth,card,city\nivan.petrov@mail@ru,+7 916 12,31.02.1980,0012345678,Москва\n' > in.csv
    local args=(--source crm -m email=email -m phone=phone -m birth_date=birth -m card=card -m city=city in.csv)
    run --separate-stderr cdp-ingest -q -o /dev/null "${args[@]}"
    [ "$status" -eq 0 ]
    output=$stderr assert_output <<'EOF'
cdp-ingest: in.csv:2: invalid e-mail "iv***@ru" in column "email"
cdp-ingest: in.csv:2: invalid phone "+79***12" in column "phone"
cdp-ingest: in.csv:2: invalid date "31.02.1980" in column "birth"
EOF
    run --separate-stderr cdp-ingest -q --show-values -o /dev/null "${args[@]}"
    output=$stderr assert_output <<'EOF'
cdp-ingest: in.csv:2: invalid e-mail "ivan.petrov@mail@ru" in column "email"
cdp-ingest: in.csv:2: invalid phone "+7 916 12" in column "phone"
cdp-ingest: in.csv:2: invalid date "31.02.1980" in column "birth"
EOF
    # a date that is nobody's is shown whole either way
    printf 'id,when\n1,31.02.2024\n' > ev.csv
    run --separate-stderr cdp-ingest -q --source web -m anon_id=id -m ts=when --set event=view \
        -o /dev/null ev.csv
    output=$stderr assert_output <<'EOF'
cdp-ingest: ev.csv:2: invalid date/time "31.02.2024" in column "when"
EOF
}

@test "control characters in a value are escaped in messages, masked or not; the rejects file keeps the raw row" {
    printf 'email,name\n"ivan\033[2J@mail.ru",Иван\n"x\ny@mail@ru",Пётр\n' > in.csv
    run --separate-stderr cdp-ingest -q --source crm -m email=email -m first_name=name --require phone \
        --rejects rej.ndjson -o /dev/null in.csv
    [ "$status" -eq 0 ]
    output=$stderr assert_output <<'EOF'
cdp-ingest: in.csv:2: no valid value for any of phone; row rejected
cdp-ingest: in.csv:3: no valid value for any of phone; row rejected
EOF
    jq -r .raw rej.ndjson | od -c | grep -q '033'
    run --separate-stderr cdp-ingest -q --show-values --source crm -m email=email -m first_name=name \
        -o /dev/null in.csv
    output=$stderr assert_output <<'EOF'
cdp-ingest: in.csv:2: invalid e-mail "ivan\e[2J@mail.ru" in column "email"
cdp-ingest: in.csv:3: invalid e-mail "x\ny@mail@ru" in column "email"
EOF
    run --separate-stderr cdp-ingest -q --source crm -m email=email -m first_name=name -o /dev/null in.csv
    output=$stderr assert_output <<'EOF'
cdp-ingest: in.csv:2: invalid e-mail "iv***@mail.ru" in column "email"
cdp-ingest: in.csv:3: invalid e-mail "x\n***@ru" in column "email"
EOF
    # a jq message that quotes a value, and one that is a value
    printf '{"cdp_id":"a1","email":"ivan.petrov@mail.ru","phone":"+79161234501"}\n' > p.ndjson
    run --separate-stderr cdp-segment -q -s 'n=(.email | tonumber) > 0' -s 'c=error("\u001b[2J")' \
        -o /dev/null p.ndjson
    output=$stderr assert_output <<'EOF'
cdp-segment: p.ndjson:1: cdp_id a1: segment n: Invalid numeric literal at EOF at line 1, column 19 (while parsing 'iv***@mail.ru')
cdp-segment: p.ndjson:1: cdp_id a1: segment c: \e[2J
EOF
}

@test "cdp-dedupe: --stats over-limit values, the journal and the links file masked; placeholders whole" {
    for i in 1 2 3 4 5 6 7; do
        printf '{"_source":"crm","_rid":"r%s","card":"00%s","phone":"+79161234501","email":"p%s@mail.ru"}\n' \
            "$i" "$i" "$i"
    done > recs.ndjson
    printf '{"_source":"crm","_rid":"r8","card":"0099","phone":"+79999999999"}\n' >> recs.ndjson
    printf '{"_source":"crm","_rid":"r9","card":"0098","phone":"+79999999999"}\n' >> recs.ndjson
    cdp-dedupe -q --stats stats.json --links links.ndjson -o /dev/null recs.ndjson
    run jq -c .over_limit_values stats.json
    assert_output <<'EOF'
{"phone +7916***4501":7}
EOF
    run jq -r 'select(.link == "refused") | "\(.key) \(.value) \(.reason)"' links.ndjson
    assert_output <<'EOF'
phone +79999999999 blocked
phone +7916***4501 over_limit
EOF
    cdp-dedupe -q --show-values --stats stats.json -o /dev/null recs.ndjson
    run jq -c .over_limit_values stats.json
    assert_output <<'EOF'
{"phone +79161234501":7}
EOF
    # the journal: two people joined tonight by an e-mail
    printf '{"_source":"crm","_rid":"a","email":"ivan.petrov@mail.ru","card":"11"}\n' > n1.ndjson
    printf '{"_source":"crm","_rid":"b","phone":"+79161112233","card":"22"}\n' >> n1.ndjson
    cdp-dedupe -q --state st --journal j.ndjson -o /dev/null n1.ndjson
    printf '{"_source":"shop","_rid":"c","email":"ivan.petrov@mail.ru","phone":"+79161112233"}\n' > n2.ndjson
    cdp-dedupe -q --state st --journal j.ndjson -o /dev/null n1.ndjson n2.ndjson
    run jq -r 'select(.reason == "merged") | "\(.key) \(.value)"' j.ndjson
    assert_output <<'EOF'
phone +7916***2233
EOF
}

@test "a bad JSON number is named by its member, never quoted (it may be a phone or a card)" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"phone":79161234501e,"a":1}' '{"card":0012345678}' > bad.ndjson
    run --separate-stderr cdp-ingest -s x -m phone=phone -m card=card bad.ndjson
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = 'cdp-ingest: bad.ndjson:1: invalid JSON: bad number in member "phone"; row rejected' ]
    [ "${stderr_lines[1]}" = 'cdp-ingest: bad.ndjson:2: invalid JSON: bad number in member "card"; row rejected' ]
    [[ "$stderr" != *7916* && "$stderr" != *12345678* ]]
}
