/* chunk_int — the integer chunk encoding of blocks (layout in chunk.h). */
#include <immintrin.h>
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

/* A stream of n numbers stored frame-of-reference: their minimum (as
 * int64), then each minus it, without the trailing zero bits all of those
 * differences share (sh: byte-sized gauges move in steps of 4096), at a
 * fixed width w. */
typedef struct stream {
    uint64_t min;
    unsigned w, sh;
} stream;

static stream stream_of(const uint64_t *d, size_t n)
{
    int64_t lo = n ? (int64_t)d[0] : 0, hi = lo;
    for (size_t i = 1; i < n; i++) {
        if ((int64_t)d[i] < lo)
            lo = (int64_t)d[i];
        if ((int64_t)d[i] > hi)
            hi = (int64_t)d[i];
    }
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= d[i] - (uint64_t)lo;
    unsigned sh = any ? (unsigned)__builtin_ctzll(any) : 0;
    return (stream){(uint64_t)lo, width(((uint64_t)hi - (uint64_t)lo) >> sh), sh};
}

static void put_stream(bitw *w, const uint64_t *d, size_t n, stream s)
{
    put_varint_bits(w, zz(s.min));
    bitw_put(w, s.w, 7);
    bitw_put(w, s.sh, 6);
    for (size_t i = 0; i < n && s.w; i++)
        bitw_put(w, (d[i] - s.min) >> s.sh, s.w);
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
    /* Timestamps' deltas-of-delta from the third on; values' deltas or
     * deltas-of-delta, whichever needs the narrower fields. All wrap. */
    uint64_t tdd[CHUNK_MAX_SAMPLES], xd[CHUNK_MAX_SAMPLES], xdd[CHUNK_MAX_SAMPLES];
    for (size_t i = 2; i < n; i++)
        tdd[i - 2] = ((uint64_t)ts[i] - (uint64_t)ts[i - 1]) -
                     ((uint64_t)ts[i - 1] - (uint64_t)ts[i - 2]);
    for (size_t i = 1; i < n; i++) {
        xd[i - 1] = (uint64_t)xs[i] - (uint64_t)xs[i - 1];
        xdd[i - 1] = xd[i - 1] - (i >= 2 ? xd[i - 2] : 0);
    }
    size_t nt = n > 2 ? n - 2 : 0;
    stream st = stream_of(tdd, nt), sd = stream_of(xd, n - 1),
           sdd = stream_of(xdd, n - 1);
    int use_dd = sdd.w < sd.w;
    stream sv = use_dd ? sdd : sd;
    /* Worst case size check: varints <= 10 bytes each. */
    size_t bits = 16 + 5 * 80 + 2 * (7 + 6) + 4 + 1 + n * (size_t)st.w + n * (size_t)sv.w;
    if ((bits + 7) / 8 + 8 > cap)
        return 0;
    bitw w = {out, 0};
    bitw_put(&w, n, 16);
    put_varint_bits(&w, zz((uint64_t)ts[0]));
    put_varint_bits(&w, n > 1 ? zz((uint64_t)ts[1] - (uint64_t)ts[0]) : 0);
    put_stream(&w, tdd, nt, st);
    bitw_put(&w, (uint64_t)e, 4);
    put_varint_bits(&w, zz((uint64_t)xs[0]));
    bitw_put(&w, (uint64_t)use_dd, 1);
    put_stream(&w, use_dd ? xdd : xd, n - 1, sv);
    return (w.nbits + 7) / 8;
}

/* ---- decoding --------------------------------------------------------------
 *
 * The decoder reads whole words with no bounds check per read; a read takes
 * at most INT_READ bytes from the byte its first bit is in. A chunk is read
 * in place wherever that cannot pass its end: the fixed fields before the
 * first check read at most INT_HDR_BITS bits (INT_HDR1_BITS before the
 * first stream, INT_HDR2_BITS before the second), and a stream is read only
 * once its fields are known to lie inside the chunk. Only the last few
 * bytes, where a read could pass the end, are copied into a zero-padded
 * buffer on the stack (sum_stream, and the second header when it lies
 * there); a chunk shorter than INT_PAD is copied whole. Copying every chunk
 * cost a tenth of a query's time, most of it in the cache misses of the
 * copy rather than of the decoding. A longer chunk than INT_MAX_BYTES
 * cannot be valid, so reading stops there and what was cut off reads as
 * damage. */
