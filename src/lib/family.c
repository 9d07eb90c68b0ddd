/*
 * family.c — metric families: creation, validation, the child table, child
 * lookup and removal, exemplar slots, and writing a family out.
 */
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "core/err.h"
#include "core/fmt.h"
#include "core/hclock.h"
#include "lib/metric.h"

static _Thread_local heron_err last_error;

void lib_set_last_error(const heron_err *err)
{
    last_error = *err;
}

const char *heron_last_error(void)
{
    return last_error.msg;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* Frees a child that is no longer reachable from its family. Handles a
 * partly built child too (NULL fields). */
static void child_free(const family *f, child *c)
{
    f->ops->cells_free(c);
    for (size_t i = 0; c->values && i < f->label_count; i++)
        free(c->values[i]);
    free(c->values);
    free(c->labels_before);
    free(c->labels_after);
    free(c->exemplars);
    free(c);
}

void family_free(family *f)
{
    if (!f)
        return;
    for (child *c = f->first, *next; c; c = next) {
        next = c->next;
        child_free(f, c);
    }
    for (size_t i = 0; i < f->label_count; i++)
        free(f->label_names[i]);
    free(f->label_names);
    free(f->sorted);
    free(f->table);
    free(f->name);
    free(f->help);
    free(f->unit);
    free(f->bounds);
    free(f->quantiles);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static int family_create(const heron_opts *o, const kind_ops *ops,
                         family **out, heron_err *err)
{
    if (!o || !o->name)
        return err_set(err, HERON_EINVAL, "metric options need a name");
    if (!prom_metric_name_valid(o->name, strlen(o->name)))
        return err_set(err, HERON_EINVAL, "invalid metric name \"%s\"", o->name);
    if (o->unit && *o->unit && !prom_label_name_valid(o->unit, strlen(o->unit)))
        return err_set(err, HERON_EINVAL, "metric %s: invalid unit \"%s\"", o->name, o->unit);
    size_t nlabels;
    int rc = names_check_labels(o->name, o->labels, ops->reserved_label, &nlabels, err);
    if (rc)
        return rc;

    family *f = calloc(1, sizeof *f);
    if (!f)
        return err_set(err, HERON_ENOMEM, "out of memory");
    pthread_mutex_init(&f->lock, NULL);
    f->ops = ops;
    f->registry = o->registry ? o->registry : heron_default_registry();
    f->name = names_family_name(o->name, o->unit, ops->type);
    f->help = dup_or_empty(o->help);
    f->unit = dup_or_empty(o->unit);
    f->label_count = nlabels;
    f->label_names = calloc(nlabels + 1, sizeof *f->label_names);
    f->sorted = calloc(nlabels + 1, sizeof *f->sorted);
    f->table_size = 16;
    f->table = calloc(f->table_size, sizeof *f->table);
    int ok = f->registry && f->name && f->help && f->unit && f->label_names &&
             f->sorted && f->table;
    for (size_t i = 0; ok && i < nlabels; i++)
        ok = (f->label_names[i] = strdup(o->labels[i])) != NULL;
    if (!ok) {
        family_free(f);
        return err_set(err, HERON_ENOMEM, "out of memory creating metric %s", o->name);
    }
    expose_sort_labels((const char *const *)f->label_names, nlabels,
                       ops->reserved_label, f->sorted, &f->reserved_pos);
    stripe_count(); /* fixes the stripe layout before any child exists */
    *out = f;
    return 0;
}

int family_new(const heron_opts *o, const kind_ops *ops,
               family_configure_fn configure, const void *config,
               heron_family **out, heron_err *err)
{
    family *f = NULL;
    int rc = family_create(o, ops, &f, err);
    if (rc)
        return rc;
    if (configure && (rc = configure(f, config, err)) != 0) {
        family_free(f);
        return rc;
    }
    rc = registry_add_family(f->registry, f, err);
    if (rc) {
        family_free(f);
        return rc;
    }
    /* Like the Python client, an unlabelled family shows its one series at
     * once, with value 0. */
    if (f->label_count == 0) {
        child *c;
        rc = family_child(f, f->ops, NULL, &c, err);
        if (rc) {
            registry_remove_family(f->registry, f);
            family_free(f);
            return rc;
        }
    }
    *out = (heron_family *)f;
    return 0;
}

static uint64_t hash_values(const char *const *values, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* separator: ("a","b") != ("ab","") */
    }
    return h;
}

static int same_values(const child *c, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->values[i], values[i]) != 0)
            return 0;
    return 1;
}

