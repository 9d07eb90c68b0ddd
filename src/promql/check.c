/*
 * check — static type checks after a successful parse, in the order and
 * with the messages of Prometheus 2.42's checkAST, so that the first error
 * reported is the one Prometheus reports first.
 */
#include <stdio.h>
#include <string.h>

#include "promql/parse.h"

static int check_node(promql_parser *p, promql_node *n);

/* Prometheus' ValueType strings, used raw in the subquery message. */
static const char *raw_type_name(promql_type t)
{
    switch (t) {
    case PROMQL_TYPE_SCALAR: return "scalar";
    case PROMQL_TYPE_VECTOR: return "vector";
    case PROMQL_TYPE_MATRIX: return "matrix";
    case PROMQL_TYPE_STRING: return "string";
    default: return "none";
    }
}

/* Checks n, then that it has type want. The message names context, or
 * "call to function \"<fname>\"" when fname is given. */
static int expect_type(promql_parser *p, promql_node *n, promql_type want, const char *context,
                       const char *fname)
{
    if (check_node(p, n) < 0)
        return p->code;
    if (n->type == want)
        return 0;
    char call[64];
    if (fname) {
        snprintf(call, sizeof call, "call to function \"%s\"", fname);
        context = call;
    }
    return promql_parse_error(p, HERON_EINVAL, n->pos_start, "expected type %s in %s, got %s",
                              promql_type_name(want), context ? context : "",
                              promql_type_name(n->type));
}

static int check_selector(promql_parser *p, promql_node *n)
{
    size_t count = n->u.vs.nmatchers;
    if (n->u.vs.name) {
        for (size_t i = 0; i + 1 < count; i++) {
            const promql_matcher *m = &n->u.vs.matchers[i];
            if (strcmp(m->name, "__name__") != 0)
                continue;
            buf q;
            buf_init(&q, 0);
            int rc = promql_quote(&q, n->u.vs.name, strlen(n->u.vs.name));
            rc = rc ? rc : buf_puts(&q, " or ");
            rc = rc ? rc : promql_quote(&q, m->value, m->value_len);
            if (rc == 0)
                promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                   "metric name must not be set twice: %s", q.data);
            else
                promql_parse_error(p, HERON_ENOMEM, n->pos_start, "out of memory");
            buf_free(&q);
            return p->code;
        }
    }
    for (size_t i = 0; i < count; i++)
        if (!n->u.vs.matchers[i].matches_empty)
            return 0;
    return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                              "vector selector must contain at least one non-empty matcher");
}

/* The operator's position, for the messages Prometheus places there. */
static size_t op_pos(promql_parser *p, promql_node *n)
{
    size_t pos = n->u.binary.lhs->pos_end;
    while (pos < p->len && (p->input[pos] == ' ' || p->input[pos] == '\t' ||
                            p->input[pos] == '\n' || p->input[pos] == '\r'))
        pos++;
    return pos;
}

static int check_binary(promql_parser *p, promql_node *n)
{
    promql_node *lhs = n->u.binary.lhs, *rhs = n->u.binary.rhs;
    promql_binop op = n->u.binary.op;
    promql_matching *m = n->u.binary.matching;
    if (check_node(p, lhs) < 0 || check_node(p, rhs) < 0)
        return p->code;
    promql_type lt = lhs->type, rt = rhs->type;
    if (n->u.binary.return_bool && !promql_binop_is_comparison(op))
        return promql_parse_error(p, HERON_EINVAL, op_pos(p, n),
                                  "bool modifier can only be used on comparison operators");
    if (promql_binop_is_comparison(op) && !n->u.binary.return_bool &&
        lt == PROMQL_TYPE_SCALAR && rt == PROMQL_TYPE_SCALAR)
        return promql_parse_error(p, HERON_EINVAL, op_pos(p, n),
                                  "comparisons between scalars must use BOOL modifier");
    if (promql_binop_is_set(op) && m->card == PROMQL_CARD_ONE_TO_ONE)
        m->card = PROMQL_CARD_MANY_TO_MANY;
    if (m->on)
        for (size_t i = 0; i < m->labels.count; i++)
            for (size_t j = 0; j < m->include.count; j++)
                if (strcmp(m->labels.names[i], m->include.names[j]) == 0)
                    return promql_parse_error(p, HERON_EINVAL, op_pos(p, n),
                                              "label \"%s\" must not occur in ON and GROUP "
                                              "clause at once", m->labels.names[i]);
    if (lt != PROMQL_TYPE_SCALAR && lt != PROMQL_TYPE_VECTOR)
        return promql_parse_error(p, HERON_EINVAL, lhs->pos_start,
                                  "binary expression must contain only scalar and instant "
                                  "vector types");
    if (rt != PROMQL_TYPE_SCALAR && rt != PROMQL_TYPE_VECTOR)
        return promql_parse_error(p, HERON_EINVAL, rhs->pos_start,
                                  "binary expression must contain only scalar and instant "
                                  "vector types");
    if (lt != PROMQL_TYPE_VECTOR || rt != PROMQL_TYPE_VECTOR) {
        if (m->labels.count > 0)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "vector matching only allowed between instant vectors");
        n->u.binary.matching = NULL;
    } else if (promql_binop_is_set(op)) {
        if (m->card == PROMQL_CARD_ONE_TO_MANY || m->card == PROMQL_CARD_MANY_TO_ONE)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "no grouping allowed for \"%s\" operation",
                                      promql_binop_name(op));
    }
    if ((lt == PROMQL_TYPE_SCALAR || rt == PROMQL_TYPE_SCALAR) && promql_binop_is_set(op))
        return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                  "set operator \"%s\" not allowed in binary scalar expression",
                                  promql_binop_name(op));
    return 0;
}

