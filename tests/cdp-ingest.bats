#!/usr/bin/env bats
# cdp-ingest: options, mapping, normalisation, invalid values, rejects,
# accounting. Expected outputs are written out in full.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# A 1C-style CRM export: Windows-1251, ';', CRLF, Russian headers.
crm_export() {
    iconv -f utf-8 -t cp1251 <<'CSV' | sed 's/$/\r/' > crm.csv
Код;Фамилия;Имя;Отчество;Телефон;E-mail;Дата рождения;Пол;Город;Согласие на рассылку;Карта;Дата регистрации;Менеджер
000123;ИВАНОВ;иван;Иванович;8 (912) 345-67-89; Ivan.Ivanov@Mail.RU ;05.03.1985;М;Москва;Да;0012345;12.01.2020 14:33:00;Ольга
000124;Петрова;Мария;Сергеевна;+7 912 345 67 80;maria@@mail.ru;31.02.1990;Ж;Санкт-Петербург;Нет;;01.01.0001 0:00:00;
000125;;;;;;;;;;;;
;Без;Кода;;;;;;;;;;
000126;Сидоров;Пётр;;9123456781;;;м;Казань;1;0099;;
000127;Ким;Анна;;12345;anna@mail.ru;01.01.2090;X;Алматы;возможно;;;
CSV
    cat > crm.map <<'MAP'
# 1C CRM export (use --encoding cp1251)
_rid = Код
last_name = Фамилия
first_name = Имя
middle_name = Отчество
phone = Телефон
email = E-mail
birth_date = Дата рождения
gender = Пол
city = Город
consent_email = Согласие на рассылку
card = Карта
created_at = Дата регистрации
MAP
}