static child *find_child(const family *f, uint64_t h, const char *const *values)
{
    for (child *c = f->table[h & (f->table_size - 1)]; c; c = c->hash_next)
        if (c->hash == h && same_values(c, values, f->label_count))
            return c;
    return NULL;
}

static void grow_table(family *f)
{
    size_t size = f->table_size * 2;
    child **t = calloc(size, sizeof *t);
    if (!t)
        return; /* keep the old table: lookups stay correct, only slower */
    for (child *c = f->first; c; c = c->next) {
        size_t b = c->hash & (size - 1);
        c->hash_next = t[b];
        t[b] = c;
    }
    free(f->table);
    f->table = t;
    f->table_size = size;
}

/* Checks label values against the family (count, UTF-8), turns NULL into
 * the empty list and hashes them: what every lookup does first. */
static int prepare_lookup(const family *f, const char *const **values,
                          uint64_t *hash, heron_err *err)
{
    static const char *const none[] = {NULL};
    const char *const *v = *values ? *values : none;
    size_t n = 0;
    while (v[n])
        n++;
    if (n != f->label_count)
        return err_set(err, HERON_EINVAL,
                       "metric %s: got %zu label values, want %zu", f->name, n,
                       f->label_count);
    for (size_t i = 0; i < n; i++)
        if (!prom_utf8_valid(v[i], strlen(v[i])))
            return err_set(err, HERON_EINVAL,
                           "metric %s: label %s: value is not valid UTF-8",
                           f->name, f->label_names[i]);
    *values = v;
    *hash = hash_values(v, n);
    return 0;
}

static child *new_child(family *f, uint64_t h, const char *const *values)
{
    child *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fam = f;
    c->hash = h;
    /* milliseconds, like every Prometheus timestamp */
    c->created_len = (unsigned char)fmt_double(c->created,
                                               (double)(hclock_wall_ns() / 1000000) / 1e3);
    c->values = calloc(f->label_count + 1, sizeof *c->values);
    int ok = c->values != NULL;
    for (size_t i = 0; ok && i < f->label_count; i++)
        ok = (c->values[i] = strdup(values[i])) != NULL;
    ok = ok && expose_render_labels((const char *const *)f->label_names,
                                    (const char *const *)c->values, f->sorted,
                                    f->label_count, f->reserved_pos,
                                    &c->labels_before, &c->labels_after) == 0;
    ok = ok && f->ops->cells_new(f, c) == 0;
    if (!ok) {
        child_free(f, c);
        return NULL;
    }
    return c;
}

