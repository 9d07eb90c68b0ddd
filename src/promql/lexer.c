/* lexer — PromQL tokens; see lexer.h. */
#include "promql/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LEX_EOF (-1)

typedef struct keyword {
    const char *word;
    size_t len;
    promql_tok tok;
} keyword;

static const keyword keywords[] = {
    {"and", 3, PT_LAND},         {"or", 2, PT_LOR},
    {"unless", 6, PT_LUNLESS},   {"atan2", 5, PT_ATAN2},
    {"sum", 3, PT_SUM},          {"avg", 3, PT_AVG},
    {"count", 5, PT_COUNT},      {"min", 3, PT_MIN},
    {"max", 3, PT_MAX},          {"group", 5, PT_GROUP},
    {"stddev", 6, PT_STDDEV},    {"stdvar", 6, PT_STDVAR},
    {"topk", 4, PT_TOPK},        {"bottomk", 7, PT_BOTTOMK},
    {"count_values", 12, PT_COUNT_VALUES}, {"quantile", 8, PT_QUANTILE},
    {"offset", 6, PT_OFFSET},    {"by", 2, PT_BY},
    {"without", 7, PT_WITHOUT},  {"on", 2, PT_ON},
    {"ignoring", 8, PT_IGNORING}, {"group_left", 10, PT_GROUP_LEFT},
    {"group_right", 11, PT_GROUP_RIGHT}, {"bool", 4, PT_BOOL},
    {"start", 5, PT_START},      {"end", 3, PT_END},
    {"inf", 3, PT_NUMBER},       {"nan", 3, PT_NUMBER},
};

size_t promql_utf8_decode(const unsigned char *s, size_t n, unsigned *r)
{
    if (n == 0) {
        *r = 0xFFFD;
        return 0;
    }
    unsigned c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    size_t need;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, min = 0x10000, c &= 0x07;
    } else {
        *r = 0xFFFD;
        return 1;
    }
    if (n < need + 1) {
        *r = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *r = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) {
        *r = 0xFFFD;
        return 1;
    }
    *r = c;
    return need + 1;
}

static size_t utf8_encode(unsigned r, char *out);

int promql_rune_printable(unsigned r)
{
    if (r < 0xA0)
        return r >= 0x20 && r < 0x7F;
    return r != 0xFFFD && promql_unicode_printable(r);
}

size_t promql_quote_rune(const char *s, size_t n, char *out)
{
    unsigned r;
    size_t used = promql_utf8_decode((const unsigned char *)s, n, &r);
    if (n == 0)
        r = 0xFFFD; /* Go shows EOF as the replacement character */
    static const char esc[] = "abtnvfr";
    if (r == '\'' || r == '\\')
        sprintf(out, "'\\%c'", (char)r);
    else if (r >= 7 && r <= 13)
        sprintf(out, "'\\%c'", esc[r - 7]);
    else if (r < 0x20 || r == 0x7F)
        sprintf(out, "'\\x%02x'", r);
    else if (r != 0xFFFD && !promql_rune_printable(r))
        sprintf(out, r < 0x10000 ? "'\\u%04x'" : "'\\U%08x'", r);
    else {
        size_t k = utf8_encode(r, out + 1);
        out[0] = '\'';
        out[1 + k] = '\'';
        out[2 + k] = '\0';
    }
    return used;
}

/* Go's %#U: "U+0071 'q'", the character left out when not printable. */
static void format_rune_u(unsigned r, char *out)
{
    int k = sprintf(out, "U+%04X", r);
    if (promql_rune_printable(r)) {
        out[k++] = ' ';
        out[k++] = '\'';
        k += (int)utf8_encode(r, out + k);
        out[k++] = '\'';
    }
    out[k] = '\0';
}

/* ---- reading runes, as Prometheus' lexer does ---- */

