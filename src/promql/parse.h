/*
 * parse — state shared by the parser (parser.c) and the type checker
 * (check.c); internal to src/promql.
 *
 * Both stop at the first error, which they record with promql_parse_error:
 * the message is rendered the way Prometheus' ParseErr does,
 * "<line>:<col>: parse error: <message>".
 */
#ifndef HERON_PROMQL_PARSE_H
#define HERON_PROMQL_PARSE_H

#include "promql/lexer.h"
#include "promql/promql.h"

typedef struct promql_parser {
    promql_lexer lex;
    promql_arena *arena;
    const char *input;
    size_t len;
    promql_token tok; /* the lookahead, valid when have_tok */
    int have_tok;
    int code;         /* 0, or the HERON_E* of the first error */
    heron_err *err;
    unsigned depth;   /* current recursion depth */
    unsigned agg_depth; /* aggregations whose arguments are being read */
} promql_parser;

/* A number as Prometheus reads one: Go's strconv.ParseInt(s, 0, 64)
 * (decimal, 0x hex, leading-0 octal), else strconv.ParseFloat (which takes
 * Inf and NaN). 0, or -1 with *why naming Go's reason. */
int promql_parse_number_text(const char *s, size_t n, double *out, const char **why);

/* Records the first error only; returns p->code. */
int promql_parse_error(promql_parser *p, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Type-checks the tree as Prometheus' checkAST does, setting binary
 * matching to NULL where a side is not an instant vector. 0 or error. */
int promql_check(promql_parser *p, promql_node *root);

/* Whether a regex matcher's value compiles, and whether it matches "";
 * 0, or HERON_EINVAL with the message in msg (>= 200 bytes). */
int promql_regex_check(const char *value, size_t len, int *matches_empty, char *msg,
                       size_t msgsize);

#endif
