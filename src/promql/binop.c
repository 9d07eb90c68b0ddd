/* binop — binary operators: scalar/scalar, vector/scalar, vector/vector
 * with on/ignoring/group_left/group_right matching, and the set operators.
 * Series are matched by signature once; the per-step work only checks
 * which members are present, so cardinality errors appear at the step where
 * Prometheus would report them. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "promql/eval.h"

static int is_comparison(promql_binop op)
{
    return promql_binop_is_comparison(op);
}

/* Whether the result loses __name__ (Prometheus 2.42: arithmetic but not
 * atan2, and comparisons with bool). */
static int drops_name(promql_binop op, int bool_)
{
    switch (op) {
    case PROMQL_OP_ADD:
    case PROMQL_OP_SUB:
    case PROMQL_OP_MUL:
    case PROMQL_OP_DIV:
    case PROMQL_OP_MOD:
    case PROMQL_OP_POW:
        return 1;
    default:
        return bool_;
    }
}

static double apply(promql_binop op, double l, double r, int *keep)
{
    *keep = 1;
    switch (op) {
    case PROMQL_OP_ADD:
        return l + r;
    case PROMQL_OP_SUB:
        return l - r;
    case PROMQL_OP_MUL:
        return l * r;
    case PROMQL_OP_DIV:
        return l / r;
    case PROMQL_OP_MOD:
        return fmod(l, r);
    case PROMQL_OP_POW:
        return pow(l, r);
    case PROMQL_OP_ATAN2:
        return atan2(l, r);
    case PROMQL_OP_EQLC:
        *keep = l == r;
        return l;
    case PROMQL_OP_NEQ:
        *keep = l != r;
        return l;
    case PROMQL_OP_GTR:
        *keep = l > r;
        return l;
    case PROMQL_OP_LSS:
        *keep = l < r;
        return l;
    case PROMQL_OP_GTE:
        *keep = l >= r;
        return l;
    case PROMQL_OP_LTE:
        *keep = l <= r;
        return l;
    default:
        *keep = 0;
        return 0;
    }
}

static int scalar_scalar(ev_ctx *c, const promql_node *n, ev_value *l,
                         const ev_value *r, ev_value *out)
{
    for (size_t i = 0; i < c->nsteps; i++) {
        int keep;
        double v = apply(n->u.binary.op, l->sc[i], r->sc[i], &keep);
        l->sc[i] = is_comparison(n->u.binary.op) ? (keep ? 1 : 0) : v;
    }
    *out = *l;
    return 0;
}

static int vector_scalar(ev_ctx *c, const promql_node *n, const ev_value *vec,
                         const double *sc, int swap, ev_value *out)
{
    promql_binop op = n->u.binary.op;
    int bool_ = n->u.binary.return_bool;
    int drop = drops_name(op, bool_);
    ev_out o;
    if (ev_out_init(&o, c, vec->n))
        return HERON_ENOMEM;
    for (size_t k = 0; k < vec->n; k++) {
        const ev_series *s = &vec->vs[k];
        tsdb_label *ls = s->ls;
        size_t nls = s->nls, idx = SIZE_MAX;
        if (drop && ev_labels_drop_name(c, s->ls, s->nls, &ls, &nls))
            return HERON_ENOMEM;
        for (size_t i = 0; i < c->nsteps; i++) {
            if (!s->ok[i])
                continue;
            double lv = s->v[i], rv = sc[i];
            if (swap) {
                lv = sc[i];
                rv = s->v[i];
            }
            int keep, rc;
            double v = apply(op, lv, rv, &keep);
            if (is_comparison(op) && swap)
                v = rv;
            if (bool_) {
                v = keep ? 1 : 0;
                keep = 1;
            }
            if (!keep)
                continue;
            if (idx == SIZE_MAX && ev_out_series(&o, ls, nls, &idx))
                return HERON_ENOMEM;
            if ((rc = ev_out_set(&o, idx, i, v)))
                return rc;
        }
    }
    ev_out_value(&o, out);
    return 0;
}

/* Signature ids of every series of v under the matching. */
static int signatures(ev_ctx *c, const promql_matching *m, const ev_value *v,
                      ev_lmap *sigs, size_t **out)
{
    size_t *ids = ev_alloc(c, (v->n ? v->n : 1) * sizeof *ids);
    if (!ids)
        return HERON_ENOMEM;
    static const promql_labels none = {NULL, 0};
    const promql_labels *names = m ? &m->labels : &none;
    int on = m ? m->on : 0;
    for (size_t k = 0; k < v->n; k++) {
        tsdb_label *ls;
        size_t nls;
        if (ev_labels_filter(c, v->vs[k].ls, v->vs[k].nls, names, on, !on,
                             &ls, &nls) ||
            ev_lmap_put(sigs, ls, nls, &ids[k], NULL))
            return ev_nomem(c);
    }
    *out = ids;
    return 0;
}

