// phone.cc: see phone.h. The fast path is a port of the parts of
// libphonenumber's ParseHelper, IsValidNumber and GetNumberType that plain
// digit-and-punctuation input reaches (phonenumberutil.cc, 8.12.x); whatever
// it does not handle exactly it hands to libphonenumber itself.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

extern "C" {
#include "norm/digit_dfa.h"
#include "norm/phone.h"
}

// libphonenumber exports its compiled-in metadata but no header declares it.
namespace i18n {
namespace phonenumbers {
int metadata_size();
const void *metadata_get();
} // namespace phonenumbers
} // namespace i18n

namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's kMinLengthForNsn and kMaxLengthForNsn.
constexpr size_t kMinNsn = 2, kMaxNsn = 17;
// Longer input is rare and near the limits libphonenumber applies.
constexpr size_t kMaxFastInput = 250;
constexpr size_t kMaxCachedInput = 1024;

enum Outcome { kInvalid, kValid, kSlow };

struct Re {
    pcre2_code *code = nullptr; // null: no pattern, which matches nothing
    bool jit = false;
    // A whole-string pattern as an automaton (digit_dfa.h), when it could be
    // made one; code is then null and not needed. PCRE2's JIT took 190
    // instructions a match and a phone took 8 matches (1,530 of its 2,850
    // instructions); the automaton takes a few a digit.
    cdp_digit_dfa *dfa = nullptr;
    // A pattern of digits alone ("8", "810": most national and
    // international prefixes), matched by comparing: PCRE2 took 190
    // instructions to find an "8".
    std::string literal;
    // Bit 10 * a + b: input starting with digits a, b may match. Most input
    // fails most patterns on its first two digits, and this test is much
    // cheaper than running the pattern.
    uint64_t starts[2] = {0, 0};
};

struct Desc {
    Re re;
    uint32_t lengths = 0;     // bit n set: n is a possible length
    bool has_lengths = false; // without a list the general desc decides
};

// One PhoneMetadata with its patterns compiled, on first use only: a
// normaliser for RU rarely needs the other 250-odd territories.
struct Region {
    const PhoneMetadata *md = nullptr;
    int state = 0; // 0 not compiled yet, 1 ready, -1 unusable: slow path
    Desc general, fixed_line, mobile;
    Desc others[8]; // premium rate ... voicemail, in GetNumberTypeHelper's order
    int first_length = 0, last_length = 0; // of general_desc, as TestNumberLength reads them
    uint32_t local_lengths = 0;
    Re idd, national_prefix, leading_digits;
    // leading_digits as an automaton, when it could be made one: whether a
    // number begins as the region's do ("3[04-689]|[489]" for RU, tried on
    // every +7 number since KZ shares the code).
    cdp_digit_dfa *leading_dfa = nullptr;
    uint32_t prefix_groups = 0;
    // The type automaton (build_type_dfa): general, others, fixed_line and
    // mobile read at once; empty when it could not be made.
    std::vector<uint32_t> type_next; // 10 per state; 0 dead, 1 start
    std::vector<uint16_t> type_accepts; // per state: bit i, type_desc(i) accepts
    // Bit i: type_desc(i)'s lengths allow a number of n digits (n < 32; the
    // last entry for longer ones): what matches() tests before matching.
    uint16_t type_lengths[33] = {};
};

const enum cdp_phone_type kOtherTypes[8] = {
    CDP_PHONE_PREMIUM_RATE,    CDP_PHONE_TOLL_FREE, CDP_PHONE_SHARED_COST, CDP_PHONE_VOIP,
    CDP_PHONE_PERSONAL_NUMBER, CDP_PHONE_PAGER,     CDP_PHONE_UAN,         CDP_PHONE_VOICEMAIL,
};

enum LengthResult { kPossible, kLocalOnly, kTooShort, kTooLong, kInvalidLength };

// The cache: open addressing over 4-byte slots, each 7 bits of the hash (the
// top bit set, so 0 means empty) and the 24-bit offset of a record (Record,
// key, E.164) in a 16 MiB arena. The table is 2 MiB, which matters: on this
// project's machines a random read costs 20 ns from 2 MiB, over 100 from 8.
// When the table or the arena fills up everything is dropped, so answers
// never depend on what came before.
using Slot = uint32_t;
struct Record {
    uint16_t key_len;
    uint8_t e164_len;
    uint8_t result; // type, with 0x80 set when valid
};
constexpr size_t kSlots = size_t(1) << 19;
constexpr size_t kMaxEntries = kSlots / 2;
constexpr size_t kArenaSize = size_t(16) << 20;

// The cache pays only where numbers come again. On a CRM export, where each
// number is new (0.6% found), it cost 400 cycles a number (13% of
// cdp-ingest's CPU time on the 1M-row file: hashing twice, a look-up and a
// store in memory no core keeps, measured with and without it), more than
// the fast path it saves. So answers of the fast path are kept only while
// at least kMinHitShare of a window of kWindow calls were found; otherwise
// only a sample of the inputs (one in 2^kSampleBits, the same ones every
// time) is looked up and kept, and when enough of those are found again the
// cache is used for all once more. libphonenumber's answers (kSlow) are
// always kept: they cost 35 microseconds.
constexpr size_t kWindow = 4096;
constexpr size_t kMinHitShare = 4; // a quarter
constexpr int kSampleBits = 6;     // one input in 64

struct Result {
    bool valid;
    enum cdp_phone_type type;
    char e164[CDP_PHONE_E164_MAX];
};

} // namespace

