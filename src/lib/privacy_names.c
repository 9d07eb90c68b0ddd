/*
 * privacy_names.c — the names of mechanism kinds and conversions, as the
 * CLI, the conformance files and the docs spell them, and back.
 * Pure functions; thread-safe.
 */
#include <string.h>

#include "core/err.h"
#include "heron.h"

static const char *const names_kind[] = {
    [HERON_PRIVACY_GAUSSIAN] = "gaussian",
    [HERON_PRIVACY_SUBSAMPLED_GAUSSIAN] = "subsampled_gaussian",
    [HERON_PRIVACY_LAPLACE] = "laplace",
};

static const char *const names_conversion[] = {
    [HERON_PRIVACY_IMPROVED] = "improved",
    [HERON_PRIVACY_CLASSIC] = "classic",
    [HERON_PRIVACY_OPACUS] = "opacus",
};

#define NAMES_COUNT(t) (sizeof(t) / sizeof *(t))

/* The index of name in table[0..n), or -1. */
static int names_index(const char *const *table, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(name, table[i]) == 0)
            return (int)i;
    return -1;
}

const char *heron_privacy_kind_name(heron_privacy_kind kind)
{
    return (unsigned)kind < NAMES_COUNT(names_kind) ? names_kind[kind]
                                                     : "unknown";
}

int heron_privacy_kind_parse(const char *name, heron_privacy_kind *out,
                             heron_err *err)
{
    int i = names_index(names_kind, NAMES_COUNT(names_kind), name);
    if (i < 0)
        return err_set(err, HERON_EINVAL,
                       "mechanism \"%s\": want gaussian, subsampled_gaussian "
                       "or laplace", name ? name : "(null)");
    *out = (heron_privacy_kind)i;
    return 0;
}

const char *heron_privacy_conversion_name(heron_privacy_conversion conv)
{
    return (unsigned)conv < NAMES_COUNT(names_conversion)
               ? names_conversion[conv]
               : "unknown";
}

int heron_privacy_conversion_parse(const char *name,
                                   heron_privacy_conversion *out,
                                   heron_err *err)
{
    int i = names_index(names_conversion, NAMES_COUNT(names_conversion), name);
    if (i < 0)
        return err_set(err, HERON_EINVAL,
                       "conversion \"%s\": want improved, classic or opacus",
                       name ? name : "(null)");
    *out = (heron_privacy_conversion)i;
    return 0;
}