int family_child(family *f, const kind_ops *ops, const char *const *values,
                 child **out, heron_err *err)
{
    if (!f)
        return err_set(err, HERON_EINVAL, "metric handle is NULL");
    if (f->ops != ops)
        return err_set(err, HERON_EINVAL, "metric %s is a %s, not a %s",
                       f->name, f->ops->kind_name, ops->kind_name);
    uint64_t h;
    int rc = prepare_lookup(f, &values, &h, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&f->lock);
    child *c = find_child(f, h, values);
    if (!c) {
        c = new_child(f, h, values);
        if (c) {
            size_t b = h & (f->table_size - 1);
            c->hash_next = f->table[b];
            f->table[b] = c;
            if (f->last)
                f->last->next = c;
            else
                f->first = c;
            f->last = c;
            if (++f->child_count > f->table_size)
                grow_table(f);
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (!c)
        return err_set(err, HERON_ENOMEM, "metric %s: out of memory adding a series", f->name);
    *out = c;
    return 0;
}

int heron_family_remove(heron_family *hf, const char *const *values,
                        heron_err *err)
{
    family *f = (family *)hf;
    uint64_t h;
    int rc = prepare_lookup(f, &values, &h, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&f->lock);
    child *c = find_child(f, h, values);
    if (c) {
        child **pp = &f->table[h & (f->table_size - 1)];
        while (*pp != c)
            pp = &(*pp)->hash_next;
        *pp = c->hash_next;
        child *prev = NULL;
        for (child *p = f->first; p != c; p = p->next)
            prev = p;
        if (prev)
            prev->next = c->next;
        else
            f->first = c->next;
        if (f->last == c)
            f->last = prev;
        f->child_count--;
    }
    pthread_mutex_unlock(&f->lock);
    if (!c)
        return err_set(err, HERON_ENOENT, "metric %s: no series with these label values", f->name);
    child_free(f, c);
    return 0;
}

int heron_family_unregister(heron_family *hf, heron_err *err)
{
    family *f = (family *)hf;
    if (!f)
        return err_set(err, HERON_EINVAL, "metric handle is NULL");
    registry_remove_family(f->registry, f);
    family_free(f);
    return 0;
}

void family_write(family *f, heron_format fmt, buf *out)
{
    pthread_mutex_lock(&f->lock);
    expose_header(out, fmt, f->ops->type, f->name, f->help, f->unit);
    for (child *c = f->first; c; c = c->next)
        f->ops->write(f, c, fmt, out);
    pthread_mutex_unlock(&f->lock);
}

/* Renders exemplar labels `a="b",c="d"`; OpenMetrics caps them at 128
 * UTF-8 characters in names and values together. */
static int render_exemplar_labels(const family *f, const char *const *labels,
                                  char *out, size_t cap, heron_err *err)
{
    buf b;
    buf_init(&b, cap - 1);
    size_t runes = 0;
    int rc = 0;
    for (size_t i = 0; labels && labels[i] && rc == 0; i += 2) {
        const char *name = labels[i], *value = labels[i + 1];
        if (!value)
            rc = err_set(err, HERON_EINVAL, "metric %s: exemplar label %s has no value", f->name, name);
        else if (!prom_label_name_valid(name, strlen(name)))
            rc = err_set(err, HERON_EINVAL, "metric %s: invalid exemplar label name \"%s\"", f->name, name);
        else if (!prom_utf8_valid(value, strlen(value)))
            rc = err_set(err, HERON_EINVAL, "metric %s: exemplar label %s is not valid UTF-8", f->name, name);
        if (rc)
            break;
        for (const char *p = name; *p; p++)
            runes++;
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
            runes += (*p & 0xc0) != 0x80;
        if (i > 0)
            buf_putc(&b, ',');
        buf_puts(&b, name);
        buf_puts(&b, "=\"");
        expose_escape_label_value(&b, value);
        rc = buf_putc(&b, '"');
        if (runes > 128 || rc)
            rc = err_set(err, HERON_EINVAL, "metric %s: exemplar labels longer than 128 characters", f->name);
    }
    if (rc == 0) {
        if (b.data)
            memcpy(out, b.data, b.len + 1);
        else
            out[0] = '\0';
    }
    buf_free(&b);
    return rc;
}

int family_set_exemplar(family *f, child *c, size_t slot, size_t slots,
                        double value, const char *const *labels, heron_err *err)
{
    char rendered[sizeof ((exemplar *)0)->labels];
    int rc = render_exemplar_labels(f, labels, rendered, sizeof rendered, err);
    if (rc)
        return rc;
    double now = (double)hclock_wall_ns() / 1e9;
    pthread_mutex_lock(&f->lock);
    if (!c->exemplars)
        c->exemplars = calloc(slots, sizeof *c->exemplars);
    if (c->exemplars) {
        exemplar *e = &c->exemplars[slot];
        e->set = 1;
        e->value = value;
        e->timestamp = now;
        memcpy(e->labels, rendered, sizeof rendered);
    }
    pthread_mutex_unlock(&f->lock);
    return c->exemplars ? 0 : err_set(err, HERON_ENOMEM, "out of memory");
}
