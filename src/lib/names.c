/*
 * names.c — Prometheus' naming rules: valid metric and label names, UTF-8
 * label values, and the Python client's rules for building a family name
 * from a base name and a unit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "lib/metric.h"

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int names_valid_metric(const char *name)
{
    if (!name || !(is_alpha(*name) || *name == ':'))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!(is_alpha(*p) || is_digit(*p) || *p == ':'))
            return 0;
    return 1;
}

int names_valid_label(const char *name)
{
    if (!name || !is_alpha(*name))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!(is_alpha(*p) || is_digit(*p)))
            return 0;
    return 1;
}

int names_valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int extra;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (*p & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *names_family_name(const char *name, const char *unit, heron_type type)
{
    size_t n = strlen(name);
    size_t ulen = unit && *unit ? strlen(unit) : 0;
    char *out = malloc(n + ulen + 2);
    if (!out)
        return NULL;
    memcpy(out, name, n + 1);
    if (type == HERON_COUNTER && ends_with(out, "_total"))
        out[n -= 6] = '\0';
    if (ulen) {
        char *suffixed = out + n;
        if (!(n > ulen && out[n - ulen - 1] == '_' &&
              strcmp(out + n - ulen, unit) == 0)) {
            *suffixed++ = '_';
            memcpy(suffixed, unit, ulen + 1);
        }
    }
    return out;
}

int names_check_labels(const char *metric, const char *const *labels,
                       const char *reserved, size_t *count, heron_err *err)
{
    size_t n = 0;
    for (; labels && labels[n]; n++) {
        const char *l = labels[n];
        if (!names_valid_label(l))
            return err_set(err, HERON_EINVAL, "metric %s: invalid label name \"%s\"", metric, l);
        if (strncmp(l, "__", 2) == 0)
            return err_set(err, HERON_EINVAL, "metric %s: label name \"%s\" is reserved (starts with __)", metric, l);
        if (reserved && strcmp(l, reserved) == 0)
            return err_set(err, HERON_EINVAL, "metric %s: label name \"%s\" is reserved for this metric type", metric, l);
        for (size_t j = 0; j < n; j++)
            if (strcmp(labels[j], l) == 0)
                return err_set(err, HERON_EINVAL, "metric %s: duplicate label name \"%s\"", metric, l);
    }
    *count = n;
    return 0;
}
