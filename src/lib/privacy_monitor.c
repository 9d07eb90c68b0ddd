/*
 * privacy_monitor.c — a privacy budget for one model: spends are checked
 * against ε and δ thresholds and an ε-per-hour rate before they happen,
 * composed, and exported as privacy_* metrics.
 *
 * Mechanism spends go through an RDP accountant and are converted at the
 * monitor's δ; direct (ε, δ) spends add up by basic composition, and the
 * two parts add up the same way: total ε = ε_rdp(δ) + Σ ε_i and total
 * δ = δ (once a mechanism was spent) + Σ δ_i. Each spend is charged the
 * increase of the total ε it causes, per operation and label set. The rate
 * guard sums those increases over the last 60 one-minute buckets.
 *
 * One mutex guards everything; metric updates are libheron's own.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hclock.h"
#include "heron.h"

#define MON_MAX_LABELS 8
#define MON_RATE_BUCKETS 60
#define MON_MINUTE_NS 60000000000ULL

/* Families and what labels they carry: 'M' model_id, 'O' model_id,
 * operation and the user's labels, 'R' model_id and reason. */
enum {
    MON_EPS_TOTAL,
    MON_DELTA_TOTAL,
    MON_REMAINING,
    MON_ERRORS,
    MON_CONSUMED,
    MON_EPS_OP,
    MON_DELTA_OP,
    MON_NOISE,
    MON_CLIP,
    MON_REFUSED,
    MON_FAMILIES
};

static const struct mon_family_spec {
    const char *name;
    const char *help;
    char labels;
    int counter;
} mon_specs[MON_FAMILIES] = {
    [MON_EPS_TOTAL] = {"privacy_epsilon_total",
                       "Total epsilon spent, RDP-composed at the monitor's "
                       "delta plus direct (epsilon, delta) spends.", 'M', 0},
    [MON_DELTA_TOTAL] = {"privacy_delta_total", "Total delta spent.", 'M', 0},
    [MON_REMAINING] = {"privacy_budget_remaining",
                       "Epsilon budget minus total epsilon.", 'M', 0},
    [MON_ERRORS] = {"privacy_composition_errors",
                    "Spends refused for invalid privacy parameters.", 'M', 1},
    [MON_CONSUMED] = {"privacy_epsilon_consumed",
                      "Increase of total epsilon charged to each operation "
                      "and label set.", 'O', 1},
    [MON_EPS_OP] = {"privacy_epsilon_per_operation",
                    "Epsilon charged to the last spend of the operation.",
                    'O', 0},
    [MON_DELTA_OP] = {"privacy_delta_per_operation",
                      "Delta of the last spend of the operation.", 'O', 0},
    [MON_NOISE] = {"privacy_noise_multiplier",
                   "Noise multiplier (noise std / sensitivity) of the last "
                   "mechanism spent by the operation.", 'O', 0},
    [MON_CLIP] = {"privacy_gradient_clip_norm",
                  "Gradient clipping bound of the last spend of the "
                  "operation.", 'O', 0},
    [MON_REFUSED] = {"privacy_spend_refused",
                     "Spends refused because they would exceed a limit.", 'R',
                     1},
};

typedef struct mon_bucket {
    uint64_t minute;
    double epsilon;
} mon_bucket;

struct heron_privacy_monitor {
    pthread_mutex_t lock;
    heron_privacy_accountant *acct;
    char *model_id;
    size_t nlabels; /* the user's extra labels */
    double epsilon_budget, delta_budget, delta, epsilon_per_hour;
    heron_privacy_conversion conv;
    heron_privacy_clock_fn clock;
    void *clock_arg;

    int rdp_used;        /* a mechanism has been spent */
    double eps_rdp, order;
    double eps_direct, delta_direct;
    uint64_t spends, refused, errors;
    mon_bucket rate[MON_RATE_BUCKETS];

    heron_family *fam[MON_FAMILIES];
    heron_gauge *eps_total, *delta_total, *remaining;
    heron_counter *errors_c;
};

static uint64_t mon_default_clock(void *arg)
{
    (void)arg;
    return hclock_mono_ns();
}

