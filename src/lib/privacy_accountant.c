/*
 * privacy_accountant.c — composing mechanisms over a list of Rényi orders.
 *
 * The accountant keeps up to ACCT_SLOTS distinct mechanisms (kind, noise,
 * rate), each with its per-step RDP curve and its step count, so that a
 * training loop's step is a lookup and an integer addition, and the total
 * is Σ steps·RDP with one rounding per mechanism rather than one per step.
 * When a new mechanism needs a slot, the least recently used one is folded
 * into a running `folded` curve. Not thread-safe (see include/heron.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "heron.h"

#define ACCT_SLOTS 16

typedef struct acct_slot {
    heron_privacy_kind kind;
    double noise, rate;
    uint64_t steps; /* 0: curve cached for a query, nothing composed */
    uint64_t used;  /* LRU tick */
    double *curve;  /* per-step RDP, n values; NULL: slot free */
} acct_slot;

struct heron_privacy_accountant {
    double *orders;
    size_t n;
    double *folded;  /* evicted slots' steps·curve */
    double *total;   /* folded + Σ steps·curve, valid unless dirty */
    double *scratch; /* epsilon_after's curve */
    int dirty;
    uint64_t tick;
    acct_slot slots[ACCT_SLOTS];
};

int heron_privacy_mechanism_check(const heron_privacy_mechanism *m,
                                  heron_err *err)
{
    if (!m)
        return err_set(err, HERON_EINVAL, "mechanism: NULL");
    if ((unsigned)m->kind > HERON_PRIVACY_LAPLACE)
        return err_set(err, HERON_EINVAL, "mechanism: unknown kind %d",
                       (int)m->kind);
    const char *what = heron_privacy_kind_name(m->kind);
    const char *noise = m->kind == HERON_PRIVACY_LAPLACE ? "scale b"
                                                         : "noise multiplier";
    if (!(m->noise > 0) || isinf(m->noise))
        return err_set(err, HERON_EINVAL,
                       "%s: %s %.17g must be finite and > 0", what, noise,
                       m->noise);
    if (m->kind == HERON_PRIVACY_SUBSAMPLED_GAUSSIAN) {
        if (!(m->sample_rate > 0 && m->sample_rate <= 1))
            return err_set(err, HERON_EINVAL,
                           "%s: sample rate %.17g must be in (0, 1]", what,
                           m->sample_rate);
    } else if (m->sample_rate != 1) {
        return err_set(err, HERON_EINVAL,
                       "%s: sample rate %.17g must be 1 (use "
                       "subsampled_gaussian for sampling)", what,
                       m->sample_rate);
    }
    if (m->steps == 0 || m->steps > HERON_PRIVACY_MAX_STEPS)
        return err_set(err, m->steps ? HERON_ERANGE : HERON_EINVAL,
                       "%s: steps %llu must be in 1..2^53", what,
                       (unsigned long long)m->steps);
    return 0;
}

int heron_rdp_curve(const heron_privacy_mechanism *m, const double *orders,
                    size_t n, double *out, heron_err *err)
{
    int rc = heron_privacy_mechanism_check(m, err);
    for (size_t i = 0; !rc && i < n; i++) {
        double r = 0;
        switch (m->kind) {
        case HERON_PRIVACY_GAUSSIAN:
            rc = heron_rdp_gaussian(m->noise, orders[i], &r, err);
            break;
        case HERON_PRIVACY_SUBSAMPLED_GAUSSIAN:
            rc = heron_rdp_subsampled_gaussian(m->sample_rate, m->noise,
                                               orders[i], &r, err);
            break;
        case HERON_PRIVACY_LAPLACE:
            rc = heron_rdp_laplace(m->noise, orders[i], &r, err);
            break;
        }
        out[i] = (double)m->steps * r;
    }
    return rc;
}

int heron_privacy_accountant_new(const double *orders, size_t n,
                                 heron_privacy_accountant **out,
                                 heron_err *err)
{
    double std[HERON_RDP_ORDERS_MAX];
    *out = NULL;
    if (!orders) {
        n = heron_rdp_orders_default(std);
        orders = std;
    }
    if (n == 0)
        return err_set(err, HERON_EINVAL, "accountant: no orders");
    for (size_t i = 0; i < n; i++)
        if (!(orders[i] >= 1))
            return err_set(err, HERON_EINVAL,
                           "accountant: order %.17g (item %zu) must be >= 1",
                           orders[i], i + 1);
    heron_privacy_accountant *a = calloc(1, sizeof *a);
    if (a) {
        a->orders = malloc(n * sizeof(double));
        a->folded = calloc(n, sizeof(double));
        a->total = calloc(n, sizeof(double));
        a->scratch = malloc(n * sizeof(double));
    }
    if (!a || !a->orders || !a->folded || !a->total || !a->scratch) {
        heron_privacy_accountant_free(a);
        return err_set(err, HERON_ENOMEM, "accountant: out of memory");
    }
    memcpy(a->orders, orders, n * sizeof(double));
    a->n = n;
    *out = a;
    return 0;
}

void heron_privacy_accountant_free(heron_privacy_accountant *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < ACCT_SLOTS; i++)
        free(a->slots[i].curve);
    free(a->orders);
    free(a->folded);
    free(a->total);
    free(a->scratch);
    free(a);
}

