/*
 * privacy_orders.c — the standard lists of Rényi orders and order-list
 * parsing ("default", "opacus_default" or "1.5,2,inf").
 *
 * The fractional orders are built as 1 + x/10.0 in double, as the reference
 * libraries build them, so that "1.1" here is the same double as there.
 * Pure functions; thread-safe.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "heron.h"

#define ORDERS_LIST_MAX 4096

/* 1.1 … 10.9, then the integers first..63, then 128 … 1024 if wide. */
static size_t orders_build(double *out, int first_int, int wide)
{
    size_t n = 0;
    for (int x = 1; x <= 99; x++)
        out[n++] = 1 + x / 10.0;
    for (int k = first_int; k <= 63; k++)
        out[n++] = k;
    if (wide)
        for (int k = 128; k <= 1024; k *= 2)
            out[n++] = k;
    return n;
}

size_t heron_rdp_orders_default(double out[HERON_RDP_ORDERS_MAX])
{
    return orders_build(out, 11, 1);
}

size_t heron_rdp_orders_opacus(double out[HERON_RDP_ORDERS_MAX])
{
    return orders_build(out, 12, 0);
}

static int orders_named(const char *spec, double **out, size_t *n)
{
    size_t (*fill)(double *) = NULL;
    if (strcmp(spec, "default") == 0)
        fill = heron_rdp_orders_default;
    else if (strcmp(spec, "opacus_default") == 0)
        fill = heron_rdp_orders_opacus;
    else
        return 0;
    *out = malloc(HERON_RDP_ORDERS_MAX * sizeof **out);
    if (*out)
        *n = fill(*out);
    return 1;
}

int heron_rdp_orders_parse(const char *spec, double **out, size_t *n,
                           heron_err *err)
{
    *out = NULL;
    *n = 0;
    if (!spec || !*spec)
        return err_set(err, HERON_EINVAL, "orders: empty list");
    if (orders_named(spec, out, n))
        return *out ? 0 : err_set(err, HERON_ENOMEM, "orders: out of memory");
    size_t count = 1;
    for (const char *p = spec; *p; p++)
        count += *p == ',';
    if (count > ORDERS_LIST_MAX)
        return err_set(err, HERON_ERANGE,
                       "orders: %zu orders, at most %d allowed", count,
                       ORDERS_LIST_MAX);
    double *v = malloc(count * sizeof *v);
    if (!v)
        return err_set(err, HERON_ENOMEM, "orders: out of memory");
    const char *p = spec;
    for (size_t i = 0; i < count; i++) {
        size_t len = strcspn(p, ",");
        char tok[64];
        char *end = NULL;
        if (len > 0 && len < sizeof tok) {
            memcpy(tok, p, len);
            tok[len] = 0;
            errno = 0;
            v[i] = strtod(tok, &end);
        }
        if (!end || *end || errno || !(v[i] > 1)) {
            free(v);
            return err_set(err, HERON_EINVAL,
                           "orders: \"%.*s\" (item %zu) is not an order > 1",
                           (int)(len < 40 ? len : 40), p, i + 1);
        }
        p += len + 1;
    }
    *out = v;
    *n = count;
    return 0;
}
