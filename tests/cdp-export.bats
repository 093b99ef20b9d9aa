#!/usr/bin/env bats
# cdp-export: platform formats byte for byte, published hash examples,
# consent, suppression, control groups, one row per contact, deltas, split
# files, file modes, bad input.

load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    EX=$FIX/export
}

# Profile by profile, what the fixture (profiles.ndjson) holds:
#   p01 Ольга, all consents, phone mobile, RU address       -> every format
#   p02 " DanaM@Example.com ", +1-800-555-0100 (Google's examples), no consent_sms
#   p03 mary@example.com, +15559876543 (Meta's examples; not a valid US number)
#   p04 Cloudy.SanFrancisco+shopping@gmail.com (Google's gmail rule)
#   p05 no e-mail; a landline, then a mobile in phones
#   p06 an e-mail that is not one
#   p07 consent false everywhere
#   p08 in birthday, held out of vip; p09 only held out of vip
#   p10 Olga@Mail.ru: p01's address again
#   p11, p12, p13 on suppress.txt: by address (other case, spaces), by hash
#     (upper-case hex), by phone written 8 (999) ...
#   p14 a name with a comma and quotes
#   p15 a "gone" record of cdp-segment --previous; then a line that is not JSON
#   p16 no contact at all

@test "--help, --version" {
    run cdp-export --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: cdp-export --format FMT [OPTION]... [FILE]..." ]
    run cdp-export --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^cdp-export\ \(cdp\)\  ]]
}

@test "usage errors exit 2 with a one-line hint" {
    run cdp-export "$EX/profiles.ndjson"
    [ "$status" -eq 2 ]
    assert_output <<'OUT'
cdp-export: --format is required: csv, ndjson, mailchimp, unisender, sendpulse, brevo, google-customer-match, meta, sms
Try 'cdp-export --help' for more information.
OUT
    run cdp-export -f excel
    [ "$status" -eq 2 ]
    [[ "${lines[0]}" == "cdp-export: --format takes csv, ndjson, "*", not 'excel'" ]]
    run cdp-export -f meta --channel email
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --format meta is for --channel ads, not email" ]
    run cdp-export -f sms --channel fax
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --channel takes email, sms, ads or none, not 'fax'" ]
    run cdp-export -f google-customer-match -c 'x=.cdp_id'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: -c: --format google-customer-match has fixed columns" ]
    run cdp-export -f csv
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --format csv needs its columns: -c HEADER=JQ" ]
    run cdp-export -f csv -c 'Email'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: -c takes HEADER=JQ, not 'Email'" ]
    run cdp-export -f mailchimp -d ';'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: -d: the mailchimp format fixes its own delimiter and encoding" ]
    run cdp-export -f mailchimp --removed gone.csv
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --removed needs --previous (what was exported before)" ]
    run cdp-export -f mailchimp --split-rows 10
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --split-rows needs -o FILE to name the parts after" ]
    run cdp-export -f mailchimp --split-rows 0 -o out.csv
    [ "$status" -eq 2 ]
    run cdp-export -f mailchimp --mode 0999
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "cdp-export: --mode takes octal permissions like 0600 or 644, not '0999'" ]
    run cdp-export -f mailchimp --no-plus
    [ "$status" -eq 2 ]
    run cdp-export -f sms --region XX "$EX/profiles.ndjson"
    [ "$status" -eq 2 ]
    [[ "${lines[0]}" == "cdp-export: --region: "* ]]
    run cdp-export -f mailchimp --bogus
    [ "$status" -eq 2 ]
    [ ! -e out.csv ]
}

@test "a jq column that does not compile is a usage error, with jq's message" {
    run cdp-export -f csv -c 'Email=.email' -c 'Bad=.first_name |||' "$EX/profiles.ndjson"
    [ "$status" -eq 2 ]
    [[ "${lines[0]}" == "cdp-export: -c Bad: syntax error, unexpected '|'"* ]]
    [ "${lines[1]}" = "Try 'cdp-export --help' for more information." ]
    [ "${#lines[@]}" -eq 2 ]
}