static int set_operation(ev_ctx *c, const promql_node *n, const ev_value *l,
                         const ev_value *r, ev_value *out)
{
    ev_lmap sigs;
    size_t *sl, *sr;
    if (ev_lmap_init(&sigs, c, l->n + r->n) ||
        signatures(c, n->u.binary.matching, l, &sigs, &sl) ||
        signatures(c, n->u.binary.matching, r, &sigs, &sr))
        return HERON_ENOMEM;
    /* seen[sig] == step+1 when that side has the signature at the step */
    size_t *seen = ev_calloc(c, (sigs.n ? sigs.n : 1) * sizeof *seen);
    ev_out o;
    if (!seen || ev_out_init(&o, c, l->n + r->n))
        return HERON_ENOMEM;
    promql_binop op = n->u.binary.op;
    const ev_value *marker = op == PROMQL_OP_LOR ? l : r;
    const size_t *smark = op == PROMQL_OP_LOR ? sl : sr;
    size_t *lidx = ev_alloc(c, (l->n + r->n + 1) * sizeof *lidx);
    if (!lidx)
        return HERON_ENOMEM;
    for (size_t k = 0; k < l->n + r->n; k++)
        lidx[k] = SIZE_MAX;
    for (size_t i = 0; i < c->nsteps; i++) {
        for (size_t k = 0; k < marker->n; k++)
            if (marker->vs[k].ok[i])
                seen[smark[k]] = i + 1;
        for (size_t k = 0; k < l->n; k++) {
            const ev_series *s = &l->vs[k];
            if (!s->ok[i])
                continue;
            int has = seen[sl[k]] == i + 1;
            if ((op == PROMQL_OP_LAND && !has) ||
                (op == PROMQL_OP_LUNLESS && has))
                continue;
            int rc;
            if (lidx[k] == SIZE_MAX &&
                ev_out_series(&o, s->ls, s->nls, &lidx[k]))
                return HERON_ENOMEM;
            if ((rc = ev_out_set(&o, lidx[k], i, s->v[i])))
                return rc;
        }
        if (op != PROMQL_OP_LOR)
            continue;
        for (size_t k = 0; k < r->n; k++) {
            const ev_series *s = &r->vs[k];
            if (!s->ok[i] || seen[sr[k]] == i + 1)
                continue;
            size_t *idx = &lidx[l->n + k];
            int rc;
            if (*idx == SIZE_MAX && ev_out_series(&o, s->ls, s->nls, idx))
                return HERON_ENOMEM;
            if ((rc = ev_out_set(&o, *idx, i, s->v[i])))
                return rc;
        }
    }
    ev_out_value(&o, out);
    return 0;
}

/* The result labels of a matched pair, as Prometheus' resultMetric. */
static int result_labels(ev_ctx *c, const promql_node *n,
                         const ev_series *many, const ev_series *one,
                         tsdb_label **out, size_t *nout)
{
    const promql_matching *m = n->u.binary.matching;
    tsdb_label *ls = many->ls;
    size_t nls = many->nls;
    if (drops_name(n->u.binary.op, n->u.binary.return_bool) &&
        ev_labels_drop_name(c, ls, nls, &ls, &nls))
        return HERON_ENOMEM;
    if (m->card == PROMQL_CARD_ONE_TO_ONE &&
        ev_labels_filter(c, ls, nls, &m->labels, m->on, 0, &ls, &nls))
        return HERON_ENOMEM;
    for (size_t i = 0; i < m->include.count; i++) {
        const char *name = m->include.names[i];
        const char *v = ev_label_get(one->ls, one->nls, name);
        if (ev_labels_set(c, ls, nls, name, v ? v : "", &ls, &nls))
            return HERON_ENOMEM;
    }
    *out = ls;
    *nout = nls;
    return 0;
}

static int dup_error(ev_ctx *c, const tsdb_label *sig, size_t nsig,
                     const char *side, const ev_series *a, const ev_series *b)
{
    buf m;
    buf_init(&m, 0);
    ev_labels_format(&m, sig, nsig);
    buf_printf(&m, " on the %s hand-side of the operation: [", side);
    ev_labels_format(&m, a->ls, a->nls);
    buf_puts(&m, ", ");
    ev_labels_format(&m, b->ls, b->nls);
    int rc = ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                     "found duplicate series for the match group %s];"
                     "many-to-many matching not allowed: matching labels "
                     "must be unique on one side",
                     m.data ? m.data : "");
    buf_free(&m);
    return rc;
}

