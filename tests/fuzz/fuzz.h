/* fuzz.h: what the fuzzing harnesses share.
 *
 * Each tests/fuzz/NAME.c feeds one parser of outside input through
 * LLVMFuzzerTestOneInput. `make fuzz` links it with libFuzzer (clang,
 * -fsanitize=fuzzer,address,undefined); `make check` links it with replay.c,
 * which runs it on every file of tests/fuzz/corpus/NAME/: the seeds and
 * every input that once crashed it, so the corpus is also a regression test
 * under gcc, ASan/UBSan and valgrind.
 *
 * A harness frees all it allocates (LeakSanitizer runs after each input),
 * gives the same result for the same input (no clock, no randomness, nothing
 * kept from one input to the next) and, beyond "does not crash", checks what
 * the module's header promises: FUZZ_CHECK aborts with the broken promise. */
#ifndef CDP_FUZZ_H
#define CDP_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: broken promise: %s: ", __FILE__, __LINE__, #cond);             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a file the module opens by name: an in-memory file, named
 * /proc/self/fd/N in path (no extension, so formats come from the content or
 * the options). Returns its descriptor for fuzz_file_close, -1 on failure. */
static inline int fuzz_file(const void *data, size_t size, char path[64])
{
    int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (size > 0) {
        ssize_t k = write(fd, p, size);
        if (k <= 0) {
            close(fd);
            return -1;
        }
        p += k;
        size -= (size_t)k;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

static inline void fuzz_file_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Whether two buffers hold the same bytes (either may be empty and NULL). */
static inline bool fuzz_same(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Takes the first byte of the input (0 when it is empty): the options a
 * harness varies. */
static inline uint8_t fuzz_take_byte(const uint8_t **data, size_t *size)
{
    if (*size == 0)
        return 0;
    uint8_t b = **data;
    (*data)++;
    (*size)--;
    return b;
}

/* The input of a harness that varies options: its first byte (fuzz_take_byte),
 * and the rest as a file (fuzz_file). */
struct fuzz_input {
    uint8_t config;
    int fd;
    char path[64];
};

/* False when the file cannot be made (the harness then returns 0). */
static inline bool fuzz_input_open(struct fuzz_input *in, const uint8_t *data, size_t size)
{
    in->config = fuzz_take_byte(&data, &size);
    in->fd = fuzz_file(data, size, in->path);
    return in->fd >= 0;
}

static inline void fuzz_input_close(struct fuzz_input *in)
{
    fuzz_file_close(in->fd);
}

/* The encoding a reader harness reads its file in, from the config byte's
 * low two bits: none given (UTF-8), the two that exports come in, and
 * UTF-8 named. */
static inline const char *fuzz_encoding(uint8_t config)
{
    static const char *const encodings[] = { NULL, "cp1251", "utf-16", "utf-8" };
    return encodings[config & 3];
}

/* A NUL-terminated copy with `pad` readable zero bytes after the text (for
 * parsers that read ahead, io/lines.h's CDP_LINE_PADDING). Free with free(). */
static inline char *fuzz_padded(const uint8_t *data, size_t size, size_t pad)
{
    char *s = malloc(size + pad + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    memset(s + size, 0, pad + 1);
    return s;
}

#endif
