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
    # the CRM export's four invalid values
    run grep -c '^    record 0000001[0-9][0-9]: ' whole
    [ "$output" = 4 ]
    # the buyers by revenue (their profiles read alone, after one pass for the
    # order), the open carts (names masked) and the first three buyers' offers
    sed -n -e '/^  profiles with purchases/,/^  a profile:/p' \
        -e '/^  for the buyers with the most revenue/,/^$/s/:.*//p' whole >got
    cat >want <<'EOF'
  profiles with purchases, by revenue (cdp_id: name; orders, revenue; top category; consent e-mail/SMS):
    c614b43a63043781: О*** См***ва; orders 2, revenue 149930; Кухня; e-mail true, SMS true
    3023ab3ceb65f332: Р*** А***; orders 1, revenue 120960; Кухня; e-mail true, SMS true
    47825f1746425139: Е*** П***; orders 1, revenue 91940; Спальня; e-mail true, SMS true
    b12679f6fcc547ca: В*** Ки***ва; orders 2, revenue 89950; Спальня; e-mail true, SMS unknown
    03b51b52f5926daa: М*** Л***; orders 2, revenue 75910; Кухня; e-mail unknown, SMS unknown
  open carts as of 2026-11-20:
    3f9c2336c900ccd8: М*** Ку***ев, since 2026-11-14T19:01:38Z: 100101 x1, 100340 x1 = 102980
    41dc43245a103688: Е*** Жу***ев, since 2026-10-30T12:49:06Z: 200233 x1 = 42990
    4500712f9aeab3a1: П*** За***ва, since 2026-11-19T20:43:26Z: 300120 x1 = 27990
    7518a9b6d45268c6: И*** Р***, since 2026-11-17T17:02:20Z: 200125 x1 = 19990
    ab52e6612710b855: (no name), since 2026-11-06T09:15:28Z: 100518 x2 = 12980
    c433b077c269fd49: К*** П***, since 2026-11-13T19:46:30Z: 300312 x1 = 16990
    de40e8f4ad8e3a49: А*** Б***, since 2026-11-12T20:05:49.377Z: 400101 x1 = 34990
    f587e20f866204e4: Ан***ия Но***ва, since 2026-11-17T09:05:36.113Z: 600115 x2 = 5980
  a profile:
  for the buyers with the most revenue (cdp_id
    c614b43a63043781
    3023ab3ceb65f332
    47825f1746425139
EOF
    diff -u want got

    CDP_PRINT_RECORDS=30 CDP_PRINT_LINES=2 "$EX/nightly.sh" "$EX" cut >short 2>&1
    # the CRM export's first two invalid values among its first 30 records
    # (42 records), and how many more
    run sed -n '/^---- crm$/,/^  rejected rows/p' short
    [ "${lines[9]}" = '  invalid values (left out of the records, kept under _invalid), among the first 30 records:' ]
    [ "${lines[10]}" = '    record 000000112: phone "8000***0000"' ]
    [ "${lines[11]}" = '    record 000000117: birth_date "31***90"' ]
    [ "${lines[12]}" = '    ... and 2 more' ]
    [ "${#lines[@]}" -eq 14 ]
    grep -Fx '  persons seen in more than one source, among the first 30 records (cdp_id: sources, names, e-mails, phones):' short
    grep -Fx '  profiles with purchases, by revenue, among the first 30 profiles (cdp_id: name; orders, revenue; top category; consent e-mail/SMS):' short
    grep -Fx '  open carts as of 2026-11-20, among the first 30 profiles:' short
    grep -Fx '  for the buyers with the most revenue, among the first 30 profiles (cdp_id: sku (why), ...):' short
    # the outputs are the same: only the printout is cut (the erasure's
    # files and the report hold a fresh random secret's hashes each run)
    for f in identified profiles segments recommendations; do
        cmp <(zstd -dc "out/$f.ndjson.zst") <(zstd -dc "cut/$f.ndjson.zst")
    done
    diff -r out/export cut/export
}

# A shim in front of a program: PROGRAM BODY (sh).
shim() {
    mkdir -p shim
    printf '#!/bin/sh\n%s\n' "$2" > "shim/$1"
    chmod 755 "shim/$1"
}

@test "nightly.sh: a program that fails beside another stops the night with its log, and the other is stopped" {
    # cdp-recommend runs beside cdp-merge: merge fails while it still runs
    shim cdp-recommend 'echo $$ > recommend.pid; exec sleep 60'
    shim cdp-merge 'echo "cdp-merge: out of disk" >&2; exit 1'
    SECONDS=0
    run env PATH="$PWD/shim:$PATH" "$EX/nightly.sh" "$EX" out
    [ "$status" -eq 1 ]
    [ "$SECONDS" -lt 30 ]
    [ "${lines[-2]}" = "cdp-merge: out of disk" ]
    [ "${lines[-1]}" = "nightly.sh: cdp-merge failed" ]
    pid=$(cat recommend.pid)
    sleep 0.2
    # gone, or dead and not yet reaped by whoever inherited it
    state=$(ps -o stat= -p "$pid" || true)
    [ -z "$state" ] || [ "${state#Z}" != "$state" ]

    # cdp-recommend fails: the night stops when it is needed, after segment
    rm -rf shim out
    shim cdp-recommend 'echo "cdp-recommend: bad catalog" >&2; exit 1'
    run env PATH="$PWD/shim:$PATH" "$EX/nightly.sh" "$EX" out
    [ "$status" -eq 1 ]
    [ "${lines[-3]}" = "== segment" ]
    [ "${lines[-2]}" = "cdp-recommend: bad catalog" ]
    [ "${lines[-1]}" = "nightly.sh: cdp-recommend failed" ]

    # one of the exports made two at a time fails
    rm -rf shim out
    real=$(command -v cdp-export)
    shim cdp-export 'case " $* " in *" sms "*) echo "cdp-export: no gateway" >&2; exit 1 ;; esac; exec '"$real"' "$@"'
    run env PATH="$PWD/shim:$PATH" "$EX/nightly.sh" "$EX" out
    [ "$status" -eq 1 ]
    [ "${lines[-2]}" = "cdp-export: no gateway" ]
    [ "${lines[-1]}" = "nightly.sh: cdp-export failed on carts-sms.txt" ]
    [ ! -e out/export/carts-sms.txt ]
    [ ! -e out/report.html ]
}
