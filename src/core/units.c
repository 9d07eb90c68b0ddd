#include "core/units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

typedef struct unit {
    const char *name;
    int64_t factor;
} unit;

/* Longest names first so "ms" wins over "m". Order also fixes the allowed
 * sequence: each term's unit must come later in this list than the last. */
static const unit duration_units[] = {
    {"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
    {"ms", 1},                       {"m", 60LL * 1000},
    {"s", 1000},
};
/* Rank of each unit above in descending size, to check term order. */
static const int duration_rank[] = {0, 1, 2, 3, 6, 4, 5};

static const unit size_units[] = {
    {"EB", 1LL << 60}, {"PB", 1LL << 50}, {"TB", 1LL << 40}, {"GB", 1LL << 30},
    {"MB", 1LL << 20}, {"KB", 1LL << 10}, {"B", 1},
};

/* Reads digits at *p into *v; 0 if there were none or they overflow. */
static int read_number(const char **p, int64_t *v)
{
    const char *s = *p;
    int64_t n = 0;
    if (!isdigit((unsigned char)*s))
        return 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (n > (INT64_MAX - 9) / 10)
            return 0;
        n = n * 10 + (*s - '0');
    }
    *p = s;
    *v = n;
    return 1;
}

static int match_unit(const char *p, const unit *units, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(p, units[i].name, strlen(units[i].name)) == 0)
            return (int)i;
    return -1;
}

int units_parse_duration(const char *s, int64_t *ms, heron_err *err)
{
    if (!s || !*s)
        return err_set(err, HERON_EINVAL, "empty duration string");
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    const char *p = s;
    int64_t total = 0;
    int last_rank = -1;
    while (*p) {
        int64_t n;
        if (!read_number(&p, &n))
            return err_set(err, HERON_EINVAL, "not a valid duration string: \"%s\"", s);
        int u = match_unit(p, duration_units, sizeof duration_units / sizeof *duration_units);
        if (u < 0 || duration_rank[u] <= last_rank)
            return err_set(err, HERON_EINVAL, "not a valid duration string: \"%s\"", s);
        last_rank = duration_rank[u];
        p += strlen(duration_units[u].name);
        if (n > (INT64_MAX - total) / duration_units[u].factor)
            return err_set(err, HERON_EINVAL, "duration out of range: \"%s\"", s);
        total += n * duration_units[u].factor;
    }
    *ms = total;
    return 0;
}

void units_format_duration(int64_t ms, char *out)
{
    if (ms == 0) {
        strcpy(out, "0s");
        return;
    }
    /* y w d h m s ms; years and weeks only when nothing is left over, as
     * Prometheus prints them ("15d", not "2w1d") */
    static const int order[] = {0, 1, 2, 3, 5, 6, 4};
    char *o = out;
    uint64_t left = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        *o++ = '-';
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const unit *u = &duration_units[order[i]];
        uint64_t mult = (uint64_t)u->factor;
        if (i < 2 && left % mult != 0)
            continue;
        if (left >= mult) {
            o += sprintf(o, "%llu%s", (unsigned long long)(left / mult), u->name);
            left %= mult;
        }
    }
    *o = '\0';
}

int units_parse_bytes(const char *s, int64_t *bytes, heron_err *err)
{
    const char *p = s ? s : "";
    int64_t n;
    if (!read_number(&p, &n))
        return err_set(err, HERON_EINVAL, "not a valid byte size: \"%s\"", s ? s : "");
    int u = match_unit(p, size_units, sizeof size_units / sizeof *size_units);
    if (u < 0 || p[strlen(size_units[u].name)] != '\0')
        return err_set(err, HERON_EINVAL, "not a valid byte size (want e.g. 512MB): \"%s\"", s);
    if (n > INT64_MAX / size_units[u].factor)
        return err_set(err, HERON_EINVAL, "byte size out of range: \"%s\"", s);
    *bytes = n * size_units[u].factor;
    return 0;
}
