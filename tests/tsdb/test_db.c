/* The database through its public API: appends, queries, limits,
 * out-of-order handling, restart, deletion, blocks and compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tutil.h"

static tsdb_db *open_db(const char *dir, const tsdb_options *o)
{
    tsdb_db *db = NULL;
    heron_err err = {0};
    int rc = tsdb_open(dir, o, &db, &err);
    if (rc)
        fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return db;
}

static void append1(tsdb_appender *a, const char *name, const char *inst,
                    int64_t t, double v)
{
    tsdb_label ls[3];
    size_t n = tu_labels(ls, 3, "__name__", name, "instance", inst, NULL);
    heron_err err = {0};
    int rc = tsdb_append(a, NULL, ls, n, t, v, &err);
    if (rc)
        fprintf(stderr, "append: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

static void test_append_query(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    for (int i = 0; i < 500; i++) {
        append1(a, "up", "a", 1000 + i * 15000, 1);
        append1(a, "up", "b", 1000 + i * 15000, 0);
        append1(a, "http_requests_total", "a", 1000 + i * 15000, i);
    }
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "up");
    size_t series, samples;
    double sum;
    /* Nothing is visible before commit. */
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(series, 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(series, 2);
    assert_int_equal(samples, 1000);
    assert_true(sum == 500);
    /* Range restriction, inclusive on both ends. */
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, 1000,
                              1000 + 15000, &series, &samples, NULL), 0);
    assert_int_equal(samples, 4);

    /* Rollback leaves nothing behind. */
    append1(a, "up", "a", 1000 + 500 * 15000, 1);
    tsdb_appender_rollback(a);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, NULL), 0);
    assert_int_equal(samples, 1000);

    /* Series come back sorted by labels, with seekable iterators. */
    tsdb_querier *q;
    tsdb_series_set *set;
    tsdb_matcher *all = tu_m(TSDB_MATCH_RE, "__name__", ".+");
    assert_int_equal(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q, NULL), 0);
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&all, 1,
                                         &set, NULL), 0);
    const char *want[] = {"http_requests_total", "up", "up"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tsdb_series_set_next(set), 1);
        size_t n;
        const tsdb_label *ls = tsdb_series_set_labels(set, &n);
        assert_int_equal(n, 2);
        assert_string_equal(ls[0].name, "__name__");
        assert_string_equal(ls[0].value, want[i]);
        tsdb_iterator *it = tsdb_series_set_iterator(set);
        assert_int_equal(tsdb_iterator_seek(it, 1000 + 300 * 15000 - 1), 1);
        int64_t t;
        double v;
        tsdb_iterator_at(it, &t, &v);
        assert_true(t == 1000 + 300 * 15000);
        if (i == 0)
            assert_true(v == 300);
        assert_int_equal(tsdb_iterator_seek(it, 0), 1); /* never backwards */
        tsdb_iterator_at(it, &t, NULL);
        assert_true(t == 1000 + 300 * 15000);
        assert_int_equal(tsdb_iterator_seek(it, INT64_MAX), 0);
    }
    assert_int_equal(tsdb_series_set_next(set), 0);
    tsdb_series_set_free(set);

    tsdb_strings names, values;
    assert_int_equal(tsdb_querier_label_names(q, NULL, 0, &names, NULL), 0);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.v[0], "__name__");
    assert_string_equal(names.v[1], "instance");
    tsdb_strings_free(&names);
    assert_int_equal(tsdb_querier_label_values(q, "instance",
                                               (const tsdb_matcher *const *)&m, 1,
                                               &values, NULL), 0);
    assert_int_equal(values.n, 2);
    assert_string_equal(values.v[0], "a");
    assert_string_equal(values.v[1], "b");
    tsdb_strings_free(&values);
    tsdb_querier_free(q);

    tsdb_matcher_free(m);
    tsdb_matcher_free(all);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

/* Samples in [mint, maxt] of the series selected by m, read one at a time
 * with next(), checking their order and range. */
