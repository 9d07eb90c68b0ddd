/*
 * select — postings for a list of matchers, as Prometheus evaluates them:
 * the intersection of the lists of every matcher that needs its label set,
 * minus the union of the lists excluded by matchers that also accept a
 * missing label; all series when no matcher needs a label.
 */
#include "tsdb/matcher.h"
#include "tsdb/query.h"

#include <stdlib.h>
#include <string.h>

/* Union of the postings of the values of m's label for which
 * tsdb_matcher_matches(m, v) == want. */
static int postings_where(const qsource *src, const tsdb_matcher *m, int want,
                          plist *out, heron_err *err)
{
    const char *name = tsdb_matcher_name(m);
    const char *const *lits;
    size_t nlits = want ? matcher_literals(m, &lits) : 0;
    int rc = 0;
    if (nlits) {
        for (size_t i = 0; i < nlits && rc == 0; i++)
            rc = src->ops->postings(src->p, name, lits[i], out, err);
    } else {
        tsdb_strings vals = {0};
        rc = src->ops->values(src->p, name, &vals, err);
        for (size_t i = 0; i < vals.n && rc == 0; i++)
            if (tsdb_matcher_matches(m, vals.v[i]) == want)
                rc = src->ops->postings(src->p, name, vals.v[i], out, err);
        tsdb_strings_free(&vals);
    }
    if (rc == 0)
        plist_sort_unique(out);
    return rc;
}

int qsource_select(const qsource *src, const tsdb_matcher *const *ms,
                   size_t n, plist *out, heron_err *err)
{
    plist acc = {0}, excl = {0}, tmp = {0}, one = {0};
    int have = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int empty = matcher_matches_empty(ms[i]);
        one.n = 0;
        /* A matcher accepting "" excludes the series whose value it
         * rejects; otherwise it includes those whose value it accepts. */
        rc = postings_where(src, ms[i], !empty, &one, err);
        if (rc)
            break;
        if (empty) {
            rc = plist_union(&excl, &one, &tmp);
            plist swap = excl;
            excl = tmp;
            tmp = swap;
        } else if (!have) {
            plist swap = acc;
            acc = one;
            one = swap;
            have = 1;
        } else {
            rc = plist_intersect(&acc, &one, &tmp);
            plist swap = acc;
            acc = tmp;
            tmp = swap;
        }
        if (have && acc.n == 0)
            break;
    }
    if (rc == 0 && !have)
        rc = src->ops->all(src->p, &acc, err);
    if (rc == 0)
        rc = plist_subtract(&acc, &excl, out);
    plist_free(&acc);
    plist_free(&excl);
    plist_free(&tmp);
    plist_free(&one);
    return rc;
}
