/*
 * import — backfilling an OpenMetrics / Prometheus text file into blocks.
 * The file goes through a private database in DIR/.import-XXXXXX (with an
 * unbounded out-of-order window) whose head is then cut into blocks; the
 * finished blocks are renamed into DIR. Blocks overlapping existing ones
 * are merged by the next compaction of the database in DIR.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/block.h"
#include "tsdb/labels.h"

#define MAX_LABELS 128

typedef struct line_parser {
    char *p;
    const char *file;
    size_t line;
    heron_err *err;
} line_parser;

static int bad(line_parser *lp, const char *what)
{
    return err_set(lp->err, HERON_EINVAL, "%s:%zu: %s", lp->file, lp->line, what);
}

static int is_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == ':' || (!first && c >= '0' && c <= '9');
}

/* Parses a name in place; returns it NUL-terminated later by the caller. */
static char *parse_name(line_parser *lp)
{
    char *s = lp->p;
    if (!is_name_char(*s, 1))
        return NULL;
    while (is_name_char(*lp->p, 0))
        lp->p++;
    return s;
}

/* Parses "..." with \\ \" \n escapes, unescaping in place. */
static char *parse_quoted(line_parser *lp)
{
    if (*lp->p != '"')
        return NULL;
    char *start = ++lp->p, *w = start;
    while (*lp->p && *lp->p != '"') {
        if (*lp->p == '\\') {
            lp->p++;
            if (*lp->p == 'n')
                *w++ = '\n';
            else if (*lp->p == '\\' || *lp->p == '"')
                *w++ = *lp->p;
            else
                return NULL;
            lp->p++;
        } else {
            *w++ = *lp->p++;
        }
    }
    if (*lp->p != '"')
        return NULL;
    lp->p++;
    *w = 0;
    return start;
}

static int parse_float(const char *s, double *v)
{
    if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) {
        *v = INFINITY;
        return 0;
    }
    if (!strcmp(s, "-Inf")) {
        *v = -INFINITY;
        return 0;
    }
    if (!strcmp(s, "NaN")) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return (*s && !*end && errno != ERANGE) ? 0 : -1;
}

/* One sample line: name{labels} value timestamp. */
static int parse_sample(line_parser *lp, tsdb_label *ls, size_t *n, int64_t *t,
                        double *v)
{
    char *name = parse_name(lp);
    if (!name)
        return bad(lp, "expected a metric name");
    char *name_end = lp->p;
    size_t k = 0;
    ls[k++] = (tsdb_label){"__name__", name};
    if (*lp->p == '{') {
        *name_end = 0;
        lp->p++;
        while (*lp->p != '}') {
            if (k >= MAX_LABELS)
                return bad(lp, "too many labels");
            char *ln = parse_name(lp);
            if (!ln)
                return bad(lp, "expected a label name");
            char *ln_end = lp->p;
            if (*lp->p != '=')
                return bad(lp, "expected '=' after the label name");
            lp->p++;
            char *lv = parse_quoted(lp);
            if (!lv)
                return bad(lp, "expected a quoted label value");
            *ln_end = 0;
            ls[k++] = (tsdb_label){ln, lv};
            if (*lp->p == ',')
                lp->p++;
            else if (*lp->p != '}')
                return bad(lp, "expected ',' or '}'");
        }
        lp->p++;
    }
    if (*lp->p != ' ')
        return bad(lp, "expected a space before the value");
    while (*lp->p == ' ')
        lp->p++;
    *name_end = 0; /* the name ends at '{' or at the first space */
    char *val = lp->p;
    while (*lp->p && *lp->p != ' ')
        lp->p++;
    if (!*lp->p)
        return bad(lp, "sample has no timestamp (backfill needs one)");
    *lp->p++ = 0;
    char *ts = lp->p;
    while (*lp->p && *lp->p != ' ')
        lp->p++;
    if (*lp->p == ' ') /* an exemplar may follow; ignore it */
        *lp->p = 0;
    double secs;
    if (parse_float(val, v))
        return bad(lp, "bad sample value");
    if (parse_float(ts, &secs) || !isfinite(secs) || fabs(secs) > 9e15)
        return bad(lp, "bad timestamp");
    *t = llround(secs * 1000.0);
    tsdb_labels_sort(ls, k);
    *n = k;
    return 0;
}

