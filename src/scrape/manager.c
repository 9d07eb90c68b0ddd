/*
 * manager.c — targets, worker threads and reloads (see scrape.h).
 *
 * Locks: m->mu guards the job table, the target lists and the current
 * config; each worker's mu guards only its add/stop queues. Order: m->mu
 * before a worker's mu. Workers never take m->mu; file reads, DNS and HTTP
 * happen with no lock held.
 */
#include "scrape/manager.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hclock.h"
#include "core/hlog.h"
#include "scrape/fetch.h"
#include "scrape/sd_file.h"
#include "scrape/smap.h"
#include "scrape/target.h"

typedef struct cfgref {
    scrape_config *c;
    atomic_int refs;
} cfgref;

typedef struct worker worker;

typedef struct mtarget {
    struct mtarget *next;  /* the job's list (m->mu) */
    struct mtarget *wnext; /* the worker's list (worker only) */
    struct mtarget *qnext; /* a worker queue (worker's mu) */
    scrape_target t;       /* labels for the API (m->mu) */
    uint64_t id;
    cfgref *cfg;
    const scrape_job *job; /* inside cfg */
    scrape_loop *loop;
    worker *w;
    atomic_int scraped;    /* scraped at least once */
    atomic_size_t over_limit; /* targets in the job when over target_limit, else 0 */
    /* worker only */
    char *url, *address;
    int64_t interval_ms, next_ms;
    scrape_fetch f;
} mtarget;

struct worker {
    scrape_manager *m;
    pthread_t th;
    CURLM *multi;
    pthread_mutex_t mu;
    mtarget *addq, *stopq;
    int quit, started;
    mtarget *list;
};

typedef struct mjob {
    char *name;
    uint64_t fp;
    mtarget *targets;
    scrape_target *dropped;
    size_t ndropped;
    scrape_static_config *sd;   /* last good file_sd groups */
    size_t nsd;
    uint64_t sd_sig;
    int64_t sd_read_ms;
} mjob;

struct scrape_manager {
    scrape_manager_opts o;
    char *listen;
    pthread_mutex_t mu;
    pthread_mutex_t reload_mu; /* one reload at a time */
    cfgref *cfg;
    mjob *jobs;
    size_t njobs;
    worker *w;
    unsigned nw, rr;
    pthread_t sd_th;
    int sd_started;
    pthread_mutex_t sd_mu;
    pthread_cond_t sd_cv;
    int quit;
    heron_gauge *reload_ok, *reload_ts, *active;
    heron_counter *scrapes_ok, *scrapes_failed;
    heron_histogram *duration;
};

static int64_t now_ms(void)
{
    return hclock_wall_ns() / 1000000;
}

static void cfgref_put(cfgref *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
        scrape_config_free(r->c);
        free(r);
    }
}

/* ---- one scrape ---- */

static void finish_fetch(mtarget *t, CURLcode res)
{
    scrape_manager *m = t->w->m;
    scrape_fetch_result r;
    scrape_fetch_done(&t->f, t->w->multi, res, &r);
    double dur = (double)(hclock_mono_ns() - t->f.start_ns) / 1e9;
    int rc = scrape_loop_ingest(t->loop, r.body, r.len, r.format, t->f.start_ms, dur, r.error,
                                NULL);
    if (m->duration)
        heron_histogram_observe(m->duration, (double)(hclock_mono_ns() - t->f.start_ns) / 1e9);
    if (rc == 0 && m->scrapes_ok)
        heron_counter_inc(m->scrapes_ok);
    else if (rc < 0 && m->scrapes_failed)
        heron_counter_inc(m->scrapes_failed);
    atomic_store(&t->scraped, 1);
}

/* ---- workers ---- */

static void mtarget_free(mtarget *t)
{
    scrape_loop_free(t->loop);
    scrape_target_free(&t->t);
    scrape_fetch_free(&t->f);
    free(t->url);
    free(t->address);
    cfgref_put(t->cfg);
    free(t);
}

