/*
 * heron.h — the public API of libheron, the instrumentation library.
 *
 * This is the only header an application includes. It offers:
 *   - registries of metric families (a process-wide default one and your own),
 *   - counters, gauges, histograms and summaries with label vectors,
 *   - callback collectors and a process collector,
 *   - Prometheus text 0.0.4 and OpenMetrics 1.0 exposition,
 *   - an embeddable HTTP /metrics endpoint.
 *
 * Conventions (the same everywhere in heron):
 *   - Functions that can fail return int: 0 on success, a negative HERON_E*
 *     code on failure, and fill the optional heron_err with a message that
 *     names the offending metric, label or value. Pass NULL to ignore it.
 *   - The caller owns what it passes in; strings are copied when kept.
 *     A function that hands back memory says who frees it.
 *   - Thread-safety: every function here is safe to call from any thread.
 *     Updates on a child handle (inc/add/set/observe) take no lock, allocate
 *     nothing and lose no update under contention.
 *   - Metric families live as long as their registry; child handles live as
 *     long as their family. Freeing a registry frees everything in it.
 */
#ifndef HERON_H
#define HERON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libheron.so exports exactly what this header declares; everything else
 * in the library is built with hidden visibility. */
#pragma GCC visibility push(default)

#define HERON_VERSION "0.1.0"

/* ---- errors ------------------------------------------------------------ */

enum {
    HERON_OK = 0,
    HERON_EINVAL = -1,  /* bad argument: name, label, value, bucket layout */
    HERON_ENOMEM = -2,  /* allocation failed */
    HERON_EEXIST = -3,  /* already registered */
    HERON_ENOENT = -4,  /* no such thing */
    HERON_EIO = -5,     /* I/O or system call failed */
    HERON_ERANGE = -6,  /* a limit was exceeded */
    HERON_ESTATE = -7   /* call not valid in the object's current state */
};

typedef struct heron_err {
    int code;       /* the HERON_E* code of the last failure, 0 if none */
    char msg[256];  /* human-readable, names what was wrong */
} heron_err;

/* A static description of a code ("invalid argument", ...). Never NULL. */
const char *heron_strerror(int code);

/* ---- registries -------------------------------------------------------- */

typedef struct heron_registry heron_registry;

/* The process-wide default registry, created on first use. Never freed by
 * the caller. Returns NULL only if the first allocation fails. */
heron_registry *heron_default_registry(void);

/* Creates an empty registry. The caller frees it with heron_registry_free. */
int heron_registry_new(heron_registry **out, heron_err *err);

/* Frees the registry, every family and child in it, and its collectors.
 * No other thread may use it or its handles any more. NULL is a no-op. */
void heron_registry_free(heron_registry *reg);

/* ---- metric families --------------------------------------------------- */

typedef struct heron_family heron_family;

/* What a family is called and how it is labelled. Only name and help are
 * required. As in the Python client, a unit is appended to the name when the
 * name does not already end in it, and a counter's name loses a "_total"
 * suffix (exposition adds it back). */
typedef struct heron_opts {
    heron_registry *registry;   /* NULL: the default registry */
    const char *name;
    const char *help;
    const char *unit;           /* optional, e.g. "seconds", "bytes" */
    const char *const *labels;  /* NULL-terminated label names, or NULL */
} heron_opts;

/* Histogram bucket upper bounds, strictly increasing, finite. +Inf is always
 * added. NULL/0 means Prometheus' defaults (.005 … 10). */
typedef struct heron_buckets {
    const double *bounds;
    size_t count;
} heron_buckets;

/* Summary quantile targets. NULL/0 quantiles means count and sum only, like
 * the Python client. max_age is the sliding window (default 600 s) split into
 * age_buckets (default 5) rotating parts. Quantiles come from a log-bucketed
 * sketch: the reported value is within 1.6% of a true observation of that
 * rank for |v| in [2^-32, 2^32); values beyond are clamped to those ends.
 * Each labelled child with quantiles costs about 16 KiB per age bucket. */
