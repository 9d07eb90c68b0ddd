/*
 * Appenders, queriers and maintenance at the same time: the head is cut
 * into blocks, blocks are compacted and deleted by retention while queries
 * run. Every query must see strictly increasing timestamps and values equal
 * to what was appended; at the end every committed sample is there.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tutil.h"

#define WRITERS 2
#define SERIES 20
#define STEPS 1500
#define STEP_MS 10000 /* 1500 steps x 10 s = 4h10m of data per series */
/* Blocks of 30 min: the head accepts 15 min (90 steps) behind its newest
 * sample. */

typedef struct shared {
    tsdb_db *db;
    atomic_int writers_done;
    atomic_int failures;
    atomic_int progress[WRITERS]; /* last committed step of each writer */
} shared;

typedef struct writer_arg {
    shared *sh;
    int id;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    tsdb_appender *a;
    if (tsdb_appender_new(w->sh->db, &a, NULL)) {
        atomic_fetch_add(&w->sh->failures, 1);
        return NULL;
    }
    tsdb_ref refs[SERIES] = {0};
    for (int step = 0; step < STEPS; step++) {
        /* Stay within 50 steps of the slowest writer: the head only takes
         * samples up to half a block behind the newest one. The slowest
         * writer never waits, so this ends. */
        for (int k = 0; k < WRITERS; k++)
            while (k != w->id && atomic_load(&w->sh->progress[k]) < step - 50)
                sched_yield();
        for (int s = 0; s < SERIES; s++) {
            char inst[32];
            snprintf(inst, sizeof inst, "w%d-s%d", w->id, s);
            tsdb_label ls[2] = {{"__name__", "stress"}, {"instance", inst}};
            heron_err err = {0};
            if (tsdb_append(a, &refs[s], ls, 2, (int64_t)step * STEP_MS, (double)step,
                            &err)) {
                fprintf(stderr, "append: %s\n", err.msg);
                atomic_fetch_add(&w->sh->failures, 1);
            }
        }
        if (tsdb_appender_commit(a, NULL))
            atomic_fetch_add(&w->sh->failures, 1);
        atomic_store(&w->sh->progress[w->id], step);
    }
    atomic_store(&w->sh->progress[w->id], STEPS + 100);
    tsdb_appender_free(a);
    atomic_fetch_add(&w->sh->writers_done, 1);
    return NULL;
}

static void *reader(void *p)
{
    shared *sh = p;
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "stress");
    for (int round = 0; round < 100000 && atomic_load(&sh->writers_done) < WRITERS;
         round++) {
        tsdb_querier *q;
        tsdb_series_set *set;
        if (tsdb_querier_new(sh->db, INT64_MIN, INT64_MAX, &q, NULL) ||
            tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1, &set, NULL)) {
            atomic_fetch_add(&sh->failures, 1);
            break;
        }
        while (tsdb_series_set_next(set) == 1) {
            tsdb_iterator *it = tsdb_series_set_iterator(set);
            int64_t prev = INT64_MIN;
            int rc;
            while ((rc = tsdb_iterator_next(it)) == 1) {
                int64_t t;
                double v;
                tsdb_iterator_at(it, &t, &v);
                if (t <= prev || v != (double)(t / STEP_MS))
                    atomic_fetch_add(&sh->failures, 1);
                prev = t;
            }
            if (rc < 0)
                atomic_fetch_add(&sh->failures, 1);
        }
        tsdb_series_set_free(set);
        tsdb_querier_free(q);
    }
    tsdb_matcher_free(m);
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_options o = {.block_range_ms = 30 * 60 * 1000, .retention_ms = 100LL * 3600 * 1000,
                      .wal_segment_bytes = 64 << 10};
    shared sh = {0};
    heron_err err = {0};
    assert_int_equal(tsdb_open(dir, &o, &sh.db, &err), 0);
    pthread_t w[WRITERS], r;
    writer_arg wa[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        wa[i] = (writer_arg){&sh, i};
        pthread_create(&w[i], NULL, writer, &wa[i]);
    }
    pthread_create(&r, NULL, reader, &sh);
    int compactions = 0;
    while (atomic_load(&sh.writers_done) < WRITERS && compactions < 100000) {
        if (tsdb_compact(sh.db, &err)) {
            fprintf(stderr, "compact: %s\n", err.msg);
            atomic_fetch_add(&sh.failures, 1);
            break;
        }
        compactions++;
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(r, NULL);
    assert_int_equal(atomic_load(&sh.failures), 0);
    assert_int_equal(tsdb_compact(sh.db, &err), 0);
    tsdb_stats st;
    tsdb_get_stats(sh.db, &st);
    assert_true(st.blocks >= 1);
    /* Everything committed is there, once. */
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "stress");
    size_t series, samples;
    double sum;
    assert_int_equal(tu_count(sh.db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(series, WRITERS * SERIES);
    assert_int_equal(samples, (size_t)WRITERS * SERIES * STEPS);
    assert_true(sum == (double)WRITERS * SERIES * ((double)STEPS * (STEPS - 1) / 2));
    tsdb_matcher_free(m);
    tsdb_close(sh.db);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
