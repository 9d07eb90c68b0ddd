/*
 * fmt — number formatting for the exposition formats.
 *
 * fmt_double writes the shortest decimal that reads back to the same double,
 * in the style of the Prometheus Python client (repr-style "1.0", "0.005",
 * "1e-07", with "+Inf", "-Inf", "NaN", and large positive values in Go's
 * exponent form "1.234567e+06"). Pure functions; thread-safe.
 */
#ifndef HERON_CORE_FMT_H
#define HERON_CORE_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_DOUBLE_MAX 32

/* Writes v into out (at least FMT_DOUBLE_MAX bytes, NUL-terminated) and
 * returns the length. */
size_t fmt_double(char *out, double v);

/* The same without the switch to exponents from 1e6: Python's repr(), which
 * the client uses for exemplar timestamps ("1700000000.5"). */
size_t fmt_double_repr(char *out, double v);

/* Go's strconv.FormatFloat(v, 'f', -1, 64), which Prometheus' HTTP API uses
 * for sample values: shortest digits, never an exponent ("1", "0.5",
 * "1000000000000000000000", "0.0000001"), and "NaN", "+Inf", "-Inf".
 * out needs FMT_FIXED_MAX bytes. */
#define FMT_FIXED_MAX 400
size_t fmt_double_fixed(char *out, double v);

/* Writes a signed decimal integer; returns the length. out >= 21 bytes. */
size_t fmt_int64(char *out, int64_t v);

#endif