# Each platform's file, byte for byte (expected/*: see the table above).
@test "mailchimp: the columns, MM/DD birthdays, tags in one quoted cell" {
    run --separate-stderr cdp-export -f mailchimp --suppress "$EX/suppress.txt" -o out.csv "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    cmp out.csv "$EX/expected/mailchimp.csv"
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 7 exported, 9 skipped (1 gone, 3 no_email, 1 invalid_email, 1 no_consent, 2 suppressed, 1 duplicate), 1 rejected" ]
    # the header and the rows of the two ends of the fixture, spelled out
    [ "$(head -n 1 out.csv)" = "Email Address,First Name,Last Name,Birthday,Phone Number,Tags" ]
    [ "$(sed -n 2p out.csv)" = 'olga@mail.ru,Ольга,Смирнова,03/05,+79161234567,"birthday,vip"' ]
    [ "$(tail -n 1 out.csv)" = 'anna@mail.ru,Анна-Мария,"O'\''Neil, ""Jr""",,,"birthday,vip"' ]
}

@test "unisender, sendpulse and brevo: their columns; phones only with SMS consent" {
    for f in unisender sendpulse brevo; do
        cdp-export -q -f $f --suppress "$EX/suppress.txt" "$EX/profiles.ndjson" > $f.csv
        cmp $f.csv "$EX/expected/$f.csv"
    done
    [ "$(head -n 1 brevo.csv)" = "EMAIL;FIRSTNAME;LASTNAME;SMS" ]
    [ "$(head -n 1 unisender.csv)" = "email,phone,Name,tags" ]
    [ "$(head -n 1 sendpulse.csv)" = "email,phone,name" ]
    # SMS contacts: the mobile (p05's is the second of its phones), the
    # e-mail only with e-mail consent
    cdp-export -q -f brevo --channel sms --suppress "$EX/suppress.txt" "$EX/profiles.ndjson" > brevo-sms.csv
    cmp brevo-sms.csv "$EX/expected/brevo-sms.csv"
    cdp-export -q -f unisender --channel sms "$EX/profiles.ndjson" > unisender-sms.csv
    cmp unisender-sms.csv "$EX/expected/unisender-sms.csv"
}

@test "google-customer-match: hashes of Google's published examples" {
    run --separate-stderr cdp-export -f google-customer-match --suppress "$EX/suppress.txt" "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    cmp <(printf '%s\n' "$output") "$EX/expected/google-customer-match.csv"
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 8 exported, 8 skipped (1 gone, 2 no_contact, 1 no_consent, 3 suppressed, 1 duplicate), 1 rejected" ]
    # From developers.google.com/data-manager (send-audience-members): DanaM@example.com,
    # +1-800-555-0100; and cloudy.sanfrancisco+shopping@gmail.com, which the
    # formatting guide turns into cloudysanfrancisco@gmail.com, whose hash
    # the first guide publishes.
    [ "${lines[2]}" = "1df6b43bc68dd38eca94e6a65b4f466ae537b796c81a526918b40ac4a7b906c7,fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30,$(printf dana | sha256sum | cut -c1-64),$(printf mills | sha256sum | cut -c1-64),US,94016-1234" ]
    [ "${lines[4]}" = "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4,,$(printf cloudy | sha256sum | cut -c1-64),,," ]
    # names lower-cased in UTF-8, E.164 with '+', country and zip in clear
    [ "${lines[1]}" = "$(printf olga@mail.ru | sha256sum | cut -c1-64),$(printf +79161234567 | sha256sum | cut -c1-64),$(printf ольга | sha256sum | cut -c1-64),$(printf смирнова | sha256sum | cut -c1-64),RU,101000" ]
}

@test "meta: hashes of Meta's published examples, and its normalisation" {
    run --separate-stderr cdp-export -f meta --suppress "$EX/suppress.txt" "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    cmp <(printf '%s\n' "$output") "$EX/expected/meta.csv"
    [ "${lines[0]}" = "email,phone,fn,ln,ct,zip,country,doby,gen" ]
    h() { printf %s "$1" | sha256sum | cut -c1-64; }
    # developers.facebook.com, Customer File Custom Audiences, "Hashing":
    # mary@example.com and 15559876543 (digits, no '+')
    [ "${lines[3]}" = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79,1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e,$(h mary),$(h smith),$(h newyork),$(h 10001),$(h us),," ]
    # a US ZIP+4 to five digits, gender and year of birth
    [ "${lines[2]}" = "$(h danam@example.com),$(h 18005550100),$(h dana),$(h mills),$(h sanfrancisco),$(h 94016),$(h us),$(h 1990),$(h f)" ]
    # letters only, Cyrillic kept; no gmail rule for Meta
    [ "${lines[8]}" = "$(h anna@mail.ru),,$(h аннамария),$(h oneiljr),,,,," ]
    [ "${lines[4]}" = "$(h cloudy.sanfrancisco+shopping@gmail.com),,$(h cloudy),,,,,," ]
}

@test "sms: one mobile a line, no landlines; --no-plus" {
    run --separate-stderr cdp-export -f sms --suppress "$EX/suppress.txt" "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    cmp <(printf '%s\n' "$output") "$EX/expected/sms.txt"
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 2 exported, 14 skipped (1 gone, 9 no_phone, 2 no_mobile, 1 no_consent, 1 suppressed), 1 rejected" ]
    run -0 --separate-stderr cdp-export -q -f sms --no-plus --crlf "$EX/profiles.ndjson"
    [ "$output" = $'79161234567\r\n79031112233\r\n79995554433\r' ]
}

@test "csv: jq columns, a delimiter, a BOM, RFC 4180 quoting" {
    run --separate-stderr cdp-export -f csv --channel email -d ';' --bom \
        -c 'Email=.email' -c 'Имя=.first_name' -c 'Orders=.orders' -c 'Segments=.segments' \
        -c 'Note=if .cdp_id == "p14" then "a;b \"c\"" else null end' "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
﻿Email;Имя;Orders;Segments;Note
olga@mail.ru;Ольга;3;"[""birthday"",""vip""]";
" DanaM@Example.com ";" Dana ";;"[""vip""]";
mary@example.com;Mary;;"[""vip""]";
Cloudy.SanFrancisco+shopping@gmail.com;Cloudy;;"[""birthday""]";
held@mail.ru;Пётр;;"[""birthday""]";
control@mail.ru;Олег;;[];
spam.complainer@yandex.ru;Спам;;"[""vip""]";
hashed@mail.ru;Хэш;;"[""vip""]";
anna@mail.ru;Анна-Мария;;"[""birthday"",""vip""]";"a;b ""c"""
OUT
    [ "$(head -c 3 <<< "$output" | od -An -tx1 | tr -d ' ')" = efbbbf ]
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 9 exported, 7 skipped (1 gone, 3 no_email, 1 invalid_email, 1 no_consent, 1 duplicate), 1 rejected" ]
}

@test "csv with no channel: every profile; a failing jq column skips the profile, named" {
    run --separate-stderr cdp-export -f csv -c 'id=.cdp_id' -c 'n=.orders + 1' \
        -c 'cats=.segments | join("+")' "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
id,n,cats
p01,4,birthday+vip
p02,1,vip
p03,1,vip
p04,1,birthday
p05,1,vip
p06,1,vip
p07,1,vip
p08,1,birthday
p09,1,
p10,1,vip
p11,1,vip
p12,1,vip
p13,1,vip
p14,1,birthday+vip
p16,1,vip
OUT
    # p09 is in no segment: .segments[0] is null, which ascii_upcase refuses
    run --separate-stderr cdp-export -f csv -c 'id=.cdp_id' -c 'first=.segments[0] | ascii_upcase' \
        --rejects rej.ndjson -o out.csv "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    # the line that is not a profile, in the rejects file of every program (io/rejects.h)
    assert_file rej.ndjson <<OUT
{"_source":null,"file":"$EX/profiles.ndjson","line":16,"row":16,"code":"invalid_json","reason":"invalid JSON: Problem while parsing an atom starting with the letter 'n'","raw":"not a profile"}
OUT
    [ "$stderr" = "cdp-export: $EX/profiles.ndjson:9: -c first: explode input must be a string; profile skipped
cdp-export: $EX/profiles.ndjson:16: invalid JSON: Problem while parsing an atom starting with the letter 'n'; line rejected
cdp-export: 17 profiles read, 14 exported, 2 skipped (1 gone, 1 column_error), 1 rejected" ]
    [ "$(sed -n '1p;9,10p' out.csv)" = $'id,first\np08,BIRTHDAY\np10,VIP' ]
}

@test "ndjson: the profiles as read, filtered" {
    run --separate-stderr cdp-export -f ndjson --channel email -s vip "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    [ "$output" = "$(grep -E '"cdp_id":"p(0[123]|1[124])"' "$EX/profiles.ndjson")" ]
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 6 exported, 10 skipped (1 gone, 1 not_in_segment, 2 holdout, 3 no_email, 1 invalid_email, 1 no_consent, 1 duplicate), 1 rejected" ]
}

@test "consent: e-mail and SMS need true; ads need consent_ads when it is there, or with --strict-consent" {
    cat > in.ndjson <<'IN'
{"cdp_id":"a","email":"a@x.ru","phone":"+79160000001","consent_email":true,"consent_sms":true,"consent_ads":true}
{"cdp_id":"b","email":"b@x.ru","phone":"+79160000002","consent_email":false,"consent_sms":false,"consent_ads":false}
{"cdp_id":"c","email":"c@x.ru","phone":"+79160000003","consent_email":null,"consent_sms":"yes","consent_ads":null}
{"cdp_id":"d","email":"d@x.ru","phone":"+79160000004"}
IN
    run -0 --separate-stderr cdp-export -q -f sendpulse in.ndjson
    [ "$output" = $'email,phone,name\na@x.ru,+79160000001,' ]
    run -0 --separate-stderr cdp-export -q -f sms in.ndjson
    [ "$output" = "+79160000001" ]
    run --separate-stderr cdp-export -f meta --stats s.json in.ndjson
    [ "$status" -eq 0 ]
    [ "$(cut -c1-64 <<< "$output" | tail -n +2)" = "$(printf a@x.ru | sha256sum | cut -c1-64)
$(printf d@x.ru | sha256sum | cut -c1-64)" ]
    [ "$stderr" = "cdp-export: 4 profiles read, 2 exported, 2 skipped (2 no_consent), 0 rejected" ]
    [ "$(jq -c .counts s.json)" = '{"read":4,"exported":2,"skipped":2,"rejected":0,"exported_without_consent_ads":1}' ]
    run --separate-stderr cdp-export -f meta --strict-consent in.ndjson
    [ "$stderr" = "cdp-export: 4 profiles read, 1 exported, 3 skipped (3 no_consent), 0 rejected" ]
}

@test "a contact shared with a profile that refused is not written for the other" {
    # two profiles share an address (not merged: a mother and a son); one
    # unsubscribed: the address is not written, whichever comes first
    cat > in.ndjson <<'IN'
{"cdp_id":"son","email":"family@mail.ru","phone":"+79160000001","consent_email":true,"consent_sms":true}
{"cdp_id":"mother","email":"Family@Mail.ru","phones":["+79160000001"],"consent_email":false,"consent_sms":true}
{"cdp_id":"other","email":"other@mail.ru","consent_email":true}
IN
    run --separate-stderr cdp-export -f sendpulse < in.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = $'email,phone,name\nother@mail.ru,,' ]
    [ "$stderr" = "cdp-export: 3 profiles read, 1 exported, 2 skipped (1 no_consent, 1 refused_elsewhere), 0 rejected" ]
    # SMS consent was not refused: the phone goes once
    run --separate-stderr cdp-export -f sms in.ndjson
    [ "$output" = "+79160000001" ]
    [ "$stderr" = "cdp-export: 3 profiles read, 1 exported, 2 skipped (1 no_phone, 1 duplicate), 0 rejected" ]
}

@test "a refusal is found however the JSON is spelt" {
    cat > in.ndjson <<'IN'
{"cdp_id":"son","email":"family@mail.ru","consent_email":true}
{"cdp_id": "mother", "email": "Family@Mail.ru", "consent_email" : false}
{"cdp_id":"nephew","email":"aunt@mail.ru","consent_email":true}
{"cdp_id":"aunt","email":"aunt@mail.ru","consent\u005femail":false}
IN
    run --separate-stderr cdp-export -f sendpulse in.ndjson
    [ "$output" = "email,phone,name" ]
    [ "$stderr" = "cdp-export: 4 profiles read, 0 exported, 4 skipped (2 no_consent, 2 refused_elsewhere), 0 rejected" ]
}

@test "suppression: other case and spaces, a hash, a phone spelt otherwise, a CSV column" {
    run --separate-stderr cdp-export -f mailchimp --suppress "$EX/suppress.txt" --stats s.json "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    [[ "$stderr" == "cdp-export: $EX/suppress.txt:5: not an e-mail, phone or SHA-256 hash, ignored: 'no***ct'"$'\n'* ]]
    ! grep -q -e spam.complainer -e hashed@ <<< "$output"
    [ "$(jq -c .suppression_list s.json)" = '{"emails":1,"phones":1,"hashes":1,"ignored":1}' ]
    [ "$(jq .skipped.suppressed s.json)" -eq 2 ]
    # the phone list suppresses p13 from SMS
    run -0 --separate-stderr cdp-export -q -f sms --channel sms "$EX/profiles.ndjson"
    [[ "$output" == *"+79995554433"* ]]
    run -0 --separate-stderr cdp-export -q -f sms --suppress "$EX/suppress.txt" "$EX/profiles.ndjson"
    [[ "$output" != *"+79995554433"* ]]
    # Meta's hashed phone (digits only) suppresses too, and Google's gmail form
    printf '%s\n' "$(printf 79161234567 | sha256sum | cut -c1-64)" \
        "$(printf cloudysanfrancisco@gmail.com | sha256sum | cut -c1-64)" > hashes.txt
    run -0 --separate-stderr cdp-export -q -f mailchimp --suppress hashes.txt "$EX/profiles.ndjson"
    ! grep -q -e olga@ -e cloudy <<< "$output"
    # an unsubscribe export with its own header; zstd-compressed
    printf '"Email Address",Reason\n"  MARY@example.com",unsubscribed\n,\nnot-an-address,bounced\n' | zstd -q > unsub.csv.zst
    run --separate-stderr cdp-export -f mailchimp --suppress unsub.csv.zst --suppress-column 'Email Address' "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    ! grep -q mary@ <<< "$output"
    [[ "$stderr" == "cdp-export: unsub.csv.zst:4: not an e-mail, phone or SHA-256 hash, ignored: 'no***ss'"$'\n'* ]]
    run --separate-stderr cdp-export -f mailchimp --suppress unsub.csv.zst --suppress-column Email "$EX/profiles.ndjson"
    [ "$status" -eq 1 ]
    [ "${stderr%%$'\n'*}" = "cdp-export: --suppress unsub.csv.zst: no column 'Email'" ]
    run --separate-stderr cdp-export -f mailchimp --suppress missing.txt -o out.csv "$EX/profiles.ndjson"
    [ "$status" -eq 1 ]
    [[ "${stderr%%$'\n'*}" == "cdp-export: --suppress cannot open 'missing.txt'"* ]]
    [ ! -e out.csv ]
}

@test "control groups: held out of the segment asked for, never exported unless --include-holdout" {
    run --separate-stderr cdp-export -f sendpulse -s vip "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    ! grep -q -e held@ -e control@ <<< "$output"
    [ "${stderr##*$'\n'}" = "cdp-export: 17 profiles read, 6 exported, 10 skipped (1 gone, 1 not_in_segment, 2 holdout, 3 no_email, 1 invalid_email, 1 no_consent, 1 duplicate), 1 rejected" ]
    run -0 --separate-stderr cdp-export -q -f sendpulse -s vip --include-holdout "$EX/profiles.ndjson"
    grep -q held@ <<< "$output"
    grep -q control@ <<< "$output"
    # p08 is held out of vip but a member of birthday: asked for both, it goes
    run -0 --separate-stderr cdp-export -q -f sendpulse -s vip -s birthday "$EX/profiles.ndjson"
    grep -q held@ <<< "$output"
    ! grep -q control@ <<< "$output"
    # with no segment asked, nobody is left out for a holdout, and a held-out
    # segment is not among the tags
    run -0 --separate-stderr cdp-export -q -f mailchimp "$EX/profiles.ndjson"
    grep -qx 'held@mail.ru,Пётр,,,,birthday' <<< "$output"
    grep -qx 'control@mail.ru,Олег,,,,' <<< "$output"
}

@test "one row per contact, whatever the case of the address" {
    run -0 --separate-stderr cdp-export -q -f sendpulse "$EX/profiles.ndjson"
    [ "$(grep -c '^olga@mail.ru,' <<< "$output")" -eq 1 ]
    [ "$(tail -n +2 <<< "$output" | cut -d, -f1 | sort | uniq -d)" = "" ]
    # Google: one row per normalised address (the gmail dots)
    printf '%s\n' '{"cdp_id":"a","email":"j.doe@gmail.com","consent_ads":true}' \
        '{"cdp_id":"b","email":"jdoe+x@gmail.com","consent_ads":true}' > in.ndjson
    run --separate-stderr cdp-export -f google-customer-match in.ndjson
    [ "$output" = "Email,Phone,First Name,Last Name,Country,Zip
$(printf jdoe@gmail.com | sha256sum | cut -c1-64),,,,," ]
    [ "$stderr" = "cdp-export: 2 profiles read, 1 exported, 1 skipped (1 duplicate), 0 rejected" ]
}

@test "--stats: every profile counted once, with the files written" {
    run --separate-stderr cdp-export -f brevo --suppress "$EX/suppress.txt" -o out.csv --stats s.json "$EX/profiles.ndjson"
    [ "$status" -eq 0 ]
    assert_file s.json <<'OUT'
{"program":"cdp-export","counts":{"read":17,"exported":7,"skipped":9,"rejected":1},"skipped":{"gone":1,"not_in_segment":0,"holdout":0,"no_email":3,"invalid_email":1,"no_phone":0,"invalid_phone":0,"no_mobile":0,"no_contact":0,"no_consent":1,"suppressed":2,"refused_elsewhere":0,"duplicate":1,"column_error":0},"suppression_list":{"emails":1,"phones":1,"hashes":1,"ignored":1},"format":"brevo","channel":"email","files":["out.csv"]}
OUT
    [ "$(jq '.counts.exported + .counts.skipped + .counts.rejected == .counts.read' s.json)" = true ]
    [ "$(jq '[.skipped[]] | add' s.json)" -eq 9 ]
}

@test "deltas: additions and changes to OUT, leavers to --removed, the whole audience to --full" {
    cdp-export -q -f mailchimp --full full.csv -o day1.csv "$EX/profiles.ndjson"
    cmp day1.csv full.csv
    # The next day: Ольга (p01) unsubscribes, Dana's surname changes, Mary
    # leaves vip and birthday, someone new arrives.
    sed -e '/"p01"/s/"consent_email":true/"consent_email":false/' -e 's/"Mills"/"Miller"/' \
        -e '/"p03"/s/"segments":\["vip"\]/"segments":[]/' "$EX/profiles.ndjson" > day2.ndjson
    echo '{"cdp_id":"p20","first_name":"Вера","email":"vera@mail.ru","consent_email":true,"segments":["vip"]}' >> day2.ndjson
    run --separate-stderr cdp-export -f mailchimp -s vip -s birthday --include-holdout \
        --previous full.csv --removed removed.csv --full full.csv -o changes.csv --stats s.json day2.ndjson
    [ "$status" -eq 0 ]
    assert_file changes.csv <<'OUT'
Email Address,First Name,Last Name,Birthday,Phone Number,Tags
danam@example.com,Dana,Miller,12/31,,vip
vera@mail.ru,Вера,,,,vip
OUT
    # Ольга's address goes, though p10 shares it: she said no
    assert_file removed.csv <<'OUT'
Email Address,First Name,Last Name,Birthday,Phone Number,Tags
olga@mail.ru,Ольга,Смирнова,03/05,+79161234567,"birthday,vip"
mary@example.com,Mary,Smith,,+15559876543,vip
OUT
    [ "${stderr##*$'\n'}" = "cdp-export: 18 profiles read, 8 exported (1 added, 1 changed, 6 unchanged), 2 removed, 9 skipped (1 gone, 1 not_in_segment, 3 no_email, 1 invalid_email, 2 no_consent, 1 refused_elsewhere), 1 rejected" ]
    [ "$(jq -c '.counts' s.json)" = '{"read":18,"exported":8,"added":1,"changed":1,"unchanged":6,"removed":2,"skipped":9,"rejected":1}' ]
    [ "$(wc -l < full.csv)" -eq 9 ]
    grep -q '^vera@mail.ru,' full.csv
    ! grep -q -e '^olga@' -e '^mary@' full.csv
    # Nothing changed since: an empty delta
    run --separate-stderr cdp-export -f mailchimp -s vip -s birthday --include-holdout \
        --previous full.csv --removed removed.csv -o changes.csv day2.ndjson
    [ "$(cat changes.csv)" = "Email Address,First Name,Last Name,Birthday,Phone Number,Tags" ]
    [ "$(cat removed.csv)" = "Email Address,First Name,Last Name,Birthday,Phone Number,Tags" ]
    [ "${stderr##*$'\n'}" = "cdp-export: 18 profiles read, 8 exported (0 added, 0 changed, 8 unchanged), 0 removed, 9 skipped (1 gone, 1 not_in_segment, 3 no_email, 1 invalid_email, 2 no_consent, 1 refused_elsewhere), 1 rejected" ]
}

@test "deltas of hashed and line formats; a previous file of another format is refused" {
    cdp-export -q -f sms -o old.txt "$EX/profiles.ndjson"
    grep -v '"p05"' "$EX/profiles.ndjson" > in.ndjson
    run -0 --separate-stderr cdp-export -q -f sms --previous old.txt --removed gone.txt in.ndjson
    [ "$output" = "" ]
    [ "$(cat gone.txt)" = "+79031112233" ]
    cdp-export -q -f meta -o old.csv "$EX/profiles.ndjson"
    run -0 --separate-stderr cdp-export -q -f meta --previous old.csv --removed gone.csv in.ndjson
    [ "$output" = "$(head -n 1 old.csv)" ]
    [ "$(tail -n +2 gone.csv)" = "$(grep "^,$(printf 74951234567 | sha256sum | cut -c1-64)," old.csv)" ]
    run --separate-stderr cdp-export -f google-customer-match --previous old.csv --removed gone.csv -o new.csv in.ndjson
    [ "$status" -eq 1 ]
    [ "${stderr%%$'\n'*}" = "cdp-export: --previous old.csv: its header (email,phone,fn,ln,ct,zip,country,doby,gen) is not this export's: a delta needs the last export of the same format and columns" ]
    [ ! -e new.csv ]
    run cdp-export -f meta --previous nowhere.csv in.ndjson
    [ "$status" -eq 1 ]
}

@test "--split-rows: numbered parts with the header each; stale parts removed; mode 0600" {
    cat "$EX/profiles.ndjson" > in.ndjson
    umask 022
    run --separate-stderr cdp-export -f sendpulse --split-rows 3 -o out/aud.csv --stats s.json in.ndjson
    [ "$status" -eq 1 ]   # no folder out/
    mkdir out
    touch out/aud-0004.csv out/aud-0005.csv out/aud-0007.csv
    run --separate-stderr cdp-export -f sendpulse --split-rows 3 -o out/aud.csv --stats s.json in.ndjson
    [ "$status" -eq 0 ]
    [ "$(cd out && ls)" = "aud-0001.csv
aud-0002.csv
aud-0003.csv
aud-0007.csv" ]
    [ "$(jq -c .files s.json)" = '["out/aud-0001.csv","out/aud-0002.csv","out/aud-0003.csv"]' ]
    for f in out/aud-000[123].csv; do
        [ "$(head -n 1 $f)" = "email,phone,name" ]
        [ "$(stat -c %a $f)" = 600 ]
    done
    [ "$(wc -l < out/aud-0001.csv)" -eq 4 ]
    [ "$(wc -l < out/aud-0003.csv)" -eq 4 ]
    cmp <(cdp-export -q -f sendpulse in.ndjson) <(head -n 1 out/aud-0001.csv; tail -q -n +2 out/aud-000[123].csv)
    # exactly full parts: no empty last part; zstd by the name
    run -0 --separate-stderr cdp-export -q -f sendpulse --split-rows 9 -o out/z.csv.zst in.ndjson
    [ "$(cd out && ls z*)" = "z-0001.csv.zst" ]
    [ "$(zstd -dc out/z-0001.csv.zst | wc -l)" -eq 10 ]
    # --mode, and the whole file when not split
    run -0 --separate-stderr cdp-export -q -f sendpulse --mode 644 -o whole.csv in.ndjson
    [ "$(stat -c %a whole.csv)" = 644 ]
    run -0 --separate-stderr cdp-export -q -f sendpulse -o whole.csv in.ndjson
    [ "$(stat -c %a whole.csv)" = 600 ]
}

@test "every line accounted for: bad lines rejected, stdin, several files, a missing file" {
    printf '%s\n' '{"cdp_id":"x","email":"x@mail.ru","consent_email":true}' '[1,2]' '{"cdp_id":' '' \
        '{"cdp_id":"y","email":"y@mail.ru","consent_email":true}' > in.ndjson
    run --separate-stderr cdp-export -f sendpulse - "$EX/profiles.ndjson" < in.ndjson
    [ "$status" -eq 0 ]
    [ "$(head -n 3 <<< "$output")" = $'email,phone,name\nx@mail.ru,,\ny@mail.ru,,' ]
    [ "$stderr" = "cdp-export: (stdin):2: not a JSON object; line rejected
cdp-export: (stdin):3: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.; line rejected
cdp-export: $EX/profiles.ndjson:16: invalid JSON: Problem while parsing an atom starting with the letter 'n'; line rejected
cdp-export: 21 profiles read, 11 exported, 7 skipped (1 gone, 3 no_email, 1 invalid_email, 1 no_consent, 1 duplicate), 3 rejected" ]
    run --separate-stderr cdp-export -f sendpulse -o out.csv in.ndjson nowhere.ndjson
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"cdp-export: cannot open 'nowhere.ndjson'"* ]]
    [ ! -e out.csv ]
}

@test "lines of no asked segment are checked, not parsed: the same answers as parsing them" {
    # cdp-export looks for the asked names in a line before parsing it; these
    # lines would go wrong if it trusted that look too far: a bad line with
    # no asked name (3, 4, 11, 12), the name spelt with an escape (5), "gone"
    # (6), blanks before the object (7), names that only contain it (8), held
    # out (9), a number simdjson's checker might refuse (10)
    printf '%s\n' \
        '{"cdp_id":"a","email":"a@mail.ru","consent_email":true,"segments":["cart"]}' \
        '{"cdp_id":"b","email":"b@mail.ru","consent_email":true,"segments":["vip"]}' \
        '{"cdp_id":"c","email":"c@mail.ru","segments":["vip"],}' \
        '["vip"]' \
        '{"cdp_id":"d","email":"d@mail.ru","consent_email":true,"segments":["\u0063art"]}' \
        '{"cdp_id":"e","gone":true,"segments":[]}' \
        '  {"cdp_id":"f","email":"f@mail.ru","consent_email":true,"segments":["vip"]}' \
        '{"cdp_id":"h","email":"h@mail.ru","consent_email":true,"segments":["cart_old","vip cart"]}' \
        '{"cdp_id":"i","email":"i@mail.ru","consent_email":true,"segments":[],"holdout":["cart"]}' \
        '{"cdp_id":"j","email":"j@mail.ru","consent_email":true,"segments":["vip"],"n":1e999999}' \
        '{"cdp_id":"k","email":"k@mail.ru","consent_email":true,"segments":["vip"]} {}' > in.ndjson
    printf '{"cdp_id":"g","name":"\xff","segments":[]}\n' >> in.ndjson
    run --separate-stderr cdp-export -f sendpulse -s cart --rejects rejects.ndjson in.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = $'email,phone,name\na@mail.ru,,\nd@mail.ru,,' ]
    [ "$stderr" = "cdp-export: in.ndjson:3: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.; line rejected
cdp-export: in.ndjson:4: not a JSON object; line rejected
cdp-export: in.ndjson:11: invalid JSON: text after the object; line rejected
cdp-export: in.ndjson:12: invalid UTF-8; line rejected
cdp-export: 12 profiles read, 2 exported, 6 skipped (1 gone, 4 not_in_segment, 1 holdout), 4 rejected" ]
    [ "$(jq -c '[.line, .code, .raw == null]' rejects.ndjson | paste -sd ' ')" = '[3,"invalid_json",false] [4,"not_object",false] [11,"invalid_json",false] [12,"invalid_utf8",false]' ]
}

@test "with a forget list, lines of no asked segment are parsed for its identifiers alone: the same answers" {
    # The forget list holds one person: their cdp_id, e-mail, phone and crm/1.
    printf '%s\n' '{"_source":"crm","_rid":"1","_kind":"person","email":"gone@mail.ru","phone":"+79161234567"}' \
        '{"_source":"crm","_rid":"2","_kind":"person","email":"stay@mail.ru"}' > rec.ndjson
    cdp-dedupe -q --state st.zst -o ided.ndjson rec.ndjson
    id=$(jq -r 'select(._rid == "1") | .cdp_id' ided.ndjson)
    cdp-forget -q --state st.zst --forgotten fl.list --email gone@mail.ru ided.ndjson
    # Outside "cart" and theirs: by cdp_id (1), in an array (2, 3), a person
    # record (4, 14), a number simdjson's checker might refuse (10); outside
    # and not theirs: an event by "event" or _kind (5, 13), someone else (6),
    # an array field that is a string (11); bad (9, 12, and 15, where a
    # member the list does not read is followed by ":1}"); in "cart" (7, 8).
    printf '%s\n' \
        '{"cdp_id":"'"$id"'","segments":["vip"]}' \
        '{"cdp_id":"x1","emails":["a@b.ru","gone@mail.ru"],"segments":[]}' \
        '{"cdp_id":"x2","phones":["+79161234567"],"segments":["vip"]}' \
        '{"_source":"crm","_rid":"1","segments":[]}' \
        '{"_source":"crm","_rid":"1","event":"order","segments":[]}' \
        '{"cdp_id":"x3","email":"stay@mail.ru","segments":["vip"]}' \
        '{"cdp_id":"x4","email":"gone@mail.ru","consent_email":true,"segments":["cart"]}' \
        '{"cdp_id":"x5","email":"c@mail.ru","consent_email":true,"segments":["cart"]}' \
        '{"cdp_id":"'"$id"'","segments":["vip"],}' \
        '{"cdp_id":"x6","email":"gone@mail.ru","segments":["vip"],"n":1e999999}' \
        '{"cdp_id":"x7","emails":"gone@mail.ru","segments":[]}' \
        '{"cdp_id":"x8","email":"gone@mail.ru","segments":["vip"]} {}' \
        '{"_kind":"event","_source":"crm","_rid":"1","segments":[]}' \
        '{"_kind":"person","_source":"crm","_rid":"1","event":"x","segments":[]}' \
        '{"cdp_id":"x9","email":"gone@mail.ru","segments":["vip"],"o":"k":1}}' > in.ndjson
    run --separate-stderr cdp-export -f sendpulse -s cart --forgotten fl.list --rejects rejects.ndjson in.ndjson
    [ "$status" -eq 0 ]
    [ "$output" = $'email,phone,name\nc@mail.ru,,' ]
    [ "$stderr" = "cdp-export: in.ndjson:9: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.; line rejected
cdp-export: in.ndjson:12: invalid JSON: text after the object; line rejected
cdp-export: in.ndjson:15: invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.; line rejected
cdp-export: 15 profiles read, 1 exported, 11 skipped (4 not_in_segment, 7 forgotten), 3 rejected" ]
    [ "$(jq -c '[.line, .code]' rejects.ndjson | paste -sd ' ')" = '[9,"invalid_json"] [12,"invalid_json"] [15,"invalid_json"]' ]
}

@test "completions: bash offers the formats, channels and options" {
    comp=$BATS_TEST_DIRNAME/../completions
    run bash -c 'source "$1"; COMP_WORDS=(cdp-export --format g); COMP_CWORD=2; _cdp_export
        printf "%s\n" "${COMPREPLY[@]}"
        COMP_WORDS=(cdp-export --channel = s); COMP_CWORD=3; _cdp_export
        printf "%s\n" "${COMPREPLY[@]}"
        COMP_WORDS=(cdp-export --incl); COMP_CWORD=1; _cdp_export
        printf "%s\n" "${COMPREPLY[@]}"' _ "$comp/bash/cdp-export"
    [ "$status" -eq 0 ]
    assert_output <<'OUT'
google-customer-match
sms
--include-holdout
OUT
    if command -v zsh > /dev/null; then zsh -n "$comp/zsh/_cdp-export"; fi
    if command -v fish > /dev/null; then fish -n "$comp/fish/cdp-export.fish"; fi
}
