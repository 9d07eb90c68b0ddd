#include "core/hlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hclock.h"
#include "heron.h"

static hlog_level min_level = HLOG_INFO;
static hlog_format log_format = HLOG_LOGFMT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void hlog_configure(hlog_level level, hlog_format format)
{
    min_level = level;
    log_format = format;
}

int hlog_parse_level(const char *s, hlog_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (hlog_level)i;
            return 0;
        }
    }
    return HERON_EINVAL;
}

int hlog_parse_format(const char *s, hlog_format *out)
{
    if (strcmp(s, "logfmt") == 0)
        *out = HLOG_LOGFMT;
    else if (strcmp(s, "json") == 0)
        *out = HLOG_JSON;
    else
        return HERON_EINVAL;
    return 0;
}

int hlog_configure_from(const char *level, const char *format)
{
    hlog_level l;
    hlog_format f;
    if (hlog_parse_level(level, &l) || hlog_parse_format(format, &f))
        return HERON_EINVAL;
    hlog_configure(l, f);
    return 0;
}

int hlog_enabled(hlog_level level)
{
    return level >= min_level;
}

/* logfmt quotes a value holding spaces, quotes, '=' or control bytes. */
static void put_logfmt_value(buf *b, const char *v)
{
    int quote = *v == '\0';
    for (const char *p = v; *p && !quote; p++)
        quote = (unsigned char)*p <= ' ' || *p == '"' || *p == '=';
    if (!quote) {
        buf_puts(b, v);
        return;
    }
    buf_putc(b, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, *p);
        } else if (*p == '\n') {
            buf_puts(b, "\\n");
        } else {
            buf_putc(b, *p);
        }
    }
    buf_putc(b, '"');
}

static void put_json_string(buf *b, const char *v)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p);
        } else if (*p == '\n') {
            buf_puts(b, "\\n");
        } else if (*p < 0x20) {
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_putc(b, (char)*p);
        }
    }
    buf_putc(b, '"');
}

static void put_field(buf *b, int first, const char *key, const char *value)
{
    if (log_format == HLOG_JSON) {
        if (!first)
            buf_putc(b, ',');
        put_json_string(b, key);
        buf_putc(b, ':');
        put_json_string(b, value ? value : "");
    } else {
        if (!first)
            buf_putc(b, ' ');
        buf_puts(b, key);
        buf_putc(b, '=');
        put_logfmt_value(b, value ? value : "");
    }
}

void hlog(hlog_level level, const char *component, const char *msg, ...)
{
    if (level < min_level)
        return;
    int64_t now = hclock_wall_ns();
    time_t secs = (time_t)(now / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03dZ", (int)(now / 1000000 % 1000));

    buf b;
    buf_init(&b, 64 * 1024);
    if (log_format == HLOG_JSON)
        buf_putc(&b, '{');
    put_field(&b, 1, "ts", ts);
    put_field(&b, 0, "level", level_names[level]);
    put_field(&b, 0, "component", component);
    put_field(&b, 0, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        put_field(&b, 0, k, va_arg(ap, const char *));
    }
    va_end(ap);
    if (log_format == HLOG_JSON)
        buf_putc(&b, '}');
    buf_putc(&b, '\n');
    if (b.data) {
        ssize_t w = write(STDERR_FILENO, b.data, b.len);
        (void)w; /* nowhere left to report a failed log write */
    }
    buf_free(&b);
}
