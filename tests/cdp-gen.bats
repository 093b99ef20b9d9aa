#!/usr/bin/env bats
# cdp-gen: options, determinism, the shapes of the four exports, truth.csv
# against what cdp-ingest makes of them with the shipped maps, and the traps.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# ingest DIR OUT: the four exports of DIR through cdp-ingest with the shipped
# maps, as examples/nightly.sh does, into OUT/SOURCE.ndjson and
# OUT/SOURCE.rej (rejected rows).
ingest() {
    local d=$1 o=$2 m=$CDP_SHARE/maps
    mkdir -p "$o"
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 --map "$m/crm-1c.map" --as-of 2026-11-20 \
        --rejects "$o/crm.rej" -o "$o/crm.ndjson" "$d/crm.csv" 2>/dev/null
    cdp-ingest -q -s shop --map "$m/shop.map" --as-of 2026-11-20 \
        --rejects "$o/shop.rej" -o "$o/shop.ndjson" "$d/shop-customers.jsonl" 2>/dev/null
    cdp-ingest -q -s pos --tz +03:00 --map "$m/pos.map" \
        --rejects "$o/pos.rej" -o "$o/pos.ndjson" "$d/pos-receipts.csv" 2>/dev/null
    cdp-ingest -q -s web --map "$m/web.map" \
        --rejects "$o/web.rej" -o "$o/web.ndjson" "$d/web-events.ndjson.zst" 2>/dev/null
}

# The person truth.csv gives each (_source,_rid) in $1 (a file of
# "source,rid[,more...]" lines), as "source,rid,person[,more...]".
with_person() {
    awk -F, -v OFS=, 'NR == FNR { p[$1 "," $2] = $3; next }
        { k = $1 "," $2; if (!(k in p)) { print "no truth for " k > "/dev/stderr"; exit 1 }
          $2 = $2 "," p[k]; print }' "$2" "$1"
}

