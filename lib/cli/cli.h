/* cli.h: the program skeleton every cdp program is born into.
 *
 * A program declares its options once, in a table of struct cdp_option, and
 * names the shared options it takes (CDP_SHARED_*: -o, -i, --stats,
 * --threads, --rejects...). cdp_cli_parse builds getopt_long's tables from
 * that, hands each program option to the program's callback, and prints
 * --help (generated from the same table, so help and parser cannot drift
 * apart) and --version. tests/options.sh checks the man page's OPTIONS and
 * the three completion files against --help.
 *
 * The policy every program follows:
 * - exit 0 on success, 1 on a data or I/O error, 2 on a usage error (one
 *   line "PROG: what" and "Try 'PROG --help' for more information.");
 * - --help goes to stdout and exits 0, or 1 when stdout cannot be written;
 * - SIGPIPE is ignored: a closed pipe is a write error reported like any
 *   other, never a silent death (cdp_cli_start);
 * - outputs are committed in a fixed order through io/outputs.h, so a
 *   failed run changes no file;
 * - no two of a program's files may be one file when either is written:
 *   each program lists the options that name files, with whether the file
 *   is read, written or both (struct cdp_program's files), the operands are
 *   inputs, and cdp_cli_parse refuses, as a usage error, "-o x --rejects
 *   x", "--state s -o s", an input that is also an output, two outputs on
 *   standard output ("-", /dev/stdout, or the file standard output is
 *   redirected to), and standard input read twice. Inputs may repeat:
 *   reading a file twice harms nothing ("cat a a"). Files are the same when
 *   they have one device and inode; a file that does not exist yet is known
 *   by its resolved path. Devices and pipes (other than standard input and
 *   output) are never the same file: two outputs to /dev/null are fine.
 *
 * This is program-side code (libcdpcli.a): it may print and exit; libcdp
 * never does. */
#ifndef CDP_CLI_CLI_H
#define CDP_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/guard.h"
#include "io/output.h"
#include "io/reader.h"
#include "cli/report.h"

/* Codes of options without a short letter: the shared ones count from
 * CDP_OPT_SHARED, a program's own from CDP_OPT_PROGRAM. */
enum {
    CDP_OPT_SHARED = 0x1000,
    CDP_OPT_ZSTD_LEVEL,
    CDP_OPT_ENCODING,
    CDP_OPT_STATS,
    CDP_OPT_PROGRESS,
    CDP_OPT_THREADS,
    CDP_OPT_REJECTS,
    CDP_OPT_SHOW_VALUES,
    CDP_OPT_RULE_TIME,
    CDP_OPT_RULE_MEMORY,
    CDP_OPT_HELP,
    CDP_OPT_VERSION,
    CDP_OPT_PROGRAM = 0x1100,
};

/* The shared options a program takes (help and version always). */
enum {
    CDP_SHARED_OUTPUT = 1u << 0,    /* -o FILE, -z, --zstd-level N */
    CDP_SHARED_FORMAT = 1u << 1,    /* -i FMT */
    CDP_SHARED_DELIMITER = 1u << 2, /* -d C */
    CDP_SHARED_ENCODING = 1u << 3,  /* --encoding ENC */
    CDP_SHARED_STATS = 1u << 4,     /* --stats FILE */
    CDP_SHARED_QUIET = 1u << 5,     /* -q */
    CDP_SHARED_PROGRESS = 1u << 6,  /* --progress */
    CDP_SHARED_THREADS = 1u << 7,   /* --threads N */
    CDP_SHARED_REJECTS = 1u << 8,   /* --rejects FILE */
    CDP_SHARED_SHOW_VALUES = 1u << 9, /* --show-values: identifiers in clear
                                         in messages (cli/report.h) */
    CDP_SHARED_RULE_BUDGET = 1u << 10, /* --rule-time S, --rule-memory SIZE: the
                                          budget of each jq evaluation (base/guard.h) */
    CDP_SHARED_INPUT = CDP_SHARED_FORMAT | CDP_SHARED_DELIMITER | CDP_SHARED_ENCODING,
    CDP_SHARED_REPORT = CDP_SHARED_STATS | CDP_SHARED_QUIET | CDP_SHARED_PROGRESS | CDP_SHARED_SHOW_VALUES,
};

