/*
 * registry.c — registries: the ordered list of families and collectors, name
 * collision checks, and exposition of everything in registration order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "lib/metric.h"
#include "lib/sink.h"

typedef struct entry {
    struct entry *next;
    family *fam;            /* a family, or */
    char *collector_name;   /* a callback collector */
    heron_collect_fn fn;
    void *arg;
} entry;

struct heron_registry {
    pthread_mutex_t lock;
    entry *first, *last;
};

static heron_registry *default_registry;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

int heron_registry_new(heron_registry **out, heron_err *err)
{
    heron_registry *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(err, HERON_ENOMEM, "out of memory");
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

static void default_init(void)
{
    heron_registry_new(&default_registry, NULL);
}

heron_registry *heron_default_registry(void)
{
    pthread_once(&default_once, default_init);
    return default_registry;
}

void heron_registry_free(heron_registry *r)
{
    if (!r)
        return;
    for (entry *e = r->first, *next; e; e = next) {
        next = e->next;
        family_free(e->fam);
        free(e->collector_name);
        free(e);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Does `name` equal `base` followed by one of the suffixes (or nothing)? */
static int exposes(const char *base, const char *const *suffixes,
                   const char *name)
{
    size_t n = strlen(base);
    if (strncmp(base, name, n) != 0)
        return 0;
    if (name[n] == '\0')
        return 1;
    for (const char *const *s = suffixes; *s; s++)
        if (strcmp(name + n, *s) == 0)
            return 1;
    return 0;
}

/* Links e at the end of the list; the caller holds r->lock. */
static void append_entry(heron_registry *r, entry *e)
{
    if (r->last)
        r->last->next = e;
    else
        r->first = e;
    r->last = e;
}

/* Do two families share a sample name? The first shared name goes to out. */
static int collides(const family *a, const family *b, char *out, size_t cap)
{
    snprintf(out, cap, "%s", a->name);
    if (exposes(b->name, b->ops->suffixes, out))
        return 1;
    for (const char *const *s = a->ops->suffixes; *s; s++) {
        snprintf(out, cap, "%s%s", a->name, *s);
        if (exposes(b->name, b->ops->suffixes, out))
            return 1;
    }
    return 0;
}

int registry_add_family(heron_registry *r, family *f, heron_err *err)
{
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(err, HERON_ENOMEM, "out of memory");
    e->fam = f;
    char clash[512];
    pthread_mutex_lock(&r->lock);
    for (entry *x = r->first; x; x = x->next) {
        if (x->fam && collides(f, x->fam, clash, sizeof clash)) {
            pthread_mutex_unlock(&r->lock);
            free(e);
            return err_set(err, HERON_EEXIST,
                           "metric %s: duplicated time series name %s in registry",
                           f->name, clash);
        }
    }
    append_entry(r, e);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* Unlinks the entry matching fam (or a collector's name) and returns it. */
static entry *unlink_entry(heron_registry *r, const family *fam, const char *name)
{
    entry *prev = NULL;
    for (entry *e = r->first; e; prev = e, e = e->next) {
        int match = fam ? e->fam == fam
                        : (name && e->collector_name && strcmp(e->collector_name, name) == 0);
        if (!match)
            continue;
        if (prev)
            prev->next = e->next;
        else
            r->first = e->next;
        if (r->last == e)
            r->last = prev;
        return e;
    }
    return NULL;
}

void registry_remove_family(heron_registry *r, family *f)
{
    pthread_mutex_lock(&r->lock);
    entry *e = unlink_entry(r, f, NULL);
    pthread_mutex_unlock(&r->lock);
    free(e);
}

int heron_collector_register(heron_registry *r, const char *name,
                             heron_collect_fn fn, void *arg, heron_err *err)
{
    if (!r)
        r = heron_default_registry();
    if (!r || !name || !fn)
        return err_set(err, HERON_EINVAL, "collector needs a registry, a name and a function");
    entry *e = calloc(1, sizeof *e);
    char *copy = strdup(name);
    if (!e || !copy) {
        free(e);
        free(copy);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    e->collector_name = copy;
    e->fn = fn;
    e->arg = arg;
    pthread_mutex_lock(&r->lock);
    for (entry *x = r->first; x; x = x->next) {
        if (x->collector_name && strcmp(x->collector_name, name) == 0) {
            pthread_mutex_unlock(&r->lock);
            free(copy);
            free(e);
            return err_set(err, HERON_EEXIST, "collector \"%s\" is already registered", name);
        }
    }
    append_entry(r, e);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

int heron_collector_unregister(heron_registry *r, const char *name, heron_err *err)
{
    if (!r)
        r = heron_default_registry();
    pthread_mutex_lock(&r->lock);
    entry *e = unlink_entry(r, NULL, name ? name : "");
    pthread_mutex_unlock(&r->lock);
    if (!e)
        return err_set(err, HERON_ENOENT, "no collector named \"%s\"", name ? name : "");
    free(e->collector_name);
    free(e);
    return 0;
}

int registry_write(heron_registry *r, heron_format fmt, buf *out)
{
    if (!r)
        r = heron_default_registry();
    if (!r)
        return HERON_ENOMEM;
    pthread_mutex_lock(&r->lock);
    for (entry *e = r->first; e; e = e->next) {
        if (e->fam)
            family_write(e->fam, fmt, out);
        else
            sink_run(e->fn, e->arg, fmt, out);
    }
    pthread_mutex_unlock(&r->lock);
    if (fmt == HERON_FORMAT_OPENMETRICS)
        buf_puts(out, "# EOF\n");
    return 0;
}

int heron_registry_expose(heron_registry *r, heron_format fmt, char **out,
                          size_t *len, heron_err *err)
{
    buf b;
    buf_init(&b, 0);
    registry_write(r, fmt, &b);
    char *data = buf_detach(&b, len);
    if (!data)
        return err_set(err, HERON_ENOMEM, "out of memory writing the exposition");
    *out = data;
    return 0;
}
