/*
 * Parser tests: tree shapes (precedence, associativity, unary folding,
 * modifiers), the fields an evaluator reads, and error messages with their
 * positions. Expected messages were taken from Prometheus 2.42's
 * /api/v1/format_query (see gen_golden.py); data/format_golden.txt holds
 * the bulk of them and is checked by test_promql_format.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "promql/promql.h"

/* A Lisp-like dump of the tree shape: (op lhs rhs), numbers, names. */
static void dump(const promql_node *n, buf *b)
{
    switch (n->kind) {
    case PROMQL_NUMBER:
        promql_format_number(b, n->u.number);
        break;
    case PROMQL_STRING:
        promql_quote(b, n->u.string.value, n->u.string.len);
        break;
    case PROMQL_VECTOR_SELECTOR:
        buf_puts(b, n->u.vs.name ? n->u.vs.name : "{}");
        break;
    case PROMQL_MATRIX_SELECTOR:
        buf_puts(b, "(range ");
        dump(n->u.ms.vs, b);
        buf_putc(b, ')');
        break;
    case PROMQL_SUBQUERY:
        buf_puts(b, "(subquery ");
        dump(n->u.sq.expr, b);
        buf_putc(b, ')');
        break;
    case PROMQL_PAREN:
        buf_puts(b, "(paren ");
        dump(n->u.paren.expr, b);
        buf_putc(b, ')');
        break;
    case PROMQL_UNARY:
        buf_printf(b, "(u%s ", promql_binop_name(n->u.unary.op));
        dump(n->u.unary.expr, b);
        buf_putc(b, ')');
        break;
    case PROMQL_BINARY:
        buf_printf(b, "(%s ", promql_binop_name(n->u.binary.op));
        dump(n->u.binary.lhs, b);
        buf_putc(b, ' ');
        dump(n->u.binary.rhs, b);
        buf_putc(b, ')');
        break;
    case PROMQL_AGGREGATE:
        buf_printf(b, "(%s ", promql_aggop_name(n->u.agg.op));
        if (n->u.agg.param) {
            dump(n->u.agg.param, b);
            buf_putc(b, ' ');
        }
        dump(n->u.agg.expr, b);
        buf_putc(b, ')');
        break;
    case PROMQL_CALL:
        buf_printf(b, "(%s", n->u.call.func->name);
        for (size_t i = 0; i < n->u.call.nargs; i++) {
            buf_putc(b, ' ');
            dump(n->u.call.args[i], b);
        }
        buf_putc(b, ')');
        break;
    }
}

static void assert_shape(const char *q, const char *want)
{
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n;
    heron_err e;
    int rc = promql_parse(q, strlen(q), &a, &n, &e);
    if (rc != 0)
        fail_msg("%s: %s", q, e.msg);
    buf b;
    buf_init(&b, 0);
    dump(n, &b);
    if (strcmp(b.data, want) != 0)
        fail_msg("%s: got %s, want %s", q, b.data, want);
    buf_free(&b);
    promql_arena_free(&a);
}

static void assert_error(const char *q, int code, const char *want)
{
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n = (promql_node *)&a;
    heron_err e;
    int rc = promql_parse(q, strlen(q), &a, &n, &e);
    if (rc != code || strcmp(e.msg, want) != 0)
        fail_msg("%s: got %d \"%s\", want %d \"%s\"", q, rc, rc ? e.msg : "", code, want);
    assert_null(n);
    promql_arena_free(&a);
}

static promql_node *parse_ok(promql_arena *a, const char *q)
{
    promql_node *n;
    heron_err e;
    if (promql_parse(q, strlen(q), a, &n, &e) != 0)
        fail_msg("%s: %s", q, e.msg);
    return n;
}

static void test_precedence(void **state)
{
    (void)state;
    assert_shape("1 + 2 * 3", "(+ 1 (* 2 3))");
    assert_shape("1 * 2 + 3", "(+ (* 1 2) 3)");
    assert_shape("1 - 2 - 3", "(- (- 1 2) 3)");
    assert_shape("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))");
    assert_shape("a or b and c", "(or a (and b c))");
    assert_shape("a and b unless c", "(unless (and a b) c)");
    assert_shape("a > b + c", "(> a (+ b c))");
    assert_shape("a == b or c != d", "(or (== a b) (!= c d))");
    assert_shape("a atan2 b * c", "(* (atan2 a b) c)");
    assert_shape("a % b / c", "(/ (% a b) c)");
    assert_shape("(1 + 2) * 3", "(* (paren (+ 1 2)) 3)");
    assert_shape("a + b offset 5m", "(+ a b)");
    assert_shape("max_over_time((a + b)[5m:])", "(max_over_time (subquery (paren (+ a b))))");
}

