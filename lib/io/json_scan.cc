// The simdjson side of json.h: parsing one object per line, validating
// nested values and UTF-8. C++ stays inside this file.
//
// simdjson turns its internal assertions on when NDEBUG is not defined (our
// builds keep assert): on-demand parsing then checks its iterator at every
// step (1.2% of cdp-dedupe's instructions at 100k persons). They check
// simdjson, not the input, so they are off here as in simdjson's releases.
#ifndef NDEBUG
#define NDEBUG
#define CDP_UNDEF_NDEBUG
#endif
#include <simdjson.h>
#ifdef CDP_UNDEF_NDEBUG
#undef NDEBUG
#undef CDP_UNDEF_NDEBUG
#endif
#include <cassert>
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

extern "C" {
#include "io/json.h"
#include "io/lines.h"
}

static_assert(CDP_LINE_PADDING >= simdjson::SIMDJSON_PADDING, "line padding too small for simdjson");

// Nested values found valid, by their exact text: a line's nested values
// (the "attrs" of a receipt line naming its product) repeat from record to
// record, and parsing each again with the DOM parser cost 2% of cdp-merge's
// instructions (187 distinct texts in 68,365 on 1/8 of 100k persons).
// Direct-mapped by a hash of the text; only valid ones are kept, and only
// short ones.
enum { NESTED_MEMO_SLOTS = 1024, NESTED_MEMO_TEXT = 120 };
struct nested_memo {
    uint32_t len; // 0: empty slot
    char text[NESTED_MEMO_TEXT];
};

struct cdp_json_parser {
    simdjson::ondemand::parser ondemand;
    simdjson::dom::parser dom;
    std::unique_ptr<nested_memo[]> nested; // made at the first nested value
};

extern "C" struct cdp_json_parser *cdp_json_parser_new(void)
{
    return new (std::nothrow) cdp_json_parser();
}

extern "C" void cdp_json_parser_free(struct cdp_json_parser *p)
{
    delete p;
}

extern "C" bool cdp_utf8_valid(const char *s, size_t len)
{
    return simdjson::validate_utf8(s, len);
}

// simdjson skips over numbers it is not asked to convert, so their syntax is
// checked here: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
static bool valid_number(std::string_view s);

// simdjson's DOM parser stops at a number it cannot convert (an integer
// beyond 64 bits such as a card number, 1e999), which RFC 8259 allows and
// cdp keeps as text. For its verdict on the rest, every number outside
// strings that passes valid_number is replaced by a 0 and spaces in a copy,
// which is parsed again. Only lines with such numbers pay for the copy.
static bool valid_without_numbers(struct cdp_json_parser *p, const char *text, size_t len)
{
    std::string copy(text, len);
    bool in_string = false;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (in_string) {
            in_string = c != '"';
            i += c == '\\' ? 2 : 1;
        } else if (c == '"') {
            in_string = true;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && text[j] && std::strchr("0123456789+-.eE", text[j]))
                j++;
            if (valid_number(std::string_view(text + i, j - i))) {
                copy[i] = '0';
                for (size_t k = i + 1; k < j; k++)
                    copy[k] = ' ';
            }
            i = j;
        } else {
            i++;
        }
    }
    simdjson::dom::element e;
    return p->dom.parse(copy.data(), copy.size(), true).get(e) == simdjson::SUCCESS;
}

extern "C" bool cdp_json_valid(struct cdp_json_parser *p, const char *text, size_t len)
{
    simdjson::dom::element e;
    // realloc_if_needed: the text is a slice of a line, not padded on its own.
    simdjson::error_code r = p->dom.parse(text, len, true).get(e);
    return r == simdjson::SUCCESS ||
           (r == simdjson::NUMBER_ERROR && valid_without_numbers(p, text, len));
}

// A nested value inside a line: the line's padding lies beyond it, so it
// can be parsed in place.
static bool valid_in_line(struct cdp_json_parser *p, const char *text, size_t len)
{
    nested_memo *slot = nullptr;
    if (len <= NESTED_MEMO_TEXT) {
        if (!p->nested)
            p->nested.reset(new nested_memo[NESTED_MEMO_SLOTS]());
        slot = &p->nested[XXH3_64bits(text, len) % NESTED_MEMO_SLOTS];
        if (slot->len == len && std::memcmp(slot->text, text, len) == 0)
            return true;
    }
    simdjson::dom::element e;
    simdjson::error_code r = p->dom.parse(text, len, false).get(e);
    bool valid = r == simdjson::SUCCESS ||
                 (r == simdjson::NUMBER_ERROR && valid_without_numbers(p, text, len));
    if (valid && slot) {
        slot->len = (uint32_t)len;
        std::memcpy(slot->text, text, len);
    }
    return valid;
}

extern "C" bool cdp_json_number_valid(const char *s, size_t len)
{
    return valid_number(std::string_view(s, len));
}

