/* run.h: the report's first section, the run: every program's --stats
 * file (cli/report.h writes them) of tonight and of each night kept, and
 * cdp-ingest's rejects files beside them. */
#ifndef CDP_INSIGHT_RUN_H
#define CDP_INSIGHT_RUN_H

#include "base/error.h"
#include "insight/figures.h"

/* Reads one --stats file. -1 with err (file:line) when it cannot be read
 * or is not one. */
int cdp_stats_file_read(const char *path, struct cdp_stats_file *out, struct cdp_error *err);
void cdp_stats_file_release(struct cdp_stats_file *f);
/* The count called name in f's "counts", or 0. */
double cdp_stats_count(const struct cdp_stats_file *f, const char *name);
/* The group called name, or NULL. */
const struct cdp_stats_group *cdp_stats_group(const struct cdp_stats_file *f, const char *name);

/* Fills fig->run from opt->dir: tonight's stats files and the nights'. */
void cdp_run_read(const struct cdp_insight_options *opt, struct cdp_insight *fig);
void cdp_run_release(struct cdp_run_figures *run);

#endif
