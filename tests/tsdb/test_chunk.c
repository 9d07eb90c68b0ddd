/* Round trips of the chunk codecs (XOR, and integer through both its AVX2
 * and scalar decoding paths) on random and edge data, and damaged
 * chunks that must fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsdb/chunk.h"
#include "tsdb/tsdb.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static double bits_to_double(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static uint64_t double_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Encodes n samples, decodes them back and compares bit for bit. */
static void roundtrip(const int64_t *ts, const double *vs, size_t n)
{
    uint8_t *buf = calloc(1, CHUNK_BUF_BYTES(n));
    assert_non_null(buf);
    chunk_enc e;
    chunk_enc_init(&e, buf);
    for (size_t i = 0; i < n; i++) {
        size_t before = chunk_enc_len(&e);
        chunk_enc_append(&e, ts[i], vs[i]);
        assert_true(chunk_enc_len(&e) - before <= CHUNK_SAMPLE_MAX_BYTES);
    }
    size_t len = chunk_enc_len(&e);
    assert_int_equal(chunk_count(buf, len), n);
    chunk_it it;
    chunk_it_init(&it, buf, len);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(chunk_it_next(&it), 1);
        assert_true(it.t == ts[i]);
        assert_true(it.vbits == double_bits(vs[i]));
    }
    assert_int_equal(chunk_it_next(&it), 0);
    assert_int_equal(chunk_it_next(&it), 0);
    /* The batch decoder agrees. */
    int64_t *dt = malloc((n + 1) * sizeof *dt);
    double *dv = malloc((n + 1) * sizeof *dv);
    assert_int_equal(chunk_decode(buf, len, dt, dv, n), (int)n);
    for (size_t i = 0; i < n; i++) {
        assert_true(dt[i] == ts[i]);
        assert_true(double_bits(dv[i]) == double_bits(vs[i]));
    }
    if (n > 1)
        assert_int_equal(chunk_decode(buf, len, dt, dv, n - 1), HERON_EIO);
    free(dt);
    free(dv);
    free(buf);
}

static void test_one_sample(void **state)
{
    (void)state;
    int64_t ts[] = {INT64_MIN, INT64_MAX, 0, -1, 1700000000000};
    double vs[] = {tsdb_stale_nan(), -0.0, 1.5, __builtin_inf(), -1e308};
    for (size_t i = 0; i < 5; i++)
        roundtrip(&ts[i], &vs[i], 1);
}

static void test_empty_chunk(void **state)
{
    (void)state;
    uint8_t buf[CHUNK_BUF_BYTES(1)];
    chunk_enc e;
    chunk_enc_init(&e, buf);
    chunk_it it;
    chunk_it_init(&it, buf, chunk_enc_len(&e));
    assert_int_equal(chunk_it_next(&it), 0);
}

static void test_special_values(void **state)
{
    (void)state;
    double vs[] = {
        0.0, -0.0, __builtin_inf(), -__builtin_inf(), tsdb_stale_nan(),
        __builtin_nan(""), bits_to_double(0x7ff8000000000001ULL),
        bits_to_double(0xfff0000000000123ULL), tsdb_stale_nan(), 1.0,
        bits_to_double(1), bits_to_double(0x8000000000000001ULL),
        1.7976931348623157e308, -2.2250738585072014e-308, 0.1, 0.1, 0.1,
        bits_to_double(0xffffffffffffffffULL), 0.0, bits_to_double(0x8000000000000000ULL),
    };
    size_t n = sizeof vs / sizeof *vs;
    int64_t ts[sizeof vs / sizeof *vs];
    for (size_t i = 0; i < n; i++)
        ts[i] = 1000 + (int64_t)i * 15000;
    roundtrip(ts, vs, n);
    /* The stale marker survives and differs from a plain NaN. */
    assert_true(tsdb_is_stale_nan(tsdb_stale_nan()));
    assert_false(tsdb_is_stale_nan(__builtin_nan("")));
}

