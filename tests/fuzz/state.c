/* state: cdp-dedupe's state file (identity/idstate.h), read back as --state
 * reads it, with a few of today's records already in the graph.
 *
 * The file is given as plain NDJSON (the reader takes it compressed or not;
 * plain text lets the fuzzer reach the lines). Checks, besides memory
 * safety: a state that loads is resolved, given ids and saved (compressed,
 * as cdp-dedupe saves it), and the saved file loads again, one run later,
 * with the same ids for today's records. */
#include "fuzz.h"

#include "identity/graph.h"
#include "identity/idstate.h"
#include "identity/keys.h"
#include "io/record.h"

static const char *const conflicts[] = { "birth_date", "gender" };
#define NCONFLICTS 2

/* Today's records: three people, two of them sharing an e-mail, and an
 * event of one of them. */
static void add_today(struct cdp_keyset *keys, struct cdp_graph *g)
{
    static const char *const rows[][6] = {
        /* _source, _rid, email, phone, birth_date, event */
        { "crm", "1", "ivan@mail.ru", "+79123456789", "1985-03-05", NULL },
        { "shop", "a7", "ivan@mail.ru", NULL, NULL, NULL },
        { "crm", "2", "anna@mail.ru", "+79160000001", "1990-01-01", NULL },
        { "pos", "r1", NULL, "+79160000001", NULL, "purchase" },
    };
    static const char *const keys_of[] = { "_source", "_rid",       "email",
                                           "phone",   "birth_date", "event" };
    struct cdp_graph_items items = { 0 };
    struct cdp_record rec = CDP_RECORD_INIT;
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        cdp_record_clear(&rec);
        for (size_t k = 0; k < 6; k++)
            if (rows[r][k])
                cdp_record_append(&rec, keys_of[k], strlen(keys_of[k]), rows[r][k],
                                  strlen(rows[r][k]), CDP_STRING);
        if (rows[r][5])
            cdp_record_append(&rec, "_kind", 5, "event", 5, CDP_STRING);
        cdp_graph_extract(keys, conflicts, NCONFLICTS, &rec, "fuzz", r + 1, &items);
    }
    for (size_t i = 0; i < items.n; i++)
        cdp_graph_add_item(g, &items, i);
    cdp_graph_items_release(&items);
    cdp_record_release(&rec);
}

static void nothing(void *ctx, const struct cdp_link *link)
{
    (void)ctx;
    (void)link;
}

static void journal(void *ctx, const struct cdp_journal_entry *e)
{
    FUZZ_CHECK(e->from && e->to && e->reason && strcmp(e->from, e->to) != 0,
               "journal entry %s -> %s", e->from, e->to);
    (*(size_t *)ctx)++;
}

/* Loads path and, when it loads, saves the next state to out (NULL: not
 * saved). Returns the ids of today's first and third record in ids. */
static int run(struct cdp_keyset *keys, const char *path, const char *out, uint64_t *run_no,
               char ids[2][17])
{
    struct cdp_graph *g = cdp_graph_new(keys, conflicts, NCONFLICTS);
    struct cdp_idstate *st = cdp_idstate_new();
    add_today(keys, g);
    struct cdp_error err;
    int rc = cdp_idstate_load(st, path, g, conflicts, NCONFLICTS, &err);
    if (rc == 0) {
        /* found before resolving, which frees what finds them */
        uint32_t node[2];
        for (int i = 0; i < 2; i++) {
            node[i] = cdp_graph_find_person(g, "crm", i ? "2" : "1");
            FUZZ_CHECK(node[i] != CDP_NO_NODE, "today's record %d is not in the graph", i);
        }
        cdp_graph_resolve(g, nothing, NULL);
        size_t entries = 0;
        cdp_idstate_assign(st, g, journal, &entries);
        *run_no = cdp_idstate_run(st);
        for (int i = 0; i < 2; i++)
            snprintf(ids[i], 17, "%s", cdp_idstate_group_id(st, cdp_graph_group(g, node[i])));
        if (out) {
            rc = cdp_idstate_save(st, out, g, conflicts, NCONFLICTS, 0, &err);
            FUZZ_CHECK(rc == 0, "save failed: %s", err.msg);
        }
    } else {
        FUZZ_CHECK(err.msg[0], "failed without a message");
    }
    cdp_idstate_free(st);
    cdp_graph_free(g);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], saved[64];
    int fd = fuzz_file(data, size, path);
    int out = fuzz_file("", 0, saved);
    if (fd < 0 || out < 0) {
        fuzz_file_close(fd);
        fuzz_file_close(out);
        return 0;
    }
    struct cdp_keyset *keys = cdp_keyset_new();
    cdp_keyset_defaults(keys);
    cdp_keyset_default_blocks(keys);
    uint64_t first_run = 0, second_run = 0;
    char first[2][17], second[2][17];
    if (run(keys, path, saved, &first_run, first) == 0) {
        FUZZ_CHECK(run(keys, saved, NULL, &second_run, second) == 0,
                   "the saved state does not load");
        FUZZ_CHECK(second_run == first_run + 1, "run %llu after run %llu",
                   (unsigned long long)second_run, (unsigned long long)first_run);
        for (int i = 0; i < 2; i++)
            FUZZ_CHECK(strcmp(first[i], second[i]) == 0, "record %d: id %s, then %s", i, first[i],
                       second[i]);
    }
    cdp_keyset_free(keys);
    fuzz_file_close(fd);
    fuzz_file_close(out);
    return 0;
}