static int vector_vector(ev_ctx *c, const promql_node *n, const ev_value *l,
                         const ev_value *r, ev_value *out)
{
    static const promql_matching plain = {PROMQL_CARD_ONE_TO_ONE, 0, {0}, {0}};
    promql_node nn = *n;
    if (!nn.u.binary.matching)
        nn.u.binary.matching = (promql_matching *)&plain;
    const promql_matching *m = nn.u.binary.matching;
    int swap = m->card == PROMQL_CARD_ONE_TO_MANY;
    const ev_value *many = swap ? r : l, *one = swap ? l : r;
    ev_lmap sigs;
    size_t *smany, *sone;
    if (ev_lmap_init(&sigs, c, l->n + r->n) ||
        signatures(c, m, one, &sigs, &sone) ||
        signatures(c, m, many, &sigs, &smany))
        return HERON_ENOMEM;
    size_t nsig = sigs.n ? sigs.n : 1;
    size_t *stamp = ev_calloc(c, nsig * sizeof *stamp);   /* one side seen */
    size_t *who = ev_alloc(c, nsig * sizeof *who);        /* which one */
    size_t *matched = ev_calloc(c, nsig * sizeof *matched);
    size_t *last_one = ev_alloc(c, (many->n + 1) * sizeof *last_one);
    size_t *last_idx = ev_alloc(c, (many->n + 1) * sizeof *last_idx);
    ev_out o;
    if (!stamp || !who || !matched || !last_one || !last_idx ||
        ev_out_init(&o, c, many->n))
        return HERON_ENOMEM;
    for (size_t k = 0; k < many->n; k++)
        last_one[k] = SIZE_MAX;
    promql_binop op = n->u.binary.op;
    int bool_ = n->u.binary.return_bool;
    for (size_t i = 0; i < c->nsteps; i++) {
        for (size_t k = 0; k < one->n; k++) {
            if (!one->vs[k].ok[i])
                continue;
            size_t s = sone[k];
            if (stamp[s] == i + 1)
                return dup_error(c, sigs.ls[s], sigs.nls[s],
                                 swap ? "left" : "right", &one->vs[k],
                                 &one->vs[who[s]]);
            stamp[s] = i + 1;
            who[s] = k;
        }
        for (size_t k = 0; k < many->n; k++) {
            const ev_series *ms = &many->vs[k];
            size_t s = smany[k];
            if (!ms->ok[i] || stamp[s] != i + 1)
                continue;
            if (m->card == PROMQL_CARD_ONE_TO_ONE) {
                if (matched[s] == i + 1)
                    return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                                   "multiple matches for labels: many-to-one "
                                   "matching must be explicit "
                                   "(group_left/group_right)");
                matched[s] = i + 1;
            }
            const ev_series *os = &one->vs[who[s]];
            double vl = ms->v[i], vr = os->v[i];
            if (swap) {
                vl = os->v[i];
                vr = ms->v[i];
            }
            int keep;
            double v = apply(op, vl, vr, &keep);
            if (bool_) {
                v = keep ? 1 : 0;
                keep = 1;
            }
            if (!keep)
                continue;
            if (last_one[k] != who[s]) {
                tsdb_label *ls;
                size_t nls;
                if (result_labels(c, &nn, ms, os, &ls, &nls) ||
                    ev_out_series(&o, ls, nls, &last_idx[k]))
                    return HERON_ENOMEM;
                last_one[k] = who[s];
            }
            if (o.s[last_idx[k]].ok[i])
                return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                               "multiple matches for labels: grouping labels "
                               "must ensure unique matches");
            ev_out_set(&o, last_idx[k], i, v);
        }
    }
    ev_out_value(&o, out);
    return 0;
}

int ev_binary(ev_ctx *c, const promql_node *n, ev_value *out)
{
    ev_value l, r;
    int rc;
    if ((rc = ev_eval(c, n->u.binary.lhs, &l)) ||
        (rc = ev_eval(c, n->u.binary.rhs, &r)))
        return rc;
    int ls = l.type == PROMQL_TYPE_SCALAR, rs = r.type == PROMQL_TYPE_SCALAR;
    if (ls && rs)
        return scalar_scalar(c, n, &l, &r, out);
    if (promql_binop_is_set(n->u.binary.op))
        return set_operation(c, n, &l, &r, out);
    if (rs)
        return vector_scalar(c, n, &l, r.sc, 0, out);
    if (ls)
        return vector_scalar(c, n, &r, l.sc, 1, out);
    return vector_vector(c, n, &l, &r, out);
}
