/*
 * test_promql_conformance — runs Prometheus' PromQL test scripts
 * (shared/conformance/promql, see its README) against the engine.
 *
 * Each file gets a fresh tsdb in a temporary directory; `load` appends
 * through a tsdb appender, `clear` starts a new database, and every eval is
 * run as an instant query and, unless it is eval_fail or eval_ordered, also
 * as Prometheus' range-mode probe (t-1m .. t+1m, step 1m, the point at t).
 * Like the upstream harness, evals without time-dependent functions are
 * also run with `@ <t>` pinned on every selector and subquery, at other
 * evaluation times (-10t, 0, t/5, t, 10t), expecting the same answer.
 * Prints one line per file, each failure with file:line and a reason, and
 * `promql conformance: N passed, M failed`. Exit status 1 when a required
 * case fails.
 *
 * Usage: test_promql_conformance [DIR] [-v] [FILE...]
 *   DIR defaults to $HERON_SOURCE_DIR/../shared/conformance/promql.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "promql/engine.h"
#include "promql/testscript.h"
#include "tsdb/tsdb.h"

static const char *const required[] = {
    "aggregators.test", "at_modifier.test", "collision.test",
    "functions.test",   "histograms.test",  "literals.test",
    "operators.test",   "selectors.test",   "staleness.test",
    "subquery.test",    "trig_functions.test"};
static const char *const optional[] = {
    "optional/eval_range/range_queries.test",
    "optional/native_histograms/native_histograms.test"};

static int verbose;
static int at_variant_cases; /* evals also checked with @ pinned */

typedef struct store {
    char dir[256];
    tsdb_db *db;
    promql_engine *eng;
} store;

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void store_close(store *s)
{
    promql_engine_free(s->eng);
    tsdb_close(s->db);
    s->eng = NULL;
    s->db = NULL;
    if (s->dir[0])
        nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = 0;
}

static int store_open(store *s)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/heron-promql-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir))
        return -1;
    tsdb_options o = {0};
    o.wal_sync = TSDB_WAL_SYNC_NEVER;
    o.block_range_ms = INT64_C(1) << 42; /* a head that takes any load */
    heron_err err = {0};
    if (tsdb_open(s->dir, &o, &s->db, &err)) {
        fprintf(stderr, "tsdb_open: %s\n", err.msg);
        return -1;
    }
    return promql_engine_new(s->db, NULL, &s->eng, &err);
}

static size_t ts_labels(const promql_ts_series *sr, tsdb_label *ls)
{
    size_t n = 0;
    for (size_t i = 0; i < sr->nlabels && i < 64; i++) {
        if (!sr->labels[i].value[0])
            continue;
        ls[n].name = sr->labels[i].name;
        ls[n++].value = sr->labels[i].value;
    }
    tsdb_labels_sort(ls, n);
    return n;
}

static int labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                        size_t nb);

/* Whether a later series of the load block has the same labels: as in
 * Prometheus' harness, the last definition of a series wins. */
static int redefined_later(const promql_ts_cmd *cmd, size_t k)
{
    tsdb_label a[64], b[64];
    size_t na = ts_labels(&cmd->series[k], a);
    for (size_t j = k + 1; j < cmd->nseries; j++) {
        size_t nb = ts_labels(&cmd->series[j], b);
        if (labels_equal(a, na, b, nb))
            return 1;
    }
    return 0;
}

static int load(store *s, const promql_ts_cmd *cmd, int *has_histograms)
{
    tsdb_appender *a;
    heron_err err = {0};
    if (tsdb_appender_new(s->db, &a, &err))
        return -1;
    for (size_t k = 0; k < cmd->nseries; k++) {
        const promql_ts_series *sr = &cmd->series[k];
        tsdb_label ls[64];
        size_t n = ts_labels(sr, ls);
        if (redefined_later(cmd, k))
            continue;
        tsdb_ref ref = 0;
        for (size_t i = 0; i < sr->nsamples; i++) {
            const promql_ts_sample *sm = &sr->samples[i];
            if (sm->kind == PROMQL_TS_HISTOGRAM) {
                *has_histograms = 1;
                continue;
            }
            double v = sm->kind == PROMQL_TS_STALE ? tsdb_stale_nan() : sm->value;
            if (tsdb_append(a, &ref, ls, n, sm->t_ms, v, &err))
                fprintf(stderr, "line %d: append: %s\n", sr->line, err.msg);
        }
    }
    int rc = tsdb_appender_commit(a, &err);
    if (rc)
        fprintf(stderr, "commit: %s\n", err.msg);
    tsdb_appender_free(a);
    return rc;
}