static size_t count_one_by_one(tsdb_db *db, tsdb_matcher *m, int64_t mint,
                               int64_t maxt)
{
    tsdb_querier *q;
    tsdb_series_set *set;
    assert_int_equal(tsdb_querier_new(db, mint, maxt, &q, NULL), 0);
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1,
                                         &set, NULL), 0);
    size_t n = 0;
    while (tsdb_series_set_next(set) == 1) {
        tsdb_iterator *it = tsdb_series_set_iterator(set);
        int64_t t, prev = INT64_MIN;
        while (tsdb_iterator_next(it) == 1) {
            tsdb_iterator_at(it, &t, NULL);
            assert_true(t > prev && t >= mint && t <= maxt);
            prev = t;
            n++;
        }
    }
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    return n;
}

static void test_out_of_order_and_duplicates(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    tsdb_label ls[2];
    size_t n = tu_labels(ls, 2, "__name__", "x", NULL);
    tsdb_ref ref = 0;
    assert_int_equal(tsdb_append(a, &ref, ls, n, 10000, 1, NULL), 0);
    assert_true(ref != 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    heron_err err = {0};
    /* Older: rejected with a message naming the series. */
    assert_int_equal(tsdb_append(a, &ref, NULL, 0, 9999, 1, &err), HERON_ESTATE);
    assert_non_null(strstr(err.msg, "out of order"));
    assert_non_null(strstr(err.msg, "__name__=\"x\""));
    /* Same timestamp, other value: rejected; identical: ignored. */
    assert_int_equal(tsdb_append(a, &ref, NULL, 0, 10000, 2, &err), HERON_ESTATE);
    assert_int_equal(tsdb_append(a, &ref, NULL, 0, 10000, 1, &err), 0);
    /* The stale marker is a value like any other, kept bit for bit. */
    assert_int_equal(tsdb_append(a, &ref, NULL, 0, 20000, tsdb_stale_nan(), NULL), 0);
    assert_int_equal(tsdb_append(a, &ref, NULL, 0, 30000, __builtin_nan(""), NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    assert_int_equal(st.out_of_order_samples, 2);
    assert_int_equal(st.head_samples_appended, 3);

    tsdb_querier *q;
    tsdb_series_set *set;
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "x");
    assert_int_equal(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q, NULL), 0);
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1,
                                         &set, NULL), 0);
    assert_int_equal(tsdb_series_set_next(set), 1);
    tsdb_iterator *it = tsdb_series_set_iterator(set);
    int64_t t;
    double v;
    assert_int_equal(tsdb_iterator_next(it), 1);
    assert_int_equal(tsdb_iterator_next(it), 1);
    tsdb_iterator_at(it, &t, &v);
    assert_true(t == 20000 && tsdb_is_stale_nan(v));
    assert_int_equal(tsdb_iterator_next(it), 1);
    tsdb_iterator_at(it, &t, &v);
    assert_true(t == 30000 && v != v && !tsdb_is_stale_nan(v));
    assert_int_equal(tsdb_iterator_next(it), 0);
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    tsdb_matcher_free(m);
    tsdb_appender_free(a);
    tsdb_close(db);

    /* With an out-of-order window, late samples are accepted and merged. */
    tu_rmtree(dir);
    tsdb_options o = {.ooo_window_ms = 60000};
    db = open_db(dir, &o);
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    ref = 0;
    for (int i = 0; i < 100; i++)
        assert_int_equal(tsdb_append(a, &ref, ls, n, 100000 + i * 1000, i, NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(tsdb_append(a, &ref, ls, n, 150000 + i * 1000 + 500, -1, NULL), 0);
    assert_int_equal(tsdb_append(a, &ref, ls, n, 1000, -1, &err), HERON_ESTATE);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    size_t series, samples;
    double sum;
    m = tu_m(TSDB_MATCH_EQ, "__name__", "x");
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(samples, 150);
    assert_true(sum == 4950 - 50);
    tsdb_matcher_free(m);

    /* Late samples older than the newest block: a block overlapping the
     * old one, merged by compaction, no sample lost or doubled. */
    assert_int_equal(tsdb_flush_head(db, NULL), 0);
    tsdb_stats st2;
    tsdb_get_stats(db, &st2);
    assert_int_equal(st2.head_series, 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(tsdb_append(a, &ref, ls, n, 150000 + i * 1000 + 250, 1000, NULL), 0);
    /* A duplicate of what the block holds is dropped at query time. */
    assert_int_equal(tsdb_append(a, &ref, ls, n, 190000, 90, NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    m = tu_m(TSDB_MATCH_EQ, "__name__", "x");
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(samples, 170);
    assert_true(sum == 4950 - 50 + 20000);
    /* Part of the range, where the merged samples start below mint and end
     * above maxt: 51 in time, 20 + 20 late ones. */
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, 120000,
                              170000, &series, &samples, NULL), 0);
    assert_int_equal(samples, 91);
    assert_int_equal(count_one_by_one(db, m, 120000, 170000), 91);
    assert_int_equal(tsdb_flush_head(db, NULL), 0);
    assert_int_equal(tsdb_compact(db, NULL), 0);
    tsdb_get_stats(db, &st2);
    assert_int_equal(st2.blocks, 1);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(samples, 170);
    assert_true(sum == 4950 - 50 + 20000);
    tsdb_matcher_free(m);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

/* Full head chunks go to the integer encoding when exact, stay XOR
 * otherwise; either way every value comes back bit for bit, from the head
 * and from a block. */
static double mixed_value(int i)
{
    switch ((i / 120) % 4) {
    case 0: return (double)(i * 7);                  /* integers */
    case 1: return (double)(i % 1000) / 100.0;       /* two decimals */
    case 2: return i % 13 == 0 ? tsdb_stale_nan() : 1.0 / (i + 1); /* XOR */
    default: return i % 2 ? -0.0 : 1e300;            /* XOR */
    }
}

static void check_mixed(tsdb_db *db, int n)
{
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "mixed");
    tsdb_querier *q;
    tsdb_series_set *set;
    assert_int_equal(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q, NULL), 0);
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1,
                                         &set, NULL), 0);
    assert_int_equal(tsdb_series_set_next(set), 1);
    tsdb_iterator *it = tsdb_series_set_iterator(set);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tsdb_iterator_next(it), 1);
        int64_t t;
        double v, want = mixed_value(i);
        tsdb_iterator_at(it, &t, &v);
        assert_true(t == (int64_t)i * 10000);
        assert_memory_equal(&v, &want, sizeof v);
    }
    assert_int_equal(tsdb_iterator_next(it), 0);
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    tsdb_matcher_free(m);
}

