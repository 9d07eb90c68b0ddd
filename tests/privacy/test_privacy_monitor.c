/*
 * test_privacy_monitor.c — the privacy monitor: options, try_spend against
 * the ε and δ thresholds and the hourly rate, per-operation accounting,
 * validation errors counted in privacy_composition_errors_total, the
 * exported series, and concurrent spends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

static uint64_t fake_now;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static const char *const layer_labels[] = {"layer", "session_id", NULL};

typedef struct fixture {
    heron_registry *reg;
    heron_privacy_monitor *mon;
} fixture;

static heron_privacy_monitor_opts base_opts(heron_registry *reg)
{
    return (heron_privacy_monitor_opts){
        .registry = reg,
        .model_id = "resnet",
        .labels = layer_labels,
        .epsilon_budget = 3,
        .delta_budget = 1e-4,
        .delta = 1e-5,
        .conversion = HERON_PRIVACY_IMPROVED,
        .clock = fake_clock,
    };
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || heron_registry_new(&f->reg, NULL))
        return -1;
    fake_now = 0;
    heron_privacy_monitor_opts o = base_opts(f->reg);
    if (heron_privacy_monitor_new(&o, &f->mon, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    heron_privacy_monitor_free(f->mon);
    heron_registry_free(f->reg);
    free(f);
    return 0;
}

static char *expose(heron_registry *reg)
{
    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &out, &len,
                                           NULL),
                     0);
    return out;
}

/* The value of the exposed sample line that starts with `prefix`. */
static double sample(heron_registry *reg, const char *prefix)
{
    char *text = expose(reg);
    double v = NAN;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, prefix, strlen(prefix)) == 0 &&
            line[strlen(prefix)] == ' ')
            v = strtod(line + strlen(prefix) + 1, NULL);
    free(text);
    return v;
}

static const heron_privacy_mechanism sgd = {
    HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.01, 100};

static void test_options(void **state)
{
    (void)state;
    heron_registry *reg;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    heron_privacy_monitor *m;
    heron_err err = {0};
    const char *const nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                NULL};
    heron_privacy_monitor_opts o = base_opts(reg);
    o.model_id = NULL;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "model_id"));
    double bad_budget[] = {0, -1, INFINITY, NAN};
    for (size_t i = 0; i < 4; i++) {
        o = base_opts(reg);
        o.epsilon_budget = bad_budget[i];
        assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
        assert_non_null(strstr(err.msg, "epsilon_budget"));
        assert_null(m);
    }
    double bad_delta_budget[] = {0, 1, -0.5, NAN};
    for (size_t i = 0; i < 4; i++) {
        o = base_opts(reg);
        o.delta_budget = bad_delta_budget[i];
        assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
        assert_non_null(strstr(err.msg, "delta"));
    }
    o = base_opts(reg);
    o.delta = 2e-4; /* above delta_budget */
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "delta 0.0002"));
    o = base_opts(reg);
    o.epsilon_per_hour = -1;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "epsilon_per_hour"));
    o = base_opts(reg);
    o.labels = nine;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_ERANGE);
    o = base_opts(reg);
    o.conversion = (heron_privacy_conversion)5;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);
    o = base_opts(reg);
    double bad_orders[] = {0.5};
    o.orders = bad_orders;
    o.order_count = 1;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EINVAL);

    /* one monitor per registry at a time */
    o = base_opts(reg);
    heron_privacy_monitor *first;
    assert_int_equal(heron_privacy_monitor_new(&o, &first, NULL), 0);
    assert_int_equal(heron_privacy_monitor_new(&o, &m, &err), HERON_EEXIST);
    heron_privacy_monitor_free(first);
    assert_int_equal(heron_privacy_monitor_new(&o, &m, NULL), 0);
    heron_privacy_monitor_free(m);
    heron_registry_free(reg);
}

