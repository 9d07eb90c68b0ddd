/*
 * cmd_privacy.c — `heron privacy epsilon|delta|rdp`: a differential-privacy
 * calculator in the spirit of TF Privacy's compute_dp_sgd_privacy.
 *
 *   heron privacy epsilon --mechanism KIND:noise=S[,rate=Q][,steps=N] ...
 *                         --delta D [--orders O] [--conversion C]
 *   heron privacy delta   --mechanism ... --epsilon E
 *   heron privacy rdp     --mechanism ... [--orders O]
 *
 * --mechanism repeats (the mechanisms compose); --noise-multiplier S
 * --sample-rate Q --steps N is the short form of one subsampled Gaussian.
 * --format json prints one object with numbers in shortest round-trip form
 * and infinities as "inf"/"-inf". Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "core/err.h"
#include "heron.h"

#define PRIV_MAX_MECHANISMS 64

typedef struct priv_args {
    heron_privacy_mechanism mech[PRIV_MAX_MECHANISMS];
    int nmech;
    const char *noise, *rate, *steps; /* the short form */
    const char *delta, *epsilon, *orders, *conversion, *format;
    int help;
} priv_args;

static void priv_usage(FILE *out)
{
    fprintf(out,
        "usage: heron privacy epsilon|delta|rdp [flags]\n\n"
        "  epsilon  the epsilon for --delta, and the order attaining it\n"
        "  delta    the delta for --epsilon, and the order attaining it\n"
        "  rdp      the composed RDP curve over --orders\n\n"
        "flags:\n"
        "  --mechanism KIND:noise=S[,rate=Q][,steps=N]  repeatable; KIND is\n"
        "        gaussian, subsampled_gaussian or laplace (noise = b)\n"
        "  --noise-multiplier S --sample-rate Q --steps N  one subsampled\n"
        "        gaussian (short form)\n"
        "  --delta D            target delta in (0, 1) (epsilon)\n"
        "  --epsilon E          target epsilon >= 0 (delta)\n"
        "  --orders O           default | opacus_default | 1.5,2,... "
        "(default: default)\n"
        "  --conversion C       improved | classic | opacus "
        "(default: improved)\n"
        "  --format F           text | json (default: text)\n");
}

static int priv_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int priv_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "heron privacy: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n");
    va_end(ap);
    priv_usage(stderr);
    return 2;
}

static int priv_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == 0 && errno == 0 ? 0 : -1;
}

static int priv_steps(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    *out = v;
    return *end == 0 && errno == 0 ? 0 : -1;
}

/* "KIND:noise=S[,rate=Q][,steps=N]" → m; a message in err on failure. */
static int priv_parse_mechanism(const char *spec, heron_privacy_mechanism *m,
                                heron_err *err)
{
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return err_set(err, HERON_EINVAL, "too long");
    strcpy(buf, spec);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = 0;
    int rc = heron_privacy_kind_parse(buf, &m->kind, err);
    if (rc)
        return rc;
    int have_noise = 0;
    m->sample_rate = 1;
    m->steps = 1;
    for (char *p = colon ? colon + 1 : NULL, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(p, '=');
        if (!eq)
            return err_set(err, HERON_EINVAL, "\"%s\" is not key=value", p);
        *eq++ = 0;
        int bad;
        if (strcmp(p, "noise") == 0)
            bad = priv_number(eq, &m->noise), have_noise = 1;
        else if (strcmp(p, "rate") == 0)
            bad = priv_number(eq, &m->sample_rate);
        else if (strcmp(p, "steps") == 0)
            bad = priv_steps(eq, &m->steps);
        else
            return err_set(err, HERON_EINVAL,
                           "unknown key \"%s\" (want noise, rate, steps)", p);
        if (bad)
            return err_set(err, HERON_EINVAL, "%s=\"%s\" is not a %s", p, eq,
                           strcmp(p, "steps") == 0
                               ? "whole number in 1..2^53"
                               : "number");
    }
    if (!have_noise)
        return err_set(err, HERON_EINVAL, "noise=S is required");
    return heron_privacy_mechanism_check(m, err);
}

