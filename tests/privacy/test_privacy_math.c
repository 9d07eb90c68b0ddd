/*
 * test_privacy_math.c — the pure RDP functions, order lists, conversions
 * and the accountant: validation errors, conventions at the edges,
 * published reference values, stability at extreme parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

static void assert_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want))) {
        print_error("got %.17g want %.17g (rel %g)\n", got, want, rel);
        fail();
    }
}

/* Orders 2, 3, ..., 32. */
static size_t int_orders(double *o)
{
    size_t n = 0;
    for (int k = 2; k <= 32; k++)
        o[n++] = k;
    return n;
}

static void test_pure_validation(void **state)
{
    (void)state;
    heron_err err = {0};
    double r;
    assert_int_equal(heron_rdp_gaussian(-1, 2, &r, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "noise multiplier -1"));
    assert_int_equal(heron_rdp_gaussian(INFINITY, 2, &r, &err), HERON_EINVAL);
    assert_int_equal(heron_rdp_gaussian(NAN, 2, &r, &err), HERON_EINVAL);
    assert_int_equal(heron_rdp_gaussian(1, 1, &r, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "order 1"));
    assert_int_equal(heron_rdp_gaussian(1, NAN, &r, &err), HERON_EINVAL);
    assert_int_equal(heron_rdp_gaussian(1, 0.5, &r, &err), HERON_EINVAL);
    assert_int_equal(heron_rdp_subsampled_gaussian(1.5, 1, 2, &r, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "sample rate 1.5"));
    assert_int_equal(heron_rdp_subsampled_gaussian(-0.1, 1, 2, &r, &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_subsampled_gaussian(NAN, 1, 2, &r, &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_subsampled_gaussian(0.1, 1, 2e6, &r, &err),
                     HERON_ERANGE);
    assert_int_equal(heron_rdp_laplace(-2, 2, &r, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "scale -2"));
    assert_int_equal(heron_rdp_laplace(1, 0.99, &r, &err), HERON_EINVAL);
}

static void test_pure_conventions(void **state)
{
    (void)state;
    double r;
    assert_int_equal(heron_rdp_subsampled_gaussian(0, 1, 1.5, &r, NULL), 0);
    assert_true(r == 0);
    assert_int_equal(heron_rdp_subsampled_gaussian(0.1, 0, 1.5, &r, NULL), 0);
    assert_true(isinf(r) && r > 0);
    assert_int_equal(heron_rdp_gaussian(0, 3, &r, NULL), 0);
    assert_true(isinf(r));
    assert_int_equal(heron_rdp_subsampled_gaussian(1, 2, 3, &r, NULL), 0);
    assert_true(r == 3 / 8.0);
    assert_int_equal(heron_rdp_subsampled_gaussian(0.1, 2, INFINITY, &r, NULL),
                     0);
    assert_true(isinf(r));
    assert_int_equal(heron_rdp_laplace(2, INFINITY, &r, NULL), 0);
    assert_true(r == 0.5);
    assert_int_equal(heron_rdp_laplace(2, 1, &r, NULL), 0); /* KL */
    assert_close(r, 0.5 + expm1(-0.5), 1e-15);
    assert_int_equal(heron_rdp_laplace(0, 2, &r, NULL), 0);
    assert_true(isinf(r));
    /* a huge scale: ε₀ = 1e-8, no cancellation of ε₀ against ε₀ (mpmath) */
    assert_int_equal(heron_rdp_laplace(1e8, 2, &r, NULL), 0);
    assert_close(r, 9.9999999666666687e-17, 1e-14);
    assert_int_equal(heron_rdp_laplace(1e8, 1, &r, NULL), 0);
    assert_close(r, 4.9999999833333337e-17, 1e-14);
    assert_int_equal(heron_rdp_laplace(1e6, 1024, &r, NULL), 0);
    assert_close(r, 5.1199973994236854e-10, 1e-14);
}

/* TF Privacy's and Opacus' published expectations (exact values). */
static void test_published_values(void **state)
{
    (void)state;
    static const struct {
        double order, want;
    } tf[] = {{1.5, 6.50070897e-4}, {2.5, 1.0854e-3}, {5, 2.1808e-3},
              {50, 2.3846e-2}, {100, 167.416307548}};
    for (size_t i = 0; i < sizeof tf / sizeof *tf; i++) {
        double r;
        assert_int_equal(
            heron_rdp_subsampled_gaussian(0.01, 2.5, tf[i].order, &r, NULL), 0);
        assert_close(50 * r, tf[i].want, 1e-4);
    }
    double r;
    assert_int_equal(heron_rdp_subsampled_gaussian(0.1, 2, 5, &r, NULL), 0);
    assert_close(10 * r, 0.0773696849, 1e-9);

    double orders[HERON_RDP_ORDERS_MAX], curve[HERON_RDP_ORDERS_MAX];
    size_t n = int_orders(orders);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 4, 0.01,
                                 10000};
    assert_int_equal(heron_rdp_curve(&m, orders, n, curve, NULL), 0);
    double eps, order;
    assert_int_equal(heron_rdp_epsilon(orders, curve, n, 1e-5,
                                       HERON_PRIVACY_CLASSIC, &eps, &order,
                                       NULL),
                     0);
    assert_close(eps, 1.25857474, 1e-8);
    assert_true(order == 20);

    /* compute_dp_sgd_privacy: 60000 examples, batch 150, σ 1.3, 15 epochs */
    heron_privacy_accountant *a;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &a, NULL), 0);
    heron_privacy_mechanism sgd = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.3,
                                   150 / 60000.0, 6000};
    assert_int_equal(heron_privacy_accountant_compose(a, &sgd, NULL), 0);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &eps, &order, NULL),
                     0);
    assert_close(eps, 0.7242234026109595, 1e-9);
    assert_true(order == 19);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_CLASSIC, &eps, &order, NULL),
                     0);
    assert_close(eps, 0.941870567, 1e-8);
    heron_privacy_accountant_free(a);

    /* Opacus accountants_test: σ 1.5, q 0.04, 2250 steps */
    n = heron_rdp_orders_opacus(orders);
    assert_int_equal(heron_privacy_accountant_new(orders, n, &a, NULL), 0);
    heron_privacy_mechanism op = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.5,
                                  0.04, 2250};
    assert_int_equal(heron_privacy_accountant_compose(a, &op, NULL), 0);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_OPACUS, &eps, &order, NULL),
                     0);
    assert_close(eps, 7.32911117148, 1e-10);
    heron_privacy_accountant_free(a);
}