static int lex_next(promql_lexer *l, size_t *width)
{
    if (l->pos >= l->len) {
        *width = 0;
        return LEX_EOF;
    }
    unsigned r;
    *width = promql_utf8_decode((const unsigned char *)l->input + l->pos,
                                l->len - l->pos, &r);
    l->pos += *width;
    return (int)r;
}

static int lex_peek(const promql_lexer *l)
{
    if (l->pos >= l->len)
        return LEX_EOF;
    return (unsigned char)l->input[l->pos];
}

static int lex_accept(promql_lexer *l, const char *set)
{
    int c = lex_peek(l);
    if (c != LEX_EOF && c < 0x80 && c != 0 && strchr(set, c)) {
        l->pos++;
        return 1;
    }
    return 0;
}

static void lex_accept_run(promql_lexer *l, const char *set)
{
    while (lex_accept(l, set))
        ;
}

static int is_alpha(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static promql_token lex_token(promql_lexer *l, promql_tok kind, size_t start)
{
    promql_token t = {kind, start, l->pos - start};
    return t;
}

__attribute__((format(printf, 3, 4)))
static promql_token lex_error(promql_lexer *l, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->errmsg, sizeof l->errmsg, fmt, ap);
    va_end(ap);
    l->failed = 1;
    promql_token t = {PT_ERROR, pos, 0};
    return t;
}

/* Go's %q of the rune that starts at byte p (or EOF when p == len). */
static const char *lex_rune_q(const promql_lexer *l, size_t p, char *out)
{
    promql_quote_rune(l->input + p, p < l->len ? l->len - p : 0, out);
    return out;
}

/* ---- numbers and durations ---- */

/* Consumes a number; 1 when what follows is not alphanumeric. */
static int lex_scan_number(promql_lexer *l)
{
    const char *digits = "0123456789";
    if (lex_accept(l, "0") && lex_accept(l, "xX"))
        digits = "0123456789abcdefABCDEF";
    lex_accept_run(l, digits);
    if (lex_accept(l, "."))
        lex_accept_run(l, digits);
    if (lex_accept(l, "eE")) {
        lex_accept(l, "+-");
        lex_accept_run(l, "0123456789");
    }
    return !is_alnum(lex_peek(l));
}

/* After the digits of a duration: its units and further terms. On success
 * the position is just past the duration. */
static int lex_remaining_duration(promql_lexer *l)
{
    if (!lex_accept(l, "smhdwy"))
        return 0;
    lex_accept(l, "s");
    while (lex_accept(l, "0123456789")) {
        lex_accept_run(l, "0123456789");
        if (!lex_accept(l, "smhdw"))
            return 0;
        lex_accept(l, "s");
    }
    size_t w;
    int c = lex_next(l, &w);
    int ok = !is_alnum(c);
    l->pos -= w;
    if (!ok)
        l->pos += w; /* Prometheus reports the text including that rune */
    return ok;
}

static promql_token lex_number_or_duration(promql_lexer *l, size_t start)
{
    if (lex_scan_number(l))
        return lex_token(l, PT_NUMBER, start);
    if (lex_remaining_duration(l))
        return lex_token(l, PT_DURATION, start);
    return lex_error(l, start, "bad number or duration syntax: \"%.*s\"",
                     (int)(l->pos - start), l->input + start);
}

static promql_token lex_duration(promql_lexer *l, size_t start)
{
    if (lex_scan_number(l))
        return lex_error(l, start, "missing unit character in duration");
    if (!lex_remaining_duration(l))
        return lex_error(l, start, "bad duration syntax: \"%.*s\"",
                         (int)(l->pos - start), l->input + start);
    return lex_token(l, PT_DURATION, start);
}

/* ---- strings ---- */

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 16;
}