/* Renames every block of src into dst. */
static int move_blocks(const char *src, const char *dst, heron_err *err)
{
    DIR *d = opendir(src);
    if (!d)
        return err_set(err, HERON_EIO, "open %s: %s", src, strerror(errno));
    struct dirent *de;
    char from[4096], to[4096];
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (strlen(de->d_name) != BLOCK_ID_LEN || de->d_name[0] == '.')
            continue;
        if (snprintf(from, sizeof from, "%s/%s", src, de->d_name) >= (int)sizeof from ||
            snprintf(to, sizeof to, "%s/%s", dst, de->d_name) >= (int)sizeof to)
            rc = err_set(err, HERON_EINVAL, "path too long under %s", dst);
        else if (rename(from, to))
            rc = err_set(err, HERON_EIO, "move %s to %s: %s", from, to, strerror(errno));
    }
    closedir(d);
    return rc;
}

static int import_into(FILE *f, const char *file, const char *dir,
                       int64_t block_range_ms, uint64_t *samples, heron_err *err);

int tsdb_import_openmetrics(const char *file, const char *dir,
                            int64_t block_range_ms, uint64_t *samples,
                            heron_err *err)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return err_set(err, HERON_EIO, "open %s: %s", file, strerror(errno));
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.import-XXXXXX", dir);
    int rc = 0;
    if (mkdir(dir, 0755) && errno != EEXIST)
        rc = err_set(err, HERON_EIO, "mkdir %s: %s", dir, strerror(errno));
    else if (!mkdtemp(tmp))
        rc = err_set(err, HERON_EIO, "create %s: %s", tmp, strerror(errno));
    if (rc == 0) {
        rc = import_into(f, file, tmp, block_range_ms, samples, err);
        if (rc == 0)
            rc = move_blocks(tmp, dir, err);
        block_remove_dir(tmp);
    }
    fclose(f);
    return rc;
}

static int import_into(FILE *f, const char *file, const char *dir,
                       int64_t block_range_ms, uint64_t *samples, heron_err *err)
{
    tsdb_options o = {.block_range_ms = block_range_ms,
                      .ooo_window_ms = INT64_MAX / 4,
                      .wal_sync = TSDB_WAL_SYNC_NEVER};
    tsdb_db *db;
    int rc = tsdb_open(dir, &o, &db, err);
    if (rc)
        return rc;
    tsdb_appender *a = NULL;
    rc = tsdb_appender_new(db, &a, err);
    char *line = NULL;
    size_t cap = 0, batch = 0;
    ssize_t len;
    line_parser lp = {.file = file, .err = err};
    tsdb_label ls[MAX_LABELS];
    *samples = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lp.line++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0)
            continue;
        if (line[0] == '#') {
            if (!strcmp(line, "# EOF"))
                break;
            continue;
        }
        lp.p = line;
        size_t n = 0;
        int64_t t = 0;
        double v = 0;
        if ((rc = parse_sample(&lp, ls, &n, &t, &v)))
            break;
        heron_err aerr = {0};
        rc = tsdb_append(a, NULL, ls, n, t, v, &aerr);
        if (rc)
            rc = err_set(err, rc, "%s:%zu: %s", file, lp.line, aerr.msg);
        else
            (*samples)++;
        if (rc == 0 && ++batch == 10000) {
            rc = tsdb_appender_commit(a, err);
            batch = 0;
        }
    }
    if (rc == 0 && ferror(f))
        rc = err_set(err, HERON_EIO, "read %s: %s", file, strerror(errno));
    if (rc == 0)
        rc = tsdb_appender_commit(a, err);
    if (rc == 0)
        rc = tsdb_flush_head(db, err);
    if (rc == 0) {
        tsdb_stats st;
        tsdb_get_stats(db, &st);
        if (st.head_series)
            rc = err_set(err, HERON_ESTATE, "%s: %llu series were left in the head",
                         file, (unsigned long long)st.head_series);
    }
    tsdb_appender_free(a);
    tsdb_close(db);
    free(line);
    return rc;
}