/* Prometheus' test framework comparison (relative tolerance 1e-6). */
static int almost_equal(double a, double b)
{
    const double eps = 1e-6, min_normal = 2.2250738585072014e-308;
    if (isnan(a) && isnan(b))
        return 1;
    if (a == b)
        return 1;
    double diff = fabs(a - b);
    if (a == 0 || b == 0 || diff < min_normal)
        return diff < eps * min_normal;
    return diff / (fabs(a) + fabs(b)) < eps;
}

static int labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                        size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) || strcmp(a[i].value, b[i].value))
            return 0;
    return 1;
}

static void fmt_labels(buf *b, const tsdb_label *ls, size_t n)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s=\"%s\"", i ? ", " : "", ls[i].name, ls[i].value);
    buf_putc(b, '}');
}

/* A result vector as label sets and values, whatever query shape gave it. */
typedef struct got {
    const tsdb_label *ls;
    size_t n;
    double v;
} got;

/* Compares got[0..n) with the expectations; writes a reason into why. */
static int compare(const promql_ts_cmd *cmd, const got *g, size_t n,
                   int is_scalar, double scalar, buf *why)
{
    if (cmd->expect_scalar) {
        if (!is_scalar) {
            buf_printf(why, "expected scalar %g, got a vector", cmd->scalar);
            return 0;
        }
        if (!almost_equal(scalar, cmd->scalar)) {
            buf_printf(why, "scalar %.17g vs expected %.17g", scalar, cmd->scalar);
            return 0;
        }
        return 1;
    }
    if (is_scalar) {
        buf_printf(why, "got scalar %g, expected a vector", scalar);
        return 0;
    }
    if (n != cmd->nseries) {
        buf_printf(why, "%zu series vs %zu expected", n, cmd->nseries);
        for (size_t i = 0; i < n && i < 6; i++) {
            buf_puts(why, "\n      got ");
            fmt_labels(why, g[i].ls, g[i].n);
            buf_printf(why, " %g", g[i].v);
        }
        return 0;
    }
    for (size_t k = 0; k < cmd->nseries; k++) {
        tsdb_label want[64];
        size_t nw = ts_labels(&cmd->series[k], want);
        double wv = cmd->series[k].nsamples ? cmd->series[k].samples[0].value : NAN;
        size_t found = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (labels_equal(g[i].ls, g[i].n, want, nw))
                found = i;
        if (found == SIZE_MAX) {
            buf_puts(why, "missing series ");
            fmt_labels(why, want, nw);
            for (size_t i = 0; i < n && i < 4; i++) {
                buf_puts(why, "\n      got ");
                fmt_labels(why, g[i].ls, g[i].n);
            }
            return 0;
        }
        if (cmd->ordered && found != k) {
            buf_puts(why, "wrong order at ");
            fmt_labels(why, want, nw);
            return 0;
        }
        if (!almost_equal(g[found].v, wv)) {
            buf_puts(why, "series ");
            fmt_labels(why, want, nw);
            buf_printf(why, ": value %.17g vs expected %.17g", g[found].v, wv);
            return 0;
        }
    }
    return 1;
}

/* Runs an instant query (probe=0) or the range-mode probe (probe=1). */
/* Runs expr as an instant query at t (probe=0) or as Prometheus' range-mode
 * probe around t (probe=1) and compares with cmd's expectations. */
static int check_instant(store *s, const promql_ts_cmd *cmd, const char *expr, int64_t t,
                         int probe, buf *why)
{
    promql_result r;
    heron_err err = {0};
    int rc = probe ? promql_engine_range(s->eng, expr, t - 60000, t + 60000, 60000, 0, &r,
                                         &err)
                   : promql_engine_instant(s->eng, expr, t, 0, &r, &err);
    int ok = 0;
    if (cmd->expect_fail) {
        ok = rc != 0;
        if (!ok)
            buf_puts(why, "expected error but got none");
    } else if (rc) {
        buf_printf(why, "unexpected error: %s", err.msg);
    } else {
        got *g = calloc(r.nseries + 1, sizeof *g);
        size_t n = 0;
        int is_scalar = r.type == PROMQL_TYPE_SCALAR;
        double scalar = r.scalar;
        for (size_t k = 0; k < r.nseries; k++) {
            const promql_rseries *rs = &r.series[k];
            for (size_t i = 0; i < rs->npoints; i++)
                if (rs->points[i].t == t) {
                    g[n].ls = rs->labels;
                    g[n].n = rs->nlabels;
                    g[n++].v = rs->points[i].v;
                }
        }
        if (probe && cmd->expect_scalar && r.nseries == 1 &&
            r.series[0].nlabels == 0 && n == 1) {
            is_scalar = 1;
            scalar = g[0].v;
        }
        if (r.type == PROMQL_TYPE_MATRIX && !probe) {
            buf_puts(why, "got a range vector");
        } else {
            ok = compare(cmd, g, n, is_scalar, scalar, why);
        }
        free(g);
    }
    promql_result_free(&r);
    return ok;
}

