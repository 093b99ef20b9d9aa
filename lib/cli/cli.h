/* cli.h: the options and habits every cdp program shares.
 *
 * Input and output options have the same letters everywhere (-o, -z, -i, -d,
 * --encoding, --stats, -q, --progress); a program puts CDP_IO_LONG_OPTIONS in
 * its option table and CDP_IO_SHORT_OPTIONS in its short-option string, and
 * passes unknown option codes to cdp_io_option. Usage errors print one line
 * and a hint and exit 2; --version prints "NAME (cdp) VERSION". */
#ifndef CDP_CLI_CLI_H
#define CDP_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/output.h"
#include "io/reader.h"
#include "cli/report.h"

enum {
    CDP_OPT_ENCODING = 0x1000,
    CDP_OPT_ZSTD_LEVEL,
    CDP_OPT_STATS,
    CDP_OPT_PROGRESS,
    CDP_OPT_HELP,
    CDP_OPT_VERSION,
    CDP_OPT_FIRST_PROGRAM_OPTION = 0x1100, /* programs number theirs from here */
};

#define CDP_IO_SHORT_OPTIONS "o:zi:d:q"
#define CDP_IO_LONG_OPTIONS                                                                    \
    { "output", required_argument, NULL, 'o' }, { "zstd", no_argument, NULL, 'z' },          \
        { "zstd-level", required_argument, NULL, CDP_OPT_ZSTD_LEVEL },                       \
        { "input-format", required_argument, NULL, 'i' },                                    \
        { "delimiter", required_argument, NULL, 'd' },                                       \
        { "encoding", required_argument, NULL, CDP_OPT_ENCODING },                           \
        { "stats", required_argument, NULL, CDP_OPT_STATS },                                 \
        { "quiet", no_argument, NULL, 'q' }, { "progress", no_argument, NULL, CDP_OPT_PROGRESS }, \
        { "help", no_argument, NULL, CDP_OPT_HELP },                                         \
        { "version", no_argument, NULL, CDP_OPT_VERSION }

struct cdp_io_prefs {
    const char *output;     /* NULL: stdout */
    struct cdp_output_options out;
    struct cdp_reader_options in;
    const char *stats;
    bool quiet;
    bool progress;
    bool help, version;
};

void cdp_io_prefs_init(struct cdp_io_prefs *p);

/* Handles a shared option. Returns 1 when handled, 0 when the option is not
 * a shared one, or 2 after printing a usage error (exit with it). */
int cdp_io_option(struct cdp_io_prefs *p, const char *prog, int opt, const char *arg);

/* Prints "PROG: message" and "Try 'PROG --help' ..." to stderr; returns 2. */
int cdp_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "cdp-ingest (cdp) 0.1.0" to stdout. */
void cdp_print_version(const char *prog);

/* Whole number in [min, max]; false when malformed or out of range. */
bool cdp_parse_long(const char *s, long min, long max, long *out);

/* "YYYY-MM-DD" (or "today") to days since 1970-01-01; false when invalid. */
bool cdp_parse_day(const char *s, int64_t *day);

/* Today's date (UTC) as days since 1970-01-01. */
int64_t cdp_today(void);

/* Lets the report follow --quiet/--progress. */
void cdp_io_apply_report(const struct cdp_io_prefs *p, struct cdp_report *r);

#endif