static void test_spend_and_metrics(void **state)
{
    fixture *f = *state;
    const char *const conv1[] = {"conv1", "s1", NULL};
    heron_privacy_spend s = {.operation = "dp_sgd_step",
                             .label_values = conv1,
                             .mechanism = &sgd,
                             .clip_norm = 1.5};
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, NULL), 0);

    /* the same as an accountant alone */
    heron_privacy_accountant *a;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &a, NULL), 0);
    assert_int_equal(heron_privacy_accountant_compose(a, &sgd, NULL), 0);
    double want, order;
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &want, &order, NULL),
                     0);
    heron_privacy_accountant_free(a);

    heron_privacy_status st;
    heron_privacy_monitor_status(f->mon, &st);
    assert_true(st.epsilon == want && st.order == order);
    assert_true(st.delta == 1e-5);
    assert_true(st.budget_remaining == 3 - want);
    assert_int_equal(st.spends, 1);

    assert_true(sample(f->reg, "privacy_epsilon_total{model_id=\"resnet\"}") ==
                want);
    assert_true(sample(f->reg, "privacy_delta_total{model_id=\"resnet\"}") ==
                1e-5);
    assert_true(sample(f->reg,
                       "privacy_budget_remaining{model_id=\"resnet\"}") ==
                3 - want);
    const char *op = "{layer=\"conv1\",model_id=\"resnet\","
                     "operation=\"dp_sgd_step\",session_id=\"s1\"}";
    char name[256];
    snprintf(name, sizeof name, "privacy_epsilon_consumed_total%s", op);
    assert_true(sample(f->reg, name) == want);
    snprintf(name, sizeof name, "privacy_epsilon_per_operation%s", op);
    assert_true(sample(f->reg, name) == want);
    snprintf(name, sizeof name, "privacy_delta_per_operation%s", op);
    assert_true(sample(f->reg, name) == 1e-5);
    snprintf(name, sizeof name, "privacy_noise_multiplier%s", op);
    assert_true(sample(f->reg, name) == 1.1);
    snprintf(name, sizeof name, "privacy_gradient_clip_norm%s", op);
    assert_true(sample(f->reg, name) == 1.5);
    assert_true(sample(f->reg, "privacy_composition_errors_total{model_id="
                               "\"resnet\"}") == 0);

    /* a second layer: consumption is charged per label set and adds up */
    const char *const conv2[] = {"conv2", "s1", NULL};
    s.label_values = conv2;
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, NULL), 0);
    double c1, c2;
    assert_int_equal(heron_privacy_monitor_consumed(f->mon, "dp_sgd_step",
                                                    conv1, &c1, NULL),
                     0);
    assert_int_equal(heron_privacy_monitor_consumed(f->mon, "dp_sgd_step",
                                                    conv2, &c2, NULL),
                     0);
    heron_privacy_monitor_status(f->mon, &st);
    assert_true(c1 == want && c2 > 0);
    assert_true(fabs(c1 + c2 - st.epsilon) <= 1e-15 * st.epsilon);
    /* δ is charged once, by the first mechanism */
    snprintf(name, sizeof name,
             "privacy_delta_per_operation{layer=\"conv2\",model_id="
             "\"resnet\",operation=\"dp_sgd_step\",session_id=\"s1\"}");
    assert_true(sample(f->reg, name) == 0);
}

static void test_budget_stops_training(void **state)
{
    fixture *f = *state;
    const char *const l[] = {"all", "s", NULL};
    heron_privacy_mechanism step = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.0,
                                    0.01, 1};
    heron_privacy_spend s = {.operation = "step", .label_values = l,
                             .mechanism = &step};
    heron_err err = {0};
    int steps = 0, rc = 0;
    while (steps < 200000 &&
           (rc = heron_privacy_monitor_try_spend(f->mon, &s, &err)) == 0)
        steps++;
    assert_int_equal(rc, HERON_ERANGE);
    assert_non_null(strstr(err.msg, "above the budget 3"));
    assert_true(steps > 100);

    heron_privacy_status st;
    heron_privacy_monitor_status(f->mon, &st);
    assert_int_equal(st.spends, steps);
    assert_int_equal(st.refused, 1);
    assert_true(st.epsilon <= 3);
    /* the refused step really would have crossed the budget */
    heron_privacy_accountant *a;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &a, NULL), 0);
    step.steps = (uint64_t)steps + 1;
    assert_int_equal(heron_privacy_accountant_compose(a, &step, NULL), 0);
    double after, order;
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &after, &order, NULL),
                     0);
    heron_privacy_accountant_free(a);
    assert_true(after > 3);
    assert_true(sample(f->reg, "privacy_spend_refused_total{model_id=\"resnet\","
                               "reason=\"epsilon_budget\"}") == 1);
    /* refusing changed nothing */
    heron_privacy_status again;
    heron_privacy_monitor_status(f->mon, &again);
    assert_true(again.epsilon == st.epsilon);

    /* spend() records even beyond the budget */
    step.steps = 1;
    assert_int_equal(heron_privacy_monitor_spend(f->mon, &s, NULL), 0);
    heron_privacy_monitor_status(f->mon, &st);
    assert_true(st.epsilon > 3 && st.budget_remaining < 0);
    assert_true(sample(f->reg, "privacy_budget_remaining{model_id="
                               "\"resnet\"}") < 0);
}

