/* eval_rows — a streamed matrix selector turned into rows on two cores.
 *
 * The calling thread alone reads the tsdb (one querier, one series set,
 * as everywhere else) into a ring of batches; the window computations of
 * a batch (the kernel, pure by contract) run on whichever thread is free:
 * a helper thread, started once a second batch is needed, or the calling
 * thread when the ring is full. The calling thread hands the rows to the
 * sink strictly in selection order, so the result does not depend on which
 * thread computed what, nor on whether the helper could be started. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

#define ROWS_SLOTS 4
#define ROWS_BATCH_MAX 32
#define ROWS_BATCH_STEPS 8192 /* series x steps per batch, bounds row memory */

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

typedef struct rows_slot {
    int state; /* under the pipe's mutex */
    size_t n;  /* series in the batch */
    ev_samples smp[ROWS_BATCH_MAX];
    tsdb_label *ls[ROWS_BATCH_MAX];
    size_t nls[ROWS_BATCH_MAX];
    uint8_t any[ROWS_BATCH_MAX];
    double *v;  /* [batch * nsteps] */
    uint8_t *ok;
} rows_slot;

typedef struct rows_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rows_slot slot[ROWS_SLOTS];
    size_t head, tail; /* next batch to hand to the sink, next to read */
    int stop;
    size_t nsteps, batch;
    const int64_t *wend;
    ev_row_kernel kernel;
    const void *karg;
} rows_pipe;

/* Per-thread kernel scratch. */
typedef struct rows_scratch {
    uint32_t *u;
    size_t cap;
} rows_scratch;

/* Computes the rows of slot s; 0 or HERON_ENOMEM (scratch). Called
 * without the mutex by the thread that marked the slot busy. */
static int compute(const rows_pipe *p, rows_slot *s, rows_scratch *x)
{
    for (size_t j = 0; j < s->n; j++) {
        size_t n = s->smp[j].n;
        if (n > x->cap) {
            uint32_t *u = realloc(x->u, n * 2 * sizeof *u);
            if (!u)
                return HERON_ENOMEM;
            x->u = u;
            x->cap = n * 2;
        }
        double *v = s->v + j * p->nsteps;
        uint8_t *ok = s->ok + j * p->nsteps;
        memset(ok, 0, p->nsteps);
        s->any[j] = (uint8_t)p->kernel(p->karg, s->smp[j].s, n, p->wend, x->u, v, ok);
    }
    return 0;
}

/* The oldest batch waiting for its rows, or NULL. Under the mutex. */
static rows_slot *ready_slot(rows_pipe *p)
{
    for (size_t b = p->head; b < p->tail; b++)
        if (p->slot[b % ROWS_SLOTS].state == SLOT_READY)
            return &p->slot[b % ROWS_SLOTS];
    return NULL;
}

/* Takes a ready batch and computes it; 1 if there was one, 0 if not,
 * negative on failure (the batch is put back). Under the mutex, which it
 * drops while computing. */
static int take_and_compute(rows_pipe *p, rows_scratch *x)
{
    rows_slot *s = ready_slot(p);
    if (!s)
        return 0;
    s->state = SLOT_BUSY;
    pthread_mutex_unlock(&p->mu);
    int rc = compute(p, s, x);
    pthread_mutex_lock(&p->mu);
    s->state = rc ? SLOT_READY : SLOT_DONE;
    pthread_cond_broadcast(&p->cv);
    return rc ? rc : 1;
}

