/* test_delta: export baselines (export/delta.h): the previous export read
 * (CSV by its key columns, lines, NDJSON by cdp_id), rows added, changed or
 * unchanged, the rows to remove in the previous files' order, refusals of
 * the wrong file, and the baseline written for the next run. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "export/delta.h"

static enum cdp_delta_change check(struct cdp_delta *d, const char *key, const char *row)
{
    return cdp_delta_check(d, key, strlen(key), row, strlen(row));
}

static const char *removed(struct cdp_delta *d)
{
    static char text[512];
    size_t pos = 0, len;
    const char *row;
    text[0] = '\0';
    while (cdp_delta_next_removed(d, &pos, &row, &len))
        snprintf(text + strlen(text), sizeof text - strlen(text), "%.*s|", (int)len, row);
    return text;
}

static const char *const header[] = { "Email", "Phone", "Name" };
static const size_t keys[] = { 0, 1 };

static void test_csv(void)
{
    struct cdp_delta_format f = { CDP_DELTA_CSV, ',', header, 3, keys, 2 };
    struct cdp_delta *d = cdp_delta_new(&f);
    struct cdp_error err;
    /* two parts; a repeated key keeps its first row; the second key column
     * names a row without an e-mail; a row with neither is not kept */
    CHECK(cdp_delta_load(d, write_file("p1.csv", "Email,Phone,Name\na@b.ru,,Ann\nc@d.ru,,\"Cid, Jr\"\n"), &err) == 0);
    CHECK(cdp_delta_load(d, write_file("p2.csv", "Email,Phone,Name\na@b.ru,,Dup\n,+79,Phil\n,,Nobody\ne@f.ru,,Eve\n"), &err) == 0);
    CHECK(cdp_delta_previous_rows(d) == 4);
    CHECK(check(d, "a@b.ru", "a@b.ru,,Ann") == CDP_DELTA_UNCHANGED);
    /* rows are compared as this run quotes them */
    CHECK(check(d, "c@d.ru", "c@d.ru,,\"Cid, Jr\"") == CDP_DELTA_UNCHANGED);
    CHECK(check(d, "+79", ",+79,Philip") == CDP_DELTA_CHANGED);
    CHECK(check(d, "g@h.ru", "g@h.ru,,Gus") == CDP_DELTA_ADDED);
    CHECK(check(d, "", ",,Nobody") == CDP_DELTA_ADDED);
    CHECK_STR(removed(d), "e@f.ru,,Eve|");
    /* another export's file */
    CHECK(cdp_delta_load(d, write_file("other.csv", "email,name\na@b.ru,Ann\n"), &err) == -1);
    char want[512];
    snprintf(want, sizeof want, "%s: its header (email,name) is not this export's: a delta needs the "
                                "last export of the same format and columns", path_of("other.csv"));
    CHECK_STR(err.msg, want);
    /* a row that cannot be read */
    CHECK(cdp_delta_load(d, write_file("bad.csv", "Email,Phone,Name\na@b.ru,,Ann,extra\n"), &err) == -1);
    CHECK(strncmp(err.msg, path_of("bad.csv"), strlen(path_of("bad.csv"))) == 0 &&
          strncmp(err.msg + strlen(path_of("bad.csv")), ":2: ", 4) == 0);
    CHECK(cdp_delta_load(d, path_of("none.csv"), &err) == -1);
    cdp_delta_free(d);
}

static void test_lines_ndjson(void)
{
    struct cdp_delta_format f = { CDP_DELTA_LINES, 0, NULL, 0, NULL, 0 };
    struct cdp_delta *d = cdp_delta_new(&f);
    struct cdp_error err;
    CHECK(cdp_delta_load(d, write_file("sms.txt", "+79001\n+79002  \n\n+79003\n"), &err) == 0);
    CHECK(check(d, "+79002", "+79002") == CDP_DELTA_UNCHANGED); /* trailing blanks trimmed */
    CHECK_STR(removed(d), "+79001|+79003|");
    cdp_delta_free(d);

    f.kind = CDP_DELTA_NDJSON;
    d = cdp_delta_new(&f);
    CHECK(cdp_delta_load(d, write_file("p.ndjson", "{\"cdp_id\":\"a\",\"x\":1}\n{\"x\":2}\n{\"cdp_id\":\"b\"}\n"), &err) == 0);
    CHECK(cdp_delta_previous_rows(d) == 2);
    CHECK(check(d, "a", "{\"cdp_id\":\"a\",\"x\":2}") == CDP_DELTA_CHANGED);
    CHECK_STR(removed(d), "{\"cdp_id\":\"b\"}|");
    CHECK(cdp_delta_load(d, write_file("bad.ndjson", "{\"cdp_id\":\"c\"}\n[1]\n"), &err) == -1);
    char want[512];
    snprintf(want, sizeof want, "%s:2: not a JSON object", path_of("bad.ndjson"));
    CHECK_STR(err.msg, want);
    cdp_delta_free(d);
}

static void test_baseline(void)
{
    struct cdp_output_options o = { .mode = 0600 };
    struct cdp_error err;
    /* what is written is what the next run loads */
    struct cdp_delta_baseline *b = cdp_delta_baseline_open(path_of("full.csv"), &o, "Email,Phone,Name\r\n", 18, &err);
    CHECK(b != NULL);
    CHECK(cdp_delta_baseline_add(b, "a@b.ru,,Ann\r\n", 13, &err) == 0);
    CHECK(cdp_delta_baseline_add(b, ",+79,Phil\r\n", 11, &err) == 0);
    CHECK_STR(cdp_delta_baseline_file(b), path_of("full.csv"));
    CHECK(access(path_of("full.csv"), F_OK) != 0); /* atomic: nothing before commit */
    CHECK(cdp_delta_baseline_commit(b, &err) == 0);
    cdp_delta_baseline_free(b);
    char *text = read_file(path_of("full.csv"));
    CHECK_STR(text, "Email,Phone,Name\r\na@b.ru,,Ann\r\n,+79,Phil\r\n");
    free(text);
    struct cdp_delta_format f = { CDP_DELTA_CSV, ',', header, 3, keys, 2 };
    struct cdp_delta *d = cdp_delta_new(&f);
    CHECK(cdp_delta_load(d, path_of("full.csv"), &err) == 0);
    CHECK(check(d, "+79", ",+79,Phil") == CDP_DELTA_UNCHANGED);
    CHECK_STR(removed(d), "a@b.ru,,Ann|");
    cdp_delta_free(d);
    /* freed without a commit: the file of the last run stays as it was */
    b = cdp_delta_baseline_open(path_of("full.csv"), &o, NULL, 0, &err);
    CHECK(cdp_delta_baseline_add(b, "x\n", 2, &err) == 0);
    cdp_delta_baseline_free(b);
    text = read_file(path_of("full.csv"));
    CHECK_STR(text, "Email,Phone,Name\r\na@b.ru,,Ann\r\n,+79,Phil\r\n");
    free(text);
    CHECK(cdp_delta_baseline_open("/nonexistent/full.csv", &o, NULL, 0, &err) == NULL);
}

int main(void)
{
    files_setup("delta");
    test_csv();
    test_lines_ndjson();
    test_baseline();
    files_cleanup();
    return check_report("test_delta");
}
