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

static uint64_t get_varint_bits(bitr *r, int *bad)
{
    uint64_t z = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint64_t byte = bitr_get(r, 8);
        z |= (byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return z;
    }
    *bad = 1;
    return 0;
}

static inline uint64_t get_w(bitr *r, unsigned w)
{
    if (w == 0)
        return 0;
    if (w <= 56)
        return bitr_get(r, w);
    uint64_t hi = bitr_get(r, w - 32);
    return (hi << 32) | bitr_get(r, 32);
}

/* Reads n numbers of w bits each into out: a tight loop of unaligned
 * big-endian loads while 8 bytes remain, the checked reader after. */
static void unpack(bitr *r, unsigned w, size_t n, uint64_t *out)
{
    if (w == 0) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    size_t i = 0;
    if (w <= 56) {
        const uint8_t *b = r->b;
        size_t pos = r->pos, lim = r->nbytes >= 8 ? (r->nbytes - 8) * 8 : 0;
        unsigned sh = 64 - w;
        for (; i < n && pos <= lim; i++) {
            uint64_t x;
            memcpy(&x, b + (pos >> 3), 8);
            out[i] = (__builtin_bswap64(x) << (pos & 7)) >> sh;
            pos += w;
        }
        r->pos = pos;
    }
    for (; i < n; i++)
        out[i] = get_w(r, w);
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
    if (n > max)
        return HERON_EIO;
    int bad = 0;
    uint64_t t = unzz(get_varint_bits(&r, &bad));
    uint64_t d = unzz(get_varint_bits(&r, &bad));
    unsigned wt = (unsigned)bitr_get(&r, 7);
    if (bad || wt > 64 || bitr_overrun(&r) ||
        r.pos + (n > 2 ? n - 2 : 0) * wt > len * 8)
        return HERON_EIO;
    uint64_t z[CHUNK_MAX_SAMPLES];
    if (n > CHUNK_MAX_SAMPLES)
        return HERON_EIO;
    ts[0] = (int64_t)t;
    if (n > 1) {
        t += d;
        ts[1] = (int64_t)t;
    }
    if (n > 2) {
        unpack(&r, wt, n - 2, z);
        for (size_t i = 2; i < n; i++) {
            d += unzz(z[i - 2]);
            t += d;
            ts[i] = (int64_t)t;
        }
    }
    unsigned e = (unsigned)bitr_get(&r, 4);
    uint64_t x = unzz(get_varint_bits(&r, &bad));
    int use_dd = (int)bitr_get(&r, 1);
    unsigned wv = (unsigned)bitr_get(&r, 7);
    if (bad || e > MAX_E || wv > 64 || bitr_overrun(&r) ||
        r.pos + (n - 1) * wv > len * 8)
        return HERON_EIO;
    unpack(&r, wv, n - 1, z);
    /* Values as integers first (prefix sums), then scaled. */
    uint64_t xs[CHUNK_MAX_SAMPLES];
    xs[0] = x;
    if (use_dd) {
        uint64_t dv = 0;
        for (size_t i = 1; i < n; i++) {
            dv += unzz(z[i - 1]);
            x += dv;
            xs[i] = x;
        }
    } else {
        for (size_t i = 1; i < n; i++) {
            x += unzz(z[i - 1]);
            xs[i] = x;
        }
    }
    /* Separate loops: conversions, then divisions, which pipeline (and
     * vectorise) once no branch sits between them. */
    for (size_t i = 0; i < n; i++)
        vs[i] = (double)(int64_t)xs[i];
    if (e) {
        double p = pow10s[e];
        for (size_t i = 0; i < n; i++)
            vs[i] /= p;
    }
    return bitr_overrun(&r) ? HERON_EIO : (int)n;
}
