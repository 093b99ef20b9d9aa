#!/usr/bin/env bats
# cdp-ingest's vocabularies (countries and regions from ISO 3166 as iso-codes
# ships it, aliases, values that are no country), map-file modifiers and
# rules, --country-from-phone and --rid-prefix. Outputs are written in full.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
}

@test "countries: ISO codes, English and Russian names, aliases; no country is left out with its reason" {
    cat > c.csv <<'CSV'
id,country
1,United Kingdom
2,EIRE
3,RSA
4,USA
5,Netherlands
6,Czech Republic
7,Hong Kong
8,Россия
9,РФ
10,Российская Федерация
11,Беларусь
12,Белоруссия
13,соединенное королевство
14,Deutschland
15,kz
16,Unspecified
17,European Community
18,Channel Islands
19,не указано
20,-
21,Атлантида
CSV
    run --separate-stderr cdp-ingest -s crm -m _rid=id --stats st.json c.csv
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"_source":"crm","_rid":"1","_kind":"person","country":"GB"}
{"_source":"crm","_rid":"2","_kind":"person","country":"IE"}
{"_source":"crm","_rid":"3","_kind":"person","country":"ZA"}
{"_source":"crm","_rid":"4","_kind":"person","country":"US"}
{"_source":"crm","_rid":"5","_kind":"person","country":"NL"}
{"_source":"crm","_rid":"6","_kind":"person","country":"CZ"}
{"_source":"crm","_rid":"7","_kind":"person","country":"HK"}
{"_source":"crm","_rid":"8","_kind":"person","country":"RU"}
{"_source":"crm","_rid":"9","_kind":"person","country":"RU"}
{"_source":"crm","_rid":"10","_kind":"person","country":"RU"}
{"_source":"crm","_rid":"11","_kind":"person","country":"BY"}
{"_source":"crm","_rid":"12","_kind":"person","country":"BY"}
{"_source":"crm","_rid":"13","_kind":"person","country":"GB"}
{"_source":"crm","_rid":"14","_kind":"person","country":"DE"}
{"_source":"crm","_rid":"15","_kind":"person","country":"KZ"}
{"_source":"crm","_rid":"16","_kind":"person","_omitted":{"country":"Unspecified"}}
{"_source":"crm","_rid":"17","_kind":"person","_omitted":{"country":"European Community"}}
{"_source":"crm","_rid":"18","_kind":"person","_omitted":{"country":"Channel Islands"}}
{"_source":"crm","_rid":"19","_kind":"person","_omitted":{"country":"не указано"}}
{"_source":"crm","_rid":"20","_kind":"person","_omitted":{"country":"-"}}
{"_source":"crm","_rid":"21","_kind":"person","_invalid":{"country":"Атлантида"}}
OUT
    # Only the unknown value is a message; the others are counted by reason.
    [ "$stderr" = 'cdp-ingest: c.csv:22: invalid country "Атлантида" in column "country"
cdp-ingest: 21 rows read, 21 written, 0 rejected, 5 values left out, 1 invalid values' ]
    assert_file st.json <<'OUT'
{"program":"cdp-ingest","counts":{"read":21,"written":21,"rejected":0,"omitted":5,"invalid":1},"omitted_by_field":{"country":5},"omitted_by_reason":{"unspecified":3,"several_countries":2},"invalid_by_field":{"country":1}}
OUT
}