static void acct_fold(heron_privacy_accountant *a, acct_slot *s)
{
    if (s->steps)
        for (size_t i = 0; i < a->n; i++)
            a->folded[i] += (double)s->steps * s->curve[i];
    s->steps = 0;
    a->dirty = 1;
}

/* The slot holding m's per-step curve, computing it (and evicting the least
 * recently used slot) when m is new. m has been checked. */
static int acct_slot_for(heron_privacy_accountant *a,
                         const heron_privacy_mechanism *m, acct_slot **out,
                         heron_err *err)
{
    acct_slot *victim = NULL;
    for (size_t i = 0; i < ACCT_SLOTS; i++) {
        acct_slot *s = &a->slots[i];
        if (s->curve && s->kind == m->kind && s->noise == m->noise &&
            s->rate == m->sample_rate) {
            s->used = ++a->tick;
            *out = s;
            return 0;
        }
        if (!victim || (victim->curve && (!s->curve || s->used < victim->used)))
            victim = s;
    }
    double *curve = victim->curve ? a->scratch : malloc(a->n * sizeof *curve);
    if (!curve)
        return err_set(err, HERON_ENOMEM, "accountant: out of memory");
    heron_privacy_mechanism one = *m;
    one.steps = 1;
    int rc = heron_rdp_curve(&one, a->orders, a->n, curve, err);
    if (rc) {
        if (curve != a->scratch)
            free(curve);
        return rc;
    }
    if (victim->curve) { /* keep the victim's buffer, take the new values */
        acct_fold(a, victim);
        memcpy(victim->curve, curve, a->n * sizeof *curve);
    } else {
        victim->curve = curve;
    }
    victim->kind = m->kind;
    victim->noise = m->noise;
    victim->rate = m->sample_rate;
    victim->steps = 0;
    victim->used = ++a->tick;
    *out = victim;
    return 0;
}

/* Checks m and finds its slot, which can take m->steps more steps. */
static int acct_prepare(heron_privacy_accountant *a,
                        const heron_privacy_mechanism *m, acct_slot **s,
                        heron_err *err)
{
    int rc = heron_privacy_mechanism_check(m, err);
    if (!rc)
        rc = acct_slot_for(a, m, s, err);
    if (!rc && m->steps > HERON_PRIVACY_MAX_STEPS - (*s)->steps)
        rc = err_set(err, HERON_ERANGE,
                     "%s: %llu more steps would take the total above 2^53",
                     heron_privacy_kind_name(m->kind),
                     (unsigned long long)m->steps);
    return rc;
}

int heron_privacy_accountant_compose(heron_privacy_accountant *a,
                                     const heron_privacy_mechanism *m,
                                     heron_err *err)
{
    acct_slot *s = NULL;
    int rc = acct_prepare(a, m, &s, err);
    if (rc)
        return rc;
    s->steps += m->steps;
    a->dirty = 1;
    return 0;
}

size_t heron_privacy_accountant_orders(const heron_privacy_accountant *a,
                                       const double **orders)
{
    if (orders)
        *orders = a->orders;
    return a->n;
}

/* out = folded + Σ steps·curve, always summed in the same order. */
static void acct_sum(const heron_privacy_accountant *a, double *out)
{
    memcpy(out, a->folded, a->n * sizeof(double));
    for (size_t k = 0; k < ACCT_SLOTS; k++) {
        const acct_slot *s = &a->slots[k];
        if (s->curve && s->steps)
            for (size_t i = 0; i < a->n; i++)
                out[i] += (double)s->steps * s->curve[i];
    }
}

static const double *acct_total(heron_privacy_accountant *a)
{
    if (a->dirty) {
        acct_sum(a, a->total);
        a->dirty = 0;
    }
    return a->total;
}

void heron_privacy_accountant_rdp(heron_privacy_accountant *a, double *out)
{
    memcpy(out, acct_total(a), a->n * sizeof(double));
}

int heron_privacy_accountant_epsilon(heron_privacy_accountant *a,
                                     double delta,
                                     heron_privacy_conversion conv,
                                     double *epsilon, double *order,
                                     heron_err *err)
{
    return heron_rdp_epsilon(a->orders, acct_total(a), a->n, delta, conv,
                             epsilon, order, err);
}

int heron_privacy_accountant_delta(heron_privacy_accountant *a,
                                   double epsilon,
                                   heron_privacy_conversion conv,
                                   double *delta, double *order,
                                   heron_err *err)
{
    return heron_rdp_delta(a->orders, acct_total(a), a->n, epsilon, conv,
                           delta, order, err);
}

int heron_privacy_accountant_epsilon_after(heron_privacy_accountant *a,
                                           const heron_privacy_mechanism *m,
                                           double delta,
                                           heron_privacy_conversion conv,
                                           double *epsilon, double *order,
                                           heron_err *err)
{
    acct_slot *s = NULL;
    int rc = acct_prepare(a, m, &s, err);
    if (rc)
        return rc;
    /* the very sum compose would leave, so that ε after compose is equal */
    s->steps += m->steps;
    acct_sum(a, a->scratch);
    s->steps -= m->steps;
    return heron_rdp_epsilon(a->orders, a->scratch, a->n, delta, conv,
                             epsilon, order, err);
}
