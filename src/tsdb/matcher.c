/*
 * matcher — label matchers. Regexes are fully anchored and compiled once
 * with PCRE2 (JIT when available). Common shapes skip the regex engine:
 * a plain literal, a literal alternation "a|b|c", a literal prefix "foo.*",
 * ".*" and ".+".
 */
#include "tsdb/matcher.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

typedef enum fast_kind {
    FAST_NONE,    /* run the regex */
    FAST_ANY,     /* .* */
    FAST_NONEMPTY, /* .+ */
    FAST_SET,     /* literal alternation (one literal included) */
    FAST_PREFIX   /* literal prefix followed by .* */
} fast_kind;

struct tsdb_matcher {
    tsdb_match_type type;
    char *name;
    char *value;
    pcre2_code *re;
    fast_kind fast;
    char **lits; /* FAST_SET: sorted literals; FAST_PREFIX: lits[0] */
    size_t nlits;
    int matches_empty;
};

static int is_meta(char c)
{
    return strchr("\\^$.|?*+()[]{}", c) != NULL;
}

static int lit_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Recognises the shapes that need no regex engine. */
static int analyse(tsdb_matcher *m)
{
    const char *re = m->value;
    if (strcmp(re, ".*") == 0) {
        m->fast = FAST_ANY;
        return 0;
    }
    if (strcmp(re, ".+") == 0) {
        m->fast = FAST_NONEMPTY;
        return 0;
    }
    size_t len = strlen(re);
    if (len >= 2 && strcmp(re + len - 2, ".*") == 0) {
        size_t i;
        for (i = 0; i < len - 2 && !is_meta(re[i]); i++)
            ;
        if (i == len - 2) {
            m->lits = malloc(sizeof *m->lits);
            if (!m->lits || !(m->lits[0] = strndup(re, len - 2)))
                return HERON_ENOMEM;
            m->nlits = 1;
            m->fast = FAST_PREFIX;
            return 0;
        }
    }
    /* a|b|c with no other metacharacters */
    size_t alts = 1;
    for (const char *p = re; *p; p++) {
        if (*p == '|')
            alts++;
        else if (is_meta(*p))
            return 0;
    }
    m->lits = calloc(alts, sizeof *m->lits);
    if (!m->lits)
        return HERON_ENOMEM;
    const char *start = re;
    for (size_t i = 0; i < alts; i++) {
        const char *end = strchr(start, '|');
        if (!end)
            end = start + strlen(start);
        if (!(m->lits[i] = strndup(start, (size_t)(end - start))))
            return HERON_ENOMEM;
        m->nlits++;
        start = end + 1;
    }
    qsort(m->lits, m->nlits, sizeof *m->lits, lit_cmp);
    m->fast = FAST_SET;
    return 0;
}

static int raw_match(const tsdb_matcher *m, const char *v)
{
    switch (m->type) {
    case TSDB_MATCH_EQ: return strcmp(v, m->value) == 0;
    case TSDB_MATCH_NEQ: return strcmp(v, m->value) != 0;
    default: break;
    }
    int hit;
    switch (m->fast) {
    case FAST_ANY: hit = 1; break;
    case FAST_NONEMPTY: hit = *v != 0; break;
    case FAST_PREFIX: hit = strncmp(v, m->lits[0], strlen(m->lits[0])) == 0; break;
    case FAST_SET:
        hit = bsearch(&v, m->lits, m->nlits, sizeof *m->lits, lit_cmp) != NULL;
        break;
    default: {
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        if (!md)
            return 0;
        int rc = pcre2_match(m->re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        hit = rc >= 0;
    }
    }
    return m->type == TSDB_MATCH_RE ? hit : !hit;
}

int tsdb_matcher_new(tsdb_match_type type, const char *name,
                     const char *value, tsdb_matcher **out, heron_err *err)
{
    if (!name || !value || type > TSDB_MATCH_NRE)
        return err_set(err, HERON_EINVAL, "matcher needs a name and a value");
    tsdb_matcher *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(name)) || !(m->value = strdup(value))) {
        tsdb_matcher_free(m);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    m->type = type;
    if (type == TSDB_MATCH_RE || type == TSDB_MATCH_NRE) {
        if (analyse(m)) {
            tsdb_matcher_free(m);
            return err_set(err, HERON_ENOMEM, "out of memory");
        }
        if (m->fast == FAST_NONE) {
            int ec;
            PCRE2_SIZE off;
            m->re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
                                  PCRE2_ANCHORED | PCRE2_ENDANCHORED |
                                      PCRE2_DOTALL | PCRE2_UTF,
                                  &ec, &off, NULL);
            if (!m->re) {
                PCRE2_UCHAR msg[120];
                pcre2_get_error_message(ec, msg, sizeof msg);
                tsdb_matcher_free(m);
                return err_set(err, HERON_EINVAL,
                               "bad regex \"%.100s\" for label \"%.60s\" at offset %zu: %s",
                               value, name, (size_t)off, (const char *)msg);
            }
            pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* optional */
        }
    }
    m->matches_empty = raw_match(m, "");
    *out = m;
    return 0;
}

void tsdb_matcher_free(tsdb_matcher *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nlits; i++)
        free(m->lits[i]);
    free(m->lits);
    pcre2_code_free(m->re);
    free(m->name);
    free(m->value);
    free(m);
}

int tsdb_matcher_matches(const tsdb_matcher *m, const char *value)
{
    return raw_match(m, value);
}

const char *tsdb_matcher_name(const tsdb_matcher *m) { return m->name; }
tsdb_match_type tsdb_matcher_type(const tsdb_matcher *m) { return m->type; }
const char *tsdb_matcher_value(const tsdb_matcher *m) { return m->value; }

int matcher_matches_empty(const tsdb_matcher *m)
{
    return m->matches_empty;
}

size_t matcher_literals(const tsdb_matcher *m, const char *const **lits)
{
    if (m->type == TSDB_MATCH_EQ) {
        *lits = (const char *const *)&m->value;
        return 1;
    }
    if (m->type == TSDB_MATCH_RE && m->fast == FAST_SET) {
        *lits = (const char *const *)m->lits;
        return m->nlits;
    }
    return 0;
}
