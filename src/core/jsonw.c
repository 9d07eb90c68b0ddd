#include "core/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"

void jsonw_init(jsonw *w, buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->first[0] = 1;
}

/* Writes the comma before a value unless it follows a key or opens a
 * container. */
static void before_value(jsonw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        buf_putc(w->out, ',');
    w->first[w->depth] = 0;
}

static void open(jsonw *w, char c)
{
    before_value(w);
    buf_putc(w->out, c);
    if (w->depth + 1 < JSONW_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = 1;
}

static void close_(jsonw *w, char c)
{
    buf_putc(w->out, c);
    if (w->depth > 0)
        w->depth--;
}

void jsonw_object_begin(jsonw *w) { open(w, '{'); }
void jsonw_object_end(jsonw *w) { close_(w, '}'); }
void jsonw_array_begin(jsonw *w) { open(w, '['); }
void jsonw_array_end(jsonw *w) { close_(w, ']'); }

static void put_escaped(buf *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    const char *run = s;
    for (const char *p = s; p < s + n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(out, run, (size_t)(p - run));
        switch (c) {
        case '"': buf_puts(out, "\\\""); break;
        case '\\': buf_puts(out, "\\\\"); break;
        case '\n': buf_puts(out, "\\n"); break;
        case '\r': buf_puts(out, "\\r"); break;
        case '\t': buf_puts(out, "\\t"); break;
        default: buf_printf(out, "\\u%04x", c); break;
        }
        run = p + 1;
    }
    buf_append(out, run, (size_t)(s + n - run));
    buf_putc(out, '"');
}

void jsonw_key(jsonw *w, const char *key)
{
    before_value(w);
    put_escaped(w->out, key, strlen(key));
    buf_putc(w->out, ':');
    w->after_key = 1;
}

void jsonw_string_n(jsonw *w, const char *s, size_t n)
{
    before_value(w);
    put_escaped(w->out, s, n);
}

void jsonw_string(jsonw *w, const char *s)
{
    jsonw_string_n(w, s ? s : "", s ? strlen(s) : 0);
}

void jsonw_number(jsonw *w, double v)
{
    before_value(w);
    if (!isfinite(v)) {
        buf_puts(w->out, "null");
        return;
    }
    char s[FMT_FIXED_MAX];
    buf_append(w->out, s, fmt_double_fixed(s, v));
}

void jsonw_int(jsonw *w, int64_t v)
{
    before_value(w);
    buf_printf(w->out, "%lld", (long long)v);
}

void jsonw_bool(jsonw *w, int v)
{
    before_value(w);
    buf_puts(w->out, v ? "true" : "false");
}

void jsonw_null(jsonw *w)
{
    before_value(w);
    buf_puts(w->out, "null");
}

void jsonw_prom_value(jsonw *w, double v)
{
    char s[FMT_FIXED_MAX];
    fmt_double_fixed(s, v);
    jsonw_string(w, s);
}

size_t jsonw_prom_time_text(char *out, int64_t ms)
{
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    char tmp[32], *end = tmp + sizeof tmp, *p = end; /* written backwards */
    unsigned frac = (unsigned)(a % 1000);
    if (frac) {
        int digits = 3;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        while (digits--) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--p = '.';
    }
    uint64_t secs = a / 1000;
    do {
        *--p = (char)('0' + secs % 10);
        secs /= 10;
    } while (secs);
    if (ms < 0)
        *--p = '-';
    memcpy(out, p, (size_t)(end - p));
    return (size_t)(end - p);
}

void jsonw_prom_time(jsonw *w, int64_t ms)
{
    before_value(w);
    char s[32];
    buf_append(w->out, s, jsonw_prom_time_text(s, ms));
}

buf *jsonw_raw_begin(jsonw *w)
{
    before_value(w);
    return w->out;
}

void jsonw_kv_string(jsonw *w, const char *key, const char *value)
{
    jsonw_key(w, key);
    jsonw_string(w, value);
}

void jsonw_kv_int(jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}
