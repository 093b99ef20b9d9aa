#!/usr/bin/env bats
# examples/nightly.sh's printout (what cron mails) shows examples, not the
# data: each is picked from the first CDP_PRINT_RECORDS lines of its file and
# a list stops after CDP_PRINT_LINES lines, so that a night of millions of
# persons prints a page (at 1M it had printed 170,000 lines, and jq slurping
# every record needed 14 GB).

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    EX=$BATS_TEST_DIRNAME/../examples
}

@test "nightly.sh: the examples' printout is whole by default; small limits cut it and say where" {
    "$EX/nightly.sh" "$EX" out >whole 2>&1
    run grep -c -e 'among the first' -e '\.\.\. and [0-9]* more' whole
    [ "$output" = 0 ]
    # the five messages of the CRM export: four invalid values, one rejected row
    run grep -c '^  cdp-ingest: .*crm.csv:' whole
    [ "$output" = 5 ]

    CDP_PRINT_RECORDS=5 CDP_PRINT_LINES=2 "$EX/nightly.sh" "$EX" cut >short 2>&1
    # the first two messages, how many more, and the summary
    run sed -n '/^---- crm$/,/^  records:/p' short
    [ "${lines[1]}" = '  cdp-ingest: '"$EX"'/crm.csv:13: invalid phone "8000***0000" in column "Телефон"' ]
    [ "${lines[2]}" = '  cdp-ingest: '"$EX"'/crm.csv:18: invalid date "31.02.1990" in column "Дата рождения"' ]
    [ "${lines[3]}" = '  ... and 3 more messages in cut/ingest-crm.log' ]
    [ "${lines[4]}" = '  cdp-ingest: 45 rows read, 44 written, 1 rejected, 0 forgotten, 4 invalid values' ]
    [ "${#lines[@]}" -eq 6 ]
    grep -Fx '  persons seen in more than one source, among the first 5 records (cdp_id: sources, names, e-mails, phones):' short
    grep -Fx '  profiles with purchases, by revenue, among the first 5 profiles (cdp_id: name; orders, revenue; top category; consent e-mail/SMS):' short
    grep -Fx '  open carts as of 2026-11-20, among the first 5 profiles:' short
    grep -Fx '  for the buyers with the most revenue, among the first 5 profiles (cdp_id: sku (why), ...):' short
    # the outputs are the same: only the printout is cut (the erasure's
    # files and the report hold a fresh random secret's hashes each run)
    for f in identified profiles segments recommendations; do
        cmp <(zstd -dc "out/$f.ndjson.zst") <(zstd -dc "cut/$f.ndjson.zst")
    done
    diff -r out/export cut/export
}
