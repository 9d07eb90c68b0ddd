/*
 * err — filling a heron_err.
 *
 * heron_err (include/heron.h) carries a negative HERON_E* code and a message
 * naming the input that was wrong. err_set formats into it; every module uses
 * it so messages look alike. Thread-safe (no shared state).
 */
#ifndef HERON_CORE_ERR_H
#define HERON_CORE_ERR_H

#include "heron.h"

/* Fills err (if not NULL) and returns code, so callers can write
 * `return err_set(err, HERON_EINVAL, "bad %s", x);`. */
int err_set(heron_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