static int check_call(promql_parser *p, promql_node *n)
{
    const promql_function *f = n->u.call.func;
    size_t nargs = (size_t)f->nargs, got = n->u.call.nargs;
    if (f->variadic == 0) {
        if (nargs != got)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "expected %zu argument(s) in call to \"%s\", got %zu",
                                      nargs, f->name, got);
    } else {
        size_t min = nargs - 1;
        if (min > got)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "expected at least %zu argument(s) in call to \"%s\", "
                                      "got %zu", min, f->name, got);
        if (f->variadic > 0 && min + (size_t)f->variadic < got)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "expected at most %zu argument(s) in call to \"%s\", "
                                      "got %zu", min + (size_t)f->variadic, f->name, got);
    }
    for (size_t i = 0; i < got; i++) {
        size_t t = i;
        if (t >= nargs) {
            if (f->variadic == 0)
                break;
            t = nargs - 1;
        }
        if (expect_type(p, n->u.call.args[i], f->arg_types[t], NULL, f->name) < 0)
            return p->code;
    }
    return 0;
}

static int check_node(promql_parser *p, promql_node *n)
{
    switch (n->kind) {
    case PROMQL_NUMBER:
    case PROMQL_STRING:
        return 0;
    case PROMQL_VECTOR_SELECTOR:
        return check_selector(p, n);
    case PROMQL_MATRIX_SELECTOR:
        return check_node(p, n->u.ms.vs);
    case PROMQL_SUBQUERY:
        if (check_node(p, n->u.sq.expr) < 0)
            return p->code;
        if (n->u.sq.expr->type != PROMQL_TYPE_VECTOR)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "subquery is only allowed on instant vector, got %s "
                                      "instead", raw_type_name(n->u.sq.expr->type));
        return 0;
    case PROMQL_PAREN:
        return check_node(p, n->u.paren.expr);
    case PROMQL_UNARY:
        if (check_node(p, n->u.unary.expr) < 0)
            return p->code;
        if (n->type != PROMQL_TYPE_SCALAR && n->type != PROMQL_TYPE_VECTOR)
            return promql_parse_error(p, HERON_EINVAL, n->pos_start,
                                      "unary expression only allowed on expressions of type "
                                      "scalar or instant vector, got \"%s\"",
                                      promql_type_name(n->type));
        return 0;
    case PROMQL_BINARY:
        return check_binary(p, n);
    case PROMQL_AGGREGATE: {
        promql_aggop op = n->u.agg.op;
        if (expect_type(p, n->u.agg.expr, PROMQL_TYPE_VECTOR, "aggregation expression", NULL) < 0)
            return p->code;
        if (op == PROMQL_AGG_TOPK || op == PROMQL_AGG_BOTTOMK || op == PROMQL_AGG_QUANTILE)
            return expect_type(p, n->u.agg.param, PROMQL_TYPE_SCALAR, "aggregation parameter",
                               NULL);
        if (op == PROMQL_AGG_COUNT_VALUES)
            return expect_type(p, n->u.agg.param, PROMQL_TYPE_STRING, "aggregation parameter",
                               NULL);
        return 0;
    }
    case PROMQL_CALL:
        return check_call(p, n);
    }
    return 0;
}

int promql_check(promql_parser *p, promql_node *root)
{
    return check_node(p, root) < 0 ? p->code : 0;
}
