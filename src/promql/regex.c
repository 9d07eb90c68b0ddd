/* regex — parse-time validation of regex matchers with PCRE2. Prometheus
 * anchors a matcher's regex as ^(?:value)$ and rejects the query when it
 * does not compile; it also needs to know whether it matches "". */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/parse.h"

int promql_regex_check(const char *value, size_t len, int *matches_empty, char *msg,
                       size_t msgsize)
{
    char stack[512];
    size_t n = len + 7;
    char *pat = n <= sizeof stack ? stack : malloc(n);
    if (!pat) {
        snprintf(msg, msgsize, "out of memory");
        return HERON_ENOMEM;
    }
    memcpy(pat, "^(?:", 4);
    memcpy(pat + 4, value, len);
    memcpy(pat + 4 + len, ")$", 2);
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len + 6, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
                                   &errcode, &erroff, NULL);
    int rc = 0;
    if (!re) {
        PCRE2_UCHAR why[120];
        pcre2_get_error_message(errcode, why, sizeof why);
        snprintf(msg, msgsize, "error parsing regexp: %s: `%.*s`", (const char *)why,
                 (int)(len + 6 > 120 ? 120 : len + 6), pat);
        rc = HERON_EINVAL;
    } else {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        if (!md) {
            snprintf(msg, msgsize, "out of memory");
            rc = HERON_ENOMEM;
        } else {
            *matches_empty = pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0;
            pcre2_match_data_free(md);
        }
        pcre2_code_free(re);
    }
    if (pat != stack)
        free(pat);
    return rc;
}
