#!/usr/bin/env bash
# seeds.sh BUILD: (re)makes the seed inputs of tests/fuzz/corpus/ from the
# bundled examples, the test fixtures and share/cdp, with the programs of
# BUILD/bin (for a state file and a journal). Seeds are cut to a few rows
# each: the fuzzer needs each shape once, not the whole file. Inputs kept
# because they once crashed a harness (crash-*) are left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
corpus=tests/fuzz/corpus
share=share/cdp
ex=examples
fix=tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed NAME FILE CONFIG: writes the options byte (printf escape) and FILE.
seed() {
    local name=$1 file=$2 config=${3-}
    mkdir -p "$corpus/${name%%/*}"
    { if [ -n "$config" ]; then printf "$config"; fi; cat "$file"; } >"$corpus/$name"
}
# text NAME CONFIG TEXT: a seed from a string.
text() {
    mkdir -p "$corpus/${1%%/*}"
    { if [ -n "$2" ]; then printf "$2"; fi; printf '%s' "$3"; } >"$corpus/$1"
}
mkdir -p "$corpus"
find "$corpus" -type f ! -name 'crash-*' -delete

# The CSV reader: options byte = encoding (0 utf-8, 1 cp1251, 2 utf-16) | delimiter << 2
# (0 sniff, 1 ',', 2 ';', 3 TAB, 4 '|').
head -n 6 $ex/crm.csv >"$tmp/crm.csv"
seed csv/crm-cp1251 "$tmp/crm.csv" '\x09'
head -n 5 $ex/pos-receipts.csv >"$tmp/pos.csv"
seed csv/pos-utf8-bom "$tmp/pos.csv" '\x00'
iconv -f utf-8 -t utf-16 "$tmp/pos.csv" >"$tmp/pos16.csv"
seed csv/pos-utf16 "$tmp/pos16.csv" '\x02'
head -n 4 $fix/export/expected/mailchimp.csv >"$tmp/mc.csv"
seed csv/mailchimp-quoted "$tmp/mc.csv" '\x04'
text csv/multiline '\x00' $'id,name,note\r\n1,"Ivan ""the"" Great","two\nlines"\r\n2,Anna,  spaced  \r\n3,"never closed\n4,x,y\n'
text csv/ragged '\x0c' $'a\tb\tc\n1\t2\n1\t2\t3\t4\n\n5\t6\t7\n'
text csv/pipe-dupes '\x10' $'x|x||x\n1|2|3|4\n"q|uoted"|a"b|c|d\n'

# The NDJSON reader: options byte = encoding | 4 to find the format from the content.
head -n 3 $ex/shop-customers.jsonl >"$tmp/shop.ndjson"
seed ndjson/shop "$tmp/shop.ndjson" '\x00'
zstd -q -dc $ex/web-events.ndjson.zst >"$tmp/web-all.ndjson"
head -n 3 "$tmp/web-all.ndjson" >"$tmp/web.ndjson"
zstd -q -c "$tmp/web.ndjson" >"$tmp/web.ndjson.zst"
seed ndjson/web-zstd "$tmp/web.ndjson.zst" '\x00'
gzip -c "$tmp/shop.ndjson" >"$tmp/shop.ndjson.gz"
seed ndjson/shop-gzip "$tmp/shop.ndjson.gz" '\x04'
iconv -f utf-8 -t utf-16 "$tmp/web.ndjson" >"$tmp/web16.ndjson"
seed ndjson/web-utf16 "$tmp/web16.ndjson" '\x02'
text ndjson/mixed '\x00' $'{"a":1,"a":2}\r\n\n  \n[1,2]\n{"x":{"y":[1,{"z":null}]},"n":-0.5e3,"t":true}\nnot json\n{"s":"\\u0041\\ud83d\\ude00\\n"}\n{"bad":"\xff"}\n'
text ndjson/auto-csv '\x04' $'email,phone\na@b.ru,+79123456789\n'

# The JSON scanner: one line each.
i=0
{ head -n 2 $ex/shop-customers.jsonl; head -n 1 $fix/export/profiles.ndjson; head -n 1 "$tmp/web.ndjson"; } |
    while IFS= read -r line; do i=$((i + 1)); text json/line-$i '' "$line"; done
text json/nested '' '{"k":{"a":[1,2,{"b":"c"}],"d":{}},"e":[],"f":"\u00e9\"\\"}'
text json/numbers '' '{"a":0,"b":-1.5,"c":1e20,"d":12345678901234567890123,"e":-0.0E-0}'
text json/strings '' '["a","\u0000","\ud800\udc00"]'
text json/not-object '' '[1,2,3]'
text json/trailing '' '{"a":1} {"b":2}'
text json/dupes '' '{"a":1,"b":2,"a":"three","c":null,"b":false}'

