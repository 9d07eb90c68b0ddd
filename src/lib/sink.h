/*
 * sink.h — running a callback collector into an exposition buffer.
 *
 * A heron_sink lives for one collector call: heron_sink_family starts a
 * family (copying its names), heron_sink_value / heron_sink_histogram write
 * sample lines straight into the output. A family with an invalid name or
 * label names, or a sample with the wrong number of label values, is dropped
 * with a warning in the log; the scrape itself never fails.
 */
#ifndef HERON_LIB_SINK_H
#define HERON_LIB_SINK_H

#include "core/buf.h"
#include "heron.h"

void sink_run(heron_collect_fn fn, void *arg, heron_format fmt, buf *out);

#endif