static void test_unary(void **state)
{
    (void)state;
    assert_shape("-1", "-1");
    assert_shape("- -1", "1");
    assert_shape("+5", "5");
    assert_shape("-2 ^ 2", "(u- (^ 2 2))");
    assert_shape("-2 * 3", "(* -2 3)");
    assert_shape("-x * 3", "(* (u- x) 3)");
    assert_shape("2 ^ -x", "(^ 2 (u- x))");
    assert_shape("-(1)", "(u- (paren 1))");
    assert_shape("1 - -1", "(- 1 -1)");
}

static void test_literals(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    assert_true(parse_ok(&a, "0x1F")->u.number == 31);
    assert_true(parse_ok(&a, "010")->u.number == 8);
    assert_true(parse_ok(&a, "1e3")->u.number == 1000);
    assert_true(parse_ok(&a, ".5")->u.number == 0.5);
    assert_true(isinf(parse_ok(&a, "Inf")->u.number));
    assert_true(parse_ok(&a, "-inf")->u.number < 0);
    assert_true(isnan(parse_ok(&a, "NaN")->u.number));
    promql_node *s = parse_ok(&a, "\"a\\n\\x41\\u00e9\\101\\\\\"");
    assert_int_equal(s->kind, PROMQL_STRING);
    assert_int_equal(s->u.string.len, 7);
    assert_memory_equal(s->u.string.value, "a\nA\xc3\xa9" "A\\", 7);
    s = parse_ok(&a, "`raw\\n`");
    assert_string_equal(s->u.string.value, "raw\\n");
    s = parse_ok(&a, "'it\\'s'");
    assert_string_equal(s->u.string.value, "it's");
    s = parse_ok(&a, "\"nul\\x00byte\"");
    assert_int_equal(s->u.string.len, 8);
    promql_arena_free(&a);
}

static void test_selectors(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n = parse_ok(&a, "http_requests{job=\"api\", code!~\"5..\"}");
    assert_int_equal(n->kind, PROMQL_VECTOR_SELECTOR);
    assert_int_equal(n->type, PROMQL_TYPE_VECTOR);
    assert_string_equal(n->u.vs.name, "http_requests");
    assert_int_equal(n->u.vs.nmatchers, 3);
    assert_int_equal(n->u.vs.matchers[0].type, PROMQL_MATCH_EQUAL);
    assert_string_equal(n->u.vs.matchers[1].name, "code");
    assert_int_equal(n->u.vs.matchers[1].type, PROMQL_MATCH_NOT_REGEX);
    assert_string_equal(n->u.vs.matchers[1].value, "5..");
    assert_string_equal(n->u.vs.matchers[2].name, "__name__");
    assert_string_equal(n->u.vs.matchers[2].value, "http_requests");

    n = parse_ok(&a, "x[5m] offset -1h @ 100.5");
    assert_int_equal(n->kind, PROMQL_MATRIX_SELECTOR);
    assert_int_equal(n->type, PROMQL_TYPE_MATRIX);
    assert_int_equal(n->u.ms.range_ms, 300000);
    assert_int_equal(n->u.ms.vs->u.vs.mod.offset_ms, -3600000);
    assert_int_equal(n->u.ms.vs->u.vs.mod.at, PROMQL_AT_TIMESTAMP);
    assert_int_equal(n->u.ms.vs->u.vs.mod.at_ms, 100500);

    n = parse_ok(&a, "rate(x[1h30m])[1d:5m] @ end()");
    assert_int_equal(n->kind, PROMQL_SUBQUERY);
    assert_int_equal(n->u.sq.range_ms, 86400000);
    assert_int_equal(n->u.sq.step_ms, 300000);
    assert_int_equal(n->u.sq.mod.at, PROMQL_AT_END);
    assert_int_equal(n->u.sq.expr->u.call.args[0]->u.ms.range_ms, 5400000);

    n = parse_ok(&a, "x @ start()");
    assert_int_equal(n->u.vs.mod.at, PROMQL_AT_START);
    n = parse_ok(&a, "x[5m:]");
    assert_int_equal(n->u.sq.step_ms, 0);
    n = parse_ok(&a, "{__name__=~\"a.+\"}");
    assert_null(n->u.vs.name);
    assert_false(n->u.vs.matchers[0].matches_empty);
    n = parse_ok(&a, "sum # a comment\n(x)");
    assert_int_equal(n->kind, PROMQL_AGGREGATE);
    promql_arena_free(&a);
}

