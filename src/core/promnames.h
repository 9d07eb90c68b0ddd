/*
 * promnames — Prometheus' rules for names and label values, in one place:
 * metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
 * and label values that must be valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). Every function takes a slice (s, n); pass strlen
 * for a C string. Pure functions; thread-safe.
 */
#ifndef HERON_CORE_PROMNAMES_H
#define HERON_CORE_PROMNAMES_H

#include <stddef.h>

int prom_metric_name_valid(const char *s, size_t n);
int prom_label_name_valid(const char *s, size_t n);
int prom_utf8_valid(const char *s, size_t n);

#endif