/* eval range (optional file): every expected point must match. */
static int check_range(store *s, const promql_ts_cmd *cmd, buf *why)
{
    promql_result r;
    heron_err err = {0};
    int rc = promql_engine_range(s->eng, cmd->expr, cmd->start_ms, cmd->end_ms,
                                 cmd->step_ms, 0, &r, &err);
    int ok = 0;
    if (cmd->expect_fail) {
        ok = rc != 0;
        if (!ok)
            buf_puts(why, "expected error but got none");
    } else if (rc) {
        buf_printf(why, "unexpected error: %s", err.msg);
    } else if (r.nseries != cmd->nseries) {
        buf_printf(why, "%zu series vs %zu expected", r.nseries, cmd->nseries);
    } else {
        ok = 1;
        for (size_t k = 0; k < cmd->nseries && ok; k++) {
            tsdb_label want[64];
            size_t nw = ts_labels(&cmd->series[k], want);
            const promql_rseries *rs = NULL;
            for (size_t i = 0; i < r.nseries; i++)
                if (labels_equal(r.series[i].labels, r.series[i].nlabels, want, nw))
                    rs = &r.series[i];
            const promql_ts_series *ws = &cmd->series[k];
            if (!rs || rs->npoints != ws->nsamples) {
                buf_puts(why, "missing or wrong-length series ");
                fmt_labels(why, want, nw);
                ok = 0;
                break;
            }
            for (size_t i = 0; i < ws->nsamples && ok; i++)
                if (rs->points[i].t != ws->samples[i].t_ms ||
                    !almost_equal(rs->points[i].v, ws->samples[i].value)) {
                    buf_printf(why, "point %zu differs", i);
                    ok = 0;
                }
        }
    }
    promql_result_free(&r);
    return ok;
}

/* ---- @-modifier variants (Prometheus' harness does the same) ---------- */

static int at_unsafe(const promql_function *f)
{
    static const char *const names[] = {"days_in_month", "day_of_month", "day_of_week",
                                        "day_of_year", "hour", "minute", "month", "year",
                                        "predict_linear", "time", "timestamp", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(f->name, names[i]) == 0)
            return 1;
    return 0;
}

/* Pins every selector and subquery without @ to t, leaving the insides of
 * subqueries alone; returns 1 when a function makes that unsound. */
static int pin_at(promql_node *n, int64_t t)
{
    promql_modifiers *mod = NULL;
    int unsafe = 0;
    switch (n->kind) {
    case PROMQL_VECTOR_SELECTOR:
        mod = &n->u.vs.mod;
        break;
    case PROMQL_MATRIX_SELECTOR:
        mod = &n->u.ms.vs->u.vs.mod;
        break;
    case PROMQL_SUBQUERY:
        if (n->u.sq.mod.at == PROMQL_AT_NONE) {
            n->u.sq.mod.at = PROMQL_AT_TIMESTAMP;
            n->u.sq.mod.at_ms = t;
        }
        return 0;
    case PROMQL_PAREN:
        return pin_at(n->u.paren.expr, t);
    case PROMQL_UNARY:
        return pin_at(n->u.unary.expr, t);
    case PROMQL_BINARY:
        return pin_at(n->u.binary.lhs, t) | pin_at(n->u.binary.rhs, t);
    case PROMQL_AGGREGATE:
        unsafe = pin_at(n->u.agg.expr, t);
        return n->u.agg.param ? unsafe | pin_at(n->u.agg.param, t) : unsafe;
    case PROMQL_CALL:
        unsafe = at_unsafe(n->u.call.func);
        for (size_t i = 0; i < n->u.call.nargs; i++)
            unsafe |= pin_at(n->u.call.args[i], t);
        return unsafe;
    default:
        return 0;
    }
    if (mod->at == PROMQL_AT_NONE) {
        mod->at = PROMQL_AT_TIMESTAMP;
        mod->at_ms = t;
    }
    return 0;
}

/* The query with @ <eval time> everywhere must give the same answer at
 * other evaluation times. */
static int check_at_variants(store *s, const promql_ts_cmd *cmd, buf *why)
{
    int64_t t = cmd->at_ms;
    if (!cmd->ast || pin_at(cmd->ast, t))
        return 1;
    buf text;
    buf_init(&text, 0);
    promql_print(cmd->ast, &text);
    int64_t times[5] = {-10 * t, 0, t / 5, t, 10 * t};
    size_t nt = 5;
    if (t == 0) {
        times[0] = 0, times[1] = -1000000, times[2] = 1000000;
        nt = 3;
    }
    int ok = 1;
    at_variant_cases++;
    for (size_t i = 0; i < nt && ok; i++) {
        ok = check_instant(s, cmd, text.data, times[i], 0, why);
        if (!ok)
            buf_printf(why, " (@ variant %s at %lld ms)", text.data, (long long)times[i]);
    }
    buf_free(&text);
    return ok;
}

