#!/usr/bin/env bats
# cdp-dedupe --model: probabilistic matching (Fellegi-Sunter, trained without
# labels) on the public data sets, transliteration, swaps, blocking, and the
# explanation of a link.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    MODELS=$CDP_SHARE/models
}

# febrl DATASET [MODEL]: the FEBRL records deduplicated with the person model
# (or MODEL), default options only; prints pair-eval's JSON. The true person
# is the N of rec-N-org/rec-N-dup-K.
febrl() {
    cdp-ingest -q -s febrl --map "$CDP_SHARE/maps/febrl.map" --as-of 2024-01-01 \
        "$SHARED/febrl/$1.csv" 2>/dev/null |
        cdp-dedupe -q --model "$MODELS/${2:-person}.json" |
        jq -r '[(._rid | capture("rec-(?<n>[0-9]+)").n), .cdp_id] | @tsv' | pair-eval
}

# The thresholds are the figures reached when they were set (issue 17's
# targets: FEBRL3 F1 0.995 with precision 0.999, FEBRL1/2 F1 0.99, fake_1000
# F1 0.92, generated data precision 0.997 and F1 0.99), rounded down: a
# change that loses a pair of them shows here.
@test "FEBRL dataset3, the person model as shipped: no false merge, F1 at least 0.999" {
    [ -f "$SHARED/febrl/dataset3.csv" ] || skip "no FEBRL data in $SHARED"
    r=$(febrl dataset3)
    echo "dataset3: $r" >&3
    [ "$(jq '.true_pairs' <<< "$r")" -eq 6538 ]
    jq -e '.precision == 1 and .f1 >= 0.999' <<< "$r"
}

@test "FEBRL dataset1 and dataset2, the person model as shipped: no false merge, F1 at least 0.999; febrl.json, an example, too" {
    [ -f "$SHARED/febrl/dataset1.csv" ] || skip "no FEBRL data in $SHARED"
    for d in dataset1 dataset2; do
        r=$(febrl $d)
        echo "$d: $r" >&3
        jq -e '.precision == 1 and .f1 >= 0.999' <<< "$r"
    done
    r=$(febrl dataset3 febrl)
    echo "dataset3, febrl.json: $r" >&3
    jq -e '.precision == 1 and .f1 >= 0.998' <<< "$r"
}

@test "Splink fake_1000 (typos, nicknames, missing values), the person model as shipped: no false merge, F1 at least 0.924" {
    [ -f "$SHARED/splink/fake_1000.csv" ] || skip "no Splink data in $SHARED"
    r=$(cdp-ingest -q -s fake -m _rid=unique_id -m last_name=surname -m birth_date=dob --as-of 2024-01-01 \
            "$SHARED/splink/fake_1000.csv" 2>/dev/null |
        cdp-dedupe -q --model "$MODELS/person.json" --stats stats.json |
        jq -r '[.attrs.cluster, .cdp_id] | @tsv' | pair-eval)
    echo "fake_1000: $r" >&3
    [ "$(jq '.true_pairs' <<< "$r")" -eq 2031 ]
    jq -e '.precision == 1 and .f1 >= 0.924' <<< "$r"
    # trained by default; its birth dates and given names disagree too often to be a veto
    jq -e '.model.training_random_pairs == 499500' stats.json
    [ "$(jq -c .conflicts_not_checked stats.json)" = '{"birth_date":1,"first_name":1}' ]
}

