/*
 * counter.c — counters: monotonically increasing values.
 *
 * Each child has one cache line per stripe holding an integer tick count
 * (inc and whole-number adds: one atomic add) and a double for fractional
 * adds (a compare-and-swap loop). The value is the sum over stripes.
 */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "lib/metric.h"

typedef struct counter_cell {
    _Atomic uint64_t ticks;
    _Atomic uint64_t fraction; /* double bits */
    char pad[STRIPE_LINE - 2 * sizeof(uint64_t)];
} counter_cell;

static int counter_cells_new(const family *f, child *c)
{
    (void)f;
    c->cells = cells_alloc(stripe_count() * sizeof(counter_cell));
    return c->cells ? 0 : HERON_ENOMEM;
}

static void counter_cells_free(child *c)
{
    free(c->cells);
}

static counter_cell *my_cell(heron_counter *c)
{
    return (counter_cell *)((child *)(void *)c)->cells + stripe_index();
}

double heron_counter_value(const heron_counter *hc)
{
    const child *c = (const child *)(const void *)hc;
    const counter_cell *cells = c->cells;
    uint64_t ticks = 0;
    double fraction = 0;
    for (unsigned i = 0; i < stripe_count(); i++) {
        ticks += atomic_load_explicit((_Atomic uint64_t *)&cells[i].ticks, memory_order_relaxed);
        fraction += atomic_load_double(&cells[i].fraction);
    }
    return (double)ticks + fraction;
}

void heron_counter_inc(heron_counter *c)
{
    atomic_fetch_add_explicit(&my_cell(c)->ticks, 1, memory_order_relaxed);
}

int heron_counter_add(heron_counter *hc, double v)
{
    if (!(v >= 0)) { /* also refuses NaN */
        heron_err err;
        err_set(&err, HERON_EINVAL, "counter %s: cannot add a negative or NaN value",
                ((child *)(void *)hc)->fam->name);
        lib_set_last_error(&err);
        return HERON_EINVAL;
    }
    counter_cell *cell = my_cell(hc);
    if (v < 9007199254740992.0 && v == (double)(uint64_t)v)
        atomic_fetch_add_explicit(&cell->ticks, (uint64_t)v, memory_order_relaxed);
    else
        atomic_add_double(&cell->fraction, v);
    return 0;
}

int heron_counter_add_exemplar(heron_counter *hc, double v,
                               const char *const *labels, heron_err *err)
{
    child *c = (child *)(void *)hc;
    if (!(v >= 0))
        return err_set(err, HERON_EINVAL, "counter %s: cannot add negative or NaN value", c->fam->name);
    int rc = family_set_exemplar(c->fam, c, 0, 1, v, labels, err);
    if (rc == 0)
        heron_counter_add(hc, v);
    return rc;
}

static void counter_write(const family *f, const child *c, heron_format fmt, buf *out)
{
    double v = heron_counter_value((const heron_counter *)(const void *)c);
    const exemplar *ex = fmt == HERON_FORMAT_OPENMETRICS ? c->exemplars : NULL;
    expose_sample(out, f->name, "_total", c->labels_before, c->labels_after,
                  NULL, NULL, v, ex);
    if (fmt == HERON_FORMAT_OPENMETRICS)
        expose_created(out, f->name, c);
}

static const char *const counter_suffixes[] = {"_total", "_created", NULL};

const kind_ops counter_ops = {
    .type = HERON_COUNTER,
    .kind_name = "counter",
    .suffixes = counter_suffixes,
    .cells_new = counter_cells_new,
    .cells_free = counter_cells_free,
    .write = counter_write,
};

int heron_counter_new(const heron_opts *o, heron_family **out, heron_err *err)
{
    return family_new(o, &counter_ops, NULL, NULL, out, err);
}

LIB_CHILD_LOOKUPS(counter)
