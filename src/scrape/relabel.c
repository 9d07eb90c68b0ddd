/*
 * relabel.c — relabeling rules (see relabel.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "scrape/relabel.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"

static const char *const action_names[] = {
    [SCRAPE_RELABEL_REPLACE] = "replace",
    [SCRAPE_RELABEL_KEEP] = "keep",
    [SCRAPE_RELABEL_DROP] = "drop",
    [SCRAPE_RELABEL_KEEPEQUAL] = "keepequal",
    [SCRAPE_RELABEL_DROPEQUAL] = "dropequal",
    [SCRAPE_RELABEL_HASHMOD] = "hashmod",
    [SCRAPE_RELABEL_LABELMAP] = "labelmap",
    [SCRAPE_RELABEL_LABELDROP] = "labeldrop",
    [SCRAPE_RELABEL_LABELKEEP] = "labelkeep",
    [SCRAPE_RELABEL_LOWERCASE] = "lowercase",
    [SCRAPE_RELABEL_UPPERCASE] = "uppercase",
};
#define NACTIONS (sizeof action_names / sizeof *action_names)

#define DEFAULT_SEPARATOR ";"
#define DEFAULT_REGEX "(.*)"
#define DEFAULT_REPLACEMENT "$1"

int scrape_relabel_action_parse(const char *s, scrape_relabel_action *out)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (strcasecmp(s, action_names[i]) == 0) {
            *out = (scrape_relabel_action)i;
            return 0;
        }
    return HERON_EINVAL;
}

const char *scrape_relabel_action_name(scrape_relabel_action a)
{
    return (unsigned)a < NACTIONS ? action_names[a] : "?";
}

int scrape_label_name_valid(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* Prometheus' relabelTarget: one or more of ([a-zA-Z_] | $name | ${name})
 * followed by word characters — a label name that may hold references. */
static int relabel_target_valid(const char *s)
{
    if (*s == '\0' || isdigit((unsigned char)*s))
        return 0;
    while (*s) {
        if (isalpha((unsigned char)*s) || *s == '_') {
            s++;
        } else if (*s == '$') {
            s++;
            if (*s == '{') {
                const char *w = ++s;
                while (isalnum((unsigned char)*s) || *s == '_')
                    s++;
                if (s == w || *s != '}')
                    return 0;
                s++;
            } else {
                const char *w = s;
                while (isalnum((unsigned char)*s) || *s == '_')
                    s++;
                if (s == w)
                    return 0;
            }
        } else if (isdigit((unsigned char)*s)) {
            s++; /* \w* after a start */
        } else {
            return 0;
        }
    }
    return 1;
}

int scrape_relabel_init(scrape_relabel *r)
{
    memset(r, 0, sizeof *r);
    r->action = SCRAPE_RELABEL_REPLACE;
    r->separator = strdup(DEFAULT_SEPARATOR);
    r->regex = strdup(DEFAULT_REGEX);
    r->target_label = strdup("");
    r->replacement = strdup(DEFAULT_REPLACEMENT);
    if (!r->separator || !r->regex || !r->target_label || !r->replacement) {
        scrape_relabel_free(r);
        return HERON_ENOMEM;
    }
    return 0;
}

void scrape_relabel_free(scrape_relabel *r)
{
    for (size_t i = 0; i < r->nsource; i++)
        free(r->source_labels[i]);
    free(r->source_labels);
    free(r->separator);
    free(r->regex);
    free(r->target_label);
    free(r->replacement);
    pcre2_code_free(r->re);
    memset(r, 0, sizeof *r);
}

