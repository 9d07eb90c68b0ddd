/*
 * test_privacy_conformance.c — runs shared/conformance/privacy/rdp_vectors.tsv
 * against the RDP math, the conversions and the accountant.
 *
 * `rdp` rows go through the pure per-order functions (which also cover the
 * q = 0 edge rows); `epsilon` rows go through an accountant over the named
 * order list when every component is a valid mechanism, else through
 * heron_rdp_curve-style sums of the pure functions. Prints one line per
 * failing row, per-class counts and finally
 *   privacy conformance: N passed, M failed
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

#define MAX_COLS 16
#define MAX_PARTS 8
#define MAX_CLASSES 16

typedef struct row_class {
    char name[16];
    int passed, failed;
    double worst; /* largest |got − expected| / (rel·|expected| + abs) */
} row_class;

static row_class classes[MAX_CLASSES];
static int nclasses;

static row_class *class_of(const char *id)
{
    char name[16];
    const char *dash = strrchr(id, '-');
    size_t len = dash ? (size_t)(dash - id) : strlen(id);
    if (len >= sizeof name)
        len = sizeof name - 1;
    memcpy(name, id, len);
    name[len] = 0;
    for (int i = 0; i < nclasses; i++)
        if (strcmp(classes[i].name, name) == 0)
            return &classes[i];
    assert_true(nclasses < MAX_CLASSES);
    row_class *c = &classes[nclasses++];
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static double num(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    assert_true(end != s && *end == 0);
    return v;
}

static int split(char *s, char sep, char **out, int max)
{
    int n = 0;
    for (char *p = s; n < max;) {
        out[n++] = p;
        p = strchr(p, sep);
        if (!p)
            break;
        *p++ = 0;
    }
    return n;
}

typedef struct component {
    heron_privacy_kind kind;
    double noise, rate;
    uint64_t steps;
} component;

/* Per-step RDP through the pure functions (they accept q = 0, order inf). */
static int pure_rdp(const component *c, double order, double *out,
                    heron_err *err)
{
    switch (c->kind) {
    case HERON_PRIVACY_GAUSSIAN:
        return heron_rdp_gaussian(c->noise, order, out, err);
    case HERON_PRIVACY_SUBSAMPLED_GAUSSIAN:
        return heron_rdp_subsampled_gaussian(c->rate, c->noise, order, out,
                                             err);
    default:
        return heron_rdp_laplace(c->noise, order, out, err);
    }
}

static int within(double got, double want, double rel, double abs_tol,
                  double *score)
{
    if (isinf(want) || (want == 0 && abs_tol == 0)) {
        *score = got == want ? 0 : INFINITY;
        return got == want;
    }
    double d = fabs(got - want), allowed = rel * fabs(want) + abs_tol;
    *score = d / allowed;
    return d <= allowed;
}

/* ε for an epsilon row; returns 0 or an error code. */
static int row_epsilon(const component *cs, int n, const char *orders_name,
                       double delta, heron_privacy_conversion conv,
                       double *eps, double *order, heron_err *err)
{
    double *orders;
    size_t norders;
    int rc = heron_rdp_orders_parse(orders_name, &orders, &norders, err);
    if (rc)
        return rc;
    int valid = 1;
    for (int i = 0; i < n; i++) {
        heron_privacy_mechanism m = {cs[i].kind, cs[i].noise, cs[i].rate,
                                     cs[i].steps};
        valid &= heron_privacy_mechanism_check(&m, NULL) == 0;
    }
    if (valid) {
        heron_privacy_accountant *a;
        rc = heron_privacy_accountant_new(orders, norders, &a, err);
        for (int i = 0; !rc && i < n; i++) {
            heron_privacy_mechanism m = {cs[i].kind, cs[i].noise, cs[i].rate,
                                         cs[i].steps};
            rc = heron_privacy_accountant_compose(a, &m, err);
        }
        if (!rc)
            rc = heron_privacy_accountant_epsilon(a, delta, conv, eps, order,
                                                  err);
        heron_privacy_accountant_free(a);
    } else {
        double *rdp = calloc(norders, sizeof *rdp);
        assert_non_null(rdp);
        for (size_t k = 0; !rc && k < norders; k++)
            for (int i = 0; !rc && i < n; i++) {
                double r;
                rc = pure_rdp(&cs[i], orders[k], &r, err);
                rdp[k] += (double)cs[i].steps * r;
            }
        if (!rc)
            rc = heron_rdp_epsilon(orders, rdp, norders, delta, conv, eps,
                                   order, err);
        free(rdp);
    }
    free(orders);
    return rc;
}

static int order_accepted(double got, const char *best, const char *alts,
                          double eps)
{
    if (got == num(best))
        return 1;
    if (strcmp(alts, "any-order-with-eps-0") == 0)
        return eps == 0;
    if (strcmp(alts, "-") == 0)
        return 0;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", alts);
    char *items[64];
    int n = split(copy, ',', items, 64);
    for (int i = 0; i < n; i++)
        if (got == num(items[i]))
            return 1;
    return 0;
}

/* Checks one data line; returns 1 when it passes. */
static int run_row(char *line, const char **id_out, char *why, size_t whylen)
{
    char *col[MAX_COLS] = {0};
    int ncol = split(line, '\t', col, MAX_COLS);
    assert_int_equal(ncol, 15);
    const char *id = col[0];
    *id_out = id;
    char *kinds[MAX_PARTS] = {0}, *noises[MAX_PARTS] = {0},
        *rates[MAX_PARTS] = {0}, *steps[MAX_PARTS] = {0};
    int n = split(col[2], '+', kinds, MAX_PARTS);
    assert_int_equal(split(col[3], ';', noises, MAX_PARTS), n);
    assert_int_equal(split(col[4], ';', rates, MAX_PARTS), n);
    assert_int_equal(split(col[5], ';', steps, MAX_PARTS), n);
    component cs[MAX_PARTS];
    for (int i = 0; i < n; i++) {
        assert_int_equal(heron_privacy_kind_parse(kinds[i], &cs[i].kind, NULL),
                         0);
        cs[i].noise = num(noises[i]);
        cs[i].rate = num(rates[i]);
        cs[i].steps = strtoull(steps[i], NULL, 10);
    }
    double rel = num(col[12]), abs_tol = num(col[13]), score = 0;
    heron_err err = {0};
    row_class *cls = class_of(id);
    int ok;
    if (strcmp(col[1], "rdp") == 0) {
        double order = num(col[6]), total = 0;
        int rc = 0;
        for (int i = 0; !rc && i < n; i++) {
            double r;
            rc = pure_rdp(&cs[i], order, &r, &err);
            total += (double)cs[i].steps * r;
        }
        ok = !rc && within(total, num(col[8]), rel, abs_tol, &score);
        snprintf(why, whylen, "rdp got %.17g want %s (%s)", total, col[8],
                 rc ? err.msg : "value");
    } else {
        heron_privacy_conversion conv;
        assert_int_equal(heron_privacy_conversion_parse(col[11], &conv, NULL),
                         0);
        double eps = NAN, order = NAN;
        int rc = row_epsilon(cs, n, col[6], num(col[7]), conv, &eps, &order,
                             &err);
        ok = !rc && within(eps, num(col[9]), rel, abs_tol, &score);
        int order_ok = !rc && order_accepted(order, col[10], col[14], eps);
        snprintf(why, whylen, "epsilon got %.17g at %.17g want %s at %s (%s)",
                 eps, order, col[9], col[10], rc ? err.msg : "value/order");
        ok = ok && order_ok;
    }
    if (isfinite(score) && score > cls->worst)
        cls->worst = score;
    if (ok)
        cls->passed++;
    else
        cls->failed++;
    return ok;
}

static void test_vectors(void **state)
{
    (void)state;
    const char *src = getenv("HERON_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path,
             "%s/../shared/conformance/privacy/rdp_vectors.tsv",
             src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        fail();
    }
    char line[4096];
    int passed = 0, failed = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (lineno == 1 || !*line)
            continue;
        const char *id = "";
        char why[512];
        if (run_row(line, &id, why, sizeof why)) {
            passed++;
        } else {
            failed++;
            if (failed <= 50)
                printf("FAIL %s: %s\n", id, why);
        }
    }
    fclose(f);
    for (int i = 0; i < nclasses; i++)
        printf("  %-8s %d passed, %d failed (worst %.3g of tolerance)\n",
               classes[i].name, classes[i].passed, classes[i].failed,
               classes[i].worst);
    printf("privacy conformance: %d passed, %d failed\n", passed, failed);
    assert_true(passed > 0);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