# Map files.
for m in $share/maps/*.map; do seed mapping/$(basename "$m" .map) "$m"; done
text mapping/quoted '' $'\xef\xbb\xbf# with a BOM\nemail = " E-mail "\n_kind := event\nevent := purchase\nmy_field = Column\t\r\n'

# Model files.
for m in $share/models/*.json; do seed model/$(basename "$m" .json) "$m"; done
seed model/postcode $fix/model/postcode.json

# Rule files: the examples' and the library's.
seed rules/examples $ex/segments.rules
for r in $share/segments/*.rules; do seed rules/$(basename "$r" .rules) "$r"; done
seed rules/fixture $fix/segment/rules.seg

# The state file and the journal: two small nights of cdp-dedupe.
# Night 2 brings a record that joins two people of night 1: a merge in the journal.
head -n 2 $ex/shop-customers.jsonl >"$tmp/n1.ndjson"
printf '%s\n' '{"id":1,"email":"anna@x.ru","name":"Анна Иванова"}' \
    '{"id":2,"phone":"+79161234567","name":"Анна Иванова"}' >>"$tmp/n1.ndjson"
cp "$tmp/n1.ndjson" "$tmp/n2.ndjson"
echo '{"id":3,"email":"anna@x.ru","phone":"8 916 123-45-67"}' >>"$tmp/n2.ndjson"
bin=$build/bin
for n in 1 2; do
    $bin/cdp-ingest -q --source shop --map $share/maps/shop.map --as-of 2026-11-20 \
        -o "$tmp/in$n.ndjson" "$tmp/n$n.ndjson"
    $bin/cdp-dedupe -q --state "$tmp/state.zst" --journal "$tmp/journal.ndjson" \
        -o "$tmp/out$n.ndjson" "$tmp/in$n.ndjson"
    zstd -q -dc "$tmp/state.zst" >"$tmp/state$n.ndjson"
    seed state/night$n "$tmp/state$n.ndjson"
done
seed state/night2-zstd "$tmp/state.zst"
seed journal/fixture $fix/segment/journal.ndjson
if [ -s "$tmp/journal.ndjson" ]; then seed journal/dedupe "$tmp/journal.ndjson"; fi

# Suppression lists: options byte = 1 for a CSV list with an "email" column, | 2 for region US.
seed suppress/examples $ex/unsubscribed.txt '\x00'
seed suppress/fixture $fix/export/suppress.txt '\x02'
text suppress/csv '\x01' $'name;email\nIvan;Ivan@Mail.RU\nbad;"not, an e-mail"\n;\n'

# Export baselines: options byte = 0 mailchimp, 1 brevo, 2 sms lines, 3 NDJSON.
seed delta/mailchimp $fix/export/expected/mailchimp.csv '\x00'
seed delta/brevo $fix/export/expected/brevo.csv '\x01'
seed delta/sms $fix/export/expected/sms.txt '\x02'
head -n 3 $fix/export/profiles.ndjson >"$tmp/prof.ndjson"
seed delta/ndjson "$tmp/prof.ndjson" '\x03'

# The normalisers. Dates: options byte = order (0 dmy, 1 mdy, 2 ymd) | 4 epoch | offset << 3.
n=0
for v in '14.03.1985' '01.01.0001 0:00:00' '12.05.2017 14:22:08' '2019-03-02T12:14:55+03:00' \
    '2025-08-20T16:02:11Z' '20240305' '03/05/2024 10:20' '1700000000' '1700000000123' \
    '2024-02-29 23:59:60.123456789 -05:30' '9999-12-31T23:59:59-14:00' '0001-01-01T00:00:00+14:00'; do
    n=$((n + 1))
    text date/$n "\\x$(printf %02x $(( (n % 3) | (n % 2) * 4 | ((n * 5) % 29) << 3 )))" "$v"
done
# Phones: options byte = region (0 RU, 1 US, 2 GB, 3 DE, 4 KZ, 5 BY, 6 UA, 7 FR).
n=0
grep -v '^#' $fix/phones/spellings.tsv | awk -F'\t' 'NR % 6 == 1 && n++ < 30 {print $1 "\t" $2}' |
    while IFS=$'\t' read -r region value; do
        n=$((n + 1))
        case $region in RU) r=0 ;; US) r=1 ;; GB) r=2 ;; DE) r=3 ;; KZ) r=4 ;; BY) r=5 ;; UA) r=6 ;; *) r=7 ;; esac
        text phone/$n "\\x0$r" "$value"
    done
n=0
for v in 'olga.smirnova85@mail.ru' ' M.Lebedev@Rambler.ru ' 'почта@пример.рф' 'a..b@c.ru' \
    'x@xn--p1ai.xn--p1ai' 'user+tag@sub.example.co.uk' '"quoted"@x.com' 'a@b'; do
    n=$((n + 1)); text email/$n '' "$v"
done
n=0
for v in 'Смирнова Ольга Викторовна' 'ИВАНОВ иван' "o'brien-smith" 'McDonald' 'Ivanov Sergei' \
    'Мамедов Эльчин Рашид оглы' '  Анна   Мария  ' '-' 'Ёлкин Пётр' 'ÉMILE ZOLA'; do
    n=$((n + 1)); text name/$n '' "$v"
done
n=0
for v in '89 990,00' '1 234,50' '1234.50' '1,234.50' '1.234,50' '-5' '+7' '0,5' '1,234' \
    '1,234,567' $'1\xc2\xa0234,5' $'12\xe2\x80\xaf345' '.5' '007' '-0,00'; do
    n=$((n + 1)); text decimal/$n '' "$v"
done

# Row conversion: options byte = 1 for NDJSON | date order << 1 | 8 drop unmapped | kind << 4;
# a map file, a line "--", then the rows.
iconv -f cp1251 -t utf-8 "$tmp/crm.csv" >"$tmp/crm8.csv"
{ grep -v '^#' $share/maps/crm-1c.map | grep .; echo --; cat "$tmp/crm8.csv"; } >"$tmp/i1"
seed ingest/crm "$tmp/i1" '\x00'
{ grep -v '^#' $share/maps/shop.map | grep .; echo --; cat "$tmp/shop.ndjson"; } >"$tmp/i2"
seed ingest/shop "$tmp/i2" '\x01'
{ grep -v '^#' $share/maps/pos.map | grep .; echo --; cat "$tmp/pos.csv"; } >"$tmp/i3"
seed ingest/pos "$tmp/i3" '\x00'
{ grep -v '^#' $share/maps/web.map | grep .; echo --; cat "$tmp/web.ndjson"; } >"$tmp/i4"
seed ingest/web "$tmp/i4" '\x21'
seed ingest/profiles "$tmp/prof.ndjson" '\x0b'
du -sh "$corpus"
