/*
 * promql — the PromQL front end: arena, lexer, parser, static type checks,
 * function table and printers, compatible with Prometheus 2.42 (see
 * docs/promql.md for what is supported and the few known differences).
 *
 * Contract:
 *   - Ownership: everything promql_parse returns (nodes, strings, matcher and
 *     argument arrays) lives in the promql_arena the caller passes, and dies
 *     with promql_arena_free. Other memory is only scratch, freed before
 *     the call returns; the input text is not referenced afterwards.
 *   - Errors: promql_parse returns 0 or a negative HERON_E* code and fills
 *     the optional heron_err with Prometheus' message, e.g.
 *     "1:5: parse error: unexpected <op:+>" (line:column of the first error,
 *     1-based, columns in bytes). HERON_EINVAL: syntax or type error;
 *     HERON_ENOMEM: the arena could not grow (or reached its cap);
 *     HERON_ERANGE: nesting deeper than PROMQL_MAX_DEPTH.
 *   - Bad input never crashes and never reads outside [query, query+len).
 *   - Thread-safety: an arena and the trees in it belong to one thread at a
 *     time; the function table is immutable and shared.
 *   - Regex matchers are validated (and checked for matching the empty
 *     string) at parse time with PCRE2; the tree keeps type, name and value
 *     only, compiling them for selection is the storage layer's job.
 */
#ifndef HERON_PROMQL_H
#define HERON_PROMQL_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"
#include "core/buf.h"

/* ---- arena ------------------------------------------------------------- */

typedef struct promql_arena_block promql_arena_block;

/* A bump allocator: allocations are freed all at once. Initialise with
 * promql_arena_init; the struct itself belongs to the caller. */
typedef struct promql_arena {
    promql_arena_block *head;
    size_t used;      /* bytes handed out so far */
    size_t cap;       /* maximum bytes handed out; 0: no limit */
    long fail_after;  /* tests: the Nth allocation from now fails; 0: never */
} promql_arena;

void promql_arena_init(promql_arena *a, size_t cap);
/* n bytes aligned for any type, or NULL when out of memory or over the cap. */
void *promql_arena_alloc(promql_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n), or NULL. */
char *promql_arena_strndup(promql_arena *a, const char *s, size_t n);
/* Frees every allocation; the arena can be used again afterwards. */
void promql_arena_free(promql_arena *a);

/* ---- value types, operators, functions --------------------------------- */

typedef enum promql_type {
    PROMQL_TYPE_NONE,
    PROMQL_TYPE_SCALAR,
    PROMQL_TYPE_VECTOR, /* instant vector */
    PROMQL_TYPE_MATRIX, /* range vector */
    PROMQL_TYPE_STRING
} promql_type;

/* Binary operators, in the order of their tokens. */
typedef enum promql_binop {
    PROMQL_OP_SUB,
    PROMQL_OP_ADD,
    PROMQL_OP_MUL,
    PROMQL_OP_MOD,
    PROMQL_OP_DIV,
    PROMQL_OP_LAND,
    PROMQL_OP_LOR,
    PROMQL_OP_LUNLESS,
    PROMQL_OP_EQLC,
    PROMQL_OP_NEQ,
    PROMQL_OP_LTE,
    PROMQL_OP_LSS,
    PROMQL_OP_GTE,
    PROMQL_OP_GTR,
    PROMQL_OP_POW,
    PROMQL_OP_ATAN2
} promql_binop;

typedef enum promql_aggop {
    PROMQL_AGG_AVG,
    PROMQL_AGG_BOTTOMK,
    PROMQL_AGG_COUNT,
    PROMQL_AGG_COUNT_VALUES,
    PROMQL_AGG_GROUP,
    PROMQL_AGG_MAX,
    PROMQL_AGG_MIN,
    PROMQL_AGG_QUANTILE,
    PROMQL_AGG_STDDEV,
    PROMQL_AGG_STDVAR,
    PROMQL_AGG_SUM,
    PROMQL_AGG_TOPK
} promql_aggop;

