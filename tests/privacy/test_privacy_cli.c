/*
 * test_privacy_cli.c — `heron privacy`: results, JSON output, exit codes
 * and usage errors that name the argument. Runs the built binary
 * ($HERON_BINARY_DIR/heron).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct result {
    int status;
    char out[8192];
} result;

/* Runs `heron privacy ARGS`; captures stdout, or stderr when want_stderr. */
static result run(const char *args, int want_stderr)
{
    result r = {0};
    const char *bin = getenv("HERON_BINARY_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/heron' privacy %s %s", bin ? bin : ".",
             args, want_stderr ? "2>&1 >/dev/null" : "2>/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(r.out, 1, sizeof r.out - 1, p);
    r.out[n] = 0;
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/* The number after "\"key\": " in a JSON object. */
static double json_number(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    return strtod(p + strlen(pat), NULL);
}

static void test_epsilon_short_form(void **state)
{
    (void)state;
    /* compute_dp_sgd_privacy(60000, 150, 1.3, 15 epochs, 1e-5) */
    result r = run("epsilon --noise-multiplier 1.3 --sample-rate 0.0025 "
                   "--steps 6000 --delta 1e-5 --format json", 0);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "{\"epsilon\": ", 12) == 0);
    double eps = json_number(r.out, "epsilon");
    assert_true(fabs(eps - 0.7242234026109595) < 1e-9 * 0.7242234026109595);
    assert_non_null(strstr(r.out, "\"order\": 19}"));

    r = run("epsilon --noise-multiplier=1.3 --sample-rate=0.0025 "
            "--steps=6000 --delta=1e-5 --conversion=classic", 0);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "epsilon: 0.94187056", 19) == 0);
    assert_non_null(strstr(r.out, "\norder: 19\n"));
}

static void test_composition_and_orders(void **state)
{
    (void)state;
    /* TF Privacy's heterogeneous example: 8.509656 at order 2.5 (classic) */
    result r = run("epsilon --mechanism subsampled_gaussian:noise=0.4,"
                   "rate=1e-4,steps=40000 --mechanism subsampled_gaussian:"
                   "noise=2,rate=0.1,steps=100 --delta 1e-5 --conversion "
                   "classic --format json --orders 1.25,1.5,1.75,2,2.25,2.5,"
                   "3,3.5,4,4.5,5,6,7,8,9,10,11,12,16,20,32,64,128,256,512",
                   0);
    assert_int_equal(r.status, 0);
    assert_true(fabs(json_number(r.out, "epsilon") - 8.50965604) < 1e-7);
    assert_true(json_number(r.out, "order") == 2.5);

    r = run("epsilon --mechanism subsampled_gaussian:noise=1.5,rate=0.04,"
            "steps=2250 --orders opacus_default --conversion opacus "
            "--delta 1e-5 --format json", 0);
    assert_int_equal(r.status, 0);
    assert_true(fabs(json_number(r.out, "epsilon") - 7.32911117148) < 1e-9);
}

