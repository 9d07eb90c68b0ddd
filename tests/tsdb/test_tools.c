/* Postings set operations, the head's postings index, self-metrics on a
 * registry, and the analyze / import tools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tsdb/idlist.h"
#include "tsdb/idtable.h"
#include "tsdb/intern.h"
#include "tsdb/mem_postings.h"
#include "tutil.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_list(plist *p, uint64_t range)
{
    p->n = 0;
    size_t n = rnd() % 50;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(plist_push(p, rnd() % range), 0);
    plist_sort_unique(p);
}

static int has(const plist *p, uint64_t x)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i] == x)
            return 1;
    return 0;
}

static void test_plist_ops(void **state)
{
    (void)state;
    plist a = {0}, b = {0}, out = {0};
    for (int round = 0; round < 500; round++) {
        uint64_t range = 1 + rnd() % 100;
        random_list(&a, range);
        random_list(&b, range);
        for (int op = 0; op < 3; op++) {
            if (op == 0)
                assert_int_equal(plist_intersect(&a, &b, &out), 0);
            else if (op == 1)
                assert_int_equal(plist_union(&a, &b, &out), 0);
            else
                assert_int_equal(plist_subtract(&a, &b, &out), 0);
            for (size_t i = 1; i < out.n; i++)
                assert_true(out.v[i - 1] < out.v[i]);
            for (uint64_t x = 0; x < range; x++) {
                int ia = has(&a, x), ib = has(&b, x);
                int want = op == 0 ? ia && ib : op == 1 ? ia || ib : ia && !ib;
                assert_int_equal(has(&out, x), want);
            }
        }
    }
    /* Out-of-order inserts keep the list sorted and unique. */
    a.n = 0;
    uint64_t ins[] = {5, 3, 9, 3, 1, 7, 9};
    for (size_t i = 0; i < sizeof ins / sizeof *ins; i++)
        assert_int_equal(plist_insert(&a, ins[i]), 0);
    assert_int_equal(a.n, 5);
    for (size_t i = 1; i < a.n; i++)
        assert_true(a.v[i - 1] < a.v[i]);
    plist_free(&a);
    plist_free(&b);
    plist_free(&out);
}

static void test_mem_postings(void **state)
{
    (void)state;
    intern *in;
    mem_postings *mp;
    assert_int_equal(intern_new(&in), 0);
    assert_int_equal(mem_postings_new(in, &mp), 0);
    size_t empty = intern_bytes(in);
    for (uint64_t id = 1; id <= 100; id++) {
        char v[8];
        snprintf(v, sizeof v, "%llu", (unsigned long long)(id % 10));
        tsdb_label ls[2] = {{"job", id % 2 ? "odd" : "even"}, {"mod", v}};
        uint32_t pairs[2];
        assert_int_equal(mem_postings_add(mp, id, ls, 2, pairs), 0);
        /* The pair ids name the strings back. */
        for (int k = 0; k < 2; k++) {
            tsdb_label l = mem_postings_pair(mp, pairs[k]);
            assert_string_equal(l.name, ls[k].name);
            assert_string_equal(l.value, ls[k].value);
        }
    }
    plist p = {0};
    assert_int_equal(mem_postings_get(mp, "job", "odd", &p), 0);
    assert_int_equal(p.n, 50);
    p.n = 0;
    assert_int_equal(mem_postings_get(mp, "mod", "3", &p), 0);
    assert_int_equal(p.n, 10);
    /* Deleting every id with mod=3 drops that value entirely. */
    plist dead = {0};
    assert_int_equal(plist_append(&dead, p.v, p.n), 0);
    assert_int_equal(mem_postings_delete(mp, &dead), 0);
    p.n = 0;
    assert_int_equal(mem_postings_get(mp, "mod", "3", &p), 0);
    assert_int_equal(p.n, 0);
    tsdb_strings vals = {0};
    assert_int_equal(mem_postings_values(mp, "mod", &vals), 0);
    assert_int_equal(vals.n, 9);
    tsdb_strings_free(&vals);
    p.n = 0;
    assert_int_equal(mem_postings_all(mp, &p), 0);
    assert_int_equal(p.n, 90);
    assert_int_equal(mem_postings_get(mp, "nope", "x", &p), 0);
    assert_true(mem_postings_bytes(mp) > 0);
    /* A freed pair's id is reused; remove undoes one add exactly. */
    tsdb_label fresh[2] = {{"job", "odd"}, {"zone", "a"}};
    uint32_t fp[2];
    assert_int_equal(mem_postings_add(mp, 1000, fresh, 2, fp), 0);
    assert_true(fp[1] < 13); /* 12 pairs were ever numbered, one freed */
    mem_postings_remove(mp, 1000, fp, 2);
    p.n = 0;
    assert_int_equal(mem_postings_get(mp, "zone", "a", &p), 0);
    assert_int_equal(p.n, 0);
    p.n = 0;
    assert_int_equal(mem_postings_get(mp, "job", "odd", &p), 0);
    assert_int_equal(p.n, 40); /* 50 odd ids, less the 10 with mod=3 */
    plist_free(&p);
    plist_free(&dead);
    size_t during = intern_bytes(in);
    assert_true(during > empty);
    mem_postings_free(mp);
    /* Every string is released; only the hash tables' buckets remain. */
    assert_true(intern_bytes(in) < during);
    intern_free(in);
}

