/*
 * main.c — `heron <command> [flags]`: dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "heron.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"server", cmd_server, "scrape, store, query, alert and serve the UI"},
    {"agent", cmd_agent, "expose host, process and GPU metrics (node_exporter's flags)"},
    {"tsdb", cmd_tsdb, "analyze a database directory, backfill OpenMetrics into blocks"},
    {"privacy", cmd_privacy, "differential-privacy calculator: epsilon, delta, RDP curves"},
    {"check", cmd_check, "validate configuration files (like promtool check)"},
    {"query", cmd_query, "run a PromQL query against a server (like promtool query)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: heron <command> [flags]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `heron <command> --help` for a command's flags.\n"
                 "`heron --version` prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("heron, version %s\n", HERON_VERSION);
        return 0;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "heron: unknown command \"%s\"\n\n", name);
    usage(stderr);
    return 2;
}
