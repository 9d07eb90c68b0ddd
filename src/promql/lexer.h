/*
 * lexer — PromQL tokens (internal to src/promql).
 *
 * Mirrors the states of Prometheus 2.42's lexer so that its lexical error
 * messages and positions come out the same: keywords are case-insensitive
 * outside braces and plain identifiers inside them, `[` starts a duration,
 * `:` is the subquery separator inside brackets. Spaces and comments are
 * skipped. After an ERROR token the lexer keeps returning EOF.
 */
#ifndef HERON_PROMQL_LEXER_H
#define HERON_PROMQL_LEXER_H

#include <stddef.h>

typedef enum promql_tok {
    PT_EOF,
    PT_ERROR,
    PT_IDENTIFIER,
    PT_METRIC_IDENTIFIER,
    PT_NUMBER,
    PT_STRING,
    PT_DURATION,
    PT_LEFT_PAREN,
    PT_RIGHT_PAREN,
    PT_LEFT_BRACE,
    PT_RIGHT_BRACE,
    PT_LEFT_BRACKET,
    PT_RIGHT_BRACKET,
    PT_COMMA,
    PT_EQL,
    PT_COLON,
    PT_AT,
    /* operators, in promql_binop order, then the two matcher-only ones */
    PT_SUB,
    PT_ADD,
    PT_MUL,
    PT_MOD,
    PT_DIV,
    PT_LAND,
    PT_LOR,
    PT_LUNLESS,
    PT_EQLC,
    PT_NEQ,
    PT_LTE,
    PT_LSS,
    PT_GTE,
    PT_GTR,
    PT_POW,
    PT_ATAN2,
    PT_EQL_REGEX,
    PT_NEQ_REGEX,
    /* aggregators, in promql_aggop order */
    PT_AVG,
    PT_BOTTOMK,
    PT_COUNT,
    PT_COUNT_VALUES,
    PT_GROUP,
    PT_MAX,
    PT_MIN,
    PT_QUANTILE,
    PT_STDDEV,
    PT_STDVAR,
    PT_SUM,
    PT_TOPK,
    /* keywords */
    PT_BOOL,
    PT_BY,
    PT_GROUP_LEFT,
    PT_GROUP_RIGHT,
    PT_IGNORING,
    PT_OFFSET,
    PT_ON,
    PT_WITHOUT,
    /* @ modifier preprocessors */
    PT_START,
    PT_END
} promql_tok;

#define PT_IS_BINOP(t) ((t) >= PT_SUB && (t) <= PT_ATAN2)
#define PT_IS_OPERATOR(t) ((t) >= PT_SUB && (t) <= PT_NEQ_REGEX)
#define PT_IS_AGGREGATOR(t) ((t) >= PT_AVG && (t) <= PT_TOPK)
#define PT_IS_KEYWORD(t) ((t) >= PT_BOOL && (t) <= PT_WITHOUT)

typedef struct promql_token {
    promql_tok kind;
    size_t pos; /* byte offset in the input */
    size_t len;
} promql_token;

typedef struct promql_lexer {
    const char *input;
    size_t len;
    size_t pos;
    int paren_depth;
    int brace_open;
    int bracket_open;
    int got_colon;
    int want_duration; /* right after `[` */
    int failed;
    char errmsg[200];  /* the message of the ERROR token */
} promql_lexer;

void promql_lexer_init(promql_lexer *l, const char *input, size_t len);
/* The next token; ERROR tokens carry their message in l->errmsg. */
promql_token promql_lexer_next(promql_lexer *l);

/* The kind of the next token, without consuming it (errmsg may change;
 * reading the token for real repeats any error). */
promql_tok promql_lexer_peek_kind(promql_lexer *l);

/* Unquotes a STRING token's text (with its quotes) into out (at least
 * len bytes); returns the length, or -1 on bad escapes (already reported
 * by the lexer, so this only happens for input the lexer rejected). */
long promql_unquote(const char *text, size_t len, char *out);

/* Writes the Go %q form of the rune at s (or of EOF when n == 0) into out
 * (>= 16 bytes), e.g. 'x', '\n', 'é'; returns the bytes of input used. */
size_t promql_quote_rune(const char *s, size_t n, char *out);

/* Go's strconv.IsPrint: ASCII graphics and space, and runes >= U+00A0 in
 * the letter, mark, number, punctuation and symbol categories. U+FFFD is
 * taken as not printable, so that printed strings always lex again. */
int promql_rune_printable(unsigned r);
/* The table behind it for runes >= U+00A0 (unicode_print.c, generated). */
int promql_unicode_printable(unsigned r);

/* Decodes one UTF-8 rune; *r is 0xFFFD for invalid bytes. Returns the
 * bytes consumed (>= 1 when n >= 1). */
size_t promql_utf8_decode(const unsigned char *s, size_t n, unsigned *r);

#endif