static void test_aggregations(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n = parse_ok(&a, "sum by (job, instance) (rate(x[5m]))");
    assert_int_equal(n->u.agg.op, PROMQL_AGG_SUM);
    assert_int_equal(n->u.agg.grouping.count, 2);
    assert_string_equal(n->u.agg.grouping.names[1], "instance");
    assert_false(n->u.agg.without);
    n = parse_ok(&a, "topk(3, x) without (a,)");
    assert_int_equal(n->u.agg.op, PROMQL_AGG_TOPK);
    assert_true(n->u.agg.without);
    assert_int_equal(n->u.agg.param->u.number, 3);
    n = parse_ok(&a, "count_values(\"v\", x)");
    assert_int_equal(n->u.agg.param->kind, PROMQL_STRING);
    n = parse_ok(&a, "quantile(0.9, x)");
    assert_int_equal(n->u.agg.op, PROMQL_AGG_QUANTILE);
    assert_shape("stddev(x) + stdvar(x) + group(x) + bottomk(1, x)",
                 "(+ (+ (+ (stddev x) (stdvar x)) (group x)) (bottomk 1 x))");
    assert_shape("SUM BY (a) (x)", "(sum x)");
    assert_shape("sum", "sum");
    promql_arena_free(&a);
}

static void test_vector_matching(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n = parse_ok(&a, "a * on (x, y) group_left (z) b");
    const promql_matching *m = n->u.binary.matching;
    assert_non_null(m);
    assert_true(m->on);
    assert_int_equal(m->card, PROMQL_CARD_MANY_TO_ONE);
    assert_int_equal(m->labels.count, 2);
    assert_string_equal(m->include.names[0], "z");
    n = parse_ok(&a, "a / ignoring (x) group_right b");
    assert_int_equal(n->u.binary.matching->card, PROMQL_CARD_ONE_TO_MANY);
    assert_false(n->u.binary.matching->on);
    n = parse_ok(&a, "a and b");
    assert_int_equal(n->u.binary.matching->card, PROMQL_CARD_MANY_TO_MANY);
    n = parse_ok(&a, "a > bool 1");
    assert_true(n->u.binary.return_bool);
    assert_null(n->u.binary.matching);
    assert_int_equal(n->type, PROMQL_TYPE_VECTOR);
    n = parse_ok(&a, "1 < bool 2");
    assert_int_equal(n->type, PROMQL_TYPE_SCALAR);
    promql_arena_free(&a);
}