@test "generated retail data, 100,000 persons, keys and the person model as shipped: precision 0.9998, F1 0.9937, no trap pair merged" {
    cdp-gen -q --persons 100000 --seed 42 --as-of 2026-11-20 -o d
    cdp-ingest -q -s crm --encoding cp1251 --tz +03:00 --map "$CDP_SHARE/maps/crm-1c.map" --as-of 2026-11-20 \
        -o crm.ndjson d/crm.csv 2>/dev/null
    cdp-ingest -q -s shop --map "$CDP_SHARE/maps/shop.map" --as-of 2026-11-20 -o shop.ndjson \
        d/shop-customers.jsonl 2>/dev/null
    cdp-dedupe -q --model "$MODELS/person.json" --stats stats.json --model-out model.json -o out.ndjson crm.ndjson shop.ndjson
    r=$(pair-eval --truth d/truth.csv --traps out.ndjson)
    echo "generated 100k: $r" >&3
    # a CRM's landline and the shop's mobile of one person are 5% of the
    # pairs of one person, 11% of random pairs; two different mobiles never
    # one person (F1 was 0.99307 when they fell in one level)
    jq -e '.comparisons[] | select(.name == "phone") | .levels | map({(.when): .}) | add |
        .fixed_and_mobile.m > 0.04 and .fixed_and_mobile.m < 0.07 and
        .fixed_and_mobile.u > 0.09 and .fixed_and_mobile.u < 0.14 and .else.m < 0.001' model.json
    jq -e '.precision >= 0.9998 and .f1 >= 0.9937' <<< "$r"
    # the family e-mails and phones and the namesakes are there, and none is merged
    jq -e '.traps.family_email.pairs > 500 and .traps.family_phone.pairs > 500 and .traps.namesakes.pairs > 10000' <<< "$r"
    [ "$(jq -c '[.traps[].merged]' <<< "$r")" = '[0,0,0,0]' ]
    # birth dates are reliable here: every conflict is checked
    [ "$(jq -c .conflicts_not_checked stats.json)" = null ]
}

