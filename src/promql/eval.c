/* eval — the node dispatcher, literals, parentheses, unary minus and the
 * evaluation context's helpers (errors, deadline, sample limit). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/hclock.h"
#include "promql/eval.h"

int ev_fail(ev_ctx *c, promql_errtype t, int code, const char *fmt, ...)
{
    if (c->errtype == PROMQL_ERR_NONE) {
        c->errtype = t;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg, sizeof c->msg, fmt, ap);
        va_end(ap);
        if (c->err) {
            size_t n = strnlen(c->msg, sizeof c->err->msg - 1);
            memcpy(c->err->msg, c->msg, n);
            c->err->msg[n] = 0;
            c->err->code = code;
        }
    }
    return code;
}

int ev_nomem(ev_ctx *c)
{
    return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_ENOMEM,
                   "query processing ran out of memory");
}

int ev_check_time(ev_ctx *c)
{
    if (c->deadline_ns && hclock_mono_ns() > c->deadline_ns)
        return ev_fail(c, PROMQL_ERR_TIMEOUT, HERON_ERANGE,
                       "query timed out in expression evaluation");
    return 0;
}

int ev_count_samples(ev_ctx *c, size_t n)
{
    c->samples += n;
    if (c->max_samples && c->samples > c->max_samples)
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_ERANGE,
                       "query processing would load too many samples into "
                       "memory in query execution");
    if ((++c->tick & 63) == 0)
        return ev_check_time(c);
    return 0;
}

void ev_release_samples(ev_ctx *c, size_t n)
{
    c->samples = n < c->samples ? c->samples - n : 0;
}

void *ev_alloc(ev_ctx *c, size_t n)
{
    void *p = promql_arena_alloc(c->arena, n);
    if (!p)
        ev_nomem(c);
    return p;
}

void *ev_calloc(ev_ctx *c, size_t n)
{
    void *p = ev_alloc(c, n);
    if (p)
        memset(p, 0, n);
    return p;
}

int64_t ev_at_time(const ev_ctx *c, const promql_modifiers *mod, size_t i)
{
    switch (mod->at) {
    case PROMQL_AT_TIMESTAMP:
        return mod->at_ms;
    case PROMQL_AT_START:
        return c->start_ms;
    case PROMQL_AT_END:
        return c->end_ms;
    default:
        return c->ts[i];
    }
}

static int eval_scalar_const(ev_ctx *c, double v, ev_value *out)
{
    out->type = PROMQL_TYPE_SCALAR;
    out->sc = ev_alloc(c, (c->nsteps ? c->nsteps : 1) * sizeof(double));
    if (!out->sc)
        return HERON_ENOMEM;
    for (size_t i = 0; i < c->nsteps; i++)
        out->sc[i] = v;
    return 0;
}

static int eval_negate(ev_ctx *c, const promql_node *n, ev_value *out)
{
    int rc = ev_eval(c, n->u.unary.expr, out);
    if (rc || n->u.unary.op != PROMQL_OP_SUB)
        return rc;
    if (out->type == PROMQL_TYPE_SCALAR) {
        for (size_t i = 0; i < c->nsteps; i++)
            out->sc[i] = -out->sc[i];
        return 0;
    }
    ev_out o;
    if (ev_out_init(&o, c, out->n))
        return HERON_ENOMEM;
    for (size_t k = 0; k < out->n; k++) {
        ev_series *s = &out->vs[k];
        tsdb_label *ls;
        size_t nls, idx;
        if (ev_labels_drop_name(c, s->ls, s->nls, &ls, &nls) ||
            ev_out_series(&o, ls, nls, &idx))
            return HERON_ENOMEM;
        for (size_t i = 0; i < c->nsteps; i++)
            if (s->ok[i] && (rc = ev_out_set(&o, idx, i, -s->v[i])))
                return rc;
    }
    ev_out_value(&o, out);
    return 0;
}

int ev_eval(ev_ctx *c, const promql_node *n, ev_value *out)
{
    memset(out, 0, sizeof *out);
    int rc = ev_check_time(c);
    if (rc)
        return rc;
    switch (n->kind) {
    case PROMQL_NUMBER:
        return eval_scalar_const(c, n->u.number, out);
    case PROMQL_STRING:
        out->type = PROMQL_TYPE_STRING;
        out->str = n->u.string.value;
        return 0;
    case PROMQL_PAREN:
        return ev_eval(c, n->u.paren.expr, out);
    case PROMQL_UNARY:
        return eval_negate(c, n, out);
    case PROMQL_VECTOR_SELECTOR:
        return ev_selector(c, n, 0, 0, out);
    case PROMQL_MATRIX_SELECTOR:
        return ev_selector(c, n->u.ms.vs, n->u.ms.range_ms, 0, out);
    case PROMQL_SUBQUERY:
        return ev_subquery(c, n, out);
    case PROMQL_BINARY:
        return ev_binary(c, n, out);
    case PROMQL_AGGREGATE:
        return ev_aggregate(c, n, out);
    case PROMQL_CALL:
        return ev_call(c, n, out);
    }
    return ev_fail(c, PROMQL_ERR_INTERNAL, HERON_EINVAL, "unknown node kind");
}