struct cdp_phone_normalizer {
    std::string region_code;
    // libphonenumber itself, fetched when first needed (util()): making it
    // compiles its regular expressions with ICU, 31 million instructions,
    // half of cdp-ingest's start-up, for input the fast path mostly reads.
    const PhoneNumberUtil *lib = nullptr;
    PhoneMetadataCollection collection;
    std::vector<Region> regions;
    std::vector<int> by_cc[1000]; // region indices in libphonenumber's order
    int home = -1;
    pcre2_match_data *match = nullptr;
    Slot *slots = nullptr;
    char *arena = nullptr;
    size_t entries = 0, arena_used = 0;
    size_t n_fast = 0, n_slow = 0, n_cached = 0;
    bool keep_fast = true; // the fast path's answers are kept and looked up
    size_t window_calls = 0, window_seen = 0, window_found = 0;

    cdp_phone_normalizer() = default;
    cdp_phone_normalizer(const cdp_phone_normalizer &) = delete;
    cdp_phone_normalizer &operator=(const cdp_phone_normalizer &) = delete;
    ~cdp_phone_normalizer()
    {
        for (Region &r : regions) {
            for (Desc *d : {&r.general, &r.fixed_line, &r.mobile}) {
                pcre2_code_free(d->re.code);
                cdp_digit_dfa_free(d->re.dfa);
            }
            for (Desc &d : r.others) {
                pcre2_code_free(d.re.code);
                cdp_digit_dfa_free(d.re.dfa);
            }
            for (Re *re : {&r.idd, &r.national_prefix, &r.leading_digits})
                pcre2_code_free(re->code);
            cdp_digit_dfa_free(r.leading_dfa);
        }
        pcre2_match_data_free(match);
        free(slots);
        free(arena);
    }
};

namespace {

// Anchored at the start like libphonenumber's Consume; full adds the end
// anchor of its FullMatch. Both engines backtrack in the same (Perl) order.
pcre2_code *compile_only(const std::string &pattern, uint32_t options)
{
    int err;
    PCRE2_SIZE off;
    return pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                         PCRE2_ANCHORED | options, &err, &off, nullptr);
}

