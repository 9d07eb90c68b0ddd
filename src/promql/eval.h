/*
 * eval — the evaluator's internal representation; internal to src/promql.
 *
 * A node is evaluated once for all steps of the query. Its value is
 * column-shaped: an instant vector is a list of series, each with one value
 * and one presence flag per step; a scalar is one value per step; a range
 * vector (matrix selector or subquery) is a list of series with all their
 * samples in time order plus, per step, the end of that step's window.
 * Functions slide over the samples instead of loading them again per step.
 * Everything lives in the query's arena.
 */
#ifndef HERON_PROMQL_EVAL_H
#define HERON_PROMQL_EVAL_H

#include <stdint.h>

#include "core/buf.h"
#include "promql/engine.h"

typedef struct ev_series {
    tsdb_label *ls;
    size_t nls;
    double *v;   /* [nsteps] */
    uint8_t *ok; /* [nsteps]: 1 where the series has a value */
} ev_series;

typedef struct ev_rseries {
    tsdb_label *ls;
    size_t nls;
    tsdb_sample *s; /* every non-stale sample any window needs */
    size_t n;
} ev_rseries;

typedef struct ev_value {
    promql_type type;
    size_t n;          /* series in vs or ms */
    ev_series *vs;     /* VECTOR */
    ev_rseries *ms;    /* MATRIX */
    double *sc;        /* SCALAR: [nsteps] */
    const char *str;   /* STRING */
    int64_t range_ms;  /* MATRIX: windows are [wend - range_ms, wend] */
    int64_t *wend;     /* MATRIX: [nsteps] */
} ev_value;

typedef struct ev_ctx {
    tsdb_db *db;
    promql_arena *arena;
    const int64_t *ts; /* the steps being evaluated (a subquery has its own) */
    size_t nsteps;
    int64_t start_ms, end_ms; /* the query's, for @ start() / @ end() */
    int64_t lookback_ms;
    int64_t subquery_step_ms;
    uint64_t deadline_ns;
    size_t samples, max_samples; /* held in memory now, and the limit */
    size_t loaded;                /* read from storage, for statistics */
    promql_errtype errtype;
    heron_err *err;
    char msg[1024]; /* the first error in full (heron_err truncates) */
    unsigned tick;
} ev_ctx;

/* Evaluates n over ctx->ts. 0 or a negative code with ctx->err filled. */
int ev_eval(ev_ctx *c, const promql_node *n, ev_value *out);

/* Failure helpers: record errtype and message, return the code. */
int ev_fail(ev_ctx *c, promql_errtype t, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ev_nomem(ev_ctx *c);
/* Checks the deadline now and then; 0 or the timeout error. */
int ev_check_time(ev_ctx *c);
/* Counts n more samples in memory against the limit; ev_release_samples
 * gives back samples a streaming step no longer holds, so the limit, like
 * Prometheus', bounds what is held at once rather than what was read. */
int ev_count_samples(ev_ctx *c, size_t n);
void ev_release_samples(ev_ctx *c, size_t n);

void *ev_alloc(ev_ctx *c, size_t n);    /* NULL on failure (ctx records it) */
void *ev_calloc(ev_ctx *c, size_t n);   /* zeroed */

/* ---- label sets (sorted by name, in the arena) ----------------------- */

const char *ev_label_get(const tsdb_label *ls, size_t n, const char *name);
/* A copy without __name__. */
int ev_labels_drop_name(ev_ctx *c, const tsdb_label *ls, size_t n,
                        tsdb_label **out, size_t *nout);
/* Keeps (keep=1) or drops (keep=0) the named labels; drop_name also drops
 * __name__. */
int ev_labels_filter(ev_ctx *c, const tsdb_label *ls, size_t n,
                     const promql_labels *names, int keep, int drop_name,
                     tsdb_label **out, size_t *nout);
/* A copy with name set to value (removed when value is ""). */
int ev_labels_set(ev_ctx *c, const tsdb_label *ls, size_t n,
                  const char *name, const char *value, tsdb_label **out,
                  size_t *nout);
uint64_t ev_labels_hash(const tsdb_label *ls, size_t n);
int ev_labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                    size_t nb);
/* Appends {a="b", c="d"} as Prometheus prints label sets. */
void ev_labels_format(buf *b, const tsdb_label *ls, size_t n);

/* ---- label-set map: a label set -> a dense index ---------------------- */

typedef struct ev_lmap {
    ev_ctx *c;
    size_t cap, n;
    uint32_t *slot;    /* index+1, 0 empty */
    uint64_t *hash;    /* per index */
    const tsdb_label **ls;
    size_t *nls;
} ev_lmap;

int ev_lmap_init(ev_lmap *m, ev_ctx *c, size_t hint);
/* The index of ls (added as n-1 when new, *added set). The labels are kept
 * by pointer. */
int ev_lmap_put(ev_lmap *m, const tsdb_label *ls, size_t n, size_t *idx,
                int *added);

/* ---- building an instant-vector result ---------------------------------- */

typedef struct ev_out {
    ev_ctx *c;
    ev_lmap map;
    ev_series *s;
    size_t n, cap;
} ev_out;

