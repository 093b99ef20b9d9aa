#include "export/json_peek.h"

#include <string.h>

#include "io/json.h"

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cdp_json_array_next(const char *arr, size_t len, size_t *pos, const char **elem,
                         size_t *elen)
{
    size_t i = *pos;
    if (i == 0) {
        while (i < len && space(arr[i]))
            i++;
        if (i >= len || arr[i] != '[')
            return false;
        i++;
    }
    while (i < len && (space(arr[i]) || arr[i] == ','))
        i++;
    if (i >= len || arr[i] == ']') {
        *pos = len;
        return false;
    }
    size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < len; i++) {
        char c = arr[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                break;
            depth--;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    if (i > len)
        i = len;
    size_t end = i;
    while (end > start && space(arr[end - 1]))
        end--;
    *elem = arr + start;
    *elen = end - start;
    *pos = i;
    return end > start;
}

bool cdp_json_array_has_string(const char *arr, size_t len, const char *s, size_t slen,
                               struct cdp_buf *scratch)
{
    size_t pos = 0;
    const char *e;
    size_t n;
    while (cdp_json_array_next(arr, len, &pos, &e, &n)) {
        if (n < 2 || e[0] != '"')
            continue;
        /* Most names need no decoding. */
        if (n == slen + 2 && memcmp(e + 1, s, slen) == 0)
            return true;
        if (!memchr(e, '\\', n))
            continue;
        cdp_buf_reset(scratch);
        if (cdp_json_string_decode(scratch, e, n) && scratch->len == slen &&
            memcmp(scratch->data, s, slen) == 0)
            return true;
    }
    return false;
}