// Re.starts comes from asking PCRE2 which two-digit subjects match or could
// become a match with more input (a hard partial match). Start-up
// optimisations are off so that no shortcut rejects a subject unseen.
bool compile(const std::string &pattern, bool full, Re *re)
{
    // libphonenumber's largest pattern needs some 600 states.
    if (full && (re->dfa = cdp_digit_dfa_new(pattern.data(), pattern.size(), 20000)))
        return true;
    if (!full && !pattern.empty() && pattern.find_first_not_of("0123456789") == std::string::npos) {
        re->literal = pattern;
        return true;
    }
    uint32_t options = full ? PCRE2_ENDANCHORED : 0;
    re->code = compile_only(pattern, options);
    pcre2_code *probe = compile_only(pattern, options | PCRE2_NO_START_OPTIMIZE);
    pcre2_match_data *md = probe ? pcre2_match_data_create_from_pattern(probe, nullptr) : nullptr;
    bool ok = re->code && md;
    for (int i = 0; ok && i < 100; i++) {
        const unsigned char subject[2] = {uint8_t('0' + i / 10), uint8_t('0' + i % 10)};
        if (pcre2_match(probe, subject, 2, 0, PCRE2_PARTIAL_HARD, md, nullptr) !=
            PCRE2_ERROR_NOMATCH)
            re->starts[i / 64] |= uint64_t(1) << (i % 64);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(probe);
    if (ok)
        re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    return ok;
}

bool set_lengths(const google::protobuf::RepeatedField<int32_t> &list, uint32_t *mask)
{
    for (int n : list) {
        if (n == -1)
            continue; // "no numbers of this type"
        if (n < 0 || n > 31)
            return false;
        *mask |= uint32_t(1) << n;
    }
    return true;
}

bool set_desc(const PhoneNumberDesc &pd, Desc *d)
{
    d->has_lengths = pd.possible_length_size() > 0;
    if (!set_lengths(pd.possible_length(), &d->lengths))
        return false;
    return pd.national_number_pattern().empty() ||
           compile(pd.national_number_pattern(), true, &d->re);
}

// Whether d's possible lengths allow a national number of n digits (without
// a list, the general desc decides): what IsNumberMatchingDesc tests first.
bool length_allowed(const Desc &d, size_t n)
{
    return !(d.has_lengths && (n > 31 || !(d.lengths >> n & 1)));
}

// The descs number_type asks, in the order of Region::type_accepts' bits.
constexpr int kTypeDescs = 11; // general, others[0..7], fixed_line, mobile
constexpr size_t kMaxTypeStates = 20000;

const Desc &type_desc(const Region &r, int i)
{
    return i == 0 ? r.general : i <= 8 ? r.others[i - 1] : i == 9 ? r.fixed_line : r.mobile;
}

// The product of the eleven automata number_type would run one after the
// other: one walk over the number says which of them match. number_type
// took 560 instructions a phone, running them in turn (callgrind, 1C
// export). Not made when a desc's pattern is no automaton (PCRE2 runs it),
// or past kMaxTypeStates states; number_type then runs them in turn.
void build_type_dfa(Region &r)
{
    using Tuple = std::array<uint32_t, kTypeDescs>;
    struct TupleHash {
        size_t operator()(const Tuple &t) const
        {
            uint64_t h = 0;
            for (uint32_t v : t)
                h = (h ^ v) * 0x9E3779B97F4A7C15u;
            return size_t(h ^ (h >> 29));
        }
    };
    const cdp_digit_dfa *dfa[kTypeDescs];
    Tuple start{};
    for (int i = 0; i < kTypeDescs; i++) {
        const Re &re = type_desc(r, i).re;
        if (re.code)
            return; // PCRE2's: no automaton to take the product of
        dfa[i] = re.dfa; // null: no pattern, which matches nothing
        start[i] = re.dfa ? 1 : 0;
    }
    std::vector<Tuple> states{Tuple{}, start};
    std::unordered_map<Tuple, uint32_t, TupleHash> ids{{Tuple{}, 0}, {start, 1}};
    std::vector<uint32_t> next;
    std::vector<uint16_t> accepts;
    for (size_t id = 0; id < states.size(); id++) {
        const Tuple cur = states[id];
        uint16_t acc = 0;
        for (int i = 0; i < kTypeDescs; i++)
            if (dfa[i] && dfa[i]->accept[cur[i]])
                acc = uint16_t(acc | 1u << i);
        accepts.push_back(acc);
        for (int d = 0; d < 10; d++) {
            Tuple to{};
            for (int i = 0; i < kTypeDescs; i++)
                to[i] = dfa[i] ? dfa[i]->next[size_t(cur[i]) * 10 + size_t(d)] : 0;
            auto found = ids.find(to);
            if (found != ids.end()) {
                next.push_back(found->second);
                continue;
            }
            if (states.size() == kMaxTypeStates)
                return;
            ids.emplace(to, uint32_t(states.size()));
            next.push_back(uint32_t(states.size()));
            states.push_back(to);
        }
    }
    r.type_next = std::move(next);
    r.type_accepts = std::move(accepts);
    for (size_t n = 0; n <= 32; n++)
        for (int i = 0; i < kTypeDescs; i++)
            if (length_allowed(type_desc(r, i), n))
                r.type_lengths[n] = uint16_t(r.type_lengths[n] | 1u << i);
}

bool prepare(Region &r)
{
    if (r.state)
        return r.state > 0;
    r.state = -1;
    const PhoneMetadata &md = *r.md;
    const PhoneNumberDesc *others[8] = {
        &md.premium_rate(),    &md.toll_free(), &md.shared_cost(), &md.voip(),
        &md.personal_number(), &md.pager(),     &md.uan(),         &md.voicemail(),
    };
    if (!set_desc(md.general_desc(), &r.general) || !set_desc(md.fixed_line(), &r.fixed_line) ||
        !set_desc(md.mobile(), &r.mobile))
        return false;
    for (int i = 0; i < 8; i++)
        if (!set_desc(*others[i], &r.others[i]))
            return false;
    const auto &gl = md.general_desc().possible_length();
    if (gl.empty())
        return false; // libphonenumber would read past the end
    r.first_length = gl.Get(0);
    r.last_length = gl.Get(gl.size() - 1);
    if (!set_lengths(md.general_desc().possible_length_local_only(), &r.local_lengths))
        return false;
    if (!compile(md.international_prefix(), false, &r.idd))
        return false;
    if (!md.national_prefix_for_parsing().empty()) {
        if (!compile(md.national_prefix_for_parsing(), false, &r.national_prefix))
            return false;
        if (r.national_prefix.code)
            pcre2_pattern_info(r.national_prefix.code, PCRE2_INFO_CAPTURECOUNT, &r.prefix_groups);
    }
    if (md.has_leading_digits()) {
        if (!compile(md.leading_digits(), false, &r.leading_digits))
            return false;
        r.leading_dfa = cdp_digit_dfa_new(md.leading_digits().data(), md.leading_digits().size(), 20000);
    }
    build_type_dfa(r);
    r.state = 1;
    return true;
}

int exec(cdp_phone_normalizer *pn, const Re &re, std::string_view s)
{
    if (!re.code)
        return PCRE2_ERROR_NOMATCH;
    if (s.size() >= 2) {
        unsigned i = unsigned(s[0] - '0') * 10 + unsigned(s[1] - '0');
        if (!(re.starts[i / 64] >> (i % 64) & 1))
            return PCRE2_ERROR_NOMATCH;
    }
    auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
    return re.jit ? pcre2_jit_match(re.code, subject, s.size(), 0, 0, pn->match, nullptr)
                  : pcre2_match(re.code, subject, s.size(), 0, 0, pn->match, nullptr);
}

// Returns the end of the match, or -1.
long run(cdp_phone_normalizer *pn, const Re &re, std::string_view s)
{
    if (re.dfa)
        return cdp_digit_dfa_match(re.dfa, s.data(), s.size()) ? long(s.size()) : -1;
    if (!re.literal.empty())
        return s.substr(0, re.literal.size()) == re.literal ? long(re.literal.size()) : -1;
    return exec(pn, re, s) < 0 ? -1 : long(pcre2_get_ovector_pointer(pn->match)[1]);
}

// Whether num begins as the region's numbers do (its leading_digits, which
// the caller checked it has).
bool leads(cdp_phone_normalizer *pn, const Region &r, std::string_view num)
{
    if (r.leading_dfa)
        return cdp_digit_dfa_match_prefix(r.leading_dfa, num.data(), num.size());
    return run(pn, r.leading_digits, num) >= 0;
}

// libphonenumber's IsMatch: the whole of s matches the pattern; no lengths.
bool is_match(cdp_phone_normalizer *pn, const Desc &d, std::string_view s)
{
    return run(pn, d.re, s) >= 0;
}

// IsNumberMatchingDesc.
bool matches(cdp_phone_normalizer *pn, const Desc &d, std::string_view nsn)
{
    return length_allowed(d, nsn.size()) && is_match(pn, d, nsn);
}

// TestNumberLength for PhoneNumberUtil::UNKNOWN.
LengthResult test_length(const Region &r, size_t n)
{
    if (r.first_length == -1)
        return kInvalidLength;
    if (n < 32 && (r.local_lengths >> n & 1))
        return kLocalOnly;
    if (size_t(r.first_length) == n)
        return kPossible;
    if (size_t(r.first_length) > n)
        return kTooShort;
    if (r.last_length < 0 || size_t(r.last_length) < n)
        return kTooLong;
    return n < 32 && (r.general.lengths >> n & 1) ? kPossible : kInvalidLength;
}

// GetNumberTypeHelper's decision, given match(i): whether the number
// matches type_desc(i). Asked in libphonenumber's order and only as far as
// needed, so that a match run by PCRE2 is not run for nothing.
template <class Match>
enum cdp_phone_type type_decision(const Region &r, Match match)
{
    if (!match(0))
        return CDP_PHONE_UNKNOWN;
    for (int i = 0; i < 8; i++)
        if (match(i + 1))
            return kOtherTypes[i];
    bool same = r.md->same_mobile_and_fixed_line_pattern();
    if (match(9))
        return same || match(10) ? CDP_PHONE_FIXED_LINE_OR_MOBILE : CDP_PHONE_FIXED_LINE;
    return !same && match(10) ? CDP_PHONE_MOBILE : CDP_PHONE_UNKNOWN;
}

// GetNumberTypeHelper: by the type automaton's one walk when the region has
// one, else by matching the descs in turn.
enum cdp_phone_type number_type(cdp_phone_normalizer *pn, const Region &r, std::string_view nsn)
{
    if (r.type_next.empty())
        return type_decision(r, [&](int i) { return matches(pn, type_desc(r, i), nsn); });
    uint32_t state = 1;
    for (size_t i = 0; i < nsn.size() && state; i++) {
        unsigned d = unsigned(static_cast<unsigned char>(nsn[i])) - '0';
        state = d > 9 ? 0 : r.type_next[size_t(state) * 10 + d];
    }
    // Bit i: matches(type_desc(i)) would say yes.
    unsigned m = r.type_accepts[state] & r.type_lengths[nsn.size() < 32 ? nsn.size() : 32];
    return type_decision(r, [m](int i) { return (m >> i & 1) != 0; });
}

// MaybeStripNationalPrefixAndCarrierCode without the transform rule: when the
// rule would apply, the caller takes the slow path.
bool strip_national_prefix(cdp_phone_normalizer *pn, const Region &r, std::string_view *num)
{
    if (num->empty())
        return true;
    size_t end;
    if (!r.national_prefix.literal.empty()) {
        long e = run(pn, r.national_prefix, *num); // no groups: nothing to transform
        if (e < 0)
            return true;
        end = size_t(e);
    } else {
        int rc = exec(pn, r.national_prefix, *num);
        if (rc < 0)
            return true;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(pn->match);
        if (!r.md->national_prefix_transform_rule().empty() && r.prefix_groups > 0) {
            // libphonenumber transforms when the second group (the first, if
            // the pattern has only one) captured something.
            int g = r.prefix_groups >= 2 ? 2 : 1;
            if ((rc == 0 || g < rc) && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] > ov[2 * g])
                return false;
        }
        end = ov[1];
    }
    std::string_view rest = num->substr(end);
    if (is_match(pn, r.general, *num) && !is_match(pn, r.general, rest))
        return true;
    *num = rest;
    return true;
}