# The background is 20 names over 2000 invented birth dates, nothing to learn
# from: the tests on it use the model's parameters as shipped (--no-train).
@test "across scripts and passport spellings, and with given and family names swapped; a namesake stays apart" {
    awk -f "$FIX/model/background.awk" > in.ndjson
    cat "$FIX/model/people.ndjson" >> in.ndjson
    run --separate-stderr cdp-dedupe --show-values --model "$MODELS/person.json" --no-train --links links.ndjson --stats stats.json in.ndjson
    [ "$status" -eq 0 ]
    # Иванов Сергей = Ivanov Sergei = (Иванов in the given name, Сергей in
    # the family name); Иванова Юлия = Ivanova Yuliya; Петров Сергей, born
    # the same day as Иванов Сергей, is someone else.
    [ "$(jq -r 'select(._rid | startswith("b") | not) | "\(._source)/\(._rid) \(.cdp_id)"' <<< "$output" | tr '\n' ' ')" = "crm/1 0478dcc97bb28868 shop/1 0478dcc97bb28868 shop/2 0478dcc97bb28868 crm/2 5ab8e1fe12dc4167 shop/3 5ab8e1fe12dc4167 crm/3 86d24c0fb53424ed " ]
    [ "$(jq -r 'select(._rid | startswith("b")) | .cdp_id' <<< "$output" | sort -u | wc -l)" -eq 2000 ]
    [ "$stderr" = "cdp-dedupe: 2006 records read, 2003 persons, 2006 written, 0 rejected, 3 links, 0 refused" ]
    [ "$(jq -c .model stats.json)" = '{"person_records":2006,"candidate_pairs":25419,"pairs_over_threshold":4}' ]
    # the explanation: the waterfall of a link, comparison by comparison
    [ "$(sed -n 2p links.ndjson)" = '{"link":"used","key":"model","value":"","a":{"_source":"crm","_rid":"1"},"b":{"_source":"shop","_rid":"1"},"match":{"weight":17.891,"probability":0.999996,"prior":-11.969,"comparisons":[{"name":"first_name","level":"translit","a":"sergey","b":"sergei","weight":6.14407},{"name":"last_name","level":"exact","a":"ivanov","b":"ivanov","weight":9.66268,"tf":true},{"name":"middle_name","level":"null","a":null,"b":null,"weight":0},{"name":"birth_date","level":"exact","a":"1983-01-19","b":"1983-01-19","weight":14.0532},{"name":"email","level":"null","a":null,"b":"s.ivanov@mail.ru","weight":0},{"name":"phone","level":"null","a":"+79160000001","b":null,"weight":0},{"name":"city","level":"null","a":null,"b":null,"weight":0},{"name":"address","level":"null","a":null,"b":null,"weight":0},{"name":"postal_code","level":"null","a":null,"b":null,"weight":0},{"name":"national_id","level":"null","a":null,"b":null,"weight":0}]}}' ]
    # without --show-values the values compared are masked (norm/show.h)
    cdp-dedupe -q --model "$MODELS/person.json" --no-train --links masked.ndjson in.ndjson > /dev/null
    [ "$(sed -n 2p masked.ndjson | jq -c '[.match.comparisons[] | .a, .b | values]')" = '["s***","s***","i***","i***","19***19","19***19","s.***@mail.ru","+7916***0001"]' ]
    [ "$(jq -r '[.a._rid, .b._rid, (.match.comparisons | map(select(.level != "null")) | map("\(.name):\(.level)") | join(","))] | @tsv' links.ndjson)" = "2	3	first_name:exact,last_name:exact,birth_date:exact
1	1	first_name:translit,last_name:exact,birth_date:exact
1	2	first_name:swapped>=0.9,last_name:swapped>=0.9,birth_date:exact" ]
}

@test "two customers of one source with different phones are two people to the model; a key still joins them" {
    awk -f "$FIX/model/background.awk" > in.ndjson
    # five records of one name, birth date and city: the namesake trap that
    # the model merged at 1M persons (bench: traps)
    p='"_kind":"person","last_name":"Соколов","first_name":"Юрий","middle_name":"Николаевич","birth_date":"1990-01-24","city":"Москва"'
    printf '%s\n' "{\"_source\":\"crm\",\"_rid\":\"a1\",$p,\"phone\":\"+74956806429\",\"email\":\"y.sokolov77@yandex.ru\"}" \
        "{\"_source\":\"crm\",\"_rid\":\"a2\",$p,\"phone\":\"+79049903196\",\"email\":\"sokolov.y@icloud.com\"}" \
        "{\"_source\":\"crm\",\"_rid\":\"a3\",$p,\"phone\":\"+74956806428\"}" \
        "{\"_source\":\"crm\",\"_rid\":\"a4\",$p,\"phone\":\"+79161112233\",\"email\":\"sokolov.y@icloud.com\"}" \
        "{\"_source\":\"shop\",\"_rid\":\"s1\",$p,\"email\":\"y.sokolov77@yandex.ru\"}" \
        "{\"_source\":\"shop\",\"_rid\":\"s2\",$p,\"email\":\"yura1990@mail.ru\"}" >> in.ndjson
    run --separate-stderr cdp-dedupe --model "$MODELS/person.json" --no-train --links links.ndjson in.ndjson
    [ "$status" -eq 0 ]
    # a1 and a2 are two CRM customers with their own phones: apart, and so
    # is everyone joined to them. a3's phone is a1's with one digit off (a
    # typo): the model joins it to a1. a4 shares a2's e-mail: a shared key
    # value joins two customers whatever their phones. s2, alike to both,
    # joins one side only (a3, its strongest link).
    [ "$(jq -r 'select(._rid | startswith("b") | not) | "\(._source)/\(._rid) \(.cdp_id)"' <<< "$output" | tr '\n' ' ')" = "crm/a1 7ab042b319ed4122 crm/a2 62785bf3b61d33b4 crm/a3 7ab042b319ed4122 crm/a4 62785bf3b61d33b4 shop/s1 7ab042b319ed4122 shop/s2 7ab042b319ed4122 " ]
    [ "$stderr" = "cdp-dedupe: 2006 records read, 2002 persons, 2006 written, 0 rejected, 4 links, 8 refused" ]
    # each refusal names the phones, masked
    [ "$(jq -r 'select(.reason == "conflict") | [.key, .a._rid, .b._rid, .field, .values[]] | @tsv' links.ndjson)" = "model	a2	a3	phone	+7904***3196	+7495***6429
model	a3	a4	phone	+7495***6429	+7904***3196
model	a1	a2	phone	+7495***6429	+7904***3196
model	a1	a4	phone	+7495***6429	+7904***3196
model	a2	s1	phone	+7904***3196	+7495***6429
model	a2	s2	phone	+7904***3196	+7495***6429
model	a4	s1	phone	+7904***3196	+7495***6429
model	a4	s2	phone	+7904***3196	+7495***6429" ]
    # --no-conflict checks nothing: the model then makes them one
    [ "$(cdp-dedupe -q --model "$MODELS/person.json" --no-train --no-conflict in.ndjson | jq -r 'select(._rid | startswith("b") | not) | .cdp_id' | sort -u | wc -l)" -eq 1 ]
}

@test "blocking: pairs outside every blocking rule are never scored" {
    printf '%s\n' '{"_source":"a","_rid":"1","first_name":"Anna","postal_code":"101000"}' \
        '{"_source":"a","_rid":"2","first_name":"Anna","postal_code":"101000"}' \
        '{"_source":"a","_rid":"3","first_name":"Anna","postal_code":"190000"}' > in.ndjson
    run --separate-stderr cdp-dedupe --model "$FIX/model/postcode.json" --stats stats.json in.ndjson
    [ "$status" -eq 0 ]
    [ "$(jq -r '"\(._rid) \(.cdp_id)"' <<< "$output" | tr '\n' ' ')" = "1 cf1f37aab805ca11 2 cf1f37aab805ca11 3 168c88b7f135cf84 " ]
    # three records are too few to train on: the file's m, u and prior are used
    [ "$(jq -c '[.model, .blocking_pairs]' stats.json)" = '[{"too_few_to_train":1,"person_records":3,"candidate_pairs":1,"pairs_over_threshold":1},{"postal_code":1}]' ]
    # ... unless --train says to
    cdp-dedupe -q --model "$FIX/model/postcode.json" --train --stats stats.json -o /dev/null in.ndjson
    [ "$(jq -c '.model | [.too_few_to_train, .training_random_pairs]' stats.json)" = '[null,3]' ]
}

@test "same_digits: e-mail addresses alike but for their digits are two people's" {
    printf '%s\n' '{"_source":"a","_rid":"1","last_name":"Petrov","email":"ivan.petrov84@mail.ru"}' \
        '{"_source":"a","_rid":"2","last_name":"Petrov","email":"ivan.petorv84@mail.ru"}' \
        '{"_source":"a","_rid":"3","last_name":"Petrov","email":"ivan.petrov91@mail.ru"}' \
        '{"_source":"a","_rid":"4","last_name":"Petrov","email":"ivan.petrov@mail.ru"}' \
        '{"_source":"a","_rid":"5","last_name":"Petrov","email":"ivan.petrov84@ma1l.ru"}' > in.ndjson
    # a typo keeps the digits (2), and so does one in the domain (5); other
    # digits (3) or none (4) are another Ivan Petrov
    cdp-dedupe -q --model "$FIX/model/email.json" --links links.ndjson -o out.ndjson in.ndjson
    [ "$(jq -r '"\(._rid) \(.cdp_id)"' out.ndjson | tr '\n' ' ')" = "1 cf1f37aab805ca11 2 cf1f37aab805ca11 3 168c88b7f135cf84 4 64869a0a1f335f28 5 cf1f37aab805ca11 " ]
    [ "$(jq -r 'select(.key == "model") | [.a._rid, .b._rid, .match.comparisons[1].level] | @tsv' links.ndjson | sort)" = "1	2	jaro_winkler>=0.9,same_digits
1	5	jaro_winkler>=0.9,same_digits" ]
    [ "$(jq -r 'select(._rid == "3" or ._rid == "4") | .cdp_id' out.ndjson | sort -u | wc -l)" -eq 2 ]
    # the model file says it, and writes it back
    cdp-dedupe -q --model "$FIX/model/email.json" --model-out again.json -o /dev/null in.ndjson
    [ "$(jq -c '.comparisons[1].levels[1]' again.json)" = '{"when":"jaro_winkler","min":0.9,"same_digits":true,"m":0.4,"u":0.001}' ]
    jq '.comparisons[1].levels[0].same_digits = true' "$FIX/model/email.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json in.ndjson
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = 'cdp-dedupe: bad.json: comparisons[1].levels[0]: "same_digits" applies to "jaro_winkler", "levenshtein" and "damerau" levels only' ]
    jq '.comparisons[1].levels[1].same_digits = 1' "$FIX/model/email.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json in.ndjson
    [ "${stderr_lines[0]}" = 'cdp-dedupe: bad.json: comparisons[1].levels[1]: "same_digits" is true or false' ]
}

@test "a model file with an error: a message naming the place, exit 2" {
    printf '{"cdp_model": 1, "comparisons": [' > broken.json
    run --separate-stderr cdp-dedupe --model broken.json
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[0]}" == "cdp-dedupe: broken.json: invalid JSON: "* ]]
    jq '.comparisons[0].levels[1].when = "jw"' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: comparisons[0].levels[1]: unknown \"when\" 'jw' (exact, translit, swapped, jaro_winkler, levenshtein, damerau, days, day_month_swapped, within, within_pct, fixed_and_mobile, else)" ]
    jq '.comparisons[0].levels[0].m = 0' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: comparisons[0].levels[0]: \"m\" must be a probability, above 0 and at most 1" ]
    jq '.blocking = [["surname"]]' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: blocking[0]: blocking on 'surname', which no comparison compares" ]
    jq '.comparisons[0].type = "nam"' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: comparisons[0]: unknown type 'nam' (name, string, date, number)" ]
    jq '.treshold = 0.5' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "${stderr_lines[0]}" = 'cdp-dedupe: bad.json: unknown key "treshold"' ]
    jq '.prior = "0.01"' "$FIX/model/postcode.json" > bad.json
    run --separate-stderr cdp-dedupe --model bad.json
    [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: prior: has the wrong type" ]
    # beyond any size: refused, never converted (the fuzz campaign's 1.8e23)
    for mb in 177777777777777777777000 1 -5; do
        jq --argjson mb "$mb" '.max_block = $mb' "$FIX/model/postcode.json" > bad.json
        run --separate-stderr cdp-dedupe --model bad.json
        [ "${stderr_lines[0]}" = "cdp-dedupe: bad.json: max_block: must be a number from 2 to 1e9" ]
    done
    run --separate-stderr cdp-dedupe --model "$FIX/model/postcode.json" --model-out m.json.zst
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: --model-out writes plain JSON: give it a name without .zst or .gz" ]
    run --separate-stderr cdp-dedupe --train
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: --train, --no-train, --labels, --model-out, --threshold and --seed need --model" ]
    run --separate-stderr cdp-dedupe --model nosuch.json
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "cdp-dedupe: cannot open model 'nosuch.json': No such file or directory" ]
}

