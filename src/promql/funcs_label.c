/* funcs_label — label_replace and label_join. The regex is anchored and
 * compiled once per call with PCRE2; replacements expand $1, ${1}, $name
 * and $$ the way Go's Regexp.Expand does. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "promql/eval.h"

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_';
}

/* Appends group `name` (a number or a group name) of the match. */
static void put_group(buf *b, const pcre2_code *re, const char *subject,
                      const PCRE2_SIZE *ov, int rc, const char *name,
                      size_t len)
{
    long num = 0;
    size_t i;
    for (i = 0; i < len && name[i] >= '0' && name[i] <= '9'; i++) {
        num = num * 10 + (name[i] - '0');
        if (num >= 100000000)
            return;
    }
    if (i < len) {
        char tmp[256];
        if (len >= sizeof tmp)
            return;
        memcpy(tmp, name, len);
        tmp[len] = 0;
        int g = pcre2_substring_number_from_name(re, (PCRE2_SPTR)tmp);
        if (g < 0)
            return;
        num = g;
    }
    if (num >= rc || ov[2 * num] == PCRE2_UNSET)
        return;
    buf_append(b, subject + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
}

static void expand(buf *b, const pcre2_code *re, const char *subject,
                   const PCRE2_SIZE *ov, int rc, const char *tmpl)
{
    for (const char *p = tmpl; *p;) {
        if (*p != '$') {
            buf_putc(b, *p++);
            continue;
        }
        if (p[1] == '$') {
            buf_putc(b, '$');
            p += 2;
            continue;
        }
        const char *q = p + 1;
        int brace = *q == '{';
        if (brace)
            q++;
        const char *name = q;
        while (name_char(*q))
            q++;
        size_t len = (size_t)(q - name);
        if (len == 0 || (brace && *q != '}')) {
            buf_putc(b, '$');
            p++;
            continue;
        }
        put_group(b, re, subject, ov, rc, name, len);
        p = brace ? q + 1 : q;
    }
}

static int label_replace(ev_ctx *c, const ev_value *args, ev_value *out)
{
    const char *dst = args[1].str, *repl = args[2].str, *src = args[3].str;
    const char *rx = args[4].str;
    size_t plen = strlen(rx) + 16;
    char *pat = ev_alloc(c, plen);
    if (!pat)
        return HERON_ENOMEM;
    snprintf(pat, plen, "^(?:%s)$", rx);
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_DOLLAR_ENDONLY | PCRE2_UTF, &ecode,
                                   &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(ecode, msg, sizeof msg);
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "invalid regular expression in label_replace(): %s",
                       (const char *)msg);
    }
    int rc = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    ev_out o;
    if (!prom_label_name_valid(dst, strlen(dst)))
        rc = ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                     "invalid destination label name in label_replace(): %s",
                     dst);
    else if (!md || ev_out_init(&o, c, args[0].n))
        rc = ev_nomem(c);
    buf b;
    buf_init(&b, 0);
    for (size_t k = 0; !rc && k < args[0].n; k++) {
        const ev_series *s = &args[0].vs[k];
        const char *sv = ev_label_get(s->ls, s->nls, src);
        if (!sv)
            sv = "";
        tsdb_label *ls = s->ls;
        size_t nls = s->nls, idx;
        int m = pcre2_match(re, (PCRE2_SPTR)sv, strlen(sv), 0, 0, md, NULL);
        if (m > 0) {
            buf_reset(&b);
            buf_puts(&b, "");
            expand(&b, re, sv, pcre2_get_ovector_pointer(md), m, repl);
            char *val = promql_arena_strndup(c->arena, b.data, b.len);
            if (!val || ev_labels_set(c, s->ls, s->nls, dst, val, &ls, &nls)) {
                rc = ev_nomem(c);
                break;
            }
        }
        if (ev_out_series(&o, ls, nls, &idx)) {
            rc = HERON_ENOMEM;
            break;
        }
        for (size_t i = 0; !rc && i < c->nsteps; i++)
            if (s->ok[i])
                rc = ev_out_set(&o, idx, i, s->v[i]);
    }
    buf_free(&b);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    if (!rc)
        ev_out_value(&o, out);
    return rc;
}

static int label_join(ev_ctx *c, const promql_node *n, const ev_value *args,
                      ev_value *out)
{
    const char *dst = args[1].str, *sep = args[2].str;
    size_t na = n->u.call.nargs;
    for (size_t i = 3; i < na; i++)
        if (!prom_label_name_valid(args[i].str, strlen(args[i].str)))
            return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                           "invalid source label name in label_join(): %s",
                           args[i].str);
    if (!prom_label_name_valid(dst, strlen(dst)))
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "invalid destination label name in label_join(): %s",
                       dst);
    ev_out o;
    if (ev_out_init(&o, c, args[0].n))
        return HERON_ENOMEM;
    buf b;
    buf_init(&b, 0);
    int rc = 0;
    for (size_t k = 0; !rc && k < args[0].n; k++) {
        const ev_series *s = &args[0].vs[k];
        buf_reset(&b);
        buf_puts(&b, "");
        for (size_t i = 3; i < na; i++) {
            const char *v = ev_label_get(s->ls, s->nls, args[i].str);
            if (i > 3)
                buf_puts(&b, sep);
            buf_puts(&b, v ? v : "");
        }
        char *val = promql_arena_strndup(c->arena, b.data, b.len);
        tsdb_label *ls;
        size_t nls, idx;
        if (!val || ev_labels_set(c, s->ls, s->nls, dst, val, &ls, &nls) ||
            ev_out_series(&o, ls, nls, &idx)) {
            rc = ev_nomem(c);
            break;
        }
        for (size_t i = 0; !rc && i < c->nsteps; i++)
            if (s->ok[i])
                rc = ev_out_set(&o, idx, i, s->v[i]);
    }
    buf_free(&b);
    if (!rc)
        ev_out_value(&o, out);
    return rc;
}

int ev_call_label(ev_ctx *c, const promql_node *n, const ev_value *args,
                  ev_value *out)
{
    if (n->u.call.func->id == PROMQL_FN_LABEL_REPLACE)
        return label_replace(c, args, out);
    return label_join(c, n, args, out);
}