@test "regions: ISO 3166-2 codes from Russian and English names, in the row's country" {
    cat > r.csv <<'CSV'
id;country;region
1;;Москва
2;;г. Москва
3;RU;Московская обл.
4;;Татарстан Респ
5;;Республика Татарстан
6;;ХМАО
7;;Санкт-Петербург
8;GB;England
9;BE;Limburg
10;NL;Limburg
11;;Limburg
12;BE;Москва
CSV
    run --separate-stderr cdp-ingest -q -s crm -m _rid=id r.csv
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"_source":"crm","_rid":"1","_kind":"person","region":"RU-MOW"}
{"_source":"crm","_rid":"2","_kind":"person","region":"RU-MOW"}
{"_source":"crm","_rid":"3","_kind":"person","country":"RU","region":"RU-MOS"}
{"_source":"crm","_rid":"4","_kind":"person","region":"RU-TA"}
{"_source":"crm","_rid":"5","_kind":"person","region":"RU-TA"}
{"_source":"crm","_rid":"6","_kind":"person","region":"RU-KHM"}
{"_source":"crm","_rid":"7","_kind":"person","region":"RU-SPE"}
{"_source":"crm","_rid":"8","_kind":"person","country":"GB","region":"GB-ENG"}
{"_source":"crm","_rid":"9","_kind":"person","country":"BE","region":"BE-VLI"}
{"_source":"crm","_rid":"10","_kind":"person","country":"NL","region":"NL-LI"}
{"_source":"crm","_rid":"11","_kind":"person","_invalid":{"region":"Limburg"}}
{"_source":"crm","_rid":"12","_kind":"person","country":"BE","_invalid":{"region":"Москва"}}
OUT
    # Without a country, a name of several countries' regions is read in --region's.
    run --separate-stderr cdp-ingest -q -s crm -m _rid=id --region NL r.csv
    [ "$(sed -n 11p <<< "$output")" = '{"_source":"crm","_rid":"11","_kind":"person","region":"NL-LI"}' ]
}

@test "genders and yes/no answers: ISO/IEC 5218 codes and 'not given' are left out, typos are invalid" {
    printf 'id;gender;consent_sms\n1;1;да\n2;2;-\n3;0;не указано\n4;9;N/A\n5;X;может быть\n' > g.csv
    run --separate-stderr cdp-ingest -s crm -m _rid=id --stats st.json g.csv
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"_source":"crm","_rid":"1","_kind":"person","gender":"m","consent_sms":true}
{"_source":"crm","_rid":"2","_kind":"person","gender":"f","consent_sms":false}
{"_source":"crm","_rid":"3","_kind":"person","_omitted":{"gender":"0","consent_sms":"не указано"}}
{"_source":"crm","_rid":"4","_kind":"person","_omitted":{"gender":"9","consent_sms":"N/A"}}
{"_source":"crm","_rid":"5","_kind":"person","_invalid":{"gender":"X","consent_sms":"может быть"}}
OUT
    assert_file st.json <<'OUT'
{"program":"cdp-ingest","counts":{"read":5,"written":5,"rejected":0,"omitted":4,"invalid":2},"omitted_by_field":{"gender":2,"consent_sms":2},"omitted_by_reason":{"unspecified":3,"not_applicable":1},"invalid_by_field":{"gender":1,"consent_sms":1}}
OUT
}

@test "map files: drop-dot-zero reads a spreadsheet's 17850.0 as 17850, never by default" {
    printf 'CustomerID,Card,Amount\n17850.0,0012345,5\n17850.00,0012345.0,6\n0012345,17850.5,7\n1.785E+4,12.0.0,8\n,,9\n' > f.csv
    printf 'customer_id = CustomerID | drop-dot-zero\ncard = "Card" | drop-dot-zero\nstore = Amount\n' > f.map
    run cdp-ingest -q -s x --map f.map f.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","customer_id":"17850","card":"0012345","store":"5"}
{"_source":"x","_rid":"2","_kind":"person","customer_id":"17850","card":"0012345","store":"6"}
{"_source":"x","_rid":"3","_kind":"person","customer_id":"0012345","card":"17850.5","store":"7"}
{"_source":"x","_rid":"4","_kind":"person","customer_id":"1.785E+4","card":"12.0.0","store":"8"}
{"_source":"x","_rid":"5","_kind":"person","store":"9"}
OUT
    # Without the modifier the values are kept as written.
    run cdp-ingest -q -s x -m customer_id=CustomerID f.csv
    [ "$(head -n 1 <<< "$output")" = '{"_source":"x","_rid":"1","_kind":"person","customer_id":"17850.0","attrs":{"Card":"0012345","Amount":"5"}}' ]
    # _rid takes it too; NDJSON numbers as well.
    printf '%s\n' '{"id":17850.0,"email":"a@b.ru"}' > f.ndjson
    printf '_rid = id | drop-dot-zero\n' > rid.map
    run cdp-ingest -q -s x --map rid.map f.ndjson
    assert_output <<'OUT'
{"_source":"x","_rid":"17850","_kind":"person","email":"a@b.ru"}
OUT
}