#define INT_MAX_BYTES (CHUNK_HDR_BYTES + 5 * 10 + 4 + 2 * CHUNK_MAX_SAMPLES * 8)
#define INT_READ 9
#define INT_HDR1_BITS (16 + 3 * 80 + 7 + 6)
#define INT_HDR2_BITS (4 + 2 * 80 + 1 + 7 + 6)
#define INT_HDR_BITS (INT_HDR1_BITS - 16 + INT_HDR2_BITS)
#define INT_PAD ((INT_HDR_BITS + 7) / 8 + 16)
/* Bytes of the chunk a header's reads may take from the byte it starts in. */
#define INT_HDR_READ(bits) (((bits) + 7) / 8 + INT_READ)

static inline uint64_t rotl(uint64_t x, unsigned k)
{
    return (x << (k & 63)) | (x >> (-k & 63));
}

typedef struct rd {
    const uint8_t *p;
    size_t pos; /* bit position */
} rd;

/* The next n bits (1..57). */
static inline uint64_t rd_get(rd *r, unsigned n)
{
    uint64_t v = bitf_peek57(r->p, r->pos) >> (64 - n);
    r->pos += n;
    return v;
}

/* A LEB128 varint written as whole bytes (at most 10); *bad when it does
 * not end. */
static inline uint64_t rd_varint(rd *r, int *bad)
{
    uint64_t z = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint64_t byte = rd_get(r, 8);
        z |= (byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return z;
    }
    *bad = 1;
    return 0;
}

/* Adds field z (plus the stream's minimum m) to the sums and stores the
 * result as out[i] (or, converted, dout[i] when out is NULL). */
static inline __attribute__((always_inline)) void
sum_one(uint64_t z, uint64_t m, int twice, uint64_t *x, uint64_t *dx,
        uint64_t *out, double *dout, size_t i)
{
    if (twice) {
        *dx += z + m;
        *x += *dx;
    } else {
        *x += z + m;
    }
    if (out)
        out[i] = *x;
    else
        dout[i] = (double)(int64_t)*x;
}

/* Reads n fields of st.w bits (1..64) at bit pos of p and prefix-sums
 * them (each shifted left by st.sh, plus st.min) into out (or dout): once
 * (*acc += z), or twice for deltas-of-delta (*d += z, *acc += *d). Narrow
 * fields come `per` (2, 4 or 8, with per * w <= 57) to a 64-bit load; the
 * last few share one load too. per, twice and the output are constants at
 * each call, which keeps the loop bodies minimal. */
static inline __attribute__((always_inline)) void
sum_fields(const uint8_t *p, size_t pos, stream st, size_t n, unsigned per,
           int twice, uint64_t *acc, uint64_t *d, uint64_t *out, double *dout)
{
    uint64_t x = *acc, dx = *d, m = st.min;
    unsigned w = st.w, sh = st.sh;
    size_t i = 0;
    if (per == 1) {
        for (; i < n; i++, pos += w)
            sum_one((bitf_peek64(p, pos) >> (64 - w)) << sh, m, twice, &x, &dx, out,
                    dout, i);
    } else {
        /* Rotating by w brings the next field to bits sh.. once the word
         * has been rotated by sh: one shift count for the whole loop (x86
         * shifts by a register only by cl). */
        uint64_t mask = ((UINT64_C(1) << w) - 1) << sh;
        for (; i + per <= n; i += per) {
            uint64_t word = rotl(bitf_peek57(p, pos), sh);
            pos += per * w;
            for (unsigned j = 0; j < per; j++) {
                word = rotl(word, w);
                sum_one(word & mask, m, twice, &x, &dx, out, dout, i + j);
            }
        }
        uint64_t word = rotl(bitf_peek57(p, pos), sh);
        for (; i < n; i++) {
            word = rotl(word, w);
            sum_one(word & mask, m, twice, &x, &dx, out, dout, i);
        }
    }
    *acc = x;
    *d = dx;
}

/* ---- AVX2 ------------------------------------------------------------------
 *
 * The same sums four fields at a time in 256-bit lanes, for widths up to 14
 * (a 64-bit load holds 4 or 8 fields): variable shifts place the fields, a
 * prefix sum over the lanes (two for deltas-of-delta) adds them up. Doubles
 * come exactly from the 1.5 * 2^52 trick, which holds for |x| < 2^51; a
 * larger value makes the kernel give up and the scalar loop decode the
 * stream again. Used when the CPU has AVX2 (checked at run time); the
 * scalar loop serves other machines, the last few fields, and the tests
 * (chunk_int_simd). */
#define AVX2 __attribute__((target("avx2")))

static int simd_off;

void chunk_int_simd(int on)
{
    simd_off = !on;
}

static int simd_on(void)
{
    return !simd_off && __builtin_cpu_supports("avx2");
}

/* Inclusive prefix sum of the four lanes. */
static AVX2 inline __m256i psum4(__m256i v)
{
    v = _mm256_add_epi64(v, _mm256_slli_si256(v, 8));
    __m256i lo2 = _mm256_permute4x64_epi64(v, _MM_SHUFFLE(1, 1, 1, 1));
    return _mm256_add_epi64(v, _mm256_blend_epi32(_mm256_setzero_si256(), lo2, 0xf0));
}

