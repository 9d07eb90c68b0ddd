/* The metrics of tests/lib/gen_goldens.py, built with libheron. */
#ifndef HERON_TESTS_GOLDEN_METRICS_H
#define HERON_TESTS_GOLDEN_METRICS_H

#include "heron.h"

/* Freezes the wall clock at the script's instant and fills reg. Returns 0. */
int golden_build(heron_registry *reg);

#endif