/* idlist against a plist, with ids on both sides of 2^32 so that lists
 * widen part way. */
static void test_idlist(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        idlist l = {0};
        plist ref = {0}, dead = {0}, out = {0};
        uint64_t base = round % 2 ? (UINT64_C(1) << 32) - 100 : 1;
        for (int i = 0; i < 300; i++) {
            uint64_t id = base + rnd() % (round % 5 ? 200 : 1000000);
            assert_int_equal(idlist_insert(&l, id), 0);
            assert_int_equal(plist_push(&ref, id), 0);
            if (rnd() % 7 == 0)
                assert_int_equal(plist_push(&dead, base + rnd() % 200), 0);
        }
        plist_sort_unique(&ref);
        plist_sort_unique(&dead);
        assert_int_equal(idlist_copy(&l, &out), 0);
        assert_int_equal(out.n, ref.n);
        assert_memory_equal(out.v, ref.v, ref.n * sizeof *ref.v);
        /* Subtract and remove agree with the reference. */
        idlist_subtract(&l, &dead);
        plist rest = {0};
        assert_int_equal(plist_subtract(&ref, &dead, &rest), 0);
        if (rest.n) {
            idlist_remove(&l, rest.v[rest.n / 2]);
            memmove(rest.v + rest.n / 2, rest.v + rest.n / 2 + 1,
                    (rest.n - rest.n / 2 - 1) * sizeof *rest.v);
            rest.n--;
        }
        idlist_remove(&l, 0); /* absent: no-op */
        out.n = 0;
        assert_int_equal(idlist_copy(&l, &out), 0);
        assert_int_equal(out.n, rest.n);
        if (rest.n)
            assert_memory_equal(out.v, rest.v, rest.n * sizeof *rest.v);
        /* Wide exactly when the ids ever spanned two upper halves. */
        assert_int_equal(l.wide, ref.v[0] >> 32 != ref.v[ref.n - 1] >> 32);
        idlist_free(&l);
        plist_free(&ref);
        plist_free(&dead);
        plist_free(&out);
        plist_free(&rest);
    }
}

/* The id table: lookups, per-slot scans in id order, clearing, leaves
 * freed once empty, the id range. Entries are the ids themselves. */
static void test_idtable(void **state)
{
    (void)state;
    idtable *t;
    assert_int_equal(idtable_new(&t), 0);
    const uint64_t far = UINT64_C(1) << 40;
    for (uint64_t id = 1; id <= 3 * IDTABLE_SLOTS; id++)
        assert_int_equal(idtable_set(t, id, (void *)(uintptr_t)id), 0);
    assert_int_equal(idtable_set(t, far + 5, (void *)(uintptr_t)(far + 5)), 0);
    assert_int_equal(idtable_set(t, IDTABLE_MAX_ID + 1, (void *)1), HERON_ERANGE);
    assert_null(idtable_get(t, IDTABLE_MAX_ID + 1));
    assert_null(idtable_get(t, 0));
    assert_null(idtable_get(t, far));
    for (uint64_t id = 1; id <= 3 * IDTABLE_SLOTS; id++)
        assert_int_equal((uintptr_t)idtable_get(t, id), id);
    /* Slot 5 holds ids 5, 5 + 4096, 5 + 8192 and far + 5, in that order. */
    uint64_t leaf = 0, want[] = {5, 5 + IDTABLE_SLOTS, 5 + 2 * IDTABLE_SLOTS, far + 5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal((uintptr_t)idtable_scan(t, 5, &leaf), want[i]);
    assert_null(idtable_scan(t, 5, &leaf));
    /* Emptying the first leaf (ids 1..4095; id 0 is never used) frees it
     * on shrink, and scans start past it. */
    size_t before = idtable_bytes(t);
    for (uint64_t id = 1; id < IDTABLE_SLOTS; id++)
        idtable_clear(t, id);
    idtable_shrink(t, 2 * IDTABLE_SLOTS);
    assert_true(idtable_bytes(t) < before);
    assert_null(idtable_get(t, 5));
    leaf = 0;
    assert_int_equal((uintptr_t)idtable_scan(t, 5, &leaf), 5 + IDTABLE_SLOTS);
    /* A leaf that still has entries stays. */
    idtable_shrink(t, far);
    assert_int_equal((uintptr_t)idtable_get(t, 2 * IDTABLE_SLOTS), 2 * IDTABLE_SLOTS);
    idtable_free(t);
}

static void test_metrics(void **state)
{
    (void)state;
    heron_registry *reg;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    char *dir = tu_tempdir();
    tsdb_options o = {.registry = reg, .wal_sync = TSDB_WAL_SYNC_COMMIT};
    tsdb_db *db;
    assert_int_equal(tsdb_open(dir, &o, &db, NULL), 0);
    tsdb_appender *a;
    assert_int_equal(tsdb_appender_new(db, &a, NULL), 0);
    tsdb_label ls[1] = {{"__name__", "m"}};
    assert_int_equal(tsdb_append(a, NULL, ls, 1, 2000, 1, NULL), 0);
    assert_int_equal(tsdb_appender_commit(a, NULL), 0);
    assert_int_equal(tsdb_append(a, NULL, ls, 1, 1000, 1, NULL), HERON_ESTATE);
    tsdb_appender_free(a);
    char *text;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL), 0);
    const char *want[] = {
        "heron_tsdb_head_series 1", "heron_tsdb_head_samples_appended_total 1",
        "heron_tsdb_out_of_order_samples_total 1", "heron_tsdb_wal_fsync_duration_seconds_count",
        "heron_tsdb_compactions_total 0", "heron_tsdb_wal_corruptions_total 0",
        "heron_tsdb_blocks_loaded 0", "heron_tsdb_head_chunks 0",
        "heron_tsdb_retention_deletions_total 0", "heron_tsdb_storage_blocks_bytes 0",
        "heron_tsdb_head_index_bytes ", "heron_tsdb_head_chunks_storage_bytes 0",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!strstr(text, want[i]))
            fprintf(stderr, "missing %s in:\n%s\n", want[i], text);
        assert_non_null(strstr(text, want[i]));
    }
    free(text);
    tsdb_close(db);
    /* Closing unregisters: the registry can host a new database. */
    assert_int_equal(tsdb_open(dir, &o, &db, NULL), 0);
    tsdb_close(db);
    heron_registry_free(reg);
    tu_rmtree(dir);
    free(dir);
}