@test "--help, --version, usage errors exit 2 with a hint" {
    run cdp-ingest --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-ingest --source NAME [OPTION]... [FILE]..." ]
    run cdp-ingest --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^cdp-ingest\ \(cdp\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
    run cdp-ingest --no-such-option
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-ingest: unrecognized option '--no-such-option'
Try 'cdp-ingest --help' for more information.
OUT
    run cdp-ingest x.csv
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-ingest: --source NAME is required
Try 'cdp-ingest --help' for more information.
OUT
    run cdp-ingest -s x --kind thing
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: --kind takes person or event, not 'thing'" ]
    run cdp-ingest -s x -m email
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: -m 'email': expected FIELD=COLUMN" ]
    run cdp-ingest -s x -m Email=E-mail
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: -m invalid field name 'Email' (lower-case letters, digits, '_')" ]
    run cdp-ingest -s x --date-order ydm
    [ "$status" -eq 2 ]
    run cdp-ingest -s x --tz Moscow
    [ "$status" -eq 2 ]
    run cdp-ingest -s x --as-of 2024-02-30
    [ "$status" -eq 2 ]
    run cdp-ingest -s x --require nosuchfield
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: --require: unknown field 'nosuchfield'" ]
    run cdp-ingest -s x -i xml
    [ "$status" -eq 2 ]
    run cdp-ingest -s x --threads many
    [ "$status" -eq 2 ]
}

@test "a 1C CRM export: mapping, normalisation, invalid values, rejects" {
    crm_export
    run --separate-stderr cdp-ingest -s crm --encoding cp1251 --map crm.map --as-of 2024-06-01 \
        --rejects rejects.ndjson -o out.ndjson crm.csv
    [ "$status" -eq 0 ]
    assert_file out.ndjson <<'OUT'
{"_source":"crm","_rid":"000123","_kind":"person","email":"ivan.ivanov@mail.ru","phone":"+79123456789","card":"0012345","last_name":"Иванов","first_name":"Иван","middle_name":"Иванович","gender":"m","birth_date":"1985-03-05","city":"Москва","consent_email":true,"created_at":"2020-01-12T14:33:00Z","attrs":{"Менеджер":"Ольга"}}
{"_source":"crm","_rid":"000124","_kind":"person","phone":"+79123456780","last_name":"Петрова","first_name":"Мария","middle_name":"Сергеевна","gender":"f","city":"Санкт-Петербург","consent_email":false,"_invalid":{"email":"maria@@mail.ru","birth_date":"31.02.1990"}}
{"_source":"crm","_rid":"000125","_kind":"person"}
{"_source":"crm","_rid":"000126","_kind":"person","phone":"+79123456781","card":"0099","last_name":"Сидоров","first_name":"Пётр","gender":"m","city":"Казань","consent_email":true}
{"_source":"crm","_rid":"000127","_kind":"person","email":"anna@mail.ru","last_name":"Ким","first_name":"Анна","city":"Алматы","_invalid":{"phone":"12345","gender":"X","birth_date":"01.01.2090","consent_email":"возможно"}}
OUT
    assert_file rejects.ndjson <<'OUT'
{"_source":"crm","file":"crm.csv","line":5,"row":4,"code":"missing_rid","reason":"no value in column \"Код\" (mapped to _rid)","raw":";Без;Кода;;;;;;;;;;"}
OUT
    run bash -c "printf '%s\n' \"\$0\"" "$stderr"
    assert_output <<'OUT'
cdp-ingest: crm.csv:3: invalid e-mail "ma***@mail.ru" in column "E-mail"
cdp-ingest: crm.csv:3: invalid date "31.02.1990" in column "Дата рождения"
cdp-ingest: crm.csv:5: no value in column "Код" (mapped to _rid); row rejected
cdp-ingest: crm.csv:7: invalid phone "12***45" in column "Телефон"
cdp-ingest: crm.csv:7: invalid gender "X" in column "Пол"
cdp-ingest: crm.csv:7: invalid date "01.01.2090" in column "Дата рождения"
cdp-ingest: crm.csv:7: invalid yes/no value "возможно" in column "Согласие на рассылку"
cdp-ingest: 6 rows read, 5 written, 1 rejected, 6 invalid values
OUT
}

@test "every row is accounted for: read = written + rejected, for any thread count" {
    crm_export
    printf 'not;a;row;of;thirteen\r\n' | iconv -t cp1251 >> crm.csv
    for t in 0 1 2 4; do
        cdp-ingest -q -s crm --encoding cp1251 --map crm.map --as-of 2024-06-01 --threads "$t" \
            --rejects "rej$t.ndjson" --stats "stats$t.json" -o "out$t.ndjson" crm.csv 2>/dev/null
        read=$(jq .counts.read "stats$t.json")
        written=$(jq .counts.written "stats$t.json")
        rejected=$(jq .counts.rejected "stats$t.json")
        [ "$read" -eq 7 ]
        [ "$written" -eq "$(wc -l < "out$t.ndjson")" ]
        [ "$rejected" -eq "$(wc -l < "rej$t.ndjson")" ]
        [ $((written + rejected)) -eq "$read" ]
        cmp out0.ndjson "out$t.ndjson"
        cmp rej0.ndjson "rej$t.ndjson"
    done
    assert_file stats0.json <<'OUT'
{"program":"cdp-ingest","counts":{"read":7,"written":5,"rejected":2,"invalid":6},"invalid_by_field":{"email":1,"birth_date":2,"phone":1,"gender":1,"consent_email":1},"rejected_by_reason":{"missing_rid":1,"field_count":1}}
OUT
}

@test "the same output on a large input whatever the thread count" {
    for i in $(seq 1 30000); do
        echo "{\"id\":$i,\"email\":\"User$i@Mail.RU\",\"phone\":\"8 912 $((1000000 + i))\",\"name\":\"иванов иван\"}"
    done > many.ndjson
    cdp-ingest -q -s shop -m full_name=name --threads 0 many.ndjson > t0.ndjson
    cdp-ingest -q -s shop -m full_name=name --threads 3 many.ndjson > t3.ndjson
    [ "$(wc -l < t0.ndjson)" -eq 30000 ]
    cmp t0.ndjson t3.ndjson
    # compressed by as many threads (one for --threads 0): the same bytes
    cdp-ingest -q -s shop -m full_name=name --threads 0 -o t0.ndjson.zst many.ndjson
    cdp-ingest -q -s shop -m full_name=name --threads 3 -o t3.ndjson.zst many.ndjson
    cdp-ingest -q -s shop -m full_name=name -o cpus.ndjson.zst many.ndjson
    cmp t0.ndjson.zst t3.ndjson.zst
    cmp t0.ndjson.zst cpus.ndjson.zst
    zstd -dc t0.ndjson.zst | cmp - t0.ndjson
    run sed -n 30000p t0.ndjson
    [ "$output" = '{"_source":"shop","_rid":"30000","_kind":"person","email":"user30000@mail.ru","phone":"+79121030000","full_name":"Иванов Иван","last_name":"Иванов","first_name":"Иван","attrs":{"id":30000}}' ]
}

@test "mapping: -m overrides a map file, constants with --set, custom fields, --drop-unmapped" {
    crm_export
    run --separate-stderr cdp-ingest -q -s crm --encoding cp1251 --map crm.map -m phone=Карта \
        -m manager=Менеджер --set country=Россия --as-of 2024-06-01 crm.csv
    [ "$status" -eq 0 ]
    run jq -c '{phone, country, manager, attrs, inv: ._invalid.phone}' <<< "$output"
    assert_output <<'OUT'
{"phone":null,"country":"RU","manager":"Ольга","attrs":{"Телефон":"8 (912) 345-67-89"},"inv":"0012345"}
{"phone":null,"country":"RU","manager":null,"attrs":{"Телефон":"+7 912 345 67 80"},"inv":null}
{"phone":null,"country":"RU","manager":null,"attrs":null,"inv":null}
{"phone":null,"country":"RU","manager":null,"attrs":{"Телефон":"9123456781"},"inv":"0099"}
{"phone":null,"country":"RU","manager":null,"attrs":{"Телефон":"12345"},"inv":null}
OUT
    run cdp-ingest -q -s crm --encoding cp1251 --map crm.map --drop-unmapped --as-of 2024-06-01 crm.csv
    [ "$(grep -c attrs <<< "$output")" -eq 0 ]
}

@test "mapping: a mapped column missing from the header is an error listing the columns" {
    printf 'a;b\n1;2\n' > t.csv
    run cdp-ingest -s x -m email=E-mail t.csv
    [ "$status" -eq 1 ]
    assert_output <<'OUT'
cdp-ingest: t.csv: no column "E-mail" (mapped to email); the columns are: "a", "b"
cdp-ingest: 0 rows read, 0 written, 0 rejected
OUT
}

@test "mapping: map file errors name the file and line" {
    printf 'email = E-mail\nbogus line\n' > bad.map
    run cdp-ingest -s x --map bad.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: bad.map:2: expected FIELD = COLUMN or FIELD := VALUE" ]
    printf 'email = E-mail\nemail = Почта\n' > twice.map
    run cdp-ingest -s x --map twice.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: twice.map:2: field 'email' is mapped twice" ]
    printf '_kind := both\n' > kind.map
    run cdp-ingest -s x --map kind.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: kind.map:1: _kind must be person or event" ]
    printf 'email = E-\0mail\n' > nul.map
    run cdp-ingest -s x --map nul.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: nul.map:1: a NUL byte (not a text file?)" ]
    # A constant is written into every record: it must be UTF-8 (the fuzzer
    # found output that was not). A map file saved in Windows-1251:
    printf 'email = E-mail\ncity := \xcc\xee\xf1\xea\xe2\xe0\n' > cp1251.map
    run cdp-ingest -s x --map cp1251.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: cp1251.map:2: not UTF-8 (save the map file as UTF-8)" ]
    run cdp-ingest -s x --set "$(printf 'city=\xcc\xee')"
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: --set 'city=...': not UTF-8" ]
    run cdp-ingest -s "$(printf 'crm\xff')"
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: --source: the name is not UTF-8" ]
    run cdp-ingest -s crm --rid-prefix "$(printf '\xe0')"
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: --rid-prefix: the prefix is not UTF-8" ]
    run cdp-ingest -s x --map nosuch.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: cannot open map file 'nosuch.map': No such file or directory" ]
}

@test "columns named like canonical fields are mapped by themselves; NDJSON keys too" {
    printf 'email,phone,city,note\nA@B.RU,89123456789, Москва ,x\n' > t.csv
    run cdp-ingest -q -s x t.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru","phone":"+79123456789","city":"Москва","attrs":{"note":"x"}}
OUT
    printf '%s\n' '{"email":"A@B.RU","phone":79123456789,"consent_sms":true,"tags":["a"],"n":null}' > t.ndjson
    run cdp-ingest -q -s x t.ndjson
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru","phone":"+79123456789","consent_sms":true,"attrs":{"tags":["a"]}}
OUT
}

@test "events: --set and _kind, numbers with a decimal comma, times to UTC with --tz" {
    printf '\xef\xbb\xbfЧек;Дата;Карта;Артикул;Кол-во;Цена;Сумма\r\n' > pos.csv
    printf 'R-1;05.03.2024 10:15;0012345;SKU-1;2;12 990,00;25 980,00\r\n' >> pos.csv
    printf 'R-2;31.12.2023 23:30;;SKU-2;-1;1 500,5;-1 500,50\r\n' >> pos.csv
    run cdp-ingest -q -s pos --set event=purchase --set channel=POS -m order_id=Чек -m ts=Дата \
        -m card=Карта -m sku=Артикул -m qty=Кол-во -m price=Цена -m amount=Сумма --tz +03:00 pos.csv
    assert_output <<'OUT'
{"_source":"pos","_rid":"1","_kind":"event","card":"0012345","ts":"2024-03-05T07:15:00Z","event":"purchase","channel":"pos","order_id":"R-1","sku":"SKU-1","qty":2,"price":12990.00,"amount":25980.00}
{"_source":"pos","_rid":"2","_kind":"event","ts":"2023-12-31T20:30:00Z","event":"purchase","channel":"pos","order_id":"R-2","sku":"SKU-2","qty":-1,"price":1500.5,"amount":-1500.50}
OUT
    run cdp-ingest -q -s pos --kind person --set event=purchase pos.csv
    [ "$(jq -r ._kind <<< "${lines[0]}")" = person ]
}

@test "full names are split into their parts unless the parts have columns" {
    printf 'name;first\n"иванов иван иванович";\nSergey Ivanov;\nПетрова Мария;Маша\n' > t.csv
    run cdp-ingest -q -s x -m full_name=name -m first_name=first t.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","full_name":"Иванов Иван Иванович","last_name":"Иванов","first_name":"Иван","middle_name":"Иванович"}
{"_source":"x","_rid":"2","_kind":"person","full_name":"Sergey Ivanov","last_name":"Ivanov","first_name":"Sergey"}
{"_source":"x","_rid":"3","_kind":"person","full_name":"Петрова Мария","last_name":"Петрова","first_name":"Маша"}
OUT
}

@test "--region decides phones without a country code; --date-order decides dates" {
    printf 'phone,birth_date\n8 029 123-45-67,05/03/1990\n+7 912 345-67-89,12/31/1990\n' > t.csv
    run cdp-ingest -q -s x --region BY --date-order mdy --as-of 2024-01-01 t.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","phone":"+375291234567","birth_date":"1990-05-03"}
{"_source":"x","_rid":"2","_kind":"person","phone":"+79123456789","birth_date":"1990-12-31"}
OUT
    run cdp-ingest -s x --region XX t.csv
    [ "$status" -eq 2 ]
}

@test "--require: rows with none of the fields are rejected; empty rows are rejected" {
    printf 'email;phone;city\nbad@;;Москва\n;89123456789;\nok@mail.ru;;\n;;\n' > t.csv
    run --separate-stderr cdp-ingest -s x --require email,phone --rejects rej.ndjson t.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"2","_kind":"person","phone":"+79123456789"}
{"_source":"x","_rid":"3","_kind":"person","email":"ok@mail.ru"}
OUT
    assert_file rej.ndjson <<'OUT'
{"_source":"x","file":"t.csv","line":2,"row":1,"code":"required","reason":"no valid value for any of email/phone","raw":"bad@;;Москва"}
{"_source":"x","file":"t.csv","line":5,"row":4,"code":"empty_row","reason":"empty row","raw":";;"}
OUT
    # the invalid e-mail of the rejected row is not counted: the row is gone
    [ "$stderr" = "cdp-ingest: t.csv:2: no valid value for any of email/phone; row rejected
cdp-ingest: t.csv:5: empty row; row rejected
cdp-ingest: 4 rows read, 2 written, 2 rejected" ]
}

@test "several files: rows numbered per file; stdin with -" {
    printf 'email\na@b.ru\n' > one.csv
    printf 'email\nc@d.ru\n' > two.csv
    run cdp-ingest -q -s x one.csv two.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"one.csv:1","_kind":"person","email":"a@b.ru"}
{"_source":"x","_rid":"two.csv:1","_kind":"person","email":"c@d.ru"}
OUT
    run bash -c "cat one.csv | cdp-ingest -q -s x -i csv -"
    [ "$output" = '{"_source":"x","_rid":"1","_kind":"person","email":"a@b.ru"}' ]
}