static AVX2 inline __m256i lane3(__m256i v)
{
    return _mm256_permute4x64_epi64(v, _MM_SHUFFLE(3, 3, 3, 3));
}

static AVX2 inline __attribute__((always_inline)) size_t
sum4(const uint8_t *p, size_t pos, stream st, size_t n, unsigned per, int twice,
     uint64_t *acc, uint64_t *d, uint64_t *out, double *dout)
{
    unsigned w = st.w;
    __m128i right = _mm_cvtsi32_si128((int)(64 - w)), left = _mm_cvtsi32_si128((int)st.sh);
    __m256i at0 = _mm256_setr_epi64x(0, w, 2 * w, 3 * w);
    __m256i at1 = _mm256_add_epi64(at0, _mm256_set1_epi64x(4 * w));
    __m256i m = _mm256_set1_epi64x((long long)st.min);
    __m256i x = _mm256_set1_epi64x((long long)*acc), dx = _mm256_set1_epi64x((long long)*d);
    __m256i bias = _mm256_set1_epi64x(0x4338000000000000), half = _mm256_set1_epi64x(1LL << 51);
    __m256d magic = _mm256_set1_pd(6755399441055744.0); /* 1.5 * 2^52 */
    __m256i big = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + per <= n; i += per) {
        __m256i word = _mm256_set1_epi64x((long long)bitf_peek57(p, pos));
        pos += per * w;
        for (unsigned g = 0; g < per / 4; g++) {
            __m256i v = _mm256_sllv_epi64(word, g ? at1 : at0);
            v = _mm256_add_epi64(_mm256_sll_epi64(_mm256_srl_epi64(v, right), left), m);
            if (twice) {
                v = _mm256_add_epi64(psum4(v), dx);
                dx = lane3(v);
            }
            v = _mm256_add_epi64(psum4(v), x);
            x = lane3(v);
            if (out) {
                _mm256_storeu_si256((__m256i *)(out + i + 4 * g), v);
            } else {
                big = _mm256_or_si256(big, _mm256_srli_epi64(_mm256_add_epi64(v, half), 52));
                __m256d f = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(v, bias)), magic);
                _mm256_storeu_pd(dout + i + 4 * g, f);
            }
        }
    }
    if (!out && !_mm256_testz_si256(big, big))
        return (size_t)-1;
    *acc = (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(x));
    *d = (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(dx));
    return i;
}

/* sum4 for the widths and outputs the decoder needs: the fields done, or
 * (size_t)-1 when a value was too large for the conversion. */
static AVX2 size_t sum_avx2(const uint8_t *p, size_t pos, stream st, size_t n,
                            int twice, uint64_t *acc, uint64_t *d, uint64_t *out,
                            double *dout)
{
    unsigned per = st.w <= 7 ? 8 : 4;
    if (out)
        return per == 8 ? sum4(p, pos, st, n, 8, 1, acc, d, out, NULL)
                        : sum4(p, pos, st, n, 4, 1, acc, d, out, NULL);
    if (twice)
        return per == 8 ? sum4(p, pos, st, n, 8, 1, acc, d, NULL, dout)
                        : sum4(p, pos, st, n, 4, 1, acc, d, NULL, dout);
    return per == 8 ? sum4(p, pos, st, n, 8, 0, acc, d, NULL, dout)
                    : sum4(p, pos, st, n, 4, 0, acc, d, NULL, dout);
}

/* sum_fields for any width: w = 0 means every field is 0. Timestamps are
 * always summed twice into out; values into dout. */
static inline __attribute__((always_inline)) void
sum_any(const uint8_t *p, size_t pos, stream st, size_t n, int twice,
        uint64_t *acc, uint64_t *d, uint64_t *out, double *dout)
{
    if (st.w == 0) {
        for (size_t i = 0; i < n; i++)
            sum_one(0, st.min, twice, acc, d, out, dout, i);
        return;
    }
    if (st.w <= 14 && n >= 4 && simd_on()) {
        uint64_t x = *acc, dx = *d;
        size_t k = sum_avx2(p, pos, st, n, twice, &x, &dx, out, dout);
        if (k != (size_t)-1) {
            *acc = x;
            *d = dx;
            pos += k * st.w;
            n -= k;
            if (out)
                out += k;
            else
                dout += k;
        }
    }
#define SUM_PER(per) sum_fields(p, pos, st, n, per, twice, acc, d, out, dout)
    if (st.w <= 7)
        SUM_PER(8);
    else if (st.w <= 14)
        SUM_PER(4);
    else if (st.w <= 28)
        SUM_PER(2);
    else
        SUM_PER(1);
#undef SUM_PER
}

