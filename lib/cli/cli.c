#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "norm/date.h"

void cdp_io_prefs_init(struct cdp_io_prefs *p)
{
    memset(p, 0, sizeof *p);
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

static char delimiter_arg(const char *arg)
{
    if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0 || strcmp(arg, "TAB") == 0)
        return '\t';
    if (strcmp(arg, "comma") == 0)
        return ',';
    if (strcmp(arg, "semicolon") == 0)
        return ';';
    if (strcmp(arg, "pipe") == 0)
        return '|';
    if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
        return arg[0];
    return 0;
}

int cdp_io_option(struct cdp_io_prefs *p, const char *prog, int opt, const char *arg)
{
    long level;
    switch (opt) {
    case 'o':
        p->output = arg;
        return 1;
    case 'z':
        p->out.zstd = true;
        return 1;
    case CDP_OPT_ZSTD_LEVEL:
        if (!cdp_parse_long(arg, 1, 19, &level))
            return cdp_usage_error(prog, "--zstd-level must be 1 to 19, not '%s'", arg);
        p->out.zstd = true;
        p->out.zstd_level = (int)level;
        return 1;
    case 'i':
        p->in.format = cdp_format_parse(arg);
        if (p->in.format == CDP_FORMAT_AUTO)
            return cdp_usage_error(prog, "-i takes csv, tsv or ndjson, not '%s'", arg);
        if (strcasecmp(arg, "tsv") == 0 && !p->in.delimiter)
            p->in.delimiter = '\t';
        return 1;
    case 'd':
        p->in.delimiter = delimiter_arg(arg);
        if (!p->in.delimiter)
            return cdp_usage_error(prog, "-d takes one character (or 'tab'), not '%s'", arg);
        return 1;
    case CDP_OPT_ENCODING:
        p->in.encoding = arg;
        return 1;
    case CDP_OPT_STATS:
        p->stats = arg;
        return 1;
    case 'q':
        p->quiet = true;
        return 1;
    case CDP_OPT_PROGRESS:
        p->progress = true;
        return 1;
    case CDP_OPT_HELP:
        p->help = true;
        return 1;
    case CDP_OPT_VERSION:
        p->version = true;
        return 1;
    }
    return 0;
}

void cdp_io_apply_report(const struct cdp_io_prefs *p, struct cdp_report *r)
{
    r->quiet = p->quiet;
    if (p->progress)
        r->progress = true;
    /* Tests set the interval to 0 to see progress lines on a small input. */
    const char *interval = getenv("CDP_PROGRESS_INTERVAL");
    if (interval)
        r->progress_interval = atof(interval);
}