@test "the shipped maps read the bundled examples" {
    [ -f "$BATS_TEST_DIRNAME/../examples/crm.csv" ] || skip "examples not bundled yet"
    ex=$BATS_TEST_DIRNAME/../examples
    maps=$BATS_TEST_DIRNAME/../share/cdp/maps
    run cdp-ingest -q -s crm --encoding cp1251 --map "$maps/crm-1c.map" --as-of 2026-11-20 "$ex/crm.csv"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -gt 30 ]
}

@test "mapping: -m wins over a map file wherever it stands; a later map file wins over an earlier" {
    printf 'a;b;c\n1;2;3\n' > t.csv
    printf 'card = a\n' > one.map
    printf 'card = b\n' > two.map
    run cdp-ingest -q -s x -m card=c --map one.map t.csv
    [ "$(jq -r .card <<< "$output")" = 3 ]
    run cdp-ingest -q -s x --map one.map --map two.map t.csv
    [ "$(jq -r .card <<< "$output")" = 2 ]
}

@test "several files with the same name: the default _rid uses the path" {
    mkdir a b
    printf 'email\nx@y.ru\n' > a/crm.csv
    printf 'email\nz@y.ru\n' > b/crm.csv
    run cdp-ingest -q -s x a/crm.csv b/crm.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"a/crm.csv:1","_kind":"person","email":"x@y.ru"}
{"_source":"x","_rid":"b/crm.csv:1","_kind":"person","email":"z@y.ru"}
OUT
}

