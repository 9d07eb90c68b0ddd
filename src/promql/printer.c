/*
 * printer — renders an AST as Prometheus 2.42's String() methods do
 * (what /api/v1/format_query returns for expressions that fit one line):
 * matchers sorted, `by`/`without` before the body, numbers in Go's %v
 * form, durations in model.Duration form, `@` with three decimals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "promql/lexer.h"
#include "promql/print.h"
#include "promql/promql.h"

int promql_quote(buf *out, const char *s, size_t len)
{
    int rc = buf_putc(out, '"');
    size_t i = 0;
    while (rc == 0 && i < len) {
        unsigned r;
        size_t w = promql_utf8_decode((const unsigned char *)s + i, len - i, &r);
        if (r == 0xFFFD && w == 1) {
            rc = buf_printf(out, "\\x%02x", (unsigned char)s[i]);
        } else if (r == '"' || r == '\\') {
            rc = buf_printf(out, "\\%c", (char)r);
        } else if (r >= 0x20 && r < 0x7F) {
            rc = buf_putc(out, (char)r);
        } else if (r >= 7 && r <= 13) {
            rc = buf_printf(out, "\\%c", "abtnvfr"[r - 7]);
        } else if (r < 0x20 || r == 0x7F) {
            rc = buf_printf(out, "\\x%02x", r);
        } else if (!promql_rune_printable(r)) {
            rc = r < 0x10000 ? buf_printf(out, "\\u%04x", r) : buf_printf(out, "\\U%08x", r);
        } else {
            rc = buf_append(out, s + i, w);
        }
        i += w;
    }
    return rc ? rc : buf_putc(out, '"');
}

int promql_format_number(buf *out, double v)
{
    if (isnan(v))
        return buf_puts(out, "NaN");
    if (isinf(v))
        return buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    if (v == 0)
        return buf_puts(out, signbit(v) ? "-0" : "0");
    /* The shortest digits that read back to v, then Go's %v choice between
     * plain and exponent form (exponent below -4 or from 6 on). */
    /* 15 significant digits give the shortest form padded with zeros
     * whenever one of at most 15 digits exists; else try 16, then 17. */
    char e[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e: [-]d[.ddd]e[+-]xx */
    char digits[20];
    int nd = 0, neg = e[0] == '-';
    const char *p = e + neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int rc = neg ? buf_putc(out, '-') : 0;
    if (exp < -4 || exp >= 6) {
        rc = rc ? rc : buf_putc(out, digits[0]);
        if (!rc && nd > 1) {
            rc = buf_putc(out, '.');
            rc = rc ? rc : buf_append(out, digits + 1, (size_t)nd - 1);
        }
        return rc ? rc : buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
    if (exp < 0) {
        rc = rc ? rc : buf_puts(out, "0.");
        for (int i = -1; !rc && i > exp; i--)
            rc = buf_putc(out, '0');
        return rc ? rc : buf_append(out, digits, (size_t)nd);
    }
    for (int i = 0; !rc && i <= exp; i++)
        rc = buf_putc(out, i < nd ? digits[i] : '0');
    if (!rc && nd > exp + 1) {
        rc = buf_putc(out, '.');
        rc = rc ? rc : buf_append(out, digits + exp + 1, (size_t)(nd - exp - 1));
    }
    return rc;
}

int promql_format_duration(buf *out, int64_t ms)
{
    char text[32];
    units_format_duration(ms, text);
    return buf_puts(out, text);
}

static int print_labels(buf *out, const promql_labels *l)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < l->count; i++) {
        if (i)
            rc = buf_puts(out, ", ");
        rc = rc ? rc : buf_puts(out, l->names[i]);
    }
    return rc;
}

static int print_modifiers(buf *out, const promql_modifiers *m)
{
    int rc = 0;
    if (m->at == PROMQL_AT_TIMESTAMP)
        rc = buf_printf(out, " @ %.3f", (double)m->at_ms / 1000.0);
    else if (m->at == PROMQL_AT_START)
        rc = buf_puts(out, " @ start()");
    else if (m->at == PROMQL_AT_END)
        rc = buf_puts(out, " @ end()");
    if (!rc && m->offset_ms != 0) {
        rc = buf_puts(out, " offset ");
        rc = rc ? rc : promql_format_duration(out, m->offset_ms);
    }
    return rc;
}

/* name="value" with the matcher's operator, as labels.Matcher.String(). */
static int print_matcher(buf *out, const promql_matcher *m)
{
    static const char *const ops[] = {"=", "!=", "=~", "!~"};
    int rc = buf_puts(out, m->name);
    rc = rc ? rc : buf_puts(out, ops[m->type]);
    return rc ? rc : promql_quote(out, m->value, m->value_len);
}

