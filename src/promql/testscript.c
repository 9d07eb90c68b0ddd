/* testscript — the PromQL test-script reader; see testscript.h. */
#include "promql/testscript.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/units.h"
#include "promql/parse.h"

typedef struct ts_line {
    const char *s; /* trimmed */
    size_t len;
    int lineno;
} ts_line;

typedef struct ts_parser {
    promql_arena *arena;
    const char *name;
    heron_err *err;
    ts_line *lines;
    size_t nlines;
} ts_parser;

__attribute__((format(printf, 3, 4)))
static int ts_error(ts_parser *p, int lineno, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(p->err, HERON_EINVAL, "%s:%d: %s", p->name, lineno, msg);
}

static int ts_nomem(ts_parser *p)
{
    return err_set(p->err, HERON_ENOMEM, "%s: out of memory", p->name);
}

/* Grows an arena array of elements of size sz to hold one more. */
static void *ts_grow(ts_parser *p, void *items, size_t count, size_t *alloc, size_t sz)
{
    if (count < *alloc)
        return items;
    size_t n = *alloc ? *alloc * 2 : 8;
    void *fresh = promql_arena_alloc(p->arena, n * sz);
    if (!fresh)
        return NULL;
    if (count)
        memcpy(fresh, items, count * sz);
    *alloc = n;
    return fresh;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The next whitespace-separated word of s[0..n) from *pos. */
static int next_word(const char *s, size_t n, size_t *pos, const char **w, size_t *wlen)
{
    size_t i = *pos;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    if (i >= n)
        return 0;
    size_t start = i;
    if (n - i >= 2 && s[i] == '{' && s[i + 1] == '{') {
        /* a native histogram item: up to the matching }} and its suffix */
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '{')
                depth++;
            else if (s[i] == '}')
                depth--;
            else if (depth == 0 && is_blank((unsigned char)s[i]))
                break;
        }
    } else {
        while (i < n && !is_blank((unsigned char)s[i]))
            i++;
    }
    *w = s + start;
    *wlen = i - start;
    *pos = i;
    return 1;
}

static int parse_duration_word(ts_parser *p, int lineno, const char *w, size_t n, int64_t *ms)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return ts_error(p, lineno, "invalid duration \"%.*s\"", (int)(n > 60 ? 60 : n), w);
    memcpy(tmp, w, n);
    tmp[n] = '\0';
    heron_err e;
    if (units_parse_duration(tmp, ms, &e) < 0)
        return ts_error(p, lineno, "%s", e.msg);
    return 0;
}

/* ---- value sequences ---- */

/* Scans a float at s (sign, digits, fraction, exponent, or Inf/NaN). */
static size_t scan_float(const char *s, size_t n, double *v)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (n - i >= 3 && (strncasecmp(s + i, "inf", 3) == 0 || strncasecmp(s + i, "nan", 3) == 0)) {
        i += 3;
    } else {
        size_t digits = 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, digits++;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && isdigit((unsigned char)s[i]))
                i++, digits++;
        }
        if (digits == 0)
            return 0;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            size_t j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-'))
                j++;
            if (j < n && isdigit((unsigned char)s[j])) {
                while (j < n && isdigit((unsigned char)s[j]))
                    j++;
                i = j;
            }
        }
    }
    char tmp[64];
    if (i >= sizeof tmp)
        return 0;
    memcpy(tmp, s, i);
    tmp[i] = '\0';
    *v = strtod(tmp, NULL);
    return i;
}

/* "x<N>" at s[0..n) exactly. */
static int scan_times(const char *s, size_t n, unsigned long *count)
{
    if (n < 2 || s[0] != 'x' || n > 12)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    *count = strtoul(s + 1, NULL, 10);
    return 1;
}

typedef struct sample_list {
    promql_ts_sample *items;
    size_t count, alloc;
} sample_list;

static int push_sample(ts_parser *p, sample_list *l, int64_t t, double v,
                       promql_ts_sample_kind kind, const char *hist)
{
    promql_ts_sample *items = ts_grow(p, l->items, l->count, &l->alloc, sizeof *items);
    if (!items)
        return ts_nomem(p);
    l->items = items;
    items[l->count++] = (promql_ts_sample){t, v, kind, hist};
    return 0;
}

