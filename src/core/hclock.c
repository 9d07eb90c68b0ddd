#include "core/hclock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t frozen_wall_ns;

uint64_t hclock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t hclock_wall_ns(void)
{
    int64_t f = atomic_load_explicit(&frozen_wall_ns, memory_order_relaxed);
    if (f)
        return f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hclock_freeze_wall(int64_t ns)
{
    atomic_store(&frozen_wall_ns, ns);
}

double hclock_wall_seconds(void)
{
    int64_t ns = hclock_wall_ns();
    return (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9;
}
