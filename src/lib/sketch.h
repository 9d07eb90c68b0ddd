/*
 * sketch.h — a lock-free quantile sketch over a sliding time window.
 *
 * Values fall into logarithmic buckets: 32 per power of two, by the top five
 * mantissa bits, for magnitudes in [2^-32, 2^32), on both signs, plus zero.
 * A bucket's midpoint is within 1.6% of any value in it. The window is a
 * ring of age slots, each tagged with the epoch (time / slot width) it
 * counts; an observation lands in the current epoch's slot, clearing it
 * first when it still holds an older epoch. Observe is lock-free and
 * allocation-free; an observation racing with a slot's clearing may be
 * lost from the estimate (never from count and sum, which are kept apart).
 */
#ifndef HERON_LIB_SKETCH_H
#define HERON_LIB_SKETCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct sketch sketch;

/* NULL on allocation failure. Free with sketch_free. */
sketch *sketch_new(unsigned slots, uint64_t slot_width_ns);
void sketch_free(sketch *s);
void sketch_observe(sketch *s, double v, uint64_t now_ns);
/* Fills out[i] with the q[i]-quantile of the window ending at now_ns; NaN
 * when the window is empty. 0, or HERON_ENOMEM. */
int sketch_quantiles(const sketch *s, const double *q, size_t n,
                     uint64_t now_ns, double *out);

#endif