/* Takes --name=value or --name value; returns the value or NULL. */
static const char *priv_value(const char *arg, const char *name, int argc,
                              char **argv, int *i)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int priv_parse(int argc, char **argv, priv_args *a)
{
    static const char *const names[] = {
        "--noise-multiplier", "--sample-rate", "--steps", "--delta",
        "--epsilon", "--orders", "--conversion", "--format"};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = 1;
            continue;
        }
        if ((v = priv_value(arg, "--mechanism", argc, argv, &i))) {
            heron_err err = {0};
            if (a->nmech == PRIV_MAX_MECHANISMS)
                return priv_usage_error("--mechanism: more than 64 given");
            if (priv_parse_mechanism(v, &a->mech[a->nmech++], &err))
                return priv_usage_error("--mechanism \"%s\": %s", v, err.msg);
            continue;
        }
        const char **slots[] = {&a->noise, &a->rate, &a->steps, &a->delta,
                                &a->epsilon, &a->orders, &a->conversion,
                                &a->format};
        size_t k = 0;
        for (; k < sizeof names / sizeof *names; k++)
            if ((v = priv_value(arg, names[k], argc, argv, &i))) {
                *slots[k] = v;
                break;
            }
        if (k == sizeof names / sizeof *names)
            return priv_usage_error("unknown or incomplete argument \"%s\"",
                                    arg);
    }
    return 0;
}

/* The short form --noise-multiplier/--sample-rate/--steps. */
static int priv_short_form(priv_args *a)
{
    if (!a->noise && !a->rate && !a->steps)
        return 0;
    if (!a->noise || !a->rate || !a->steps)
        return priv_usage_error("--noise-multiplier, --sample-rate and "
                                "--steps go together");
    if (a->nmech == PRIV_MAX_MECHANISMS)
        return priv_usage_error("--mechanism: more than 64 given");
    heron_privacy_mechanism *m = &a->mech[a->nmech++];
    m->kind = HERON_PRIVACY_SUBSAMPLED_GAUSSIAN;
    if (priv_number(a->noise, &m->noise))
        return priv_usage_error("--noise-multiplier \"%s\" is not a number",
                                a->noise);
    if (priv_number(a->rate, &m->sample_rate))
        return priv_usage_error("--sample-rate \"%s\" is not a number",
                                a->rate);
    if (priv_steps(a->steps, &m->steps))
        return priv_usage_error("--steps \"%s\" is not a step count",
                                a->steps);
    heron_err err = {0};
    if (heron_privacy_mechanism_check(m, &err))
        return priv_usage_error("%s", err.msg);
    return 0;
}