/* What an option's argument, or an operand, is to the program: a file it
 * reads, writes, or reads and then replaces (--state). */
enum {
    CDP_FILE_IN = 1u << 0,
    CDP_FILE_OUT = 1u << 1,
    CDP_FILE_INOUT = CDP_FILE_IN | CDP_FILE_OUT,
    /* operands only: none given means standard input */
    CDP_FILE_STDIN = 1u << 2,
    /* an option that may be given again (cdp-forget --export), or operands
     * that are rewritten: each is read and rewritten on its own, so two of
     * them may be one file (nightly.sh's hard links under nights/DATE) but
     * not one file with another option's. Else the last one given counts. */
    CDP_FILE_MANY = 1u << 3,
};

/* One option. help may hold several lines ('\n'); --help wraps nothing. */
struct cdp_option {
    int id;           /* a letter for -x, else a code from CDP_OPT_PROGRAM */
    const char *name; /* the long name, without "--" */
    const char *arg;  /* the argument as --help names it ("FILE"); NULL: none */
    const char *help;
};

/* An option whose argument names a file (or a folder), and what the
 * program does with it. */
struct cdp_file_option {
    int id;        /* the option's id */
    unsigned role; /* CDP_FILE_IN, CDP_FILE_OUT or CDP_FILE_INOUT, | CDP_FILE_MANY */
};

struct cdp_program {
    const char *name;     /* "cdp-ingest" */
    const char *synopsis; /* after "Usage: NAME ": "[OPTION]... [FILE]..." */
    const char *about;    /* the lines between the usage line and the options */
    const struct cdp_option *options; /* the program's own, ended by { 0 } */
    unsigned shared;      /* CDP_SHARED_* */
    const char *epilogue; /* after the options ("See cdp-ingest(1).") */
    /* The program's own options that name files, ended by { 0 } (the
     * shared -o, --stats and --rejects are outputs). NULL: none. */
    const struct cdp_file_option *files;
    unsigned operands;    /* CDP_FILE_IN (| CDP_FILE_STDIN), or 0: none */
    /* Pairs of options that may name the same file, ended by { 0, 0 }: the
     * first is read whole before the second is replaced (cdp-export's
     * --previous F --full F). NULL: none. */
    const int (*same_file_ok)[2];
};

/* What the shared options set. */
struct cdp_io_prefs {
    const char *output; /* NULL: stdout */
    struct cdp_output_options out;
    struct cdp_reader_options in;
    const char *stats;
    const char *rejects;
    long threads; /* -1 (default): one per CPU */
    bool quiet;
    bool progress;
    bool show_values;
    /* CDP_SHARED_RULE_BUDGET: cdp_cli_parse starts the watchdog with it */
    struct cdp_guard_budget rule_budget;
    char rule_time_text[64], rule_memory_text[64]; /* as the stop names them */
};

/* The default budget of one jq evaluation (a rule on one profile), see
 * cdp-segment(1) BUDGET: CPU seconds and bytes of memory growth. */
#define CDP_RULE_TIME_DEFAULT 10.0
#define CDP_RULE_TIME_DEFAULT_TEXT "10"
#define CDP_RULE_MEMORY_DEFAULT ((size_t)1 << 30)
#define CDP_RULE_MEMORY_DEFAULT_TEXT "1G"

/* The arguments after an option's own, for options that take two
 * (--arg NAME VALUE). */
struct cdp_cli_rest {
    int argc;
    char **argv;
};

/* Returns the next argument and consumes it, or NULL when none is left. */
const char *cdp_cli_take(struct cdp_cli_rest *rest);

/* Called for each of the program's own options, in command-line order.
 * Returns 0, or 2 after cdp_usage_error. */