static void stop_target(worker *w, mtarget *t)
{
    scrape_fetch_cancel(&t->f, w->multi);
    scrape_loop_stop(t->loop, now_ms());
    mtarget_free(t);
}

static void schedule(mtarget *t, int64_t now)
{
    /* First scrape at a phase of the interval fixed by the target's
     * identity, so targets spread over the interval. */
    int64_t iv = t->interval_ms;
    int64_t phase = (int64_t)(t->id % (uint64_t)iv);
    int64_t next = now - now % iv + phase;
    if (next < now)
        next += iv;
    t->next_ms = next;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        mtarget *add = w->addq, *stop = w->stopq;
        int quit = w->quit;
        w->addq = w->stopq = NULL;
        pthread_mutex_unlock(&w->mu);
        int64_t now = now_ms();
        for (mtarget *t = add, *n; t; t = n) {
            n = t->qnext;
            schedule(t, now);
            t->wnext = w->list;
            w->list = t;
        }
        for (mtarget *t = stop, *n; t; t = n) {
            n = t->qnext;
            for (mtarget **pp = &w->list; *pp; pp = &(*pp)->wnext)
                if (*pp == t) {
                    *pp = t->wnext;
                    break;
                }
            stop_target(w, t);
        }
        if (quit)
            break;
        for (mtarget *t = w->list; t; t = t->wnext) {
            if (t->f.in_flight || now < t->next_ms)
                continue;
            size_t over = atomic_load(&t->over_limit);
            if (over) {
                char why[128];
                snprintf(why, sizeof why,
                         "target_limit exceeded (number of targets: %zu, limit: %llu)", over,
                         (unsigned long long)t->job->target_limit);
                scrape_loop_ingest(t->loop, NULL, 0, SCRAPE_FORMAT_TEXT, now, 0, why, NULL);
                atomic_store(&t->scraped, 1);
            } else if (scrape_fetch_start(&t->f, w->multi, t) < 0)
                scrape_loop_ingest(t->loop, NULL, 0, SCRAPE_FORMAT_TEXT, now, 0,
                                   "cannot start the HTTP request", NULL);
            while (t->next_ms <= now)
                t->next_ms += t->interval_ms;
        }
        int running;
        curl_multi_perform(w->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            mtarget *t;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            finish_fetch(t, msg->data.result);
        }
        now = now_ms();
        int64_t wait = 1000;
        for (mtarget *t = w->list; t; t = t->wnext)
            if (!t->f.in_flight && t->next_ms - now < wait)
                wait = t->next_ms - now;
        if (wait < 0)
            wait = 0;
        curl_multi_poll(w->multi, NULL, 0, (int)wait, NULL);
    }
    for (mtarget *t = w->list, *n; t; t = n) {
        n = t->wnext;
        stop_target(w, t);
    }
    w->list = NULL;
    return NULL;
}

static void worker_push(worker *w, mtarget *t, int stop)
{
    pthread_mutex_lock(&w->mu);
    mtarget **q = stop ? &w->stopq : &w->addq;
    t->qnext = NULL;
    while (*q)
        q = &(*q)->qnext; /* keep order: adds before stops of the same target */
    *q = t;
    pthread_mutex_unlock(&w->mu);
    curl_multi_wakeup(w->multi);
}

/* ---- jobs and targets ---- */