typedef struct heron_summary_opts {
    const double *quantiles;  /* each in [0, 1] */
    size_t quantile_count;
    double max_age_seconds;
    unsigned age_buckets;
} heron_summary_opts;

/* Create and register a family; *out is owned by the registry. Errors:
 * HERON_EINVAL for invalid metric or label names, reserved labels ("le" on a
 * histogram, "quantile" on a summary, "__" prefixes), bad buckets or
 * quantiles; HERON_EEXIST when a family with a colliding name exists. */
int heron_counter_new(const heron_opts *o, heron_family **out, heron_err *err);
int heron_gauge_new(const heron_opts *o, heron_family **out, heron_err *err);
int heron_histogram_new(const heron_opts *o, const heron_buckets *b,
                        heron_family **out, heron_err *err);
int heron_summary_new(const heron_opts *o, const heron_summary_opts *s,
                      heron_family **out, heron_err *err);

/* Bucket helpers: fill out[0..n) and return 0, or HERON_EINVAL when the
 * layout is impossible (n == 0, width <= 0, start <= 0 or factor <= 1 for
 * exponential). */
int heron_buckets_linear(double start, double width, size_t n, double *out);
int heron_buckets_exponential(double start, double factor, size_t n,
                              double *out);

/* Removes a family from its registry and frees it and its children. */
int heron_family_unregister(heron_family *f, heron_err *err);

/* ---- children: one labelled series each -------------------------------- */

typedef struct heron_counter heron_counter;
typedef struct heron_gauge heron_gauge;
typedef struct heron_histogram heron_histogram;
typedef struct heron_summary heron_summary;

/* Look up (creating on first use) the child for these label values, given in
 * the family's label order; values is NULL-terminated, or NULL for a family
 * without labels. Look the child up once and keep the handle: updates on it
 * are cheap, the lookup is a hash probe. Errors: HERON_EINVAL on a wrong
 * number of values or a family of another kind. */
int heron_counter_labels(heron_family *f, const char *const *values,
                         heron_counter **out, heron_err *err);
int heron_gauge_labels(heron_family *f, const char *const *values,
                       heron_gauge **out, heron_err *err);
int heron_histogram_labels(heron_family *f, const char *const *values,
                           heron_histogram **out, heron_err *err);
int heron_summary_labels(heron_family *f, const char *const *values,
                         heron_summary **out, heron_err *err);

/* Convenience forms returning the handle, or NULL on error (the message is
 * then in heron_last_error(), per thread). heron_counter_with(f) is the
 * unlabelled child; heron_counter_with(f, "GET", "200") a labelled one. */
#define HERON__VALUES(...) ((const char *const[]){__VA_ARGS__ __VA_OPT__(,) NULL})
#define heron_counter_with(f, ...) heron_counter_of((f), HERON__VALUES(__VA_ARGS__))
#define heron_gauge_with(f, ...) heron_gauge_of((f), HERON__VALUES(__VA_ARGS__))
#define heron_histogram_with(f, ...) heron_histogram_of((f), HERON__VALUES(__VA_ARGS__))
#define heron_summary_with(f, ...) heron_summary_of((f), HERON__VALUES(__VA_ARGS__))
heron_counter *heron_counter_of(heron_family *f, const char *const *values);
heron_gauge *heron_gauge_of(heron_family *f, const char *const *values);
heron_histogram *heron_histogram_of(heron_family *f, const char *const *values);
heron_summary *heron_summary_of(heron_family *f, const char *const *values);
const char *heron_last_error(void);

/* Removes one child (its series disappears from the exposition). The handle
 * must not be used afterwards. */
int heron_family_remove(heron_family *f, const char *const *values,
                        heron_err *err);

/* ---- updates (lock-free, allocation-free, any thread) ------------------ */

void heron_counter_inc(heron_counter *c);
/* Adds v >= 0; a negative or NaN v is refused with HERON_EINVAL and a message
 * naming the metric in heron_last_error(). */
