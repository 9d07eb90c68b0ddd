/*
 * hlog — structured log lines on stderr, logfmt or JSON.
 *
 *   ts=2026-11-22T11:37:49.123Z level=info component=server msg="listening" address=127.0.0.1:9797
 *
 * hlog(level, component, msg, key, value, ..., NULL): keys and values are
 * strings; the list ends with NULL. Each line is written with one write(2),
 * so lines from different threads never interleave. Thread-safe; configure
 * once at start-up before other threads log.
 */
#ifndef HERON_CORE_HLOG_H
#define HERON_CORE_HLOG_H

typedef enum hlog_level {
    HLOG_DEBUG,
    HLOG_INFO,
    HLOG_WARN,
    HLOG_ERROR
} hlog_level;

typedef enum hlog_format {
    HLOG_LOGFMT,
    HLOG_JSON
} hlog_format;

void hlog_configure(hlog_level min_level, hlog_format format);
/* "debug", "info", "warn", "error" → 0; anything else → HERON_EINVAL. */
int hlog_parse_level(const char *s, hlog_level *out);
/* "logfmt", "json" → 0; anything else → HERON_EINVAL. */
int hlog_parse_format(const char *s, hlog_format *out);
int hlog_enabled(hlog_level level);
/* Parses --log.level and --log.format values and configures the log.
 * HERON_EINVAL (and nothing changed) when either is not valid. */
int hlog_configure_from(const char *level, const char *format);

void hlog(hlog_level level, const char *component, const char *msg, ...)
    __attribute__((sentinel));

#endif
