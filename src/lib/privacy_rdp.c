/*
 * privacy_rdp.c — per-step Rényi DP of the Gaussian, the Poisson-subsampled
 * Gaussian and the Laplace mechanism at one order.
 *
 * Everything happens in log space: log A_α reaches 1e5 and more at large
 * orders, and the binomial coefficients, q^i and exp((i²−i)/2σ²) overflow
 * long before. Sums of terms of both signs are kept as s·e^m with a
 * compensated (Neumaier) s, so that the A_α − 1 forms below keep their
 * digits when A_α is within 1e-12 of 1.
 *
 * Subsampled Gaussian, integer α: the finite sum
 *     A − 1 = Σ_{i=2..α} C(α,i)(1−q)^(α−i) q^i expm1((i²−i)/(2σ²))
 * of non-negative terms. Fractional α: the two-sided series split at z₀,
 * arranged so that nothing cancels against 1 (rdp_sg_log_a_frac; see
 * shared/conformance/privacy/README.md §2, §9); the alternating tails are
 * summed until an Euler (repeated averaging) estimate settles, so the
 * polynomially decaying tails at q ≈ 0.5 need hundreds of terms, not 1e5.
 *
 * Pure functions; thread-safe.
 */
#include <math.h>

#include "core/err.h"
#include "heron.h"

/* A signed sum s·e^m with Neumaier compensation c. */
typedef struct rdp_lsum {
    double m, s, c;
} rdp_lsum;

#define RDP_LSUM_INIT {-INFINITY, 0, 0}

static void rdp_lsum_add(rdp_lsum *a, double logmag, int sign)
{
    if (logmag == -INFINITY)
        return;
    if (logmag > a->m) {
        double f = exp(a->m - logmag);
        a->s *= f;
        a->c *= f;
        a->m = logmag;
    }
    double v = sign * exp(logmag - a->m);
    double t = a->s + v;
    if (fabs(a->s) >= fabs(v))
        a->c += (a->s - t) + v;
    else
        a->c += (v - t) + a->s;
    a->s = t;
}

static double rdp_lsum_value(const rdp_lsum *a) /* in units of e^m */
{
    return a->s + a->c;
}

/* log Φ(x), Φ the standard normal CDF, accurate far into the left tail. */
static double rdp_log_ndtr(double x)
{
    if (x > 0)
        return log1p(-0.5 * erfc(x / M_SQRT2));
    if (x > -20)
        return log(0.5 * erfc(-x / M_SQRT2));
    /* Φ(x) = φ(x)/|x| · (1 − 1/x² + 3/x⁴ − 15/x⁶ + …) */
    double x2 = x * x, term = 1, sum = 1;
    for (int k = 1; k < 64 && fabs(term) > 1e-18; k++) {
        term *= -(2.0 * k - 1) / x2;
        sum += term;
    }
    return -0.5 * x2 - log(-x) - 0.5 * log(2 * M_PI) + log(sum);
}

/* log(expm1(x)) for x > 0. */
static double rdp_log_expm1(double x)
{
    return x < 1 ? log(expm1(x)) : x + log1p(-exp(-x));
}

/* expm1(x) − x ≥ 0, without cancellation for small |x|. */
static double rdp_expm1_minus_x(double x)
{
    if (fabs(x) >= 0.5)
        return expm1(x) - x;
    double t = x * x / 2, sum = t;
    for (int k = 3; k < 40 && fabs(t) > 1e-18 * sum; k++) {
        t *= x / k;
        sum += t;
    }
    return sum;
}

/* log(1 + v·e^m) for v·e^m > 0. */
static double rdp_log1p_scaled(double v, double m)
{
    double l = m + log(v);
    return l < 0 ? log1p(exp(l)) : l + log1p(exp(-l));
}

static int rdp_order_is_integer(double a)
{
    return a == floor(a) && a < 9007199254740992.0;
}

/* Integer α ≥ 2: log A_α by the finite A − 1 sum. */
static double rdp_sg_log_a_int(double q, double sigma, double alpha)
{
    double lq = log(q), l1q = log1p(-q), s2 = 2 * sigma * sigma;
    double logc = log(alpha) + log(alpha - 1) - M_LN2; /* C(α, 2) */
    rdp_lsum acc = RDP_LSUM_INIT;
    for (double i = 2; i <= alpha; i++) {
        double lt = logc + (alpha - i) * l1q + i * lq +
                    rdp_log_expm1(i * (i - 1) / s2);
        rdp_lsum_add(&acc, lt, 1);
        logc += log((alpha - i) / (i + 1));
    }
    return rdp_log1p_scaled(rdp_lsum_value(&acc), acc.m);
}

