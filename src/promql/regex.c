/* regex — parse-time validation of regex matchers with PCRE2. Prometheus
 * anchors a matcher's regex as ^(?:value)$ and rejects the query when it
 * does not compile; it also needs to know whether it matches "". */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/parse.h"

/* The common shapes that need no compiling: ".*", ".+" and alternations
 * of plain words such as "api|web-1". 1 when value is one of them. */
static int regex_trivial(const char *value, size_t len, int *matches_empty)
{
    if (len == 2 && value[0] == '.' && (value[1] == '*' || value[1] == '+')) {
        *matches_empty = value[1] == '*';
        return 1;
    }
    int empty = 0;
    size_t alt = 0; /* length of the current alternative */
    for (size_t i = 0; i < len; i++) {
        char c = value[i];
        if (c == '|') {
            empty |= alt == 0;
            alt = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-' || c == ':' || c == '/' || c == ' ' || c == ',' ||
                   c == '=' || c == '@') {
            alt++;
        } else {
            return 0;
        }
    }
    *matches_empty = empty || alt == 0;
    return 1;
}

int promql_regex_check(const char *value, size_t len, int *matches_empty, char *msg,
                       size_t msgsize)
{
    if (regex_trivial(value, len, matches_empty))
        return 0;
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
