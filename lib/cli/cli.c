#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/pmap.h"
#include "cli/files.h"
#include "io/source.h"
#include "norm/date.h"

/* The shared options, in the order --help lists them. */
static const struct {
    unsigned group;
    struct cdp_option opt;
} shared_options[] = {
    { CDP_SHARED_THREADS, { CDP_OPT_THREADS, "threads", "N",
                            "worker threads (default: one per CPU; 0: none)" } },
    { CDP_SHARED_REJECTS, { CDP_OPT_REJECTS, "rejects", "FILE",
                            "write input rows that cannot be used there, with\n"
                            "file, line, reason and the raw text" } },
    { CDP_SHARED_OUTPUT, { 'o', "output", "FILE", "write to FILE (atomically) instead of stdout" } },
    { CDP_SHARED_OUTPUT, { 'z', "zstd", NULL, "compress the output (also when FILE ends in .zst)" } },
    { CDP_SHARED_OUTPUT, { CDP_OPT_ZSTD_LEVEL, "zstd-level", "N",
                           "compression level 1-19 (default 1; implies -z)" } },
    { CDP_SHARED_FORMAT, { 'i', "input-format", "FMT",
                           "csv, tsv or ndjson (default: from the name or the\ncontent)" } },
    { CDP_SHARED_DELIMITER, { 'd', "delimiter", "C", "CSV delimiter (default: sniffed among , ; TAB |)" } },
    { CDP_SHARED_ENCODING, { CDP_OPT_ENCODING, "encoding", "ENC",
                             "input encoding, e.g. cp1251 (default utf-8)" } },
    { CDP_SHARED_STATS, { CDP_OPT_STATS, "stats", "FILE", "write the counts as JSON to FILE" } },
    { CDP_SHARED_QUIET, { 'q', "quiet", NULL, "no summary line on stderr" } },
    { CDP_SHARED_PROGRESS, { CDP_OPT_PROGRESS, "progress", NULL, "show progress on stderr" } },
    { CDP_SHARED_SHOW_VALUES, { CDP_OPT_SHOW_VALUES, "show-values", NULL,
                                "show e-mails, phones, names, cards and ids in\n"
                                "clear in messages (default: masked, iv***@mail.ru)" } },
    { CDP_SHARED_RULE_BUDGET, { CDP_OPT_RULE_TIME, "rule-time", "SECONDS",
                                "stop the run when a jq rule spends more CPU\n"
                                "time than this on one profile (default "
                                CDP_RULE_TIME_DEFAULT_TEXT "; 0:\n"
                                "no limit)" } },
    { CDP_SHARED_RULE_BUDGET, { CDP_OPT_RULE_MEMORY, "rule-memory", "SIZE",
                                "stop the run when memory grows by more than this\n"
                                "while a jq rule runs on one profile (default "
                                CDP_RULE_MEMORY_DEFAULT_TEXT ";\n"
                                "0: no limit)" } },
    { 0, { CDP_OPT_HELP, "help", NULL, "show this help" } },
    { 0, { CDP_OPT_VERSION, "version", NULL, "show the version" } },
};
#define NSHARED (sizeof shared_options / sizeof *shared_options)

static bool takes_shared(const struct cdp_program *prog, size_t i)
{
    return shared_options[i].group == 0 || (prog->shared & shared_options[i].group);
}

const char *cdp_cli_take(struct cdp_cli_rest *rest)
{
    if (optind >= rest->argc)
        return NULL;
    return rest->argv[optind++];
}

void cdp_cli_start(const struct cdp_program *prog, char **argv)
{
    argv[0] = (char *)prog->name;
    signal(SIGPIPE, SIG_IGN);
    cdp_guard_install(prog->name);
}

int cdp_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    va_end(ap);
    return 2;
}

void cdp_print_version(const char *prog)
{
    printf("%s (cdp) %s\n", prog, CDP_VERSION);
}

/* "  -o, --output FILE" padded to the help column; the help's further lines
 * start at the same column. */
