#!/usr/bin/env bats
# cdp-forget: a person erased from every file of a night, all files or none,
# and kept out of the next nights by the forget list.

load helper

EXAMPLES=$BATS_TEST_DIRNAME/../examples
WHO=andrey.kuznetsov79@gmail.com # Андрей Кузнецов: CRM (twice), shop, tills, site

# One night of examples/nightly.sh (without its erasure requests), and export
# files and baselines of every kind the person is in, made once.
setup_file() {
    local ex=$BATS_FILE_TMPDIR/examples night=$BATS_FILE_TMPDIR/night f
    mkdir -p "$ex"
    for f in "$EXAMPLES"/*; do
        [ "${f##*/}" = erasure-requests.txt ] || ln -s "$f" "$ex/"
    done
    "$EXAMPLES/nightly.sh" "$ex" "$night" > "$BATS_FILE_TMPDIR/night.log" 2>&1
    for f in mailchimp meta sms ndjson; do
        cdp-export -q --format "$f" --segment category_interest --full "$night/export/ci-$f.full.zst" \
            -o "$night/export/ci-$f.out" "$night/segments.ndjson.zst"
    done
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    cp -a "$BATS_FILE_TMPDIR/night" out
}

# Every file under a folder, decompressed, as "PATH<TAB>LINE" lines.
contents() {
    local f
    find "$1" -type f ! -name '*.lock' | sort | while read -r f; do
        case $f in
        *.zst) zstd -dcq "$f" ;;
        *) cat "$f" ;;
        esac | sed "s|^|${f#"$1"/}\t|"
    done
}

# The person's identifiers and names, as they are written anywhere, one a
# line: ids, e-mails, phones (E.164 and digits), cards, customer and cookie
# ids, names, and the SHA-256 of the e-mails and phones Meta and Google get;
# and their records' references (the links file names them so, its values
# masked).
traces() {
    local id
    id=$(zstd -dc out/identified.ndjson.zst | jq -r --arg e "$WHO" 'select(.email == $e) | .cdp_id' | head -n 1)
    [ -n "$id" ]
    zstd -dc out/identified.ndjson.zst | jq -r --arg id "$id" 'select(.cdp_id == $id) |
        .cdp_id, .email, .phone, .card, .customer_id, .anon_id, .last_name, .first_name | values' |
        sort -u > traces
    zstd -dc out/identified.ndjson.zst | jq -r --arg id "$id" 'select(.cdp_id == $id) |
        "\"_source\":\"\(._source)\",\"_rid\":\"\(._rid)\""' >> traces
    grep '^+' traces | cut -c2- >> traces
    grep -E '@|^7' traces | while read -r v; do printf %s "$v" | sha256sum | cut -c1-64; done >> traces
    sort -u -o traces traces
}

