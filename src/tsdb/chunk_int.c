/* chunk_int — the integer chunk encoding of blocks (layout in chunk.h). */
#include <math.h>

#include "heron.h"
#include "tsdb/chunk.h"

#define MAX_E 9

static const double pow10s[MAX_E + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                         1e5, 1e6, 1e7, 1e8, 1e9};

static uint64_t zz(uint64_t v)
{
    return (v << 1) ^ (uint64_t)((int64_t)v >> 63);
}

static uint64_t unzz(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

static unsigned width(uint64_t max)
{
    return max ? 64u - (unsigned)__builtin_clzll(max) : 0;
}

/* x with x / 10^e == v bit for bit, or 0 (with *ok = 0). */
static int64_t scaled(double v, int e, int *ok)
{
    uint64_t vbits;
    memcpy(&vbits, &v, sizeof vbits);
    double s = v * pow10s[e];
    if (!(fabs(s) <= 9007199254740992.0)) { /* also rejects NaN */
        *ok = 0;
        return 0;
    }
    int64_t x = llround(s);
    double back = e ? (double)x / pow10s[e] : (double)x;
    uint64_t bb;
    memcpy(&bb, &back, sizeof bb);
    if (bb != vbits)
        *ok = 0;
    return x;
}

static void put_varint_bits(bitw *w, uint64_t z)
{
    while (z >= 0x80) {
        bitw_put(w, (z & 0x7f) | 0x80, 8);
        z >>= 7;
    }
    bitw_put(w, z, 8);
}

/* Adds field z to the sums and stores the result as out[i] (or,
 * converted, dout[i] when out is NULL). */
static inline __attribute__((always_inline)) void
sum_one(uint64_t z, int twice, uint64_t *x, uint64_t *dx, uint64_t *out,
        double *dout, size_t i)
{
    if (twice) {
        *dx += unzz(z);
        *x += *dx;
    } else {
        *x += unzz(z);
    }
    if (out)
        out[i] = *x;
    else
        dout[i] = (double)(int64_t)*x;
}

/* Reads n zig-zag fields of w bits (1..64) from f and prefix-sums them
 * into out (or dout): once (*acc += z), or twice for deltas-of-delta
 * (*d += z, *acc += *d). One loop per stretch that needs no bounds check
 * (see bitf), so the tail of the chunk costs one copy. Narrow fields come
 * `per` (1, 2 or 4, with per * w <= 57) to a 64-bit load. per, twice and
 * the output are constants at each call, which keeps the loop bodies
 * minimal. -1 when the data runs out. */
static inline __attribute__((always_inline)) int
sum_fields(bitf *f, const uint8_t *b, size_t len, uint8_t *tail, unsigned w,
           size_t n, unsigned per, int twice, uint64_t *acc, uint64_t *d,
           uint64_t *out, double *dout)
{
    uint64_t x = *acc, dx = *d;
    unsigned sh = 64 - w;
    for (size_t i = 0; i < n;) {
        if (f->pos >= f->lim && bitf_tail(f, b, len, tail))
            return -1;
        size_t k = (f->lim - f->pos + w - 1) / w; /* fields starting below lim */
        size_t end = n - i < k ? n : i + k;
        const uint8_t *p = f->p;
        size_t pos = f->pos;
        for (; per > 1 && i + per <= end; i += per) {
            uint64_t word = bitf_peek57(p, pos);
            pos += per * w;
            for (unsigned j = 0; j < per; j++)
                sum_one((word << (j * w)) >> sh, twice, &x, &dx, out, dout, i + j);
        }
        for (; i < end; i++) {
            sum_one(bitf_peek64(p, pos) >> sh, twice, &x, &dx, out, dout, i);
            pos += w;
        }
        f->pos = pos;
    }
    *acc = x;
    *d = dx;
    return 0;
}

/* sum_fields for any width: w = 0 means every field is 0. */
static inline __attribute__((always_inline)) int
sum_any(bitf *f, const uint8_t *b, size_t len, uint8_t *tail, unsigned w,
        size_t n, int twice, uint64_t *acc, uint64_t *d, uint64_t *out,
        double *dout)
{
    if (w == 0) {
        for (size_t i = 0; i < n; i++)
            sum_one(0, twice, acc, d, out, dout, i);
        return 0;
    }
    if (twice)
        return w <= 14   ? sum_fields(f, b, len, tail, w, n, 4, 1, acc, d, out, dout)
               : w <= 28 ? sum_fields(f, b, len, tail, w, n, 2, 1, acc, d, out, dout)
                         : sum_fields(f, b, len, tail, w, n, 1, 1, acc, d, out, dout);
    return w <= 14   ? sum_fields(f, b, len, tail, w, n, 4, 0, acc, d, out, dout)
           : w <= 28 ? sum_fields(f, b, len, tail, w, n, 2, 0, acc, d, out, dout)
                     : sum_fields(f, b, len, tail, w, n, 1, 0, acc, d, out, dout);
}

size_t chunk_int_encode(const int64_t *ts, const double *vs, size_t n,
                        uint8_t *out, size_t cap)
{
    if (n == 0 || n > CHUNK_MAX_SAMPLES)
        return 0;
    int64_t xs[CHUNK_MAX_SAMPLES];
    int e, ok = 0;
    for (e = 0; e <= MAX_E && !ok; e++) {
        ok = 1;
        for (size_t i = 0; i < n && ok; i++)
            xs[i] = scaled(vs[i], e, &ok);
    }
    if (!ok)
        return 0;
    e--;
    /* Widths: timestamps' dods; values' deltas or dods, whichever is
     * narrower. */
    uint64_t tmax = 0, dmax = 0, ddmax = 0;
    for (size_t i = 2; i < n; i++) {
        uint64_t d1 = (uint64_t)ts[i] - (uint64_t)ts[i - 1];
        uint64_t d0 = (uint64_t)ts[i - 1] - (uint64_t)ts[i - 2];
        tmax |= zz(d1 - d0);
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t d1 = (uint64_t)xs[i] - (uint64_t)xs[i - 1];
        dmax |= zz(d1);
        uint64_t d0 = i >= 2 ? (uint64_t)xs[i - 1] - (uint64_t)xs[i - 2] : 0;
        ddmax |= zz(d1 - d0);
    }
    unsigned wt = width(tmax), wd = width(dmax), wdd = width(ddmax);
    int use_dd = wdd < wd;
    unsigned wv = use_dd ? wdd : wd;
    /* Worst case size check: varints ≤ 10 bytes each. */
    size_t bits = 16 + 3 * 80 + 7 + 4 + 1 + 7 + (n * (size_t)wt) + (n * (size_t)wv);
    if ((bits + 7) / 8 + 8 > cap)
        return 0;
    bitw w = {out, 0};
    bitw_put(&w, n, 16);
    put_varint_bits(&w, zz((uint64_t)ts[0]));
    put_varint_bits(&w, n > 1 ? zz((uint64_t)ts[1] - (uint64_t)ts[0]) : 0);
    bitw_put(&w, wt, 7);
    for (size_t i = 2; i < n && wt; i++) {
        uint64_t d1 = (uint64_t)ts[i] - (uint64_t)ts[i - 1];
        uint64_t d0 = (uint64_t)ts[i - 1] - (uint64_t)ts[i - 2];
        bitw_put(&w, zz(d1 - d0), wt);
    }
    bitw_put(&w, (uint64_t)e, 4);
    put_varint_bits(&w, zz((uint64_t)xs[0]));
    bitw_put(&w, (uint64_t)use_dd, 1);
    bitw_put(&w, wv, 7);
    for (size_t i = 1; i < n && wv; i++) {
        uint64_t d1 = (uint64_t)xs[i] - (uint64_t)xs[i - 1];
        uint64_t d0 = use_dd && i >= 2 ? (uint64_t)xs[i - 1] - (uint64_t)xs[i - 2] : 0;
        bitw_put(&w, zz(use_dd ? d1 - d0 : d1), wv);
    }
    return (w.nbits + 7) / 8;
}

int chunk_int_decode(const uint8_t *b, size_t len, int64_t *ts, double *vs,
                     size_t max)
{
    if (len < 2)
        return HERON_EIO;
    bitr r = {b, len, 0};
    size_t n = (size_t)bitr_get(&r, 16);
    if (n == 0)
        return 0;
    if (n > max || n > CHUNK_MAX_SAMPLES)
        return HERON_EIO;
    int bad = 0;
    uint64_t t = unzz(bitr_varint(&r, &bad));
    uint64_t d = unzz(bitr_varint(&r, &bad));
    unsigned wt = (unsigned)bitr_get(&r, 7);
    if (bad || wt > 64 || bitr_overrun(&r) ||
        r.pos + (n > 2 ? n - 2 : 0) * wt > len * 8)
        return HERON_EIO;
    uint8_t tail[2 * BITF_SLACK];
    bitf f;
    ts[0] = (int64_t)t;
    if (n > 1) {
        t += d;
        ts[1] = (int64_t)t;
    }
    if (n > 2) {
        bitf_init(&f, b, len, r.pos);
        if (sum_any(&f, b, len, tail, wt, n - 2, 1, &t, &d, (uint64_t *)ts + 2,
                    NULL))
            return HERON_EIO;
        r.pos = f.base + f.pos;
    }
    unsigned e = (unsigned)bitr_get(&r, 4);
    uint64_t x = unzz(bitr_varint(&r, &bad));
    int use_dd = (int)bitr_get(&r, 1);
    unsigned wv = (unsigned)bitr_get(&r, 7);
    if (bad || e > MAX_E || wv > 64 || bitr_overrun(&r) ||
        r.pos + (n - 1) * wv > len * 8)
        return HERON_EIO;
    /* Values as integers (prefix sums, converted on the way), then scaled
     * in a loop of their own, where the divisions pipeline (and vectorise). */
    uint64_t dv = 0;
    vs[0] = (double)(int64_t)x;
    bitf_init(&f, b, len, r.pos);
    int rc = use_dd ? sum_any(&f, b, len, tail, wv, n - 1, 1, &x, &dv, NULL, vs + 1)
                    : sum_any(&f, b, len, tail, wv, n - 1, 0, &x, &dv, NULL, vs + 1);
    if (rc)
        return HERON_EIO;
    if (e) {
        double p = pow10s[e];
        for (size_t i = 0; i < n; i++)
            vs[i] /= p;
    }
    return bitf_overrun(&f, len) ? HERON_EIO : (int)n;
}