/* Tiny q, 10^6 steps, large orders: finite, ordered, no NaN. */
static void test_stability(void **state)
{
    (void)state;
    double orders[HERON_RDP_ORDERS_MAX], curve[HERON_RDP_ORDERS_MAX];
    size_t n = heron_rdp_orders_default(orders);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 0.8, 1e-9,
                                 1000000};
    assert_int_equal(heron_rdp_curve(&m, orders, n, curve, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(isfinite(curve[i]) && curve[i] >= 0);
        if (i > 0)
            assert_true(curve[i] >= curve[i - 1]); /* RDP grows with α */
    }
    /* order 2: RDP = log1p(q² expm1(1/σ²)) per step */
    double lim = 1e6 * 1e-18 * expm1(1 / 0.64);
    assert_close(curve[9], lim, 1e-6); /* order 2 */

    m = (heron_privacy_mechanism){HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 0.5, 0.5,
                                  1000000};
    assert_int_equal(heron_rdp_curve(&m, orders, n, curve, NULL), 0);
    assert_true(isfinite(curve[n - 1]) && curve[n - 1] > 1e9); /* α 1024 */
    double eps, order;
    assert_int_equal(heron_rdp_epsilon(orders, curve, n, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       NULL),
                     0);
    assert_true(isfinite(eps) && eps > 0);
}

/* Large fractional orders sit between their integer neighbours and below
 * the plain Gaussian (a regression: the (1−q)^α − 1 + αq series once
 * cancelled catastrophically when αq was large). */