int heron_counter_add(heron_counter *c, double v);
/* Attaches an exemplar (OpenMetrics) to the increment: labels is a
 * NULL-terminated name, value, name, value... list, at most 128 runes. */
int heron_counter_add_exemplar(heron_counter *c, double v,
                               const char *const *labels, heron_err *err);
double heron_counter_value(const heron_counter *c);

void heron_gauge_set(heron_gauge *g, double v);
void heron_gauge_add(heron_gauge *g, double v);
void heron_gauge_inc(heron_gauge *g);
void heron_gauge_dec(heron_gauge *g);
void heron_gauge_set_to_current_time(heron_gauge *g);
double heron_gauge_value(const heron_gauge *g);

void heron_histogram_observe(heron_histogram *h, double v);
int heron_histogram_observe_exemplar(heron_histogram *h, double v,
                                     const char *const *labels,
                                     heron_err *err);

void heron_summary_observe(heron_summary *s, double v);

/* ---- timing and in-progress helpers ------------------------------------ */

/* The C form of Python's `with h.time():` — a timer started now and stopped
 * (observing the elapsed seconds) by heron_timer_observe_*. Lives on the
 * stack; nothing to free. */
typedef struct heron_timer {
    uint64_t start_ns;
} heron_timer;

heron_timer heron_timer_start(void);
double heron_timer_elapsed(const heron_timer *t); /* seconds since start */
void heron_timer_observe_histogram(const heron_timer *t, heron_histogram *h);
void heron_timer_observe_summary(const heron_timer *t, heron_summary *s);
void heron_timer_set_gauge(const heron_timer *t, heron_gauge *g);

/* Names unique to the line a helper macro is used on, so helpers nest. */
#define HERON__CAT2(a, b) a##b
#define HERON__CAT(a, b) HERON__CAT2(a, b)
#define HERON__LOCAL(name) HERON__CAT(heron__##name, __LINE__)

/* Times a block: HERON_TIME_HISTOGRAM(h) { work(); } */
#define HERON_TIME_HISTOGRAM(h)                                               \
    for (heron_timer HERON__LOCAL(t) = heron_timer_start(),                   \
                     *HERON__LOCAL(once) = &HERON__LOCAL(t);                  \
         HERON__LOCAL(once);                                                  \
         heron_timer_observe_histogram(&HERON__LOCAL(t), (h)),                \
                     HERON__LOCAL(once) = NULL)

/* Counts a block as in progress: HERON_TRACK_INPROGRESS(g) { work(); } */
#define HERON_TRACK_INPROGRESS(g)                                             \
    for (int HERON__LOCAL(in) = (heron_gauge_inc(g), 1); HERON__LOCAL(in);    \
         heron_gauge_dec(g), HERON__LOCAL(in) = 0)

/* ---- callback collectors ----------------------------------------------- */

/* A collector fills in metric families at scrape time. Inside the callback,
 * call heron_sink_* to emit families and samples. The callback must not call
 * back into the registry it is registered with. */
typedef struct heron_sink heron_sink;

typedef enum heron_type {
    HERON_COUNTER,
    HERON_GAUGE,
    HERON_HISTOGRAM,
    HERON_SUMMARY,
    HERON_UNTYPED
} heron_type;

typedef void (*heron_collect_fn)(heron_sink *sink, void *arg);

/* Registers fn; arg is passed back untouched and stays owned by the caller.
 * `name` identifies the collector for unregistering. */
int heron_collector_register(heron_registry *reg, const char *name,
                             heron_collect_fn fn, void *arg, heron_err *err);
int heron_collector_unregister(heron_registry *reg, const char *name,
                               heron_err *err);

/* Starts a family in the scrape output. label_names is NULL-terminated
 * (or NULL); the family's name follows the same rules as heron_opts. */
void heron_sink_family(heron_sink *s, heron_type type, const char *name,
                       const char *help, const char *unit,
                       const char *const *label_names);
