/* labels — sorting, ordering, hashing and validating label sets. */
#include "tsdb/labels.h"

#include <stdio.h>
#include <stdlib.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "core/err.h"

static int label_cmp_name(const void *a, const void *b)
{
    return strcmp(((const tsdb_label *)a)->name,
                  ((const tsdb_label *)b)->name);
}

void tsdb_labels_sort(tsdb_label *ls, size_t n)
{
    if (n > 1)
        qsort(ls, n, sizeof *ls, label_cmp_name);
}

int tsdb_labels_cmp(const tsdb_label *a, size_t na, const tsdb_label *b,
                    size_t nb)
{
    /* Interned (head) and symbol-table (block) strings are often the same
     * pointer: equal without looking at the bytes. */
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        int c = a[i].name == b[i].name ? 0 : strcmp(a[i].name, b[i].name);
        if (c)
            return c;
        c = a[i].value == b[i].value ? 0 : strcmp(a[i].value, b[i].value);
        if (c)
            return c;
    }
    return na < nb ? -1 : na > nb;
}

int labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                 size_t nb)
{
    return na == nb && tsdb_labels_cmp(a, na, b, nb) == 0;
}

uint64_t labels_hash(const tsdb_label *ls, size_t n)
{
    /* The pairs as name 0xff value 0xff ..., hashed by one XXH3 call when
     * they fit the stack buffer (nearly always): for short strings the
     * streaming calls cost more than the hashing. Streaming what does not
     * fit gives the same hash. */
    char b[1024];
    size_t len = 0;
    XXH3_state_t st;
    int streaming = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            const char *p = k ? ls[i].value : ls[i].name;
            size_t pl = strlen(p);
            if (len + pl + 1 > sizeof b) {
                if (!streaming)
                    XXH3_64bits_reset(&st);
                streaming = 1;
                XXH3_64bits_update(&st, b, len);
                len = 0;
                if (pl + 1 > sizeof b) {
                    XXH3_64bits_update(&st, p, pl);
                    pl = 0;
                }
            }
            memcpy(b + len, p, pl);
            b[len + pl] = '\xff';
            len += pl + 1;
        }
    if (!streaming)
        return XXH3_64bits(b, len);
    XXH3_64bits_update(&st, b, len);
    return XXH3_64bits_digest(&st);
}

int labels_validate(const tsdb_label *ls, size_t n, size_t max_name,
                    size_t max_value, heron_err *err)
{
    if (n == 0)
        return err_set(err, HERON_EINVAL, "empty label set");
    for (size_t i = 0; i < n; i++) {
        const char *name = ls[i].name, *value = ls[i].value;
        if (!name || !value || !*name)
            return err_set(err, HERON_EINVAL, "label %zu has an empty name", i);
        size_t nl = strlen(name), vl = strlen(value);
        if (nl > max_name)
            return err_set(err, HERON_ERANGE,
                           "label name \"%.40s...\" is %zu bytes, limit %zu",
                           name, nl, max_name);
        if (vl > max_value)
            return err_set(err, HERON_ERANGE,
                           "value of label \"%.40s\" is %zu bytes, limit %zu",
                           name, vl, max_value);
        if (i > 0) {
            int c = strcmp(ls[i - 1].name, name);
            if (c == 0)
                return err_set(err, HERON_EINVAL, "duplicate label name \"%.80s\"",
                               name);
            if (c > 0)
                return err_set(err, HERON_EINVAL,
                               "labels not sorted: \"%.60s\" after \"%.60s\"",
                               name, ls[i - 1].name);
        }
    }
    return 0;
}

void labels_format(const tsdb_label *ls, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = 0;
    int w = snprintf(out, cap, "{");
    len = (size_t)w;
    for (size_t i = 0; i < n && len < cap; i++) {
        w = snprintf(out + len, cap - len, "%s%s=\"%s\"", i ? ", " : "",
                     ls[i].name, ls[i].value);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len < cap)
        len += (size_t)snprintf(out + len, cap - len, "}");
    if (len >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}
