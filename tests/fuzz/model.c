/* model: Fellegi-Sunter model files (identity/model.h), as --model reads
 * them, and the table and comparisons a model drives.
 *
 * Checks, besides memory safety: a model that parses is written back
 * (cdp_fsmodel_write, what --model-out saves) as a model that parses again,
 * with the same comparisons, levels and rules; every pair of a few records
 * (Cyrillic and Latin names, dates, numbers, missing values) gets a level
 * for each comparison and a weight that is a number (never NaN), and its
 * blocking keys and explanation are built without harm. */
#include <math.h>

#include "fuzz.h"

#include "base/buf.h"
#include "identity/model.h"
#include "io/json.h"

static const char *const names[] = { "Иванов", "Ivanov", "Сергей",  "Sergei",
                                     "ИВАНОВ", "",       "O'Brien", "Анна-Мария" };
static const char *const dates[] = { "1985-03-05", "1985-05-03", "19850305",   "2024-02-30",
                                     "0000-00-00", "",           "9999-12-31", "1985-03-06" };
static const char *const numbers[] = { "0",   "-5", "1e308", "12345678901234567890",
                                       "abc", "",   "3.5",   "-0" };
#define NRECORDS 8

static void check_table(const struct cdp_fsmodel *m, struct cdp_json_parser *json)
{
    struct cdp_fstable *t = cdp_fstable_new(m);
    for (int r = 0; r < NRECORDS; r++) {
        const char *vals[CDP_FS_MAX_COMPARISONS * 2];
        size_t lens[CDP_FS_MAX_COMPARISONS * 2];
        for (int f = 0; f < m->nfields; f++) {
            int k = (r + f) % NRECORDS;
            vals[f] = m->field_types[f] == CDP_FS_DATE     ? dates[k]
                      : m->field_types[f] == CDP_FS_NUMBER ? numbers[k]
                                                           : names[k];
            lens[f] = strlen(vals[f]);
        }
        FUZZ_CHECK(cdp_fstable_add(t, vals, lens) == (uint32_t)r, "row %d", r);
    }
    struct cdp_buf b = CDP_BUF_INIT;
    uint8_t levels[CDP_FS_MAX_COMPARISONS];
    for (uint32_t a = 0; a < NRECORDS; a++) {
        for (int i = 0; i < m->nrules; i++)
            for (int j = 0; j < m->rules[i].nparts; j++)
                (void)cdp_fstable_part(t, &m->rules[i].parts[j], a, &b);
        for (uint32_t c = a + 1; c < NRECORDS; c++) {
            double w = cdp_fs_weight(m, t, a, c, levels);
            FUZZ_CHECK(!isnan(w), "weight of %u and %u is NaN", a, c);
            for (int k = 0; k < m->ncomps; k++)
                FUZZ_CHECK(levels[k] == CDP_FS_NULL_LEVEL || levels[k] < m->comps[k].nlevels,
                           "level %u of comparison %d", levels[k], k);
            double p = cdp_fs_probability(w);
            FUZZ_CHECK(p >= 0 && p <= 1, "probability %g", p);
            cdp_buf_reset(&b);
            cdp_fs_explain(m, t, a, c, (a ^ c) & 1, &b);
            FUZZ_CHECK(cdp_json_valid(json, b.data, b.len), "explanation is not JSON: %s", b.data);
        }
    }
    cdp_buf_release(&b);
    cdp_fstable_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Only JSON (by simdjson) goes on to the model parser: libjq 1.6's
     * parser, which model.c uses, leaks a string on some syntax errors
     * ({"a"": b}), and that is not this project's leak to find. */
    struct cdp_json_parser *json = cdp_json_parser_new();
    if (!cdp_json_valid(json, (const char *)data, size)) {
        cdp_json_parser_free(json);
        return 0;
    }
    struct cdp_error err;
    struct cdp_fsmodel *m = cdp_fsmodel_parse((const char *)data, size, "fuzz", &err);
    if (!m) {
        FUZZ_CHECK(err.msg[0], "failed without a message");
        cdp_json_parser_free(json);
        return 0;
    }
    struct cdp_buf out = CDP_BUF_INIT;
    cdp_fsmodel_write(m, &out);
    struct cdp_fsmodel *again = cdp_fsmodel_parse(out.data, out.len, "written", &err);
    FUZZ_CHECK(again, "the model written does not read: %s\n%s", err.msg, out.data);
    FUZZ_CHECK(again->ncomps == m->ncomps && again->nrules == m->nrules &&
                   again->ntrain_rules == m->ntrain_rules && again->nfields == m->nfields,
               "the model written is another model:\n%s", out.data);
    for (int c = 0; c < m->ncomps; c++)
        FUZZ_CHECK(again->comps[c].nlevels == m->comps[c].nlevels, "comparison %d", c);
    for (int r = 0; r < m->nrules; r++)
        FUZZ_CHECK(again->rules[r].nparts == m->rules[r].nparts, "rule %d:\n%s", r, out.data);
    cdp_fsmodel_free(again);
    cdp_buf_release(&out);
    check_table(m, json);
    cdp_json_parser_free(json);
    cdp_fsmodel_free(m);
    return 0;
}
