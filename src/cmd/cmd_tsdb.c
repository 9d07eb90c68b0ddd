/*
 * cmd_tsdb.c — `heron tsdb`: tools for the time-series database.
 *
 *   heron tsdb analyze DIR [--block=ID] [--limit=N]
 *   heron tsdb import openmetrics FILE DIR [--block-duration=2h]
 */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "core/flags.h"
#include "tsdb/tsdb.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: heron tsdb analyze DIR [--block=ID] [--limit=N]\n"
            "       heron tsdb import openmetrics FILE DIR [--block-duration=2h]\n");
}

static int analyze(int argc, char **argv)
{
    const char *block = NULL;
    int64_t limit = 20;
    int help = 0;
    flag_spec specs[] = {
        {"block", FLAG_STRING, &block, "block to analyze (default: the newest)"},
        {"limit", FLAG_INT, &limit, "lines per table"},
        {"help", FLAG_BOOL, &help, "show this help"},
        {NULL, 0, NULL, NULL},
    };
    const flag_command cmd = {"heron tsdb analyze", "heron tsdb analyze [flags] DIR", specs, 1, 1};
    char *pos[argc + 1];
    int npos = 0;
    int status = flags_command(&cmd, argc, argv, pos, &npos);
    if (status >= 0)
        return status;
    if (limit <= 0) {
        fprintf(stderr, "heron tsdb analyze: --limit must be positive\n");
        return 2;
    }
    heron_err err = {0};
    if (tsdb_analyze(pos[0], block, (size_t)limit, stdout, &err)) {
        fprintf(stderr, "heron tsdb analyze: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int import(int argc, char **argv)
{
    int64_t range = 2 * 3600 * 1000;
    int help = 0;
    flag_spec specs[] = {
        {"block-duration", FLAG_DURATION, &range, "span of the blocks written"},
        {"help", FLAG_BOOL, &help, "show this help"},
        {NULL, 0, NULL, NULL},
    };
    const flag_command cmd = {"heron tsdb import", "heron tsdb import openmetrics [flags] FILE DIR",
                              specs, 3, 3};
    char *pos[argc + 1];
    int npos = 0;
    int status = flags_command(&cmd, argc, argv, pos, &npos);
    if (status >= 0)
        return status;
    if (strcmp(pos[0], "openmetrics") != 0 || range <= 0) {
        fprintf(stderr, "heron tsdb import: want \"openmetrics FILE DIR\" and a positive --block-duration\n");
        return 2;
    }
    heron_err err = {0};
    uint64_t n = 0;
    if (tsdb_import_openmetrics(pos[1], pos[2], range, &n, &err)) {
        fprintf(stderr, "heron tsdb import: %s\n", err.msg);
        return 1;
    }
    printf("imported %llu samples from %s into %s\n", (unsigned long long)n, pos[1],
           pos[2]);
    return 0;
}

int cmd_tsdb(int argc, char **argv)
{
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[0], "analyze"))
        return analyze(argc - 1, argv + 1);
    if (!strcmp(argv[0], "import"))
        return import(argc - 1, argv + 1);
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "heron tsdb: unknown command \"%s\"\n", argv[0]);
    usage(stderr);
    return 2;
}
