/*
 * target — turning discovered addresses into scrape targets, as
 * Prometheus' populateLabels does.
 *
 * For one address of a target group of job j: the group's labels plus
 * __address__, then defaults for job, __scheme__, __metrics_path__,
 * __scrape_interval__, __scrape_timeout__ and __param_<name> (first value
 * of each configured param) — these are the discovered labels. Then the
 * job's relabel_configs; a dropped target keeps only its discovered labels.
 * A kept one gets a port from its scheme when it has none (80/443), is
 * checked (address without '/', interval and timeout from the labels,
 * UTF-8 values), loses its __meta_* labels and gets instance = address
 * when unset. Its public labels are those not starting with "__"; its URL
 * is scheme://address/metrics_path?params with each __param_<name> label
 * replacing the first configured value of <name>.
 *
 * Ownership: a target owns its strings and label sets
 * (scrape_target_free). Immutable once built; any thread may read it.
 */
#ifndef HERON_SCRAPE_TARGET_H
#define HERON_SCRAPE_TARGET_H

#include <stdint.h>

#include "heron.h"
#include "scrape/config.h"
#include "scrape/lset.h"

typedef struct scrape_target {
    scrape_lset discovered; /* before relabeling */
    scrape_lset labels;     /* public labels (no "__" prefix); empty if dropped */
    char *url;              /* NULL if dropped */
    char *address;          /* __address__ after relabeling */
    int64_t interval_ms, timeout_ms;
    uint64_t hash;          /* labels and URL: the target's identity in its job */
} scrape_target;

/* Builds the target for address in a group with group_labels (may be NULL).
 * Returns 1 with a kept target, 0 with a dropped one (only `discovered`
 * set), or HERON_EINVAL with err saying why the target is invalid (and
 * *t empty). */
int scrape_target_build(const scrape_job *j, const char *address,
                        const scrape_lset *group_labels, scrape_target *t,
                        heron_err *err);
void scrape_target_free(scrape_target *t);

#endif