static void test_direct_spends_and_delta_threshold(void **state)
{
    fixture *f = *state;
    const char *const l[] = {"query", "s", NULL};
    heron_privacy_spend s = {.operation = "count_query", .label_values = l,
                             .epsilon = 0.5, .delta = 4e-5};
    heron_err err = {0};
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, NULL), 0);
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, NULL), 0);
    heron_privacy_status st;
    heron_privacy_monitor_status(f->mon, &st);
    assert_true(st.epsilon == 1 && st.delta == 8e-5);
    assert_true(st.order == 0);
    /* a third would take δ to 1.2e-4 > 1e-4 */
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, &err),
                     HERON_ERANGE);
    assert_non_null(strstr(err.msg, "delta would reach"));
    /* a mechanism adds the monitor's δ (1e-5): 9e-5, still fine */
    s = (heron_privacy_spend){.operation = "train", .label_values = l,
                              .mechanism = &sgd};
    assert_int_equal(heron_privacy_monitor_try_spend(f->mon, &s, NULL), 0);
    heron_privacy_monitor_status(f->mon, &st);
    assert_true(fabs(st.delta - 9e-5) < 1e-18);
    assert_true(st.epsilon > 1);
    assert_true(sample(f->reg, "privacy_spend_refused_total{model_id=\"resnet\","
                               "reason=\"delta_budget\"}") == 1);
}

static void test_rate_guard(void **state)
{
    (void)state;
    heron_registry *reg;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    heron_privacy_monitor_opts o = base_opts(reg);
    o.labels = NULL;
    o.epsilon_budget = 100;
    o.epsilon_per_hour = 1;
    heron_privacy_monitor *m;
    assert_int_equal(heron_privacy_monitor_new(&o, &m, NULL), 0);
    heron_privacy_spend s = {.operation = "q", .epsilon = 0.6};
    heron_err err = {0};
    fake_now = 1000ULL * 60000000000ULL; /* minute 1000 */
    assert_int_equal(heron_privacy_monitor_try_spend(m, &s, NULL), 0);
    fake_now += 30ULL * 60000000000ULL;
    assert_int_equal(heron_privacy_monitor_try_spend(m, &s, &err),
                     HERON_ERANGE);
    assert_non_null(strstr(err.msg, "within an hour"));
    heron_privacy_status st;
    heron_privacy_monitor_status(m, &st);
    assert_true(st.epsilon_last_hour == 0.6);
    fake_now += 31ULL * 60000000000ULL; /* the first spend is 61 min old */
    assert_int_equal(heron_privacy_monitor_try_spend(m, &s, NULL), 0);
    heron_privacy_monitor_status(m, &st);
    assert_true(st.epsilon == 1.2 && st.epsilon_last_hour == 0.6);
    assert_true(sample(reg, "privacy_spend_refused_total{model_id=\"resnet\","
                            "reason=\"rate\"}") == 1);
    heron_privacy_monitor_free(m);
    heron_registry_free(reg);
}

