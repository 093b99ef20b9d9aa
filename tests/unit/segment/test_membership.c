/* test_membership: the last run's memberships (segment/membership.h): who
 * was in what, held out or not, merged ids followed through the journal over
 * several merges, and a damaged line as an error naming file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "segment/membership.h"

/* The segments of id, as "a,b", or "(none)" when the file had no such id. */
static const char *segments_of(const struct cdp_memberships *m, const struct cdp_intern *names,
                               const char *id)
{
    static char text[256];
    uint32_t p = cdp_memberships_find(m, id, strlen(id));
    if (p == UINT32_MAX)
        return "(none)";
    const uint32_t *v;
    size_t n = cdp_memberships_of(m, p, &v);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? "," : "",
                 cdp_intern_str(names, v[i], NULL));
    return text;
}

static void test_load_follow(void)
{
    struct cdp_intern *names = cdp_intern_new();
    cdp_intern_add(names, "b", 1, NULL); /* the current run's rules come first */
    struct cdp_memberships *m = cdp_memberships_new(names);
    struct cdp_error err;
    const char *prev = write_file("prev.ndjson",
                                  "{\"cdp_id\":\"p1\",\"segments\":[\"b\",\"a\"],\"holdout\":[\"c\"]}\n"
                                  "\n"
                                  "{\"cdp_id\":\"p2\",\"segments\":[\"x\"]}\n"
                                  "{\"cdp_id\":\"p3\",\"segments\":[\"y\"],\"entered\":[1]}\n"
                                  "{\"cdp_id\":\"p4\"}\n");
    CHECK(cdp_memberships_load(m, prev, &err) == 0);
    /* p2 into p3, then p3 into p1; p4 split off p1 (not followed) */
    const char *journal = write_file("journal.ndjson",
                                     "{\"run\":1,\"from\":\"p2\",\"to\":\"p3\",\"reason\":\"merged\"}\n"
                                     "{\"run\":2,\"from\":\"p3\",\"to\":\"p1\",\"reason\":\"merged\"}\n"
                                     "{\"run\":2,\"from\":\"p4\",\"to\":\"p1\",\"reason\":\"split\"}\n");
    CHECK(cdp_memberships_follow(m, journal, &err) == 0);
    cdp_memberships_finish(m);
    CHECK(cdp_memberships_count(m) == 4);
    /* name ids ascend: b (0), a, c, x, y */
    CHECK_STR(segments_of(m, names, "p1"), "b,a,c,x,y");
    CHECK_STR(segments_of(m, names, "p2"), "x");
    CHECK_STR(segments_of(m, names, "p3"), "y"); /* its own: x went on to p1 */
    CHECK_STR(segments_of(m, names, "p4"), "");
    CHECK_STR(segments_of(m, names, "p5"), "(none)");
    CHECK(!cdp_memberships_followed(m, cdp_memberships_find(m, "p1", 2)));
    CHECK(cdp_memberships_followed(m, cdp_memberships_find(m, "p2", 2)));
    CHECK(cdp_memberships_followed(m, cdp_memberships_find(m, "p3", 2)));
    CHECK(!cdp_memberships_followed(m, cdp_memberships_find(m, "p4", 2)));
    size_t len;
    CHECK_STR(cdp_memberships_id(m, cdp_memberships_find(m, "p3", 2), &len), "p3");
    CHECK(len == 2);
    cdp_memberships_free(m);
    cdp_intern_free(names);
}

static void test_damaged(void)
{
    static const struct {
        const char *line, *why;
    } cases[] = {
        { "not json", "invalid JSON: Problem while parsing an atom starting with the letter 'n'" },
        { "{\"segments\":[\"a\"]}", "no cdp_id" },
        { "{\"cdp_id\":7}", "no cdp_id" },
        { "{\"cdp_id\":\"\"}", "no cdp_id" },
        { "{\"cdp_id\":\"p\",\"segments\":\"a\"}", "\"segments\" is not an array of segment names" },
        { "{\"cdp_id\":\"p\",\"holdout\":[\"a\",2]}", "\"holdout\" is not an array of segment names" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cdp_intern *names = cdp_intern_new();
        struct cdp_memberships *m = cdp_memberships_new(names);
        char text[256], want[512];
        snprintf(text, sizeof text, "{\"cdp_id\":\"ok\"}\n%s\n", cases[i].line);
        const char *path = write_file("bad.ndjson", text);
        struct cdp_error err;
        CHECK(cdp_memberships_load(m, path, &err) == -1);
        snprintf(want, sizeof want, "%s:2: damaged previous output line: %s", path, cases[i].why);
        CHECK_STR(err.msg, want);
        cdp_memberships_free(m);
        cdp_intern_free(names);
    }
    struct cdp_intern *names = cdp_intern_new();
    struct cdp_memberships *m = cdp_memberships_new(names);
    struct cdp_error err;
    CHECK(cdp_memberships_load(m, "/nonexistent/prev.ndjson", &err) == -1);
    CHECK(strstr(err.msg, "/nonexistent/prev.ndjson") && strstr(err.msg, "No such file"));
    /* a journal line without from, to and reason */
    const char *journal = write_file("j.ndjson", "{\"run\":1,\"from\":\"a\"}\n");
    CHECK(cdp_memberships_follow(m, journal, &err) == -1);
    CHECK(strstr(err.msg, "j.ndjson:1: damaged journal line") != NULL);
    cdp_memberships_free(m);
    cdp_intern_free(names);
}

int main(void)
{
    files_setup("membership");
    test_load_follow();
    test_damaged();
    files_cleanup();
    return check_report("test_membership");
}