static void test_large_fractional_orders(void **state)
{
    (void)state;
    const double qs[] = {0.1, 0.3, 0.49, 0.7};
    const double sigmas[] = {2, 30, 1000};
    const double orders[] = {20.5, 100.5, 256.5, 1000.5};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t c = 0; c < 4; c++) {
                double lo, mid, hi, q = qs[a], s = sigmas[b], o = orders[c];
                assert_int_equal(heron_rdp_subsampled_gaussian(q, s, o - 0.5,
                                                               &lo, NULL), 0);
                assert_int_equal(heron_rdp_subsampled_gaussian(q, s, o, &mid,
                                                               NULL), 0);
                assert_int_equal(heron_rdp_subsampled_gaussian(q, s, o + 0.5,
                                                               &hi, NULL), 0);
                if (!(lo <= mid * (1 + 1e-9) && mid <= hi * (1 + 1e-9) &&
                      mid <= o / (2 * s * s))) {
                    print_error("q=%g sigma=%g order %g: %.17g %.17g %.17g\n",
                                q, s, o, lo, mid, hi);
                    fail();
                }
            }
}

/* Large σ at fractional orders (40-digit quadrature references): the
 * expm1 form for q < 1/4 keeps every digit where subtracting 1 would not. */
static void test_large_sigma(void **state)
{
    (void)state;
    static const struct {
        double q, sigma, order, want;
    } cases[] = {
        {0.01, 1e5, 1.5, 7.50000000037125e-15},
        {0.2, 1000, 2.5, 5.0000028000012133338e-8},
        {0.1, 1e4, 7.5, 3.7500000371250004068e-10},
        {0.01, 1000, 1.1, 5.5000027007208521275e-11},
        {0.3, 50, 1.5, 2.7003780166062195616e-05},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double r;
        assert_int_equal(heron_rdp_subsampled_gaussian(cases[i].q,
                                                       cases[i].sigma,
                                                       cases[i].order, &r,
                                                       NULL),
                         0);
        assert_close(r, cases[i].want, 1e-11);
    }
}