@test "map files: a rule sets a field from a column's prefix or a number's sign, first rule first" {
    cat > lines.csv <<'CSV'
InvoiceNo,Quantity,Type
536365,6,web
C536379,-1,web
536380,-2,shop
C536381,3,shop
 C1,0,
CSV
    cat > rules.map <<'MAP'
_kind := event
event := purchase
event := return if InvoiceNo starts with C
event := adjustment if Quantity is negative
order_id = InvoiceNo
qty = Quantity
channel := online if "Type" starts with "we"
MAP
    run --separate-stderr cdp-ingest -s shop --map rules.map lines.csv
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"_source":"shop","_rid":"1","_kind":"event","event":"purchase","channel":"online","order_id":"536365","qty":6,"attrs":{"Type":"web"}}
{"_source":"shop","_rid":"2","_kind":"event","event":"return","channel":"online","order_id":"C536379","qty":-1,"attrs":{"Type":"web"}}
{"_source":"shop","_rid":"3","_kind":"event","event":"adjustment","order_id":"536380","qty":-2,"attrs":{"Type":"shop"}}
{"_source":"shop","_rid":"4","_kind":"event","event":"return","order_id":"C536381","qty":3,"attrs":{"Type":"shop"}}
{"_source":"shop","_rid":"5","_kind":"event","event":"return","order_id":"C1","qty":0}
OUT
    # A column only a rule reads is still kept under attrs; -m or --set replace a field's mapping and its rules.
    run cdp-ingest -q -s shop --map rules.map --set event=sale lines.csv
    [ "$(jq -r .event <<< "$output" | sort -u)" = sale ]
    # A rule's column must be in the header.
    printf 'event := return if Kind starts with R\n' > missing.map
    run cdp-ingest -s shop --map missing.map lines.csv
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 'cdp-ingest: lines.csv: no column "Kind" (tested by a rule); the columns are: "InvoiceNo", "Quantity", "Type"' ]
}

@test "map files: modifier and rule errors name the file and line" {
    printf 'card = Card | upper\n' > m1.map
    run cdp-ingest -s x --map m1.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: m1.map:1: unknown modifier 'upper' (there is drop-dot-zero)" ]
    printf '\nevent := return if InvoiceNo ends with C\n' > m2.map
    run cdp-ingest -s x --map m2.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: m2.map:2: expected VALUE if COLUMN starts with TEXT, or VALUE if COLUMN is negative" ]
    printf '_rid := x if A starts with B\n' > m3.map
    run cdp-ingest -s x --map m3.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: m3.map:1: _rid takes no rule" ]
    printf 'card = "Card | drop-dot-zero\n' > m4.map
    run cdp-ingest -s x --map m4.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: m4.map:1: a double quote is not closed" ]
    # ... in a modifier too (it was read from freed memory: the fuzzer found it).
    printf 'card = Card | "drop-dot-zero\n' > m6.map
    run cdp-ingest -s x --map m6.map
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-ingest: m6.map:1: a double quote is not closed" ]
    # A value with " if " in it is quoted.
    printf 'note := "what if"\n' > m5.map
    printf 'a\n1\n' > a.csv
    run cdp-ingest -q -s x --map m5.map a.csv
    assert_output <<'OUT'
{"_source":"x","_rid":"1","_kind":"person","note":"what if","attrs":{"a":"1"}}
OUT
}