/* Every function of Prometheus 2.42, alphabetical. */
typedef enum promql_func_id {
    PROMQL_FN_ABS, PROMQL_FN_ABSENT, PROMQL_FN_ABSENT_OVER_TIME, PROMQL_FN_ACOS,
    PROMQL_FN_ACOSH, PROMQL_FN_ASIN, PROMQL_FN_ASINH, PROMQL_FN_ATAN,
    PROMQL_FN_ATANH, PROMQL_FN_AVG_OVER_TIME, PROMQL_FN_CEIL, PROMQL_FN_CHANGES,
    PROMQL_FN_CLAMP, PROMQL_FN_CLAMP_MAX, PROMQL_FN_CLAMP_MIN, PROMQL_FN_COS,
    PROMQL_FN_COSH, PROMQL_FN_COUNT_OVER_TIME, PROMQL_FN_DAY_OF_MONTH,
    PROMQL_FN_DAY_OF_WEEK, PROMQL_FN_DAY_OF_YEAR, PROMQL_FN_DAYS_IN_MONTH,
    PROMQL_FN_DEG, PROMQL_FN_DELTA, PROMQL_FN_DERIV, PROMQL_FN_EXP,
    PROMQL_FN_FLOOR, PROMQL_FN_HISTOGRAM_COUNT, PROMQL_FN_HISTOGRAM_FRACTION,
    PROMQL_FN_HISTOGRAM_QUANTILE, PROMQL_FN_HISTOGRAM_SUM,
    PROMQL_FN_HOLT_WINTERS, PROMQL_FN_HOUR, PROMQL_FN_IDELTA,
    PROMQL_FN_INCREASE, PROMQL_FN_IRATE, PROMQL_FN_LABEL_JOIN,
    PROMQL_FN_LABEL_REPLACE, PROMQL_FN_LAST_OVER_TIME, PROMQL_FN_LN,
    PROMQL_FN_LOG10, PROMQL_FN_LOG2, PROMQL_FN_MAX_OVER_TIME,
    PROMQL_FN_MIN_OVER_TIME, PROMQL_FN_MINUTE, PROMQL_FN_MONTH, PROMQL_FN_PI,
    PROMQL_FN_PREDICT_LINEAR, PROMQL_FN_PRESENT_OVER_TIME,
    PROMQL_FN_QUANTILE_OVER_TIME, PROMQL_FN_RAD, PROMQL_FN_RATE,
    PROMQL_FN_RESETS, PROMQL_FN_ROUND, PROMQL_FN_SCALAR, PROMQL_FN_SGN,
    PROMQL_FN_SIN, PROMQL_FN_SINH, PROMQL_FN_SORT, PROMQL_FN_SORT_DESC,
    PROMQL_FN_SQRT, PROMQL_FN_STDDEV_OVER_TIME, PROMQL_FN_STDVAR_OVER_TIME,
    PROMQL_FN_SUM_OVER_TIME, PROMQL_FN_TAN, PROMQL_FN_TANH, PROMQL_FN_TIME,
    PROMQL_FN_TIMESTAMP, PROMQL_FN_VECTOR, PROMQL_FN_YEAR,
    PROMQL_FN_COUNT_ /* number of functions */
} promql_func_id;

#define PROMQL_MAX_ARGS 5

/* One row of the function table. Argument checking follows Prometheus:
 * variadic 0 means exactly nargs arguments; variadic > 0 means the last
 * declared argument is optional and up to nargs - 1 + variadic are allowed;
 * variadic < 0 means at least nargs - 1 and no upper bound, the extra ones
 * typed like the last declared argument. */
typedef struct promql_function {
    const char *name;
    promql_func_id id;
    int nargs;
    promql_type arg_types[PROMQL_MAX_ARGS];
    int variadic;
    promql_type return_type;
} promql_function;

/* The table entry for name (case-sensitive), or NULL. */
const promql_function *promql_function_lookup(const char *name, size_t len);
/* Entry by id (always valid for ids below PROMQL_FN_COUNT_). */
const promql_function *promql_function_by_id(promql_func_id id);

/* Names as PromQL spells them ("+", "and", "count_values"). */
const char *promql_binop_name(promql_binop op);
const char *promql_aggop_name(promql_aggop op);
/* Prometheus' documented type names: "scalar", "instant vector", ... */
const char *promql_type_name(promql_type t);

int promql_binop_is_comparison(promql_binop op);
int promql_binop_is_set(promql_binop op);

/* ---- AST --------------------------------------------------------------- */

typedef enum promql_node_kind {
    PROMQL_NUMBER,          /* number literal */
    PROMQL_STRING,          /* string literal */
    PROMQL_VECTOR_SELECTOR, /* foo{a="b"} */
    PROMQL_MATRIX_SELECTOR, /* foo{a="b"}[5m] */
    PROMQL_SUBQUERY,        /* expr[5m:1m] */
    PROMQL_PAREN,           /* (expr) */
    PROMQL_UNARY,           /* -expr (+expr folds away on numbers) */
    PROMQL_BINARY,          /* a + on(x) group_left b */
    PROMQL_AGGREGATE,       /* sum by (x) (expr) */
    PROMQL_CALL             /* rate(x[5m]) */
} promql_node_kind;

typedef enum promql_match_type {
    PROMQL_MATCH_EQUAL,     /* = */
    PROMQL_MATCH_NOT_EQUAL, /* != */
    PROMQL_MATCH_REGEX,     /* =~ (anchored: ^(?:value)$) */
    PROMQL_MATCH_NOT_REGEX  /* !~ */
} promql_match_type;

typedef struct promql_matcher {
    promql_match_type type;
    const char *name;
    const char *value; /* NUL-terminated; may hold NULs: see value_len */
    size_t value_len;
    int matches_empty; /* whether the matcher accepts the empty value */
} promql_matcher;

