/* functions — the table of PromQL functions of Prometheus 2.42 with their
 * argument and return types, and the names of operators and types. */
#include <string.h>

#include "promql/promql.h"

#define S PROMQL_TYPE_SCALAR
#define V PROMQL_TYPE_VECTOR
#define M PROMQL_TYPE_MATRIX
#define T PROMQL_TYPE_STRING

#define FN(name, id, n, var, ret, ...) {name, PROMQL_FN_##id, n, {__VA_ARGS__}, var, ret}

/* Sorted by name (and by id, which follows the same order). */
static const promql_function functions[PROMQL_FN_COUNT_] = {
    FN("abs", ABS, 1, 0, V, V),
    FN("absent", ABSENT, 1, 0, V, V),
    FN("absent_over_time", ABSENT_OVER_TIME, 1, 0, V, M),
    FN("acos", ACOS, 1, 0, V, V),
    FN("acosh", ACOSH, 1, 0, V, V),
    FN("asin", ASIN, 1, 0, V, V),
    FN("asinh", ASINH, 1, 0, V, V),
    FN("atan", ATAN, 1, 0, V, V),
    FN("atanh", ATANH, 1, 0, V, V),
    FN("avg_over_time", AVG_OVER_TIME, 1, 0, V, M),
    FN("ceil", CEIL, 1, 0, V, V),
    FN("changes", CHANGES, 1, 0, V, M),
    FN("clamp", CLAMP, 3, 0, V, V, S, S),
    FN("clamp_max", CLAMP_MAX, 2, 0, V, V, S),
    FN("clamp_min", CLAMP_MIN, 2, 0, V, V, S),
    FN("cos", COS, 1, 0, V, V),
    FN("cosh", COSH, 1, 0, V, V),
    FN("count_over_time", COUNT_OVER_TIME, 1, 0, V, M),
    FN("day_of_month", DAY_OF_MONTH, 1, 1, V, V),
    FN("day_of_week", DAY_OF_WEEK, 1, 1, V, V),
    FN("day_of_year", DAY_OF_YEAR, 1, 1, V, V),
    FN("days_in_month", DAYS_IN_MONTH, 1, 1, V, V),
    FN("deg", DEG, 1, 0, V, V),
    FN("delta", DELTA, 1, 0, V, M),
    FN("deriv", DERIV, 1, 0, V, M),
    FN("exp", EXP, 1, 0, V, V),
    FN("floor", FLOOR, 1, 0, V, V),
    FN("histogram_count", HISTOGRAM_COUNT, 1, 0, V, V),
    FN("histogram_fraction", HISTOGRAM_FRACTION, 3, 0, V, S, S, V),
    FN("histogram_quantile", HISTOGRAM_QUANTILE, 2, 0, V, S, V),
    FN("histogram_sum", HISTOGRAM_SUM, 1, 0, V, V),
    FN("holt_winters", HOLT_WINTERS, 3, 0, V, M, S, S),
    FN("hour", HOUR, 1, 1, V, V),
    FN("idelta", IDELTA, 1, 0, V, M),
    FN("increase", INCREASE, 1, 0, V, M),
    FN("irate", IRATE, 1, 0, V, M),
    FN("label_join", LABEL_JOIN, 4, -1, V, V, T, T, T),
    FN("label_replace", LABEL_REPLACE, 5, 0, V, V, T, T, T, T),
    FN("last_over_time", LAST_OVER_TIME, 1, 0, V, M),
    FN("ln", LN, 1, 0, V, V),
    FN("log10", LOG10, 1, 0, V, V),
    FN("log2", LOG2, 1, 0, V, V),
    FN("max_over_time", MAX_OVER_TIME, 1, 0, V, M),
    FN("min_over_time", MIN_OVER_TIME, 1, 0, V, M),
    FN("minute", MINUTE, 1, 1, V, V),
    FN("month", MONTH, 1, 1, V, V),
    FN("pi", PI, 0, 0, S, PROMQL_TYPE_NONE),
    FN("predict_linear", PREDICT_LINEAR, 2, 0, V, M, S),
    FN("present_over_time", PRESENT_OVER_TIME, 1, 0, V, M),
    FN("quantile_over_time", QUANTILE_OVER_TIME, 2, 0, V, S, M),
    FN("rad", RAD, 1, 0, V, V),
    FN("rate", RATE, 1, 0, V, M),
    FN("resets", RESETS, 1, 0, V, M),
    FN("round", ROUND, 2, 1, V, V, S),
    FN("scalar", SCALAR, 1, 0, S, V),
    FN("sgn", SGN, 1, 0, V, V),
    FN("sin", SIN, 1, 0, V, V),
    FN("sinh", SINH, 1, 0, V, V),
    FN("sort", SORT, 1, 0, V, V),
    FN("sort_desc", SORT_DESC, 1, 0, V, V),
    FN("sqrt", SQRT, 1, 0, V, V),
    FN("stddev_over_time", STDDEV_OVER_TIME, 1, 0, V, M),
    FN("stdvar_over_time", STDVAR_OVER_TIME, 1, 0, V, M),
    FN("sum_over_time", SUM_OVER_TIME, 1, 0, V, M),
    FN("tan", TAN, 1, 0, V, V),
    FN("tanh", TANH, 1, 0, V, V),
    FN("time", TIME, 0, 0, S, PROMQL_TYPE_NONE),
    FN("timestamp", TIMESTAMP, 1, 0, V, V),
    FN("vector", VECTOR, 1, 0, V, S),
    FN("year", YEAR, 1, 1, V, V),
};

const promql_function *promql_function_lookup(const char *name, size_t len)
{
    size_t lo = 0, hi = PROMQL_FN_COUNT_;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *f = functions[mid].name;
        size_t flen = strlen(f);
        int c = strncmp(f, name, flen < len ? flen : len);
        if (c == 0)
            c = flen < len ? -1 : flen > len ? 1 : 0;
        if (c == 0)
            return &functions[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const promql_function *promql_function_by_id(promql_func_id id)
{
    return (unsigned)id < PROMQL_FN_COUNT_ ? &functions[id] : NULL;
}

const char *promql_binop_name(promql_binop op)
{
    static const char *const names[] = {
        "-", "+", "*", "%", "/", "and", "or", "unless", "==", "!=",
        "<=", "<", ">=", ">", "^", "atan2"};
    return (unsigned)op < sizeof names / sizeof *names ? names[op] : "?";
}

const char *promql_aggop_name(promql_aggop op)
{
    static const char *const names[] = {
        "avg", "bottomk", "count", "count_values", "group", "max",
        "min", "quantile", "stddev", "stdvar", "sum", "topk"};
    return (unsigned)op < sizeof names / sizeof *names ? names[op] : "?";
}

const char *promql_type_name(promql_type t)
{
    switch (t) {
    case PROMQL_TYPE_SCALAR: return "scalar";
    case PROMQL_TYPE_VECTOR: return "instant vector";
    case PROMQL_TYPE_MATRIX: return "range vector";
    case PROMQL_TYPE_STRING: return "string";
    default: return "none";
    }
}

int promql_binop_is_comparison(promql_binop op)
{
    return op >= PROMQL_OP_EQLC && op <= PROMQL_OP_GTR;
}

int promql_binop_is_set(promql_binop op)
{
    return op == PROMQL_OP_LAND || op == PROMQL_OP_LOR || op == PROMQL_OP_LUNLESS;
}