static void test_import_analyze(void **state)
{
    (void)state;
    char *dir = tu_tempdir();
    char file[4200], db_dir[4200];
    snprintf(file, sizeof file, "%s/in.om", dir);
    snprintf(db_dir, sizeof db_dir, "%s/db", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "# TYPE http_requests counter\n");
    /* Series interleaved and out of order across 10 hours. */
    for (int i = 0; i < 600; i++)
        for (int s = 0; s < 3; s++)
            fprintf(f, "http_requests_total{code=\"%d\",path=\"/a \\\"q\\\"\"} %d %d.%03d\n",
                    200 + s, i, 1700000000 + (599 - i) * 60, s);
    fprintf(f, "up 1 1700000000\n# EOF\n");
    fclose(f);
    uint64_t n = 0;
    heron_err err = {0};
    int rc = tsdb_import_openmetrics(file, db_dir, 0, &n, &err);
    if (rc)
        fprintf(stderr, "import: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 1801);
    tsdb_options o = {0};
    tsdb_db *db;
    assert_int_equal(tsdb_open(db_dir, &o, &db, NULL), 0);
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    assert_true(st.blocks >= 5);
    assert_int_equal(st.head_series, 0);
    tsdb_matcher *m = tu_m(TSDB_MATCH_EQ, "path", "/a \"q\"");
    size_t series = 0, samples = 0;
    double sum = 0;
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_int_equal(series, 3);
    assert_int_equal(samples, 1800);
    assert_true(sum == 3 * 599 * 600 / 2);
    tsdb_matcher_free(m);
    tsdb_close(db);

    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    assert_int_equal(tsdb_analyze(db_dir, NULL, 5, mem, &err), 0);
    fclose(mem);
    assert_non_null(strstr(out, "BLOCK ID"));
    assert_non_null(strstr(out, "Highest cardinality labels"));
    assert_non_null(strstr(out, "__name__=\"http_requests_total\""));
    free(out);
    mem = open_memstream(&out, &len);
    assert_int_equal(tsdb_analyze(db_dir, "0000000000NOSUCHBLOCK00000", 5, mem, &err),
                     HERON_ENOENT);
    fclose(mem);
    free(out);

    /* Older data imported into a directory that has newer blocks: the
     * new blocks overlap nothing and are simply added. */
    f = fopen(file, "w");
    fprintf(f, "old 7 1600000000\nold 8 1600000060\n# EOF\n");
    fclose(f);
    assert_int_equal(tsdb_import_openmetrics(file, db_dir, 0, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(tsdb_open(db_dir, &o, &db, NULL), 0);
    m = tu_m(TSDB_MATCH_EQ, "__name__", "old");
    assert_int_equal(tu_count(db, (const tsdb_matcher *const *)&m, 1, INT64_MIN,
                              INT64_MAX, &series, &samples, &sum), 0);
    assert_true(samples == 2 && sum == 15);
    tsdb_matcher_free(m);
    tsdb_close(db);

    /* A malformed line is reported with its number. */
    f = fopen(file, "w");
    fprintf(f, "ok 1 1700000000\nbad{x=1} 2 3\n");
    fclose(f);
    snprintf(db_dir, sizeof db_dir, "%s/db2", dir);
    assert_int_equal(tsdb_import_openmetrics(file, db_dir, 0, &n, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "in.om:2"));
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plist_ops),
        cmocka_unit_test(test_mem_postings),
        cmocka_unit_test(test_idlist),
        cmocka_unit_test(test_idtable),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_import_analyze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
