/* files.h: the files a program's command line names, and the check that no
 * two of them are one file when either is written (see cli.h for the
 * policy). cdp_cli_parse collects them as it parses: each option whose
 * table entry has a CDP_FILE_* role, the shared -o, --stats and --rejects,
 * the operands, standard input when a program reads it for want of
 * operands, and standard output when it writes there for want of -o. */
#ifndef CDP_CLI_FILES_H
#define CDP_CLI_FILES_H

#include <stddef.h>

struct cdp_cli_file {
    int id;           /* the option's id; 0 for an operand or a default */
    char what[48];    /* how messages name it: "-o", "--state", "input" */
    const char *path; /* as given (argv's); "-" for standard input/output */
    unsigned role;    /* CDP_FILE_IN, _OUT or _INOUT */
};

struct cdp_cli_files {
    struct cdp_cli_file *v;
    size_t n, cap;
};

/* Adds a file. A written file replaces an earlier one of the same option
 * (the last -o counts) unless its role has CDP_FILE_MANY; inputs are all
 * kept (--previous a --previous b). */
void cdp_cli_files_add(struct cdp_cli_files *f, int id, const char *what, const char *path,
                       unsigned role);

/* Whether ids a and b are a pair of the program's same_file_ok. */
typedef int (*cdp_same_ok_fn)(const void *prog, int a, int b);

/* Checks every pair; prints the usage error for the first two files that
 * are one and returns 2, else 0. */
int cdp_cli_files_check(const struct cdp_cli_files *f, const char *prog, cdp_same_ok_fn ok,
                        const void *ctx);

void cdp_cli_files_release(struct cdp_cli_files *f);

#endif
