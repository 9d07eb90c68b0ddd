/*
 * histogram.c — histograms with fixed bucket bounds.
 *
 * Per stripe, a child keeps the sum (double bits) and one non-cumulative
 * count per bucket, the last one being +Inf; observe is a bucket search, one
 * atomic add and one compare-and-swap. Exposition accumulates the buckets
 * over stripes, so _count always equals the +Inf bucket.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fmt.h"
#include "lib/metric.h"

static const double default_bounds[] = {.005, .01, .025, .05, .075, .1, .25,
                                        .5,   .75, 1,   2.5, 5,   7.5, 10};

/* Stripe layout: [sum][count 0]...[count n] padded to the line. */
static size_t hist_stride(const family *f)
{
    size_t bytes = (f->bound_count + 2) * sizeof(uint64_t);
    return (bytes + STRIPE_LINE - 1) / STRIPE_LINE * STRIPE_LINE;
}

static _Atomic uint64_t *stripe_cells(const child *c, size_t stride, unsigned s)
{
    return (_Atomic uint64_t *)((char *)c->cells + stride * s);
}

static int hist_cells_new(const family *f, child *c)
{
    c->cells = cells_alloc(hist_stride(f) * stripe_count());
    return c->cells ? 0 : HERON_ENOMEM;
}

static void hist_cells_free(child *c)
{
    free(c->cells);
}

/* Index of the first bucket whose bound is >= v; the +Inf bucket for NaN. */
static size_t bucket_of(const family *f, double v)
{
    const double *b = f->bounds;
    size_t n = f->bound_count;
    if (n <= 16) {
        size_t i = 0;
        while (i < n && !(v <= b[i]))
            i++;
        return i;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= b[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo; /* NaN never compares <=, so it lands in +Inf */
}

void heron_histogram_observe(heron_histogram *h, double v)
{
    child *c = (child *)(void *)h;
    const family *f = c->fam;
    _Atomic uint64_t *cells = stripe_cells(c, hist_stride(f), stripe_index());
    atomic_fetch_add_explicit(&cells[1 + bucket_of(f, v)], 1, memory_order_relaxed);
    atomic_add_double(&cells[0], v);
}

int heron_histogram_observe_exemplar(heron_histogram *h, double v,
                                     const char *const *labels, heron_err *err)
{
    child *c = (child *)(void *)h;
    int rc = family_set_exemplar(c->fam, c, bucket_of(c->fam, v),
                                 c->fam->bound_count + 1, v, labels, err);
    if (rc == 0)
        heron_histogram_observe(h, v);
    return rc;
}

static void hist_write(const family *f, const child *c, heron_format fmt, buf *out)
{
    size_t stride = hist_stride(f);
    double sum = 0;
    uint64_t cumulative = 0;
    char le[FMT_DOUBLE_MAX];
    const exemplar *ex = fmt == HERON_FORMAT_OPENMETRICS ? c->exemplars : NULL;
    for (unsigned s = 0; s < stripe_count(); s++)
        sum += atomic_load_double(&stripe_cells(c, stride, s)[0]);
    for (size_t i = 0; i <= f->bound_count; i++) {
        for (unsigned s = 0; s < stripe_count(); s++)
            cumulative += atomic_load_explicit(&stripe_cells(c, stride, s)[1 + i],
                                               memory_order_relaxed);
        if (i < f->bound_count)
            fmt_double(le, f->bounds[i]);
        else
            strcpy(le, "+Inf");
        expose_sample(out, f->name, "_bucket", c->labels_before, c->labels_after,
                      "le", le, (double)cumulative, ex ? &ex[i] : NULL);
    }
    expose_sample(out, f->name, "_count", c->labels_before, c->labels_after,
                  NULL, NULL, (double)cumulative, NULL);
    expose_sample(out, f->name, "_sum", c->labels_before, c->labels_after,
                  NULL, NULL, sum, NULL);
    if (fmt == HERON_FORMAT_OPENMETRICS)
        expose_created(out, f->name, c);
}

static const char *const hist_suffixes[] = {"_bucket", "_count", "_sum", "_created", NULL};

const kind_ops histogram_ops = {
    .type = HERON_HISTOGRAM,
    .kind_name = "histogram",
    .reserved_label = "le",
    .suffixes = hist_suffixes,
    .cells_new = hist_cells_new,
    .cells_free = hist_cells_free,
    .write = hist_write,
};

/* Checks and copies the bounds; a trailing +Inf is accepted and dropped. */
static int hist_configure(family *f, const void *config, heron_err *err)
{
    const heron_buckets *b = config;
    const double *bounds = default_bounds;
    size_t n = sizeof default_bounds / sizeof *default_bounds;
    if (b && b->bounds && b->count) {
        bounds = b->bounds;
        n = b->count;
        if (isinf(bounds[n - 1]) && bounds[n - 1] > 0)
            n--;
    }
    if (n == 0)
        return err_set(err, HERON_EINVAL, "histogram %s: needs at least one finite bucket bound", f->name);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bounds[i]))
            return err_set(err, HERON_EINVAL, "histogram %s: bucket bound %zu is not finite", f->name, i);
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return err_set(err, HERON_EINVAL,
                           "histogram %s: bucket bounds must be strictly increasing (bound %zu: %g after %g)",
                           f->name, i, bounds[i], bounds[i - 1]);
    }
    f->bounds = malloc(n * sizeof *f->bounds);
    if (!f->bounds)
        return err_set(err, HERON_ENOMEM, "out of memory");
    memcpy(f->bounds, bounds, n * sizeof *f->bounds);
    f->bound_count = n;
    return 0;
}

int heron_histogram_new(const heron_opts *o, const heron_buckets *b,
                        heron_family **out, heron_err *err)
{
    return family_new(o, &histogram_ops, hist_configure, b, out, err);
}

LIB_CHILD_LOOKUPS(histogram)

int heron_buckets_linear(double start, double width, size_t n, double *out)
{
    if (n == 0 || !(width > 0) || !isfinite(start) || !isfinite(width))
        return HERON_EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = start + width * (double)i;
    return 0;
}

int heron_buckets_exponential(double start, double factor, size_t n, double *out)
{
    if (n == 0 || !(start > 0) || !(factor > 1) || !isfinite(start) || !isfinite(factor))
        return HERON_EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = start * pow(factor, (double)i);
    return 0;
}