@test "--help, --version, usage errors exit 2 with a hint" {
    run cdp-gen --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-gen [OPTION]... -o DIR" ]
    run cdp-gen --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^cdp-gen\ \(cdp\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
    run cdp-gen --no-such-option
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-gen: unrecognized option '--no-such-option'
Try 'cdp-gen --help' for more information.
OUT
    run cdp-gen --persons 100
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-gen: -o DIR is required
Try 'cdp-gen --help' for more information.
OUT
    run cdp-gen --persons 0 -o d
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-gen: --persons takes a number 1 to 20M (like 1000, 100k, 1M), not '0'" ]
    for bad in 1x k 21M -5 1.5k; do
        run cdp-gen --persons "$bad" -o d
        [ "$status" -eq 2 ]
    done
    run cdp-gen --seed abc -o d
    [ "$status" -eq 2 ]
    run cdp-gen --as-of 2024-02-30 -o d
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-gen: --as-of takes a date YYYY-MM-DD from 1990 on, not '2024-02-30'" ]
    run cdp-gen --events-per-person 1001 -o d
    [ "$status" -eq 2 ]
    run cdp-gen -o d extra
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-gen: unexpected argument 'extra'" ]
    run cdp-gen --persons 20M --events-per-person 1000 -o d
    [ "$status" -eq 2 ]
    [ ! -e d ]
    touch f
    run cdp-gen --persons 10 -o f
    [ "$status" -eq 1 ]
    assert_output <<'OUT'
cdp-gen: cannot create 'f/crm.csv': Not a directory
OUT
}

@test "same seed, same bytes; another seed, other bytes" {
    cdp-gen -q --persons 2000 --seed 7 -o a
    cdp-gen -q --persons 2k --seed 7 -o b
    cdp-gen -q --persons 2000 --seed 8 -o c
    (cd a && sha256sum crm.csv shop-customers.jsonl pos-receipts.csv web-events.ndjson.zst \
        truth.csv) > sums
    (cd b && sha256sum -c --quiet ../sums)
    for f in crm.csv shop-customers.jsonl pos-receipts.csv web-events.ndjson.zst truth.csv; do
        ! cmp -s "a/$f" "c/$f"
    done
    [ "$(ls a)" = "$(printf '%s\n' crm.csv pos-receipts.csv shop-customers.jsonl truth.csv \
        web-events.ndjson.zst)" ]
}

@test "the summary counts the rows of each file; -q silences it" {
    run cdp-gen --persons 1500 -o d
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^cdp-gen:\ 1500\ persons,\ ([0-9]+)\ CRM\ rows,\ ([0-9]+)\ shop\ accounts,\ ([0-9]+)\ receipt\ lines,\ ([0-9]+)\ web\ events$ ]]
    [ "${BASH_REMATCH[1]}" -eq $(($(wc -l < d/crm.csv) - 1)) ]
    [ "${BASH_REMATCH[2]}" -eq "$(wc -l < d/shop-customers.jsonl)" ]
    [ "${BASH_REMATCH[3]}" -eq $(($(wc -l < d/pos-receipts.csv) - 1)) ]
    [ "${BASH_REMATCH[4]}" -eq "$(zstd -dc d/web-events.ndjson.zst | wc -l)" ]
    [ "$(($(wc -l < d/truth.csv) - 1))" -eq $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4])) ]
    run cdp-gen -q --persons 1500 -o d
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "the files have the shapes of the exports the maps read" {
    cdp-gen -q --persons 300 -o d
    # CRM: Windows-1251, ';', CRLF, 1C's header; 9-digit codes, unique.
    head -n 1 d/crm.csv | tr -d "\r" | iconv -f cp1251 -t utf-8 > header
    assert_file header <<'OUT'
Код;Фамилия;Имя;Отчество;Дата рождения;Пол;Телефон;E-mail;Город;Номер карты;Согласие на рассылку;Согласие на SMS;Дата регистрации;Дата изменения
OUT
    [ "$(grep -vc $'\r$' d/crm.csv)" -eq 0 ]
    tail -n +2 d/crm.csv | cut -d';' -f1 > codes
    [ "$(grep -Ecv '^[0-9]{9}$' codes)" -eq 0 ]
    [ -z "$(sort codes | uniq -d)" ]
    iconv -f cp1251 -t utf-8 d/crm.csv | grep -q ';01.01.0001 0:00:00'
    # Tills: UTF-8 with a BOM, ';', CRLF.
    head -n 1 d/pos-receipts.csv | tr -d "\r" > header
    assert_file header <<'OUT'
﻿Чек;Дата;Магазин;Карта;Телефон;Артикул;Товар;Категория;Кол-во;Цена;Сумма
OUT
    [ "$(grep -vc $'\r$' d/pos-receipts.csv)" -eq 0 ]
    grep -Eq ';-[0-9]+;[0-9  ]+,00;-[0-9  ]+,00'$'\r$' d/pos-receipts.csv # a return
    # Shop: JSON objects with the keys shop.map reads (save the broken row).
    [ "$(jq -R 'fromjson? | keys_unsorted[:10] | join(",")' d/shop-customers.jsonl | sort -u)" = \
        '"id,email,phone,name,birthday,gender,city,subscribed,created_at,updated_at"' ]
    # Web: zstd JSON lines, the five events, time-ordered sessions, UTC times.
    zstd -dc d/web-events.ndjson.zst | jq -r .event | sort -u > events
    assert_file events <<'OUT'
cart_add
cart_remove
checkout
purchase
view
OUT
    [ -z "$(zstd -dc d/web-events.ndjson.zst | jq -r 'select(.ts | test("^20[0-9-]{8}T[0-9:]{8}(\\.[0-9]{3})?Z$") | not)')" ]
    [ -z "$(zstd -dc d/web-events.ndjson.zst | jq -r 'select(.customer_id != null and (.customer_id | type) != "string")')" ]
    # Truth: its header, persons p0000001... or '-'.
    [ "$(head -n 1 d/truth.csv)" = "_source,_rid,person" ]
    [ "$(tail -n +2 d/truth.csv | grep -Evc '^(crm|shop|pos|web),[^,]+,(p[0-9]{7}|-)$')" -eq 0 ]
}

@test "--as-of: everything happens before the export's day" {
    cdp-gen -q --persons 500 --as-of 2024-03-01 -o d
    zstd -dc d/web-events.ndjson.zst | jq -r .ts | sort | tail -n 1 > last
    [[ "$(cat last)" < "2024-03-01" ]]
    tail -n +2 d/pos-receipts.csv | cut -d';' -f2 | awk '{ split($1, d, "."); print d[3] "-" d[2] "-" d[1] }' |
        sort | tail -n 1 > last
    [[ "$(cat last)" < "2024-03-01" ]]
    [[ "$(cat last)" > "2024-02-20" ]]
}