/* Adds a sample to the current family: counters and gauges take one value;
 * label_values match the family's label_names. */
void heron_sink_value(heron_sink *s, const char *const *label_values,
                      double value);
/* Adds a histogram sample: bounds[0..n) with cumulative counts (the +Inf
 * bucket is `count`), plus sum and count. */
void heron_sink_histogram(heron_sink *s, const char *const *label_values,
                          const double *bounds, const uint64_t *cumulative,
                          size_t n, double sum, uint64_t count);

/* The process collector with client_golang's names (process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes,
 * process_open_fds, process_max_fds, process_start_time_seconds). pid 0 means
 * this process. Registered under the name "process" (or "process_<pid>"). */
int heron_process_collector_register(heron_registry *reg, int pid,
                                     heron_err *err);

/* ---- exposition -------------------------------------------------------- */

typedef enum heron_format {
    HERON_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    HERON_FORMAT_OPENMETRICS  /* application/openmetrics-text; version=1.0.0 */
} heron_format;

/* Picks the format an HTTP Accept header asks for (NULL: text). */
heron_format heron_format_negotiate(const char *accept);
/* The Content-Type header value for a format. */
const char *heron_format_content_type(heron_format fmt);

/* Writes the whole registry in the given format. *out is malloc'd and
 * NUL-terminated; the caller frees it. *len excludes the NUL. */
int heron_registry_expose(heron_registry *reg, heron_format fmt, char **out,
                          size_t *len, heron_err *err);

/* ---- embeddable /metrics endpoint -------------------------------------- */

typedef struct heron_endpoint heron_endpoint;

/* Starts a background HTTP listener that serves reg (NULL: default) on
 * GET /metrics, with content negotiation and gzip. address is
 * "host:port", e.g. "127.0.0.1:8000"; port 0 picks a free one (see
 * heron_endpoint_port). Stop it with heron_endpoint_stop. */
int heron_endpoint_start(heron_registry *reg, const char *address,
                         heron_endpoint **out, heron_err *err);
int heron_endpoint_port(const heron_endpoint *ep);
/* Stops the listener, waits for in-flight requests and frees ep. */
void heron_endpoint_stop(heron_endpoint *ep);

/* ---- differential privacy ---------------------------------------------- */

/*
 * Rényi-DP (RDP) budget accounting for models trained with differential
 * privacy: per-order RDP of the Gaussian, Poisson-subsampled Gaussian and
 * Laplace mechanisms (add-or-remove-one adjacency), composition by addition
 * at each order, conversion of an RDP curve to an (ε, δ) guarantee, and a
 * monitor that enforces an ε/δ budget and exports privacy_* metrics.
 *
 * Contract:
 *   - heron_rdp_* are pure functions: thread-safe, no allocation except
 *     heron_rdp_orders_parse, whose result the caller frees with free().
 *   - An accountant belongs to one thread at a time (no internal lock); the
 *     caller frees it with heron_privacy_accountant_free.
 *   - A monitor is thread-safe (one mutex); its metrics live in the registry
 *     given at creation (NULL: the default one) until
 *     heron_privacy_monitor_free.
 *   - Bad parameters are never clamped: σ or b not finite and > 0 (≥ 0 in
 *     the pure functions, where σ = 0 gives +inf and q = 0 gives 0), q
 *     outside (0, 1] ([0, 1] in the pure functions), δ outside (0, 1), ε not
 *     finite or < 0, orders not > 1 (Laplace: ≥ 1) or NaN, step counts of 0
 *     or above HERON_PRIVACY_MAX_STEPS give HERON_EINVAL (HERON_ERANGE for
 *     limits) with a message naming the parameter and its value.
 */

typedef enum heron_privacy_kind {
    HERON_PRIVACY_GAUSSIAN,            /* noise = σ; rate must be 1 */
    HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, /* noise = σ, rate = q */
    HERON_PRIVACY_LAPLACE              /* noise = b = scale / L1 sensitivity */
} heron_privacy_kind;

