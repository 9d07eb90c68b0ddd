/*
 * names.c — Prometheus' naming rules: valid metric and label names, UTF-8
 * label values, and the Python client's rules for building a family name
 * from a base name and a unit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "core/err.h"
#include "lib/metric.h"

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
        if (!prom_label_name_valid(l, strlen(l)))
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