/* The `@` part of a selector or subquery. */
typedef enum promql_at_kind {
    PROMQL_AT_NONE,
    PROMQL_AT_TIMESTAMP, /* @ <seconds>: at_ms holds it in milliseconds */
    PROMQL_AT_START,     /* @ start() */
    PROMQL_AT_END        /* @ end() */
} promql_at_kind;

typedef struct promql_modifiers {
    int64_t offset_ms; /* as written; negative for `offset -5m` */
    promql_at_kind at;
    int64_t at_ms;
} promql_modifiers;

typedef enum promql_card {
    PROMQL_CARD_ONE_TO_ONE,
    PROMQL_CARD_MANY_TO_ONE, /* group_left */
    PROMQL_CARD_ONE_TO_MANY, /* group_right */
    PROMQL_CARD_MANY_TO_MANY /* set operators */
} promql_card;

typedef struct promql_labels {
    const char **names;
    size_t count;
} promql_labels;

/* Vector matching of a binary expression between two instant vectors. */
typedef struct promql_matching {
    promql_card card;
    int on;                 /* on(...) rather than ignoring(...) */
    promql_labels labels;   /* the on/ignoring list */
    promql_labels include;  /* the group_left/group_right list */
} promql_matching;

typedef struct promql_node promql_node;

struct promql_node {
    promql_node_kind kind;
    promql_type type;   /* the value type the expression evaluates to */
    uint32_t pos_start; /* byte range in the query, [start, end) */
    uint32_t pos_end;
    uint32_t depth;     /* nesting depth of this subtree, leaves are 1 */
    union {
        double number;
        struct {
            const char *value; /* unquoted, NUL-terminated */
            size_t len;
        } string;
        struct {
            const char *name;   /* metric name written before {}, or NULL */
            promql_matcher *matchers; /* includes __name__="name" last */
            size_t nmatchers;
            promql_modifiers mod;
        } vs;
        struct {
            promql_node *vs;    /* a PROMQL_VECTOR_SELECTOR: offset/@ live there */
            int64_t range_ms;
        } ms;
        struct {
            promql_node *expr;
            int64_t range_ms;
            int64_t step_ms;    /* 0: the engine's default resolution */
            promql_modifiers mod;
        } sq;
        struct {
            promql_node *expr;
        } paren;
        struct {
            promql_binop op;    /* PROMQL_OP_SUB or PROMQL_OP_ADD */
            promql_node *expr;
        } unary;
        struct {
            promql_binop op;
            promql_node *lhs, *rhs;
            int return_bool;
            promql_matching *matching; /* NULL unless both sides are vectors */
        } binary;
        struct {
            promql_aggop op;
            promql_node *expr;
            promql_node *param; /* topk, bottomk, quantile, count_values */
            promql_labels grouping;
            int without;
        } agg;
        struct {
            const promql_function *func;
            promql_node **args;
            size_t nargs;
        } call;
    } u;
};

/* ---- parse and print ------------------------------------------------------ */

#define PROMQL_MAX_DEPTH 1000

/* Parses and type-checks query[0..len) into *out (allocated in arena). */
int promql_parse(const char *query, size_t len, promql_arena *arena,
                 promql_node **out, heron_err *err);

/* Parses a lone vector selector, as Prometheus' ParseMetricSelector does
 * for the match[] parameters of /api/v1/series, /api/v1/labels and
 * /federate: no operators, ranges or modifiers. Unlike promql_parse it
 * does not require a non-empty matcher (those endpoints check that with
 * their own message, "match[] must contain at least one non-empty
 * matcher", using the matchers' matches_empty) nor reject a name given
 * twice. */
int promql_parse_metric_selector(const char *text, size_t len, promql_arena *arena,
                                 promql_node **out, heron_err *err);

/* Parses a series description of the test-script format: a metric name
 * and/or {l="v", ...} with equality matchers only, like
 * `http_requests{job="api"}`. *out is a vector selector whose matchers are
 * the labels (the name as __name__, first). */
int promql_parse_series(const char *text, size_t len, promql_arena *arena,
                        promql_node **out, heron_err *err);

/* Appends the canonical PromQL of n to out, as Prometheus' String() writes
 * it (what /api/v1/format_query returns for expressions of one line).
 * 0 or the buf error. */
int promql_print(const promql_node *n, buf *out);

/* Appends the form /api/v1/format_query returns (Prometheus' Pretty()):
 * the one-line form where it fits in 100 columns, else split over lines
 * with two-space indentation. 0 or the buf error. */
int promql_print_pretty(const promql_node *n, buf *out);

/* Helpers the printer uses, shared with other code that must match
 * Prometheus' text: Go's strconv.Quote, fmt.Sprint(float64) and
 * model.Duration.String(). */
int promql_quote(buf *out, const char *s, size_t len);
int promql_format_number(buf *out, double v);
int promql_format_duration(buf *out, int64_t ms);

#endif