@test "usage errors found after parsing still exit 2 with a hint; getopt names the program" {
    run cdp-ingest -s x --region XX
    [ "$status" -eq 2 ]
    [ "${lines[1]}" = "Try 'cdp-ingest --help' for more information." ]
    run "$BUILD/bin/cdp-ingest" --bogus
    [ "${lines[0]}" = "cdp-ingest: unrecognized option '--bogus'" ]
}

@test "a value seen again is written as the first time: escapes kept, the same bytes" {
    # Repeated values are answered from a memo of their normalisation; the
    # memo also knows whether a value needs a JSON escape, so this checks a
    # quote, a backslash and plain text, each three times.
    {
        echo 'id,city,first_name'
        for i in 1 2 3; do
            echo "$i,\"Москва \"\"Сити\"\"\",Анна"
            echo "1$i,C:\\Путь,\"Ж\"\"ук\""
        done
    } > memo.csv
    run cdp-ingest -q -s t -m _rid=id -m city=city memo.csv
    [ "$status" -eq 0 ]
    expected='{"_source":"t","_rid":"1","_kind":"person","first_name":"Анна","city":"Москва \"Сити\""}
{"_source":"t","_rid":"11","_kind":"person","first_name":"Ж\"ук","city":"C:\\Путь"}
{"_source":"t","_rid":"2","_kind":"person","first_name":"Анна","city":"Москва \"Сити\""}
{"_source":"t","_rid":"12","_kind":"person","first_name":"Ж\"ук","city":"C:\\Путь"}
{"_source":"t","_rid":"3","_kind":"person","first_name":"Анна","city":"Москва \"Сити\""}
{"_source":"t","_rid":"13","_kind":"person","first_name":"Ж\"ук","city":"C:\\Путь"}'
    [ "$output" = "$expected" ]
}
