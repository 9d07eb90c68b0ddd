/* tutil — helpers shared by the tsdb tests: temp dirs, label sets and
 * reading whole series back. */
#ifndef HERON_TESTS_TSDB_TUTIL_H
#define HERON_TESTS_TSDB_TUTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsdb/tsdb.h"

static inline char *tu_tempdir(void)
{
    char *d = strdup("/tmp/heron-tsdb-test-XXXXXX");
    if (!d || !mkdtemp(d))
        abort();
    return d;
}

static inline void tu_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        char p[4096];
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            if (snprintf(p, sizeof p, "%s/%s", path, de->d_name) >= (int)sizeof p)
                continue;
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                tu_rmtree(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Builds a sorted label set from "name", "value", ... NULL into ls. */
static inline size_t tu_labels(tsdb_label *ls, size_t cap, ...)
{
    va_list ap;
    va_start(ap, cap);
    size_t n = 0;
    const char *name;
    while (n < cap && (name = va_arg(ap, const char *))) {
        ls[n].name = name;
        ls[n].value = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    tsdb_labels_sort(ls, n);
    return n;
}

static inline tsdb_matcher *tu_m(tsdb_match_type t, const char *n, const char *v)
{
    tsdb_matcher *m = NULL;
    heron_err err = {0};
    if (tsdb_matcher_new(t, n, v, &m, &err)) {
        fprintf(stderr, "matcher: %s\n", err.msg);
        abort();
    }
    return m;
}

/* Number of series and samples selected by ms over [mint, maxt]; when
 * sum is not NULL, adds up the values (stale markers count as 0). */
static inline int tu_count(tsdb_db *db, const tsdb_matcher *const *ms, size_t n,
                           int64_t mint, int64_t maxt, size_t *series,
                           size_t *samples, double *sum)
{
    tsdb_querier *q;
    tsdb_series_set *set;
    heron_err err = {0};
    int rc = tsdb_querier_new(db, mint, maxt, &q, &err);
    if (rc)
        return rc;
    rc = tsdb_querier_select(q, ms, n, &set, &err);
    if (rc) {
        tsdb_querier_free(q);
        return rc;
    }
    *series = *samples = 0;
    if (sum)
        *sum = 0;
    while (tsdb_series_set_next(set) == 1) {
        (*series)++;
        tsdb_iterator *it = tsdb_series_set_iterator(set);
        /* Odd series are read in batches, even ones sample by sample:
         * both must give the same samples. */
        if (*series % 2) {
            const int64_t *ts;
            const double *vs;
            int64_t prev = INT64_MIN;
            while ((rc = tsdb_iterator_next_batch(it, &ts, &vs)) > 0) {
                for (int j = 0; j < rc; j++) {
                    if (ts[j] <= prev || ts[j] < mint || ts[j] > maxt)
                        abort();
                    prev = ts[j];
                    (*samples)++;
                    if (sum && !tsdb_is_stale_nan(vs[j]))
                        *sum += vs[j];
                }
            }
            if (rc < 0)
                break;
            continue;
        }
        int64_t prev = INT64_MIN;
        while ((rc = tsdb_iterator_next(it)) == 1) {
            int64_t t;
            double v;
            tsdb_iterator_at(it, &t, &v);
            if (t <= prev)
                abort(); /* iterators must be strictly increasing */
            prev = t;
            (*samples)++;
            if (sum && !tsdb_is_stale_nan(v))
                *sum += v;
        }
        if (rc < 0)
            break;
    }
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    return rc < 0 ? rc : 0;
}

#endif