/* What makes two scrapes of the same target alike: the job's settings. */
static uint64_t job_fingerprint(const scrape_job *j)
{
    buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s|%lld|%lld|%s|%s|%d|%d|%llu|%llu|%llu|%llu|%lld|", j->job_name,
               (long long)j->scrape_interval_ms, (long long)j->scrape_timeout_ms,
               j->metrics_path, j->scheme, j->honor_labels, j->honor_timestamps,
               (unsigned long long)j->sample_limit, (unsigned long long)j->label_limit,
               (unsigned long long)j->label_name_length_limit,
               (unsigned long long)j->label_value_length_limit, (long long)j->body_size_limit);
    const scrape_http_config *h = &j->http;
    const char *s[] = {h->basic_auth.username, h->basic_auth.password, h->basic_auth.password_file,
                       h->authorization.type, h->authorization.credentials,
                       h->authorization.credentials_file, h->tls_config.ca_file,
                       h->tls_config.cert_file, h->tls_config.key_file,
                       h->tls_config.server_name, h->tls_config.min_version, h->proxy_url};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        buf_printf(&b, "%s|", s[i] ? s[i] : "");
    buf_printf(&b, "%d|%d|%d|", h->tls_config.insecure_skip_verify, h->follow_redirects,
               h->enable_http2);
    for (size_t i = 0; i < j->nmetric_relabel_configs; i++) {
        const scrape_relabel *r = &j->metric_relabel_configs[i];
        buf_printf(&b, "%d|%s|%s|%llu|%s|%s|", r->action, r->separator, r->regex,
                   (unsigned long long)r->modulus, r->target_label, r->replacement);
        for (size_t k = 0; k < r->nsource; k++)
            buf_printf(&b, "%s,", r->source_labels[k]);
    }
    uint64_t h64 = smap_hash(b.data ? b.data : "", b.len);
    buf_free(&b);
    return h64;
}

static mtarget *new_mtarget(scrape_manager *m, cfgref *cfg, const scrape_job *j,
                            scrape_target *t, uint64_t id)
{
    mtarget *mt = calloc(1, sizeof *mt);
    if (mt == NULL)
        return NULL;
    scrape_loop_opts lo = {
        .db = m->o.db,
        .labels = &t->labels,
        .honor_labels = j->honor_labels,
        .honor_timestamps = j->honor_timestamps,
        .sample_limit = j->sample_limit,
        .label_limit = j->label_limit,
        .label_name_length_limit = j->label_name_length_limit,
        .label_value_length_limit = j->label_value_length_limit,
        .metric_relabel = j->metric_relabel_configs,
        .nmetric_relabel = j->nmetric_relabel_configs,
    };
    heron_err err = {0};
    if (scrape_loop_new(&lo, &mt->loop, &err) < 0 || (mt->url = strdup(t->url)) == NULL ||
        (mt->address = strdup(t->address)) == NULL) {
        scrape_loop_free(mt->loop);
        free(mt->url);
        free(mt);
        return NULL;
    }
    mt->t = *t;
    memset(t, 0, sizeof *t);
    mt->id = id;
    mt->cfg = cfg;
    atomic_fetch_add(&cfg->refs, 1);
    mt->job = j;
    mt->interval_ms = mt->t.interval_ms;
    mt->f.job = j;
    mt->f.url = mt->url;
    mt->f.address = mt->address;
    mt->f.timeout_ms = mt->t.timeout_ms;
    buf_init(&mt->f.body, 0);
    mt->w = &m->w[m->rr++ % m->nw];
    return mt;
}

static void free_dropped(mjob *mj)
{
    for (size_t i = 0; i < mj->ndropped; i++)
        scrape_target_free(&mj->dropped[i]);
    free(mj->dropped);
    mj->dropped = NULL;
    mj->ndropped = 0;
}

typedef struct sync_state {
    scrape_manager *m;
    mjob *mj;
    const scrape_job *jc;
    cfgref *cfg;
    smap old;  /* id -> mtarget of the job before this sync */
    smap seen; /* ids of this sync's targets */
    mtarget *kept, **tail;
    size_t nactive;
} sync_state;

