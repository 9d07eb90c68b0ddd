#include "lib/sketch.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

#define SUB_BITS 5
#define SUBS (1 << SUB_BITS)
#define MIN_EXP (-32)
#define OCTAVES 64
#define PER_SIGN (OCTAVES * SUBS)
#define BUCKETS (2 * PER_SIGN + 1) /* negatives, zero, positives */
#define ZERO PER_SIGN

typedef struct slot {
    _Atomic uint64_t epoch_plus1; /* 0: never used */
    _Atomic uint32_t counts[BUCKETS];
} slot;

struct sketch {
    unsigned nslots;
    uint64_t width_ns;
    slot *slots;
};

sketch *sketch_new(unsigned nslots, uint64_t width_ns)
{
    sketch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->slots = calloc(nslots, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    s->nslots = nslots;
    s->width_ns = width_ns ? width_ns : 1;
    return s;
}

void sketch_free(sketch *s)
{
    if (s) {
        free(s->slots);
        free(s);
    }
}

/* Bucket of |v| within one sign: octave and top mantissa bits. */
static int magnitude_bucket(double a)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int exp = (int)((bits >> 52) & 0x7ff) - 1023;
    if (exp < MIN_EXP)
        return 0;
    if (exp >= MIN_EXP + OCTAVES)
        return PER_SIGN - 1;
    int sub = (int)((bits >> (52 - SUB_BITS)) & (SUBS - 1));
    return (exp - MIN_EXP) * SUBS + sub;
}

static int bucket_of(double v)
{
    if (v > 0)
        return ZERO + 1 + magnitude_bucket(v);
    if (v < 0)
        return ZERO - 1 - magnitude_bucket(-v);
    return ZERO; /* zero; NaN is not counted (see sketch_observe) */
}

/* The midpoint of a bucket, signed. */
static double bucket_value(int b)
{
    if (b == ZERO)
        return 0;
    int m = b > ZERO ? b - ZERO - 1 : ZERO - 1 - b;
    int exp = m / SUBS + MIN_EXP;
    double lo = ldexp(1.0 + (double)(m % SUBS) / SUBS, exp);
    double mid = lo * (1.0 + 0.5 / (SUBS + m % SUBS));
    return b > ZERO ? mid : -mid;
}

void sketch_observe(sketch *s, double v, uint64_t now_ns)
{
    if (isnan(v))
        return;
    uint64_t epoch = now_ns / s->width_ns + 1;
    slot *sl = &s->slots[epoch % s->nslots];
    uint64_t seen = atomic_load_explicit(&sl->epoch_plus1, memory_order_acquire);
    if (seen != epoch && seen < epoch &&
        atomic_compare_exchange_strong(&sl->epoch_plus1, &seen, epoch)) {
        for (int i = 0; i < BUCKETS; i++)
            atomic_store_explicit(&sl->counts[i], 0, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&sl->counts[bucket_of(v)], 1, memory_order_relaxed);
}

int sketch_quantiles(const sketch *s, const double *q, size_t n,
                     uint64_t now_ns, double *out)
{
    uint64_t *merged = calloc(BUCKETS, sizeof *merged);
    if (!merged)
        return HERON_ENOMEM;
    uint64_t epoch = now_ns / s->width_ns + 1, total = 0;
    for (unsigned i = 0; i < s->nslots; i++) {
        const slot *sl = &s->slots[i];
        uint64_t e = atomic_load_explicit((_Atomic uint64_t *)&sl->epoch_plus1,
                                          memory_order_acquire);
        if (e == 0 || e > epoch || epoch - e >= s->nslots)
            continue; /* unused, or older than the window */
        for (int b = 0; b < BUCKETS; b++) {
            uint32_t c = atomic_load_explicit((_Atomic uint32_t *)&sl->counts[b],
                                              memory_order_relaxed);
            merged[b] += c;
            total += c;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (total == 0) {
            out[i] = NAN;
            continue;
        }
        /* the observation of rank ceil(q * total), counting from 1 */
        uint64_t rank = (uint64_t)ceil(q[i] * (double)total);
        if (rank == 0)
            rank = 1;
        uint64_t seen = 0;
        int b = 0;
        for (; b < BUCKETS - 1; b++) {
            seen += merged[b];
            if (seen >= rank)
                break;
        }
        out[i] = bucket_value(b);
    }
    free(merged);
    return 0;
}
