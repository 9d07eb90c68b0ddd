/*
 * metric.h — libheron's internal model: registries, families, children.
 *
 * A registry holds an ordered list of entries, each a metric family or a
 * callback collector, exposed in registration order. A family has a kind
 * (counter, gauge, histogram, summary) whose behaviour lives in a const
 * kind_ops table, and children: one per distinct label-value tuple, found by
 * hash under the family's mutex and kept in creation order.
 *
 * Ownership: the registry owns its entries; a family owns its children and
 * their cells. Child handles given to users are `child *` cast to the public
 * handle types (heron_counter *, ...), valid until the child is removed.
 *
 * Locking: registry->lock guards the entry list; family->lock guards the
 * child table and list and the exemplar slots. Updates on cells take no lock;
 * readers (exposition) read cells with atomic loads while holding the family
 * lock only to walk the list.
 */
#ifndef HERON_LIB_METRIC_H
#define HERON_LIB_METRIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/buf.h"
#include "heron.h"

typedef struct family family;
typedef struct child child;
typedef struct exemplar exemplar;

/* What each metric kind does differently. */
typedef struct kind_ops {
    heron_type type;
    const char *kind_name;      /* "counter", ... for messages */
    const char *reserved_label; /* "le", "quantile" or NULL */
    /* NULL-terminated suffixes its samples add to the name (never NULL),
     * for collision checks. */
    const char *const *suffixes;
    /* Allocates and zeroes the child's cells. */
    int (*cells_new)(const family *f, child *c);
    void (*cells_free)(child *c);
    /* Writes the child's sample lines. */
    void (*write)(const family *f, const child *c, heron_format fmt, buf *out);
} kind_ops;

extern const kind_ops counter_ops, gauge_ops, histogram_ops, summary_ops;

/* An OpenMetrics exemplar: the last one attached wins. */
struct exemplar {
    int set;
    double value;
    double timestamp; /* seconds */
    char labels[256]; /* rendered `a="b",c="d"` */
};

struct child {
    child *next;       /* creation order */
    child *hash_next;  /* bucket chain */
    family *fam;
    uint64_t hash;
    char **values;     /* label values in the family's declared order */
    char *labels_before; /* rendered pairs sorting before the reserved label */
    char *labels_after;  /* rendered pairs sorting after it */
    char created[24];  /* creation time in seconds, formatted once */
    unsigned char created_len;
    void *cells;       /* kind-specific, 64-byte aligned */
    exemplar *exemplars; /* NULL until the first exemplar; kind-specific count */
};

struct family {
    const kind_ops *ops;
    heron_registry *registry;
    char *name;      /* after unit and _total rules */
    char *help;
    char *unit;
    char **label_names;
    size_t label_count;
    size_t *sorted;  /* label indices in name order */
    size_t reserved_pos; /* where the reserved label sorts among them */

    /* histogram: finite bounds (the +Inf bucket is implicit) */
    double *bounds;
    size_t bound_count;
    /* summary */
    double *quantiles;
    size_t quantile_count;
    uint64_t age_width_ns;
    unsigned age_buckets;

    pthread_mutex_t lock;
    child **table;
    size_t table_size; /* power of two */
    size_t child_count;
    child *first, *last;
};

/* ---- names.c: validation and naming rules ---- */
/* Builds the family name from a base name, unit and type, as the Python
 * client does. Returns malloc'd memory or NULL. */
char *names_family_name(const char *name, const char *unit, heron_type type);
/* Validates label names for a family of the given reserved label. */
int names_check_labels(const char *metric, const char *const *labels,
                       const char *reserved, size_t *count, heron_err *err);

/* ---- family.c ---- */
/* Creates a family, lets `configure` (may be NULL) fill kind-specific
 * fields, and registers it. On failure nothing is left behind. */
typedef int (*family_configure_fn)(family *f, const void *config, heron_err *err);
int family_new(const heron_opts *o, const kind_ops *ops,
               family_configure_fn configure, const void *config,
               heron_family **out, heron_err *err);
void family_free(family *f);
int family_child(family *f, const kind_ops *ops, const char *const *values,
                 child **out, heron_err *err);