static void *helper(void *arg)
{
    rows_pipe *p = arg;
    rows_scratch x = {0};
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        int r = take_and_compute(p, &x);
        if (r < 0) /* out of memory here: the calling thread does the rest */
            break;
        if (r == 0)
            pthread_cond_wait(&p->cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    free(x.u);
    return NULL;
}

/* Reads up to one batch of series into s; 1 if any, 0 at the end,
 * negative on error. */
static int read_batch(rows_pipe *p, ev_sel *sel, rows_slot *s)
{
    s->n = 0;
    while (s->n < p->batch) {
        size_t j = s->n;
        int r = ev_sel_next(sel, &s->smp[j], &s->ls[j], &s->nls[j]);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        s->n++;
    }
    return s->n > 0;
}

/* Hands the rows of batch s to the sink. Each series' samples count
 * against the limit while its row is handed over, as when one series at
 * a time is streamed: the ring's few batches are a constant on top. */
static int drain(rows_pipe *p, rows_slot *s, ev_ctx *c, ev_row_fn sink, void *sarg)
{
    int rc = 0;
    for (size_t j = 0; j < s->n && !rc; j++) {
        if ((rc = ev_count_samples(c, s->smp[j].n)))
            break;
        if (s->any[j])
            rc = sink(sarg, s->ls[j], s->nls[j], s->v + j * p->nsteps, s->ok + j * p->nsteps);
        ev_release_samples(c, s->smp[j].n);
    }
    return rc;
}

/* The pipeline proper, with p set up; the helper is started on demand. */
static int run(rows_pipe *p, ev_sel *sel, ev_row_fn sink, void *sarg)
{
    ev_ctx *c = sel->c;
    pthread_t th;
    int started = 0, eof = 0, rc = 0;
    rows_scratch x = {0};
    pthread_mutex_lock(&p->mu);
    while (!rc) {
        rows_slot *h = &p->slot[p->head % ROWS_SLOTS];
        if (p->head < p->tail && h->state == SLOT_DONE) {
            pthread_mutex_unlock(&p->mu);
            rc = drain(p, h, c, sink, sarg);
            pthread_mutex_lock(&p->mu);
            h->state = SLOT_FREE;
            p->head++;
            continue;
        }
        if (eof && p->head == p->tail)
            break;
        if (!eof && p->tail - p->head < ROWS_SLOTS) {
            rows_slot *t = &p->slot[p->tail % ROWS_SLOTS];
            pthread_mutex_unlock(&p->mu);
            int r = ev_check_time(c);
            if (!r)
                r = read_batch(p, sel, t);
            /* a second batch is worth a second thread */
            if (r == 1 && p->tail == 1 && pthread_create(&th, NULL, helper, p) == 0)
                started = 1;
            pthread_mutex_lock(&p->mu);
            if (r < 0) {
                rc = r;
            } else if (r == 0) {
                eof = 1;
            } else {
                t->state = SLOT_READY;
                p->tail++;
                pthread_cond_broadcast(&p->cv);
            }
            continue;
        }
        int r = take_and_compute(p, &x); /* the ring is full or all read */
        if (r < 0)
            rc = ev_nomem(c);
        else if (r == 0)
            pthread_cond_wait(&p->cv, &p->mu);
    }
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (started)
        pthread_join(th, NULL);
    free(x.u);
    return rc;
}

int ev_selector_rows(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                     ev_row_kernel kernel, const void *karg, ev_row_fn sink,
                     void *sarg)
{
    ev_sel sel;
    int rc = ev_sel_open(c, vs, range_ms, &sel);
    if (rc || c->nsteps == 0) {
        ev_sel_close(&sel);
        return rc;
    }
    rows_pipe *p = calloc(1, sizeof *p);
    if (!p) {
        ev_sel_close(&sel);
        return ev_nomem(c);
    }
    p->nsteps = c->nsteps;
    p->batch = ROWS_BATCH_STEPS / c->nsteps;
    p->batch = p->batch < 1 ? 1 : p->batch > ROWS_BATCH_MAX ? ROWS_BATCH_MAX : p->batch;
    p->wend = sel.tref;
    p->kernel = kernel;
    p->karg = karg;
    for (size_t i = 0; i < ROWS_SLOTS && !rc; i++) {
        p->slot[i].v = malloc(p->batch * p->nsteps * sizeof *p->slot[i].v);
        p->slot[i].ok = malloc(p->batch * p->nsteps);
        if (!p->slot[i].v || !p->slot[i].ok)
            rc = ev_nomem(c);
    }
    if (!rc && pthread_mutex_init(&p->mu, NULL) == 0) {
        if (pthread_cond_init(&p->cv, NULL) == 0) {
            rc = run(p, &sel, sink, sarg);
            pthread_cond_destroy(&p->cv);
        } else {
            rc = ev_nomem(c);
        }
        pthread_mutex_destroy(&p->mu);
    } else if (!rc) {
        rc = ev_nomem(c);
    }
    for (size_t i = 0; i < ROWS_SLOTS; i++) {
        for (size_t j = 0; j < ROWS_BATCH_MAX; j++)
            free(p->slot[i].smp[j].s);
        free(p->slot[i].v);
        free(p->slot[i].ok);
    }
    free(p);
    ev_sel_close(&sel);
    return rc;
}