static bool valid_number(std::string_view s)
{
    size_t i = 0, n = s.size();
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static std::string_view trim_right(std::string_view s)
{
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                          s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// On-demand parsing reports what it was asked for ("not the requested
// type"); the DOM parser, run again on the bad line only, says what is wrong.
static cdp_json_status fail(struct cdp_json_parser *p, const char *text, size_t len,
                            struct cdp_error *err, simdjson::error_code e)
{
    // Stage 1 may stop at another error (an unclosed string) before it
    // reaches the bad UTF-8; a line that is not UTF-8 is reported as such
    // whatever else is wrong with it (the fuzzer found the difference).
    if (e == simdjson::UTF8_ERROR || !cdp_utf8_valid(text, len)) {
        cdp_errorf(err, "invalid UTF-8");
        return CDP_JSON_BAD_UTF8;
    }
    simdjson::dom::element el;
    simdjson::error_code why = p->dom.parse(text, len, true).get(el);
    cdp_errorf(err, "invalid JSON: %s", simdjson::error_message(why ? why : e));
    return CDP_JSON_INVALID;
}

static cdp_json_status invalid(struct cdp_error *err, const char *what, std::string_view s)
{
    cdp_errorf(err, "invalid JSON: %s \"%.*s\"", what, (int)(s.size() > 60 ? 60 : s.size()),
               s.data());
    return CDP_JSON_INVALID;
}

// A hash of a key for the filter of repeated keys: its length and its first
// and last four bytes ("orders_30d" and "orders_90d" differ).
static uint32_t key_hash(std::string_view k)
{
    uint32_t a = 0, b = 0;
    size_t n = k.size();
    if (n >= 4) {
        memcpy(&a, k.data(), 4);
        memcpy(&b, k.data() + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            a = a << 8 | (unsigned char)k[i];
    }
    uint32_t h = (a * 0x9E3779B1u) ^ (b * 0x85EBCA6Bu) ^ (uint32_t)n * 0xC2B2AE35u;
    return h ^ (h >> 15);
}

extern "C" void cdp_json_names_add(struct cdp_json_names *set, const char *name, size_t len)
{
    uint32_t h = key_hash(std::string_view(name, len));
    set->bits[(h >> 6) & 15u] |= 1ull << (h & 63u);
}

static cdp_json_status parse_object(struct cdp_json_parser *p, const char *text, size_t len,
                                    const struct cdp_json_names *keep, struct cdp_record *rec,
                                    struct cdp_error *err);

extern "C" enum cdp_json_status cdp_json_parse_object(struct cdp_json_parser *p, const char *text, size_t len,
                                     struct cdp_record *rec, struct cdp_error *err)
{
    return parse_object(p, text, len, NULL, rec, err);
}

extern "C" enum cdp_json_status cdp_json_parse_object_some(struct cdp_json_parser *p, const char *text, size_t len,
                                                           const struct cdp_json_names *keep,
                                                           struct cdp_record *rec, struct cdp_error *err)
{
    return parse_object(p, text, len, keep, rec, err);
}

static cdp_json_status parse_object(struct cdp_json_parser *p, const char *text, size_t len,
                                    const struct cdp_json_names *keep, struct cdp_record *rec,
                                    struct cdp_error *err)
{
    using namespace simdjson;
    // No UTF-8 check of its own: iterate()'s first stage checks the whole
    // text (what is read and what is skipped) and fails with UTF8_ERROR, or
    // with another error, after which fail() checks UTF-8 itself. The separate check cost 2% of
    // cdp-merge's instructions.
    padded_string_view view(text, len, len + CDP_LINE_PADDING);
    ondemand::document doc;
    error_code e = p->ondemand.iterate(view).get(doc);
    if (e)
        return fail(p, text, len, err, e);
    ondemand::json_type root;
    if ((e = doc.type().get(root)))
        return fail(p, text, len, err, e);
    if (root != ondemand::json_type::object) {
        // The type comes from the first character alone ("nul" looks like
        // null): only valid JSON is "not an object", the rest is invalid.
        if (!cdp_json_valid(p, text, len))
            return fail(p, text, len, err, e);
        cdp_errorf(err, "not a JSON object");
        return CDP_JSON_NOT_OBJECT;
    }
    ondemand::object obj;
    if ((e = doc.get_object().get(obj)))
        return fail(p, text, len, err, e);
    // A repeated key keeps its last value; looking for one costs a scan per
    // member, so first ask a 1024-bit filter of the keys seen (64 bits gave
    // some ten false alarms on a profile's 35 keys, a sixteenth of
    // cdp-segment's instructions).
    uint64_t seen[16] = { 0 };
    for (auto member : obj) {
        ondemand::field field;
        if ((e = std::move(member).get(field)))
            return fail(p, text, len, err, e);
        std::string_view key;
        if ((e = field.unescaped_key().get(key)))
            return fail(p, text, len, err, e);
        ondemand::value v = field.value();
        ondemand::json_type t;
        if ((e = v.type().get(t)))
            return fail(p, text, len, err, e);
        uint32_t h = key_hash(key);
        uint64_t bit = 1ull << (h & 63u);
        bool kept = !keep || (keep->bits[(h >> 6) & 15u] & bit);
        std::string_view s;
        enum cdp_type type;
        switch (t) {
        case ondemand::json_type::string:
            // A string not kept needs no copy: without a backslash there is
            // nothing get_string could refuse that stage 1 (unescaped
            // characters) and the UTF-8 check above have not. It is still
            // consumed: a value left unread is skipped by counting brackets,
            // which let {"o":"k":1}} through (a hostile review found it).
            if (!kept) {
                std::string_view raw = v.raw_json_token();
                if (!memchr(raw.data(), '\\', raw.size())) {
                    ondemand::raw_json_string unread;
                    if ((e = v.get_raw_json_string().get(unread)))
                        return fail(p, text, len, err, e);
                    continue;
                }
            }
            e = v.get_string().get(s);
            type = CDP_STRING;
            break;
        case ondemand::json_type::number:
            s = trim_right(v.raw_json_token());
            // The member's name, not its text: a bad number may be a
            // phone or a card, and this message goes to logs (issue 14).
            if (!valid_number(s))
                return invalid(err, "bad number in member", key);
            type = CDP_NUMBER;
            break;
        case ondemand::json_type::boolean: {
            bool b = false; // not set when the atom is not true or false ("tru")
            e = v.get_bool().get(b);
            type = b ? CDP_TRUE : CDP_FALSE;
            s = b ? "true" : "false";
            break;
        }
        case ondemand::json_type::null: {
            bool is_null;
            e = v.is_null().get(is_null);
            if (!e && !is_null)
                e = INCORRECT_TYPE;
            type = CDP_NULL;
            s = "null";
            break;
        }
        case ondemand::json_type::array: {
            ondemand::array a;
            if (!(e = v.get_array().get(a)))
                e = a.raw_json().get(s);
            type = CDP_ARRAY;
            break;
        }
        default: {
            ondemand::object o;
            if (!(e = v.get_object().get(o)))
                e = o.raw_json().get(s);
            type = CDP_OBJECT;
            break;
        }
        }
        if (e)
            return fail(p, text, len, err, e);
        if (type == CDP_ARRAY || type == CDP_OBJECT) {
            // raw_json() skips over the value without checking its grammar.
            s = trim_right(s);
            if (!valid_in_line(p, s.data(), s.size()))
                return invalid(err, "bad value of member", key);
        }
        if (!kept)
            continue;
        uint64_t &word = seen[(h >> 6) & 15u];
        if (word & bit)
            cdp_record_set(rec, key.data(), key.size(), s.data(), s.size(), type);
        else
            cdp_record_append(rec, key.data(), key.size(), s.data(), s.size(), type);
        word |= bit;
    }
    // Anything structural after the object (another value, garbage) is left.
    if (doc.current_location().error() != OUT_OF_BOUNDS) {
        cdp_errorf(err, "invalid JSON: text after the object");
        return CDP_JSON_INVALID;
    }
    return CDP_JSON_OK;
}

extern "C" long cdp_json_each_string(struct cdp_json_parser *p, const char *text, size_t len,
                                     void (*fn)(void *ctx, const char *s, size_t len), void *ctx)
{
    // A slice of a line (a field's value): parsed as a copy, like cdp_json_valid.
    simdjson::dom::element e;
    if (p->dom.parse(text, len, true).get(e) != simdjson::SUCCESS)
        return -1;
    simdjson::dom::array a;
    if (e.get_array().get(a) != simdjson::SUCCESS)
        return -1;
    long n = 0;
    for (simdjson::dom::element v : a) {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS)
            return -1;
        fn(ctx, s.data(), s.size());
        n++;
    }
    return n;
}

extern "C" int cdp_json_get_numbers(struct cdp_json_parser *p, const char *text, size_t len,
                                    const char *const *keys, size_t nkeys, double *out)
{
    using namespace simdjson;
    // string_views of the keys once, not a strlen per member and key
    std::string_view want[8];
    if (nkeys > 8)
        return -1;
    for (size_t k = 0; k < nkeys; k++) {
        out[k] = __builtin_nan("");
        want[k] = keys[k];
    }
    padded_string_view view(text, len, len + CDP_LINE_PADDING);
    ondemand::document doc;
    ondemand::object obj;
    if (p->ondemand.iterate(view).get(doc) || doc.get_object().get(obj))
        return -1;
    for (auto member : obj) {
        ondemand::field field;
        std::string_view key;
        if (std::move(member).get(field) || field.unescaped_key().get(key))
            return -1;
        for (size_t k = 0; k < nkeys; k++) {
            if (key != want[k])
                continue;
            double d;
            if (!field.value().get_double().get(d))
                out[k] = d; // a repeated key keeps its last value
            break;
        }
        // other values are skipped without being parsed
    }
    return 0;
}