static void help_option(struct cdp_buf *b, const struct cdp_option *o, int column)
{
    size_t start = b->len;
    if (o->id > 0 && o->id < 128)
        cdp_buf_printf(b, "  -%c, --%s", o->id, o->name);
    else
        cdp_buf_printf(b, "      --%s", o->name);
    if (o->arg)
        cdp_buf_printf(b, " %s", o->arg);
    int width = (int)(b->len - start);
    if (width + 2 > column) {
        cdp_buf_addc(b, '\n');
        width = 0;
    }
    for (const char *s = o->help; *s;) {
        size_t n = strcspn(s, "\n");
        cdp_buf_printf(b, "%*s%.*s\n", column - width, "", (int)n, s);
        width = 0;
        s += n + (s[n] == '\n');
    }
}

static int option_width(const struct cdp_option *o)
{
    return 8 + (int)strlen(o->name) + (o->arg ? 1 + (int)strlen(o->arg) : 0);
}

void cdp_cli_help(const struct cdp_program *prog, struct cdp_buf *out)
{
    /* The help column: past the longest option that has room for it, at
     * least 28, at most 32; longer ones put their help on the next line. */
    int column = 28;
    for (const struct cdp_option *o = prog->options; o && o->name; o++)
        if (option_width(o) + 2 > column && option_width(o) + 2 <= 32)
            column = option_width(o) + 2;
    cdp_buf_printf(out, "Usage: %s %s\n%s\n", prog->name, prog->synopsis, prog->about);
    for (const struct cdp_option *o = prog->options; o && o->name; o++)
        help_option(out, o, column);
    for (size_t i = 0; i < NSHARED; i++)
        if (takes_shared(prog, i))
            help_option(out, &shared_options[i].opt, column);
    if (prog->epilogue)
        cdp_buf_printf(out, "\n%s\n", prog->epilogue);
}

bool cdp_parse_delimiter(const char *arg, char *c)
{
    if (strcmp(arg, "\\t") == 0 || strcasecmp(arg, "tab") == 0)
        *c = '\t';
    else if (strcmp(arg, "comma") == 0)
        *c = ',';
    else if (strcmp(arg, "semicolon") == 0)
        *c = ';';
    else if (strcmp(arg, "pipe") == 0)
        *c = '|';
    else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
        *c = arg[0];
    else
        return false;
    return true;
}

/* A shared option. Returns 0, or 2 after a usage error. */
static int shared_option(struct cdp_io_prefs *p, const char *prog, int opt, const char *arg)
{
    long level;
    switch (opt) {
    case 'o':
        p->output = arg;
        break;
    case 'z':
        p->out.zstd = true;
        break;
    case CDP_OPT_ZSTD_LEVEL:
        if (!cdp_parse_long(arg, 1, 19, &level))
            return cdp_usage_error(prog, "--zstd-level must be 1 to 19, not '%s'", arg);
        p->out.zstd = true;
        p->out.zstd_level = (int)level;
        break;
    case 'i':
        p->in.format = cdp_format_parse(arg);
        if (p->in.format == CDP_FORMAT_AUTO)
            return cdp_usage_error(prog, "-i takes csv, tsv or ndjson, not '%s'", arg);
        if (strcasecmp(arg, "tsv") == 0 && !p->in.delimiter)
            p->in.delimiter = '\t';
        break;
    case 'd':
        if (!cdp_parse_delimiter(arg, &p->in.delimiter))
            return cdp_usage_error(prog, "-d takes one character (or 'tab'), not '%s'", arg);
        break;
    case CDP_OPT_ENCODING:
        if (!cdp_encoding_known(arg))
            return cdp_usage_error(prog, "unknown encoding '%s' (see 'iconv -l')", arg);
        p->in.encoding = arg;
        break;
    case CDP_OPT_STATS:
        p->stats = arg;
        break;
    case CDP_OPT_REJECTS:
        p->rejects = arg;
        break;
    case CDP_OPT_THREADS:
        if (!cdp_parse_long(arg, 0, 64, &p->threads))
            return cdp_usage_error(prog, "--threads takes a number 0 to 64, not '%s'", arg);
        p->out.zstd_workers = cdp_cli_zstd_workers(p->threads);
        break;
    case 'q':
        p->quiet = true;
        break;
    case CDP_OPT_PROGRESS:
        p->progress = true;
        break;
    case CDP_OPT_SHOW_VALUES:
        p->show_values = true;
        break;
    case CDP_OPT_RULE_TIME:
        if (strcmp(arg, "0") == 0)
            p->rule_budget.cpu_seconds = 0;
        else if (!cdp_parse_double(arg, 0.001, 1e6, &p->rule_budget.cpu_seconds))
            return cdp_usage_error(prog, "--rule-time takes seconds (0.001 to 1e6, or 0), not '%s'",
                                   arg);
        snprintf(p->rule_time_text, sizeof p->rule_time_text, "--rule-time %.40s", arg);
        break;
    case CDP_OPT_RULE_MEMORY:
        if (strcmp(arg, "0") == 0)
            p->rule_budget.memory_bytes = 0;
        else if (!cdp_parse_size(arg, 1 << 20, &p->rule_budget.memory_bytes))
            return cdp_usage_error(prog, "--rule-memory takes a size (1M or more, or 0), not '%s'",
                                   arg);
        snprintf(p->rule_memory_text, sizeof p->rule_memory_text, "--rule-memory %.40s", arg);
        break;
    }
    return 0;
}