Region *main_region(cdp_phone_normalizer *pn, int cc)
{
    return &pn->regions[size_t(pn->by_cc[cc].front())];
}

// ExtractCountryCode.
int extract_country_code(cdp_phone_normalizer *pn, std::string_view *num)
{
    if (num->empty() || (*num)[0] == '0')
        return 0;
    int cc = 0;
    for (size_t i = 0; i < 3 && i < num->size(); i++) {
        cc = cc * 10 + ((*num)[i] - '0');
        if (!pn->by_cc[cc].empty()) {
            num->remove_prefix(i + 1);
            return cc;
        }
    }
    return 0;
}

enum CcResult { kCcOk, kCcInvalid, kCcError, kCcSlow };

// MaybeExtractCountryCode on digits that had plus (the leading '+') or not.
// kCcInvalid stands for INVALID_COUNTRY_CODE_ERROR, kCcError for the others.
CcResult extract_cc(cdp_phone_normalizer *pn, bool plus, std::string_view *num, int *cc)
{
    Region &home = pn->regions[size_t(pn->home)];
    *cc = 0;
    bool international = plus;
    if (!plus) {
        long end = run(pn, home.idd, *num);
        // A country calling code never starts with 0, so that was no IDD.
        if (end >= 0 && !(size_t(end) < num->size() && (*num)[size_t(end)] == '0')) {
            num->remove_prefix(size_t(end));
            international = true;
        }
    }
    if (international) {
        if (num->size() <= kMinNsn)
            return kCcError;
        *cc = extract_country_code(pn, num);
        return *cc ? kCcOk : kCcInvalid;
    }
    // The number may start with the home country's code, written without '+'
    // (in decimal by hand: snprintf was an eighth of the fast path's cost).
    char code[8];
    int n = 0, cc_home = home.md->country_code();
    for (int div = cc_home >= 100 ? 100 : cc_home >= 10 ? 10 : 1; div > 0; div /= 10)
        code[n++] = char('0' + cc_home / div % 10);
    if (n > 0 && num->substr(0, size_t(n)) == std::string_view(code, size_t(n))) {
        std::string_view rest = num->substr(size_t(n));
        if (!strip_national_prefix(pn, home, &rest))
            return kCcSlow;
        if ((!is_match(pn, home.general, *num) && is_match(pn, home.general, rest)) ||
            test_length(home, num->size()) == kTooLong) {
            *num = rest;
            *cc = home.md->country_code();
        }
    }
    return kCcOk;
}