static int compile_regex(scrape_relabel *r, heron_err *err)
{
    buf b;
    buf_init(&b, 0);
    if (buf_printf(&b, "^(?:%s)$", r->regex) < 0) {
        buf_free(&b);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile(
        (PCRE2_SPTR)b.data, b.len,
        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &off,
        NULL);
    buf_free(&b);
    if (re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return err_set(err, HERON_EINVAL, "invalid regex \"%s\": %s", r->regex,
                       (const char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort */
    r->re = re;
    return 0;
}

int scrape_relabel_compile(scrape_relabel *r, heron_err *err)
{
    const char *act = scrape_relabel_action_name(r->action);
    scrape_relabel_action a = r->action;
    for (size_t i = 0; i < r->nsource; i++)
        if (!scrape_label_name_valid(r->source_labels[i]))
            return err_set(err, HERON_EINVAL, "\"%s\" is not a valid label name",
                           r->source_labels[i]);
    if (a == SCRAPE_RELABEL_HASHMOD && r->modulus == 0)
        return err_set(err, HERON_EINVAL,
                       "relabel configuration for hashmod requires non-zero modulus");
    int needs_target = a == SCRAPE_RELABEL_REPLACE || a == SCRAPE_RELABEL_HASHMOD ||
                       a == SCRAPE_RELABEL_LOWERCASE || a == SCRAPE_RELABEL_UPPERCASE ||
                       a == SCRAPE_RELABEL_KEEPEQUAL || a == SCRAPE_RELABEL_DROPEQUAL;
    if (needs_target && r->target_label[0] == '\0')
        return err_set(err, HERON_EINVAL,
                       "relabel configuration for %s action requires 'target_label' value",
                       act);
    if ((a == SCRAPE_RELABEL_REPLACE || a == SCRAPE_RELABEL_LOWERCASE ||
         a == SCRAPE_RELABEL_UPPERCASE) &&
        !relabel_target_valid(r->target_label))
        return err_set(err, HERON_EINVAL, "\"%s\" is invalid 'target_label' for %s action",
                       r->target_label, act);
    int def_repl = strcmp(r->replacement, DEFAULT_REPLACEMENT) == 0;
    if ((a == SCRAPE_RELABEL_LOWERCASE || a == SCRAPE_RELABEL_UPPERCASE ||
         a == SCRAPE_RELABEL_KEEPEQUAL || a == SCRAPE_RELABEL_DROPEQUAL) &&
        !def_repl)
        return err_set(err, HERON_EINVAL, "'replacement' can not be set for %s action", act);
    if (a == SCRAPE_RELABEL_LABELMAP && !relabel_target_valid(r->replacement))
        return err_set(err, HERON_EINVAL, "\"%s\" is invalid 'replacement' for %s action",
                       r->replacement, act);
    if ((a == SCRAPE_RELABEL_HASHMOD || a == SCRAPE_RELABEL_KEEPEQUAL ||
         a == SCRAPE_RELABEL_DROPEQUAL) &&
        !scrape_label_name_valid(r->target_label))
        return err_set(err, HERON_EINVAL, "\"%s\" is invalid 'target_label' for %s action",
                       r->target_label, act);
    int def_sep = strcmp(r->separator, DEFAULT_SEPARATOR) == 0;
    int def_re = strcmp(r->regex, DEFAULT_REGEX) == 0;
    if ((a == SCRAPE_RELABEL_KEEPEQUAL || a == SCRAPE_RELABEL_DROPEQUAL) &&
        (!def_re || r->modulus != 0 || !def_sep || !def_repl))
        return err_set(err, HERON_EINVAL,
                       "%s action requires only 'source_labels' and `target_label`, "
                       "and no other fields", act);
    if ((a == SCRAPE_RELABEL_LABELDROP || a == SCRAPE_RELABEL_LABELKEEP) &&
        (r->nsource > 0 || r->target_label[0] != '\0' || r->modulus != 0 || !def_sep ||
         !def_repl))
        return err_set(err, HERON_EINVAL,
                       "%s action requires only 'regex', and no other fields", act);
    pcre2_code_free(r->re);
    r->re = NULL;
    return compile_regex(r, err);
}

/* ---- applying ---- */

/* Match of the whole string; returns the ovector or NULL. md is the
 * caller's match data. */
static PCRE2_SIZE *match(const scrape_relabel *r, const char *s,
                         pcre2_match_data *md)
{
    int rc = pcre2_match((const pcre2_code *)r->re, (PCRE2_SPTR)s, strlen(s), 0, 0,
                         md, NULL);
    return rc > 0 ? pcre2_get_ovector_pointer(md) : NULL;
}

/* Go's regexp.Expand of tmpl with the groups of the match of s. */
static int expand(const scrape_relabel *r, const char *tmpl, const char *s,
                  pcre2_match_data *md, buf *out)
{
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t npairs = pcre2_get_ovector_count(md);
    buf_reset(out);
    int rc = buf_append(out, "", 0);
    for (const char *p = tmpl; *p && rc == 0;) {
        if (*p != '$') {
            const char *q = strchr(p, '$');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            rc = buf_append(out, p, n);
            p += n;
            continue;
        }
        const char *name, *after;
        size_t nlen;
        if (p[1] == '$') {
            rc = buf_putc(out, '$');
            p += 2;
            continue;
        }
        if (p[1] == '{') {
            name = p + 2;
            nlen = 0;
            while (isalnum((unsigned char)name[nlen]) || name[nlen] == '_')
                nlen++;
            if (nlen == 0 || name[nlen] != '}') {
                rc = buf_putc(out, '$');
                p++;
                continue;
            }
            after = name + nlen + 1;
        } else {
            name = p + 1;
            nlen = 0;
            while (isalnum((unsigned char)name[nlen]) || name[nlen] == '_')
                nlen++;
            if (nlen == 0) {
                rc = buf_putc(out, '$');
                p++;
                continue;
            }
            after = name + nlen;
        }
        p = after;
        long num = 0;
        for (size_t i = 0; i < nlen; i++) {
            if (!isdigit((unsigned char)name[i]) || num >= 100000000) {
                num = -1;
                break;
            }
            num = num * 10 + (name[i] - '0');
        }
        if (num < 0) {
            char nm[128];
            if (nlen >= sizeof nm)
                continue;
            memcpy(nm, name, nlen);
            nm[nlen] = '\0';
            int g = pcre2_substring_number_from_name((const pcre2_code *)r->re,
                                                     (PCRE2_SPTR)nm);
            if (g < 0)
                continue;
            num = g;
        }
        if ((uint32_t)num < npairs && ov[2 * num] != PCRE2_UNSET)
            rc = buf_append(out, s + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
    }
    return rc;
}

static int join_sources(const scrape_relabel *r, const scrape_lset *ls, buf *val)
{
    buf_reset(val);
    int rc = buf_append(val, "", 0);
    for (size_t i = 0; i < r->nsource && rc == 0; i++) {
        const char *v = scrape_lset_get(ls, r->source_labels[i]);
        if (i > 0)
            rc = buf_puts(val, r->separator);
        if (rc == 0 && v)
            rc = buf_puts(val, v);
    }
    return rc;
}

static uint64_t hashmod(const char *s, uint64_t modulus)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
    uint64_t v = 0;
    for (int i = 8; i < 16; i++)
        v = (v << 8) | md[i];
    return v % modulus;
}

/* One rule. 1 keep, 0 drop, < 0 error. */
static int apply(const scrape_relabel *r, scrape_lset *ls, pcre2_match_data *md,
                 buf *val, buf *t1, buf *t2)
{
    int rc = join_sources(r, ls, val);
    if (rc < 0)
        return rc;
    const char *v = val->data;
    switch (r->action) {
    case SCRAPE_RELABEL_DROP:
        return match(r, v, md) ? 0 : 1;
    case SCRAPE_RELABEL_KEEP:
        return match(r, v, md) ? 1 : 0;
    case SCRAPE_RELABEL_DROPEQUAL: {
        const char *t = scrape_lset_get(ls, r->target_label);
        return strcmp(t ? t : "", v) == 0 ? 0 : 1;
    }
    case SCRAPE_RELABEL_KEEPEQUAL: {
        const char *t = scrape_lset_get(ls, r->target_label);
        return strcmp(t ? t : "", v) == 0 ? 1 : 0;
    }
    case SCRAPE_RELABEL_REPLACE:
        if (!match(r, v, md))
            return 1;
        if ((rc = expand(r, r->target_label, v, md, t1)) < 0 ||
            (rc = expand(r, r->replacement, v, md, t2)) < 0)
            return rc;
        if (!scrape_label_name_valid(t1->data) || t2->len == 0) {
            scrape_lset_del(ls, r->target_label);
            return 1;
        }
        return scrape_lset_set(ls, t1->data, t2->data) < 0 ? HERON_ENOMEM : 1;
    case SCRAPE_RELABEL_LOWERCASE:
    case SCRAPE_RELABEL_UPPERCASE:
        for (char *p = val->data; *p; p++)
            *p = (char)(r->action == SCRAPE_RELABEL_LOWERCASE ? tolower((unsigned char)*p)
                                                             : toupper((unsigned char)*p));
        return scrape_lset_set(ls, r->target_label, val->data) < 0 ? HERON_ENOMEM : 1;
    case SCRAPE_RELABEL_HASHMOD: {
        char num[24];
        snprintf(num, sizeof num, "%llu", (unsigned long long)hashmod(v, r->modulus));
        return scrape_lset_set(ls, r->target_label, num) < 0 ? HERON_ENOMEM : 1;
    }
    case SCRAPE_RELABEL_LABELMAP: {
        /* Over the labels as they were before this rule. */
        scrape_lset snap = {0};
        if (scrape_lset_copy(&snap, ls) < 0)
            return HERON_ENOMEM;
        rc = 1;
        for (size_t i = 0; i < snap.n && rc == 1; i++) {
            if (!match(r, snap.v[i].name, md))
                continue;
            if (expand(r, r->replacement, snap.v[i].name, md, t1) < 0 ||
                scrape_lset_set(ls, t1->data, snap.v[i].value) < 0)
                rc = HERON_ENOMEM;
        }
        scrape_lset_free(&snap);
        return rc;
    }
    case SCRAPE_RELABEL_LABELDROP:
    case SCRAPE_RELABEL_LABELKEEP:
        for (size_t i = 0; i < ls->n;) {
            int m = match(r, ls->v[i].name, md) != NULL;
            if (m == (r->action == SCRAPE_RELABEL_LABELDROP))
                scrape_lset_del(ls, ls->v[i].name);
            else
                i++;
        }
        return 1;
    }
    return 1;
}

int scrape_relabel_process(const scrape_relabel *rules, size_t n, scrape_lset *ls)
{
    if (n == 0)
        return 1;
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    if (md == NULL)
        return HERON_ENOMEM;
    buf val, t1, t2;
    buf_init(&val, 0);
    buf_init(&t1, 0);
    buf_init(&t2, 0);
    int rc = 1;
    for (size_t i = 0; i < n && rc == 1; i++)
        rc = apply(&rules[i], ls, md, &val, &t1, &t2);
    buf_free(&val);
    buf_free(&t1);
    buf_free(&t2);
    pcre2_match_data_free(md);
    return rc;
}