static void test_rdp_and_delta(void **state)
{
    (void)state;
    result r = run("rdp --mechanism gaussian:noise=2 --mechanism "
                   "laplace:noise=2,steps=10 --orders 1.5,2,inf "
                   "--format json", 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "{\"orders\": [1.5, 2, \"inf\"], \"rdp\": ["));
    assert_non_null(strstr(r.out, "\"inf\"]}\n"));

    r = run("rdp --mechanism gaussian:noise=2 --orders 1.5,2", 0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "order\trdp\n1.5\t0.1875\n2\t0.25\n");

    r = run("delta --epsilon 1 --mechanism subsampled_gaussian:noise=1.1,"
            "rate=0.01,steps=1000 --format json", 0);
    assert_int_equal(r.status, 0);
    double d = json_number(r.out, "delta");
    assert_true(d > 0 && d < 1);
    assert_non_null(strstr(r.out, "\"order\": "));

    /* ε then δ: back to the δ we started from */
    r = run("epsilon --delta 1e-6 --mechanism subsampled_gaussian:noise=1.1,"
            "rate=0.01,steps=1000 --format json", 0);
    double eps = json_number(r.out, "epsilon");
    char args[256];
    snprintf(args, sizeof args,
             "delta --epsilon %.17g --mechanism subsampled_gaussian:noise=1.1,"
             "rate=0.01,steps=1000 --format json", eps);
    r = run(args, 0);
    assert_true(fabs(json_number(r.out, "delta") - 1e-6) < 1e-14);
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args, *names;
    } cases[] = {
        {"epsilon --mechanism gaussian:noise=0 --delta 1e-5", "noise=0"},
        {"epsilon --mechanism gaussian:noise=-1 --delta 1e-5",
         "noise multiplier -1"},
        {"epsilon --mechanism subsampled_gaussian:noise=1,rate=0 --delta 1e-5",
         "sample rate 0"},
        {"epsilon --mechanism subsampled_gaussian:noise=1,rate=1.5 --delta "
         "1e-5", "sample rate 1.5"},
        {"epsilon --mechanism gaussian:noise=inf --delta 1e-5", "inf"},
        {"epsilon --mechanism gaussian:noise=1,steps=0 --delta 1e-5",
         "steps 0"},
        {"epsilon --mechanism gaussian:noise=1,steps=99999999999999999999 "
         "--delta 1e-5", "steps="},
        {"epsilon --mechanism gaussian:noise=1,steps=9007199254740993 --delta "
         "1e-5", "steps 9007199254740993"},
        {"epsilon --mechanism gaussian:noise=1,bogus=2 --delta 1e-5", "bogus"},
        {"epsilon --mechanism gaussian:noise=1,steps=9007199254740992 "
         "--mechanism gaussian:noise=1,steps=1 --delta 1e-5", "above 2^53"},
        {"epsilon --mechanism gauss:noise=1 --delta 1e-5", "gauss"},
        {"epsilon --mechanism gaussian --delta 1e-5", "noise=S is required"},
        {"epsilon --mechanism gaussian:noise=1 --delta 1", "--delta"},
        {"epsilon --mechanism gaussian:noise=1 --delta 0", "--delta"},
        {"epsilon --mechanism gaussian:noise=1 --delta nan", "--delta"},
        {"epsilon --mechanism gaussian:noise=1", "--delta is required"},
        {"delta --mechanism gaussian:noise=1 --epsilon -1", "--epsilon"},
        {"delta --mechanism gaussian:noise=1 --epsilon inf", "--epsilon"},
        {"delta --mechanism gaussian:noise=1 --delta 1e-5", "--delta"},
        {"epsilon --delta 1e-5", "--mechanism"},
        {"epsilon --mechanism gaussian:noise=1 --delta 1e-5 --orders 1,2",
         "--orders"},
        {"epsilon --mechanism gaussian:noise=1 --delta 1e-5 --conversion x",
         "--conversion"},
        {"epsilon --mechanism gaussian:noise=1 --delta 1e-5 --format xml",
         "--format"},
        {"epsilon --mechanism gaussian:noise=1 --delta 1e-5 --colour",
         "--colour"},
        {"epsilon --noise-multiplier 1 --steps 10 --delta 1e-5",
         "--sample-rate"},
        {"epsilon --noise-multiplier 0 --sample-rate 0.1 --steps 10 "
         "--delta 1e-5", "noise multiplier 0"},
        {"epsilon --noise-multiplier x --sample-rate 0.1 --steps 10 "
         "--delta 1e-5", "--noise-multiplier"},
        {"epsilon --mechanism", "--mechanism"},
        {"integrate --mechanism gaussian:noise=1", "integrate"},
        {"", "usage"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        result r = run(cases[i].args, 1);
        if (r.status != 2 || !strstr(r.out, cases[i].names)) {
            print_error("case %zu (%s): status %d, stderr: %s\n", i,
                        cases[i].args, r.status, r.out);
            fail();
        }
    }
    result r = run("--help", 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--mechanism"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epsilon_short_form),
        cmocka_unit_test(test_composition_and_orders),
        cmocka_unit_test(test_rdp_and_delta),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
