/*
 * jsonw — a small streaming JSON writer over a buf.
 *
 * Commas and nesting are tracked for the caller: write a key, then its
 * value; values inside arrays need no key. Strings are escaped as JSON
 * requires (control characters as \u00XX; UTF-8 passes through). Numbers
 * that JSON cannot hold (NaN, ±Inf) are written as null by jsonw_number;
 * Prometheus' API writes sample values as strings, see jsonw_prom_value.
 * Not thread-safe; one writer per output.
 */
#ifndef HERON_CORE_JSONW_H
#define HERON_CORE_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JSONW_MAX_DEPTH 64

typedef struct jsonw {
    buf *out;
    int depth;
    unsigned char first[JSONW_MAX_DEPTH]; /* nothing written yet at depth */
    int after_key;
} jsonw;

void jsonw_init(jsonw *w, buf *out);
void jsonw_object_begin(jsonw *w);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w);
void jsonw_array_end(jsonw *w);
void jsonw_key(jsonw *w, const char *key);
void jsonw_string(jsonw *w, const char *s);
void jsonw_string_n(jsonw *w, const char *s, size_t n);
void jsonw_number(jsonw *w, double v);
void jsonw_int(jsonw *w, int64_t v);
void jsonw_bool(jsonw *w, int v);
void jsonw_null(jsonw *w);
/* A float as Prometheus' API writes sample values: a JSON string holding
 * Go's shortest 'f'/'e' form ("1", "0.5", "1e+21", "NaN", "+Inf"). */
void jsonw_prom_value(jsonw *w, double v);
/* A millisecond timestamp as Prometheus writes it: seconds as a number
 * with up to three decimals (1700000000.5). */
void jsonw_prom_time(jsonw *w, int64_t ms);
/* Writes ms as jsonw_prom_time does into out (>= 32 bytes, not
 * NUL-terminated); returns the length. */
size_t jsonw_prom_time_text(char *out, int64_t ms);
/* Starts a value the caller encodes itself: returns the output buffer,
 * positioned after any separating comma; append exactly one JSON value. */
buf *jsonw_raw_begin(jsonw *w);
/* Convenience: "key": "value" and "key": number. */
void jsonw_kv_string(jsonw *w, const char *key, const char *value);
void jsonw_kv_int(jsonw *w, const char *key, int64_t v);

#endif