/* Reads a stream's minimum, width and shift; -1 when they are damaged or
 * its k fields would run past the chunk's len bytes. */
static inline int get_stream(rd *r, size_t len, size_t k, stream *s)
{
    int bad = 0;
    s->min = unzz(rd_varint(r, &bad));
    s->w = (unsigned)rd_get(r, 7);
    s->sh = (unsigned)rd_get(r, 6);
    return bad || s->w + s->sh > 64 || r->pos + k * s->w > len * 8 ? -1 : 0;
}

/* sum_any over a stream of b[0..len) (its fields known to lie inside):
 * in place while a read cannot pass len, then the fields left from a
 * zero-padded copy of the bytes they are in (at most 17). */
static inline __attribute__((always_inline)) void
sum_stream(const uint8_t *b, size_t len, size_t pos, stream st, size_t n, int twice,
           uint64_t *acc, uint64_t *d, uint64_t *out, double *dout)
{
    size_t k = n;
    if (st.w && ((pos + n * st.w) >> 3) + INT_READ > len) {
        /* The last bit position whose byte still has INT_READ bytes. */
        size_t room = len >= INT_READ ? (len - INT_READ) * 8 + 7 : 0;
        k = pos <= room && len >= INT_READ ? (room - pos) / st.w : 0;
        if (k > n)
            k = n;
    }
    sum_any(b, pos, st, k, twice, acc, d, out, dout);
    if (k == n)
        return;
    size_t at = pos + k * st.w, from = at >> 3;
    uint8_t tail[2 * INT_READ + 8 + 2 * INT_READ];
    memcpy(tail, b + from, len - from);
    memset(tail + (len - from), 0, sizeof tail - (len - from));
    sum_any(tail, at - from * 8, st, n - k, twice, acc, d, out ? out + k : NULL,
            out ? NULL : dout + k);
}

int chunk_int_decode(const uint8_t *b, size_t len, int64_t *ts, double *vs,
                     size_t max)
{
    uint8_t buf[2 * INT_PAD];
    if (len > INT_MAX_BYTES)
        len = INT_MAX_BYTES;
    if (len < CHUNK_HDR_BYTES)
        return HERON_EIO;
    if (len < INT_PAD) {
        memcpy(buf, b, len);
        memset(buf + len, 0, sizeof buf - len);
        b = buf;
    }
    rd r = {b, 0};
    size_t n = (size_t)rd_get(&r, 16);
    if (n == 0)
        return 0;
    if (n > max || n > CHUNK_MAX_SAMPLES)
        return HERON_EIO;
    int bad = 0;
    uint64_t t = unzz(rd_varint(&r, &bad));
    uint64_t d = unzz(rd_varint(&r, &bad));
    size_t nt = n > 2 ? n - 2 : 0;
    stream st;
    if (bad || get_stream(&r, len, nt, &st))
        return HERON_EIO;
    ts[0] = (int64_t)t;
    if (n > 1) {
        t += d;
        ts[1] = (int64_t)t;
    }
    sum_stream(r.p, len, r.pos, st, nt, 1, &t, &d, (uint64_t *)ts + 2, NULL);
    r.pos += nt * st.w;
    /* The second header near the end: read it, and the stream after it,
     * from a padded copy of what is left. */
    size_t from = r.pos >> 3;
    if (r.p != buf && from + INT_HDR_READ(INT_HDR2_BITS) > len) {
        size_t left = from < len ? len - from : 0;
        memcpy(buf, r.p + from, left);
        memset(buf + left, 0, sizeof buf - left);
        r = (rd){buf, r.pos - from * 8};
        len = left;
    }
    unsigned e = (unsigned)rd_get(&r, 4);
    uint64_t x = unzz(rd_varint(&r, &bad));
    int use_dd = (int)rd_get(&r, 1);
    stream sv;
    if (bad || e > MAX_E || get_stream(&r, len, n - 1, &sv))
        return HERON_EIO;
    /* Values as integers (prefix sums, converted on the way), then scaled
     * in a loop of their own, where the divisions pipeline (and vectorise). */
    uint64_t dv = 0;
    vs[0] = (double)(int64_t)x;
    if (use_dd)
        sum_stream(r.p, len, r.pos, sv, n - 1, 1, &x, &dv, NULL, vs + 1);
    else
        sum_stream(r.p, len, r.pos, sv, n - 1, 0, &x, &dv, NULL, vs + 1);
    if (e) {
        double p = pow10s[e];
        for (size_t i = 0; i < n; i++)
            vs[i] /= p;
    }
    return (int)n;
}
