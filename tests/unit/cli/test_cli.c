/* Unit tests of lib/cli/cli.h's shared options: --threads N passes its
 * count down to the outputs' compression threads (one at least, four at
 * most), and without it the outputs keep their default (one per CPU). */
#include <getopt.h>

#include "../check.h"
#include "cli/cli.h"

static const struct cdp_option no_options[] = { { 0 } };
static const struct cdp_program program = {
    "cdp-test", "[OPTION]...", "A test.", no_options, CDP_SHARED_OUTPUT | CDP_SHARED_THREADS, "", NULL, 0, NULL,
};

static int no_own(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    (void)prefs, (void)id, (void)arg, (void)rest;
    return 0;
}

/* The zstd_workers that cdp_cli_parse leaves after the arguments a and b
 * (either NULL: fewer), or -100 when it did not accept them. */
static int workers_after(const char *a, const char *b)
{
    char *argv[] = { "cdp-test", (char *)a, (char *)b, NULL };
    int argc = a ? b ? 3 : 2 : 1;
    struct cdp_io_prefs io;
    int first = 0;
    optind = 0; /* getopt starts again */
    if (cdp_cli_parse(&program, argc, argv, &io, no_own, NULL, &first) != -1)
        return -100;
    return io.out.zstd_workers;
}

int main(void)
{
    CHECK(cdp_cli_zstd_workers(0) == 1); /* 0 threads: still one, for the same bytes */
    CHECK(cdp_cli_zstd_workers(1) == 1);
    CHECK(cdp_cli_zstd_workers(2) == 2);
    CHECK(cdp_cli_zstd_workers(4) == 4);
    CHECK(cdp_cli_zstd_workers(64) == 4);

    CHECK(workers_after(NULL, NULL) == 0); /* the default: one per CPU */
    CHECK(workers_after("--threads", "0") == 1);
    CHECK(workers_after("--threads", "1") == 1);
    CHECK(workers_after("--threads=3", NULL) == 3);
    CHECK(workers_after("--threads", "64") == 4);
    CHECK(workers_after("-z", NULL) == 0);
    return check_report("test_cli");
}