/* (1−q)^α − 1 + αq ≥ 0. For αq < 1/2 by the series Σ_{k≥2} C(α,k)(−q)^k,
 * whose terms shrink at least sixfold each (the direct form would cancel);
 * for αq ≥ 1/2 directly: the result is then above 0.1 and the series
 * would alternate through huge terms. */
static double rdp_pow_minus_linear(double q, double alpha)
{
    if (alpha * q >= 0.5)
        return expm1(alpha * log1p(-q)) + alpha * q;
    double t = alpha * (alpha - 1) / 2 * q * q, sum = t;
    for (int k = 2; k < 4096 && fabs(t) > 1e-18 * fabs(sum); k++) {
        t *= -q * (alpha - k) / (k + 1);
        sum += t;
    }
    return sum;
}

/* Euler's repeated averaging over the last RDP_EULER partial sums of an
 * alternating series: a binomially weighted mean of them. */
#define RDP_EULER 12

typedef struct rdp_series {
    rdp_lsum acc;
    double hist[RDP_EULER]; /* partial sums, units of e^acc.m */
    double hist_m;
    int nhist;
    double last_estimate;
} rdp_series;

static double rdp_euler_estimate(const rdp_series *s)
{
    double w = 1, sum = 0;
    for (int k = 0; k < RDP_EULER; k++) {
        sum += w * s->hist[(s->nhist + k) % RDP_EULER];
        w = w * (RDP_EULER - 1 - k) / (k + 1);
    }
    return sum / (double)(1u << (RDP_EULER - 1));
}

/* Adds a tail term; returns 1 when the series has converged, with the sum
 * (in units of e^acc.m) in *value. `ref` is a log magnitude below which
 * differences no longer matter (the other side's size), or -inf. */
static int rdp_series_tail(rdp_series *s, double logt, int sign, double ref,
                           double *value)
{
    rdp_lsum_add(&s->acc, logt, sign);
    double v = rdp_lsum_value(&s->acc);
    double scale = fmax(fabs(v), exp(ref - s->acc.m));
    if (exp(logt - s->acc.m) <= 1e-17 * scale) {
        *value = v;
        return 1;
    }
    if (s->nhist > 0 && s->hist_m != s->acc.m)
        s->nhist = 0;
    s->hist_m = s->acc.m;
    s->hist[s->nhist % RDP_EULER] = v;
    s->nhist++;
    if (s->nhist < RDP_EULER)
        return 0;
    double e = rdp_euler_estimate(s);
    int done = s->nhist > RDP_EULER &&
               fabs(e - s->last_estimate) <= 2e-15 * scale;
    s->last_estimate = e;
    *value = e;
    return done;
}

#define RDP_MAX_TERMS 2000000

/* The series of the fractional split (z0 where (1−q)μ₀ = qμ₁), term i:
 *   LEFT         C(α,i) (1−q)^(α−i) q^i e^((i²−i)/2σ²) Φ((z0 − i)/σ)
 *   LEFT_EXPM1   the same with expm1 in place of exp
 *   LEFT_OUTSIDE C(α,i) (1−q)^(α−i) q^i Φ((i − z0)/σ)
 *   RIGHT        C(α,i) q^j (1−q)^i e^((j²−j)/2σ²) Φ((j − z0)/σ), j = α − i
 * All four shrink monotonically once C(α,i) alternates (i > ⌈α⌉). */
typedef enum rdp_part {
    RDP_LEFT,
    RDP_LEFT_EXPM1,
    RDP_LEFT_OUTSIDE,
    RDP_RIGHT
} rdp_part;

typedef struct rdp_split {
    double alpha, sigma, z0;
    double lq, l1q, s2; /* log q, log(1−q), 2σ² */
} rdp_split;

static double rdp_part_logterm(const rdp_split *sp, rdp_part part, double i,
                               double logc)
{
    double j = sp->alpha - i;
    if (part == RDP_RIGHT)
        return logc + j * sp->lq + i * sp->l1q + (j * j - j) / sp->s2 +
               rdp_log_ndtr((j - sp->z0) / sp->sigma);
    double base = logc + j * sp->l1q + i * sp->lq;
    if (part == RDP_LEFT_OUTSIDE)
        return base + rdp_log_ndtr((i - sp->z0) / sp->sigma);
    double x = (i * i - i) / sp->s2;
    return base + (part == RDP_LEFT ? x : rdp_log_expm1(x)) +
           rdp_log_ndtr((sp->z0 - i) / sp->sigma);
}