static void add_option(struct option **longs, size_t *n, struct cdp_buf *shorts,
                       const struct cdp_option *o)
{
    (*longs)[*n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL, o->id };
    (*n)++;
    if (o->id > 0 && o->id < 128) {
        cdp_buf_addc(shorts, (char)o->id);
        if (o->arg)
            cdp_buf_addc(shorts, ':');
    }
}

/* Writes --help or --version to stdout; 0, or 1 when stdout failed (a
 * full disk, a closed pipe). */
static int print_and_exit_status(const struct cdp_program *prog, bool help)
{
    if (help) {
        struct cdp_buf b = CDP_BUF_INIT;
        cdp_cli_help(prog, &b);
        fwrite(b.data, 1, b.len, stdout);
        cdp_buf_release(&b);
    } else {
        cdp_print_version(prog->name);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write to stdout: %s\n", prog->name, strerror(errno));
        return 1;
    }
    return 0;
}

/* Notes the file option c names, if it names one (see cli/files.h). */
static void add_file(const struct cdp_program *prog, struct cdp_cli_files *files, int c, const char *arg)
{
    static const struct { int id; const char *what; } shared_files[] = {
        { 'o', "-o" }, { CDP_OPT_STATS, "--stats" }, { CDP_OPT_REJECTS, "--rejects" },
    };
    for (const struct cdp_file_option *f = prog->files; f && f->id; f++)
        if (f->id == c) {
            const struct cdp_option *o = prog->options;
            while (o->id != c)
                o++;
            char what[48];
            if (o->id > 0 && o->id < 128)
                snprintf(what, sizeof what, "-%c", o->id);
            else
                snprintf(what, sizeof what, "--%s", o->name);
            cdp_cli_files_add(files, c, what, arg, f->role);
            return;
        }
    for (size_t i = 0; i < sizeof shared_files / sizeof *shared_files; i++)
        if (shared_files[i].id == c)
            cdp_cli_files_add(files, c, shared_files[i].what, arg, CDP_FILE_OUT);
}

static int same_file_ok(const void *ctx, int a, int b)
{
    const struct cdp_program *prog = ctx;
    for (const int (*p)[2] = prog->same_file_ok; p && (*p)[0]; p++)
        if (((*p)[0] == a && (*p)[1] == b) || ((*p)[0] == b && (*p)[1] == a))
            return 1;
    return 0;
}

static bool ends_with_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* After the options: the operands and the standard streams the program
 * falls back on join the files, and no two may be one (cli.h); -z may not
 * name a gzip file. Returns -1 to go on, or 2. */
