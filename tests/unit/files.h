/* files.h: the scratch folder of a unit test and the file helpers the tests
 * share: paths in the folder, writing a file, reading one back, opening a
 * fixture of tests/fixtures. Header-only, like check.h: each test is one
 * file built into one binary. A helper that cannot do its work (no folder,
 * no fixture) says so and exits 1: the test cannot go on without it. */
#ifndef CDP_TEST_FILES_H
#define CDP_TEST_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* The scratch folder, and the texts file_text has handed out (freed by
 * files_cleanup); the ring lets one CHECK compare two files. */
static char files_dir[128];
static char *files_texts[4];
static int files_next_text;

/* Make the scratch folder /tmp/cdp-test-NAME-XXXXXX. */
static inline void files_setup(const char *name)
{
    snprintf(files_dir, sizeof files_dir, "/tmp/cdp-test-%s-XXXXXX", name);
    if (!mkdtemp(files_dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline int files_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* Remove the scratch folder and everything in it; free file_text's texts. */
static inline void files_cleanup(void)
{
    if (nftw(files_dir, files_remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        perror(files_dir);
        exit(1);
    }
    for (int i = 0; i < 4; i++) {
        free(files_texts[i]);
        files_texts[i] = NULL;
    }
}

/* The path of NAME in the scratch folder. The last eight paths stay valid,
 * so a call may take several. */
static inline const char *path_of(const char *name)
{
    static char path[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof path[k], "%s/%s", files_dir, name);
    return path[k];
}

/* Write TEXT as the file NAME in the scratch folder; returns its path. */
static inline const char *write_file(const char *name, const char *text)
{
    const char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* The bytes of the file at PATH, NUL-terminated, their count (binary files
 * may hold NULs) in *len when len is not NULL; "(missing)" when there is no
 * file. The caller frees it. */
static inline char *read_file_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (len)
            *len = 0;
        return cdp_xstrdup("(missing)");
    }
    struct cdp_buf b = CDP_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cdp_buf_add(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    cdp_buf_addc(&b, '\0');
    return cdp_buf_detach(&b, NULL);
}

/* The text of the file at PATH, or "(missing)"; the caller frees it. */
static inline char *read_file(const char *path)
{
    return read_file_bytes(path, NULL);
}

/* read_file of NAME in the scratch folder, kept until four more calls. */
static inline const char *file_text(const char *name)
{
    files_next_text = (files_next_text + 1) % 4;
    free(files_texts[files_next_text]);
    files_texts[files_next_text] = read_file(path_of(name));
    return files_texts[files_next_text];
}

/* Check that the file at PATH holds WANT. */
#define CHECK_FILE(path, want)                                                                     \
    do {                                                                                           \
        char *text_ = read_file(path);                                                             \
        CHECK_STR(text_, want);                                                                    \
        free(text_);                                                                               \
    } while (0)

/* Open the fixture REL (a path from the top of the tree) for reading: from
 * the top of the tree, or else beside ARGV0, the test binary four levels
 * down (build/tests/unit/LAYER/). */
static inline FILE *open_fixture(const char *argv0, const char *rel)
{
    FILE *f = fopen(rel, "r");
    if (f)
        return f;
    char path[4096];
    const char *slash = strrchr(argv0, '/');
    if (slash) {
        snprintf(path, sizeof path, "%.*s/../../../../%s", (int)(slash - argv0), argv0, rel);
        f = fopen(path, "r");
    }
    if (!f) {
        fprintf(stderr, "%s: cannot open %s (run from the top of the tree)\n", argv0, rel);
        exit(1);
    }
    return f;
}

#endif
