/*
 * engine — evaluates PromQL over a tsdb with Prometheus 2.42 semantics.
 *
 * An engine is shared by every query thread of a server: it holds the
 * database handle, the limits and the self-metrics. Each query parses its
 * text into its own arena, evaluates every node once over all steps of the
 * query (a range query is not a loop of instant queries) and hands back a
 * promql_result whose series, labels and points live in the result's own
 * arena until promql_result_free.
 *
 * Limits (promql_engine_opts): a query waits for a slot while
 * max_concurrent queries run, and fails with "query timed out in query
 * queue" when its timeout passes first; evaluation checks its deadline
 * between nodes and series ("query timed out in expression evaluation");
 * loading more than max_samples samples at once fails with "query processing
 * would load too many samples into memory in query execution".
 *
 * Errors: the query functions return 0 or a negative HERON_E* code, fill
 * err with Prometheus' message and set result->errtype, which the HTTP API
 * maps to Prometheus' errorType and status code.
 *
 * Thread-safety: promql_engine_instant/range may be called from any number
 * of threads at once; a promql_result belongs to its caller.
 */
#ifndef HERON_PROMQL_ENGINE_H
#define HERON_PROMQL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"
#include "promql/promql.h"
#include "tsdb/tsdb.h"

typedef struct promql_engine promql_engine;

typedef struct promql_engine_opts {
    int64_t lookback_ms;       /* 0: 5m */
    int64_t timeout_ms;        /* 0: 2m */
    int64_t subquery_step_ms;  /* default subquery resolution; 0: 1m */
    size_t max_samples;        /* 0: 50,000,000 */
    int max_concurrent;        /* 0: 20 */
    heron_registry *registry;  /* self-metrics; NULL: none */
} promql_engine_opts;

typedef enum promql_errtype {
    PROMQL_ERR_NONE,
    PROMQL_ERR_BAD_DATA,  /* parse error, bad query parameters */
    PROMQL_ERR_EXECUTION, /* evaluation failed (matching, limits, storage) */
    PROMQL_ERR_TIMEOUT,   /* deadline passed */
    PROMQL_ERR_INTERNAL
} promql_errtype;

/* One series of a result: labels sorted by name, points by time. An
 * instant vector's series have exactly one point (at the query time). */
typedef struct promql_rseries {
    const tsdb_label *labels;
    size_t nlabels;
    const tsdb_sample *points;
    size_t npoints;
} promql_rseries;

typedef struct promql_result {
    promql_type type;      /* SCALAR, VECTOR, MATRIX or STRING */
    int64_t t;             /* SCALAR and STRING: the evaluation time */
    double scalar;
    const char *string;
    promql_rseries *series;
    size_t nseries;
    promql_errtype errtype;
    const char *error;     /* after an error: the whole message (heron_err
                              holds at most 255 bytes of it) */
    size_t peak_bytes;     /* arena bytes the evaluation used */
    size_t samples;        /* samples read from storage */
    promql_arena arena;    /* owns everything above */
} promql_result;

/* Creates an engine over db (which must outlive it). opts may be NULL. */
int promql_engine_new(tsdb_db *db, const promql_engine_opts *opts,
                      promql_engine **out, heron_err *err);
void promql_engine_free(promql_engine *e);

/* Evaluates query at t (ms). *out is always initialised; free it with
 * promql_result_free, also after an error. timeout_ms 0: the engine's. */
int promql_engine_instant(promql_engine *e, const char *query, int64_t t,
                          int64_t timeout_ms, promql_result *out,
                          heron_err *err);
/* Evaluates query at start, start+step, ... <= end (ms). The result is a
 * matrix sorted by labels. */
int promql_engine_range(promql_engine *e, const char *query, int64_t start,
                        int64_t end, int64_t step, int64_t timeout_ms,
                        promql_result *out, heron_err *err);
void promql_result_free(promql_result *r);

/* Compiles a parsed matcher into a storage matcher (the selector's and
 * match[]'s common step). *out is freed with tsdb_matcher_free. */
int promql_matcher_compile(const promql_matcher *m, tsdb_matcher **out,
                           heron_err *err);

#endif
