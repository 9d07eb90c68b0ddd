/*
 * Crash recovery: a child process ingests with fsync on commit and reports
 * every committed batch through a pipe; the parent kills it with SIGKILL at
 * a random moment, reopens the store and checks that every committed batch
 * is there. The child also runs compaction, so kills land in head cuts,
 * checkpoints and block writes too.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "tutil.h"

#define NSERIES 8
#define ROUNDS 24

static tsdb_options crash_opts(void)
{
    tsdb_options o = {
        .wal_sync = TSDB_WAL_SYNC_COMMIT,
        .wal_segment_bytes = 16 << 10,
        .block_range_ms = 60000,
    };
    return o;
}

static void child(const char *dir, int64_t first, int fd)
{
    tsdb_options o = crash_opts();
    tsdb_db *db;
    heron_err err = {0};
    if (tsdb_open(dir, &o, &db, &err)) {
        fprintf(stderr, "child open: %s\n", err.msg);
        _exit(3);
    }
    tsdb_appender *a;
    if (tsdb_appender_new(db, &a, NULL))
        _exit(3);
    tsdb_ref refs[NSERIES] = {0};
    /* Bounded even if nobody kills us. */
    for (int64_t b = first; b < first + 200000; b++) {
        for (int s = 0; s < NSERIES; s++) {
            char inst[16];
            snprintf(inst, sizeof inst, "s%d", s);
            tsdb_label ls[2] = {{"__name__", "crash"}, {"instance", inst}};
            if (tsdb_append(a, &refs[s], ls, 2, b * 1000, (double)b, &err)) {
                fprintf(stderr, "child append: %s\n", err.msg);
                _exit(4);
            }
        }
        if (tsdb_appender_commit(a, &err)) {
            fprintf(stderr, "child commit: %s\n", err.msg);
            _exit(5);
        }
        if (write(fd, &b, sizeof b) != sizeof b)
            _exit(6);
        if (b % 40 == 0 && tsdb_compact(db, &err)) {
            fprintf(stderr, "child compact: %s\n", err.msg);
            _exit(7);
        }
    }
    _exit(0);
}

/* Checks every series holds batches 0..k for some k >= last, exactly
 * once each; returns k (the next batch to write is k + 1). */
static int64_t verify(const char *dir, int64_t last)
{
    tsdb_options o = crash_opts();
    tsdb_db *db;
    heron_err err = {0};
    int rc = tsdb_open(dir, &o, &db, &err);
    if (rc)
        fprintf(stderr, "reopen: %s\n", err.msg);
    assert_int_equal(rc, 0);
    tsdb_querier *q;
    tsdb_series_set *set;
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "crash");
    assert_int_equal(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q, NULL), 0);
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1,
                                         &set, NULL), 0);
    int64_t k = -2;
    size_t nseries = 0;
    while (tsdb_series_set_next(set) == 1) {
        nseries++;
        tsdb_iterator *it = tsdb_series_set_iterator(set);
        int64_t want = 0;
        while ((rc = tsdb_iterator_next(it)) == 1) {
            int64_t t;
            double v;
            tsdb_iterator_at(it, &t, &v);
            if (t != want * 1000 || v != (double)want)
                fprintf(stderr, "sample %lld: t=%lld v=%g\n", (long long)want,
                        (long long)t, v);
            assert_true(t == want * 1000 && v == (double)want);
            want++;
        }
        assert_int_equal(rc, 0);
        /* All series end at the same batch (a batch is atomic)... */
        if (k == -2)
            k = want - 1;
        assert_true(want - 1 == k);
    }
    if (last >= 0)
        assert_int_equal(nseries, NSERIES);
    if (k == -2)
        k = -1; /* killed before anything reached the WAL */
    /* ...and nothing committed is missing; at most one more batch (its
     * commit finished but the report did not). */
    assert_true(k >= last && k <= last + 1);
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    tsdb_matcher_free(m);
    tsdb_close(db);
    return k;
}

static void test_sigkill(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    srand((unsigned)time(NULL));
    int64_t next = 0, last = -1;
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(dir, next, p[1]);
        }
        close(p[1]);
        /* Let it run 5..60 ms, then kill it mid-flight. */
        struct timespec ts = {0, (5 + rand() % 56) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fprintf(stderr, "child exited with %d\n", WEXITSTATUS(status));
        assert_true(WIFSIGNALED(status));
        int64_t b;
        ssize_t r;
        while ((r = read(p[0], &b, sizeof b)) == sizeof b)
            last = b;
        close(p[0]);
        next = verify(dir, last) + 1;
        last = next - 1;
    }
    assert_true(last > 0);
    printf("%d rounds, %lld batches committed\n", ROUNDS, (long long)last + 1);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
