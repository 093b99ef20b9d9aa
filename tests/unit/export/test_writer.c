/* test_writer: the files of one export (export/writer.h): the head, rows
 * with the caller's columns, one row per contact, a failing column, the
 * delta against the previous export (changes to the output, the rest to the
 * removed file, everything to the baseline), parts, and the files named for
 * --stats. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "export/writer.h"

/* The extra columns: the "id" and "name" fields; a profile with "fail"
 * cannot be written. */
static bool columns(void *ctx, const struct cdp_record *rec, struct cdp_cells *cells)
{
    (void)ctx;
    if (cdp_record_gets(rec, "fail"))
        return false;
    static const char *const keys[] = { "id", "name" };
    for (int i = 0; i < 2; i++) {
        const struct cdp_field *f = cdp_record_gets(rec, keys[i]);
        cdp_cells_add(cells, f ? f->val : "", f ? f->vlen : 0);
    }
    return true;
}

struct profile {
    const char *id, *name, *email;
    bool fail;
};

/* Adds a profile; returns the reason it was not written ("" when it was). */
static const char *add(struct cdp_export_writer *w, const struct profile *p)
{
    struct cdp_record rec = CDP_RECORD_INIT;
    cdp_record_append(&rec, "id", 2, p->id, strlen(p->id), CDP_STRING);
    cdp_record_append(&rec, "name", 4, p->name, strlen(p->name), CDP_STRING);
    if (p->fail)
        cdp_record_append(&rec, "fail", 4, "true", 4, CDP_TRUE);
    struct cdp_contact c;
    memset(&c, 0, sizeof c);
    c.email = p->email;
    c.email_len = strlen(p->email);
    enum cdp_skip why;
    struct cdp_error err;
    int rc = cdp_export_writer_add(w, &rec, "", 0, &c, &why, &err);
    cdp_record_release(&rec);
    return rc < 0 ? "error" : why == CDP_SKIP_NONE ? "" : cdp_skip_name(why);
}

static const struct profile people[] = {
    { "1", "Ann", "a@b.ru", false },
    { "2", "Ann again", "a@b.ru", false }, /* the same mailbox */
    { "3", "Bob, Jr", "b@b.ru", false },
    { "4", "Cid", "c@b.ru", true },
    { "5", "Dan", "d@b.ru", false },
};

static struct cdp_export_writer_options options(const char *out)
{
    static const char *const headers[] = { "id", "name" };
    return (struct cdp_export_writer_options){
        .format = cdp_export_format_find("csv"), .channel = CDP_CHANNEL_EMAIL, .delimiter = ';',
        .bom = true, .crlf = true, .plus = true, .columns = headers, .ncolumns = 2,
        .cells = columns, .output = out, .out = { .mode = 0600 },
    };
}

static void test_rows(void)
{
    struct cdp_export_writer_options o = options(path_of("out.csv"));
    struct cdp_error err;
    struct cdp_export_writer *w = cdp_export_writer_new(&o);
    CHECK(cdp_export_writer_open(w, &err) == 0);
    static const char *const want[] = { "", "duplicate", "", "column_error", "" };
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(add(w, &people[i]), want[i]);
    CHECK(cdp_export_writer_commit(w, &err) == 0);
    CHECK_FILE(path_of("out.csv"), "\xEF\xBB\xBFid;name\r\n1;Ann\r\n3;Bob, Jr\r\n5;Dan\r\n");
    struct cdp_export_counts c;
    cdp_export_writer_counts(w, &c);
    CHECK(!c.delta && c.added == 0 && c.removed == 0);
    struct cdp_buf files = CDP_BUF_INIT;
    cdp_export_writer_files(w, &files);
    char want_files[512];
    snprintf(want_files, sizeof want_files, ",\"files\":[\"%s\"]", path_of("out.csv"));
    CHECK_STR(files.data, want_files);
    cdp_buf_release(&files);
    cdp_export_writer_free(w);
}

static void test_delta(void)
{
    FILE *f = fopen(path_of("prev.csv"), "w");
    fputs("\xEF\xBB\xBFid;name\r\n1;Ann\r\n3;Bob\r\n9;Zed\r\n", f);
    fclose(f);
    struct cdp_export_writer_options o = options(path_of("changes.csv"));
    o.removed = path_of("removed.csv");
    o.baseline = path_of("full.csv");
    o.split_rows = 1;
    struct cdp_error err;
    struct cdp_export_writer *w = cdp_export_writer_new(&o);
    CHECK(cdp_export_writer_previous(w, path_of("prev.csv"), &err) == 0);
    CHECK(cdp_export_writer_open(w, &err) == 0);
    for (size_t i = 0; i < 5; i++)
        add(w, &people[i]);
    CHECK(cdp_export_writer_commit(w, &err) == 0);
    struct cdp_export_counts c;
    cdp_export_writer_counts(w, &c);
    CHECK(c.delta && c.added == 1 && c.changed == 1 && c.unchanged == 1 && c.removed == 1);
    /* the changes in parts of one row, each after the head */
    CHECK_FILE(path_of("changes-0001.csv"), "\xEF\xBB\xBFid;name\r\n3;Bob, Jr\r\n");
    CHECK_FILE(path_of("changes-0002.csv"), "\xEF\xBB\xBFid;name\r\n5;Dan\r\n");
    CHECK(access(path_of("changes-0003.csv"), F_OK) != 0);
    CHECK_FILE(path_of("removed-0001.csv"), "\xEF\xBB\xBFid;name\r\n9;Zed\r\n");
    /* the baseline is never split and has every row */
    CHECK_FILE(path_of("full.csv"), "\xEF\xBB\xBFid;name\r\n1;Ann\r\n3;Bob, Jr\r\n5;Dan\r\n");
    struct cdp_buf files = CDP_BUF_INIT, want = CDP_BUF_INIT;
    cdp_export_writer_files(w, &files);
    cdp_buf_printf(&want, ",\"files\":[\"%s\",\"%s\"],\"removed_files\":[\"%s\"],\"full_files\":[\"%s\"]",
                   path_of("changes-0001.csv"), path_of("changes-0002.csv"), path_of("removed-0001.csv"),
                   path_of("full.csv"));
    CHECK_STR(files.data, want.data);
    cdp_buf_release(&files);
    cdp_buf_release(&want);
    cdp_export_writer_free(w);

    /* the previous export of other columns is refused */
    o = options(NULL);
    o.delimiter = ',';
    w = cdp_export_writer_new(&o);
    CHECK(cdp_export_writer_previous(w, path_of("prev.csv"), &err) == -1);
    CHECK(strstr(err.msg, "its header (id;name) is not this export's") != NULL);
    cdp_export_writer_free(w);
}

int main(void)
{
    files_setup("writer");
    test_rows();
    test_delta();
    files_cleanup();
    return check_report("test_writer");
}