int ev_out_init(ev_out *o, ev_ctx *c, size_t hint);
/* The output series for ls (created, with no values, when new). */
int ev_out_series(ev_out *o, tsdb_label *ls, size_t n, size_t *idx);
/* Sets series idx at step; a second value at the same step is Prometheus'
 * "vector cannot contain metrics with the same labelset". */
int ev_out_set(ev_out *o, size_t idx, size_t step, double v);
void ev_out_value(ev_out *o, ev_value *out);

/* Allocates an empty vector series of nsteps. */
int ev_series_alloc(ev_ctx *c, ev_series *s);

/* ---- node kinds, one file each ------------------------------------------ */

/* A selector's series read one at a time (eval_select.c): open computes
 * the steps' times after @ and offset (tref, also the window ends of a
 * matrix selector) and selects; next reads the next series with samples
 * into b (without staleness markers for a range selector) and copies its
 * labels into the arena: 1, 0 at the end, or a negative code. Close also
 * after a failed open. */
typedef struct ev_samples {
    tsdb_sample *s; /* malloc'd, grown as needed */
    size_t n, cap;
} ev_samples;
typedef struct ev_sel {
    ev_ctx *c;
    int64_t *tref; /* [nsteps], in the arena */
    int64_t mint;
    int is_range;
    tsdb_matcher **ms;
    size_t nm;
    tsdb_querier *q;
    tsdb_series_set *set;
} ev_sel;
int ev_sel_open(ev_ctx *c, const promql_node *vs, int64_t range_ms, ev_sel *s);
int ev_sel_next(ev_sel *s, ev_samples *b, tsdb_label **ls, size_t *nls);
void ev_sel_close(ev_sel *s);

int ev_selector(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                int want_timestamps, ev_value *out);
/* A matrix selector streamed: fn sees each series with its samples (valid
 * during the call only; labels live in the arena) and the steps' window
 * ends, so nothing of the input is kept. */
typedef int (*ev_series_fn)(void *arg, const ev_rseries *rs, const int64_t *wend);
int ev_selector_each(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                     ev_series_fn fn, void *arg);
int ev_subquery(ev_ctx *c, const promql_node *n, ev_value *out);
int ev_binary(ev_ctx *c, const promql_node *n, ev_value *out);
int ev_aggregate(ev_ctx *c, const promql_node *n, ev_value *out);
int ev_call(ev_ctx *c, const promql_node *n, ev_value *out);
/* Range-vector functions (rate, *_over_time, ...): 1 if handled. */
int ev_call_range(ev_ctx *c, const promql_node *n, const ev_value *args,
                  ev_value *out);
/* The same straight from storage when the range argument is a matrix
 * selector (args holds the other, evaluated, arguments): 1 if handled. */
int ev_call_range_stream(ev_ctx *c, const promql_node *n, const ev_value *args,
                         ev_value *out);
/* A range function of one matrix-selector argument, streamed into fn
 * instead of a vector: per input series with any output, the labels its
 * output series has and its values at the steps where ok (both valid
 * during the call only). Taken only where the output label sets cannot
 * collide (the selector names one metric, or the function keeps the
 * name), so no duplicate check is lost: 1 if handled, 0 if not. */
typedef int (*ev_row_fn)(void *arg, tsdb_label *ls, size_t nls, const double *v,
                         const uint8_t *ok);
int ev_call_range_rows(ev_ctx *c, const promql_node *n, ev_row_fn fn, void *arg);
/* A matrix selector's series turned into rows by kernel, on the calling
 * thread and one helper thread (eval_rows.c); sink sees every series with
 * values, in selection order, on the calling thread, with the input
 * series' labels. The kernel must not touch the context or the arena:
 * from a series' samples and the window ends it fills v and ok ([nsteps],
 * ok zeroed beforehand) using scratch (one uint32_t per sample) and
 * returns whether any step has a value. */
typedef int (*ev_row_kernel)(const void *arg, const tsdb_sample *s, size_t n,
                             const int64_t *wend, uint32_t *scratch, double *v,
                             uint8_t *ok);
int ev_selector_rows(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                     ev_row_kernel kernel, const void *karg, ev_row_fn sink,
                     void *sarg);
/* sum, avg, ... by/without over such a function, folded as the rows
 * stream by: 1 if handled (out set), 0 if not, negative on error. */
int ev_aggregate_stream(ev_ctx *c, const promql_node *n, ev_value *out);
int ev_call_histogram_quantile(ev_ctx *c, const ev_value *args,
                               ev_value *out);
int ev_call_label(ev_ctx *c, const promql_node *n, const ev_value *args,
                  ev_value *out);

/* The labels absent()/absent_over_time() give: the equality matchers of a
 * selector argument, except __name__ and names matched twice. */
int ev_absent_labels(ev_ctx *c, const promql_node *arg, tsdb_label **ls,
                     size_t *nls);

/* a - b, saturated to the int64 range (offsets and @ times are user input). */
static inline int64_t ev_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b > 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* The time of step i for a selector or subquery with modifiers mod. */
int64_t ev_at_time(const ev_ctx *c, const promql_modifiers *mod, size_t i);

/* Prometheus' quantile over values (sorted in place). */
double ev_quantile(double q, double *v, size_t n);

#endif