static void sync_one(sync_state *s, const char *addr, const scrape_lset *labels)
{
    scrape_target t;
    heron_err err = {0};
    int rc = scrape_target_build(s->jc, addr, labels, &t, &err);
    if (rc < 0) {
        hlog(HLOG_WARN, "scrape", "invalid target", "job", s->jc->job_name, "address", addr,
             "err", err.msg, NULL);
        return;
    }
    mjob *mj = s->mj;
    if (rc == 0) {
        scrape_target *nd = realloc(mj->dropped, (mj->ndropped + 1) * sizeof *nd);
        if (nd == NULL) {
            scrape_target_free(&t);
            return;
        }
        mj->dropped = nd;
        nd[mj->ndropped++] = t;
        return;
    }
    uint64_t id = (t.hash ^ (mj->fp * 0x9e3779b97f4a7c15ULL)) +
                  (uint64_t)t.interval_ms * 31 + (uint64_t)t.timeout_ms;
    uint64_t h = smap_hash(&id, sizeof id);
    if (smap_get(&s->seen, h, (const char *)&id, sizeof id)) { /* the same target twice */
        scrape_target_free(&t);
        return;
    }
    mtarget *o = smap_del(&s->old, h, (const char *)&id, sizeof id);
    if (o) {
        scrape_target_free(&o->t); /* discovered labels may differ */
        o->t = t;
        o->next = NULL;
        *s->tail = o;
        s->tail = &o->next;
        s->nactive++;
        smap_put(&s->seen, h, (const char *)&o->id, sizeof o->id, o);
        return;
    }
    mtarget *mt = new_mtarget(s->m, s->cfg, s->jc, &t, id);
    if (mt == NULL) {
        hlog(HLOG_ERROR, "scrape", "cannot create a scrape loop", "job", s->jc->job_name,
             "address", addr, NULL);
        scrape_target_free(&t);
        return;
    }
    *s->tail = mt;
    s->tail = &mt->next;
    s->nactive++;
    smap_put(&s->seen, smap_hash(&mt->id, sizeof mt->id), (const char *)&mt->id,
             sizeof mt->id, mt);
    worker_push(mt->w, mt, 0);
}

/* Brings mj's targets in line with its config and discovered groups.
 * Called with m->mu held. */
static void sync_job(scrape_manager *m, mjob *mj, const scrape_job *jc, cfgref *cfg)
{
    sync_state s = {.m = m, .mj = mj, .jc = jc, .cfg = cfg};
    s.tail = &s.kept;
    for (mtarget *t = mj->targets, *nx; t; t = nx) {
        nx = t->next;
        if (smap_put(&s.old, smap_hash(&t->id, sizeof t->id), (const char *)&t->id,
                     sizeof t->id, t) < 0)
            worker_push(t->w, t, 1); /* out of memory: restart it */
    }
    free_dropped(mj);
    for (size_t g = 0; g < jc->nstatic_configs; g++)
        for (size_t i = 0; i < jc->static_configs[g].ntargets; i++)
            sync_one(&s, jc->static_configs[g].targets[i], &jc->static_configs[g].labels);
    for (size_t g = 0; g < mj->nsd; g++)
        for (size_t i = 0; i < mj->sd[g].ntargets; i++)
            sync_one(&s, mj->sd[g].targets[i], &mj->sd[g].labels);
    /* Over target_limit, every target of the job fails its scrapes with
     * the reason, as in Prometheus. */
    size_t over = jc->target_limit && s.nactive > jc->target_limit ? s.nactive : 0;
    for (mtarget *t = s.kept; t; t = t->next)
        atomic_store(&t->over_limit, over);
    for (size_t i = 0; i < s.old.cap; i++) /* targets that are gone */
        if (s.old.slots[i].key)
            worker_push(((mtarget *)s.old.slots[i].val)->w, s.old.slots[i].val, 1);
    smap_free(&s.old);
    smap_free(&s.seen);
    mj->targets = s.kept;
}

/* Publishes the number of active targets. Called with m->mu held. */
static void update_active(scrape_manager *m)
{
    if (m->active == NULL)
        return;
    size_t active = 0;
    for (size_t i = 0; i < m->njobs; i++)
        for (mtarget *t = m->jobs[i].targets; t; t = t->next)
            active++;
    heron_gauge_set(m->active, (double)active);
}

