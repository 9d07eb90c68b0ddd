/*
 * procstat — reading a process's /proc/<pid>/stat and fd directory, shared
 * by libheron's process collector and heron agent's process groups.
 *
 * The caller reads the files (from whatever procfs root it serves) and
 * hands the text over, so tests can feed recorded files. Pure functions;
 * thread-safe.
 */
#ifndef HERON_CORE_PROCSTAT_H
#define HERON_CORE_PROCSTAT_H

typedef struct procstat {
    char comm[64];
    double user, system; /* CPU seconds */
    double threads;
    double start;        /* seconds after boot */
    double vsize, rss;   /* bytes */
} procstat;

/* Parses the text of a stat file. The command name sits in parentheses and
 * may hold blanks and parentheses itself, so fields are counted after the
 * last ')'. 0, or HERON_EINVAL for text that is not a stat line. */
int procstat_parse(const char *text, procstat *out);

/* The number of entries in an fd directory (/proc/<pid>/fd), or -1 when it
 * cannot be read. */
double procstat_count_fds(const char *fd_dir);

#endif
