/* journal: cdp-dedupe's journal (identity/journal.h), read as cdp-segment
 * --journal reads it.
 *
 * Checks, besides memory safety: a journal that reads is written again line
 * by line with cdp_journal_format, and that text reads back as the same
 * entries (from, to, reason, key, value). */
#include "fuzz.h"

#include "base/buf.h"
#include "identity/journal.h"

struct entries {
    struct cdp_journal_entry *v;
    size_t n, cap;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int collect(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    (void)err;
    struct entries *es = ctx;
    FUZZ_CHECK(e->from && e->to && e->reason, "entry without from, to or reason");
    if (es->n == es->cap)
        es->v = realloc(es->v, (es->cap = es->cap ? es->cap * 2 : 16) * sizeof *es->v);
    struct cdp_journal_entry *c = &es->v[es->n++];
    c->from = dup_or_null(e->from);
    c->to = dup_or_null(e->to);
    c->reason = dup_or_null(e->reason);
    /* A key comes with its value when cdp-dedupe writes it. */
    c->key = e->value ? dup_or_null(e->key) : NULL;
    c->value = e->key ? dup_or_null(e->value) : NULL;
    return 0;
}

static void release(struct entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free((char *)es->v[i].from);
        free((char *)es->v[i].to);
        free((char *)es->v[i].reason);
        free((char *)es->v[i].key);
        free((char *)es->v[i].value);
    }
    free(es->v);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path);
    if (fd < 0)
        return 0;
    struct entries first = { 0 };
    struct cdp_error err;
    if (cdp_journal_read(path, collect, &first, &err) == 0) {
        struct cdp_buf text = CDP_BUF_INIT;
        for (size_t i = 0; i < first.n; i++)
            cdp_journal_format(&text, 7, &first.v[i]);
        char again_path[64];
        int again_fd = fuzz_file(text.data ? text.data : "", text.len, again_path);
        struct entries again = { 0 };
        FUZZ_CHECK(again_fd >= 0, "memfd");
        FUZZ_CHECK(cdp_journal_read(again_path, collect, &again, &err) == 0,
                   "the journal written does not read: %s\n%s", err.msg, text.data);
        FUZZ_CHECK(again.n == first.n, "%zu entries written, %zu read", first.n, again.n);
        for (size_t i = 0; i < first.n; i++) {
            const struct cdp_journal_entry *a = &first.v[i], *b = &again.v[i];
            FUZZ_CHECK(same(a->from, b->from) && same(a->to, b->to) && same(a->reason, b->reason) &&
                           same(a->key, b->key) && same(a->value, b->value),
                       "entry %zu reads back otherwise:\n%s", i, text.data);
        }
        release(&again);
        fuzz_file_close(again_fd);
        cdp_buf_release(&text);
    } else {
        FUZZ_CHECK(err.msg[0], "failed without a message");
    }
    release(&first);
    fuzz_file_close(fd);
    return 0;
}