static void test_orders(void **state)
{
    (void)state;
    double o[HERON_RDP_ORDERS_MAX];
    assert_int_equal(heron_rdp_orders_default(o), 156);
    assert_true(o[0] == 1 + 1 / 10.0 && o[98] == 1 + 99 / 10.0);
    assert_true(o[99] == 11 && o[151] == 63 && o[155] == 1024);
    assert_int_equal(heron_rdp_orders_opacus(o), 151);
    assert_true(o[99] == 12 && o[150] == 63);

    double *v;
    size_t n;
    heron_err err = {0};
    assert_int_equal(heron_rdp_orders_parse("1.5,2,inf", &v, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(v[0] == 1.5 && v[1] == 2 && isinf(v[2]));
    free(v);
    assert_int_equal(heron_rdp_orders_parse("opacus_default", &v, &n, NULL), 0);
    assert_int_equal(n, 151);
    free(v);
    const char *bad[] = {"", "1", "0.5", "2,,3", "2,x", "nan", "2,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(heron_rdp_orders_parse(bad[i], &v, &n, &err),
                         HERON_EINVAL);
        assert_null(v);
    }
    char *many = malloc(4097 * 2 + 1);
    assert_non_null(many);
    for (int i = 0; i < 4097; i++)
        memcpy(many + 2 * i, "2,", 2);
    many[4097 * 2 - 1] = 0;
    assert_int_equal(heron_rdp_orders_parse(many, &v, &n, &err), HERON_ERANGE);
    free(many);
}

static void test_conversions(void **state)
{
    (void)state;
    double orders[] = {1.005, 2, 3, INFINITY};
    double rdp[] = {0.3, 0.5, 1, INFINITY};
    double eps, order, delta;
    heron_err err = {0};
    /* order 1.005 ≤ 1.01: +inf for improved, finite for classic */
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       &err),
                     0);
    assert_close(eps, 1 + log1p(-1 / 3.0) - (log(1e-5) + log(3)) / 2, 1e-15);
    assert_true(order == 3);
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, 1e-5,
                                       HERON_PRIVACY_CLASSIC, &eps, &order,
                                       NULL),
                     0);
    assert_close(eps, 1 - log(1e-5) / 2, 1e-15);
    assert_true(order == 3);
    /* KL shortcut: δ² + expm1(−r) > 0 gives ε = 0 */
    double tiny[] = {1e-12, 1e-12, 1e-12, 1e-12};
    assert_int_equal(heron_rdp_epsilon(orders, tiny, 4, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       NULL),
                     0);
    assert_true(eps == 0 && order == 1.005);
    /* opacus: no guard, no clamp: may go below 0 */
    double small[] = {1e-6, 1e-6, 1e-6, 1e-6};
    double big_delta = 0.9;
    assert_int_equal(heron_rdp_epsilon(orders + 1, small + 1, 2, big_delta,
                                       HERON_PRIVACY_OPACUS, &eps, &order,
                                       NULL),
                     0);
    assert_true(eps < 0);
    assert_int_equal(heron_rdp_epsilon(orders + 1, small + 1, 2, big_delta,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       NULL),
                     0);
    assert_true(eps == 0);
    /* the first order attaining the minimum wins */
    double same_o[] = {2, 3, 3};
    double same_r[] = {5, 0.25, 0.25};
    assert_int_equal(heron_rdp_epsilon(same_o, same_r, 3, 1e-5,
                                       HERON_PRIVACY_CLASSIC, &eps, &order,
                                       NULL),
                     0);
    assert_true(order == 3);
    /* all +inf: ε = +inf */
    double infs[] = {INFINITY, INFINITY};
    assert_int_equal(heron_rdp_epsilon(same_o, infs, 2, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       NULL),
                     0);
    assert_true(isinf(eps));
    /* order inf with a finite RDP: pure ε-DP */
    double lap_o[] = {INFINITY};
    double lap_r[] = {0.5};
    assert_int_equal(heron_rdp_epsilon(lap_o, lap_r, 1, 1e-5,
                                       HERON_PRIVACY_CLASSIC, &eps, &order,
                                       NULL),
                     0);
    assert_true(eps == 0.5);
    assert_int_equal(heron_rdp_delta(lap_o, lap_r, 1, 0.5,
                                     HERON_PRIVACY_CLASSIC, &delta, &order,
                                     NULL),
                     0);
    assert_true(delta == 0);

    /* validation */
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, 0,
                                       HERON_PRIVACY_IMPROVED, &eps, &order,
                                       &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "delta 0"));
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, 1,
                                       HERON_PRIVACY_IMPROVED, &eps, NULL,
                                       &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, NAN,
                                       HERON_PRIVACY_IMPROVED, &eps, NULL,
                                       &err),
                     HERON_EINVAL);
    double neg[] = {0.1, -1, 0.1, 0.1};
    assert_int_equal(heron_rdp_epsilon(orders, neg, 4, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, NULL,
                                       &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "RDP -1"));
    double bad_o[] = {0.5};
    assert_int_equal(heron_rdp_epsilon(bad_o, rdp, 1, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, NULL,
                                       &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 0, 1e-5,
                                       HERON_PRIVACY_IMPROVED, &eps, NULL,
                                       &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_epsilon(orders, rdp, 4, 1e-5,
                                       (heron_privacy_conversion)7, &eps,
                                       NULL, &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_delta(orders, rdp, 4, -1,
                                     HERON_PRIVACY_IMPROVED, &delta, NULL,
                                     &err),
                     HERON_EINVAL);
    assert_int_equal(heron_rdp_delta(orders, rdp, 4, INFINITY,
                                     HERON_PRIVACY_IMPROVED, &delta, NULL,
                                     &err),
                     HERON_EINVAL);
    heron_privacy_conversion c;
    assert_int_equal(heron_privacy_conversion_parse("opacus", &c, NULL), 0);
    assert_int_equal(c, HERON_PRIVACY_OPACUS);
    assert_int_equal(heron_privacy_conversion_parse("tight", &c, &err),
                     HERON_EINVAL);
    assert_string_equal(heron_privacy_conversion_name(HERON_PRIVACY_CLASSIC),
                        "classic");
}

/* δ(ε(δ)) gives back about δ, for every conversion. */
static void test_delta_inverts_epsilon(void **state)
{
    (void)state;
    double orders[HERON_RDP_ORDERS_MAX], curve[HERON_RDP_ORDERS_MAX];
    size_t n = heron_rdp_orders_default(orders);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.01,
                                 5000};
    assert_int_equal(heron_rdp_curve(&m, orders, n, curve, NULL), 0);
    for (int c = HERON_PRIVACY_IMPROVED; c <= HERON_PRIVACY_OPACUS; c++) {
        double eps, order, delta, order2;
        assert_int_equal(heron_rdp_epsilon(orders, curve, n, 1e-6,
                                           (heron_privacy_conversion)c, &eps,
                                           &order, NULL),
                         0);
        assert_int_equal(heron_rdp_delta(orders, curve, n, eps,
                                         (heron_privacy_conversion)c, &delta,
                                         &order2, NULL),
                         0);
        assert_close(delta, 1e-6, 1e-9);
        assert_true(order == order2);
    }
}