static int mon_check_opts(const heron_privacy_monitor_opts *o, size_t *nl,
                          heron_err *err)
{
    if (!o || !o->model_id)
        return err_set(err, HERON_EINVAL, "privacy monitor: model_id missing");
    if (!(o->epsilon_budget > 0) || isinf(o->epsilon_budget))
        return err_set(err, HERON_EINVAL,
                       "privacy monitor: epsilon_budget %.17g must be finite "
                       "and > 0", o->epsilon_budget);
    if (!(o->delta_budget > 0 && o->delta_budget < 1))
        return err_set(err, HERON_EINVAL,
                       "privacy monitor: delta_budget %.17g must be in (0, 1)",
                       o->delta_budget);
    if (!(o->delta > 0 && o->delta <= o->delta_budget))
        return err_set(err, HERON_EINVAL,
                       "privacy monitor: delta %.17g must be in (0, "
                       "delta_budget]", o->delta);
    if (!(o->epsilon_per_hour >= 0) || isinf(o->epsilon_per_hour))
        return err_set(err, HERON_EINVAL,
                       "privacy monitor: epsilon_per_hour %.17g must be "
                       "finite and >= 0", o->epsilon_per_hour);
    if ((unsigned)o->conversion > HERON_PRIVACY_OPACUS)
        return err_set(err, HERON_EINVAL,
                       "privacy monitor: unknown conversion %d",
                       (int)o->conversion);
    size_t n = 0;
    while (o->labels && o->labels[n])
        n++;
    if (n > MON_MAX_LABELS)
        return err_set(err, HERON_ERANGE,
                       "privacy monitor: %zu labels, at most %d", n,
                       MON_MAX_LABELS);
    *nl = n;
    return 0;
}

static int mon_register(heron_privacy_monitor *m,
                        const heron_privacy_monitor_opts *o, heron_err *err)
{
    const char *op_labels[MON_MAX_LABELS + 3] = {"model_id", "operation"};
    for (size_t i = 0; i < m->nlabels; i++)
        op_labels[2 + i] = o->labels[i];
    const char *const model_labels[] = {"model_id", NULL};
    const char *const refused_labels[] = {"model_id", "reason", NULL};
    for (int i = 0; i < MON_FAMILIES; i++) {
        const struct mon_family_spec *s = &mon_specs[i];
        heron_opts ho = {o->registry, s->name, s->help, NULL,
                         s->labels == 'M'   ? model_labels
                         : s->labels == 'R' ? refused_labels
                                            : op_labels};
        int rc = s->counter ? heron_counter_new(&ho, &m->fam[i], err)
                            : heron_gauge_new(&ho, &m->fam[i], err);
        if (rc)
            return rc;
    }
    const char *const v[] = {m->model_id, NULL};
    int rc = heron_gauge_labels(m->fam[MON_EPS_TOTAL], v, &m->eps_total, err);
    if (!rc)
        rc = heron_gauge_labels(m->fam[MON_DELTA_TOTAL], v, &m->delta_total,
                                err);
    if (!rc)
        rc = heron_gauge_labels(m->fam[MON_REMAINING], v, &m->remaining, err);
    if (!rc)
        rc = heron_counter_labels(m->fam[MON_ERRORS], v, &m->errors_c, err);
    if (!rc)
        heron_gauge_set(m->remaining, m->epsilon_budget);
    return rc;
}