static void test_extreme_timestamps(void **state)
{
    (void)state;
    int64_t ts[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, 0, 0, -5, 1,
                    INT64_MAX, INT64_MAX, -1000000000000, 1, 8192, -8193,
                    65536, -65537, 1 << 19, -(1 << 19) - 1, 1, 2};
    size_t n = sizeof ts / sizeof *ts;
    double vs[sizeof ts / sizeof *ts];
    for (size_t i = 0; i < n; i++)
        vs[i] = (double)i;
    roundtrip(ts, vs, n);
}

static void test_dod_bucket_edges(void **state)
{
    (void)state;
    /* Deltas of delta exactly at every bucket boundary, both signs. */
    int64_t edges[] = {0, 1, -1, 8191, -8192, 8192, -8193, 65535, -65536,
                       65536, -65537, 524287, -524288, 524288, -524289,
                       INT64_MAX / 4, INT64_MIN / 4};
    size_t ne = sizeof edges / sizeof *edges;
    int64_t ts[64];
    double vs[64];
    int64_t t = 0, d = 0;
    size_t n = 0;
    for (size_t i = 0; i < ne && n < 64; i++) {
        d += edges[i];
        t = (int64_t)((uint64_t)t + (uint64_t)d);
        ts[n] = t;
        vs[n] = (double)i;
        n++;
    }
    roundtrip(ts, vs, n);
}

static void test_random(void **state)
{
    (void)state;
    enum { N = 2000 };
    int64_t *ts = malloc(N * sizeof *ts);
    double *vs = malloc(N * sizeof *vs);
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd() % N;
        int64_t t = (int64_t)rnd();
        double v = 0;
        int kind = round % 5;
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
            case 0: /* regular scrape with jitter, counter */
                t += 15000 + (int64_t)(rnd() % 41) - 20;
                v += (double)(rnd() % 100);
                break;
            case 1: /* random walk gauge */
                t += 10000;
                v += ((double)(rnd() % 2001) - 1000.0) / 7.0;
                break;
            case 2: /* arbitrary bits and times */
                t = (int64_t)rnd();
                v = bits_to_double(rnd());
                break;
            case 3: /* few distinct values, identical timestamps */
                t += (int64_t)(rnd() % 3);
                v = (double)(rnd() % 3);
                break;
            default: /* mix of specials */
                t += (int64_t)(rnd() % 1000000) - 500000;
                switch (rnd() % 4) {
                case 0: v = tsdb_stale_nan(); break;
                case 1: v = bits_to_double(0x7ff8000000000000ULL | (rnd() & 0xfffff)); break;
                case 2: v = -0.0; break;
                default: v = (double)(int64_t)rnd(); break;
                }
            }
            ts[i] = t;
            vs[i] = v;
        }
        roundtrip(ts, vs, n);
    }
    free(ts);
    free(vs);
}