static void test_mechanism_check(void **state)
{
    (void)state;
    heron_err err = {0};
    const struct {
        heron_privacy_mechanism m;
        int rc;
        const char *msg;
    } cases[] = {
        {{HERON_PRIVACY_GAUSSIAN, 0, 1, 1}, HERON_EINVAL, "noise multiplier 0"},
        {{HERON_PRIVACY_GAUSSIAN, -1, 1, 1}, HERON_EINVAL, "noise multiplier -1"},
        {{HERON_PRIVACY_GAUSSIAN, NAN, 1, 1}, HERON_EINVAL, "nan"},
        {{HERON_PRIVACY_GAUSSIAN, INFINITY, 1, 1}, HERON_EINVAL, "inf"},
        {{HERON_PRIVACY_GAUSSIAN, 1, 0.5, 1}, HERON_EINVAL, "sample rate 0.5"},
        {{HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, 0, 1}, HERON_EINVAL,
         "sample rate 0 must be in (0, 1]"},
        {{HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, 1.5, 1}, HERON_EINVAL,
         "sample rate 1.5"},
        {{HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, NAN, 1}, HERON_EINVAL,
         "sample rate nan"},
        {{HERON_PRIVACY_LAPLACE, 0, 1, 1}, HERON_EINVAL, "scale b 0"},
        {{HERON_PRIVACY_GAUSSIAN, 1, 1, 0}, HERON_EINVAL, "steps 0"},
        {{HERON_PRIVACY_GAUSSIAN, 1, 1, HERON_PRIVACY_MAX_STEPS + 1},
         HERON_ERANGE, "steps 9007199254740993"},
        {{(heron_privacy_kind)9, 1, 1, 1}, HERON_EINVAL, "unknown kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err.msg[0] = 0;
        assert_int_equal(heron_privacy_mechanism_check(&cases[i].m, &err),
                         cases[i].rc);
        if (!strstr(err.msg, cases[i].msg)) {
            print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err.msg,
                        cases[i].msg);
            fail();
        }
    }
    heron_privacy_mechanism ok = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, 1,
                                  HERON_PRIVACY_MAX_STEPS};
    assert_int_equal(heron_privacy_mechanism_check(&ok, NULL), 0);
    heron_privacy_kind k;
    assert_int_equal(heron_privacy_kind_parse("laplace", &k, NULL), 0);
    assert_int_equal(k, HERON_PRIVACY_LAPLACE);
    assert_int_equal(heron_privacy_kind_parse("Gaussian", &k, &err),
                     HERON_EINVAL);
}