/* Adds sign·Σ_{i≥i0} term_i to s; ref as for rdp_series_tail. */
static int rdp_part_sum(const rdp_split *sp, rdp_part part, int sign,
                        rdp_series *s, double i0, double ref, heron_err *err)
{
    double alpha = sp->alpha, logc = 0;
    for (double k = 0; k < i0; k++) /* C(α, i0) > 0 for i0 <= 2 < α + 1 */
        logc += log((alpha - k) / (k + 1));
    double tail_from = ceil(alpha) + 1;
    for (double i = i0; i < i0 + RDP_MAX_TERMS; i++) {
        double lt = rdp_part_logterm(sp, part, i, logc);
        double value;
        if (i < tail_from) {
            rdp_lsum_add(&s->acc, lt, sign);
        } else if (rdp_series_tail(s, lt, sign, ref, &value)) {
            s->acc.s = value;
            s->acc.c = 0;
            return 0;
        }
        double f = (alpha - i) / (i + 1);
        if (f < 0)
            sign = -sign;
        logc += log(fabs(f));
    }
    return err_set(err, HERON_ERANGE,
                   "subsampled gaussian RDP at order %.17g (q=%.17g, "
                   "sigma=%.17g): series did not converge in %d terms",
                   alpha, exp(sp->lq), sp->sigma, RDP_MAX_TERMS);
}

/* log |value| of a series (-inf when 0) and its sign. */
static double rdp_series_log(const rdp_series *s, int *sign)
{
    double v = rdp_lsum_value(&s->acc);
    *sign = v < 0 ? -1 : 1;
    return v == 0 ? -INFINITY : s->acc.m + log(fabs(v));
}

/* Below this q the expm1 form is used: it keeps its digits for large σ,
 * and its Σ (1−q)^(α−i) q^i C(α,i) = 1 converges at least like 3^−i. */
#define RDP_EXPM1_FORM_Q 0.25

/* Fractional α > 1, 0 < q < 1: A_α − 1 as a sum of series in which
 * nothing cancels against 1.
 *   q < 1/4: Σ_{i≥2} LEFT_EXPM1 + Σ RIGHT − Σ LEFT_OUTSIDE (the left
 *     expansion minus 1 is Σ a_i·expm1 − Σ a_i·Φ((i−z0)/σ) there);
 *   otherwise: each side minus its share of E[1 − αq + αq·r] = 1,
 *     [(1−q)^α − 1 + αq]Φ(z0/σ) + αq[(1−q)^(α−1) − 1]Φ((z0−1)/σ)
 *     + Σ_{i≥2} LEFT + Σ RIGHT − (1−αq)Φ(−z0/σ) − αqΦ((1−z0)/σ). */
static int rdp_sg_log_a_frac(double q, double sigma, double alpha,
                             double *out, heron_err *err)
{
    double z0 = sigma * sigma * (log1p(-q) - log(q)) + 0.5;
    rdp_split sp = {alpha, sigma, z0, log(q), log1p(-q), 2 * sigma * sigma};
    rdp_series parts[3] = {{RDP_LSUM_INIT, {0}, 0, 0, 0},
                           {RDP_LSUM_INIT, {0}, 0, 0, 0},
                           {RDP_LSUM_INIT, {0}, 0, 0, 0}};
    int rc, sign;
    if (q < RDP_EXPM1_FORM_Q) {
        rc = rdp_part_sum(&sp, RDP_LEFT_EXPM1, 1, &parts[0], 2, -INFINITY,
                          err);
        double ref = rdp_series_log(&parts[0], &sign);
        if (!rc)
            rc = rdp_part_sum(&sp, RDP_RIGHT, 1, &parts[1], 0, ref, err);
        if (!rc)
            rc = rdp_part_sum(&sp, RDP_LEFT_OUTSIDE, -1, &parts[2], 0, ref,
                              err);
    } else {
        double c1 = rdp_pow_minus_linear(q, alpha);
        if (c1 > 0)
            rdp_lsum_add(&parts[0].acc, log(c1) + rdp_log_ndtr(z0 / sigma),
                         1);
        double c2 = -alpha * q * expm1((alpha - 1) * log1p(-q)); /* ≥ 0 */
        if (c2 > 0)
            rdp_lsum_add(&parts[0].acc,
                         log(c2) + rdp_log_ndtr((z0 - 1) / sigma), -1);
        rc = rdp_part_sum(&sp, RDP_LEFT, 1, &parts[0], 2, -INFINITY, err);
        double lin = 1 - alpha * q;
        if (lin != 0)
            rdp_lsum_add(&parts[1].acc,
                         log(fabs(lin)) + rdp_log_ndtr(-z0 / sigma),
                         lin > 0 ? -1 : 1);
        rdp_lsum_add(&parts[1].acc,
                     log(alpha * q) + rdp_log_ndtr((1 - z0) / sigma), -1);
        double ref = rdp_series_log(&parts[0], &sign);
        if (!rc)
            rc = rdp_part_sum(&sp, RDP_RIGHT, 1, &parts[1], 0, ref, err);
    }
    if (rc)
        return rc;
    rdp_lsum total = RDP_LSUM_INIT;
    for (int k = 0; k < 3; k++) {
        double l = rdp_series_log(&parts[k], &sign);
        rdp_lsum_add(&total, l, sign);
    }
    double tv = rdp_lsum_value(&total);
    /* A ≥ 1 always; a non-positive A − 1 is rounding below resolution. */
    *out = tv > 0 ? rdp_log1p_scaled(tv, total.m) : 0;
    return 0;
}