static double stale_nan(void)
{
    unsigned long long bits = PROMQL_STALE_NAN_BITS;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Expands one item into samples from slot *slot on. */
static int expand_item(ts_parser *p, int lineno, const char *w, size_t n, int64_t t0,
                       int64_t step, unsigned long *slot, sample_list *out)
{
    unsigned long count;
    if (n == 1 && w[0] == '_') {
        (*slot)++;
        return 0;
    }
    if (w[0] == '_' && scan_times(w + 1, n - 1, &count)) {
        *slot += count;
        return 0;
    }
    if (n == 5 && strncmp(w, "stale", 5) == 0)
        return push_sample(p, out, t0 + (int64_t)(*slot)++ * step, stale_nan(), PROMQL_TS_STALE,
                           NULL);
    if (n >= 2 && w[0] == '{' && w[1] == '{') {
        /* {{A}}, {{A}}xN or {{A}}(+|-){{B}}xN: N+1 samples of the text */
        char *text = promql_arena_strndup(p->arena, w, n);
        if (!text)
            return ts_nomem(p);
        const char *x = strstr(text, "}}x");
        count = 0;
        if (x && !scan_times(x + 2, strlen(x + 2), &count))
            return ts_error(p, lineno, "invalid histogram item \"%.60s\"", text);
        for (unsigned long i = 0; i <= count; i++)
            if (push_sample(p, out, t0 + (int64_t)(*slot)++ * step, 0, PROMQL_TS_HISTOGRAM,
                            text) < 0)
                return HERON_ENOMEM;
        return 0;
    }
    double a, b = 0;
    size_t i = scan_float(w, n, &a);
    if (i == 0)
        return ts_error(p, lineno, "invalid value \"%.*s\"", (int)(n > 60 ? 60 : n), w);
    count = 0;
    if (i < n && (w[i] == '+' || w[i] == '-')) {
        size_t j = scan_float(w + i, n - i, &b);
        if (j == 0 || !scan_times(w + i + j, n - i - j, &count))
            return ts_error(p, lineno, "invalid value \"%.*s\"", (int)(n > 60 ? 60 : n), w);
    } else if (i < n && !scan_times(w + i, n - i, &count)) {
        return ts_error(p, lineno, "invalid value \"%.*s\"", (int)(n > 60 ? 60 : n), w);
    }
    if (count > 10000000)
        return ts_error(p, lineno, "repetition too large in \"%.*s\"", (int)n, w);
    for (unsigned long k = 0; k <= count; k++) {
        if (push_sample(p, out, t0 + (int64_t)(*slot)++ * step, a, PROMQL_TS_FLOAT, NULL) < 0)
            return HERON_ENOMEM;
        a += b; /* Prometheus accumulates rather than multiplies */
    }
    return 0;
}

/* Splits a series line into its label part and the values after it. */
static size_t series_end(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
        i++;
    if (i < n && s[i] == '{') {
        char quote = 0;
        for (; i < n; i++) {
            if (quote) {
                if (s[i] == '\\' && quote != '`' && i + 1 < n)
                    i++;
                else if (s[i] == quote)
                    quote = 0;
            } else if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
                quote = s[i];
            } else if (s[i] == '}') {
                return i + 1;
            }
        }
    }
    return i < n ? i : n;
}

static int parse_series_line(ts_parser *p, const ts_line *l, int64_t t0, int64_t step,
                             promql_ts_series *out)
{
    size_t end = series_end(l->s, l->len);
    promql_node *sel;
    heron_err e;
    if (promql_parse_series(l->s, end, p->arena, &sel, &e) < 0)
        return ts_error(p, l->lineno, "bad series description: %s", e.msg);
    memset(out, 0, sizeof *out);
    out->labels = sel->u.vs.matchers;
    out->nlabels = sel->u.vs.nmatchers;
    out->line = l->lineno;
    sample_list samples = {0};
    unsigned long slot = 0;
    size_t pos = end;
    const char *w;
    size_t wlen;
    while (next_word(l->s, l->len, &pos, &w, &wlen))
        if (expand_item(p, l->lineno, w, wlen, t0, step, &slot, &samples) < 0)
            return p->err ? p->err->code : HERON_EINVAL;
    out->samples = samples.items;
    out->nsamples = samples.count;
    return 0;
}

