/*
 * filter.c — the exclusion patterns of the filesystem, netdev and diskstats
 * collectors (node_exporter's --collector.*-exclude flags).
 */
#include "core/err.h"
#include "collect/module.h"

int collect_filter_compile(regex_t *re, const char *pattern,
                           const char *fallback, const char *flag,
                           heron_err *err)
{
    const char *p = pattern ? pattern : fallback;
    int rc = regcomp(re, p, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char why[128];
        regerror(rc, re, why, sizeof why);
        return err_set(err, HERON_EINVAL, "--%s: bad regular expression \"%s\": %s",
                       flag, p, why);
    }
    return 0;
}

int collect_filter_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}
