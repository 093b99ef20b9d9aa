/* mapping: map files (ingest/mapping.h), as --map reads them.
 *
 * Checks, besides memory safety: a file that loads maps each field once, to
 * a field name the header allows and a non-empty column or constant, and
 * loading it a second time (a later map file) replaces, never duplicates. */
#include "fuzz.h"

#include "ingest/mapping.h"

static bool field_ok(const char *f)
{
    if (strcmp(f, "_rid") == 0 || strcmp(f, "_kind") == 0)
        return true;
    if (!(f[0] >= 'a' && f[0] <= 'z'))
        return false;
    for (const char *p = f + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path);
    if (fd < 0)
        return 0;
    struct cdp_mapping m = CDP_MAPPING_INIT;
    struct cdp_error err;
    if (cdp_mapping_load(&m, path, &err) == 0) {
        size_t n = m.n;
        for (size_t i = 0; i < m.n; i++) {
            const struct cdp_map_entry *e = &m.v[i];
            FUZZ_CHECK(field_ok(e->field), "field '%s'", e->field);
            FUZZ_CHECK(e->value[0], "empty value for '%s'", e->field);
            FUZZ_CHECK(cdp_mapping_find(&m, e->field) == e, "'%s' mapped twice", e->field);
        }
        FUZZ_CHECK(cdp_mapping_load(&m, path, &err) == 0, "second load failed: %s", err.msg);
        FUZZ_CHECK(m.n == n, "second load: %zu entries, first %zu", m.n, n);
    } else {
        FUZZ_CHECK(err.msg[0], "failed without a message");
    }
    cdp_mapping_release(&m);
    fuzz_file_close(fd);
    return 0;
}