/* Parses the block of non-empty lines after line *i into cmd->series. */
static int parse_block(ts_parser *p, size_t *i, promql_ts_cmd *cmd, int64_t t0, int64_t step)
{
    size_t alloc = 0;
    while (*i + 1 < p->nlines && p->lines[*i + 1].len > 0) {
        ++*i;
        const ts_line *l = &p->lines[*i];
        if (cmd->kind == PROMQL_TS_EVAL && cmd->nseries == 0 && !cmd->expect_scalar) {
            double v;
            const char *why;
            if (promql_parse_number_text(l->s, l->len, &v, &why) == 0) {
                cmd->expect_scalar = 1;
                cmd->scalar = v;
                continue;
            }
        }
        if (cmd->expect_scalar)
            return ts_error(p, l->lineno, "unexpected line after a scalar expectation");
        promql_ts_series *s = ts_grow(p, cmd->series, cmd->nseries, &alloc, sizeof *s);
        if (!s)
            return ts_nomem(p);
        cmd->series = s;
        int rc = parse_series_line(p, l, t0, step, &s[cmd->nseries]);
        if (rc < 0)
            return rc;
        cmd->nseries++;
    }
    return 0;
}

/* Matches a keyword word (case-insensitive) at *pos and skips past it. */
static int take_word(const ts_line *l, size_t *pos, const char *kw)
{
    size_t save = *pos;
    const char *w;
    size_t n;
    if (next_word(l->s, l->len, pos, &w, &n) && n == strlen(kw) && strncasecmp(w, kw, n) == 0)
        return 1;
    *pos = save;
    return 0;
}

static int parse_eval(ts_parser *p, size_t *i, promql_ts_cmd *cmd, const char *cmdword,
                      size_t cmdlen)
{
    const ts_line *l = &p->lines[*i];
    size_t pos = cmdlen;
    const char *w;
    size_t n;
    if (cmdlen == 9 && strncasecmp(cmdword, "eval_fail", 9) == 0)
        cmd->expect_fail = 1;
    else if (cmdlen == 12 && strncasecmp(cmdword, "eval_ordered", 12) == 0)
        cmd->ordered = 1;
    else if (cmdlen != 4)
        return ts_error(p, l->lineno, "unknown command \"%.*s\"", (int)cmdlen, cmdword);
    if (take_word(l, &pos, "instant")) {
        if (take_word(l, &pos, "at")) {
            if (!next_word(l->s, l->len, &pos, &w, &n) ||
                parse_duration_word(p, l->lineno, w, n, &cmd->at_ms) < 0)
                return p->err ? p->err->code : HERON_EINVAL;
        }
    } else if (take_word(l, &pos, "range") && !cmd->ordered) {
        cmd->range = 1;
        if (!take_word(l, &pos, "from") || !next_word(l->s, l->len, &pos, &w, &n) ||
            parse_duration_word(p, l->lineno, w, n, &cmd->start_ms) < 0 ||
            !take_word(l, &pos, "to") || !next_word(l->s, l->len, &pos, &w, &n) ||
            parse_duration_word(p, l->lineno, w, n, &cmd->end_ms) < 0 ||
            !take_word(l, &pos, "step") || !next_word(l->s, l->len, &pos, &w, &n) ||
            parse_duration_word(p, l->lineno, w, n, &cmd->step_ms) < 0)
            return ts_error(p, l->lineno, "invalid range evaluation: want \"eval range from "
                                          "<start> to <end> step <step> <expr>\"");
        if (cmd->step_ms <= 0 || cmd->end_ms < cmd->start_ms)
            return ts_error(p, l->lineno, "invalid range: step must be positive and end "
                                          "not before start");
    } else {
        return ts_error(p, l->lineno, "invalid evaluation command: want \"instant\" or "
                                      "\"range\"");
    }
    while (pos < l->len && is_blank((unsigned char)l->s[pos]))
        pos++;
    if (pos >= l->len)
        return ts_error(p, l->lineno, "missing expression");
    cmd->expr = promql_arena_strndup(p->arena, l->s + pos, l->len - pos);
    if (!cmd->expr)
        return ts_nomem(p);
    heron_err e;
    int rc = promql_parse(cmd->expr, l->len - pos, p->arena, &cmd->ast, &e);
    if (rc == HERON_ENOMEM)
        return ts_nomem(p);
    if (rc < 0 && !(cmd->parse_error = promql_arena_strndup(p->arena, e.msg, strlen(e.msg))))
        return ts_nomem(p);
    int64_t t0 = cmd->range ? cmd->start_ms : cmd->at_ms;
    return parse_block(p, i, cmd, t0, cmd->range ? cmd->step_ms : 0);
}