/* One mechanism run `steps` times. */
typedef struct heron_privacy_mechanism {
    heron_privacy_kind kind;
    double noise;        /* σ (noise std / L2 sensitivity) or Laplace b */
    double sample_rate;  /* Poisson inclusion probability q; 1 if not sampled */
    uint64_t steps;      /* 1 .. HERON_PRIVACY_MAX_STEPS */
} heron_privacy_mechanism;

/* Step counts (one mechanism, or an accountant's total per mechanism) stay
 * at or below 2^53 so that they convert to double exactly. */
#define HERON_PRIVACY_MAX_STEPS 9007199254740992ULL
/* The largest finite order summed for a subsampled Gaussian with q < 1. */
#define HERON_RDP_MAX_SUM_ORDER 1048576

typedef enum heron_privacy_conversion {
    /* Balle et al. 2020 / dp_accounting: ε(α) = r + log1p(−1/α)
     * − (log δ + log α)/(α − 1), 0 where δ² + expm1(−r) > 0, +inf for
     * α ≤ 1.01, result clamped at 0. */
    HERON_PRIVACY_IMPROVED,
    /* Mironov 2017: ε(α) = r + log(1/δ)/(α − 1). */
    HERON_PRIVACY_CLASSIC,
    /* Opacus get_privacy_spent: the improved formula without the guards and
     * without the clamp. */
    HERON_PRIVACY_OPACUS
} heron_privacy_conversion;

/* "gaussian" | "subsampled_gaussian" | "laplace", and back. */
const char *heron_privacy_kind_name(heron_privacy_kind kind);
int heron_privacy_kind_parse(const char *name, heron_privacy_kind *out,
                             heron_err *err);
/* "improved" | "classic" | "opacus", and back. */
const char *heron_privacy_conversion_name(heron_privacy_conversion conv);
int heron_privacy_conversion_parse(const char *name,
                                   heron_privacy_conversion *out,
                                   heron_err *err);

/* Per-step RDP at one order (order +inf allowed: +inf, Laplace 1/b; order 1
 * only for Laplace). Pure; thread-safe. The subsampled Gaussian is exact to
 * about 1e-12 relative (σ ≤ 100): integer orders by the finite A−1 sum,
 * fractional ones by the two-sided series with the alternating tails
 * accelerated; it refuses finite orders above HERON_RDP_MAX_SUM_ORDER with
 * HERON_ERANGE. */
int heron_rdp_gaussian(double sigma, double order, double *out,
                       heron_err *err);
int heron_rdp_subsampled_gaussian(double q, double sigma, double order,
                                  double *out, heron_err *err);
int heron_rdp_laplace(double b, double order, double *out, heron_err *err);

/* Checks a mechanism as the accountant and the monitor do (σ, b > 0 and
 * finite; q in (0, 1], exactly 1 for gaussian and laplace; steps in
 * 1..HERON_PRIVACY_MAX_STEPS). */
int heron_privacy_mechanism_check(const heron_privacy_mechanism *m,
                                  heron_err *err);

/* out[i] = steps · RDP(orders[i]) for a checked mechanism. */
int heron_rdp_curve(const heron_privacy_mechanism *m, const double *orders,
                    size_t n, double *out, heron_err *err);

/* The standard order lists: "default" (1.1 … 10.9, 11 … 63, 128, 256,
 * 512, 1024: 156 orders, dp_accounting) and "opacus_default" (1.1 … 10.9,
 * 12 … 63: 151 orders). The fractional ones are 1 + x/10.0 in double. */
#define HERON_RDP_ORDERS_MAX 160
size_t heron_rdp_orders_default(double out[HERON_RDP_ORDERS_MAX]);
size_t heron_rdp_orders_opacus(double out[HERON_RDP_ORDERS_MAX]);
/* Parses "default", "opacus_default" or a comma-separated list of orders
 * (each > 1, or inf; at most 4096). *out is malloc'd; the caller frees it. */
