/* test_remote_write — the remote_write decoder: round trips through the
 * test sender's encoder, refusals of malformed bodies with a message, and a
 * bounded random driver (fixed seed) that mutates and truncates valid
 * requests: every input must decode or fail cleanly (run under ASan). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <snappy-c.h>

#include "http/remote_write.h"
#include "rw_client.h"

static void sample_batch(rw_batch *b)
{
    static const char *const a[] = {"job", "api", "__name__", "http_requests_total",
                                    "instance", "0", NULL};
    static const char *const c[] = {"__name__", "up", NULL};
    int64_t ts[3] = {1000, 2000, -5};
    double vs[3] = {1.5, NAN, -0.0};
    rw_batch_add(b, a, ts, vs, 3);
    double stale;
    uint64_t bits = TSDB_STALE_NAN_BITS;
    memcpy(&stale, &bits, sizeof stale);
    rw_batch_add(b, c, ts, &stale, 1);
}

static void test_round_trip(void **state)
{
    (void)state;
    rw_batch b;
    rw_batch_init(&b);
    sample_batch(&b);
    char *z;
    size_t zlen;
    assert_int_equal(rw_batch_compress(&b, &z, &zlen), 0);
    rw_request r;
    heron_err err = {0};
    assert_int_equal(rw_decode(z, zlen, &r, &err), 0);
    assert_int_equal(r.nseries, 2);
    assert_int_equal(r.nsamples, 4);
    const rw_series *s = &r.series[0];
    assert_int_equal(s->nlabels, 3);
    assert_string_equal(s->labels[0].name, "__name__"); /* sorted */
    assert_string_equal(s->labels[0].value, "http_requests_total");
    assert_string_equal(s->labels[1].name, "instance");
    assert_string_equal(s->labels[2].name, "job");
    assert_false(s->invalid);
    assert_int_equal(s->nsamples, 3);
    assert_int_equal(s->samples[0].t, 1000);
    assert_true(s->samples[0].v == 1.5);
    assert_true(isnan(s->samples[1].v));
    assert_int_equal(s->samples[2].t, -5);
    assert_true(tsdb_is_stale_nan(r.series[1].samples[0].v));
    rw_request_free(&r);
    free(z);
    rw_batch_free(&b);
}

static void test_invalid_labels_flagged(void **state)
{
    (void)state;
    rw_batch b;
    rw_batch_init(&b);
    static const char *const bad_name[] = {"__name__", "1up", NULL};
    static const char *const dup[] = {"a", "1", "a", "2", NULL};
    static const char *const bad_label[] = {"__name__", "x", "a-b", "1", NULL};
    int64_t t = 1;
    double v = 1;
    rw_batch_add(&b, bad_name, &t, &v, 1);
    rw_batch_add(&b, dup, &t, &v, 1);
    rw_batch_add(&b, bad_label, &t, &v, 1);
    rw_request r;
    assert_int_equal(rw_decode_proto((const unsigned char *)b.pb.data, b.pb.len, &r, NULL), 0);
    assert_int_equal(r.nseries, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(r.series[i].invalid);
    rw_request_free(&r);
    rw_batch_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    rw_request r;
    heron_err err = {0};
    assert_int_equal(rw_decode("", 0, &r, &err), HERON_EINVAL);
    assert_string_equal(err.msg, "snappy: corrupt input");
    assert_int_equal(rw_decode("\xff\xff\xff", 3, &r, &err), HERON_EINVAL);
    /* a length running past the end */
    static const unsigned char trunc[] = {0x0a, 0x10, 0x0a, 0x02};
    assert_int_equal(rw_decode_proto(trunc, sizeof trunc, &r, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "length beyond the end"));
    /* a group wire type */
    static const unsigned char group[] = {0x0b};
    assert_int_equal(rw_decode_proto(group, sizeof group, &r, &err), HERON_EINVAL);
    /* an endless varint */
    static const unsigned char varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(rw_decode_proto(varint, sizeof varint, &r, &err), HERON_EINVAL);
    /* an empty request is fine */
    assert_int_equal(rw_decode_proto(NULL, 0, &r, &err), 0);
    assert_int_equal(r.nseries, 0);
    rw_request_free(&r);
}

static void test_random_mutations(void **state)
{
    (void)state;
    rw_batch b;
    rw_batch_init(&b);
    for (int i = 0; i < 5; i++)
        sample_batch(&b);
    size_t n = b.pb.len;
    unsigned char *m = malloc(n);
    srand(42);
    int ok = 0, refused = 0;
    for (int iter = 0; iter < 50000; iter++) {
        memcpy(m, b.pb.data, n);
        size_t len = n;
        int edits = 1 + rand() % 4;
        for (int e = 0; e < edits; e++) {
            switch (rand() % 3) {
            case 0:
                m[rand() % n] = (unsigned char)rand();
                break;
            case 1:
                m[rand() % n] ^= (unsigned char)(1u << (rand() % 8));
                break;
            default:
                len = (size_t)rand() % (len + 1);
                break;
            }
        }
        rw_request r;
        heron_err err = {0};
        if (rw_decode_proto(m, len, &r, &err) == 0) {
            size_t total = 0;
            for (size_t i = 0; i < r.nseries; i++) {
                total += r.series[i].nsamples;
                for (size_t j = 0; j < r.series[i].nlabels; j++)
                    assert_non_null(r.series[i].labels[j].name);
            }
            assert_int_equal(total, r.nsamples);
            rw_request_free(&r);
            ok++;
        } else {
            assert_true(err.msg[0] != 0);
            refused++;
        }
        /* the same bytes as a snappy body must never crash either */
        if (rw_decode((const char *)m, len, &r, &err) == 0)
            rw_request_free(&r);
    }
    assert_true(ok > 0 && refused > 0);
    free(m);
    rw_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_invalid_labels_flagged),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