static void test_accountant(void **state)
{
    (void)state;
    heron_privacy_accountant *a, *b;
    heron_err err = {0};
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &a, NULL), 0);
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &b, NULL), 0);
    const double *orders;
    size_t n = heron_privacy_accountant_orders(a, &orders);
    assert_int_equal(n, 156);

    /* 1000 single steps equal one compose of 1000 steps */
    heron_privacy_mechanism one = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1,
                                   0.01, 1};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(heron_privacy_accountant_compose(a, &one, NULL), 0);
    heron_privacy_mechanism many = one;
    many.steps = 1000;
    assert_int_equal(heron_privacy_accountant_compose(b, &many, NULL), 0);
    double ca[HERON_RDP_ORDERS_MAX], cb[HERON_RDP_ORDERS_MAX];
    heron_privacy_accountant_rdp(a, ca);
    heron_privacy_accountant_rdp(b, cb);
    for (size_t i = 0; i < n; i++)
        assert_true(ca[i] == cb[i]);

    /* epsilon_after does not compose */
    double e0, e1, e2, order;
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &e0, &order, NULL),
                     0);
    assert_int_equal(heron_privacy_accountant_epsilon_after(
                         a, &many, 1e-5, HERON_PRIVACY_IMPROVED, &e1, &order,
                         NULL),
                     0);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &e2, &order, NULL),
                     0);
    assert_true(e0 == e2 && e1 > e0);
    /* ... and predicts exactly what composing gives */
    heron_privacy_accountant *p;
    double p1, p2;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &p, NULL), 0);
    assert_int_equal(heron_privacy_accountant_compose(p, &one, NULL), 0);
    assert_int_equal(heron_privacy_accountant_epsilon_after(
                         p, &many, 1e-5, HERON_PRIVACY_IMPROVED, &p1, &order,
                         NULL),
                     0);
    assert_int_equal(heron_privacy_accountant_compose(p, &many, NULL), 0);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         p, 1e-5, HERON_PRIVACY_IMPROVED, &p2, &order, NULL),
                     0);
    assert_true(p1 == p2);
    heron_privacy_accountant_free(p);

    /* 40 distinct mechanisms (more than the cached slots) compose exactly
     * like their curves summed by hand */
    double sum[HERON_RDP_ORDERS_MAX] = {0}, c[HERON_RDP_ORDERS_MAX];
    heron_privacy_accountant *d;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &d, NULL), 0);
    for (int i = 0; i < 40; i++) {
        heron_privacy_mechanism m = {
            (heron_privacy_kind)(i % 3), 1 + i / 10.0,
            i % 3 == HERON_PRIVACY_SUBSAMPLED_GAUSSIAN ? 0.01 : 1,
            (uint64_t)(i + 1)};
        assert_int_equal(heron_privacy_accountant_compose(d, &m, NULL), 0);
        assert_int_equal(heron_rdp_curve(&m, orders, n, c, NULL), 0);
        for (size_t k = 0; k < n; k++)
            sum[k] += c[k];
    }
    heron_privacy_accountant_rdp(d, c);
    for (size_t k = 0; k < n; k++)
        assert_close(c[k], sum[k], 1e-13);
    heron_privacy_accountant_free(d);

    /* errors leave the accountant as it was */
    heron_privacy_mechanism bad = {HERON_PRIVACY_GAUSSIAN, 0, 1, 1};
    assert_int_equal(heron_privacy_accountant_compose(a, &bad, &err),
                     HERON_EINVAL);
    heron_privacy_mechanism huge = one;
    huge.steps = HERON_PRIVACY_MAX_STEPS;
    assert_int_equal(heron_privacy_accountant_compose(a, &huge, &err),
                     HERON_ERANGE);
    assert_non_null(strstr(err.msg, "2^53"));
    assert_int_equal(heron_privacy_accountant_epsilon_after(
                         a, &huge, 1e-5, HERON_PRIVACY_IMPROVED, &e1, &order,
                         &err),
                     HERON_ERANGE);
    heron_privacy_accountant_rdp(a, ca);
    for (size_t i = 0; i < n; i++)
        assert_true(ca[i] == cb[i]);
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 2, HERON_PRIVACY_IMPROVED, &e0, &order, &err),
                     HERON_EINVAL);
    double delta;
    assert_int_equal(heron_privacy_accountant_delta(
                         a, e2, HERON_PRIVACY_IMPROVED, &delta, &order, NULL),
                     0);
    assert_close(delta, 1e-5, 1e-9);

    double bad_orders[] = {2, 0.5};
    assert_int_equal(heron_privacy_accountant_new(bad_orders, 2, &d, &err),
                     HERON_EINVAL);
    assert_null(d);
    assert_int_equal(heron_privacy_accountant_new(bad_orders, 0, &d, &err),
                     HERON_EINVAL);
    heron_privacy_accountant_free(a);
    heron_privacy_accountant_free(b);
    heron_privacy_accountant_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_validation),
        cmocka_unit_test(test_pure_conventions),
        cmocka_unit_test(test_published_values),
        cmocka_unit_test(test_stability),
        cmocka_unit_test(test_large_fractional_orders),
        cmocka_unit_test(test_large_sigma),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_delta_inverts_epsilon),
        cmocka_unit_test(test_mechanism_check),
        cmocka_unit_test(test_accountant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
