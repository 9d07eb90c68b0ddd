/*
 * stripe.c — per-thread cell selection.
 *
 * Counters and histograms keep one cache line of cells per stripe. Each
 * thread is given a slot number on its first update, round-robin, and
 * always updates the stripe its slot maps to; threads that share a stripe
 * still use atomic read-modify-write, so no update is ever lost. With as
 * many stripes as cores, two busy threads never fight over a line.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/metric.h"

unsigned stripe_mask_value;
_Thread_local unsigned stripe_slot_plus1;
static _Atomic unsigned next_slot;
static pthread_once_t stripe_once = PTHREAD_ONCE_INIT;
static unsigned stripes = 1;

static void stripe_init(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = 1;
    while (n < 8 && (long)n < cpus)
        n *= 2;
    stripes = n;
    stripe_mask_value = n - 1;
}

unsigned stripe_count(void)
{
    pthread_once(&stripe_once, stripe_init);
    return stripes;
}

unsigned stripe_assign(void)
{
    stripe_slot_plus1 = atomic_fetch_add(&next_slot, 1) + 1;
    return stripe_slot_plus1;
}

void *cells_alloc(size_t n)
{
    size_t rounded = (n + STRIPE_LINE - 1) / STRIPE_LINE * STRIPE_LINE;
    void *p = aligned_alloc(STRIPE_LINE, rounded ? rounded : STRIPE_LINE);
    if (p)
        memset(p, 0, rounded ? rounded : STRIPE_LINE);
    return p;
}