Outcome fast_path(cdp_phone_normalizer *pn, const char *s, size_t len, Result *res)
{
    if (len > kMaxFastInput)
        return kSlow;
    // PCRE2's JIT reads a little past the end of a subject (harmlessly, but
    // valgrind objects to uninitialised bytes there): the tail is zeroed.
    char digits[kMaxFastInput + 64];
    size_t n = 0, first = len, last = 0;
    bool plus = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (first == len)
                first = i;
            last = i;
            digits[n++] = c;
        } else if (c == '+') {
            // Pluses after a digit or repeated are parsed in ways not ported.
            if (plus || n)
                return kSlow;
            plus = true;
            first = i;
        } else if (c != ' ' && c != '\t' && c != '-' && c != '.' && c != '/' && c != '(' &&
                   c != ')') {
            return kSlow;
        }
    }
    memset(digits + n, 0, 64);
    // libphonenumber needs three digits to see a number, but takes exactly two
    // digits alone: leave that odd case to it.
    if (n < 2)
        return kInvalid;
    if (n == 2)
        return kSlow;
    // A tab is not phone punctuation to libphonenumber; around the number it
    // is trimmed, inside it the input is no number at all. Rare: not ported.
    if (memchr(s + first, '\t', last - first))
        return kSlow;
    if (!prepare(pn->regions[size_t(pn->home)]))
        return kSlow;

    // ParseHelper.
    std::string_view num(digits, n);
    int cc;
    CcResult cr = extract_cc(pn, plus, &num, &cc);
    if (cr == kCcInvalid && plus) {
        // libphonenumber retries without the plus sign.
        num = std::string_view(digits, n);
        cr = extract_cc(pn, false, &num, &cc);
        if (cr == kCcSlow)
            return kSlow;
        if (cc == 0)
            return kInvalid;
    } else if (cr == kCcSlow) {
        return kSlow;
    } else if (cr != kCcOk) {
        return kInvalid;
    }
    Region *meta = &pn->regions[size_t(pn->home)];
    if (cc)
        meta = main_region(pn, cc);
    else
        cc = meta->md->country_code();
    if (!prepare(*meta))
        return kSlow;
    if (num.size() < kMinNsn)
        return kInvalid;
    std::string_view stripped = num;
    if (!strip_national_prefix(pn, *meta, &stripped))
        return kSlow;
    LengthResult lr = test_length(*meta, stripped.size());
    if (lr == kPossible || lr == kTooLong)
        num = stripped;
    if (num.size() < kMinNsn || num.size() > kMaxNsn)
        return kInvalid;

    // GetRegionCodeForNumber, then IsValidNumberForRegion and GetNumberType.
    // The national significant number keeps its leading zeros: libphonenumber
    // records them (italian_leading_zero, number_of_leading_zeros) and puts
    // them back, so it equals the digits left here.
    const std::vector<int> &list = pn->by_cc[cc];
    Region *region = nullptr;
    enum cdp_phone_type type = CDP_PHONE_UNKNOWN;
    if (list.size() == 1) {
        region = &pn->regions[size_t(list[0])];
        if (!prepare(*region))
            return kSlow;
        type = number_type(pn, *region, num);
    } else {
        for (int i : list) {
            Region &r = pn->regions[size_t(i)];
            if (!prepare(r))
                return kSlow;
            if (r.md->has_leading_digits()) {
                if (!leads(pn, r, num))
                    continue;
                type = number_type(pn, r, num);
            } else if ((type = number_type(pn, r, num)) == CDP_PHONE_UNKNOWN) {
                continue;
            }
            region = &r;
            break;
        }
    }
    if (!region || type == CDP_PHONE_UNKNOWN)
        return kInvalid;
    res->valid = true;
    res->type = type;
    char *p = res->e164;
    *p++ = '+';
    if (cc >= 100)
        *p++ = char('0' + cc / 100);
    if (cc >= 10)
        *p++ = char('0' + cc / 10 % 10);
    *p++ = char('0' + cc % 10);
    memcpy(p, num.data(), num.size());
    p[num.size()] = '\0';
    return kValid;
}

