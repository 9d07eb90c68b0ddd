/*
 * gauge.c — gauges: values that go up and down.
 *
 * A gauge is one 64-bit cell holding double bits: set is a store, add a
 * compare-and-swap loop. It is not striped, since set must win globally.
 */
#include <stdlib.h>

#include "core/hclock.h"
#include "lib/metric.h"

static int gauge_cells_new(const family *f, child *c)
{
    (void)f;
    c->cells = cells_alloc(sizeof(_Atomic uint64_t));
    return c->cells ? 0 : HERON_ENOMEM;
}

static void gauge_cells_free(child *c)
{
    free(c->cells);
}

static _Atomic uint64_t *gauge_cell(const heron_gauge *g)
{
    return ((const child *)(const void *)g)->cells;
}

void heron_gauge_set(heron_gauge *g, double v)
{
    atomic_store_explicit(gauge_cell(g), double_to_bits(v), memory_order_relaxed);
}

void heron_gauge_add(heron_gauge *g, double v)
{
    atomic_add_double(gauge_cell(g), v);
}

void heron_gauge_inc(heron_gauge *g)
{
    heron_gauge_add(g, 1);
}

void heron_gauge_dec(heron_gauge *g)
{
    heron_gauge_add(g, -1);
}

void heron_gauge_set_to_current_time(heron_gauge *g)
{
    heron_gauge_set(g, hclock_wall_seconds());
}

double heron_gauge_value(const heron_gauge *g)
{
    return atomic_load_double(gauge_cell(g));
}

static void gauge_write(const family *f, const child *c, heron_format fmt, buf *out)
{
    (void)fmt;
    expose_sample(out, f->name, "", c->labels_before, c->labels_after, NULL,
                  NULL, heron_gauge_value((const heron_gauge *)(const void *)c), NULL);
}

static const char *const gauge_suffixes[] = {NULL};

const kind_ops gauge_ops = {
    .type = HERON_GAUGE,
    .kind_name = "gauge",
    .suffixes = gauge_suffixes,
    .cells_new = gauge_cells_new,
    .cells_free = gauge_cells_free,
    .write = gauge_write,
};

int heron_gauge_new(const heron_opts *o, heron_family **out, heron_err *err)
{
    return family_new(o, &gauge_ops, NULL, NULL, out, err);
}

LIB_CHILD_LOOKUPS(gauge)