/* ---- file_sd ---- */

static mjob *find_job(scrape_manager *m, const char *name)
{
    for (size_t i = 0; i < m->njobs; i++) /* moved-out jobs have no name */
        if (m->jobs[i].name && strcmp(m->jobs[i].name, name) == 0)
            return &m->jobs[i];
    return NULL;
}

/* The poller: every second, re-reads the file_sd files of jobs whose files
 * changed or whose refresh interval passed, with no lock held, and then
 * syncs those jobs if the config is still the same. */
static void sd_poll(scrape_manager *m)
{
    pthread_mutex_lock(&m->mu);
    cfgref *cfg = m->cfg;
    if (cfg)
        atomic_fetch_add(&cfg->refs, 1);
    size_t njobs = cfg ? cfg->c->njobs : 0;
    uint64_t *sigs = calloc(njobs + 1, sizeof *sigs);
    int64_t *read_ms = calloc(njobs + 1, sizeof *read_ms);
    for (size_t i = 0; sigs && read_ms && i < njobs; i++) {
        mjob *mj = find_job(m, cfg->c->jobs[i].job_name);
        sigs[i] = mj ? mj->sd_sig : 0;
        read_ms[i] = mj ? mj->sd_read_ms : 0;
    }
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; sigs && read_ms && i < njobs; i++) {
        const scrape_job *jc = &cfg->c->jobs[i];
        if (jc->nfile_sd_configs == 0)
            continue;
        int64_t refresh = jc->file_sd_configs[0].refresh_interval_ms;
        scrape_static_config *groups;
        size_t n;
        uint64_t sig;
        heron_err err = {0};
        scrape_sd_file_read(jc, 0, &groups, &n, &sig, &err);
        if (sig == sigs[i] && now_ms() - read_ms[i] < refresh)
            continue;
        if (scrape_sd_file_read(jc, 1, &groups, &n, &sig, &err) < 0) {
            hlog(HLOG_ERROR, "scrape", "file_sd: cannot read targets, keeping the last ones",
                 "job", jc->job_name, "err", err.msg, NULL);
            /* Try again when the files change or at the next refresh. */
            pthread_mutex_lock(&m->mu);
            mjob *mj = m->cfg == cfg ? find_job(m, jc->job_name) : NULL;
            if (mj) {
                mj->sd_sig = sig;
                mj->sd_read_ms = now_ms();
            }
            pthread_mutex_unlock(&m->mu);
            continue;
        }
        pthread_mutex_lock(&m->mu);
        mjob *mj = m->cfg == cfg ? find_job(m, jc->job_name) : NULL;
        if (mj) {
            scrape_static_configs_free(mj->sd, mj->nsd);
            mj->sd = groups;
            mj->nsd = n;
            mj->sd_sig = sig;
            mj->sd_read_ms = now_ms();
            sync_job(m, mj, jc, cfg);
            update_active(m);
            groups = NULL;
        }
        pthread_mutex_unlock(&m->mu);
        scrape_static_configs_free(groups, groups ? n : 0);
    }
    free(sigs);
    free(read_ms);
    cfgref_put(cfg);
}

static void *sd_main(void *arg)
{
    scrape_manager *m = arg;
    pthread_mutex_lock(&m->sd_mu);
    while (!m->quit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&m->sd_cv, &m->sd_mu, &ts);
        if (m->quit)
            break;
        pthread_mutex_unlock(&m->sd_mu);
        sd_poll(m);
        pthread_mutex_lock(&m->sd_mu);
    }
    pthread_mutex_unlock(&m->sd_mu);
    return NULL;
}

/* ---- the manager ---- */

