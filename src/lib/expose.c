/*
 * expose.c — the text 0.0.4 and OpenMetrics 1.0 line writers.
 *
 * Families and callback collectors both go through these functions, so the
 * two formats' rules live in one place: HELP escaping (text escapes \\ and
 * \n; OpenMetrics also \"), TYPE names (text calls a counter family by its
 * _total name and "unknown" "untyped"), UNIT lines (OpenMetrics only) and
 * label pairs sorted by name, the way the Python client writes them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "lib/metric.h"

static const char *type_name(heron_type type, heron_format fmt)
{
    switch (type) {
    case HERON_COUNTER: return "counter";
    case HERON_GAUGE: return "gauge";
    case HERON_HISTOGRAM: return "histogram";
    case HERON_SUMMARY: return "summary";
    case HERON_UNTYPED: break;
    }
    return fmt == HERON_FORMAT_OPENMETRICS ? "unknown" : "untyped";
}

static void put_help(buf *out, const char *help, heron_format fmt)
{
    const char *run = help;
    for (const char *p = help; *p; p++) {
        const char *esc = NULL;
        if (*p == '\\')
            esc = "\\\\";
        else if (*p == '\n')
            esc = "\\n";
        else if (*p == '"' && fmt == HERON_FORMAT_OPENMETRICS)
            esc = "\\\"";
        if (esc) {
            buf_append(out, run, (size_t)(p - run));
            buf_puts(out, esc);
            run = p + 1;
        }
    }
    buf_puts(out, run);
}

void expose_header(buf *out, heron_format fmt, heron_type type,
                   const char *name, const char *help, const char *unit)
{
    const char *suffix = (type == HERON_COUNTER && fmt == HERON_FORMAT_TEXT) ? "_total" : "";
    buf_puts(out, "# HELP ");
    buf_puts(out, name);
    buf_puts(out, suffix);
    buf_putc(out, ' ');
    put_help(out, help ? help : "", fmt);
    buf_puts(out, "\n# TYPE ");
    buf_puts(out, name);
    buf_puts(out, suffix);
    buf_putc(out, ' ');
    buf_puts(out, type_name(type, fmt));
    buf_putc(out, '\n');
    if (unit && *unit && fmt == HERON_FORMAT_OPENMETRICS) {
        buf_puts(out, "# UNIT ");
        buf_puts(out, name);
        buf_putc(out, ' ');
        buf_puts(out, unit);
        buf_putc(out, '\n');
    }
}

void expose_escape_label_value(buf *out, const char *v)
{
    const char *run = v;
    for (const char *p = v; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : *p == '"' ? "\\\"" : NULL;
        if (esc) {
            buf_append(out, run, (size_t)(p - run));
            buf_puts(out, esc);
            run = p + 1;
        }
    }
    buf_puts(out, run);
}

/* Appends n bytes at the cursor. */
static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

void expose_sample(buf *out, const char *name, const char *suffix,
                   const char *before, const char *after,
                   const char *extra_name, const char *extra_value,
                   double value, const exemplar *ex)
{
    char num[FMT_DOUBLE_MAX];
    size_t n = fmt_double(num, value);
    expose_sample_text(out, name, suffix, before, after, extra_name,
                       extra_value, num, n, ex);
}

void expose_sample_text(buf *out, const char *name, const char *suffix,
                        const char *before, const char *after,
                        const char *extra_name, const char *extra_value,
                        const char *value, size_t value_len, const exemplar *ex)
{
    /* One reservation for the whole line keeps this loop tight: it runs
     * once per series per scrape. */
    size_t nlen = strlen(name), slen = strlen(suffix);
    size_t blen = before ? strlen(before) : 0, alen = after ? strlen(after) : 0;
    size_t xlen = extra_name ? strlen(extra_name) + strlen(extra_value) + 4 : 0;
    size_t elen = ex && ex->set ? strlen(ex->labels) + 2 * FMT_DOUBLE_MAX + 8 : 0;
    size_t need = nlen + slen + blen + alen + xlen + elen + value_len + 8;
    if (buf_reserve(out, need) != 0)
        return;
    char *o = out->data + out->len;
    o = put(o, name, nlen);
    o = put(o, suffix, slen);
    if (blen || alen || xlen) {
        *o++ = '{';
        o = put(o, before, blen);
        if (xlen) {
            if (blen)
                *o++ = ',';
            o = put(o, extra_name, strlen(extra_name));
            o = put(o, "=\"", 2);
            o = put(o, extra_value, strlen(extra_value));
            *o++ = '"';
        }
        if (alen) {
            if (blen || xlen)
                *o++ = ',';
            o = put(o, after, alen);
        }
        *o++ = '}';
    }
    *o++ = ' ';
    o = put(o, value, value_len);
    if (elen) {
        o = put(o, " # {", 4);
        o = put(o, ex->labels, strlen(ex->labels));
        o = put(o, "} ", 2);
        o += fmt_double(o, ex->value);
        *o++ = ' ';
        o += fmt_double_repr(o, ex->timestamp);
    }
    *o++ = '\n';
    *o = '\0';
    out->len = (size_t)(o - out->data);
}

void expose_created(buf *out, const char *name, const child *c)
{
    expose_sample_text(out, name, "_created", c->labels_before, c->labels_after,
                       NULL, NULL, c->created, c->created_len, NULL);
}

void expose_sort_labels(const char *const *names, size_t count,
                        const char *reserved, size_t *sorted,
                        size_t *reserved_pos)
{
    for (size_t i = 0; i < count; i++)
        sorted[i] = i;
    /* insertion sort: label lists are short */
    for (size_t i = 1; i < count; i++) {
        size_t v = sorted[i], j = i;
        while (j > 0 && strcmp(names[sorted[j - 1]], names[v]) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
    }
    size_t pos = count;
    if (reserved) {
        for (pos = 0; pos < count; pos++)
            if (strcmp(names[sorted[pos]], reserved) > 0)
                break;
    }
    *reserved_pos = pos;
}

static char *render_range(const char *const *names, const char *const *values,
                          const size_t *sorted, size_t from, size_t to)
{
    buf b;
    buf_init(&b, 0);
    for (size_t i = from; i < to; i++) {
        if (i > from)
            buf_putc(&b, ',');
        buf_puts(&b, names[sorted[i]]);
        buf_puts(&b, "=\"");
        expose_escape_label_value(&b, values[sorted[i]]);
        buf_putc(&b, '"');
    }
    return buf_detach(&b, NULL);
}

int expose_render_labels(const char *const *names, const char *const *values,
                         const size_t *sorted, size_t count,
                         size_t reserved_pos, char **before, char **after)
{
    *before = render_range(names, values, sorted, 0, reserved_pos);
    *after = render_range(names, values, sorted, reserved_pos, count);
    if (!*before || !*after) {
        free(*before);
        free(*after);
        return HERON_ENOMEM;
    }
    return 0;
}

heron_format heron_format_negotiate(const char *accept)
{
    if (accept && strstr(accept, "application/openmetrics-text"))
        return HERON_FORMAT_OPENMETRICS;
    return HERON_FORMAT_TEXT;
}

const char *heron_format_content_type(heron_format fmt)
{
    return fmt == HERON_FORMAT_OPENMETRICS
               ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
}