@test "--model-out writes the trained model, which reads back and gives the same ids" {
    [ -f "$SHARED/febrl/dataset1.csv" ] || skip "no FEBRL data in $SHARED"
    cdp-ingest -q -s febrl --map "$CDP_SHARE/maps/febrl.map" --as-of 2024-01-01 "$SHARED/febrl/dataset1.csv" 2>/dev/null > in.ndjson
    cdp-dedupe -q --no-conflict --model "$MODELS/febrl.json" --train --model-out trained.json -o one.ndjson in.ndjson
    jq -e '.trained == true and .prior > 0 and .prior < 0.01' trained.json
    cdp-dedupe -q --no-conflict --model trained.json -o two.ndjson in.ndjson
    cmp one.ndjson two.ndjson
    # the same seed trains the same model
    cdp-dedupe -q --no-conflict --model "$MODELS/febrl.json" --train --model-out again.json -o /dev/null in.ndjson
    cmp trained.json again.json
}

@test "a blocked placeholder value is no evidence for the model either" {
    awk -f "$FIX/model/background.awk" > in.ndjson
    printf '%s\n' '{"_source":"crm","_rid":"p1","_kind":"person","last_name":"Смирнова","first_name":"Алла","phone":"+79999999999"}' \
        '{"_source":"shop","_rid":"p2","_kind":"person","last_name":"Smirnova","first_name":"Alla","phone":"+79999999999"}' >> in.ndjson
    run cdp-dedupe -q --model "$MODELS/person.json" --no-train --links links.ndjson in.ndjson
    [ "$status" -eq 0 ]
    [ "$(jq -r 'select(._rid | startswith("p")) | .cdp_id' <<< "$output" | sort -u | wc -l)" -eq 2 ]
    [ "$(jq -c 'select(.key == "phone") | [.link, .reason]' links.ndjson)" = '["refused","blocked"]' ]
}