static int check_files(const struct cdp_program *prog, const struct cdp_io_prefs *io,
                       struct cdp_cli_files *files, int argc, char **argv)
{
    if (io->out.zstd && io->output && ends_with_nocase(io->output, ".gz"))
        return cdp_usage_error(prog->name, "-z (or --zstd-level) writes zstd, but '%s' is named as gzip",
                               io->output);
    for (int i = optind; i < argc && prog->operands; i++)
        cdp_cli_files_add(files, 0, "input", argv[i], prog->operands & (CDP_FILE_INOUT | CDP_FILE_MANY));
    if (optind == argc && (prog->operands & CDP_FILE_STDIN))
        cdp_cli_files_add(files, 0, "input", "-", CDP_FILE_IN);
    if ((prog->shared & CDP_SHARED_OUTPUT) && !io->output)
        cdp_cli_files_add(files, 0, "output", "-", CDP_FILE_OUT);
    return cdp_cli_files_check(files, prog->name, same_file_ok, prog) ? 2 : -1;
}

int cdp_cli_parse(const struct cdp_program *prog, int argc, char **argv, struct cdp_io_prefs *io,
                  cdp_option_fn fn, void *prefs, int *first)
{
    memset(io, 0, sizeof *io);
    io->threads = -1;
    io->rule_budget.cpu_seconds = CDP_RULE_TIME_DEFAULT;
    io->rule_budget.memory_bytes = CDP_RULE_MEMORY_DEFAULT;
    strcpy(io->rule_time_text, "--rule-time " CDP_RULE_TIME_DEFAULT_TEXT);
    strcpy(io->rule_memory_text, "--rule-memory " CDP_RULE_MEMORY_DEFAULT_TEXT);
    io->rule_budget.time_option = io->rule_time_text;
    io->rule_budget.memory_option = io->rule_memory_text;
    size_t nprog = 0;
    while (prog->options && prog->options[nprog].name)
        nprog++;
    struct option *longs = cdp_xcalloc(nprog + NSHARED + 1, sizeof *longs);
    struct cdp_buf shorts = CDP_BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < nprog; i++)
        add_option(&longs, &n, &shorts, &prog->options[i]);
    for (size_t i = 0; i < NSHARED; i++)
        if (takes_shared(prog, i))
            add_option(&longs, &n, &shorts, &shared_options[i].opt);
    struct cdp_cli_rest rest = { argc, argv };
    struct cdp_cli_files files = { 0 };
    int status = -1, c, help = 0, version = 0;
    while (status < 0 && (c = getopt_long(argc, argv, shorts.data ? shorts.data : "", longs, NULL)) != -1) {
        add_file(prog, &files, c, optarg);
        if (c == '?') {
            /* getopt said what was wrong, in GNU's words */
            fprintf(stderr, "Try '%s --help' for more information.\n", prog->name);
            status = 2;
        } else if (c == CDP_OPT_HELP) {
            help = 1;
        } else if (c == CDP_OPT_VERSION) {
            version = 1;
        } else if (c >= CDP_OPT_SHARED && c < CDP_OPT_PROGRAM) {
            status = shared_option(io, prog->name, c, optarg) ? 2 : -1;
        } else {
            bool own = false;
            for (size_t i = 0; i < nprog && !own; i++)
                own = prog->options[i].id == c;
            if (own)
                status = fn(prefs, c, optarg, &rest) ? 2 : -1;
            else
                status = shared_option(io, prog->name, c, optarg) ? 2 : -1;
        }
    }
    free(longs);
    cdp_buf_release(&shorts);
    if (status < 0 && (help || version))
        status = print_and_exit_status(prog, help);
    if (status < 0)
        status = check_files(prog, io, &files, argc, argv);
    cdp_cli_files_release(&files);
    if (status >= 0)
        return status;
    if (prog->shared & CDP_SHARED_RULE_BUDGET)
        cdp_guard_watch(&io->rule_budget);
    *first = optind;
    return -1;
}

void cdp_io_apply_report(const struct cdp_io_prefs *p, struct cdp_report *r)
{
    r->quiet = p->quiet;
    r->show_values = p->show_values;
    if (p->progress)
        r->progress = true;
    /* Tests set the interval to 0 to see progress lines on a small input. */
    const char *interval = getenv("CDP_PROGRESS_INTERVAL");
    if (interval)
        r->progress_interval = atof(interval);
}

