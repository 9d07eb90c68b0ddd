/*
 * testscript — reads Prometheus' PromQL test-script format (the *.test
 * files under shared/conformance/promql, described in their README) into
 * commands a runner executes in order against a store and the evaluator.
 *
 *   load 5m
 *       http_requests{job="api"}  0+10x10 _ stale
 *   clear
 *   eval instant at 50m sum(http_requests)
 *       {} 100
 *   eval range from 0 to 2m step 1m metric        (optional files)
 *       metric 1 2 3
 *
 * Ownership: everything in a promql_testscript lives in the arena passed to
 * promql_testscript_parse. Each eval's expression is parsed with
 * promql_parse; a query that does not parse is kept with its message (an
 * `eval_fail` may legitimately fail there). Errors in the file itself
 * (unknown command, bad value notation) fail the whole parse with
 * HERON_EINVAL and "<name>:<line>: <problem>". Not thread-safe per arena.
 */
#ifndef HERON_PROMQL_TESTSCRIPT_H
#define HERON_PROMQL_TESTSCRIPT_H

#include "promql/promql.h"

/* The staleness marker's bit pattern (a NaN). */
#define PROMQL_STALE_NAN_BITS 0x7ff0000000000002ULL

typedef enum promql_ts_sample_kind {
    PROMQL_TS_FLOAT,
    PROMQL_TS_STALE,    /* value holds the stale NaN */
    PROMQL_TS_HISTOGRAM /* native histogram {{...}}: kept as text */
} promql_ts_sample_kind;

typedef struct promql_ts_sample {
    int64_t t_ms; /* load: step * slot; range eval: start + step * slot */
    double value;
    promql_ts_sample_kind kind;
    const char *histogram; /* the {{...}} item, for PROMQL_TS_HISTOGRAM */
} promql_ts_sample;

/* One series: its labels (the metric name first as __name__, all
 * equality matchers) and its samples in time order; `_` slots are absent. */
typedef struct promql_ts_series {
    const promql_matcher *labels;
    size_t nlabels;
    promql_ts_sample *samples;
    size_t nsamples;
    int line;
} promql_ts_series;

typedef enum promql_ts_cmd_kind {
    PROMQL_TS_LOAD,
    PROMQL_TS_CLEAR,
    PROMQL_TS_EVAL
} promql_ts_cmd_kind;

typedef struct promql_ts_cmd {
    promql_ts_cmd_kind kind;
    int line;
    /* load */
    int64_t load_step_ms;
    /* eval */
    int range;          /* eval range rather than eval instant */
    int64_t at_ms;      /* instant: evaluation time */
    int64_t start_ms, end_ms, step_ms; /* range */
    int expect_fail;    /* eval_fail */
    int ordered;        /* eval_ordered */
    const char *expr;   /* the query text */
    promql_node *ast;   /* NULL when the query did not parse */
    const char *parse_error; /* then: Prometheus-style message */
    int expect_scalar;  /* expected result is this scalar */
    double scalar;
    /* load: the series to add; eval: the expected series */
    promql_ts_series *series;
    size_t nseries;
} promql_ts_cmd;

typedef struct promql_testscript {
    promql_ts_cmd *cmds;
    size_t ncmds;
} promql_testscript;

int promql_testscript_parse(const char *text, size_t len, const char *name,
                            promql_arena *arena, promql_testscript *out, heron_err *err);

#endif