void family_write(family *f, heron_format fmt, buf *out);
/* Stores an exemplar for slot i of child c, under the family lock. */
int family_set_exemplar(family *f, child *c, size_t slot, size_t slots,
                        double value, const char *const *labels,
                        heron_err *err);

/* ---- registry.c ---- */
int registry_add_family(heron_registry *reg, family *f, heron_err *err);
void registry_remove_family(heron_registry *reg, family *f);
/* Appends the exposition of reg (NULL: default) to out. */
int registry_write(heron_registry *reg, heron_format fmt, buf *out);

/* ---- expose.c: line writers shared by families and collectors ---- */
void expose_header(buf *out, heron_format fmt, heron_type type,
                   const char *name, const char *help, const char *unit);
/* name+suffix{before,extra="value",after} value[ # {exemplar} v ts]\n */
void expose_sample(buf *out, const char *name, const char *suffix,
                   const char *before, const char *after,
                   const char *extra_name, const char *extra_value,
                   double value, const exemplar *ex);
/* The same with the value already formatted (e.g. a cached _created). */
void expose_sample_text(buf *out, const char *name, const char *suffix,
                        const char *before, const char *after,
                        const char *extra_name, const char *extra_value,
                        const char *value, size_t value_len,
                        const exemplar *ex);
/* Writes name_created with the child's cached creation time. */
void expose_created(buf *out, const char *name, const child *c);
void expose_escape_label_value(buf *out, const char *v);
/* Renders a child's label pairs split around the reserved label position. */
int expose_render_labels(const char *const *names, const char *const *values,
                         const size_t *sorted, size_t count,
                         size_t reserved_pos, char **before, char **after);
/* Sorts label indices by name; reserved_pos is where `reserved` goes. */
void expose_sort_labels(const char *const *names, size_t count,
                        const char *reserved, size_t *sorted,
                        size_t *reserved_pos);

/* ---- stripes: per-thread cache-line cells for contention-free updates ---- */
#define STRIPE_LINE 64
unsigned stripe_count(void); /* power of two, fixed for the process */
extern unsigned stripe_mask_value;
extern _Thread_local unsigned stripe_slot_plus1;
unsigned stripe_assign(void);

static inline unsigned stripe_index(void)
{
    unsigned s = stripe_slot_plus1;
    if (__builtin_expect(s == 0, 0))
        s = stripe_assign();
    return (s - 1) & stripe_mask_value;
}

/* Allocates n bytes aligned to a cache line, zeroed; NULL on failure. */
void *cells_alloc(size_t n);

/* Atomic double helpers over a 64-bit cell holding the bits. */
static inline double bits_to_double(uint64_t u)
{
    double d;
    __builtin_memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t double_to_bits(double d)
{
    uint64_t u;
    __builtin_memcpy(&u, &d, sizeof u);
    return u;
}

static inline void atomic_add_double(_Atomic uint64_t *cell, double v)
{
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        cell, &old, double_to_bits(bits_to_double(old) + v),
        memory_order_relaxed, memory_order_relaxed)) {
    }
}

static inline double atomic_load_double(const _Atomic uint64_t *cell)
{
    return bits_to_double(atomic_load_explicit((_Atomic uint64_t *)cell,
                                               memory_order_relaxed));
}

/* Sets the thread's last error for the pointer-returning conveniences. */
void lib_set_last_error(const heron_err *err);

/* The typed child lookups of heron.h, the same for every kind. */
#define LIB_CHILD_LOOKUPS(kind)                                               \
    int heron_##kind##_labels(heron_family *f, const char *const *values,     \
                              heron_##kind **out, heron_err *err)             \
    {                                                                         \
        return family_child((family *)f, &kind##_ops, values, (child **)out,  \
                            err);                                             \
    }                                                                         \
    heron_##kind *heron_##kind##_of(heron_family *f, const char *const *values) \
    {                                                                         \
        heron_err err = {0};                                                  \
        heron_##kind *c = NULL;                                               \
        if (heron_##kind##_labels(f, values, &c, &err) != 0)                  \
            lib_set_last_error(&err);                                         \
        return c;                                                             \
    }

#endif
