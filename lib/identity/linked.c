#include "identity/linked.h"

#include <stdint.h>
#include <string.h>

static void add_id(struct cdp_buf *b, const char *id)
{
    cdp_buf_adds(b, "\"cdp_id\":");
    if (id) {
        cdp_buf_addc(b, '"');
        cdp_buf_adds(b, id);
        cdp_buf_addc(b, '"');
    } else {
        cdp_buf_adds(b, "null");
    }
    cdp_buf_adds(b, "}\n");
}

void cdp_linked_append(struct cdp_buf *b, const char *line, size_t len, const char *id)
{
    size_t n = len;
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    if (n)
        n--; /* the closing brace */
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    cdp_buf_add(b, line, n);
    if (n > 1) /* more than "{": members before the id */
        cdp_buf_addc(b, ',');
    add_id(b, id);
}

void cdp_linked_write(struct cdp_buf *b, const struct cdp_record *rec, const char *id)
{
    cdp_buf_addc(b, '{');
    bool first = true;
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        if (f->klen == 6 && memcmp(f->key, "cdp_id", 6) == 0)
            continue;
        if (!first)
            cdp_buf_addc(b, ',');
        first = false;
        cdp_json_add_string(b, f->key, f->klen);
        cdp_buf_addc(b, ':');
        cdp_json_add_value(b, f->val, f->vlen, f->type);
    }
    if (!first)
        cdp_buf_addc(b, ',');
    add_id(b, id);
}

/* Whether any of the eight bytes at p is '"' or '\\' (exact as a yes/no). */
static inline bool word_has_quote_or_backslash(const char *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t x, q, b;
    memcpy(&x, p, 8);
    q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

bool cdp_linked_id_at_end(const char *line, size_t len, const char **id, size_t *idlen)
{
    static const char tail[] = ",\"cdp_id\":\"";
    size_t t = sizeof tail - 1;
    size_t n = len;
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
        n--;
    if (n <= 2 || line[n - 1] != '}' || line[n - 2] != '"')
        return false;
    size_t end = n - 2, start = end;
    /* The ids cdp-dedupe writes have 16 characters: tested as two words
     * first, which is where the scan below would stop (a byte-by-byte scan
     * of every line cost 1.6% of cdp-merge's instructions). */
    if (end > 16 && line[end - 17] == '"' && !word_has_quote_or_backslash(line + end - 16) &&
        !word_has_quote_or_backslash(line + end - 8))
        start = end - 16;
    while (start > 0 && line[start - 1] != '"' && line[start - 1] != '\\' && end - start < 64)
        start--;
    if (start < t || end == start || line[start - 1] != '"' || memcmp(line + start - t, tail, t) != 0)
        return false;
    *id = line + start;
    *idlen = end - start;
    return true;
}

int cdp_linked_id(struct cdp_json_parser *json, struct cdp_record *rec, const char *line,
                  size_t len, const char **id, size_t *idlen, enum cdp_json_status *status)
{
    *status = CDP_JSON_OK;
    if (cdp_linked_id_at_end(line, len, id, idlen))
        return 1;
    struct cdp_error why;
    cdp_record_clear(rec);
    *status = cdp_json_parse_object(json, line, len, rec, &why);
    if (*status != CDP_JSON_OK)
        return -1;
    const struct cdp_field *f = cdp_record_gets(rec, "cdp_id");
    if (!f || f->type != CDP_STRING || f->vlen == 0)
        return 0;
    *id = f->val;
    *idlen = f->vlen;
    return 1;
}