/* The escape after a backslash; 0 or an error token in *err. */
static int lex_escape(promql_lexer *l, int quote, size_t start, promql_token *err)
{
    size_t w;
    int c = lex_next(l, &w);
    int n;
    unsigned base, max;
    char q[24];
    switch (c) {
    case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v':
    case '\\':
        return 0;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        n = 3, base = 8, max = 255;
        break;
    case 'x':
        c = lex_next(l, &w);
        n = 2, base = 16, max = 255;
        break;
    case 'u':
        c = lex_next(l, &w);
        n = 4, base = 16, max = 0x10FFFF;
        break;
    case 'U':
        c = lex_next(l, &w);
        n = 8, base = 16, max = 0x10FFFF;
        break;
    case LEX_EOF:
        *err = lex_error(l, start, "escape sequence not terminated");
        return -1;
    default:
        if (c == quote)
            return 0;
        format_rune_u((unsigned)c, q);
        *err = lex_error(l, start, "unknown escape sequence %s", q);
        return -1;
    }
    unsigned x = 0;
    while (n > 0) {
        unsigned d = c == LEX_EOF || c >= 0x80 ? 16 : (unsigned)hex_val(c);
        if (d >= base) {
            if (c == LEX_EOF)
                *err = lex_error(l, start, "escape sequence not terminated");
            else
            {
                format_rune_u((unsigned)c, q);
                *err = lex_error(l, start, "illegal character %s in escape sequence", q);
            }
            return -1;
        }
        x = x * base + d;
        if (--n > 0)
            c = lex_next(l, &w);
    }
    if (x > max || (x >= 0xD800 && x < 0xE000)) {
        *err = lex_error(l, start, "escape sequence is an invalid Unicode code point");
        return -1;
    }
    return 0;
}

static promql_token lex_string(promql_lexer *l, int quote, size_t start)
{
    for (;;) {
        size_t w;
        int c = lex_next(l, &w);
        if (c == '\\') {
            promql_token err;
            if (lex_escape(l, quote, start, &err) < 0)
                return err;
        } else if (c == 0xFFFD) {
            return lex_error(l, start, "invalid UTF-8 rune");
        } else if (c == LEX_EOF || c == '\n') {
            return lex_error(l, start, "unterminated quoted string");
        } else if (c == quote) {
            return lex_token(l, PT_STRING, start);
        }
    }
}

static promql_token lex_raw_string(promql_lexer *l, size_t start)
{
    for (;;) {
        size_t w;
        int c = lex_next(l, &w);
        if (c == 0xFFFD)
            return lex_error(l, start, "invalid UTF-8 rune");
        if (c == LEX_EOF)
            return lex_error(l, start, "unterminated raw string");
        if (c == '`')
            return lex_token(l, PT_STRING, start);
    }
}

/* ---- identifiers and keywords ---- */

static promql_token lex_keyword_or_identifier(promql_lexer *l, size_t start)
{
    int colon = 0;
    while (l->pos < l->len) {
        int c = (unsigned char)l->input[l->pos];
        if (!is_alnum(c) && c != ':')
            break;
        colon |= c == ':';
        l->pos++;
    }
    size_t n = l->pos - start;
    int first = l->input[start] | 0x20; /* ASCII lower case */
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (keywords[i].len == n && keywords[i].word[0] == first &&
            strncasecmp(keywords[i].word, l->input + start, n) == 0)
            return lex_token(l, keywords[i].tok, start);
    return lex_token(l, colon ? PT_METRIC_IDENTIFIER : PT_IDENTIFIER, start);
}

/* ---- states ---- */

static void lex_skip_comment(promql_lexer *l)
{
    while (l->pos < l->len && l->input[l->pos] != '\n')
        l->pos++;
}

