#include "core/procstat.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heron.h"

/* The fields we use, numbered as proc(5) numbers them. */
enum { F_UTIME = 14, F_STIME = 15, F_THREADS = 20, F_START = 22, F_VSIZE = 23, F_RSS = 24 };

int procstat_parse(const char *text, procstat *out)
{
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (!open || !close || close < open)
        return HERON_EINVAL;
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof out->comm)
        len = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, len);
    out->comm[len] = '\0';

    const char *p = close + 1;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return HERON_EINVAL;
    p++; /* field 3, the state letter */
    double f[F_RSS + 1] = {0};
    for (int field = 4; field <= F_RSS; field++) {
        char *end;
        f[field] = strtod(p, &end); /* strtod skips the blanks before */
        if (end == p)
            return HERON_EINVAL;
        p = end;
    }
    double hz = (double)sysconf(_SC_CLK_TCK);
    out->user = f[F_UTIME] / hz;
    out->system = f[F_STIME] / hz;
    out->threads = f[F_THREADS];
    out->start = f[F_START] / hz;
    out->vsize = f[F_VSIZE];
    out->rss = f[F_RSS] * (double)sysconf(_SC_PAGESIZE);
    return 0;
}

double procstat_count_fds(const char *fd_dir)
{
    DIR *d = opendir(fd_dir);
    if (!d)
        return -1;
    double n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}
