/*
 * timer.c — the timing helpers: heron_timer measures monotonic time and
 * feeds a histogram, a summary or a gauge.
 */
#include "core/hclock.h"
#include "heron.h"

heron_timer heron_timer_start(void)
{
    return (heron_timer){.start_ns = hclock_mono_ns()};
}

double heron_timer_elapsed(const heron_timer *t)
{
    return (double)(hclock_mono_ns() - t->start_ns) / 1e9;
}

void heron_timer_observe_histogram(const heron_timer *t, heron_histogram *h)
{
    heron_histogram_observe(h, heron_timer_elapsed(t));
}

void heron_timer_observe_summary(const heron_timer *t, heron_summary *s)
{
    heron_summary_observe(s, heron_timer_elapsed(t));
}

void heron_timer_set_gauge(const heron_timer *t, heron_gauge *g)
{
    heron_gauge_set(g, heron_timer_elapsed(t));
}