# cdp-forget on every file of the night, as nightly.sh names them (with the
# journal and segment output kept for the report under nights/DATE).
forget() {
    cdp-forget --state out/identity.state.zst --journal out/identity.journal.ndjson \
        $(for f in out/nights/*/identity.journal.ndjson; do echo "--journal $f"; done) \
        --links out/links.ndjson --forgotten out/forgotten.list \
        $(for f in out/export/*; do echo "--export $f"; done) \
        out/*.ndjson.zst out/audiences/*.ndjson out/nights/*/segments.ndjson.zst "$@"
}

# The nightly report, made again from the files (as nightly.sh makes it after
# answering the night's requests).
report() {
    cdp-report -q --title x --json out/report.json -o out/report.html out
}

# A checksum of every file, to see that nothing changed.
sums() {
    find out -type f ! -name '*.lock' | sort | xargs sha256sum
}

# The request for $WHO fails with "cdp-forget: MESSAGE" and changes nothing:
# every file as ./before has it, no hidden temporary file left.
fails_unchanged() {
    run forget --email "$WHO"
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: $1" ]
    sums | diff before -
    [ -z "$(find out -name '.*')" ]
}

@test "--help, --version, usage errors" {
    run cdp-forget --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-forget --state FILE IDENTIFIER... [OPTION]... [FILE]..." ]
    run cdp-forget --version
    [[ "$output" =~ ^cdp-forget\ \(cdp\)\  ]]
    sums > before
    run cdp-forget --email "$WHO"
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --state FILE is required: it says whose records are whose" ]
    run cdp-forget --state out/identity.state.zst
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: whom to forget? give --email, --phone, --card, --customer-id, --cdp-id or --list" ]
    run cdp-forget --state out/identity.state.zst --email ivan.petrov-mail.ru
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --email: not an e-mail address: 'iv***ru'" ]
    run cdp-forget --state out/identity.state.zst --phone 12
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --phone: not a phone number: '***'" ]
    run cdp-forget --state out/identity.state.zst --phone '8 (999) 999-99-99'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --phone: phone '+79999999999' is a placeholder that is nobody's (blocked): it names no person" ]
    run cdp-forget --state out/identity.state.zst --card ' '
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --card: an empty card" ]
    run cdp-forget --state out/identity.state.zst --email "$WHO" -
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: '-': files are rewritten in place; name them" ]
    run cdp-forget --state out/identity.state.zst --email "$WHO" --max-persons 0
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --max-persons takes a number of persons (1 or more), not '0'" ]
    printf 'email=%s\nname=Иван\n' "$WHO" > requests.txt
    run cdp-forget --state out/identity.state.zst --list requests.txt
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-forget: --list: requests.txt:2: no identifier 'name' (email, phone, card, customer_id, cdp_id)" ]
    run cdp-forget --state out/identity.state.zst --email "$WHO" --region XX
    [ "$status" -eq 2 ]
    run cdp-forget --state out/identity.state.zst --email "$WHO" --no-such-option
    [ "$status" -eq 2 ]
    sums | diff before -
}

@test "by e-mail: every record, link, journal line, membership and export row of the person goes" {
    traces
    [ "$(wc -l < traces)" -ge 12 ]
    contents out > before
    # the person is everywhere before (so that the check below can fail)
    run grep -c -F -f traces before
    [ "$output" -ge 40 ]
    run --separate-stderr forget --email "$WHO"
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
OUT
    diff -u - <(printf '%s\n' "$stderr") <<'ERR'
cdp-forget: out/forgotten.list: 12 entries added (12 in all)
cdp-forget: out/crm.ndjson.zst: 2 of 44 lines removed (records)
cdp-forget: out/identified.ndjson.zst: 12 of 292 lines removed (records)
cdp-forget: out/pos.ndjson.zst: 3 of 70 lines removed (records)
cdp-forget: out/profiles.ndjson.zst: 1 of 48 lines removed (records)
cdp-forget: out/recommendations.ndjson.zst: 1 of 48 lines removed (records)
cdp-forget: out/segments.ndjson.zst: 1 of 48 lines removed (records)
cdp-forget: out/shop.ndjson.zst: 1 of 30 lines removed (records)
cdp-forget: out/web.ndjson.zst: 6 of 148 lines removed (records)
cdp-forget: out/audiences/category_interest.ndjson: 1 of 26 lines removed (records)
cdp-forget: out/nights/2026-11-20/segments.ndjson.zst: 1 of 48 lines removed (records)
cdp-forget: out/export/ci-mailchimp.full.zst: 1 of 19 lines removed (export)
cdp-forget: out/export/ci-mailchimp.out: 1 of 19 lines removed (export)
cdp-forget: out/export/ci-meta.full.zst: 1 of 24 lines removed (export)
cdp-forget: out/export/ci-meta.out: 1 of 24 lines removed (export)
cdp-forget: out/export/ci-ndjson.full.zst: 1 of 26 lines removed (export)
cdp-forget: out/export/ci-ndjson.out: 1 of 26 lines removed (export)
cdp-forget: out/export/ci-sms.full.zst: 1 of 11 lines removed (export)
cdp-forget: out/export/ci-sms.out: 1 of 11 lines removed (export)
cdp-forget: out/links.ndjson: 5 of 78 lines removed (links)
cdp-forget: out/identity.state.zst: 7 lines removed (state)
cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 61 lines removed, 21 files changed, 23 unchanged, 12 added to the forget list
ERR
    report
    contents out > after
    # nothing of the person in any file, decompressed, hashed or not
    run grep -F -f traces after
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    # the forget list holds keyed hashes only
    run grep -c '"h":"[0-9a-f]\{64\}"' out/forgotten.list
    [ "$output" = 12 ]
    [ "$(head -c 42 out/forgotten.list)" = '{"format":"cdp-forget-list","version":1,"k' ]
}

@test "every other person's lines are kept byte for byte, in order" {
    traces
    contents out > before
    forget -q --email "$WHO"
    contents out > after
    # the state's end line counts its lines: all else is the same
    # (the report is made again from the files: not compared)
    diff <(grep -v -F -f traces before | grep -v -e 'identity.state.zst	{"end":true' -e '^report\.') \
        <(grep -v -e 'identity.state.zst	{"end":true' -e '^forgotten.list' -e '^report\.' after)
    [ "$(grep 'identity.state.zst	{"end":true' after)" = 'identity.state.zst	{"end":true,"nodes":118,"ids":47}' ]
    [ "$(grep -c 'identity.state.zst	{"end":true,"nodes":124,"ids":48}' before)" = 1 ]
}

@test "ids merged into theirs: journal lines, and the lines of the old ids, go too" {
    # A second night links a visitor known by a cookie only to the person:
    # the visitor's id is merged into the person's.
    echo '{"_source":"web","_rid":"9001","_kind":"event","customer_id":"10002","anon_id":"6e2d3c61-6fb3-4c13-a35f-fc5b8ba060f1","ts":"2026-11-21T10:00:00Z","event":"view"}' > extra.ndjson
    echo '{"run":1,"from":"00000000000000aa","to":"00000000000000bb","reason":"merged","key":"email","value":"x@y.ru"}' >> out/identity.journal.ndjson
    cdp-dedupe -q --state out/identity.state.zst --journal out/identity.journal.ndjson \
        -o out/identified.ndjson.zst out/crm.ndjson.zst out/shop.ndjson.zst out/pos.ndjson.zst \
        out/web.ndjson.zst extra.ndjson
    assert_file out/identity.journal.ndjson <<'OUT'
{"run":1,"from":"00000000000000aa","to":"00000000000000bb","reason":"merged","key":"email","value":"x@y.ru"}
{"run":2,"from":"ab52e6612710b855","to":"2624788d0b617621","reason":"merged","key":"anon_id","value":"6e***f1"}
OUT
    # the last segment output still has the visitor under the old id
    [ "$(zstd -dc out/segments.ndjson.zst | grep -c '"cdp_id":"ab52e6612710b855"')" = 1 ]
    # a copy of the journal kept of that night (as nightly.sh keeps them)
    mkdir out/night2
    ln out/identity.journal.ndjson out/night2/
    run --separate-stderr cdp-forget --email "$WHO" --state out/identity.state.zst \
        --journal out/identity.journal.ndjson --journal out/night2/identity.journal.ndjson \
        out/segments.ndjson.zst out/identified.ndjson.zst
    [ "$status" -eq 0 ]
    diff -u - <(printf '%s\n' "$stderr") <<'ERR'
cdp-forget: out/segments.ndjson.zst: 2 of 48 lines removed (records)
cdp-forget: out/identified.ndjson.zst: 16 of 293 lines removed (records)
cdp-forget: out/identity.journal.ndjson: 1 of 2 lines removed (journal)
cdp-forget: out/night2/identity.journal.ndjson: 1 of 2 lines removed (journal)
cdp-forget: out/identity.state.zst: 10 lines removed (state)
cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 30 lines removed, 5 files changed, 0 unchanged, 0 added to the forget list
ERR
    assert_file out/identity.journal.ndjson <<'OUT'
{"run":1,"from":"00000000000000aa","to":"00000000000000bb","reason":"merged","key":"email","value":"x@y.ru"}
OUT
    cmp out/identity.journal.ndjson out/night2/identity.journal.ndjson
    run bash -c "zstd -dc out/identity.state.zst out/segments.ndjson.zst | grep -c -e ab52e6612710b855 -e 2624788d0b617621 -e 6e2d3c61-6fb3"
    [ "$output" = 0 ]
}

@test "--merge-state: their records and profile leave cdp-merge's state; the next night is a full merge's" {
    traces
    merge() {
        cdp-merge -q --prefer crm,shop,pos,web --journal out/identity.journal.ndjson "$@"
    }
    merge --as-of 2026-11-20 --state out/merge.state -o out/profiles.ndjson.zst out/identified.ndjson.zst
    # the person is in the state before: lines and saved profile
    [ "$(zstd -dc out/merge.state | grep -c -F -f traces)" = 12 ]
    [ "$(grep -a -c -F -f traces out/merge.state)" -ge 1 ]
    [ "$(grep -a -o '"journal":[0-9]*' out/merge.state)" = '"journal":0' ]
    echo '{"run":1,"from":"00000000000000aa","to":"00000000000000bb","reason":"merged","key":"email","value":"x@y.ru"}' >> out/identity.journal.ndjson
    merge --as-of 2026-11-20 --state out/merge.state -o out/profiles.ndjson.zst /dev/null
    [ "$(grep -a -o '"journal":[0-9]*' out/merge.state)" = '"journal":1' ]
    run --separate-stderr cdp-forget --email "$WHO" --state out/identity.state.zst \
        --journal out/identity.journal.ndjson --merge-state out/merge.state \
        out/identified.ndjson.zst out/profiles.ndjson.zst
    [ "$status" -eq 0 ]
    diff -u - <(printf '%s\n' "$stderr") <<'ERR'
cdp-forget: out/identified.ndjson.zst: 12 of 292 lines removed (records)
cdp-forget: out/profiles.ndjson.zst: 1 of 48 lines removed (records)
cdp-forget: out/merge.state: 12 of 280 lines removed (merge state)
cdp-forget: out/identity.state.zst: 7 lines removed (state)
cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 32 lines removed, 4 files changed, 1 unchanged, 0 added to the forget list
ERR
    # nothing of them in the state, decompressed or not (ids, saved profile)
    run bash -c "zstd -dc out/merge.state | grep -c -F -f traces"
    [ "$output" = 0 ]
    run grep -a -c -F -f traces out/merge.state
    [ "$output" = 0 ]
    [ "$(zstd -dc out/merge.state | wc -l)" = 268 ]
    # the journal's merges are followed again on the next night
    [ "$(grep -a -o '"journal":[0-9]*' out/merge.state)" = '"journal":0' ]
    [ "$(stat -c %a out/merge.state)" = 600 ]
    # the next night, with --state: what a merge of the whole history makes
    zstd -dc out/identified.ndjson.zst | jq -c 'select(._source == "web" and ._rid == "9") |
        .ts = "2026-11-21T09:00:00Z" | ._rid = "n2"' > day2.ndjson
    [ "$(wc -l < day2.ndjson)" = 1 ]
    merge --as-of 2026-11-21 --state out/merge.state -o inc.ndjson day2.ndjson
    merge --as-of 2026-11-21 -o full.ndjson out/identified.ndjson.zst day2.ndjson
    [ "$(wc -l < inc.ndjson)" = 47 ]
    cmp inc.ndjson full.ndjson
    run grep -c -F -f traces inc.ndjson
    [ "$output" = 0 ]
}

@test "--merge-state missing or damaged: exit 1, no file changed, no lock file left" {
    cdp-merge -q --as-of 2026-11-20 --state out/merge.state -o /dev/null out/identified.ndjson.zst
    rm out/merge.state.lock
    sums > before
    run forget --email "$WHO" --merge-state out/nope.state
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: cannot open merge state 'out/nope.state': No such file or directory" ]
    [ ! -e out/nope.state.lock ]
    sums | diff before -
    head -c 3000 out/merge.state > cut && mv cut out/merge.state
    sums > before
    run forget --email "$WHO" --merge-state out/merge.state
    [ "$status" -eq 1 ]
    [ "${output%%:*}" = cdp-forget ]
    [[ $output = *out/merge.state* ]]
    sums | diff before -
    [ -z "$(find out -name '.*')" ]
}

@test "the files written are 0600; unchanged ones are left as they were" {
    chmod 644 out/crm.ndjson.zst out/audiences/lapsed.ndjson
    touch -d 2020-01-01 out/audiences/lapsed.ndjson
    forget -q --email "$WHO"
    [ "$(stat -c %a out/crm.ndjson.zst out/forgotten.list out/forgotten.list.secret out/identity.state.zst)" = "600
600
600
600" ]
    [ "$(stat -c '%a %y' out/audiences/lapsed.ndjson)" = "644 2020-01-01 00:00:00.000000000 +0000" ]
    [ "$(wc -c < out/forgotten.list.secret)" = 65 ]
    grep -qx '[0-9a-f]\{64\}' out/forgotten.list.secret
    # no old versions left beside the files
    [ -z "$(find out -name '.*')" ]
}

@test "the next night with the same exports does not bring the person back" {
    traces
    forget -q --email "$WHO"
    CDP_AS_OF=2026-11-21 "$BATS_TEST_DIRNAME/../examples/nightly.sh" "$BATS_FILE_TMPDIR/examples" out > night2.log
    contents out > after
    run grep -F -f traces after
    [ "$status" -eq 1 ]
    # each source still has them, and each time they are dropped as forgotten
    grep -h '^cdp-ingest:.*forgotten' out/ingest-*.log > dropped
    assert_file dropped <<'OUT'
cdp-ingest: 45 rows read, 42 written, 1 rejected, 2 forgotten, 4 invalid values
cdp-ingest: 70 rows read, 67 written, 0 rejected, 3 forgotten, 2 invalid values
cdp-ingest: 31 rows read, 29 written, 1 rejected, 1 forgotten
cdp-ingest: 148 rows read, 142 written, 0 rejected, 6 forgotten
OUT
    [ "$(jq -c .counts out/stats-ingest-crm.json)" = '{"read":45,"written":42,"rejected":1,"forgotten":2,"invalid":4}' ]
}

@test "cdp-dedupe and cdp-export on yesterday's files leave the person out" {
    traces
    cp -a out yesterday
    forget -q --email "$WHO"
    # canonical records and state of before the erasure, with the forget list
    cdp-dedupe --state yesterday/identity.state.zst --forgotten out/forgotten.list \
        -o identified.ndjson yesterday/crm.ndjson.zst yesterday/shop.ndjson.zst \
        yesterday/pos.ndjson.zst yesterday/web.ndjson.zst 2> dedupe.log
    [ "$(cat dedupe.log)" = "cdp-dedupe: 292 records read, 47 persons, 280 written, 0 rejected, 12 forgotten, 71 links, 2 refused" ]
    run grep -c -F -f traces identified.ndjson
    [ "$output" = 0 ]
    run bash -c "zstd -dc yesterday/identity.state.zst | grep -c -F -f traces"
    [ "$output" = 0 ]
    # the profiles of before, with the forget list
    cdp-export --format ndjson --channel none --forgotten out/forgotten.list --stats export.json \
        -o all.ndjson yesterday/segments.ndjson.zst 2> export.log
    [ "$(cat export.log)" = "cdp-export: 48 profiles read, 47 exported, 1 skipped (1 forgotten), 0 rejected" ]
    [ "$(jq -c .skipped.forgotten export.json)" = 1 ]
    # with a segment asked that nobody is in, the person still counts as
    # forgotten (that reason comes first), not as outside the segment
    cdp-export --format ndjson --channel none --segment no_such_segment --forgotten out/forgotten.list \
        -o /dev/null yesterday/segments.ndjson.zst 2> export.log
    [ "$(cat export.log)" = "cdp-export: 48 profiles read, 0 exported, 48 skipped (47 not_in_segment, 1 forgotten), 0 rejected" ]
    run grep -c -F -f traces all.ndjson
    [ "$output" = 0 ]
    # without the option, no "forgotten" in --stats (the files of earlier runs stay the same)
    cdp-export -q --format ndjson --channel none --stats plain.json -o /dev/null yesterday/segments.ndjson.zst
    [ "$(jq -c '.skipped | has("forgotten")' plain.json)" = false ]
}

# cdp-forget on the files given refuses with "cdp-forget: $1", before
# reading any (a pipe would be waited on), and changes nothing.
refused() {
    local message=$1
    shift
    run timeout 20 cdp-forget --email "$WHO" --state out/identity.state.zst "$@"
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: $message" ]
    sums | diff before -
    [ -z "$(find out -name '.*')" ]
}

@test "a damaged or missing state: exit 1, no file changed" {
    sums > before
    zstd -dc out/identity.state.zst | head -n 20 | zstd -q -o cut.zst
    mv cut.zst out/identity.state.zst
    sums > damaged
    run forget --email "$WHO"
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: state file 'out/identity.state.zst' is damaged (cut short)" ]
    sums | diff damaged -
    rm out/identity.state.zst
    run forget --email "$WHO"
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: cannot open state file 'out/identity.state.zst': No such file or directory" ]
    [ ! -e out/forgotten.list ]
    rm out/identity.state.zst.lock
    run forget --email "$WHO"
    [ ! -e out/identity.state.zst.lock ]
    [ ! -e out/forgotten.list.secret ]
}

@test "a file that cannot be read stops the run before any file is replaced" {
    # the last file named is damaged: every other would be rewritten
    echo '{"cdp_id":"x"' >> out/audiences/vip.ndjson
    sums > before
    fails_unchanged "out/audiences/vip.ndjson:3: damaged record line: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc."
}

@test "a missing file, a folder or a pipe among the files named, or as the state: exit 1 before any is read, none changed" {
    # named last, after files that would each be read whole first; a pipe
    # was opened and waited on (each file is read twice: no writer the
    # second time), and after a missing file named before it, too
    mkfifo out/pipe.ndjson
    sums > before
    refused "cannot open 'out/missing.ndjson.zst': No such file or directory" out/*.ndjson.zst out/missing.ndjson.zst
    refused "cannot open 'out/missing.ndjson.zst': No such file or directory" out/missing.ndjson.zst out/pipe.ndjson
    refused "'out/pipe.ndjson' is not a regular file: each file named is replaced by a new version" out/*.ndjson.zst out/pipe.ndjson
    refused "'out/pipe.ndjson' is not a regular file: each file named is replaced by a new version" --journal out/pipe.ndjson out/crm.ndjson.zst
    refused "'out/audiences' is not a regular file: each file named is replaced by a new version" out/crm.ndjson.zst out/audiences
    refused "cannot open merge state 'out/missing.zst': No such file or directory" --merge-state out/missing.zst out/crm.ndjson.zst
    refused "cannot open 'out/missing.csv': No such file or directory" --export out/missing.csv out/crm.ndjson.zst
    # the state a pipe: refused before its lock file is made
    run timeout 20 cdp-forget --email "$WHO" --state out/pipe.ndjson out/crm.ndjson.zst
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: state file 'out/pipe.ndjson' is not a regular file" ]
    [ ! -e out/pipe.ndjson.lock ]
    sums | diff before -
}

@test "a file another program writes while cdp-forget reads: nothing replaced, that program's lines kept" {
    # on one CPU the files are read one after another: once the long file
    # named second is open, the short one named first has been read, and
    # the line appended to it then would be lost by renaming over it
    zstd -dc out/identified.ndjson.zst > one
    for i in $(seq 20000); do echo "{\"_source\":\"pad\",\"_rid\":\"$i\"}"; done > pad
    for i in $(seq 80); do cat one pad; done | zstd -q -o out/zz-long.ndjson.zst
    cp out/identified.ndjson.zst out/a-short.ndjson.zst
    sums | grep -v a-short > before
    taskset -c 0 cdp-forget --email "$WHO" --state out/identity.state.zst \
        out/a-short.ndjson.zst out/zz-long.ndjson.zst > log 2>&1 &
    local pid=$! k
    for k in $(seq 2000); do
        ls -l "/proc/$pid/fd" 2>/dev/null | grep -q zz-long && break
        sleep 0.005
    done
    echo '{"_source":"late","_rid":"1"}' | zstd -q >> out/a-short.ndjson.zst
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 1 ]
    [ "$(cat log)" = "cdp-forget: 'out/a-short.ndjson.zst' changed while it was read (written to: its size or modification time changed); no file replaced" ]
    sums | grep -v a-short | diff before -
    zstd -dc out/a-short.ndjson.zst > short
    [ "$(tail -n 1 short)" = '{"_source":"late","_rid":"1"}' ]
    head -n -1 short | cmp - one
    [ -z "$(find out -name '.*')" ]
}

@test "files are written several at a time, yet the error is the first damaged file's in the order named" {
    # a long file first (the glob's order), damaged in its last line, and a
    # short one named next, damaged at once: written one after another, the
    # long one's error comes first, and so it must when the short one fails
    # on the other worker long before
    zstd -dc out/identified.ndjson.zst > one
    for i in $(seq 500); do cat one; done > long
    echo '{"cdp_id":"x"' >> long
    zstd -q --rm long -o out/aaa.ndjson.zst
    echo '{"cdp_id":"x"' | zstd -q -o out/aab.ndjson.zst
    sums > before
    fails_unchanged "out/aaa.ndjson.zst:$((500 * $(wc -l < one) + 1)): damaged record line: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc."
    # the long file mended: the short one's error, still nothing changed
    zstd -dc out/aaa.ndjson.zst | head -n -1 | zstd -q -o mended.zst
    mv mended.zst out/aaa.ndjson.zst
    sums > before
    fails_unchanged "out/aab.ndjson.zst:1: damaged record line: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc."
}

@test "many files, few descriptors: no more files are open at once than the workers write" {
    # 120 copies of a record file under a limit of 64 open files, on one CPU
    # and on all: a run that opened every file before finishing the first
    # ran out of descriptors
    mkdir many
    for i in $(seq -w 1 120); do cp out/crm.ndjson.zst "many/r$i.ndjson.zst"; done
    for on_one_cpu in "taskset -c 0" ""; do
        run bash -c "ulimit -n 64; exec $on_one_cpu \"\$@\"" _ \
            cdp-forget --dry-run --email "$WHO" --state out/identity.state.zst many/*.ndjson.zst
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 247 lines to remove, 121 files to change, 0 unchanged, 0 added to the forget list" ]
    done
}

@test "an identifier two persons hold stops the run; the one who asked is named by cdp_id" {
    # a mother and her son share the family's e-mail (cdp-dedupe keeps them apart)
    sums > before
    run forget --email popovy.family@mail.ru
    [ "$status" -eq 1 ]
    [ "$output" = "cdp-forget: e-mail 'po***@mail.ru' belongs to 2 persons (cdp_id 47825f1746425139, 9614531a387dfd73), more than the 1 allowed: name the one who asked by their cdp_id" ]
    sums | diff before -
    # for the mother, the family's e-mail is one of hers someone else holds
    [ "$(jq -c .counts.shared <(cdp-forget -q --dry-run --stats /dev/stdout --state out/identity.state.zst --cdp-id 47825f1746425139))" = 1 ]
    run --separate-stderr forget --cdp-id 9614531a387dfd73
    [ "$status" -eq 0 ]
    [ "${stderr##*$'\n'}" = "cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 21 lines removed, 12 files changed, 32 unchanged, 4 added to the forget list" ]
    # the shared e-mail stays, with the mother; the son's card and phone go
    [ "$(zstd -dc out/profiles.ndjson.zst | grep -c popovy.family@mail.ru)" = 1 ]
    [ "$(zstd -dc out/identified.ndjson.zst | grep -c -e 0010234 -e 79215550011 -e 9614531a387dfd73)" = 0 ]
}

@test "--dry-run counts and changes nothing; a second run finds nobody" {
    sums > before
    run --separate-stderr forget --email "$WHO" --dry-run
    [ "$status" -eq 0 ]
    [ "${stderr##*$'\n'}" = "cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 61 lines to remove, 21 files to change, 23 unchanged, 12 added to the forget list" ]
    sums | diff before -
    forget -q --email "$WHO"
    sums > after
    run --separate-stderr forget --email "$WHO" --stats stats.json
    [ "$status" -eq 0 ]
    [ "$stderr" = "cdp-forget: 1 identifiers, 1 unknown, 0 persons found, 0 lines removed, 0 files changed, 43 unchanged, 0 added to the forget list" ]
    sums | diff after -
    [ "$(jq -c .counts stats.json)" = '{"identifiers":1,"unknown":1,"persons":0,"ids":0,"records":0,"shared":0,"removed":0,"files_changed":0,"files_unchanged":43,"listed":0}' ]
}

@test "the forget list: by phone or card too, and refused with another secret" {
    forget -q --phone '8 (903) 111-22-33'
    cp out/forgotten.list.secret secret.saved
    # a secret of another list: every program refuses the list
    printf '%064d\n' 7 > out/forgotten.list.secret
    run cdp-ingest -s crm --forgotten out/forgotten.list -o /dev/null /dev/null
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-ingest: out/forgotten.list:1: damaged forget list line: the forget list was made with another secret" ]
    run cdp-dedupe --forgotten out/forgotten.list -o /dev/null out/crm.ndjson.zst
    [ "$status" -eq 1 ]
    run cdp-export --format sms --forgotten out/forgotten.list -o /dev/null out/segments.ndjson.zst
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-export: --forgotten: out/forgotten.list:1: damaged forget list line: the forget list was made with another secret" ]
    # a missing secret, or one others may read, too
    rm out/forgotten.list.secret
    run cdp-ingest -s crm --forgotten out/forgotten.list -o /dev/null /dev/null
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-ingest: forget list 'out/forgotten.list' has no secret beside it ('out/forgotten.list.secret' is missing): without it the list matches nobody" ]
    cp secret.saved out/forgotten.list.secret
    chmod 644 out/forgotten.list.secret
    run cdp-ingest -s crm --forgotten out/forgotten.list -o /dev/null /dev/null
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "cdp-ingest: secret 'out/forgotten.list.secret' may be read by others (mode 0644): make it 0600" ]
    # a missing list is an empty one
    run cdp-ingest -s crm --forgotten nothing.list -o /dev/null /dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "cdp-ingest: 0 rows read, 0 written, 0 rejected, 0 forgotten" ]
}

@test "--list: a batch of requests, comments and blank lines skipped" {
    printf '# received 2026-11-20\n\nemail = %s\nphone=+79031112233\ncard=0010232\n' "$WHO" > requests.txt
    run --separate-stderr forget --list requests.txt
    [ "$status" -eq 0 ]
    [ "${stderr##*$'\n'}" = "cdp-forget: 3 identifiers, 0 unknown, 1 persons found, 61 lines removed, 21 files changed, 23 unchanged, 12 added to the forget list" ]
}

@test "make demo (examples/nights.sh): the first night answers erasure-requests.txt, the counts shown; nothing of the person after three nights" {
    traces
    grep -qx "email=$WHO" "$EXAMPLES/erasure-requests.txt"
    run --separate-stderr "$EXAMPLES/nights.sh" "$EXAMPLES" demo
    [ "$status" -eq 0 ]
    # what make demo shows of the first night, and what nightly.sh printed
    head -n 16 <<< "$output" > shown
    assert_file shown <<'OUT'
== night of 2026-11-20: done (what it printed: demo/nightly-2026-11-20.log)
   erasure requests answered:
     cdp-forget: demo/forgotten.list: 12 entries added (12 in all)
     cdp-forget: demo/crm.ndjson.zst: 2 of 44 lines removed (records)
     cdp-forget: demo/identified.ndjson.zst: 12 of 292 lines removed (records)
     cdp-forget: demo/pos.ndjson.zst: 3 of 70 lines removed (records)
     cdp-forget: demo/profiles.ndjson.zst: 1 of 48 lines removed (records)
     cdp-forget: demo/recommendations.ndjson.zst: 1 of 48 lines removed (records)
     cdp-forget: demo/segments.ndjson.zst: 1 of 48 lines removed (records)
     cdp-forget: demo/shop.ndjson.zst: 1 of 30 lines removed (records)
     cdp-forget: demo/web.ndjson.zst: 6 of 148 lines removed (records)
     cdp-forget: demo/audiences/category_interest.ndjson: 1 of 26 lines removed (records)
     cdp-forget: demo/links.ndjson: 5 of 78 lines removed (links)
     cdp-forget: demo/identity.state.zst: 7 lines removed (state)
     cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 52 lines removed, 12 files changed, 22 unchanged, 12 added to the forget list
== night of 2026-11-21: done (what it printed: demo/nightly-2026-11-21.log)
OUT
    sed -n '/^---- erasure requests/,$p' demo/nightly-2026-11-20.log | sed 's/^  /     /' | tail -n +2 |
        diff - <(sed -n '3,15p' shown)
    # in no file the three nights made (logs included), but the sources'
    # own exports, which still have them (kept in demo/exports)
    rm -r demo/exports
    contents demo > after
    [ "$(wc -l < after)" -gt 1000 ]
    run grep -F -f traces after
    [ "$status" -eq 1 ]
    # the later nights dropped them at ingestion
    grep -q '^  cdp-ingest: .*, 2 forgotten, ' demo/nightly-2026-11-22.log
}

@test "--customer-id: the shop account's id finds the same person" {
    run --separate-stderr forget --customer-id 10002 --dry-run
    [ "$status" -eq 0 ]
    [ "${stderr##*$'\n'}" = "cdp-forget: 1 identifiers, 0 unknown, 1 persons found, 61 lines to remove, 21 files to change, 23 unchanged, 12 added to the forget list" ]
    # an id nobody has yet: only the forget list would change (to keep them out)
    run --separate-stderr forget --customer-id 99999 --dry-run
    [ "$status" -eq 0 ]
    [ "$stderr" = "cdp-forget: out/forgotten.list: 1 entries would be added (1 in all)
cdp-forget: 1 identifiers, 1 unknown, 0 persons found, 1 lines to remove, 1 files to change, 43 unchanged, 1 added to the forget list" ]
}