/* Shortest decimal that reads back to v; infinities as JSON strings. */
static void priv_print_number(double v, int json)
{
    if (isinf(v)) {
        printf(json ? "\"%s\"" : "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    char buf[40];
    if (v == trunc(v) && fabs(v) < 1e17) { /* 20, not 2e+01 */
        printf("%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, stdout);
}

static void priv_print_pair(const char *name, double value, double order,
                            int json)
{
    if (json) {
        printf("{\"%s\": ", name);
        priv_print_number(value, 1);
        printf(", \"order\": ");
        priv_print_number(order, 1);
        printf("}\n");
    } else {
        printf("%s: ", name);
        priv_print_number(value, 0);
        printf("\norder: ");
        priv_print_number(order, 0);
        printf("\n");
    }
}

static void priv_print_curve(const double *orders, const double *rdp,
                             size_t n, int json)
{
    if (!json) {
        printf("order\trdp\n");
        for (size_t i = 0; i < n; i++) {
            priv_print_number(orders[i], 0);
            putchar('\t');
            priv_print_number(rdp[i], 0);
            putchar('\n');
        }
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        const double *v = pass ? rdp : orders;
        printf(pass ? ", \"rdp\": [" : "{\"orders\": [");
        for (size_t i = 0; i < n; i++) {
            if (i)
                printf(", ");
            priv_print_number(v[i], 1);
        }
        printf("]");
    }
    printf("}\n");
}

/* Checks the flags that belong to the action; 0 or exit status 2. */
static int priv_check_flags(const char *action, const priv_args *a,
                            double *target, heron_privacy_conversion *conv,
                            int *json)
{
    int eps = strcmp(action, "epsilon") == 0, del = strcmp(action, "delta") == 0;
    if (!eps && !del && strcmp(action, "rdp") != 0)
        return priv_usage_error("unknown action \"%s\" (want epsilon, delta "
                                "or rdp)", action);
    if (a->nmech == 0)
        return priv_usage_error("%s: at least one --mechanism (or "
                                "--noise-multiplier ...) is required",
                                action);
    if ((a->delta && !eps) || (a->epsilon && !del) ||
        (a->conversion && !eps && !del))
        return priv_usage_error("%s: %s does not apply", action,
                                a->delta && !eps ? "--delta"
                                : a->epsilon && !del ? "--epsilon"
                                                     : "--conversion");
    const char *t = eps ? a->delta : a->epsilon;
    if ((eps || del) && !t)
        return priv_usage_error("%s: %s is required", action,
                                eps ? "--delta" : "--epsilon");
    if (t) {
        int bad = priv_number(t, target);
        if (!bad)
            bad = eps ? !(*target > 0 && *target < 1)
                      : !(*target >= 0) || isinf(*target);
        if (bad)
            return priv_usage_error("%s \"%s\": want a number %s",
                                    eps ? "--delta" : "--epsilon", t,
                                    eps ? "in (0, 1)" : "finite and >= 0");
    }
    heron_err err = {0};
    if (a->conversion &&
        heron_privacy_conversion_parse(a->conversion, conv, &err))
        return priv_usage_error("--conversion: %s", err.msg);
    if (a->format && strcmp(a->format, "json") != 0 &&
        strcmp(a->format, "text") != 0)
        return priv_usage_error("--format \"%s\": want text or json",
                                a->format);
    *json = a->format && strcmp(a->format, "json") == 0;
    return 0;
}

int cmd_privacy(int argc, char **argv)
{
    priv_args a = {0};
    if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
        priv_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *action = argv[0];
    int rc = priv_parse(argc - 1, argv + 1, &a);
    if (rc)
        return rc;
    if (a.help) {
        priv_usage(stdout);
        return 0;
    }
    if ((rc = priv_short_form(&a)))
        return rc;
    double target = 0;
    heron_privacy_conversion conv = HERON_PRIVACY_IMPROVED;
    int json = 0;
    if ((rc = priv_check_flags(action, &a, &target, &conv, &json)))
        return rc;

    heron_err err = {0};
    double *orders = NULL;
    size_t n = 0;
    if (heron_rdp_orders_parse(a.orders ? a.orders : "default", &orders, &n,
                               &err))
        return priv_usage_error("--orders: %s", err.msg);
    heron_privacy_accountant *acct = NULL;
    double *curve = malloc(n * sizeof *curve);
    rc = curve ? heron_privacy_accountant_new(orders, n, &acct, &err)
               : err_set(&err, HERON_ENOMEM, "out of memory");
    int usage = 0; /* a composition the arguments make impossible */
    for (int i = 0; !rc && i < a.nmech; i++)
        usage = rc = heron_privacy_accountant_compose(acct, &a.mech[i], &err);
    double value = 0, order = 0;
    if (!rc && strcmp(action, "epsilon") == 0)
        rc = heron_privacy_accountant_epsilon(acct, target, conv, &value,
                                              &order, &err);
    else if (!rc && strcmp(action, "delta") == 0)
        rc = heron_privacy_accountant_delta(acct, target, conv, &value,
                                            &order, &err);
    if (!rc) {
        if (strcmp(action, "rdp") == 0) {
            heron_privacy_accountant_rdp(acct, curve);
            priv_print_curve(orders, curve, n, json);
        } else {
            priv_print_pair(action, value, order, json);
        }
    } else if (usage) {
        priv_usage_error("--mechanism: %s", err.msg);
    } else {
        fprintf(stderr, "heron privacy %s: %s\n", action, err.msg);
    }
    heron_privacy_accountant_free(acct);
    free(curve);
    free(orders);
    return usage ? 2 : rc ? 1 : 0;
}
