/*
 * test_concurrency.c — updates from several threads on the same and on
 * different children lose nothing: the totals are exact.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heron.h"

#define THREADS 4
#define ROUNDS 200000

typedef struct shared {
    heron_counter *same;
    heron_family *per_thread;
    heron_gauge *gauge;
    heron_histogram *hist;
    heron_summary *summary;
    int index;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    char name[16];
    snprintf(name, sizeof name, "t%d", s->index);
    heron_counter *mine = heron_counter_with(s->per_thread, name);
    for (int i = 0; i < ROUNDS; i++) {
        heron_counter_inc(s->same);
        heron_counter_add(s->same, 0.5);
        heron_counter_inc(mine);
        heron_gauge_inc(s->gauge);
        heron_gauge_add(s->gauge, -0.25);
        heron_histogram_observe(s->hist, (i % 4) * 0.5); /* 0, .5, 1, 1.5 */
        heron_summary_observe(s->summary, 1);
    }
    return NULL;
}

static void totals_are_exact(void **state)
{
    (void)state;
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    heron_family *c, *per, *g, *h, *sm;
    static const char *const labels[] = {"thread", NULL};
    static const double bounds[] = {0.25, 1};
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = r, .name = "same"}, &c, NULL), 0);
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = r, .name = "per", .labels = labels}, &per, NULL), 0);
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = r, .name = "g"}, &g, NULL), 0);
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = r, .name = "h"},
                                         &(heron_buckets){bounds, 2}, &h, NULL), 0);
    assert_int_equal(heron_summary_new(&(heron_opts){.registry = r, .name = "s"}, NULL, &sm, NULL), 0);

    shared s[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        s[i] = (shared){heron_counter_with(c), per, heron_gauge_with(g),
                        heron_histogram_with(h), heron_summary_with(sm), i};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &s[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);

    assert_true(heron_counter_value(heron_counter_with(c)) == THREADS * ROUNDS * 1.5);
    for (int i = 0; i < THREADS; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        assert_true(heron_counter_value(heron_counter_with(per, name)) == ROUNDS);
    }
    assert_true(heron_gauge_value(heron_gauge_with(g)) == THREADS * ROUNDS * 0.75);

    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(r, HERON_FORMAT_TEXT, &out, &len, NULL), 0);
    /* per thread and round: 0 and .5 fall in le=1 (0 also in le=.25) */
    char want[128];
    snprintf(want, sizeof want, "h_bucket{le=\"0.25\"} %d.0\n", THREADS * ROUNDS / 4);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "h_bucket{le=\"1.0\"} %d.0\n", THREADS * ROUNDS * 3 / 4);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "h_count %d.0\n", THREADS * ROUNDS);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "h_sum %d.0\n", THREADS * ROUNDS / 4 * 3);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "s_count %d.0\n", THREADS * ROUNDS);
    assert_non_null(strstr(out, want));
    free(out);
    heron_registry_free(r);
}

/* Threads creating children of one family concurrently get one child per
 * label value, all of them reachable. */
static void *creator(void *arg)
{
    heron_family *f = arg;
    char v[16];
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof v, "%d", i);
        heron_counter_inc(heron_counter_with(f, v));
    }
    return NULL;
}

static void concurrent_child_creation(void **state)
{
    (void)state;
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    heron_family *f;
    static const char *const labels[] = {"id", NULL};
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = r, .name = "made", .labels = labels}, &f, NULL), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, creator, f), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 500; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_true(heron_counter_value(heron_counter_with(f, v)) == THREADS);
    }
    heron_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totals_are_exact),
        cmocka_unit_test(concurrent_child_creation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