static void test_head_chunk_encodings(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    tsdb_label ls[1] = {{"__name__", "mixed"}};
    tsdb_ref ref = 0;
    int n = 120 * 8 + 17;
    for (int i = 0; i < n; i++)
        assert_int_equal(tsdb_append(a, &ref, ls, 1, (int64_t)i * 10000,
                                     mixed_value(i), NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_appender_free(a);
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    assert_true(st.head_chunks >= 8);
    check_mixed(db, n);
    assert_int_equal(tsdb_flush_head(db, NULL), 0);
    check_mixed(db, n);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

/* Reads every sample of the one series of set, checking order; returns
 * how many there were and the last timestamp. */
static size_t read_series(tsdb_series_set *set, int64_t *last)
{
    assert_int_equal(tsdb_series_set_next(set), 1);
    tsdb_iterator *it = tsdb_series_set_iterator(set);
    size_t n = 0;
    int rc;
    *last = INT64_MIN;
    while ((rc = tsdb_iterator_next(it)) == 1) {
        int64_t t;
        double v;
        tsdb_iterator_at(it, &t, &v);
        assert_true(t > *last);
        assert_true(v == (double)(t / 1000));
        *last = t;
        n++;
    }
    assert_int_equal(rc, 0);
    return n;
}

/* A query reads a series' open chunk when its iterator gets there, not at
 * select time. Samples appended in between may show up but never past the
 * query's end, and a chunk cut in between is found among the full ones. */
static void test_open_chunk_read_late(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    tsdb_label ls[1] = {{"__name__", "late"}};
    tsdb_ref ref = 0;
    int64_t t = 0;
    for (; t < 50 * 1000; t += 1000)
        assert_int_equal(tsdb_append(a, &ref, ls, 1, t, (double)(t / 1000), NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "__name__", "late");
    for (int cut = 0; cut < 2; cut++) {
        tsdb_querier *q;
        tsdb_series_set *set;
        int64_t qmax = t + 5 * 1000 - 1; /* five more samples may show */
        assert_int_equal(tsdb_querier_new(db, 0, qmax, &q, NULL), 0);
        assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1,
                                             &set, NULL), 0);
        int64_t before = t;
        /* 10 more samples; 150 cut the open chunk (120 samples at most). */
        for (int64_t end = t + (cut ? 150 : 10) * 1000; t < end; t += 1000)
            assert_int_equal(tsdb_append(a, &ref, ls, 1, t, (double)(t / 1000), NULL), 0);
        assert_int_equal(tsdb_appender_commit(a, NULL), 0);
        int64_t last;
        size_t n = read_series(set, &last);
        assert_true(n >= (size_t)(before / 1000));
        /* Read late, so the samples appended since show, up to qmax. */
        assert_int_equal(last, qmax - 999);
        tsdb_series_set_free(set);
        tsdb_querier_free(q);
    }
    tsdb_matcher_free(m);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

/* An empty store takes samples of any age; then the head's window
 * follows the data, as in Prometheus. */
static void test_appendable_window(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    /* A second open of the same directory is refused while this one lives. */
    tsdb_db *again = NULL;
    heron_err lerr = {0};
    assert_int_equal(tsdb_open(dir, NULL, &again, &lerr), HERON_ESTATE);
    assert_non_null(strstr(lerr.msg, "in use"));
    assert_null(again);
    append1(a, "old", "a", 1000, 1);           /* 1970 */
    append1(a, "old", "a", 2000, 2);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    append1(a, "new", "a", 1700000000000, 3);  /* 2023 */
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_label ls[3];
    size_t n = tu_labels(ls, 3, "__name__", "late", "instance", "a", NULL);
    heron_err err = {0};
    assert_int_equal(tsdb_append(a, NULL, ls, n, 3000, 1, &err), HERON_ESTATE);
    assert_non_null(strstr(err.msg, "out of bounds"));
    /* Within half a block range of the newest sample is fine. */
    assert_int_equal(tsdb_append(a, NULL, ls, n, 1700000000000 - 3599000, 1, &err), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

static void test_limits_and_bad_labels(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_options o = {.max_series = 3, .max_label_value_len = 8};
    tsdb_db *db = open_db(dir, &o);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    heron_err err = {0};
    char inst[8];
    for (int i = 0; i < 3; i++) {
        snprintf(inst, sizeof inst, "i%d", i);
        append1(a, "m", inst, 1000, 1);
    }
    tsdb_label ls[3];
    size_t n = tu_labels(ls, 3, "__name__", "m", "instance", "i9", NULL);
    assert_int_equal(tsdb_append(a, NULL, ls, n, 1000, 1, &err), HERON_ERANGE);
    assert_non_null(strstr(err.msg, "series limit of 3"));
    n = tu_labels(ls, 3, "__name__", "m", "instance", "i0", NULL);
    assert_int_equal(tsdb_append(a, NULL, ls, n, 2000, 1, &err), 0); /* existing is fine */
    n = tu_labels(ls, 3, "__name__", "m", "instance", "much-too-long", NULL);
    assert_int_equal(tsdb_append(a, NULL, ls, n, 1000, 1, &err), HERON_ERANGE);
    assert_non_null(strstr(err.msg, "instance"));
    tsdb_label unsorted[2] = {{"b", "1"}, {"a", "1"}};
    assert_int_equal(tsdb_append(a, NULL, unsorted, 2, 1000, 1, &err), HERON_EINVAL);
    tsdb_label dup[2] = {{"a", "1"}, {"a", "2"}};
    assert_int_equal(tsdb_append(a, NULL, dup, 2, 1000, 1, &err), HERON_EINVAL);
    tsdb_label empty_name[1] = {{"", "1"}};
    assert_int_equal(tsdb_append(a, NULL, empty_name, 1, 1000, 1, &err), HERON_EINVAL);
    assert_int_equal(tsdb_append(a, NULL, NULL, 0, 1000, 1, &err), HERON_EINVAL);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

/* Prometheus' matcher semantics, incl. labels that are absent. */
static void test_matchers(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    const char *vals[] = {"foo", "bar", "foo.bar", "a|b", "x+y", "", "Foo", "foo\nbar"};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        char id[8];
        snprintf(id, sizeof id, "%zu", i);
        tsdb_label ls[3];
        size_t n = tu_labels(ls, 3, "__name__", "m", "id", id, "v", vals[i], NULL);
        assert_int_equal(tsdb_append(a, NULL, ls, n, 1000, (double)i, NULL), 0);
    }
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    struct {
        tsdb_match_type t;
        const char *v;
        size_t want;
    } cases[] = {
        {TSDB_MATCH_EQ, "foo", 1},
        {TSDB_MATCH_EQ, "", 1},          /* the series without v */
        {TSDB_MATCH_NEQ, "", 7},
        {TSDB_MATCH_NEQ, "foo", 7},      /* includes the one without v */
        {TSDB_MATCH_RE, "foo", 1},       /* anchored */
        {TSDB_MATCH_RE, "fo", 0},
        {TSDB_MATCH_RE, "foo|bar", 2},   /* literal alternation */
        {TSDB_MATCH_RE, "foo.*", 3},     /* prefix: foo, foo.bar, foo\nbar */
        {TSDB_MATCH_RE, "foo\\.bar", 1},
        {TSDB_MATCH_RE, "a\\|b", 1},
        {TSDB_MATCH_RE, "x\\+y", 1},
        {TSDB_MATCH_RE, "(?i)foo", 2},
        {TSDB_MATCH_RE, ".*", 8},        /* matches "" too: everything */
        {TSDB_MATCH_RE, ".+", 7},
        {TSDB_MATCH_RE, "|foo", 2},      /* "" or foo */
        {TSDB_MATCH_RE, "f.*r", 2},      /* . matches newline */
        {TSDB_MATCH_NRE, "foo.*", 5},
        {TSDB_MATCH_NRE, "", 7},
        {TSDB_MATCH_NRE, ".*", 0},
        {TSDB_MATCH_RE, "b|ba|bar", 1},  /* alternation ordering */
    };
    tsdb_matcher *name = tu_m(TSDB_MATCH_EQ, "__name__", "m");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tsdb_matcher *m = tu_m(cases[i].t, "v", cases[i].v);
        const tsdb_matcher *ms[2] = {name, m};
        size_t series, samples;
        assert_int_equal(tu_count(db, ms, 2, INT64_MIN, INT64_MAX, &series,
                                  &samples, NULL), 0);
        if (series != cases[i].want)
            fprintf(stderr, "case %zu: v %d \"%s\": %zu series, want %zu\n", i,
                    cases[i].t, cases[i].v, series, cases[i].want);
        assert_int_equal(series, cases[i].want);
        tsdb_matcher_free(m);
    }
    /* A matcher on a label nobody has. */
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "nope", "");
    const tsdb_matcher *ms[2] = {name, m};
    size_t series, samples;
    assert_int_equal(tu_count(db, ms, 2, INT64_MIN, INT64_MAX, &series, &samples, NULL), 0);
    assert_int_equal(series, 8);
    tsdb_matcher_free(m);
    heron_err err = {0};
    assert_int_equal(tsdb_matcher_new(TSDB_MATCH_RE, "v", "(unclosed", &m, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "(unclosed"));
    tsdb_matcher_free(name);
    tsdb_appender_free(a);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

static void fill(tsdb_db *db, int nseries, int64_t from, int64_t to, int64_t step)
{
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    tsdb_ref *refs = calloc((size_t)nseries, sizeof *refs);
    for (int64_t t = from; t < to; t += step) {
        for (int s = 0; s < nseries; s++) {
            char inst[16];
            snprintf(inst, sizeof inst, "i%03d", s);
            tsdb_label ls[3];
            size_t n = tu_labels(ls, 3, "__name__", s % 2 ? "odd" : "even",
                                 "instance", inst, NULL);
            heron_err err = {0};
            int rc = tsdb_append(a, &refs[s], ls, n, t, (double)(t / step + s), &err);
            if (rc)
                fprintf(stderr, "append: %s\n", err.msg);
            assert_int_equal(rc, 0);
        }
        assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    }
    free(refs);
    tsdb_appender_free(a);
}

static void expect(tsdb_db *db, size_t series, size_t samples, double sum)
{
    tsdb_matcher *m = tu_m(TSDB_MATCH_RE, "__name__", "odd|even");
    size_t s = 0, n = 0;
    double x = 0;
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &s, &n, &x), 0);
    if (s != series || n != samples || x != sum)
        fprintf(stderr, "got %zu series %zu samples sum %g; want %zu %zu %g\n",
                s, n, x, series, samples, sum);
    assert_int_equal(s, series);
    assert_int_equal(n, samples);
    assert_true(x == sum);
    tsdb_matcher_free(m);
}

static double expected_sum(int nseries, int64_t from, int64_t to, int64_t step)
{
    double sum = 0;
    for (int64_t t = from; t < to; t += step)
        for (int s = 0; s < nseries; s++)
            sum += (double)(t / step + s);
    return sum;
}

#define HOUR (3600 * 1000LL)

static void test_restart_replays_wal(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_options o = {.wal_segment_bytes = 64 << 10};
    tsdb_db *db = open_db(dir, &o);
    fill(db, 20, 0, HOUR, 15000);
    double sum = expected_sum(20, 0, HOUR, 15000);
    expect(db, 20, 20 * 240, sum);
    tsdb_close(db);
    db = open_db(dir, &o);
    expect(db, 20, 20 * 240, sum);
    /* Appends continue where they were; refs of replayed series work. */
    fill(db, 20, HOUR, HOUR + 60000, 15000);
    tsdb_close(db);
    db = open_db(dir, &o);
    expect(db, 20, 20 * 244, expected_sum(20, 0, HOUR + 60000, 15000));
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

static void test_blocks_compaction_retention(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_options o = {.block_range_ms = HOUR, .retention_ms = 100 * HOUR,
                      .wal_segment_bytes = 256 << 10};
    tsdb_db *db = open_db(dir, &o);
    /* 7 hours of data: the head is cut into 1h blocks as time goes on. */
    for (int h = 0; h < 7; h++) {
        fill(db, 10, h * HOUR, (h + 1) * HOUR, 30000);
        assert_int_equal(tsdb_compact(db, NULL), 0);
    }
    double sum = expected_sum(10, 0, 7 * HOUR, 30000);
    expect(db, 10, 10 * 7 * 120, sum);
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    assert_true(st.blocks >= 1);
    /* Level 2 (3h) blocks appear once a 3h window is complete. */
    assert_true(st.blocks < 5);
    tsdb_close(db);
    /* Reopen: blocks + checkpointed WAL give the same data. */
    db = open_db(dir, &o);
    expect(db, 10, 10 * 7 * 120, sum);
    assert_int_equal(tsdb_flush_head(db, NULL), 0);
    expect(db, 10, 10 * 7 * 120, sum);
    tsdb_get_stats(db, &st);
    assert_int_equal(st.head_series, 0);

    /* Deletion: tombstones hide samples at once, clean-up rewrites. */
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "instance", "i003");
    assert_int_equal(tsdb_delete(db, (const tsdb_matcher *const *)&m, 1, 0,
                                 2 * HOUR - 1, NULL), 0);
    double deleted = 0;
    for (int64_t t = 0; t < 2 * HOUR; t += 30000)
        deleted += (double)(t / 30000 + 3);
    expect(db, 10, 10 * 7 * 120 - 240, sum - deleted);
    assert_int_equal(tsdb_clean_tombstones(db, NULL), 0);
    expect(db, 10, 10 * 7 * 120 - 240, sum - deleted);
    tsdb_close(db);
    db = open_db(dir, &o);
    expect(db, 10, 10 * 7 * 120 - 240, sum - deleted);
    tsdb_close(db);

    /* Time retention: blocks are [0,3h) [3h,6h) [6h,7h) by now; keeping
     * 3h deletes the blocks that end at or before 7h - 3h = 4h. */
    o.retention_ms = 3 * HOUR;
    db = open_db(dir, &o);
    assert_int_equal(tsdb_compact(db, NULL), 0);
    tsdb_matcher *all = tu_m(TSDB_MATCH_RE, "__name__", "odd|even");
    size_t s, n;
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&all, 1, INT64_MIN,
                              3 * HOUR - 1, &s, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&all, 1, 3 * HOUR,
                              INT64_MAX, &s, &n, NULL), 0);
    assert_int_equal(n, 10 * 4 * 120);
    tsdb_get_stats(db, &st);
    assert_int_equal(st.blocks, 2);
    /* Size retention deletes the oldest blocks first and stops once under
     * the limit, counting the WAL and head chunk files as Prometheus does:
     * one byte less than all of it drops [3h,6h) only, although both
     * blocks alone would fit. */
    tsdb_close(db);
    db = open_db(dir, &o);
    tsdb_appender *late;
    assert_int_equal(tsdb_appender_new(db, &late, NULL), 0);
    for (int i = 0; i < 10; i++)
        append1(late, "odd", "w", 7 * HOUR + i * 1000, i);
    assert_int_equal(tsdb_appender_commit(late, NULL), 0);
    tsdb_appender_free(late);
    tsdb_get_stats(db, &st);
    assert_int_equal(st.blocks, 2);
    assert_true(st.wal_bytes > 0);
    uint64_t total = st.block_bytes + st.wal_bytes + st.head_chunk_file_bytes;
    tsdb_close(db);
    o.retention_bytes = (int64_t)total - 1;
    db = open_db(dir, &o);
    assert_int_equal(tsdb_compact(db, NULL), 0);
    tsdb_get_stats(db, &st);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&all, 1, INT64_MIN,
                              6 * HOUR - 1, &s, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&all, 1, 6 * HOUR,
                              INT64_MAX, &s, &n, NULL), 0);
    assert_int_equal(n, 10 * 120 + 10); /* the block [6h,7h) and the head */
    uint64_t before = st.blocks;
    tsdb_close(db);
    o.retention_bytes = 1;
    db = open_db(dir, &o);
    assert_int_equal(tsdb_compact(db, NULL), 0);
    tsdb_get_stats(db, &st);
    assert_true(st.blocks < before);
    assert_int_equal(st.blocks, 0);
    tsdb_matcher_free(all);
    tsdb_matcher_free(m);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}