/* Truncated and bit-flipped chunks: every outcome is a clean 0/1/EIO. */
static void test_damaged(void **state)
{
    (void)state;
    uint8_t buf[CHUNK_BUF_BYTES(130)];
    chunk_enc e;
    chunk_enc_init(&e, buf);
    for (int i = 0; i < 120; i++)
        chunk_enc_append(&e, 1000 + i * 15000 + (i % 7), bits_to_double(rnd()));
    size_t len = chunk_enc_len(&e);
    uint8_t copy[sizeof buf];
    for (size_t cut = 0; cut < len; cut++) {
        chunk_it it;
        chunk_it_init(&it, buf, cut);
        int rc, steps = 0;
        while ((rc = chunk_it_next(&it)) == 1)
            steps++;
        assert_true(rc == HERON_EIO || (rc == 0 && cut < CHUNK_HDR_BYTES));
        assert_true(steps <= 120);
        int64_t dt[130];
        double dv[130];
        assert_int_equal(chunk_decode(buf, cut, dt, dv, 130), HERON_EIO);
    }
    for (int flip = 0; flip < 5000; flip++) {
        memcpy(copy, buf, len);
        size_t bit = rnd() % (len * 8);
        copy[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        chunk_it it;
        chunk_it_init(&it, copy, len);
        int rc, steps = 0;
        while ((rc = chunk_it_next(&it)) == 1)
            steps++;
        assert_true(rc == 0 || rc == HERON_EIO);
        assert_true(steps <= 65535);
        static int64_t dt[65536];
        static double dv[65536];
        rc = chunk_decode(copy, len, dt, dv, 65536);
        assert_true(rc == HERON_EIO || (rc >= 0 && rc == steps));
    }
}

/* The integer encoding: exact round trips where it applies, refusal
 * where it cannot be exact. */
static int int_roundtrip(const int64_t *ts, const double *vs, size_t n)
{
    uint64_t bits[CHUNK_MAX_SAMPLES];
    for (size_t i = 0; i < n; i++)
        bits[i] = double_bits(vs[i]);
    uint8_t buf[4096];
    size_t len = chunk_int_encode(ts, vs, n, buf, sizeof buf);
    if (len == 0)
        return 0;
    int64_t dt[CHUNK_MAX_SAMPLES];
    double dv[CHUNK_MAX_SAMPLES];
    /* Both decoding paths: AVX2 (where the CPU has it) and scalar. */
    for (int simd = 1; simd >= 0; simd--) {
        chunk_int_simd(simd);
        memset(dt, 0, sizeof dt);
        memset(dv, 0, sizeof dv);
        assert_int_equal(chunk_decode_enc(CHUNK_ENC_INT, buf, len, dt, dv,
                                          CHUNK_MAX_SAMPLES),
                         (int)n);
        for (size_t i = 0; i < n; i++) {
            assert_true(dt[i] == ts[i]);
            assert_true(double_bits(dv[i]) == bits[i]);
        }
    }
    chunk_int_simd(1);
    assert_int_equal(chunk_count(buf, len), n);
    /* Damage never crashes the decoder; the bytes lie in a heap block of
     * exactly their length, so that ASan sees any read past them. */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *part = malloc(cut ? cut : 1);
        assert_non_null(part);
        memcpy(part, buf, cut);
        int rc = chunk_int_decode(part, cut, dt, dv, CHUNK_MAX_SAMPLES);
        assert_true(rc == HERON_EIO || (rc >= 0 && rc <= (int)n));
        free(part);
    }
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    /* Intact, from exactly its length: decoded in place up to the last
     * bytes, which only the padded tail copy may read past. */
    memcpy(copy, buf, len);
    assert_int_equal(chunk_int_decode(copy, len, dt, dv, CHUNK_MAX_SAMPLES), (int)n);
    for (size_t i = 0; i < n; i++) {
        assert_true(dt[i] == ts[i]);
        assert_true(double_bits(dv[i]) == bits[i]);
    }
    for (int f = 0; f < 200; f++) {
        memcpy(copy, buf, len);
        size_t bit = rnd() % (len * 8);
        copy[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        int rc = chunk_int_decode(copy, len, dt, dv, CHUNK_MAX_SAMPLES);
        assert_true(rc == HERON_EIO || (rc >= 0 && rc <= CHUNK_MAX_SAMPLES));
    }
    free(copy);
    return 1;
}

/* Every field width of the integer encoding's streams at many chunk
 * lengths: timestamps whose deltas-of-delta span exactly w bits (0..64),
 * values (integers, or tenths) whose deltas span about as many bits as
 * 2^53 allows, both with shared trailing zero bits (a shift) on some
 * rounds. The lengths cover partial and whole groups of fields per 64-bit
 * load (8, 4 and 2 per load). */
static void test_int_widths(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16,
                                  17, 18, 31, 33, 63, 64, 65, 66, 100, 119, 120};
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    for (unsigned w = 0; w <= 64; w++) {
        uint64_t span = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
        unsigned wv = w % 52;
        uint64_t vspan = (UINT64_C(1) << wv) - 1;
        for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
            size_t n = lens[k];
            uint64_t m = rnd(), t = rnd(), d = rnd();
            int tenths = (w + k) % 3 == 0;
            unsigned tsh = k % 2 ? (unsigned)(rnd() % (65 - w)) : 0;
            unsigned vsh = k % 3 ? (unsigned)(rnd() % (53 - wv)) : 0;
            for (size_t i = 0; i < n; i++) {
                if (i >= 2) {
                    uint64_t z = i == 2 ? 0 : i == 3 ? span : rnd() & span;
                    d += m + (tsh < 64 ? z << tsh : 0);
                }
                if (i >= 1)
                    t += d;
                ts[i] = (int64_t)t;
                int64_t x = ((int64_t)(rnd() & vspan) - (int64_t)(vspan / 2)) *
                            (int64_t)(UINT64_C(1) << vsh);
                vs[i] = tenths ? (double)(x / 16) / 10.0 : (double)x;
            }
            assert_true(int_roundtrip(ts, vs, n));
        }
    }
}