@test "--labels: pairs known to be one person refine m; unknown records and non-matches are counted" {
    [ -f "$SHARED/febrl/dataset1.csv" ] || skip "no FEBRL data in $SHARED"
    cdp-ingest -q -s febrl --map "$CDP_SHARE/maps/febrl.map" --as-of 2024-01-01 "$SHARED/febrl/dataset1.csv" 2>/dev/null > in.ndjson
    jq -r '._rid' in.ndjson | grep -- '-dup-0$' | head -50 | sed 's/-dup-0$//' |
        awk '{ printf "{\"a\":{\"_source\":\"febrl\",\"_rid\":\"%s-org\"},\"b\":{\"_source\":\"febrl\",\"_rid\":\"%s-dup-0\"},\"match\":true}\n", $1, $1 }' > labels.ndjson
    echo '{"a":{"_source":"febrl","_rid":"nope"},"b":{"_source":"febrl","_rid":"rec-1-org"},"match":true}' >> labels.ndjson
    echo '{"a":{"_source":"febrl","_rid":"rec-1-org"},"b":{"_source":"febrl","_rid":"rec-2-org"},"match":false}' >> labels.ndjson
    cdp-dedupe -q --no-conflict --model "$MODELS/febrl.json" --train --model-out plain.json -o /dev/null in.ndjson
    run cdp-dedupe -q --no-conflict --model "$MODELS/febrl.json" --train --labels labels.ndjson \
        --model-out labelled.json --stats stats.json in.ndjson
    [ "$status" -eq 0 ]
    [ "$(jq -c .labels stats.json)" = '{"matches_used":50,"non_matches_not_used":1,"records_not_in_input":1}' ]
    # exact first names are more often seen in the labelled matches than EM guessed
    jq -e --slurpfile p plain.json '.comparisons[0].levels[0].m > $p[0].comparisons[0].levels[0].m' labelled.json
    r=$(jq -r '[(._rid | capture("rec-(?<n>[0-9]+)").n), .cdp_id] | @tsv' <<< "$output" | pair-eval)
    jq -e '.precision == 1 and .f1 >= 0.99' <<< "$r"
    echo 'not a label' > bad.ndjson
    run --separate-stderr cdp-dedupe --model "$MODELS/febrl.json" --labels bad.ndjson in.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = 'cdp-dedupe: bad.ndjson:1: a label is {"a":{"_source":..,"_rid":..},"b":{..},"match":true|false}' ]
}
