/* Unit tests of lib/io/replace.h: several files replaced together, and put
 * back when a rename fails in the middle; and lib/io/output.h's two steps. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "io/replace.h"

static struct cdp_error err;

static struct cdp_output *new_version(const char *name, const char *text)
{
    struct cdp_output *o = cdp_output_open(path_of(name), NULL, &err);
    CHECK(o != NULL);
    cdp_output_write(o, text, strlen(text));
    return o;
}

/* The hidden files in the folder (staged versions, backups), as names. */
static const char *hidden(void)
{
    static char names[1024];
    names[0] = '\0';
    DIR *d = opendir(files_dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            strcat(names, e->d_name);
            strcat(names, " ");
        }
    closedir(d);
    return names;
}

static void test_all_replaced(void)
{
    write_file("a", "old a\n");
    write_file(".b.cdp-old", "a stale backup of a killed run\n");
    write_file("b", "old b\n");
    struct cdp_replace *r = cdp_replace_new();
    CHECK(cdp_replace_add(r, new_version("a", "new a\n"), &err) == 0);
    CHECK(cdp_replace_add(r, new_version("b", "new b\n"), &err) == 0);
    CHECK(cdp_replace_add(r, new_version("c", "new c\n"), &err) == 0); /* a new file */
    CHECK(cdp_replace_count(r) == 3);
    /* staged: nothing replaced yet */
    CHECK_STR(file_text("a"), "old a\n");
    CHECK_STR(file_text("c"), "(missing)");
    CHECK(cdp_replace_commit(r, &err) == 0);
    CHECK_STR(file_text("a"), "new a\n");
    CHECK_STR(file_text("b"), "new b\n");
    CHECK_STR(file_text("c"), "new c\n");
    CHECK_STR(hidden(), "");
    struct stat st;
    CHECK(stat(path_of("c"), &st) == 0 && (st.st_mode & 0777) == 0600);
    cdp_replace_free(r);
}

/* A rename that fails after others succeeded: they are put back. The
 * failure is made by removing the third file's staged version. */
static void test_rolled_back(void)
{
    write_file("a", "old a\n");
    write_file("b", "old b\n");
    unlink(path_of("d"));
    struct cdp_replace *r = cdp_replace_new();
    CHECK(cdp_replace_add(r, new_version("a", "new a\n"), &err) == 0);
    CHECK(cdp_replace_add(r, new_version("d", "new d\n"), &err) == 0);
    CHECK(cdp_replace_add(r, new_version("b", "new b\n"), &err) == 0);
    DIR *d = opendir(files_dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, ".b.", 3) == 0)
            unlink(path_of(e->d_name));
    closedir(d);
    CHECK(cdp_replace_commit(r, &err) == -1);
    CHECK(strstr(err.msg, "cannot rename into '") != NULL);
    CHECK(strstr(err.msg, "(the files already replaced were put back)") != NULL);
    CHECK_STR(file_text("a"), "old a\n");
    CHECK_STR(file_text("b"), "old b\n");
    CHECK_STR(file_text("d"), "(missing)"); /* it did not exist before */
    CHECK_STR(hidden(), "");
    cdp_replace_free(r);
}

static void test_discarded(void)
{
    write_file("a", "old a\n");
    struct cdp_replace *r = cdp_replace_new();
    CHECK(cdp_replace_add(r, new_version("a", "new a\n"), &err) == 0);
    CHECK(cdp_replace_add(r, new_version("a", "again\n"), &err) == -1);
    CHECK(strstr(err.msg, "named twice") != NULL);
    /* standard output is taken, written out at once (nothing here) */
    CHECK(cdp_replace_add(r, cdp_output_open("-", NULL, &err), &err) == 0);
    CHECK(cdp_replace_count(r) == 2);
    cdp_replace_free(r); /* never committed */
    CHECK_STR(file_text("a"), "old a\n");
    CHECK_STR(hidden(), "");
}

int main(void)
{
    files_setup("replace");
    test_all_replaced();
    test_rolled_back();
    test_discarded();
    files_cleanup();
    return check_report("test_replace");
}