int heron_privacy_monitor_new(const heron_privacy_monitor_opts *o,
                              heron_privacy_monitor **out, heron_err *err)
{
    size_t nl = 0;
    *out = NULL;
    int rc = mon_check_opts(o, &nl, err);
    if (rc)
        return rc;
    heron_privacy_monitor *m = calloc(1, sizeof *m);
    if (!m || !(m->model_id = strdup(o->model_id))) {
        free(m);
        return err_set(err, HERON_ENOMEM, "privacy monitor: out of memory");
    }
    pthread_mutex_init(&m->lock, NULL);
    m->nlabels = nl;
    m->epsilon_budget = o->epsilon_budget;
    m->delta_budget = o->delta_budget;
    m->delta = o->delta;
    m->epsilon_per_hour = o->epsilon_per_hour;
    m->conv = o->conversion;
    m->clock = o->clock ? o->clock : mon_default_clock;
    m->clock_arg = o->clock_arg;
    rc = heron_privacy_accountant_new(o->orders, o->orders ? o->order_count : 0,
                                      &m->acct, err);
    if (!rc)
        rc = mon_register(m, o, err);
    if (rc) {
        heron_privacy_monitor_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void heron_privacy_monitor_free(heron_privacy_monitor *m)
{
    if (!m)
        return;
    for (int i = 0; i < MON_FAMILIES; i++)
        if (m->fam[i])
            heron_family_unregister(m->fam[i], NULL);
    heron_privacy_accountant_free(m->acct);
    pthread_mutex_destroy(&m->lock);
    free(m->model_id);
    free(m);
}

static double mon_rate_sum(const heron_privacy_monitor *m, uint64_t minute)
{
    double sum = 0;
    for (int i = 0; i < MON_RATE_BUCKETS; i++)
        if (minute - m->rate[i].minute < MON_RATE_BUCKETS &&
            m->rate[i].minute <= minute)
            sum += m->rate[i].epsilon;
    return sum;
}

static void mon_rate_add(heron_privacy_monitor *m, uint64_t minute, double e)
{
    mon_bucket *b = &m->rate[minute % MON_RATE_BUCKETS];
    if (b->minute != minute) {
        b->minute = minute;
        b->epsilon = 0;
    }
    b->epsilon += e;
}

/* Counts a parameter error and passes its code on. Lock held. */
static int mon_error(heron_privacy_monitor *m, int rc)
{
    m->errors++;
    heron_counter_inc(m->errors_c);
    return rc;
}

static int mon_check_spend(const heron_privacy_monitor *m,
                           const heron_privacy_spend *s, heron_err *err)
{
    if (!s || !s->operation)
        return err_set(err, HERON_EINVAL, "privacy spend: operation missing");
    size_t n = 0;
    while (s->label_values && n <= m->nlabels && s->label_values[n])
        n++;
    if (n > m->nlabels)
        return err_set(err, HERON_EINVAL,
                       "privacy spend %s: more than %zu label values",
                       s->operation, m->nlabels);
    if (n < m->nlabels)
        return err_set(err, HERON_EINVAL,
                       "privacy spend %s: %zu label values, want %zu",
                       s->operation, n, m->nlabels);
    if (s->mechanism) {
        int rc = heron_privacy_mechanism_check(s->mechanism, err);
        if (rc)
            return rc;
    }
    if (!(s->epsilon >= 0) || isinf(s->epsilon))
        return err_set(err, HERON_EINVAL,
                       "privacy spend %s: epsilon %.17g must be finite and "
                       ">= 0", s->operation, s->epsilon);
    if (!(s->delta >= 0 && s->delta < 1))
        return err_set(err, HERON_EINVAL,
                       "privacy spend %s: delta %.17g must be in [0, 1)",
                       s->operation, s->delta);
    if (!(s->clip_norm >= 0) || isinf(s->clip_norm))
        return err_set(err, HERON_EINVAL,
                       "privacy spend %s: clip_norm %.17g must be finite and "
                       ">= 0", s->operation, s->clip_norm);
    return 0;
}

/* Label values for the per-operation families. */
static void mon_op_values(const heron_privacy_monitor *m,
                          const heron_privacy_spend *s, const char **v)
{
    v[0] = m->model_id;
    v[1] = s->operation;
    for (size_t i = 0; i < m->nlabels; i++)
        v[2 + i] = s->label_values[i];
    v[2 + m->nlabels] = NULL;
}

static int mon_refuse(heron_privacy_monitor *m, const char *reason,
                      heron_err *err, const char *fmt, double a, double b)
{
    heron_counter *c = heron_counter_with(m->fam[MON_REFUSED], m->model_id,
                                          reason);
    if (c)
        heron_counter_inc(c);
    m->refused++;
    return err_set(err, HERON_ERANGE, fmt, a, b);
}

static int mon_spend(heron_privacy_monitor *m, const heron_privacy_spend *s,
                     int enforce, heron_err *err)
{
    int rc = mon_check_spend(m, s, err);
    if (rc)
        return mon_error(m, rc);
    double eps_rdp = m->eps_rdp, order = m->order;
    if (s->mechanism) {
        rc = heron_privacy_accountant_epsilon_after(
            m->acct, s->mechanism, m->delta, m->conv, &eps_rdp, &order, err);
        if (rc)
            return mon_error(m, rc);
    }
    int rdp_used = m->rdp_used || s->mechanism;
    double before = m->eps_rdp + m->eps_direct;
    double eps_after = eps_rdp + m->eps_direct + s->epsilon;
    double delta_after = (rdp_used ? m->delta : 0) + m->delta_direct +
                         s->delta;
    double before_delta = (m->rdp_used ? m->delta : 0) + m->delta_direct;
    /* ε only grows; what is not ≥ 0 here is inf − inf, or rounding after
     * the accountant folded an evicted mechanism into its running sum. */
    double charged = eps_after - before;
    if (!(charged >= 0))
        charged = 0;
    uint64_t minute = m->clock(m->clock_arg) / MON_MINUTE_NS;
    if (enforce) {
        if (!(eps_after <= m->epsilon_budget))
            return mon_refuse(m, "epsilon_budget", err,
                              "privacy budget: epsilon would reach %.17g, "
                              "above the budget %.17g", eps_after,
                              m->epsilon_budget);
        if (!(delta_after <= m->delta_budget))
            return mon_refuse(m, "delta_budget", err,
                              "privacy budget: delta would reach %.17g, "
                              "above the budget %.17g", delta_after,
                              m->delta_budget);
        double hour = mon_rate_sum(m, minute) + charged;
        if (m->epsilon_per_hour > 0 && !(hour <= m->epsilon_per_hour))
            return mon_refuse(m, "rate", err,
                              "privacy rate: %.17g epsilon within an hour, "
                              "above the limit %.17g", hour,
                              m->epsilon_per_hour);
    }
    const char *v[MON_MAX_LABELS + 3];
    mon_op_values(m, s, v);
    heron_counter *consumed;
    heron_gauge *eps_op, *delta_op;
    rc = heron_counter_labels(m->fam[MON_CONSUMED], v, &consumed, err);
    if (!rc)
        rc = heron_gauge_labels(m->fam[MON_EPS_OP], v, &eps_op, err);
    if (!rc)
        rc = heron_gauge_labels(m->fam[MON_DELTA_OP], v, &delta_op, err);
    if (rc)
        return mon_error(m, rc);
    if (s->mechanism) {
        rc = heron_privacy_accountant_compose(m->acct, s->mechanism, err);
        if (rc)
            return mon_error(m, rc);
        heron_gauge *noise = heron_gauge_of(m->fam[MON_NOISE], v);
        if (noise)
            heron_gauge_set(noise, s->mechanism->noise);
    }
    if (s->clip_norm > 0) {
        heron_gauge *clip = heron_gauge_of(m->fam[MON_CLIP], v);
        if (clip)
            heron_gauge_set(clip, s->clip_norm);
    }
    m->rdp_used = rdp_used;
    m->eps_rdp = eps_rdp;
    m->order = order;
    m->eps_direct += s->epsilon;
    m->delta_direct += s->delta;
    m->spends++;
    mon_rate_add(m, minute, charged);
    heron_counter_add(consumed, charged);
    heron_gauge_set(eps_op, charged);
    heron_gauge_set(delta_op, delta_after - before_delta);
    heron_gauge_set(m->eps_total, eps_after);
    heron_gauge_set(m->delta_total, delta_after);
    heron_gauge_set(m->remaining, m->epsilon_budget - eps_after);
    return 0;
}

int heron_privacy_monitor_try_spend(heron_privacy_monitor *m,
                                    const heron_privacy_spend *s,
                                    heron_err *err)
{
    pthread_mutex_lock(&m->lock);
    int rc = mon_spend(m, s, 1, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int heron_privacy_monitor_spend(heron_privacy_monitor *m,
                                const heron_privacy_spend *s, heron_err *err)
{
    pthread_mutex_lock(&m->lock);
    int rc = mon_spend(m, s, 0, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

void heron_privacy_monitor_status(heron_privacy_monitor *m,
                                  heron_privacy_status *out)
{
    pthread_mutex_lock(&m->lock);
    out->epsilon = m->eps_rdp + m->eps_direct;
    out->delta = (m->rdp_used ? m->delta : 0) + m->delta_direct;
    out->order = m->rdp_used ? m->order : 0;
    out->budget_remaining = m->epsilon_budget - out->epsilon;
    out->epsilon_last_hour =
        mon_rate_sum(m, m->clock(m->clock_arg) / MON_MINUTE_NS);
    out->spends = m->spends;
    out->refused = m->refused;
    out->errors = m->errors;
    pthread_mutex_unlock(&m->lock);
}

int heron_privacy_monitor_consumed(heron_privacy_monitor *m,
                                   const char *operation,
                                   const char *const *label_values,
                                   double *epsilon, heron_err *err)
{
    heron_privacy_spend s = {.operation = operation,
                             .label_values = label_values};
    pthread_mutex_lock(&m->lock);
    int rc = mon_check_spend(m, &s, err);
    heron_counter *c = NULL;
    if (!rc) {
        const char *v[MON_MAX_LABELS + 3];
        mon_op_values(m, &s, v);
        rc = heron_counter_labels(m->fam[MON_CONSUMED], v, &c, err);
    }
    pthread_mutex_unlock(&m->lock);
    if (!rc)
        *epsilon = heron_counter_value(c);
    return rc;
}
