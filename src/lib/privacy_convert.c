/*
 * privacy_convert.c — from an RDP curve to (ε, δ): ε for a given δ and δ
 * for a given ε, with the classic (Mironov 2017, Prop. 3), improved (Balle
 * et al. 2020, Thm. 21, with the KL shortcut) and Opacus conversions.
 *
 * The optimum is the first order, in list order, that attains the minimum;
 * orders whose value is NaN never win. Pure functions; thread-safe.
 */
#include <math.h>

#include "core/err.h"
#include "heron.h"

/* ε at one order for target = {δ, log δ}; r ≥ 0 and α ≥ 1, either +inf. */
static double convert_eps_at(heron_privacy_conversion conv, double alpha,
                             double r, const double *target)
{
    double delta = target[0], logdelta = target[1];
    if (isinf(r))
        return INFINITY;
    if (conv == HERON_PRIVACY_IMPROVED && delta * delta + expm1(-r) > 0)
        return 0; /* δ ≥ √(1 − e^−r): the KL bound alone gives (0, δ) */
    if (isinf(alpha))
        return r; /* every conversion's limit: log α/(α − 1) → 0 */
    if (alpha == 1 || (conv == HERON_PRIVACY_IMPROVED && alpha <= 1.01))
        return INFINITY;
    if (conv == HERON_PRIVACY_CLASSIC)
        return r - logdelta / (alpha - 1);
    if (conv == HERON_PRIVACY_IMPROVED)
        return r + log1p(-1 / alpha) - (logdelta + log(alpha)) / (alpha - 1);
    return r - (logdelta + log(alpha)) / (alpha - 1) +
           log((alpha - 1) / alpha);
}

/* log δ at one order for target = {ε}. */
static double convert_logdelta_at(heron_privacy_conversion conv, double alpha,
                                  double r, const double *target)
{
    double eps = target[0];
    double kl = 0; /* improved: δ ≤ √(1 − e^−r) */
    if (conv == HERON_PRIVACY_IMPROVED)
        kl = r == 0 ? -INFINITY : isinf(r) ? 0 : 0.5 * log(-expm1(-r));
    if (isinf(r) || alpha == 1 ||
        (conv == HERON_PRIVACY_IMPROVED && alpha <= 1.01))
        return kl;
    if (isinf(alpha))
        return r <= eps ? -INFINITY : kl;
    double b = conv == HERON_PRIVACY_CLASSIC
                   ? (alpha - 1) * (r - eps)
                   : (alpha - 1) * (r - eps + log1p(-1 / alpha)) - log(alpha);
    return fmin(b, kl);
}

typedef double (*convert_at_fn)(heron_privacy_conversion conv, double alpha,
                                double r, const double *target);

/* The minimum of at() over the curve and the first order attaining it
 * (+inf at orders[0] if nothing is smaller; NaN never wins). */
static double convert_min(const double *orders, const double *rdp, size_t n,
                          heron_privacy_conversion conv, convert_at_fn at,
                          const double *target, double *order)
{
    double best = INFINITY, best_order = orders[0];
    for (size_t i = 0; i < n; i++) {
        double v = at(conv, orders[i], rdp[i], target);
        if (v < best) {
            best = v;
            best_order = orders[i];
        }
    }
    if (order)
        *order = best_order;
    return best;
}

static int convert_check(const double *orders, const double *rdp, size_t n,
                         heron_privacy_conversion conv, heron_err *err)
{
    if (n == 0 || !orders || !rdp)
        return err_set(err, HERON_EINVAL, "conversion: empty RDP curve");
    if ((unsigned)conv > HERON_PRIVACY_OPACUS)
        return err_set(err, HERON_EINVAL, "conversion: unknown kind %d",
                       (int)conv);
    for (size_t i = 0; i < n; i++) {
        if (!(orders[i] >= 1))
            return err_set(err, HERON_EINVAL,
                           "conversion: order %.17g (item %zu) must be >= 1",
                           orders[i], i + 1);
        if (!(rdp[i] >= 0))
            return err_set(err, HERON_EINVAL,
                           "conversion: RDP %.17g at order %.17g must be >= 0",
                           rdp[i], orders[i]);
    }
    return 0;
}

int heron_rdp_epsilon(const double *orders, const double *rdp, size_t n,
                      double delta, heron_privacy_conversion conv,
                      double *epsilon, double *order, heron_err *err)
{
    int rc = convert_check(orders, rdp, n, conv, err);
    if (rc)
        return rc;
    if (!(delta > 0 && delta < 1))
        return err_set(err, HERON_EINVAL,
                       "delta %.17g must be in (0, 1)", delta);
    const double target[2] = {delta, log(delta)};
    double e = convert_min(orders, rdp, n, conv, convert_eps_at, target, order);
    *epsilon = conv == HERON_PRIVACY_IMPROVED && e < 0 ? 0 : e;
    return 0;
}

int heron_rdp_delta(const double *orders, const double *rdp, size_t n,
                    double epsilon, heron_privacy_conversion conv,
                    double *delta, double *order, heron_err *err)
{
    int rc = convert_check(orders, rdp, n, conv, err);
    if (rc)
        return rc;
    if (!(epsilon >= 0) || isinf(epsilon))
        return err_set(err, HERON_EINVAL,
                       "epsilon %.17g must be finite and >= 0", epsilon);
    const double target[1] = {epsilon};
    double l = convert_min(orders, rdp, n, conv, convert_logdelta_at, target,
                           order);
    *delta = l >= 0 ? 1 : exp(l);
    return 0;
}