static void test_concurrent_appenders(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_query),
        cmocka_unit_test(test_out_of_order_and_duplicates),
        cmocka_unit_test(test_appendable_window),
        cmocka_unit_test(test_head_chunk_encodings),
        cmocka_unit_test(test_limits_and_bad_labels),
        cmocka_unit_test(test_matchers),
        cmocka_unit_test(test_restart_replays_wal),
        cmocka_unit_test(test_blocks_compaction_retention),
        cmocka_unit_test(test_open_chunk_read_late),
        cmocka_unit_test(test_concurrent_appenders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <pthread.h>

typedef struct worker {
    tsdb_db *db;
    int id;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    tsdb_appender *a;
    if (tsdb_appender_new(w->db, &a, NULL))
        return (void *)1;
    tsdb_ref refs[50] = {0};
    for (int64_t t = 0; t < 100; t++) {
        for (int s = 0; s < 50; s++) {
            char inst[32];
            snprintf(inst, sizeof inst, "w%d-%d", w->id, s);
            tsdb_label ls[3];
            size_t n = tu_labels(ls, 3, "__name__", s % 2 ? "odd" : "even",
                                 "instance", inst, NULL);
            if (tsdb_append(a, &refs[s], ls, n, t * 1000, 1, NULL))
                return (void *)1;
        }
        if (tsdb_appender_commit(a, NULL))
            return (void *)1;
    }
    tsdb_appender_free(a);
    return NULL;
}

static void test_concurrent_appenders(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    tsdb_db *db = open_db(dir, NULL);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){db, i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    expect(db, 200, 200 * 100, 200 * 100);
    tsdb_close(db);
    db = open_db(dir, NULL);
    expect(db, 200, 200 * 100, 200 * 100);
    tsdb_close(db);
    tu_rmtree(dir);
    free(dir);
}
