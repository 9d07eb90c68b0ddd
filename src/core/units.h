/*
 * units — Prometheus' duration and byte-size notations.
 *
 * Durations: one or more <integer><unit> terms in descending unit order, unit
 * one of y, w, d, h, m, s, ms ("1h30m", "15s", "100ms", "2w"); "0" alone is
 * zero. A year is 365 days, as in Prometheus. Sizes: <integer><unit> with
 * B, KB, MB, GB, TB, PB, EB (powers of 1024), as --storage.tsdb.retention.size
 * takes them. Pure functions; thread-safe.
 */
#ifndef HERON_CORE_UNITS_H
#define HERON_CORE_UNITS_H

#include <stdint.h>

#include "heron.h"

/* Parses s into milliseconds. HERON_EINVAL with a message naming s. */
int units_parse_duration(const char *s, int64_t *ms, heron_err *err);
/* Writes ms the way Prometheus prints durations ("1h30m", "15d", "2w",
 * "0s"): years and weeks only when they divide it exactly. out >= 32. */
void units_format_duration(int64_t ms, char *out);
int units_parse_bytes(const char *s, int64_t *bytes, heron_err *err);

#endif