int heron_rdp_orders_parse(const char *spec, double **out, size_t *n,
                           heron_err *err);

/* RDP curve → (ε, δ). ε for a given δ in (0, 1), or δ for a given ε ≥ 0
 * (δ capped at 1). *order (may be NULL) receives the order attaining the
 * optimum, the first in list order. Orders must be ≥ 1 (at order 1 only
 * the improved conversion's KL shortcut gives a finite ε) and RDP values
 * ≥ 0 or +inf; an order whose RDP is +inf gives ε = +inf. Pure;
 * thread-safe. */
int heron_rdp_epsilon(const double *orders, const double *rdp, size_t n,
                      double delta, heron_privacy_conversion conv,
                      double *epsilon, double *order, heron_err *err);
int heron_rdp_delta(const double *orders, const double *rdp, size_t n,
                    double epsilon, heron_privacy_conversion conv,
                    double *delta, double *order, heron_err *err);

/* An accountant: mechanisms composed over a fixed list of orders. It keeps
 * each distinct mechanism's per-step curve with its step count, so a step
 * costs a lookup and an addition and the total stays Σ steps·RDP exactly
 * (up to one rounding per mechanism). Not thread-safe: one owner at a time. */
typedef struct heron_privacy_accountant heron_privacy_accountant;

/* orders NULL (n 0) means "default". The orders are copied. */
int heron_privacy_accountant_new(const double *orders, size_t n,
                                 heron_privacy_accountant **out,
                                 heron_err *err);
void heron_privacy_accountant_free(heron_privacy_accountant *a);
/* Composes m (m->steps steps). On error nothing is composed. */
int heron_privacy_accountant_compose(heron_privacy_accountant *a,
                                     const heron_privacy_mechanism *m,
                                     heron_err *err);
/* The accountant's orders (owned by it) and count. */
size_t heron_privacy_accountant_orders(const heron_privacy_accountant *a,
                                       const double **orders);
/* Copies the composed RDP curve into out[0 .. count). */
void heron_privacy_accountant_rdp(heron_privacy_accountant *a, double *out);
int heron_privacy_accountant_epsilon(heron_privacy_accountant *a,
                                     double delta,
                                     heron_privacy_conversion conv,
                                     double *epsilon, double *order,
                                     heron_err *err);
int heron_privacy_accountant_delta(heron_privacy_accountant *a,
                                   double epsilon,
                                   heron_privacy_conversion conv,
                                   double *delta, double *order,
                                   heron_err *err);
/* ε as it would be after composing m, without composing it. */
int heron_privacy_accountant_epsilon_after(heron_privacy_accountant *a,
                                           const heron_privacy_mechanism *m,
                                           double delta,
                                           heron_privacy_conversion conv,
                                           double *epsilon, double *order,
                                           heron_err *err);

/* A privacy monitor: one model's budget. try_spend answers, before an
 * operation runs, whether it would exceed the budget, and records it only
 * when it would not, so a training loop can stop in time. Mechanism spends
 * are RDP-composed and converted at `delta`; direct (ε, δ) spends and the
 * RDP part add up by basic composition. Each spend is charged the increase
 * of total ε it causes, per operation and label set.
 *
 * Metrics, on opts.registry (NULL: the default registry):
 *   privacy_epsilon_total{model_id}, privacy_delta_total{model_id},
 *   privacy_budget_remaining{model_id}              gauges
 *   privacy_composition_errors_total{model_id}      counter: invalid spends
 *   privacy_spend_refused_total{model_id,reason}    counter: reason is
 *       epsilon_budget, delta_budget or rate
 *   privacy_epsilon_consumed_total{model_id,operation,LABELS...}  counter
 *   privacy_epsilon_per_operation, privacy_delta_per_operation,
 *   privacy_noise_multiplier, privacy_gradient_clip_norm
 *       {model_id,operation,LABELS...}              gauges: the last spend
 * where LABELS are opts.labels. The families are unregistered (and their
 * series disappear) by heron_privacy_monitor_free, so a registry holds one
 * monitor at a time (a second gets HERON_EEXIST).
 *
 * Thread-safe: every call takes the monitor's mutex. */
