#include "core/promnames.h"
#include "lib/sink.h"

#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/hlog.h"
#include "lib/metric.h"

#define SINK_MAX_LABELS 32

struct heron_sink {
    buf *out;
    heron_format fmt;
    heron_type type;
    int valid;          /* the current family may be written */
    char *name;
    size_t label_count;
    char *label_names[SINK_MAX_LABELS];
    size_t sorted[SINK_MAX_LABELS];
    size_t reserved_pos;
    buf before, after;  /* scratch for rendered label pairs */
};

static void sink_clear_family(heron_sink *s)
{
    free(s->name);
    s->name = NULL;
    for (size_t i = 0; i < s->label_count; i++)
        free(s->label_names[i]);
    s->label_count = 0;
    s->valid = 0;
}

void sink_run(heron_collect_fn fn, void *arg, heron_format fmt, buf *out)
{
    heron_sink s = {.out = out, .fmt = fmt};
    buf_init(&s.before, 0);
    buf_init(&s.after, 0);
    fn(&s, arg);
    sink_clear_family(&s);
    buf_free(&s.before);
    buf_free(&s.after);
}

static void drop_family(heron_sink *s, const char *name, const char *why)
{
    hlog(HLOG_WARN, "collector", "dropping metric family from collector",
         "metric", name ? name : "(null)", "reason", why, NULL);
    s->valid = 0;
}

void heron_sink_family(heron_sink *s, heron_type type, const char *name,
                       const char *help, const char *unit,
                       const char *const *label_names)
{
    sink_clear_family(s);
    if (type == HERON_SUMMARY) {
        drop_family(s, name, "collectors cannot emit summaries");
        return;
    }
    if (!name || !prom_metric_name_valid(name, strlen(name))) {
        drop_family(s, name, "invalid metric name");
        return;
    }
    const char *reserved = type == HERON_HISTOGRAM ? "le" : NULL;
    size_t n;
    heron_err err = {0};
    if (names_check_labels(name, label_names, reserved, &n, &err) != 0 ||
        n > SINK_MAX_LABELS) {
        drop_family(s, name, err.code ? err.msg : "too many labels");
        return;
    }
    s->name = names_family_name(name, unit, type);
    for (size_t i = 0; i < n; i++)
        s->label_names[i] = strdup(label_names[i]);
    s->label_count = n;
    for (size_t i = 0; i < n; i++)
        if (!s->label_names[i] || !s->name) {
            drop_family(s, name, "out of memory");
            return;
        }
    s->type = type;
    s->valid = 1;
    expose_sort_labels((const char *const *)s->label_names, n, reserved,
                       s->sorted, &s->reserved_pos);
    expose_header(s->out, s->fmt, type, s->name, help, unit);
}

/* Renders label pairs into the scratch buffers; 0 if the values fit. */
static int sink_labels(heron_sink *s, const char *const *values)
{
    size_t n = 0;
    while (values && values[n])
        n++;
    if (n != s->label_count) {
        hlog(HLOG_WARN, "collector", "dropping sample with wrong label count",
             "metric", s->name, NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* Prometheus refuses a whole scrape over one bad label value, so
         * the one sample is dropped instead. */
        if (!prom_utf8_valid(values[i], strlen(values[i]))) {
            hlog(HLOG_WARN, "collector", "dropping sample with a label value that is not UTF-8",
                 "metric", s->name, "label", s->label_names[i], NULL);
            return -1;
        }
    }
    buf_reset(&s->before);
    buf_reset(&s->after);
    for (size_t i = 0; i < n; i++) {
        buf *b = i < s->reserved_pos ? &s->before : &s->after;
        if (b->len)
            buf_putc(b, ',');
        buf_puts(b, s->label_names[s->sorted[i]]);
        buf_puts(b, "=\"");
        expose_escape_label_value(b, values[s->sorted[i]]);
        buf_putc(b, '"');
    }
    return 0;
}

void heron_sink_value(heron_sink *s, const char *const *label_values,
                      double value)
{
    if (!s->valid || s->type == HERON_HISTOGRAM || sink_labels(s, label_values))
        return;
    expose_sample(s->out, s->name, s->type == HERON_COUNTER ? "_total" : "",
                  s->before.data, s->after.data, NULL, NULL, value, NULL);
}

void heron_sink_histogram(heron_sink *s, const char *const *label_values,
                          const double *bounds, const uint64_t *cumulative,
                          size_t n, double sum, uint64_t count)
{
    if (!s->valid || s->type != HERON_HISTOGRAM || sink_labels(s, label_values))
        return;
    char le[FMT_DOUBLE_MAX];
    for (size_t i = 0; i < n; i++) {
        fmt_double(le, bounds[i]);
        expose_sample(s->out, s->name, "_bucket", s->before.data, s->after.data,
                      "le", le, (double)cumulative[i], NULL);
    }
    expose_sample(s->out, s->name, "_bucket", s->before.data, s->after.data,
                  "le", "+Inf", (double)count, NULL);
    expose_sample(s->out, s->name, "_count", s->before.data, s->after.data,
                  NULL, NULL, (double)count, NULL);
    expose_sample(s->out, s->name, "_sum", s->before.data, s->after.data,
                  NULL, NULL, sum, NULL);
}
