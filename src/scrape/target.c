/*
 * target.c — target labels, relabeling and URL (see target.h).
 */
#include "core/promnames.h"
#include "scrape/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/units.h"
#include "scrape/smap.h"

/* 1 when the host:port address has a port, 0 when one may be added, -1
 * when it cannot be split either way (a bare IPv6 address). */
static int has_port(const char *a)
{
    if (a[0] == '[') {
        const char *rb = strchr(a, ']');
        if (rb == NULL)
            return -1;
        return rb[1] == ':' ? 1 : rb[1] == '\0' ? 0 : -1;
    }
    const char *c = strchr(a, ':');
    if (c == NULL)
        return 0;
    return strchr(c + 1, ':') ? -1 : 1;
}

/* Go's url.QueryEscape. */
static int query_escape(buf *b, const char *s)
{
    int rc = 0;
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            rc = buf_putc(b, (char)c);
        else if (c == ' ')
            rc = buf_putc(b, '+');
        else
            rc = buf_printf(b, "%%%02X", c);
    }
    return rc;
}

/* scheme://address/path?params: the config's params, where a
 * __param_<name> label replaces the first value of <name> (or adds it);
 * names sorted (stably), as Go's url.Values.Encode does. */
static int build_url(const scrape_job *j, const scrape_lset *full, buf *b)
{
    const char *scheme = scrape_lset_get(full, "__scheme__");
    const char *path = scrape_lset_get(full, "__metrics_path__");
    const char *addr = scrape_lset_get(full, "__address__");
    int rc = buf_printf(b, "%s://%s%s", scheme ? scheme : "http", addr, path ? path : "");
    size_t n = 0;
    tsdb_label *ps = calloc(j->params.n + full->n + 1, sizeof *ps);
    if (ps == NULL)
        return HERON_ENOMEM;
    for (size_t i = 0; i < j->params.n; i++) {
        char want[256];
        snprintf(want, sizeof want, "__param_%s", j->params.v[i].name);
        const char *label = scrape_lset_get(full, want);
        int first = 1;
        for (size_t k = 0; k < i; k++)
            first &= strcmp(j->params.v[k].name, j->params.v[i].name) != 0;
        ps[n++] = (tsdb_label){j->params.v[i].name,
                               label && first ? label : j->params.v[i].value};
    }
    for (size_t i = 0; i < full->n; i++) {
        if (strncmp(full->v[i].name, "__param_", 8) != 0)
            continue;
        int configured = 0;
        for (size_t k = 0; k < j->params.n; k++)
            configured |= strcmp(j->params.v[k].name, full->v[i].name + 8) == 0;
        if (!configured)
            ps[n++] = (tsdb_label){full->v[i].name + 8, full->v[i].value};
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(ps[k - 1].name, ps[k].name) > 0; k--) {
            tsdb_label t = ps[k];
            ps[k] = ps[k - 1];
            ps[k - 1] = t;
        }
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = buf_putc(b, i == 0 ? '?' : '&');
        if (rc == 0)
            rc = query_escape(b, ps[i].name);
        if (rc == 0)
            rc = buf_putc(b, '=');
        if (rc == 0)
            rc = query_escape(b, ps[i].value);
    }
    free(ps);
    return rc;
}

static int set_default(scrape_lset *ls, const char *name, const char *value)
{
    if (scrape_lset_get(ls, name))
        return 0;
    return scrape_lset_set(ls, name, value);
}