enum cdp_phone_type from_lib(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return CDP_PHONE_FIXED_LINE;
    case PhoneNumberUtil::MOBILE: return CDP_PHONE_MOBILE;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return CDP_PHONE_FIXED_LINE_OR_MOBILE;
    case PhoneNumberUtil::TOLL_FREE: return CDP_PHONE_TOLL_FREE;
    case PhoneNumberUtil::PREMIUM_RATE: return CDP_PHONE_PREMIUM_RATE;
    case PhoneNumberUtil::SHARED_COST: return CDP_PHONE_SHARED_COST;
    case PhoneNumberUtil::VOIP: return CDP_PHONE_VOIP;
    case PhoneNumberUtil::PERSONAL_NUMBER: return CDP_PHONE_PERSONAL_NUMBER;
    case PhoneNumberUtil::PAGER: return CDP_PHONE_PAGER;
    case PhoneNumberUtil::UAN: return CDP_PHONE_UAN;
    case PhoneNumberUtil::VOICEMAIL: return CDP_PHONE_VOICEMAIL;
    default: return CDP_PHONE_UNKNOWN;
    }
}

const PhoneNumberUtil *util(cdp_phone_normalizer *pn)
{
    if (!pn->lib)
        pn->lib = PhoneNumberUtil::GetInstance();
    return pn->lib;
}

void slow_path(cdp_phone_normalizer *pn, const char *s, size_t len, Result *res)
{
    PhoneNumber number;
    std::string e164;
    const PhoneNumberUtil *lib = util(pn);
    if (lib->Parse(std::string(s, len), pn->region_code, &number) !=
            PhoneNumberUtil::NO_PARSING_ERROR ||
        !lib->IsValidNumber(number))
        return;
    lib->Format(number, PhoneNumberUtil::E164, &e164);
    if (e164.size() >= sizeof res->e164)
        return; // cannot happen: at most 21
    res->valid = true;
    res->type = from_lib(lib->GetNumberType(number));
    memcpy(res->e164, e164.c_str(), e164.size() + 1);
}

uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ len;
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 32;
    return h;
}

constexpr uint32_t kOffsetMask = (uint32_t(1) << 24) - 1;
static_assert(kArenaSize - 1 <= kOffsetMask, "arena offsets take 24 bits");

uint32_t tag_of(uint64_t h)
{
    return uint32_t(h >> 56 | 0x80) << 24;
}

// Returns the key's slot, or the empty slot where it belongs.
Slot *cache_find(cdp_phone_normalizer *pn, uint64_t h, const char *s, size_t len)
{
    uint32_t tag = tag_of(h);
    for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
        Slot *sl = &pn->slots[i];
        if (!*sl)
            return sl;
        if ((*sl & ~kOffsetMask) != tag)
            continue;
        const char *p = pn->arena + (*sl & kOffsetMask);
        Record rec;
        memcpy(&rec, p, sizeof rec);
        if (rec.key_len == len && !memcmp(p + sizeof rec, s, len))
            return sl;
    }
}

void cache_get(const cdp_phone_normalizer *pn, const Slot *sl, Result *res)
{
    const char *p = pn->arena + (*sl & kOffsetMask);
    Record rec;
    memcpy(&rec, p, sizeof rec);
    res->valid = rec.result & 0x80;
    res->type = static_cast<enum cdp_phone_type>(rec.result & 0x7f);
    memcpy(res->e164, p + sizeof rec + rec.key_len, rec.e164_len);
    res->e164[rec.e164_len] = '\0';
}

// sl: the empty slot cache_find gave for this key.
void cache_put(cdp_phone_normalizer *pn, Slot *sl, uint64_t h, const char *s, size_t len,
               const Result &res)
{
    Record rec = {uint16_t(len), uint8_t(res.valid ? strlen(res.e164) : 0),
                  uint8_t(res.type | (res.valid ? 0x80 : 0))};
    size_t size = sizeof rec + len + rec.e164_len;
    if (pn->entries >= kMaxEntries || pn->arena_used + size > kArenaSize) {
        memset(pn->slots, 0, kSlots * sizeof(Slot));
        pn->entries = pn->arena_used = 0;
        sl = &pn->slots[h & (kSlots - 1)];
    }
    char *p = pn->arena + pn->arena_used;
    memcpy(p, &rec, sizeof rec);
    memcpy(p + sizeof rec, s, len);
    memcpy(p + sizeof rec + len, res.e164, rec.e164_len);
    *sl = tag_of(h) | uint32_t(pn->arena_used);
    pn->arena_used += size;
    pn->entries++;
}