static void register_metrics(scrape_manager *m)
{
    heron_registry *r = m->o.registry;
    if (r == NULL)
        return;
    heron_family *f;
    heron_opts o = {.registry = r};
    o.name = "heron_config_last_reload_successful";
    o.help = "Whether the last configuration reload attempt was successful.";
    if (heron_gauge_new(&o, &f, NULL) == 0)
        m->reload_ok = heron_gauge_with(f);
    o.name = "heron_config_last_reload_success_timestamp_seconds";
    o.help = "Timestamp of the last successful configuration reload.";
    if (heron_gauge_new(&o, &f, NULL) == 0)
        m->reload_ts = heron_gauge_with(f);
    o.name = "heron_scrape_active_targets";
    o.help = "Targets being scraped.";
    if (heron_gauge_new(&o, &f, NULL) == 0)
        m->active = heron_gauge_with(f);
    o.name = "heron_scrape_duration_seconds";
    o.help = "Time a scrape took, from the request to the commit of its samples.";
    if (heron_histogram_new(&o, NULL, &f, NULL) == 0)
        m->duration = heron_histogram_with(f);
    static const char *const result[] = {"result", NULL};
    o.name = "heron_scrape_scrapes_total";
    o.help = "Scrapes done, by result (ok: up 1, failed: up 0).";
    o.labels = result;
    if (heron_counter_new(&o, &f, NULL) == 0) {
        m->scrapes_ok = heron_counter_with(f, "ok");
        m->scrapes_failed = heron_counter_with(f, "failed");
    }
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int scrape_manager_new(const scrape_manager_opts *o, scrape_manager **out, heron_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    scrape_manager *m = calloc(1, sizeof *m);
    if (m == NULL)
        return err_set(err, HERON_ENOMEM, "out of memory");
    m->o = *o;
    m->listen = strdup(o->listen_address ? o->listen_address : "localhost:9090");
    m->o.listen_address = m->listen;
    m->nw = o->workers ? o->workers : 2;
    m->w = calloc(m->nw, sizeof *m->w);
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->reload_mu, NULL);
    pthread_mutex_init(&m->sd_mu, NULL);
    pthread_cond_init(&m->sd_cv, NULL);
    if (m->listen == NULL || m->w == NULL) {
        free(m->listen);
        free(m->w);
        free(m);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    register_metrics(m);
    for (unsigned i = 0; i < m->nw; i++) {
        m->w[i].m = m;
        pthread_mutex_init(&m->w[i].mu, NULL);
    }
    unsigned started = 0;
    for (; started < m->nw; started++) {
        worker *w = &m->w[started];
        if ((w->multi = curl_multi_init()) == NULL ||
            pthread_create(&w->th, NULL, worker_main, w) != 0)
            break;
        w->started = 1;
    }
    if (started == m->nw && pthread_create(&m->sd_th, NULL, sd_main, m) == 0)
        m->sd_started = 1;
    if (!m->sd_started) {
        scrape_manager_free(m);
        return err_set(err, HERON_EIO, "cannot start scrape threads");
    }
    *out = m;
    return 0;
}

int scrape_manager_apply(scrape_manager *m, scrape_config *c, heron_err *err)
{
    cfgref *r = calloc(1, sizeof *r);
    if (r == NULL) {
        scrape_config_free(c);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    r->c = c;
    atomic_store(&r->refs, 1);
    /* Discovery I/O first, without the lock. */
    scrape_static_config **sd = calloc(c->njobs + 1, sizeof *sd);
    size_t *nsd = calloc(c->njobs + 1, sizeof *nsd);
    uint64_t *sig = calloc(c->njobs + 1, sizeof *sig);
    mjob *jobs = calloc(c->njobs + 1, sizeof *jobs);
    if (!sd || !nsd || !sig || !jobs) {
        free(sd);
        free(nsd);
        free(sig);
        free(jobs);
        cfgref_put(r);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->njobs; i++) {
        heron_err e = {0};
        if (scrape_sd_file_read(&c->jobs[i], 1, &sd[i], &nsd[i], &sig[i], &e) < 0)
            hlog(HLOG_ERROR, "scrape", "file_sd: cannot read targets", "job",
                 c->jobs[i].job_name, "err", e.msg, NULL);
    }
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < c->njobs; i++) {
        const scrape_job *jc = &c->jobs[i];
        mjob *old = find_job(m, jc->job_name);
        mjob *mj = &jobs[i];
        if (old) {
            *mj = *old;
            memset(old, 0, sizeof *old); /* moved */
        } else {
            mj->name = strdup(jc->job_name);
        }
        scrape_static_configs_free(mj->sd, mj->nsd);
        mj->sd = sd[i];
        mj->nsd = nsd[i];
        mj->sd_sig = sig[i];
        mj->sd_read_ms = now_ms();
        mj->fp = job_fingerprint(jc);
        sync_job(m, mj, jc, r);
    }
    for (size_t i = 0; i < m->njobs; i++) { /* jobs no longer configured */
        mjob *mj = &m->jobs[i];
        for (mtarget *t = mj->targets, *n; t; t = n) {
            n = t->next;
            worker_push(t->w, t, 1);
        }
        free_dropped(mj);
        scrape_static_configs_free(mj->sd, mj->nsd);
        free(mj->name);
    }
    free(m->jobs);
    m->jobs = jobs;
    m->njobs = c->njobs;
    cfgref *old = m->cfg;
    m->cfg = r;
    update_active(m);
    pthread_mutex_unlock(&m->mu);
    cfgref_put(old);
    free(sd);
    free(nsd);
    free(sig);
    return 0;
}

int scrape_manager_reload(scrape_manager *m, const char *path, heron_err *err)
{
    scrape_config *c;
    heron_err e = {0};
    pthread_mutex_lock(&m->reload_mu);
    int rc = path && *path ? scrape_config_load(path, &c, &e)
                           : scrape_config_default(m->listen, &c, &e);
    if (rc == 0)
        rc = scrape_manager_apply(m, c, &e);
    pthread_mutex_unlock(&m->reload_mu);
    const char *file = path && *path ? path : "<default config>";
    if (rc < 0) {
        hlog(HLOG_ERROR, "scrape", "error loading config; the running config stays", "file",
             file, "err", e.msg, NULL);
        if (m->reload_ok)
            heron_gauge_set(m->reload_ok, 0);
        if (err)
            *err = e;
        return rc;
    }
    hlog(HLOG_INFO, "scrape", "loaded config", "file", file, NULL);
    if (m->reload_ok)
        heron_gauge_set(m->reload_ok, 1);
    if (m->reload_ts)
        heron_gauge_set(m->reload_ts, (double)now_ms() / 1000);
    return 0;
}

void scrape_manager_free(scrape_manager *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->sd_mu);
    m->quit = 1;
    pthread_cond_signal(&m->sd_cv);
    pthread_mutex_unlock(&m->sd_mu);
    if (m->sd_started)
        pthread_join(m->sd_th, NULL);
    for (unsigned i = 0; i < m->nw; i++) {
        worker *w = &m->w[i];
        if (!w->started)
            continue;
        pthread_mutex_lock(&w->mu);
        w->quit = 1;
        pthread_mutex_unlock(&w->mu);
        curl_multi_wakeup(w->multi);
        pthread_join(w->th, NULL);
    }
    /* Workers stopped everything they had; what is still queued was never
     * started. */
    for (unsigned i = 0; i < m->nw; i++) {
        worker *w = &m->w[i];
        for (mtarget *t = w->addq, *n; t; t = n) {
            n = t->qnext;
            mtarget_free(t);
        }
        for (mtarget *t = w->stopq, *n; t; t = n) {
            n = t->qnext;
            mtarget_free(t);
        }
        if (w->multi)
            curl_multi_cleanup(w->multi);
        pthread_mutex_destroy(&w->mu);
    }
    for (size_t i = 0; i < m->njobs; i++) {
        free_dropped(&m->jobs[i]);
        scrape_static_configs_free(m->jobs[i].sd, m->jobs[i].nsd);
        free(m->jobs[i].name);
    }
    free(m->jobs);
    cfgref_put(m->cfg);
    free(m->w);
    free(m->listen);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->reload_mu);
    pthread_mutex_destroy(&m->sd_mu);
    pthread_cond_destroy(&m->sd_cv);
    free(m);
}

