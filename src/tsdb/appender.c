/*
 * appender — batches of samples: checked at append, written to the WAL and
 * applied to the head at commit. Each pending sample pins its series.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/db.h"
#include "tsdb/labels.h"
#include "tsdb/walrec.h"

typedef struct pend {
    mseries *s;
    int64_t t;
    uint64_t vbits;
} pend;

struct tsdb_appender {
    tsdb_db *db;
    pend *p;
    size_t n, cap;
    buf samples, series, rec;
    tsdb_label *scratch; /* labels without empty values; a series' labels */
    size_t scratch_cap;
};

int tsdb_appender_new(tsdb_db *db, tsdb_appender **out, heron_err *err)
{
    tsdb_appender *a = calloc(1, sizeof *a);
    if (!a)
        return err_set(err, HERON_ENOMEM, "out of memory");
    a->db = db;
    buf_init(&a->samples, 0);
    buf_init(&a->series, 0);
    buf_init(&a->rec, 0);
    *out = a;
    return 0;
}

static int grow_scratch(tsdb_appender *a, size_t n)
{
    tsdb_label *s = realloc(a->scratch, n * sizeof *s);
    if (!s)
        return HERON_ENOMEM;
    a->scratch = s;
    a->scratch_cap = n;
    return 0;
}

/* ls without its empty-valued pairs (Prometheus treats them as absent);
 * *null_name tells whether a name is NULL. */
static const tsdb_label *drop_empty(tsdb_appender *a, const tsdb_label *ls,
                                    size_t *n, int *null_name)
{
    size_t k = 0;
    *null_name = 0;
    for (size_t i = 0; i < *n; i++) {
        if (!ls[i].value || !ls[i].value[0])
            k++;
        *null_name |= !ls[i].name;
    }
    if (k == 0)
        return ls;
    if (a->scratch_cap < *n && grow_scratch(a, *n))
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < *n; i++)
        if (ls[i].value && ls[i].value[0])
            a->scratch[w++] = ls[i];
    *n = w;
    return a->scratch;
}

int tsdb_append(tsdb_appender *a, tsdb_ref *ref, const tsdb_label *ls,
                size_t n, int64_t t, double v, heron_err *err)
{
    head *h = a->db->h;
    mseries *s = ref && *ref ? head_get(h, *ref) : NULL;
    if (!s) {
        if (!ls)
            return err_set(err, HERON_EINVAL, "unknown series ref %llu and no labels",
                           (unsigned long long)(ref ? *ref : 0));
        int null_name;
        const tsdb_label *use = drop_empty(a, ls, &n, &null_name);
        if (!use)
            return err_set(err, HERON_ENOMEM, "out of memory");
        /* A set equal to a live series' was valid when that was created:
         * only a new one is validated. */
        s = null_name ? NULL : head_find(h, use, n);
        if (!s) {
            int rc = labels_validate(use, n, h->o.max_name, h->o.max_value, err);
            int created;
            if (rc == 0)
                rc = head_get_or_create(h, use, n, 0, &s, &created, err);
            if (rc)
                return rc;
        }
        if (ref)
            *ref = s->id;
    }
    uint64_t vbits;
    memcpy(&vbits, &v, sizeof vbits);
    int rc = head_check(h, s, t, vbits, err);
    if (rc) {
        head_unpin(s);
        if (rc == HERON_ESTATE)
            atomic_fetch_add(&h->ooo_rejected, 1);
        return rc == 1 ? 0 : rc;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        pend *p = realloc(a->p, cap * sizeof *p);
        if (!p) {
            head_unpin(s);
            return err_set(err, HERON_ENOMEM, "out of memory");
        }
        a->p = p;
        a->cap = cap;
    }
    a->p[a->n++] = (pend){s, t, vbits};
    return 0;
}

static void release(tsdb_appender *a)
{
    for (size_t i = 0; i < a->n; i++)
        head_unpin(a->p[i].s);
    a->n = 0;
}

void tsdb_appender_rollback(tsdb_appender *a)
{
    release(a);
}

/* Encodes the batch: series records for series the WAL has not seen,
 * then the samples. Called with db->log_mu held; marks series logged. */
static int encode_locked(tsdb_appender *a, heron_err *err)
{
    buf_reset(&a->series);
    buf_reset(&a->rec);
    for (size_t i = 0; i < a->n; i++) {
        mseries *s = a->p[i].s;
        if (atomic_load(&s->logged))
            continue;
        size_t n = head_series_labels(a->db->h, s, a->scratch, a->scratch_cap);
        if (n > a->scratch_cap) {
            if (grow_scratch(a, n))
                return err_set(err, HERON_ENOMEM, "out of memory");
            head_series_labels(a->db->h, s, a->scratch, n);
        }
        if (walrec_put_series(&a->series, s->id, a->scratch, n))
            return err_set(err, HERON_ENOMEM, "out of memory");
        atomic_store(&s->logged, 2); /* 2: logged by this batch */
    }
    if (a->series.len &&
        wal_frame(&a->rec, WAL_SERIES, a->series.data, a->series.len))
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (wal_frame(&a->rec, WAL_SAMPLES, a->samples.data, a->samples.len))
        return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

int tsdb_appender_commit(tsdb_appender *a, heron_err *err)
{
    if (a->n == 0)
        return 0;
    tsdb_db *db = a->db;
    buf_reset(&a->samples);
    for (size_t i = 0; i < a->n; i++)
        if (walrec_put_sample(&a->samples, a->p[i].s->id, a->p[i].t,
                              a->p[i].vbits)) {
            release(a);
            return err_set(err, HERON_ENOMEM, "out of memory");
        }
    uint64_t seq = 0;
    pthread_mutex_lock(&db->log_mu);
    int rc = encode_locked(a, err);
    if (rc == 0)
        rc = wal_log(db->w, a->rec.data, a->rec.len, &seq, err);
    /* Settle the flags of series this batch tried to log. */
    for (size_t i = 0; i < a->n; i++) {
        unsigned char two = 2;
        atomic_compare_exchange_strong(&a->p[i].s->logged, &two,
                                       rc == 0 ? 1 : 0);
    }
    pthread_mutex_unlock(&db->log_mu);
    if (rc) {
        release(a);
        return rc;
    }
    if (db->o.wal_sync == TSDB_WAL_SYNC_COMMIT)
        wal_sync(db->w, seq);
    uint64_t added = 0;
    for (size_t i = 0; i < a->n; i++) {
        int r = head_append(db->h, a->p[i].s, a->p[i].t, a->p[i].vbits, NULL);
        added += r == 0;
        if (r < 0 && r != HERON_ESTATE && rc == 0)
            rc = err_set(err, r, "appending to the head: %s", heron_strerror(r));
    }
    atomic_fetch_add(&db->h->appended, added);
    release(a);
    return rc;
}

void tsdb_appender_free(tsdb_appender *a)
{
    if (!a)
        return;
    release(a);
    free(a->p);
    free(a->scratch);
    buf_free(&a->samples);
    buf_free(&a->series);
    buf_free(&a->rec);
    free(a);
}