bool is_ascii_letter(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

// Whether bytes [from, to) hold a letter: an ASCII one, or any non-ASCII
// character (a Cyrillic "моб."; digits and punctuation of phone numbers are
// ASCII, fullwidth forms aside, which no note needs).
bool has_letter(const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (is_ascii_letter((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

// See cdp_phone_note_at.
size_t note_at(const char *s, size_t len)
{
    const char *comma = static_cast<const char *>(memchr(s, ',', len));
    size_t end = comma ? size_t(comma - s) : len;
    for (;;) {
        size_t e = end;
        while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (!e || s[e - 1] != ')')
            return end;
        size_t open = e - 1;
        while (open && s[open - 1] != '(' && s[open - 1] != ')')
            open--;
        if (!open || s[open - 1] != '(' || !has_letter(s, open, e - 1))
            return end;
        end = open - 1;
    }
}

int deliver(const Result &res, char out[CDP_PHONE_E164_MAX], enum cdp_phone_type *type)
{
    if (res.valid)
        memcpy(out, res.e164, strlen(res.e164) + 1);
    else
        out[0] = '\0';
    if (type)
        *type = res.valid ? res.type : CDP_PHONE_UNKNOWN;
    return res.valid;
}

// Whether an input is in the sample looked up while the cache is not used
// for all: decided by its last (up to) eight bytes, multiplied, which is
// cheaper than hash_bytes (hashing every input was 1% of cdp-ingest's time
// on a CRM export, and a look-up in one of 16 another 1.6%).
bool sampled(const char *s, size_t len)
{
    uint64_t w = 0;
    size_t n = len < 8 ? len : 8;
    memcpy(&w, s + len - n, n);
    return (w * 0x9e3779b97f4a7c15u) >> (64 - kSampleBits) == 0;
}

// Counts a call for the cache's window (seen: it was looked up; found: and
// found), and at the window's end decides whether the fast path's answers
// are kept (see kWindow).
void count_call(cdp_phone_normalizer *pn, bool seen, bool found)
{
    pn->window_seen += seen;
    pn->window_found += found;
    if (++pn->window_calls < kWindow)
        return;
    bool worth = pn->window_found * kMinHitShare >= pn->window_seen;
    if (pn->window_seen >= (kWindow >> kSampleBits) / 2)
        pn->keep_fast = worth;
    pn->window_calls = pn->window_seen = pn->window_found = 0;
}

// Looks the input up: true with its answer in *res when it is cached (the
// hit counted in the cache's window when window, a look-up of the fast
// path's inputs), else false with the empty slot for it in *sl.
bool cache_hit(cdp_phone_normalizer *pn, uint64_t h, const char *text, size_t len, bool window,
               Slot **sl, Result *res)
{
    *sl = cache_find(pn, h, text, len);
    if (!**sl)
        return false;
    pn->n_cached++;
    count_call(pn, window, window);
    cache_get(pn, *sl, res);
    return true;
}

} // namespace

extern "C" {

struct cdp_phone_normalizer *cdp_phone_normalizer_new(const char *region, char *err, size_t errlen)
{
    cdp_phone_normalizer *pn = nullptr;
    try {
        pn = new cdp_phone_normalizer;
        pn->region_code = region ? region : "";
        namespace ph = i18n::phonenumbers;
        if (!pn->collection.ParseFromArray(ph::metadata_get(), ph::metadata_size())) {
            if (err)
                snprintf(err, errlen, "cannot read libphonenumber's metadata");
            delete pn;
            return nullptr;
        }
        // The order of regions sharing a code matters (GetRegionCodeForNumber
        // tries them in turn): the main country first, the rest as listed.
        pn->regions.resize(size_t(pn->collection.metadata_size()));
        for (int i = 0; i < pn->collection.metadata_size(); i++) {
            const PhoneMetadata &md = pn->collection.metadata(i);
            pn->regions[size_t(i)].md = &md;
            int cc = md.country_code();
            if (md.id() == "ZZ" || cc <= 0 || cc > 999)
                continue;
            std::vector<int> &list = pn->by_cc[cc];
            if (md.main_country_for_code())
                list.insert(list.begin(), i);
            else
                list.push_back(i);
            if (md.id() == pn->region_code && md.id() != "001" && pn->home < 0)
                pn->home = i;
        }
        if (pn->home < 0) {
            if (err)
                snprintf(err, errlen, "unknown region '%s'", pn->region_code.c_str());
            delete pn;
            return nullptr;
        }
        pn->match = pcre2_match_data_create(16, nullptr);
        // Zeroed by writing, not calloc: calloc's pages are the shared zero
        // page until first written, and each first write then flushes the
        // page from every CPU's TLB (an interprocessor interrupt per page,
        // 1.8% of cdp-ingest's time on the 1M-row CRM file, perf). The
        // barrier keeps the compiler from making malloc and memset calloc.
        pn->slots = static_cast<Slot *>(malloc(kSlots * sizeof(Slot)));
        pn->arena = static_cast<char *>(malloc(kArenaSize));
        if (!pn->match || !pn->slots || !pn->arena)
            throw std::bad_alloc();
        __asm__ volatile("" : : "r"(pn->slots) : "memory");
        memset(pn->slots, 0, kSlots * sizeof(Slot));
        return pn;
    } catch (...) {
        if (err)
            snprintf(err, errlen, "out of memory");
        delete pn;
        return nullptr;
    }
}

void cdp_phone_normalizer_free(struct cdp_phone_normalizer *pn)
{
    delete pn;
}

int cdp_phone_normalize(struct cdp_phone_normalizer *pn, const char *text, size_t len,
                        char out[CDP_PHONE_E164_MAX], enum cdp_phone_type *type)
{
    Result res = {false, CDP_PHONE_UNKNOWN, ""};
    if (len == 0)
        text = ""; // may be NULL, which memcpy and memcmp must not see
    try {
        bool cacheable = len <= kMaxCachedInput;
        // Looked up first: every input while the cache is worth it, else a
        // sample (the same inputs every time, so that repeats show).
        bool seen = cacheable && (pn->keep_fast || sampled(text, len));
        uint64_t h = seen ? hash_bytes(text, len) : 0;
        Slot *sl = nullptr;
        if (seen && cache_hit(pn, h, text, len, true, &sl, &res))
            return deliver(res, out, type);
        bool keep = seen;
        Outcome o = fast_path(pn, text, len, &res);
        if (o == kSlow) {
            res = Result{false, CDP_PHONE_UNKNOWN, ""};
            if (cacheable && !seen) {
                // libphonenumber's answers are always kept.
                h = hash_bytes(text, len);
                if (cache_hit(pn, h, text, len, false, &sl, &res))
                    return deliver(res, out, type);
                keep = true;
            }
            pn->n_slow++;
            slow_path(pn, text, len, &res);
        } else {
            pn->n_fast++;
        }
        count_call(pn, seen, false);
        size_t note = res.valid ? len : note_at(text, len);
        if (note < len) {
            // "8(921)3251596 (моб.)": the number without its note, which
            // libphonenumber 8.12 rejects whole (later versions read it)
            char e164[CDP_PHONE_E164_MAX];
            enum cdp_phone_type t;
            if (cdp_phone_normalize(pn, text, note, e164, &t)) {
                res.valid = true;
                res.type = t;
                memcpy(res.e164, e164, sizeof e164);
            }
            sl = keep ? cache_find(pn, h, text, len) : nullptr; // the call may have moved things
        }
        if (keep)
            cache_put(pn, sl, h, text, len, res);
    } catch (...) {
        res = Result{false, CDP_PHONE_UNKNOWN, ""};
    }
    return deliver(res, out, type);
}

void cdp_phone_prefetch(const struct cdp_phone_normalizer *pn, const char *text, size_t len)
{
    if (len == 0 || len > kMaxCachedInput || !pn->keep_fast)
        return;
    __builtin_prefetch(&pn->slots[hash_bytes(text, len) & (kSlots - 1)]);
}

int cdp_phone_normalize_reference(struct cdp_phone_normalizer *pn, const char *text, size_t len,
                                  char out[CDP_PHONE_E164_MAX], enum cdp_phone_type *type)
{
    Result res = {false, CDP_PHONE_UNKNOWN, ""};
    if (len == 0)
        text = "";
    try {
        slow_path(pn, text, len, &res);
    } catch (...) {
        res = Result{false, CDP_PHONE_UNKNOWN, ""};
    }
    return deliver(res, out, type);
}

// A libphonenumber region id as cdp_phone_region gives it: two capital
// letters; 0 for "ZZ" (unknown) and "001" (a number of no country: +800,
// +882...).
static int region_code(const std::string &id, char region[3])
{
    if (id.size() != 2 || id == "ZZ" || id[0] < 'A' || id[0] > 'Z')
        return 0;
    region[0] = id[0];
    region[1] = id[1];
    region[2] = '\0';
    return 1;
}

// GetRegionCodeForNumber on a number cdp_phone_normalize called valid: the
// region list of its country code, tried as the fast path tries it.
int cdp_phone_region(struct cdp_phone_normalizer *pn, const char *e164, char region[3])
{
    region[0] = '\0';
    try {
        if (!e164 || e164[0] != '+')
            return 0;
        std::string_view num(e164 + 1);
        for (char c : num)
            if (c < '0' || c > '9')
                return 0;
        int cc = extract_country_code(pn, &num);
        if (!cc)
            return 0;
        const Region *found = nullptr;
        for (int i : pn->by_cc[cc]) {
            Region &r = pn->regions[size_t(i)];
            if (!prepare(r))
                return cdp_phone_region_reference(pn, e164, region);
            if (pn->by_cc[cc].size() > 1) {
                if (r.md->has_leading_digits() ? !leads(pn, r, num)
                                               : number_type(pn, r, num) == CDP_PHONE_UNKNOWN)
                    continue;
            }
            found = &r;
            break;
        }
        return region_code(found ? found->md->id() : std::string(), region);
    } catch (...) {
        region[0] = '\0';
        return 0;
    }
}

int cdp_phone_region_reference(struct cdp_phone_normalizer *pn, const char *e164, char region[3])
{
    region[0] = '\0';
    try {
        PhoneNumber number;
        std::string id;
        if (!e164 || e164[0] != '+' || !e164[1] || strspn(e164 + 1, "0123456789") != strlen(e164 + 1) ||
            util(pn)->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
            return 0;
        util(pn)->GetRegionCodeForNumber(number, &id);
        return region_code(id, region);
    } catch (...) {
        region[0] = '\0';
        return 0;
    }
}

size_t cdp_phone_note_at(const char *text, size_t len)
{
    return len ? note_at(text, len) : 0;
}

// Not in phone.h: counts for tests and benchmarks (calls answered by the
// fast path, by libphonenumber, from the cache).
void cdp_phone_normalizer_stats(const struct cdp_phone_normalizer *pn, size_t *fast, size_t *slow,
                                size_t *cached)
{
    *fast = pn->n_fast;
    *slow = pn->n_slow;
    *cached = pn->n_cached;
}

const char *cdp_phone_pattern(const struct cdp_phone_normalizer *pn, size_t i)
{
    for (const Region &r : pn->regions) {
        const PhoneMetadata &md = *r.md;
        const PhoneNumberDesc *descs[11] = {
            &md.general_desc(), &md.fixed_line(),      &md.mobile(),
            &md.premium_rate(), &md.toll_free(),       &md.shared_cost(),
            &md.voip(),         &md.personal_number(), &md.pager(),
            &md.uan(),          &md.voicemail(),
        };
        for (const PhoneNumberDesc *d : descs) {
            if (d->national_number_pattern().empty())
                continue;
            if (i-- == 0)
                return d->national_number_pattern().c_str();
        }
    }
    return nullptr;
}

const char *cdp_phone_type_name(enum cdp_phone_type type)
{
    static const char *const names[] = {
        "unknown",         "fixed_line",   "mobile",      "fixed_line_or_mobile",
        "toll_free",       "premium_rate", "shared_cost", "voip",
        "personal_number", "pager",        "uan",         "voicemail",
    };
    unsigned t = unsigned(type);
    return t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

} // extern "C"
