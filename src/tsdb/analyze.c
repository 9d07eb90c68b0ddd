/* analyze — `heron tsdb analyze`: blocks and label cardinality. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/block.h"

typedef struct stat_row {
    char *what;
    uint64_t n;
} stat_row;

static int row_cmp(const void *a, const void *b)
{
    const stat_row *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->what, y->what);
}

static void print_top(FILE *out, const char *title, stat_row *rows, size_t n,
                      size_t limit)
{
    if (n > 1)
        qsort(rows, n, sizeof *rows, row_cmp);
    fprintf(out, "\n%s:\n", title);
    for (size_t i = 0; i < n && i < limit; i++)
        fprintf(out, "%10llu %s\n", (unsigned long long)rows[i].n, rows[i].what);
}

static void free_rows(stat_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].what);
    free(rows);
}

static int push_row(stat_row **rows, size_t *n, const char *a, const char *b,
                    uint64_t count)
{
    stat_row *r = realloc(*rows, (*n + 1) * sizeof *r);
    if (!r)
        return HERON_ENOMEM;
    *rows = r;
    size_t len = strlen(a) + (b ? strlen(b) + 4 : 0) + 1;
    char *w = malloc(len);
    if (!w)
        return HERON_ENOMEM;
    if (b)
        snprintf(w, len, "%s=\"%s\"", a, b);
    else
        snprintf(w, len, "%s", a);
    r[*n] = (stat_row){w, count};
    (*n)++;
    return 0;
}

/* Label statistics of one block through its query-source interface. */
static int analyze_block(block *b, size_t limit, FILE *out, heron_err *err)
{
    const qsource_ops *ops = &block_qsource_ops;
    tsdb_strings names = {0};
    plist p = {0};
    stat_row *card = NULL, *pairs = NULL, *metrics = NULL;
    size_t ncard = 0, npairs = 0, nmetrics = 0;
    uint64_t entries = 0;
    int rc = ops->names(b, &names, err);
    if (rc == 0)
        rc = ops->all(b, &p, err);
    const block_meta *m = block_get_meta(b);
    fprintf(out, "\nBlock ID: %s\nDuration: %.1f h\nSeries: %zu\nLabel names: %zu\n",
            m->id, (double)(m->maxt - m->mint) / 3.6e6, p.n, names.n);
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        tsdb_strings vals = {0};
        rc = ops->values(b, names.v[i], &vals, err);
        if (rc == 0)
            rc = push_row(&card, &ncard, names.v[i], NULL, vals.n);
        for (size_t j = 0; j < vals.n && rc == 0; j++) {
            p.n = 0;
            rc = ops->postings(b, names.v[i], vals.v[j], &p, err);
            entries += p.n;
            if (rc == 0)
                rc = push_row(&pairs, &npairs, names.v[i], vals.v[j], p.n);
            if (rc == 0 && strcmp(names.v[i], "__name__") == 0)
                rc = push_row(&metrics, &nmetrics, vals.v[j], NULL, p.n);
        }
        tsdb_strings_free(&vals);
    }
    if (rc == 0) {
        fprintf(out, "Label pairs: %zu\nLabel pair entries: %llu\n", npairs,
                (unsigned long long)entries);
        print_top(out, "Highest cardinality labels (distinct values)", card, ncard, limit);
        print_top(out, "Highest cardinality metric names (series)", metrics, nmetrics, limit);
        print_top(out, "Most common label pairs (series)", pairs, npairs, limit);
    }
    free_rows(card, ncard);
    free_rows(pairs, npairs);
    free_rows(metrics, nmetrics);
    tsdb_strings_free(&names);
    plist_free(&p);
    return rc;
}

static int by_mint(const void *a, const void *b)
{
    int64_t x = block_get_meta(*(block *const *)a)->mint;
    int64_t y = block_get_meta(*(block *const *)b)->mint;
    return (x > y) - (x < y);
}

int tsdb_analyze(const char *dir, const char *block_id, size_t limit,
                 FILE *out, heron_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, HERON_EIO, "open %s: cannot read the directory", dir);
    block **bs = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    char path[4096];
    while (rc == 0 && (de = readdir(d))) {
        if (strlen(de->d_name) != BLOCK_ID_LEN ||
            strspn(de->d_name, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != BLOCK_ID_LEN)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        block *b;
        if ((rc = block_open(path, &b, err)))
            break;
        block **nb = realloc(bs, (n + 1) * sizeof *nb);
        if (!nb) {
            block_close(b);
            rc = err_set(err, HERON_ENOMEM, "out of memory");
            break;
        }
        bs = nb;
        bs[n++] = b;
    }
    closedir(d);
    if (n > 1)
        qsort(bs, n, sizeof *bs, by_mint);
    block *pick = NULL;
    if (rc == 0) {
        fprintf(out, "%-26s %15s %15s %9s %9s %11s %9s %12s\n", "BLOCK ID", "MIN TIME",
                "MAX TIME", "DURATION", "SERIES", "SAMPLES", "CHUNKS", "BYTES");
        for (size_t i = 0; i < n; i++) {
            const block_meta *m = block_get_meta(bs[i]);
            fprintf(out, "%-26s %15lld %15lld %8.1fh %9llu %11llu %9llu %12llu\n", m->id,
                    (long long)m->mint, (long long)m->maxt,
                    (double)(m->maxt - m->mint) / 3.6e6, (unsigned long long)m->nseries,
                    (unsigned long long)m->nsamples, (unsigned long long)m->nchunks,
                    (unsigned long long)block_bytes(bs[i]));
            if (block_id ? strcmp(m->id, block_id) == 0
                         : (!pick || m->maxt > block_get_meta(pick)->maxt))
                pick = bs[i];
        }
        if (n == 0)
            fprintf(out, "(no blocks; the head is only in the WAL)\n");
        if (block_id && !pick)
            rc = err_set(err, HERON_ENOENT, "no block %s in %s", block_id, dir);
        else if (pick)
            rc = analyze_block(pick, limit ? limit : 20, out, err);
    }
    for (size_t i = 0; i < n; i++)
        block_close(bs[i]);
    free(bs);
    return rc;
}