typedef int (*cdp_option_fn)(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest);

/* Ignores SIGPIPE (see above), sets argv[0] to the program's name, which
 * getopt uses in its own messages, and installs base/guard.h: SIGTERM,
 * SIGINT and SIGHUP remove the run's temporary files before the run dies
 * of them. */
void cdp_cli_start(const struct cdp_program *prog, char **argv);

/* Parses argv: shared options into io (initialised here), the program's own
 * through fn. A program taking CDP_SHARED_RULE_BUDGET gets the watchdog of
 * its jq rules started (base/guard.h), unless both budgets are 0. Returns -1 to go on, with *first the index of the first
 * operand (a file name); or the status to exit with: 0 after --help or
 * --version, 1 when they could not be written, 2 after a usage error. */
int cdp_cli_parse(const struct cdp_program *prog, int argc, char **argv, struct cdp_io_prefs *io,
                  cdp_option_fn fn, void *prefs, int *first);

/* Prints "PROG: message" and "Try 'PROG --help' ..." to stderr; returns 2. */
int cdp_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The --help text, as cdp_cli_parse prints it. */
void cdp_cli_help(const struct cdp_program *prog, struct cdp_buf *out);

/* "cdp-ingest (cdp) 0.1.0" to stdout. */
void cdp_print_version(const char *prog);

/* Lets the report follow -q, --progress and --show-values. */
void cdp_io_apply_report(const struct cdp_io_prefs *p, struct cdp_report *r);

/* The worker threads for --threads: the option's value (0: none, the work
 * is done by the reading thread), or one per CPU when it was not given. */
size_t cdp_cli_threads(const struct cdp_io_prefs *p);
/* The compression threads of the outputs for --threads N: N, but one at least
 * (zstd writes the same bytes with any count of one or more, other bytes
 * with none) and CDP_OUTPUT_ZSTD_WORKERS_MAX at most, as the default is.
 * Without --threads, out.zstd_workers stays 0: one per CPU up to that. */
int cdp_cli_zstd_workers(long threads);

/* ---- option values ------------------------------------------------------ */

/* Whole number in [min, max]; false when malformed or out of range. */
bool cdp_parse_long(const char *s, long min, long max, long *out);

/* A decimal number in [min, max] (no "nan", "inf" or hex). */
bool cdp_parse_double(const char *s, double min, double max, double *out);

/* "1000", "100k", "1M": a count with an optional k or M suffix, 1..max. */
bool cdp_parse_count(const char *s, long max, long *out);

/* "512M", "2G", "64K", "1048576": a size in bytes (K, M, G are powers of
 * 1024; a trailing B is allowed); at least min. */
bool cdp_parse_size(const char *s, size_t min, size_t *out);

/* A CSV delimiter: one character (not '"', CR or LF), or tab (also "\t"),
 * comma, semicolon, pipe. */
bool cdp_parse_delimiter(const char *s, char *c);

/* "YYYY-MM-DD" (or "today") to days since 1970-01-01; false when invalid. */
bool cdp_parse_day(const char *s, int64_t *day);

/* --as-of for programs that take a moment: "YYYY-MM-DD" or "today" is the
 * end of that day, an ISO 8601 time with a 'T' is that time. Sets the day
 * and the moment (milliseconds since the epoch). */
bool cdp_parse_as_of(const char *s, int64_t *day, int64_t *ms);

/* Today's date (UTC) as days since 1970-01-01. */
int64_t cdp_today(void);

/* ---- the share folder --------------------------------------------------- */

/* Finds share/cdp/KIND/NAME (e.g. "segments", "rfm.rules"): under
 * $CDP_SHARE when set (and only there), else next to the program
 * (PREFIX/bin/../share/cdp, or the source tree's build/bin/../../share/cdp),
 * else where make install puts it. Returns 0 with the path, or -1. */
int cdp_share_file(const char *kind, const char *name, struct cdp_buf *path);

#endif