static int compare_strings(const void *a, const void *b)
{
    const buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The selector without offset and @ (a matrix selector prints those after
 * its range). The __name__ matcher equal to the name is left out; the
 * others print sorted as strings, as Prometheus sorts them. */
static int print_selector_body(buf *out, const promql_node *n)
{
    const char *name = n->u.vs.name ? n->u.vs.name : "";
    size_t count = 0;
    buf *parts = calloc(n->u.vs.nmatchers + 1, sizeof *parts);
    if (!parts)
        return HERON_ENOMEM;
    int rc = 0;
    for (size_t i = 0; !rc && i < n->u.vs.nmatchers; i++) {
        const promql_matcher *m = &n->u.vs.matchers[i];
        if (n->u.vs.name && m->type == PROMQL_MATCH_EQUAL && strcmp(m->name, "__name__") == 0 &&
            m->value_len == strlen(name) && memcmp(m->value, name, m->value_len) == 0)
            continue;
        buf_init(&parts[count], 0);
        rc = print_matcher(&parts[count++], m);
    }
    rc = rc ? rc : buf_puts(out, name);
    if (!rc && count > 0) {
        qsort(parts, count, sizeof *parts, compare_strings);
        rc = buf_putc(out, '{');
        for (size_t i = 0; !rc && i < count; i++) {
            if (i)
                rc = buf_putc(out, ',');
            rc = rc ? rc : buf_append(out, parts[i].data, parts[i].len);
        }
        rc = rc ? rc : buf_putc(out, '}');
    }
    for (size_t i = 0; i < count; i++)
        buf_free(&parts[i]);
    free(parts);
    return rc;
}

int promql_print_is_inf_base(const promql_node *n)
{
    const promql_node *lhs = n->u.binary.lhs;
    return n->u.binary.op == PROMQL_OP_POW && lhs->kind == PROMQL_NUMBER &&
           isinf(lhs->u.number) && lhs->u.number > 0;
}

int promql_print_operator(const promql_node *n, buf *out)
{
    const promql_matching *m = n->u.binary.matching;
    int rc = buf_puts(out, promql_binop_name(n->u.binary.op));
    if (!rc && n->u.binary.return_bool)
        rc = buf_puts(out, " bool");
    if (!rc && m && (m->labels.count > 0 || m->on)) {
        rc = buf_puts(out, m->on ? " on (" : " ignoring (");
        rc = rc ? rc : print_labels(out, &m->labels);
        rc = rc ? rc : buf_putc(out, ')');
        if (!rc && (m->card == PROMQL_CARD_MANY_TO_ONE || m->card == PROMQL_CARD_ONE_TO_MANY)) {
            rc = buf_puts(out, m->card == PROMQL_CARD_MANY_TO_ONE ? " group_left ("
                                                                 : " group_right (");
            rc = rc ? rc : print_labels(out, &m->include);
            rc = rc ? rc : buf_putc(out, ')');
        }
    }
    return rc;
}

static int print_binary(const promql_node *n, buf *out)
{
    int rc = promql_print_is_inf_base(n) ? buf_puts(out, "Inf")
                                         : promql_print(n->u.binary.lhs, out);
    rc = rc ? rc : buf_putc(out, ' ');
    rc = rc ? rc : promql_print_operator(n, out);
    rc = rc ? rc : buf_putc(out, ' ');
    return rc ? rc : promql_print(n->u.binary.rhs, out);
}

static int print_aggregate(const promql_node *n, buf *out)
{
    int rc = buf_puts(out, promql_aggop_name(n->u.agg.op));
    if (!rc && (n->u.agg.without || n->u.agg.grouping.count > 0)) {
        rc = buf_puts(out, n->u.agg.without ? " without (" : " by (");
        rc = rc ? rc : print_labels(out, &n->u.agg.grouping);
        rc = rc ? rc : buf_puts(out, ") ");
    }
    rc = rc ? rc : buf_putc(out, '(');
    if (!rc && n->u.agg.param) {
        rc = promql_print(n->u.agg.param, out);
        rc = rc ? rc : buf_puts(out, ", ");
    }
    rc = rc ? rc : promql_print(n->u.agg.expr, out);
    return rc ? rc : buf_putc(out, ')');
}

int promql_print(const promql_node *n, buf *out)
{
    int rc = 0;
    switch (n->kind) {
    case PROMQL_NUMBER:
        return promql_format_number(out, n->u.number);
    case PROMQL_STRING:
        return promql_quote(out, n->u.string.value, n->u.string.len);
    case PROMQL_VECTOR_SELECTOR:
        rc = print_selector_body(out, n);
        return rc ? rc : print_modifiers(out, &n->u.vs.mod);
    case PROMQL_MATRIX_SELECTOR:
        rc = print_selector_body(out, n->u.ms.vs);
        rc = rc ? rc : buf_putc(out, '[');
        rc = rc ? rc : promql_format_duration(out, n->u.ms.range_ms);
        rc = rc ? rc : buf_putc(out, ']');
        return rc ? rc : print_modifiers(out, &n->u.ms.vs->u.vs.mod);
    case PROMQL_SUBQUERY:
        rc = promql_print(n->u.sq.expr, out);
        rc = rc ? rc : buf_putc(out, '[');
        rc = rc ? rc : promql_format_duration(out, n->u.sq.range_ms);
        rc = rc ? rc : buf_putc(out, ':');
        if (!rc && n->u.sq.step_ms)
            rc = promql_format_duration(out, n->u.sq.step_ms);
        rc = rc ? rc : buf_putc(out, ']');
        return rc ? rc : print_modifiers(out, &n->u.sq.mod);
    case PROMQL_PAREN:
        rc = buf_putc(out, '(');
        rc = rc ? rc : promql_print(n->u.paren.expr, out);
        return rc ? rc : buf_putc(out, ')');
    case PROMQL_UNARY:
        rc = buf_puts(out, promql_binop_name(n->u.unary.op));
        return rc ? rc : promql_print(n->u.unary.expr, out);
    case PROMQL_BINARY:
        return print_binary(n, out);
    case PROMQL_AGGREGATE:
        return print_aggregate(n, out);
    case PROMQL_CALL:
        rc = buf_printf(out, "%s(", n->u.call.func->name);
        for (size_t i = 0; !rc && i < n->u.call.nargs; i++) {
            if (i)
                rc = buf_puts(out, ", ");
            rc = rc ? rc : promql_print(n->u.call.args[i], out);
        }
        return rc ? rc : buf_putc(out, ')');
    }
    return HERON_EINVAL;
}
