/*
 * flags — command-line flags in Prometheus' style.
 *
 * Flags are long options only: --name=value or --name value; booleans are
 * --name, --name=true|false or --no-name. A table of flag_spec describes each
 * flag and where its parsed value goes; defaults are whatever the targets
 * hold before parsing. Unknown flags, missing or malformed values are errors
 * that name the flag. Not thread-safe (start-up only).
 */
#ifndef HERON_CORE_FLAGS_H
#define HERON_CORE_FLAGS_H

#include <stdint.h>
#include <stdio.h>

#include "heron.h"

typedef enum flag_kind {
    FLAG_STRING,   /* const char ** (points into argv) */
    FLAG_BOOL,     /* int * */
    FLAG_INT,      /* int64_t * */
    FLAG_DURATION, /* int64_t * milliseconds, Prometheus notation */
    FLAG_BYTES     /* int64_t * bytes, e.g. 512MB */
} flag_kind;

typedef struct flag_spec {
    const char *name; /* without the leading "--" */
    flag_kind kind;
    void *target;
    const char *help;
} flag_spec;

/* Parses argv[0..argc) (argv[0] is the first argument, not the program).
 * Non-flag arguments are collected, in order, into positional[0..*npos),
 * which must have room for argc entries. "--" ends flag parsing. */
int flags_parse(const flag_spec *specs, int argc, char **argv,
                char **positional, int *npos, heron_err *err);

/* Prints a usage message listing every flag and its current value. */
void flags_usage(FILE *out, const char *usage_line, const flag_spec *specs);

/* A subcommand's command line: its name for messages ("heron server"), the
 * usage line, its flags (a FLAG_BOOL named "help" shows the usage) and how
 * many positional arguments it takes. */
typedef struct flag_command {
    const char *name;
    const char *usage;
    const flag_spec *specs;
    int min_args, max_args;
} flag_command;

/* The front of every subcommand. Parses argv into the flags and pos (room
 * for argc entries). Returns -1 when the command should go on; 0 after
 * printing the usage for --help; 2 after printing what was wrong and the
 * usage to stderr (bad flag, wrong number of arguments). */
int flags_command(const flag_command *c, int argc, char **argv, char **pos,
                  int *npos);

#endif