static void test_functions(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n = parse_ok(&a, "histogram_quantile(0.9, rate(x[5m]))");
    assert_int_equal(n->u.call.func->id, PROMQL_FN_HISTOGRAM_QUANTILE);
    assert_int_equal(n->type, PROMQL_TYPE_VECTOR);
    assert_int_equal(parse_ok(&a, "time()")->type, PROMQL_TYPE_SCALAR);
    assert_int_equal(parse_ok(&a, "round(x)")->u.call.nargs, 1);
    assert_int_equal(parse_ok(&a, "label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")")->u.call.nargs, 6);
    /* the table is sorted and indexed by id */
    for (int i = 0; i < PROMQL_FN_COUNT_; i++) {
        const promql_function *f = promql_function_by_id((promql_func_id)i);
        assert_int_equal(f->id, i);
        assert_ptr_equal(promql_function_lookup(f->name, strlen(f->name)), f);
        if (i > 0)
            assert_true(strcmp(promql_function_by_id((promql_func_id)(i - 1))->name, f->name) < 0);
    }
    assert_null(promql_function_lookup("Rate", 4));
    assert_null(promql_function_lookup("rat", 3));
    promql_arena_free(&a);
}

static void test_errors(void **state)
{
    (void)state;
    assert_error("1 +", HERON_EINVAL, "1:4: parse error: unexpected end of input");
    assert_error("1 +/ 2", HERON_EINVAL, "1:4: parse error: unexpected <op:/>");
    assert_error("", HERON_EINVAL, "1:1: parse error: no expression found in input");
    assert_error("foo\n  + bar +", HERON_EINVAL, "2:10: parse error: unexpected end of input");
    assert_error("sum x", HERON_EINVAL, "1:5: parse error: unexpected identifier \"x\"");
    assert_error("x{a=}", HERON_EINVAL,
                 "1:5: parse error: unexpected \"}\" in label matching, expected string");
    assert_error("sum by (a b)", HERON_EINVAL,
                 "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\"");
    assert_error("x offset 5", HERON_EINVAL,
                 "1:10: parse error: unexpected number \"5\" in offset, expected duration");
    assert_error("{}", HERON_EINVAL,
                 "1:1: parse error: vector selector must contain at least one non-empty matcher");
    assert_error("{a=~\".*\"}", HERON_EINVAL,
                 "1:1: parse error: vector selector must contain at least one non-empty matcher");
    assert_error("x{__name__=\"y\"}", HERON_EINVAL,
                 "1:1: parse error: metric name must not be set twice: \"x\" or \"y\"");
    assert_error("rate(x)", HERON_EINVAL,
                 "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
    assert_error("x[5m] + 1", HERON_EINVAL,
                 "1:1: parse error: binary expression must contain only scalar and instant vector types");
    assert_error("1 > 2", HERON_EINVAL,
                 "1:3: parse error: comparisons between scalars must use BOOL modifier");
    assert_error("a and on(b) group_left c", HERON_EINVAL,
                 "1:1: parse error: no grouping allowed for \"and\" operation");
    assert_error("round(x, 1, 2)", HERON_EINVAL,
                 "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
    assert_error("x offset 5m[10m]", HERON_EINVAL,
                 "1:12: parse error: no offset modifiers allowed before range");
    assert_error("x @ Inf", HERON_EINVAL,
                 "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
    assert_error("\"abc", HERON_EINVAL, "1:1: parse error: unterminated quoted string");
    assert_error("x{a=\"\\q\"}", HERON_EINVAL,
                 "1:5: parse error: unknown escape sequence U+0071 'q'");
    assert_error("(1))", HERON_EINVAL, "1:5: parse error: unexpected right parenthesis ')'");
    assert_error("x[5m::]", HERON_EINVAL, "1:6: parse error: unexpected colon ':'");
    assert_error("foo{a=~\"(\"}", HERON_EINVAL,
                 "1:5: parse error: error parsing regexp: missing closing parenthesis: `^(?:()$`");
    assert_error("x !", HERON_EINVAL,
                 "1:3: parse error: unexpected character after '!': '\xEF\xBF\xBD'");
}

static void test_depth_limit(void **state)
{
    (void)state;
    static char q[3 * PROMQL_MAX_DEPTH + 16];
    size_t n = 0;
    for (int i = 0; i < PROMQL_MAX_DEPTH + 5; i++)
        q[n++] = '(';
    q[n++] = '1';
    for (int i = 0; i < PROMQL_MAX_DEPTH + 5; i++)
        q[n++] = ')';
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *root;
    heron_err e;
    assert_int_equal(promql_parse(q, n, &a, &root, &e), HERON_ERANGE);
    /* long flat chains nest the tree just as deeply */
    n = 0;
    for (int i = 0; i < PROMQL_MAX_DEPTH + 5; i++) {
        memcpy(q + n, "1+", 2);
        n += 2;
    }
    q[n++] = '1';
    assert_int_equal(promql_parse(q, n, &a, &root, &e), HERON_ERANGE);
    assert_int_equal(promql_parse(q + 2 * 10, n - 2 * 10, &a, &root, &e), 0);
    promql_arena_free(&a);
}

/* Every allocation failure is reported as HERON_ENOMEM, never a crash. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *q = "sum by (job) (rate(http_requests_total{job=~\"api|web\", code!=\"500\"}[5m] "
                    "offset 1m)) / on (job) group_left (x) count(up == bool 1) * -2 ^ 3";
    int succeeded = 0;
    for (long k = 1; k < 10000 && !succeeded; k++) {
        promql_arena a;
        promql_arena_init(&a, 0);
        a.fail_after = k;
        promql_node *n;
        heron_err e;
        int rc = promql_parse(q, strlen(q), &a, &n, &e);
        if (rc == 0)
            succeeded = 1;
        else
            assert_int_equal(rc, HERON_ENOMEM);
        promql_arena_free(&a);
    }
    assert_true(succeeded);
    /* a cap on the arena's size works the same way */
    promql_arena a;
    promql_arena_init(&a, 256);
    promql_node *n;
    assert_int_equal(promql_parse(q, strlen(q), &a, &n, NULL), HERON_ENOMEM);
    promql_arena_free(&a);
}

/* Expected messages from Prometheus 2.42's /api/v1/series?match[]=... */
static void test_metric_selector(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"up + 1", "1:4: parse error: unexpected <op:+>"},
        {"rate(x[5m])", "1:5: parse error: unexpected \"(\""},
        {"up offset 5m", "1:4: parse error: unexpected <offset>"},
        {"up[5m]", "1:3: parse error: unexpected \"[\""},
        {"1", "1:1: parse error: unexpected number \"1\""},
        {"on", "1:1: parse error: unexpected <on>"},
        {"{a=\"b\"", "1:7: parse error: unexpected end of input inside braces"},
    };
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *n;
    heron_err e;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(promql_parse_metric_selector(bad[i][0], strlen(bad[i][0]), &a, &n, &e),
                         HERON_EINVAL);
        assert_string_equal(e.msg, bad[i][1]);
    }
    static const char *const good[] = {"sum", "x{__name__=\"y\"}", "up{a=\"b\",}", " up ", "{}"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (promql_parse_metric_selector(good[i], strlen(good[i]), &a, &n, &e) != 0)
            fail_msg("%s: %s", good[i], e.msg);
    assert_int_equal(promql_parse_metric_selector("{a=~\".*\"}", 9, &a, &n, &e), 0);
    assert_true(n->u.vs.matchers[0].matches_empty);
    promql_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_aggregations),
        cmocka_unit_test(test_vector_matching),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_metric_selector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