static promql_token lex_inside_braces(promql_lexer *l)
{
    size_t start = l->pos, w;
    char q[16];
    int c = lex_next(l, &w);
    switch (c) {
    case LEX_EOF:
        return lex_error(l, start, "unexpected end of input inside braces");
    case ',':
        return lex_token(l, PT_COMMA, start);
    case '"':
    case '\'':
        return lex_string(l, c, start);
    case '`':
        return lex_raw_string(l, start);
    case '=':
        if (lex_accept(l, "~"))
            return lex_token(l, PT_EQL_REGEX, start);
        return lex_token(l, PT_EQL, start);
    case '!': {
        size_t at = l->pos;
        int n = lex_next(l, &w);
        if (n == '~')
            return lex_token(l, PT_NEQ_REGEX, start);
        if (n == '=')
            return lex_token(l, PT_NEQ, start);
        return lex_error(l, start, "unexpected character after '!' inside braces: %s",
                         lex_rune_q(l, at, q));
    }
    case '{':
        return lex_error(l, start, "unexpected left brace '{'");
    case '}':
        l->brace_open = 0;
        return lex_token(l, PT_RIGHT_BRACE, start);
    default:
        if (is_alpha(c)) {
            while (l->pos < l->len && is_alnum((unsigned char)l->input[l->pos]))
                l->pos++;
            return lex_token(l, PT_IDENTIFIER, start);
        }
        return lex_error(l, start, "unexpected character inside braces: %s",
                         lex_rune_q(l, start, q));
    }
}

static promql_token lex_statement(promql_lexer *l)
{
    size_t start = l->pos, w;
    char q[16];
    int c = lex_next(l, &w);
    switch (c) {
    case LEX_EOF:
        if (l->paren_depth != 0)
            return lex_error(l, start, "unclosed left parenthesis");
        if (l->bracket_open)
            return lex_error(l, start, "unclosed left bracket");
        return lex_token(l, PT_EOF, start);
    case ',': return lex_token(l, PT_COMMA, start);
    case '*': return lex_token(l, PT_MUL, start);
    case '/': return lex_token(l, PT_DIV, start);
    case '%': return lex_token(l, PT_MOD, start);
    case '+': return lex_token(l, PT_ADD, start);
    case '-': return lex_token(l, PT_SUB, start);
    case '^': return lex_token(l, PT_POW, start);
    case '@': return lex_token(l, PT_AT, start);
    case '=':
        if (lex_accept(l, "="))
            return lex_token(l, PT_EQLC, start);
        if (lex_peek(l) == '~')
            return lex_error(l, start, "unexpected character after '=': '~'");
        return lex_token(l, PT_EQL, start);
    case '!': {
        size_t at = l->pos;
        if (lex_next(l, &w) == '=')
            return lex_token(l, PT_NEQ, start);
        return lex_error(l, start, "unexpected character after '!': %s", lex_rune_q(l, at, q));
    }
    case '<':
        return lex_token(l, lex_accept(l, "=") ? PT_LTE : PT_LSS, start);
    case '>':
        return lex_token(l, lex_accept(l, "=") ? PT_GTE : PT_GTR, start);
    case '"':
    case '\'':
        return lex_string(l, c, start);
    case '`':
        return lex_raw_string(l, start);
    case '(':
        l->paren_depth++;
        return lex_token(l, PT_LEFT_PAREN, start);
    case ')':
        if (--l->paren_depth < 0)
            return lex_error(l, l->pos, "unexpected right parenthesis ')'");
        return lex_token(l, PT_RIGHT_PAREN, start);
    case '{':
        l->brace_open = 1;
        return lex_token(l, PT_LEFT_BRACE, start);
    case '[':
        if (l->bracket_open)
            return lex_error(l, start, "unexpected left bracket '['");
        l->got_colon = 0;
        l->bracket_open = 1;
        l->want_duration = 1;
        return lex_token(l, PT_LEFT_BRACKET, start);
    case ']':
        if (!l->bracket_open)
            return lex_error(l, start, "unexpected right bracket ']'");
        l->bracket_open = 0;
        return lex_token(l, PT_RIGHT_BRACKET, start);
    default:
        break;
    }
    if (is_digit(c) || (c == '.' && is_digit(lex_peek(l)))) {
        l->pos = start;
        return lex_number_or_duration(l, start);
    }
    if (is_alpha(c) || c == ':') {
        if (!l->bracket_open) {
            l->pos = start;
            return lex_keyword_or_identifier(l, start);
        }
        /* Inside brackets any of these is taken for the subquery colon. */
        if (l->got_colon)
            return lex_error(l, start, "unexpected colon %s", lex_rune_q(l, start, q));
        l->got_colon = 1;
        return lex_token(l, PT_COLON, start);
    }
    return lex_error(l, start, "unexpected character: %s", lex_rune_q(l, start, q));
}