int cdp_cli_zstd_workers(long threads)
{
    return threads < 1 ? 1 : threads > CDP_OUTPUT_ZSTD_WORKERS_MAX ? CDP_OUTPUT_ZSTD_WORKERS_MAX : (int)threads;
}

size_t cdp_cli_threads(const struct cdp_io_prefs *p)
{
    return p->threads < 0 ? cdp_cpu_count() : (size_t)p->threads;
}

/* ---- option values ------------------------------------------------------ */

bool cdp_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cdp_parse_double(const char *s, double min, double max, double *out)
{
    /* Decimal digits, one point, an optional exponent: strtod alone would
     * take "nan", "inf" and hex. */
    size_t i = (s[0] == '-' || s[0] == '+');
    if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9'))
        return false;
    if (strpbrk(s, "xXnNiI"))
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cdp_parse_count(const char *s, long max, long *out)
{
    char num[32];
    size_t n = strlen(s);
    long mult = 1;
    if (n == 0 || n >= sizeof num)
        return false;
    memcpy(num, s, n + 1);
    if (num[n - 1] == 'k' || num[n - 1] == 'K')
        mult = 1000;
    else if (num[n - 1] == 'M' || num[n - 1] == 'm')
        mult = 1000000;
    if (mult > 1)
        num[n - 1] = '\0';
    long v;
    if (!cdp_parse_long(num, 1, max / mult, &v) || v * mult > max)
        return false;
    *out = v * mult;
    return true;
}

bool cdp_parse_size(const char *s, size_t min, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0) || !isfinite(v) || strpbrk(s, "xXnNiI"))
        return false;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v * mult >= (double)SIZE_MAX / 2)
        return false;
    *out = (size_t)(v * mult);
    return *out >= min;
}

int64_t cdp_today(void)
{
    return (int64_t)time(NULL) / 86400;
}

bool cdp_parse_day(const char *s, int64_t *day)
{
    if (strcmp(s, "today") == 0) {
        *day = cdp_today();
        return true;
    }
    struct cdp_datetime dt;
    if (strlen(s) != 10 || cdp_datetime_parse(s, 10, CDP_ORDER_YMD, false, &dt) != CDP_DATE_OK)
        return false;
    *day = cdp_days_from_civil(dt.year, dt.month, dt.day);
    return true;
}

bool cdp_parse_as_of(const char *s, int64_t *day, int64_t *ms)
{
    int64_t t;
    if ((strlen(s) == 10 || strcmp(s, "today") == 0) && cdp_parse_day(s, day)) {
        *ms = (*day + 1) * 86400000LL; /* the end of that day */
        return true;
    }
    if (strchr(s, 'T') && cdp_time_parse(s, strlen(s), &t)) {
        *ms = t;
        *day = t >= 0 ? t / 86400000LL : -((-t + 86399999) / 86400000LL);
        return true;
    }
    return false;
}

/* ---- the share folder --------------------------------------------------- */

int cdp_share_file(const char *kind, const char *name, struct cdp_buf *path)
{
    const char *env = getenv("CDP_SHARE");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char dirs[4][PATH_MAX + 32];
    int nd = 0;
    if (env && *env)
        snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
    if (n > 0 && !(env && *env)) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[nd++], sizeof dirs[0], "%s/../share/cdp", exe);
            snprintf(dirs[nd++], sizeof dirs[0], "%s/../../share/cdp", exe);
        }
    }
#ifdef CDP_SHARE_DIR
    if (!(env && *env))
        snprintf(dirs[nd++], sizeof dirs[0], "%s", CDP_SHARE_DIR);
#endif
    for (int i = 0; i < nd; i++) {
        cdp_buf_reset(path);
        cdp_buf_printf(path, "%s/%s/%s", dirs[i], kind, name);
        if (access(path->data, R_OK) == 0)
            return 0;
    }
    return -1;
}
