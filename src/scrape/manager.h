/*
 * manager.h — what the manager exposes to the API handlers (api.c) and to
 * tests: copies of its state taken under its lock.
 */
#ifndef HERON_SCRAPE_MANAGER_H
#define HERON_SCRAPE_MANAGER_H

#include "scrape/lset.h"
#include "scrape/scrape.h"
#include "scrape/scrape_loop.h"

typedef struct scrape_target_info {
    char *job;
    int active;              /* 0: dropped by relabeling */
    scrape_lset discovered;  /* before relabeling */
    scrape_lset labels;      /* active only */
    char *url;               /* active only */
    int64_t interval_ms, timeout_ms;
    scrape_loop_status st;   /* active only; health -1 before the first scrape */
} scrape_target_info;

/* Copies of all targets, active ones first, each group in config order.
 * Free with scrape_target_infos_free. */
int scrape_manager_snapshot(scrape_manager *m, scrape_target_info **out,
                            size_t *n, heron_err *err);
void scrape_target_infos_free(scrape_target_info *t, size_t n);

/* Calls fn for each active target (its public labels) and each metadata
 * entry of its loop, under the manager's lock. */
typedef void (*scrape_target_meta_fn)(const scrape_lset *target,
                                      const char *name, const char *type,
                                      const char *help, const char *unit,
                                      void *arg);
void scrape_manager_each_metadata(scrape_manager *m, scrape_target_meta_fn fn,
                                  void *arg);

/* A copy of the current config's YAML (malloc'd), or NULL. */
char *scrape_manager_config_text(scrape_manager *m);

#endif