typedef struct heron_privacy_monitor heron_privacy_monitor;

/* Monotonic nanoseconds, for tests that drive the rate guard. */
typedef uint64_t (*heron_privacy_clock_fn)(void *arg);

typedef struct heron_privacy_monitor_opts {
    heron_registry *registry;    /* NULL: the default registry */
    const char *model_id;        /* value of every series' model_id label */
    const char *const *labels;   /* extra per-operation label names, e.g.
                                    {"layer", "session_id", NULL}; at most 8 */
    double epsilon_budget;       /* threshold on total ε: finite, > 0 */
    double delta_budget;         /* threshold on total δ: in (0, 1) */
    double delta;                /* δ at which RDP is converted to ε:
                                    in (0, delta_budget] */
    double epsilon_per_hour;     /* rate guard: ε charged within any hour
                                    (60 one-minute buckets); 0: none */
    heron_privacy_conversion conversion;
    const double *orders;        /* NULL: "default" */
    size_t order_count;
    heron_privacy_clock_fn clock; /* NULL: the monotonic clock */
    void *clock_arg;
} heron_privacy_monitor_opts;

/* One operation's cost. Any combination of a mechanism and a direct (ε, δ)
 * is allowed; an all-zero spend records the operation at no cost. */
typedef struct heron_privacy_spend {
    const char *operation;           /* required, e.g. "dp_sgd_step" */
    const char *const *label_values; /* values for opts.labels, in order,
                                        NULL-terminated; NULL if none */
    const heron_privacy_mechanism *mechanism; /* or NULL */
    double epsilon;                  /* direct ε >= 0, finite */
    double delta;                    /* direct δ in [0, 1) */
    double clip_norm;                /* gradient clipping bound for the
                                        gauge; 0: not reported */
} heron_privacy_spend;

typedef struct heron_privacy_status {
    double epsilon;           /* total ε */
    double delta;             /* total δ */
    double order;             /* best order of the RDP part; 0 if none */
    double budget_remaining;  /* epsilon_budget − epsilon */
    double epsilon_last_hour; /* what the rate guard counts */
    uint64_t spends, refused, errors;
} heron_privacy_status;

/* Creates a monitor and registers its families. Free it with
 * heron_privacy_monitor_free. Errors: HERON_EINVAL for bad options,
 * HERON_EEXIST when the registry already holds privacy_* families. */
int heron_privacy_monitor_new(const heron_privacy_monitor_opts *opts,
                              heron_privacy_monitor **out, heron_err *err);
void heron_privacy_monitor_free(heron_privacy_monitor *m);
/* Records s if the totals stay within epsilon_budget and delta_budget and
 * the last hour within epsilon_per_hour: 0. Otherwise nothing is recorded
 * and it returns HERON_ERANGE with a message naming the limit (counted in
 * privacy_spend_refused_total). Invalid parameters: HERON_EINVAL (or
 * HERON_ERANGE for step counts), counted in
 * privacy_composition_errors_total. */
int heron_privacy_monitor_try_spend(heron_privacy_monitor *m,
                                    const heron_privacy_spend *s,
                                    heron_err *err);
/* Records s without checking the limits (the operation already ran). */
int heron_privacy_monitor_spend(heron_privacy_monitor *m,
                                const heron_privacy_spend *s, heron_err *err);
void heron_privacy_monitor_status(heron_privacy_monitor *m,
                                  heron_privacy_status *out);
/* ε charged so far to one operation and label set (0 if none). */
int heron_privacy_monitor_consumed(heron_privacy_monitor *m,
                                   const char *operation,
                                   const char *const *label_values,
                                   double *epsilon, heron_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* HERON_H */