static void test_int_encoding(void **state)
{
    (void)state;
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    for (int round = 0; round < 400; round++) {
        size_t n = 1 + rnd() % CHUNK_MAX_SAMPLES;
        int64_t t = (int64_t)(rnd() >> 1) - (INT64_MAX / 2);
        double v = (double)(int64_t)(rnd() % 1000000) - 500000;
        int kind = round % 5;
        for (size_t i = 0; i < n; i++) {
            t += kind == 4 ? (int64_t)(rnd() % 100000) - 50000 : 15000 + (int64_t)(rnd() % 3);
            switch (kind) {
            case 0: v += (double)(rnd() % 50); break;                 /* counter */
            case 1: v = (double)(400 + rnd() % 200) / 10.0; break;    /* one decimal */
            case 2: v = (double)((int64_t)(rnd() % 2000000) - 1000000) / 1000.0; break;
            case 3: v = 9007199254740992.0 - (double)(rnd() % 5); break; /* 2^53 */
            default: v = (double)((int64_t)(rnd() % 100) - 50) * 0.25; break;
            }
            ts[i] = t;
            vs[i] = v;
        }
        assert_true(int_roundtrip(ts, vs, n));
    }
    /* Values it must refuse: NaN, stale marker, infinities, -0.0, too many
     * decimals, beyond 2^53. */
    double bad[] = {__builtin_nan(""), tsdb_stale_nan(), __builtin_inf(), -0.0,
                    0.1234567891234, 1e300, 3.0e16 + 2};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        for (size_t i = 0; i < 10; i++) {
            ts[i] = (int64_t)i * 1000;
            vs[i] = i == 5 ? bad[k] : (double)i;
        }
        assert_false(int_roundtrip(ts, vs, 10));
    }
    /* Around the limits of the AVX2 conversion to double (|x| < 2^51). */
    static const double edges[] = {2251799813685248.0 - 2, -2251799813685248.0 - 2,
                                   4503599627370496.0 - 3, -4503599627370496.0 + 1};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++) {
        for (size_t i = 0; i < 40; i++) {
            ts[i] = (int64_t)i * 15000;
            vs[i] = edges[k] + (double)(i % 5);
        }
        assert_true(int_roundtrip(ts, vs, 40));
    }
    /* One sample, identical timestamps, extreme deltas. */
    ts[0] = INT64_MIN;
    vs[0] = 0;
    assert_true(int_roundtrip(ts, vs, 1));
    int64_t ext[] = {INT64_MIN, INT64_MAX, 0, 0, 0, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < 7; i++)
        vs[i] = (double)(i * 3);
    assert_true(int_roundtrip(ext, vs, 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sample),
        cmocka_unit_test(test_empty_chunk),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_extreme_timestamps),
        cmocka_unit_test(test_dod_bucket_edges),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_int_encoding),
        cmocka_unit_test(test_int_widths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