int scrape_target_build(const scrape_job *j, const char *address,
                        const scrape_lset *group_labels, scrape_target *t,
                        heron_err *err)
{
    memset(t, 0, sizeof *t);
    scrape_lset full = {0};
    char iv[32], to[32];
    units_format_duration(j->scrape_interval_ms, iv);
    units_format_duration(j->scrape_timeout_ms, to);
    int rc = 0;
    if (group_labels)
        rc = scrape_lset_copy(&full, group_labels);
    if (rc == 0)
        rc = scrape_lset_set(&full, "__address__", address);
    if (rc == 0)
        rc = set_default(&full, "job", j->job_name);
    if (rc == 0)
        rc = set_default(&full, "__scrape_interval__", iv);
    if (rc == 0)
        rc = set_default(&full, "__scrape_timeout__", to);
    if (rc == 0)
        rc = set_default(&full, "__metrics_path__", j->metrics_path);
    if (rc == 0)
        rc = set_default(&full, "__scheme__", j->scheme);
    for (size_t i = 0; rc == 0 && i < j->params.n; i++) {
        char name[256];
        snprintf(name, sizeof name, "__param_%s", j->params.v[i].name);
        rc = set_default(&full, name, j->params.v[i].value);
    }
    if (rc == 0)
        rc = scrape_lset_copy(&t->discovered, &full);
    if (rc < 0)
        goto nomem;
    rc = scrape_relabel_process(j->relabel_configs, j->nrelabel_configs, &full);
    if (rc < 0)
        goto nomem;
    if (rc == 0) {
        scrape_lset_free(&full);
        return 0;
    }
    const char *addr = scrape_lset_get(&full, "__address__");
    if (addr == NULL) {
        rc = err_set(err, HERON_EINVAL, "no address");
        goto fail;
    }
    int hp = has_port(addr);
    if (hp == 0) {
        const char *scheme = scrape_lset_get(&full, "__scheme__");
        const char *port;
        if (scheme == NULL || strcmp(scheme, "http") == 0)
            port = ":80";
        else if (strcmp(scheme, "https") == 0)
            port = ":443";
        else {
            rc = err_set(err, HERON_EINVAL, "invalid scheme: \"%s\"", scheme);
            goto fail;
        }
        char *a;
        if (asprintf(&a, "%s%s", addr, port) < 0)
            goto nomem;
        rc = scrape_lset_set(&full, "__address__", a);
        free(a);
        if (rc < 0)
            goto nomem;
        addr = scrape_lset_get(&full, "__address__");
    }
    if (strchr(addr, '/')) {
        rc = err_set(err, HERON_EINVAL, "\"%s\" is not a valid hostname", addr);
        goto fail;
    }
    heron_err sub = {0};
    const char *siv = scrape_lset_get(&full, "__scrape_interval__");
    const char *sto = scrape_lset_get(&full, "__scrape_timeout__");
    if (units_parse_duration(siv ? siv : "", &t->interval_ms, &sub) < 0) {
        rc = err_set(err, HERON_EINVAL, "error parsing scrape interval: %s", sub.msg);
        goto fail;
    }
    if (t->interval_ms == 0) {
        rc = err_set(err, HERON_EINVAL, "scrape interval cannot be 0");
        goto fail;
    }
    if (units_parse_duration(sto ? sto : "", &t->timeout_ms, &sub) < 0) {
        rc = err_set(err, HERON_EINVAL, "error parsing scrape timeout: %s", sub.msg);
        goto fail;
    }
    if (t->timeout_ms == 0) {
        rc = err_set(err, HERON_EINVAL, "scrape timeout cannot be 0");
        goto fail;
    }
    if (t->timeout_ms > t->interval_ms) {
        rc = err_set(err, HERON_EINVAL,
                     "scrape timeout cannot be greater than scrape interval (\"%s\" > \"%s\")",
                     sto, siv);
        goto fail;
    }
    for (size_t i = 0; i < full.n;) {
        if (strncmp(full.v[i].name, "__meta_", 7) == 0)
            scrape_lset_del(&full, full.v[i].name);
        else
            i++;
    }
    if (scrape_lset_get(&full, "instance") == NULL &&
        scrape_lset_set(&full, "instance", addr) < 0)
        goto nomem;
    for (size_t i = 0; i < full.n; i++)
        if (!prom_utf8_valid(full.v[i].value, strlen(full.v[i].value))) {
            rc = err_set(err, HERON_EINVAL, "invalid label value for \"%s\"", full.v[i].name);
            goto fail;
        }
    buf u;
    buf_init(&u, 0);
    if (build_url(j, &full, &u) < 0) {
        buf_free(&u);
        goto nomem;
    }
    t->url = buf_detach(&u, NULL);
    t->address = strdup(scrape_lset_get(&full, "__address__"));
    for (size_t i = 0; i < full.n; i++)
        if (strncmp(full.v[i].name, "__", 2) != 0 &&
            scrape_lset_set(&t->labels, full.v[i].name, full.v[i].value) < 0)
            goto nomem;
    if (t->url == NULL || t->address == NULL)
        goto nomem;
    uint64_t h = smap_hash(t->url, strlen(t->url));
    for (size_t i = 0; i < t->labels.n; i++) {
        h = h * 31 + smap_hash(t->labels.v[i].name, strlen(t->labels.v[i].name));
        h = h * 31 + smap_hash(t->labels.v[i].value, strlen(t->labels.v[i].value));
    }
    t->hash = h;
    scrape_lset_free(&full);
    return 1;
nomem:
    rc = err_set(err, HERON_ENOMEM, "out of memory");
fail:
    scrape_lset_free(&full);
    scrape_target_free(t);
    return rc;
}

void scrape_target_free(scrape_target *t)
{
    scrape_lset_free(&t->discovered);
    scrape_lset_free(&t->labels);
    free(t->url);
    free(t->address);
    memset(t, 0, sizeof *t);
}