/* Splits text into trimmed lines; comment lines become empty. */
static int split_lines(ts_parser *p, const char *text, size_t len)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\n';
    p->lines = promql_arena_alloc(p->arena, count * sizeof *p->lines);
    if (!p->lines)
        return ts_nomem(p);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        const char *s = text + start;
        size_t n = i - start;
        while (n && is_blank((unsigned char)*s))
            s++, n--;
        while (n && is_blank((unsigned char)s[n - 1]))
            n--;
        if (n && *s == '#')
            n = 0;
        p->lines[p->nlines] = (ts_line){s, n, (int)p->nlines + 1};
        p->nlines++;
        start = i + 1;
    }
    return 0;
}

int promql_testscript_parse(const char *text, size_t len, const char *name,
                            promql_arena *arena, promql_testscript *out, heron_err *err)
{
    ts_parser p = {arena, name ? name : "<input>", err, NULL, 0};
    memset(out, 0, sizeof *out);
    if (split_lines(&p, text, len) < 0)
        return HERON_ENOMEM;
    size_t alloc = 0;
    for (size_t i = 0; i < p.nlines; i++) {
        const ts_line *l = &p.lines[i];
        if (l->len == 0)
            continue;
        promql_ts_cmd *cmds = ts_grow(&p, out->cmds, out->ncmds, &alloc, sizeof *cmds);
        if (!cmds)
            return ts_nomem(&p);
        out->cmds = cmds;
        promql_ts_cmd *cmd = &cmds[out->ncmds];
        memset(cmd, 0, sizeof *cmd);
        cmd->line = l->lineno;
        size_t pos = 0;
        const char *w;
        size_t n;
        next_word(l->s, l->len, &pos, &w, &n);
        int rc = 0;
        if (n == 5 && strncasecmp(w, "clear", 5) == 0) {
            cmd->kind = PROMQL_TS_CLEAR;
            if (pos < l->len)
                rc = ts_error(&p, l->lineno, "unexpected text after clear");
        } else if (n == 4 && strncasecmp(w, "load", 4) == 0) {
            cmd->kind = PROMQL_TS_LOAD;
            const char *d;
            size_t dn;
            if (!next_word(l->s, l->len, &pos, &d, &dn))
                rc = ts_error(&p, l->lineno, "load needs a step duration");
            else if ((rc = parse_duration_word(&p, l->lineno, d, dn, &cmd->load_step_ms)) == 0)
                rc = parse_block(&p, &i, cmd, 0, cmd->load_step_ms);
        } else if (n >= 4 && strncasecmp(w, "eval", 4) == 0) {
            cmd->kind = PROMQL_TS_EVAL;
            rc = parse_eval(&p, &i, cmd, w, n);
        } else {
            rc = ts_error(&p, l->lineno, "unknown command \"%.*s\"", (int)(n > 40 ? 40 : n), w);
        }
        if (rc < 0)
            return rc;
        out->ncmds++;
    }
    return 0;
}