@test "every record has exactly one truth row, and every truth row a record" {
    cdp-gen -q --persons 2000 -o d
    ingest d o
    # Rows cdp-ingest wrote, and rows it rejected (whose _rid is the CRM code
    # or the shop id in the raw text, or the row number).
    {
        cat o/crm.ndjson o/shop.ndjson o/pos.ndjson o/web.ndjson | jq -r '"\(._source),\(._rid)"'
        jq -r '"crm," + (.raw | split(";")[0])' o/crm.rej
        jq -r '"shop," + (.raw | capture("\"id\":(?<id>[0-9]+)").id)' o/shop.rej
        jq -r '"\(._source),\(.row)"' o/pos.rej o/web.rej
    } | sort > got
    tail -n +2 d/truth.csv | cut -d, -f1,2 | sort > want
    [ -z "$(uniq -d want)" ]
    diff want got
    # The physically broken rows were made and rejected, and have their truth.
    [ "$(wc -l < o/crm.rej)" -ge 1 ]
    [ "$(wc -l < o/shop.rej)" -ge 1 ]
    [ "$(grep -c '"unclosed_quote"\|"bad_quote"' o/crm.rej)" -ge 1 ]
    # Anonymous rows exist in both event sources.
    [ "$(grep -c '^pos,[0-9]*,-$' d/truth.csv)" -gt 0 ]
    [ "$(grep -c '^web,[0-9]*,-$' d/truth.csv)" -gt 0 ]
}

@test "the traps are in the data and truth tells them apart" {
    cdp-gen -q --persons 20000 -o d
    ingest d o
    tail -n +2 d/truth.csv > truth
    # Namesakes: the same full name and a different birth date: different persons.
    jq -r 'select(.last_name and .first_name and .middle_name and .birth_date) |
        "crm,\(._rid),\(.last_name)|\(.first_name)|\(.middle_name),\(.birth_date)"' o/crm.ndjson > names
    with_person names truth | awk -F, '{ print $4 "," $5 "," $3 }' | sort -u |
        awk -F, '{ n[$1]++; if (n[$1] == 2 && b[$1] != $2 && p[$1] != $3) found++; b[$1] = $2; p[$1] = $3 }
            END { print found + 0 }' > namesakes
    [ "$(cat namesakes)" -gt 10 ]
    # One e-mail for two persons (a family) in the CRM.
    jq -r 'select(.email) | "crm,\(._rid),\(.email)"' o/crm.ndjson > emails
    with_person emails truth | awk -F, '{ print $4 "," $3 }' | sort -u | cut -d, -f1 | uniq -d > shared
    [ "$(wc -l < shared)" -gt 10 ]
    # The same person twice in the CRM (re-registered), with another code.
    [ "$(grep '^crm,' truth | cut -d, -f3 | sort | uniq -d | wc -l)" -gt 500 ]
    # The cashiers' placeholder phone: one number, hundreds of buyers.
    jq -r 'select(.phone == "+79999999999") | "pos,\(._rid)"' o/pos.ndjson > placeholder
    [ "$(with_person placeholder truth | cut -d, -f3 | sort -u | grep -vc '^-$')" -gt 10 ]
    # Each person's loyalty card is theirs alone.
    jq -r 'select(.card) | "pos,\(._rid),\(.card)"' o/pos.ndjson > cards
    [ -z "$(with_person cards truth | awk -F, '{ print $4 "," $3 }' | sort -u | cut -d, -f1 | uniq -d)" ]
    # Abandoned carts: added, never removed nor bought, more than a day old.
    jq -r 'select(.customer_id and (.event == "cart_add" or .event == "cart_remove" or .event == "purchase")) |
        [.customer_id, .sku, .event, .ts] | @tsv' o/web.ndjson |
        awk -F'\t' '$3 == "cart_add" { open[$1 FS $2] = $4 } $3 != "cart_add" { delete open[$1 FS $2] }
            END { for (k in open) if (open[k] < "2026-11-19") n++; print n + 0 }' > abandoned
    [ "$(cat abandoned)" -gt 100 ]
    # A few invalid values, reported, not rejected.
    [ "$(jq -r 'select(._invalid) | ._invalid | keys[]' o/crm.ndjson | sort -u | tr '\n' ' ')" = \
        "birth_date email phone " ]
    [ "$(jq -r 'select(._invalid) | ._invalid | keys[]' o/shop.ndjson | sort -u | tr '\n' ' ')" = \
        "birth_date email " ]
    [ "$(grep -c '"_invalid"' o/crm.ndjson)" -lt "$(($(wc -l < o/crm.ndjson) / 50))" ]
}
