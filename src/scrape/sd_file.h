/*
 * sd_file — file_sd_configs: a job's target groups from the JSON or YAML
 * files its patterns match (format: scrape_file_sd_read in config.h).
 *
 * The manager polls scrape_sd_file_read(job, 0, ...) every second for the
 * files' signature (each matching path with its size, mtime and inode) and
 * reads the groups (read = 1) when the signature changed or the refresh
 * interval passed. Each group gets __meta_filepath, the file it came from,
 * as in Prometheus. No locks, no state: safe from any thread.
 */
#ifndef HERON_SCRAPE_SD_FILE_H
#define HERON_SCRAPE_SD_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/config.h"

/* Signature of the files matched by j's file_sd patterns into *sig and,
 * when read is set, all their target groups into *groups[0..*n) (the
 * caller's: scrape_static_configs_free). < 0 when a file is unreadable or
 * broken (err names it), with no groups. */
int scrape_sd_file_read(const scrape_job *j, int read, scrape_static_config **groups,
                        size_t *n, uint64_t *sig, heron_err *err);

#endif