@test "--country-from-phone: a record without a country gets its phone's; a given country wins" {
    cat > p.csv <<'CSV'
id;phone;country
1;+7 912 345-67-89;
2;8 (701) 234-56-78;
3;+44 20 7946 0958;
4;+44 7797 712345;
5;+7 912 345-67-89;Germany
6;+7 912 345-67-89;Unspecified
7;12345;
8;+800 1234 5678;
CSV
    run --separate-stderr cdp-ingest -s crm -m _rid=id --country-from-phone p.csv
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
{"_source":"crm","_rid":"1","_kind":"person","phone":"+79123456789","country":"RU"}
{"_source":"crm","_rid":"2","_kind":"person","phone":"+77012345678","country":"KZ"}
{"_source":"crm","_rid":"3","_kind":"person","phone":"+442079460958","country":"GB"}
{"_source":"crm","_rid":"4","_kind":"person","phone":"+447797712345","country":"JE"}
{"_source":"crm","_rid":"5","_kind":"person","phone":"+79123456789","country":"DE"}
{"_source":"crm","_rid":"6","_kind":"person","phone":"+79123456789","country":"RU","_omitted":{"country":"Unspecified"}}
{"_source":"crm","_rid":"7","_kind":"person","_invalid":{"phone":"12345"}}
{"_source":"crm","_rid":"8","_kind":"person","phone":"+80012345678"}
OUT
    [ "${stderr##*$'\n'}" = "cdp-ingest: 8 rows read, 8 written, 0 rejected, 5 countries from phones, 1 values left out, 1 invalid values" ]
    # Not by default.
    run --separate-stderr cdp-ingest -q -s crm -m _rid=id p.csv
    [ "$(head -n 1 <<< "$output")" = '{"_source":"crm","_rid":"1","_kind":"person","phone":"+79123456789"}' ]
}

@test "--rid-prefix: row numbers that stand for _rid keep apart from day to day" {
    printf 'email\na@b.ru\nc@d.ru\n' > 2010-12-01.csv
    run cdp-ingest -q -s shop --rid-prefix 2010-12-01: 2010-12-01.csv
    assert_output <<'OUT'
{"_source":"shop","_rid":"2010-12-01:1","_kind":"person","email":"a@b.ru"}
{"_source":"shop","_rid":"2010-12-01:2","_kind":"person","email":"c@d.ru"}
OUT
    cp 2010-12-01.csv b.csv
    run cdp-ingest -q -s shop --rid-prefix x/ 2010-12-01.csv b.csv
    [ "$(jq -r ._rid <<< "$output" | paste -sd' ')" = "x/2010-12-01.csv:1 x/2010-12-01.csv:2 x/b.csv:1 x/b.csv:2" ]
    # A _rid column is not prefixed.
    run cdp-ingest -q -s shop --rid-prefix x/ -m _rid=email 2010-12-01.csv
    [ "$(jq -r ._rid <<< "$output" | paste -sd' ')" = "a@b.ru c@d.ru" ]
}

@test "every alias and non-country of vocab_aliases.txt is in cdp-ingest(1)" {
    src=$BATS_TEST_DIRNAME/..
    run python3 - "$src/lib/norm/vocab_aliases.txt" "$src/man/cdp-ingest.1" <<'PY'
import re, sys
aliases, page = sys.argv[1:]
text = open(page, encoding="utf-8").read()
text = re.sub(r"\\\[u([0-9A-F]{4})\]", lambda m: chr(int(m.group(1), 16)), text)
text = text.replace("\\-", "-").replace("\\(em", "—")
text = " ".join(line for line in text.splitlines() if not line.startswith(".") or " " in line)
text = re.sub(r"\s+", " ", text)
for line in open(aliases, encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        spelling = line.split(None, 1)[1]
        if spelling not in text:
            print("not in cdp-ingest(1):", spelling)
PY
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
}