static int rdp_check_order(const char *what, double alpha, int allow_one,
                           heron_err *err)
{
    if (isnan(alpha) || alpha < 1 || (alpha == 1 && !allow_one))
        return err_set(err, HERON_EINVAL,
                       "%s: order %.17g must be %s1 (or inf)", what, alpha,
                       allow_one ? ">= " : "> ");
    return 0;
}

static int rdp_check_scale(const char *what, const char *name, double v,
                           heron_err *err)
{
    if (!(v >= 0) || isinf(v))
        return err_set(err, HERON_EINVAL,
                       "%s: %s %.17g must be finite and >= 0", what, name, v);
    return 0;
}

int heron_rdp_gaussian(double sigma, double order, double *out,
                       heron_err *err)
{
    int rc = rdp_check_order("gaussian", order, 0, err);
    if (!rc)
        rc = rdp_check_scale("gaussian", "noise multiplier", sigma, err);
    if (rc)
        return rc;
    *out = sigma == 0 ? INFINITY : order / (2 * sigma * sigma);
    return 0;
}

int heron_rdp_subsampled_gaussian(double q, double sigma, double order,
                                  double *out, heron_err *err)
{
    const char *what = "subsampled_gaussian";
    int rc = rdp_check_order(what, order, 0, err);
    if (!rc)
        rc = rdp_check_scale(what, "noise multiplier", sigma, err);
    if (rc)
        return rc;
    if (!(q >= 0 && q <= 1))
        return err_set(err, HERON_EINVAL,
                       "%s: sample rate %.17g must be in [0, 1]", what, q);
    if (q == 0) {
        *out = 0;
        return 0;
    }
    if (q == 1 || sigma == 0 || isinf(order))
        return heron_rdp_gaussian(sigma, order, out, err);
    if (order > HERON_RDP_MAX_SUM_ORDER)
        return err_set(err, HERON_ERANGE,
                       "%s: order %.17g is above %.17g, the largest finite "
                       "order summed for q < 1", what, order,
                       (double)HERON_RDP_MAX_SUM_ORDER);
    double loga;
    if (rdp_order_is_integer(order)) {
        loga = rdp_sg_log_a_int(q, sigma, order);
    } else {
        rc = rdp_sg_log_a_frac(q, sigma, order, &loga, err);
        if (rc)
            return rc;
    }
    *out = loga / (order - 1);
    return 0;
}

int heron_rdp_laplace(double b, double order, double *out, heron_err *err)
{
    int rc = rdp_check_order("laplace", order, 1, err);
    if (!rc)
        rc = rdp_check_scale("laplace", "scale", b, err);
    if (rc)
        return rc;
    double e0 = 1 / b; /* +inf for b = 0 */
    double p = order / (2 * order - 1);
    if (isinf(e0) || isinf(order))
        *out = e0;
    else if (order == 1) /* ε₀ + e^−ε₀ − 1 */
        *out = rdp_expm1_minus_x(-e0);
    else if (order * e0 < 1) /* log E e^X, X = (α−1)ε₀ w.p. p, −αε₀ else */
        *out = log1p(p * rdp_expm1_minus_x((order - 1) * e0) +
                     (1 - p) * rdp_expm1_minus_x(-order * e0)) /
               (order - 1);
    else
        *out = e0 + log1p((order - 1) * expm1((1 - 2 * order) * e0) /
                          (2 * order - 1)) / (order - 1);
    return 0;
}
