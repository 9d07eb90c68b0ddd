/*
 * summary.c — summaries: count and sum, plus optional quantiles over a
 * sliding window (see sketch.h).
 *
 * Count and sum are striped like a counter's cells, so they stay exact;
 * the sketch only serves the quantile estimates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fmt.h"
#include "core/hclock.h"
#include "lib/metric.h"
#include "lib/sketch.h"

typedef struct summary_cell {
    _Atomic uint64_t count;
    _Atomic uint64_t sum; /* double bits */
    char pad[STRIPE_LINE - 2 * sizeof(uint64_t)];
} summary_cell;

/* A child's cells: the stripes, then the sketch pointer (NULL without
 * quantiles). */
typedef struct summary_cells {
    sketch *window;
    char pad[STRIPE_LINE - sizeof(sketch *)];
    summary_cell stripes[];
} summary_cells;

static int summary_cells_new(const family *f, child *c)
{
    summary_cells *sc = cells_alloc(sizeof *sc + stripe_count() * sizeof(summary_cell));
    if (!sc)
        return HERON_ENOMEM;
    if (f->quantile_count) {
        sc->window = sketch_new(f->age_buckets, f->age_width_ns);
        if (!sc->window) {
            free(sc);
            return HERON_ENOMEM;
        }
    }
    c->cells = sc;
    return 0;
}

static void summary_cells_free(child *c)
{
    summary_cells *sc = c->cells;
    if (sc)
        sketch_free(sc->window);
    free(sc);
}

void heron_summary_observe(heron_summary *s, double v)
{
    summary_cells *sc = ((child *)(void *)s)->cells;
    summary_cell *cell = &sc->stripes[stripe_index()];
    atomic_fetch_add_explicit(&cell->count, 1, memory_order_relaxed);
    atomic_add_double(&cell->sum, v);
    if (sc->window)
        sketch_observe(sc->window, v, hclock_mono_ns());
}

static void summary_write(const family *f, const child *c, heron_format fmt, buf *out)
{
    const summary_cells *sc = c->cells;
    uint64_t count = 0;
    double sum = 0;
    for (unsigned s = 0; s < stripe_count(); s++) {
        count += atomic_load_explicit((_Atomic uint64_t *)&sc->stripes[s].count,
                                      memory_order_relaxed);
        sum += atomic_load_double(&sc->stripes[s].sum);
    }
    if (sc->window) {
        double values[64];
        char q[FMT_DOUBLE_MAX];
        if (sketch_quantiles(sc->window, f->quantiles, f->quantile_count,
                             hclock_mono_ns(), values) == 0) {
            for (size_t i = 0; i < f->quantile_count; i++) {
                fmt_double(q, f->quantiles[i]);
                expose_sample(out, f->name, "", c->labels_before, c->labels_after,
                              "quantile", q, values[i], NULL);
            }
        }
    }
    expose_sample(out, f->name, "_count", c->labels_before, c->labels_after,
                  NULL, NULL, (double)count, NULL);
    expose_sample(out, f->name, "_sum", c->labels_before, c->labels_after,
                  NULL, NULL, sum, NULL);
    if (fmt == HERON_FORMAT_OPENMETRICS)
        expose_created(out, f->name, c);
}

static const char *const summary_suffixes[] = {"_count", "_sum", "_created", NULL};

const kind_ops summary_ops = {
    .type = HERON_SUMMARY,
    .kind_name = "summary",
    .reserved_label = "quantile",
    .suffixes = summary_suffixes,
    .cells_new = summary_cells_new,
    .cells_free = summary_cells_free,
    .write = summary_write,
};

static int summary_configure(family *f, const void *config, heron_err *err)
{
    const heron_summary_opts *so = config;
    if (!so || !so->quantile_count)
        return 0;
    if (so->quantile_count > 64)
        return err_set(err, HERON_EINVAL, "summary %s: at most 64 quantiles", f->name);
    for (size_t i = 0; i < so->quantile_count; i++)
        if (!(so->quantiles[i] >= 0 && so->quantiles[i] <= 1))
            return err_set(err, HERON_EINVAL, "summary %s: quantile %g is outside [0, 1]",
                           f->name, so->quantiles[i]);
    double max_age = so->max_age_seconds ? so->max_age_seconds : 600;
    unsigned ages = so->age_buckets ? so->age_buckets : 5;
    if (!(max_age > 0) || !isfinite(max_age) || ages > 60)
        return err_set(err, HERON_EINVAL,
                       "summary %s: max_age must be positive and age_buckets at most 60", f->name);
    f->quantiles = malloc(so->quantile_count * sizeof *f->quantiles);
    if (!f->quantiles)
        return err_set(err, HERON_ENOMEM, "out of memory");
    memcpy(f->quantiles, so->quantiles, so->quantile_count * sizeof *f->quantiles);
    f->quantile_count = so->quantile_count;
    f->age_buckets = ages;
    f->age_width_ns = (uint64_t)(max_age * 1e9 / ages);
    return 0;
}

int heron_summary_new(const heron_opts *o, const heron_summary_opts *s,
                      heron_family **out, heron_err *err)
{
    return family_new(o, &summary_ops, summary_configure, s, out, err);
}

LIB_CHILD_LOOKUPS(summary)
