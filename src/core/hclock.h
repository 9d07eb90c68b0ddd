/*
 * hclock — monotonic and wall clocks, in nanoseconds.
 *
 * Tests can freeze the wall clock (hclock_freeze_wall) so that outputs that
 * embed the time, like OpenMetrics' _created samples, are reproducible.
 * Thread-safe.
 */
#ifndef HERON_CORE_HCLOCK_H
#define HERON_CORE_HCLOCK_H

#include <stdint.h>

uint64_t hclock_mono_ns(void);
/* Nanoseconds since the Unix epoch (or the frozen value). */
int64_t hclock_wall_ns(void);
/* The wall clock in seconds, exact to the nanosecond's double. */
double hclock_wall_seconds(void);
/* Freezes the wall clock at ns; 0 unfreezes it. For tests. */
void hclock_freeze_wall(int64_t ns);

#endif
