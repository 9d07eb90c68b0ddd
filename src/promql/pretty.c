/*
 * pretty — the multi-line form of Prometheus 2.42's Pretty(), which
 * /api/v1/format_query returns. A node whose one-line form (promql_print)
 * is longer than 100 bytes is split: binary operands go on their own
 * lines around the operator, aggregation and call arguments and
 * parenthesised expressions go one per line inside the brackets, each
 * level indented by two spaces. Shorter nodes print on one line. Quirks of
 * Prometheus are kept: a subquery that fits adds no indentation of its own.
 */
#include <string.h>

#include "promql/print.h"
#include "promql/promql.h"

#define PRETTY_COLUMNS 100

static int pretty(const promql_node *n, int level, buf *out);

static int indent(buf *out, int level)
{
    int rc = 0;
    for (int i = 0; !rc && i < level; i++)
        rc = buf_puts(out, "  ");
    return rc;
}

/* 1 when the one-line form is too long, 0 when not, or a negative error. */
static int needs_split(const promql_node *n)
{
    buf b;
    buf_init(&b, 0);
    int rc = promql_print(n, &b);
    size_t len = b.len;
    buf_free(&b);
    return rc < 0 ? rc : len > PRETTY_COLUMNS;
}

/* The one-line form after the indentation. */
static int flat(const promql_node *n, int level, buf *out)
{
    int rc = indent(out, level);
    return rc ? rc : promql_print(n, out);
}

static int pretty_binary(const promql_node *n, int level, buf *out)
{
    int rc;
    if (promql_print_is_inf_base(n)) {
        rc = indent(out, level + 1);
        rc = rc ? rc : buf_puts(out, "Inf");
    } else {
        rc = pretty(n->u.binary.lhs, level + 1, out);
    }
    rc = rc ? rc : buf_putc(out, '\n');
    rc = rc ? rc : indent(out, level);
    rc = rc ? rc : promql_print_operator(n, out);
    rc = rc ? rc : buf_putc(out, '\n');
    return rc ? rc : pretty(n->u.binary.rhs, level + 1, out);
}

static int pretty_aggregate(const promql_node *n, int level, buf *out)
{
    int rc = indent(out, level);
    rc = rc ? rc : buf_puts(out, promql_aggop_name(n->u.agg.op));
    if (!rc && (n->u.agg.without || n->u.agg.grouping.count > 0)) {
        rc = buf_puts(out, n->u.agg.without ? " without (" : " by (");
        for (size_t i = 0; !rc && i < n->u.agg.grouping.count; i++) {
            if (i)
                rc = buf_puts(out, ", ");
            rc = rc ? rc : buf_puts(out, n->u.agg.grouping.names[i]);
        }
        rc = rc ? rc : buf_puts(out, ") ");
    }
    rc = rc ? rc : buf_puts(out, "(\n");
    if (!rc && n->u.agg.param) {
        rc = pretty(n->u.agg.param, level + 1, out);
        rc = rc ? rc : buf_puts(out, ",\n");
    }
    rc = rc ? rc : pretty(n->u.agg.expr, level + 1, out);
    rc = rc ? rc : buf_putc(out, '\n');
    rc = rc ? rc : indent(out, level);
    return rc ? rc : buf_putc(out, ')');
}

static int pretty_call(const promql_node *n, int level, buf *out)
{
    int rc = indent(out, level);
    rc = rc ? rc : buf_printf(out, "%s(\n", n->u.call.func->name);
    for (size_t i = 0; !rc && i < n->u.call.nargs; i++) {
        if (i)
            rc = buf_puts(out, ",\n");
        rc = rc ? rc : pretty(n->u.call.args[i], level + 1, out);
    }
    rc = rc ? rc : buf_putc(out, '\n');
    rc = rc ? rc : indent(out, level);
    return rc ? rc : buf_putc(out, ')');
}

/* A unary sign goes before its operand's text, which loses its indent. */
static int pretty_unary(const promql_node *n, int level, buf *out)
{
    buf child;
    buf_init(&child, 0);
    int rc = pretty(n->u.unary.expr, level, &child);
    size_t s = 0, e = child.len;
    while (s < e && (child.data[s] == ' ' || child.data[s] == '\n' || child.data[s] == '\t'))
        s++;
    while (e > s && (child.data[e - 1] == ' ' || child.data[e - 1] == '\n' ||
                     child.data[e - 1] == '\t'))
        e--;
    rc = rc ? rc : indent(out, level);
    rc = rc ? rc : buf_puts(out, promql_binop_name(n->u.unary.op));
    if (!rc && e > s)
        rc = buf_append(out, child.data + s, e - s);
    buf_free(&child);
    return rc;
}

/* The subquery's own suffix: what follows its expression's text. */
static int pretty_subquery(const promql_node *n, int level, buf *out)
{
    buf whole, inner;
    buf_init(&whole, 0);
    buf_init(&inner, 0);
    int rc = promql_print(n, &whole);
    rc = rc ? rc : promql_print(n->u.sq.expr, &inner);
    rc = rc ? rc : pretty(n->u.sq.expr, level, out);
    rc = rc ? rc : buf_append(out, whole.data + inner.len, whole.len - inner.len);
    buf_free(&whole);
    buf_free(&inner);
    return rc;
}

static int pretty(const promql_node *n, int level, buf *out)
{
    int split = 0;
    switch (n->kind) {
    case PROMQL_BINARY:
    case PROMQL_AGGREGATE:
    case PROMQL_CALL:
    case PROMQL_PAREN:
    case PROMQL_SUBQUERY:
        split = needs_split(n);
        if (split < 0)
            return split;
        break;
    default:
        break;
    }
    int rc;
    switch (n->kind) {
    case PROMQL_BINARY:
        return split ? pretty_binary(n, level, out) : flat(n, level, out);
    case PROMQL_AGGREGATE:
        return split ? pretty_aggregate(n, level, out) : flat(n, level, out);
    case PROMQL_CALL:
        return split ? pretty_call(n, level, out) : flat(n, level, out);
    case PROMQL_PAREN:
        if (!split)
            return flat(n, level, out);
        rc = indent(out, level);
        rc = rc ? rc : buf_puts(out, "(\n");
        rc = rc ? rc : pretty(n->u.paren.expr, level + 1, out);
        rc = rc ? rc : buf_putc(out, '\n');
        rc = rc ? rc : indent(out, level);
        return rc ? rc : buf_putc(out, ')');
    case PROMQL_SUBQUERY:
        return split ? pretty_subquery(n, level, out) : promql_print(n, out);
    case PROMQL_UNARY:
        return pretty_unary(n, level, out);
    default:
        return flat(n, level, out);
    }
}

int promql_print_pretty(const promql_node *n, buf *out)
{
    return pretty(n, 0, out);
}