static void test_validation_errors_counted(void **state)
{
    fixture *f = *state;
    const char *const l[] = {"conv1", "s1", NULL};
    const char *const short_l[] = {"conv1", NULL};
    const char *const long_l[] = {"conv1", "s1", "extra", NULL};
    heron_privacy_mechanism zero_sigma = {HERON_PRIVACY_GAUSSIAN, 0, 1, 1};
    heron_privacy_mechanism neg_sigma = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, -1,
                                         0.1, 1};
    heron_privacy_mechanism q_zero = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, 0,
                                      1};
    heron_privacy_mechanism q_big = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1, 1.01,
                                     1};
    heron_privacy_mechanism nan_sigma = {HERON_PRIVACY_GAUSSIAN, NAN, 1, 1};
    heron_privacy_mechanism huge_steps = {HERON_PRIVACY_GAUSSIAN, 1, 1,
                                          HERON_PRIVACY_MAX_STEPS + 1};
    const struct {
        heron_privacy_spend s;
        int rc;
        const char *msg;
    } cases[] = {
        {{.operation = "x", .label_values = l, .mechanism = &zero_sigma},
         HERON_EINVAL, "noise multiplier 0"},
        {{.operation = "x", .label_values = l, .mechanism = &neg_sigma},
         HERON_EINVAL, "noise multiplier -1"},
        {{.operation = "x", .label_values = l, .mechanism = &q_zero},
         HERON_EINVAL, "sample rate 0"},
        {{.operation = "x", .label_values = l, .mechanism = &q_big},
         HERON_EINVAL, "sample rate 1.01"},
        {{.operation = "x", .label_values = l, .mechanism = &nan_sigma},
         HERON_EINVAL, "nan"},
        {{.operation = "x", .label_values = l, .mechanism = &huge_steps},
         HERON_ERANGE, "steps"},
        {{.operation = "x", .label_values = l, .epsilon = -1}, HERON_EINVAL,
         "epsilon -1"},
        {{.operation = "x", .label_values = l, .epsilon = INFINITY},
         HERON_EINVAL, "epsilon inf"},
        {{.operation = "x", .label_values = l, .epsilon = NAN}, HERON_EINVAL,
         "epsilon nan"},
        {{.operation = "x", .label_values = l, .delta = 1}, HERON_EINVAL,
         "delta 1"},
        {{.operation = "x", .label_values = l, .delta = -1e-9}, HERON_EINVAL,
         "delta -1"},
        {{.operation = "x", .label_values = l, .clip_norm = -2}, HERON_EINVAL,
         "clip_norm -2"},
        {{.operation = NULL, .label_values = l}, HERON_EINVAL, "operation"},
        {{.operation = "x", .label_values = short_l}, HERON_EINVAL,
         "1 label values, want 2"},
        {{.operation = "x", .label_values = long_l}, HERON_EINVAL,
         "more than 2 label values"},
        {{.operation = "x", .label_values = NULL}, HERON_EINVAL,
         "0 label values"},
    };
    size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++) {
        heron_err err = {0};
        int rc = i % 2 ? heron_privacy_monitor_try_spend(f->mon, &cases[i].s,
                                                         &err)
                       : heron_privacy_monitor_spend(f->mon, &cases[i].s,
                                                     &err);
        assert_int_equal(rc, cases[i].rc);
        if (!strstr(err.msg, cases[i].msg)) {
            print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err.msg,
                        cases[i].msg);
            fail();
        }
    }
    heron_privacy_status st;
    heron_privacy_monitor_status(f->mon, &st);
    assert_int_equal(st.errors, n);
    assert_int_equal(st.spends, 0);
    assert_true(st.epsilon == 0 && st.delta == 0);
    assert_true(sample(f->reg, "privacy_composition_errors_total{model_id="
                               "\"resnet\"}") == (double)n);
}

typedef struct spender {
    heron_privacy_monitor *mon;
    const char *layer;
} spender;

static void *spend_thread(void *arg)
{
    spender *sp = arg;
    const char *const l[] = {sp->layer, "s", NULL};
    heron_privacy_mechanism one = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.01,
                                   1};
    heron_privacy_spend s = {.operation = "step", .label_values = l,
                             .mechanism = &one};
    for (int i = 0; i < 250; i++)
        if (heron_privacy_monitor_try_spend(sp->mon, &s, NULL))
            return (void *)1;
    return NULL;
}

static void test_concurrent_spends(void **state)
{
    fixture *f = *state;
    pthread_t t[4];
    spender sp[4] = {{f->mon, "a"}, {f->mon, "b"}, {f->mon, "c"},
                     {f->mon, "d"}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, spend_thread, &sp[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    heron_privacy_status st;
    heron_privacy_monitor_status(f->mon, &st);
    assert_int_equal(st.spends, 1000);
    heron_privacy_accountant *a;
    assert_int_equal(heron_privacy_accountant_new(NULL, 0, &a, NULL), 0);
    heron_privacy_mechanism all = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.01,
                                   1000};
    assert_int_equal(heron_privacy_accountant_compose(a, &all, NULL), 0);
    double want, order;
    assert_int_equal(heron_privacy_accountant_epsilon(
                         a, 1e-5, HERON_PRIVACY_IMPROVED, &want, &order, NULL),
                     0);
    heron_privacy_accountant_free(a);
    assert_true(st.epsilon == want);
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        const char *const l[] = {sp[i].layer, "s", NULL};
        double c;
        assert_int_equal(heron_privacy_monitor_consumed(f->mon, "step", l, &c,
                                                        NULL),
                         0);
        sum += c;
    }
    assert_true(fabs(sum - want) <= 1e-12 * want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test_setup_teardown(test_spend_and_metrics, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_budget_stops_training, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_direct_spends_and_delta_threshold,
                                        setup, teardown),
        cmocka_unit_test(test_rate_guard),
        cmocka_unit_test_setup_teardown(test_validation_errors_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_spends, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