typedef struct counts {
    int passed, failed, skipped;
} counts;


static counts run_file(const char *dir, const char *name, int optional_file)
{
    counts c = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *text = buf_load_file(path, &len);
    promql_arena arena;
    promql_arena_init(&arena, 0);
    promql_testscript ts;
    heron_err err = {0};
    if (!text || promql_testscript_parse(text, len, name, &arena, &ts, &err)) {
        printf("  %s: cannot read or parse: %s\n", name, text ? err.msg : "no file");
        c.failed = -1;
        free(text);
        promql_arena_free(&arena);
        return c;
    }
    store s = {0};
    if (store_open(&s)) {
        printf("  %s: cannot open a tsdb\n", name);
        c.failed = -1;
        free(text);
        promql_arena_free(&arena);
        return c;
    }
    int histograms = 0;
    for (size_t i = 0; i < ts.ncmds; i++) {
        const promql_ts_cmd *cmd = &ts.cmds[i];
        if (cmd->kind == PROMQL_TS_CLEAR) {
            store_close(&s);
            if (store_open(&s))
                break;
            histograms = 0;
            continue;
        }
        if (cmd->kind == PROMQL_TS_LOAD) {
            load(&s, cmd, &histograms);
            continue;
        }
        if (optional_file && histograms) {
            c.skipped++;
            continue;
        }
        buf why;
        buf_init(&why, 0);
        int ok;
        if (cmd->range) {
            ok = check_range(&s, cmd, &why);
        } else {
            ok = check_instant(&s, cmd, cmd->expr, cmd->at_ms, 0, &why);
            if (ok && !cmd->expect_fail && !cmd->ordered) {
                ok = check_instant(&s, cmd, cmd->expr, cmd->at_ms, 1, &why);
                if (!ok)
                    buf_puts(&why, " (range-mode probe)");
            }
            if (ok && !cmd->expect_fail)
                ok = check_at_variants(&s, cmd, &why);
        }
        if (ok) {
            c.passed++;
        } else {
            c.failed++;
            printf("  FAIL %s:%d: %s: %s\n", name, cmd->line, cmd->expr,
                   why.data ? why.data : "");
        }
        if (verbose && ok)
            printf("  ok   %s:%d: %s\n", name, cmd->line, cmd->expr);
        buf_free(&why);
    }
    store_close(&s);
    free(text);
    promql_arena_free(&arena);
    return c;
}

static int selected(const char *name, char **only, int nonly)
{
    if (!nonly)
        return 1;
    for (int i = 0; i < nonly; i++)
        if (strstr(name, only[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    char defdir[1024];
    const char *dir = NULL;
    char **only = calloc((size_t)argc + 1, sizeof *only);
    int nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (!dir && strchr(argv[i], '/'))
            dir = argv[i];
        else
            only[nonly++] = argv[i];
    }
    if (!dir) {
        const char *src = getenv("HERON_SOURCE_DIR");
        snprintf(defdir, sizeof defdir, "%s/../shared/conformance/promql",
                 src ? src : ".");
        dir = defdir;
    }
    counts total = {0};
    int broken = 0;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        if (!selected(required[i], only, nonly))
            continue;
        counts c = run_file(dir, required[i], 0);
        if (c.failed < 0) {
            broken = 1;
            continue;
        }
        printf("%-28s %4d passed %4d failed\n", required[i], c.passed, c.failed);
        total.passed += c.passed;
        total.failed += c.failed;
    }
    printf("%-28s %4d passed %4d failed\n", "REQUIRED TOTAL", total.passed,
           total.failed);
    counts opt = {0};
    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++) {
        if (!selected(optional[i], only, nonly))
            continue;
        counts c = run_file(dir, optional[i], 1);
        if (c.failed < 0)
            continue;
        printf("%s %d passed %d failed %d skipped\n", optional[i], c.passed,
               c.failed, c.skipped);
        opt.passed += c.passed;
        opt.failed += c.failed;
        opt.skipped += c.skipped;
    }
    printf("(range-mode probes on every eval that is not eval_fail/eval_ordered; "
           "@-modifier variants on %d evals)\n", at_variant_cases);
    printf("promql conformance: %d passed, %d failed (optional: %d passed, "
           "%d failed, %d skipped)\n",
           total.passed, total.failed, opt.passed, opt.failed, opt.skipped);
    free(only);
    return total.failed || broken ? 1 : 0;
}