void promql_lexer_init(promql_lexer *l, const char *input, size_t len)
{
    memset(l, 0, sizeof *l);
    l->input = input;
    l->len = len;
}

promql_token promql_lexer_next(promql_lexer *l)
{
    if (l->failed) {
        promql_token t = {PT_EOF, l->len, 0};
        return t;
    }
    if (l->want_duration) {
        l->want_duration = 0;
        while (l->pos < l->len && is_space((unsigned char)l->input[l->pos]))
            l->pos++;
        return lex_duration(l, l->pos);
    }
    for (;;) {
        while (l->pos < l->len && is_space((unsigned char)l->input[l->pos]))
            l->pos++;
        if (l->pos < l->len && l->input[l->pos] == '#') {
            lex_skip_comment(l);
            continue;
        }
        break;
    }
    return l->brace_open ? lex_inside_braces(l) : lex_statement(l);
}

promql_tok promql_lexer_peek_kind(promql_lexer *l)
{
    size_t pos = l->pos;
    int paren = l->paren_depth, brace = l->brace_open, bracket = l->bracket_open;
    int colon = l->got_colon, dur = l->want_duration, failed = l->failed;
    promql_tok kind = promql_lexer_next(l).kind;
    l->pos = pos;
    l->paren_depth = paren;
    l->brace_open = brace;
    l->bracket_open = bracket;
    l->got_colon = colon;
    l->want_duration = dur;
    l->failed = failed;
    return kind;
}

/* ---- unquoting (Prometheus' strutil.Unquote) ---- */

static size_t utf8_encode(unsigned r, char *out)
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

long promql_unquote(const char *text, size_t len, char *out)
{
    if (len < 2 || text[0] != text[len - 1])
        return -1;
    char quote = text[0];
    const char *s = text + 1, *end = text + len - 1;
    size_t o = 0;
    if (quote == '`') {
        memcpy(out, s, (size_t)(end - s));
        return end - s;
    }
    while (s < end) {
        if (*s != '\\') {
            out[o++] = *s++;
            continue;
        }
        if (++s >= end)
            return -1;
        char c = *s++;
        const char *simple = strchr("abfnrtv", c);
        if (c && simple) {
            out[o++] = "\a\b\f\n\r\t\v"[simple - "abfnrtv"];
        } else if (c == '\\' || c == quote) {
            out[o++] = c;
        } else if (c >= '0' && c <= '7') {
            unsigned v = (unsigned)(c - '0');
            for (int i = 0; i < 2; i++) {
                if (s >= end || *s < '0' || *s > '7')
                    return -1;
                v = v * 8 + (unsigned)(*s++ - '0');
            }
            if (v > 255)
                return -1;
            out[o++] = (char)v;
        } else if (c == 'x' || c == 'u' || c == 'U') {
            int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            unsigned v = 0;
            for (int i = 0; i < n; i++) {
                if (s >= end || hex_val((unsigned char)*s) > 15)
                    return -1;
                v = v * 16 + (unsigned)hex_val((unsigned char)*s++);
                if (v > 0x10FFFF)
                    return -1;
            }
            if (c == 'x')
                out[o++] = (char)v;
            else if (v >= 0xD800 && v < 0xE000)
                return -1;
            else
                o += utf8_encode(v, out + o);
        } else {
            return -1;
        }
    }
    return (long)o;
}