int scrape_manager_wait_scraped(scrape_manager *m, int64_t timeout_ms)
{
    for (int64_t waited = 0; waited <= timeout_ms; waited += 20) {
        int all = 1;
        pthread_mutex_lock(&m->mu);
        for (size_t i = 0; all && i < m->njobs; i++)
            for (mtarget *t = m->jobs[i].targets; all && t; t = t->next)
                all = atomic_load(&t->scraped);
        pthread_mutex_unlock(&m->mu);
        if (all)
            return 0;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return HERON_ESTATE;
}

/* ---- views for the API ---- */

static int info_from(scrape_target_info *ti, const char *job, const scrape_target *t,
                     scrape_loop *loop)
{
    ti->job = strdup(job);
    ti->active = loop != NULL;
    ti->interval_ms = t->interval_ms;
    ti->timeout_ms = t->timeout_ms;
    if (ti->job == NULL || scrape_lset_copy(&ti->discovered, &t->discovered) < 0)
        return HERON_ENOMEM;
    if (loop) {
        ti->url = strdup(t->url);
        if (ti->url == NULL || scrape_lset_copy(&ti->labels, &t->labels) < 0)
            return HERON_ENOMEM;
        scrape_loop_get_status(loop, &ti->st);
    }
    return 0;
}

int scrape_manager_snapshot(scrape_manager *m, scrape_target_info **out, size_t *n,
                            heron_err *err)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&m->mu);
    size_t total = 0;
    for (size_t i = 0; i < m->njobs; i++) {
        total += m->jobs[i].ndropped;
        for (mtarget *t = m->jobs[i].targets; t; t = t->next)
            total++;
    }
    scrape_target_info *ti = calloc(total + 1, sizeof *ti);
    int rc = ti ? 0 : HERON_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < m->njobs; i++)
        for (mtarget *t = m->jobs[i].targets; rc == 0 && t; t = t->next)
            rc = info_from(&ti[k++], m->jobs[i].name, &t->t, t->loop);
    for (size_t i = 0; rc == 0 && i < m->njobs; i++)
        for (size_t d = 0; rc == 0 && d < m->jobs[i].ndropped; d++)
            rc = info_from(&ti[k++], m->jobs[i].name, &m->jobs[i].dropped[d], NULL);
    pthread_mutex_unlock(&m->mu);
    if (rc < 0) {
        scrape_target_infos_free(ti, k);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    *out = ti;
    *n = k;
    return 0;
}

void scrape_target_infos_free(scrape_target_info *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].job);
        free(t[i].url);
        scrape_lset_free(&t[i].discovered);
        scrape_lset_free(&t[i].labels);
    }
    free(t);
}

typedef struct meta_ctx {
    const scrape_lset *target;
    scrape_target_meta_fn fn;
    void *arg;
} meta_ctx;

static void meta_tramp(const char *name, const char *type, const char *help, const char *unit,
                       void *arg)
{
    meta_ctx *c = arg;
    c->fn(c->target, name, type, help, unit, c->arg);
}

void scrape_manager_each_metadata(scrape_manager *m, scrape_target_meta_fn fn, void *arg)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->njobs; i++)
        for (mtarget *t = m->jobs[i].targets; t; t = t->next) {
            meta_ctx c = {&t->t.labels, fn, arg};
            scrape_loop_each_metadata(t->loop, meta_tramp, &c);
        }
    pthread_mutex_unlock(&m->mu);
}

char *scrape_manager_config_text(scrape_manager *m)
{
    pthread_mutex_lock(&m->mu);
    char *s = m->cfg && m->cfg->c->text ? strdup(m->cfg->c->text) : NULL;
    pthread_mutex_unlock(&m->mu);
    return s;
}
