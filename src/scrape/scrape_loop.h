/*
 * scrape_loop — what happens to one target's scrape result: parsing it
 * into the tsdb with the target's labels, metric relabeling, limits,
 * staleness markers and the synthetic series (up, scrape_duration_seconds,
 * scrape_samples_scraped, scrape_samples_post_metric_relabeling,
 * scrape_series_added). The HTTP side is the manager's; a loop only sees
 * bodies, so it can be tested without a network.
 *
 * Per target, a cache maps each series as written in the exposition (name
 * and label set bytes) to its tsdb ref and final labels. A cache hit costs
 * one hash and one probe and allocates nothing; a miss builds the labels
 * (unescaping, target labels with honor_labels or exported_ renaming,
 * metric_relabel_configs, label limits) once.
 *
 * A scrape is all or nothing: a broken exposition, sample_limit or a label
 * limit rolls the samples back and the scrape counts as failed (up 0).
 * Series seen in the previous scrape and not in this one (all of them when
 * this one failed) get Prometheus' stale marker; so do all series and the
 * synthetic ones when the target goes away (scrape_loop_stop). Series with
 * explicit timestamps kept by honor_timestamps are not tracked for
 * staleness, as in Prometheus.
 *
 * Thread-safety: ingest and stop belong to one thread at a time. The
 * status and metadata getters may be called from any thread.
 */
#ifndef HERON_SCRAPE_LOOP_H
#define HERON_SCRAPE_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"
#include "scrape/lset.h"
#include "scrape/parse.h"
#include "scrape/relabel.h"
#include "tsdb/tsdb.h"

typedef struct scrape_loop scrape_loop;

typedef struct scrape_loop_opts {
    tsdb_db *db;
    const scrape_lset *labels; /* the target's public labels (copied) */
    int honor_labels, honor_timestamps;
    uint64_t sample_limit, label_limit, label_name_length_limit,
        label_value_length_limit;
    /* Borrowed: must outlive the loop (the manager keeps the config). */
    const scrape_relabel *metric_relabel;
    size_t nmetric_relabel;
} scrape_loop_opts;

/* What the last scrape did, for the targets API. */
typedef struct scrape_loop_status {
    int health;            /* -1 unknown (not scraped yet), 0 down, 1 up */
    int64_t last_scrape_ms;/* start of the last scrape, 0 if none */
    double last_duration_s;
    uint64_t samples_scraped, samples_post_relabel, series_added;
    char last_error[256];
} scrape_loop_status;

int scrape_loop_new(const scrape_loop_opts *o, scrape_loop **out, heron_err *err);
/* Records one scrape that started at ts_ms and took duration_s. body is
 * the answer (format from its Content-Type) or NULL when fetching failed,
 * then fetch_error says why. Returns 0 when the scrape succeeded, else the
 * error (also in the status). */
int scrape_loop_ingest(scrape_loop *l, const char *body, size_t len,
                       scrape_format fmt, int64_t ts_ms, double duration_s,
                       const char *fetch_error, heron_err *err);
/* The target goes away: stale markers at ts_ms for every series of its
 * last scrape and for its synthetic series. */
void scrape_loop_stop(scrape_loop *l, int64_t ts_ms);
void scrape_loop_free(scrape_loop *l);

void scrape_loop_get_status(scrape_loop *l, scrape_loop_status *out);

/* Calls fn for each metric family's metadata seen in the target's last
 * scrapes (name, type, help with escapes resolved, unit), under the loop's
 * lock: fn must not call back into the loop. */
typedef void (*scrape_meta_fn)(const char *name, const char *type,
                               const char *help, const char *unit, void *arg);
void scrape_loop_each_metadata(scrape_loop *l, scrape_meta_fn fn, void *arg);

#endif
