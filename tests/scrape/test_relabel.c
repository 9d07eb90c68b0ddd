/*
 * test_relabel.c — relabeling: a table of cases per action following
 * Prometheus' documented semantics (configuration.md, <relabel_config>),
 * and the validation errors Prometheus 2.42 gives for bad rules.
 *
 * Label sets are written "name=value|name=value"; "DROP" means the set is
 * dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scrape/relabel.h"

typedef struct rule_spec {
    const char *action;
    const char *sources; /* comma-separated, NULL: none */
    const char *separator, *regex, *target, *replacement; /* NULL: default */
    uint64_t modulus;
} rule_spec;

static void parse_set(const char *s, scrape_lset *ls)
{
    scrape_lset_free(ls);
    char *dup = strdup(s), *save = NULL;
    for (char *t = strtok_r(dup, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(t, '=');
        assert_non_null(eq);
        *eq = '\0';
        assert_int_equal(scrape_lset_set(ls, t, eq + 1), 0);
    }
    free(dup);
}

static void replace_str(char **dst, const char *src)
{
    if (src) {
        free(*dst);
        *dst = strdup(src);
    }
}

static int build_rule(const rule_spec *sp, scrape_relabel *r, heron_err *err)
{
    assert_int_equal(scrape_relabel_init(r), 0);
    if (scrape_relabel_action_parse(sp->action, &r->action) < 0)
        fail_msg("bad action %s", sp->action);
    if (sp->sources) {
        char *dup = strdup(sp->sources), *save = NULL;
        for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            r->source_labels = realloc(r->source_labels, (r->nsource + 1) * sizeof(char *));
            r->source_labels[r->nsource++] = strdup(t);
        }
        free(dup);
    }
    replace_str(&r->separator, sp->separator);
    replace_str(&r->regex, sp->regex);
    replace_str(&r->target_label, sp->target);
    replace_str(&r->replacement, sp->replacement);
    r->modulus = sp->modulus;
    return scrape_relabel_compile(r, err);
}

static void cases(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        rule_spec rules[3];
        const char *in, *out;
    } tc[] = {
        {"replace with a group reference", {{"replace", "a", NULL, "f(.*)", "d", "ch${1}-ch${1}"}},
         "a=foo", "a=foo|d=choo-choo"},
        {"replace joins sources with the separator", {{"replace", "a,b", "-", "(.*)", "c", NULL}},
         "a=x|b=y", "a=x|b=y|c=x-y"},
        {"replace joins missing sources as empty", {{"replace", "a,zz,b", NULL, NULL, "c", NULL}},
         "a=x|b=y", "a=x|b=y|c=x;;y"},
        {"replace without a match changes nothing", {{"replace", "a", NULL, "bar", "d", "z"}},
         "a=foo", "a=foo"},
        {"replace to an empty value deletes the target", {{"replace", "zz", NULL, NULL, "a", NULL}},
         "a=foo|b=1", "b=1"},
        {"replace with a literal replacement", {{"replace", NULL, NULL, NULL, "env", "prod"}},
         "a=1", "a=1|env=prod"},
        {"replace target built from a group", {{"replace", "a", NULL, "(.*)-(.*)", "${1}_name", "$2"}},
         "a=gpu-7", "a=gpu-7|gpu_name=7"},
        {"replace target that expands to an invalid name deletes", {{"replace", "a", NULL, "(.*)", "$1", "x"}},
         "a=9x|9x=no", "a=9x|9x=no"},
        {"$1x names group 1x, which does not exist", {{"replace", "a", NULL, "(.*)", "b", "$1x"}},
         "a=foo|b=old", "a=foo"},
        {"$$ is a dollar; ${1}x is group 1 then x", {{"replace", "a", NULL, "(.*)", "b", "$$${1}x"}},
         "a=foo", "a=foo|b=$foox"},
        {"named groups", {{"replace", "__address__", NULL, "(?P<host>[^:]+):(?P<port>\\d+)", "host", "$host"}},
         "__address__=10.0.0.1:9100", "__address__=10.0.0.1:9100|host=10.0.0.1"},
        {"the regex is anchored at both ends", {{"replace", "a", NULL, "oo", "b", "hit"}},
         "a=foo", "a=foo"},
        {"no newline slips past the end anchor", {{"keep", "a", NULL, "foo", NULL, NULL}},
         "a=foo\n", "DROP"},
        {"keep a match", {{"keep", "job", NULL, "node|gpu", NULL, NULL}},
         "job=gpu", "job=gpu"},
        {"keep drops a non-match", {{"keep", "job", NULL, "node|gpu", NULL, NULL}},
         "job=train", "DROP"},
        {"keep on a missing label matches the empty string", {{"keep", "zz", NULL, "", NULL, NULL}},
         "a=1", "a=1"},
        {"drop a match", {{"drop", "__name__", NULL, "go_.*", NULL, NULL}},
         "__name__=go_goroutines", "DROP"},
        {"drop keeps a non-match", {{"drop", "__name__", NULL, "go_.*", NULL, NULL}},
         "__name__=up", "__name__=up"},
        {"drop with (?i)", {{"drop", "a", NULL, "(?i)DEBUG", NULL, NULL}},
         "a=debug", "DROP"},
        {"keepequal keeps equal values", {{"keepequal", "a", NULL, NULL, "b", NULL}},
         "a=x|b=x", "a=x|b=x"},
        {"keepequal drops different values", {{"keepequal", "a", NULL, NULL, "b", NULL}},
         "a=x|b=y", "DROP"},
        {"keepequal: a missing target equals an empty source", {{"keepequal", "zz", NULL, NULL, "yy", NULL}},
         "a=1", "a=1"},
        {"dropequal drops equal values", {{"dropequal", "a,b", NULL, NULL, "c", NULL}},
         "a=x|b=y|c=x;y", "DROP"},
        {"dropequal keeps different values", {{"dropequal", "a", NULL, NULL, "b", NULL}},
         "a=x|b=y", "a=x|b=y"},
        {"hashmod: MD5, last 8 bytes big-endian, mod N", {{"hashmod", "a", NULL, NULL, "shard", NULL, 1000}},
         "a=foo", "a=foo|shard=696"},
        {"hashmod over joined sources", {{"hashmod", "__address__,job", NULL, NULL, "__tmp_hash", NULL, 3}},
         "__address__=10.0.0.1:9100|job=node", "__address__=10.0.0.1:9100|__tmp_hash=2|job=node"},
        {"hashmod then keep: sharding", {{"hashmod", "a", NULL, NULL, "h", NULL, 1000},
                                         {"keep", "h", NULL, "696", NULL, NULL}},
         "a=foo", "a=foo|h=696"},
        {"labelmap copies kubernetes labels", {{"labelmap", NULL, NULL, "__meta_kubernetes_pod_label_(.+)", NULL, "$1"}},
         "__meta_kubernetes_pod_label_app=trainer|__meta_kubernetes_pod_label_team=ml|x=1",
         "__meta_kubernetes_pod_label_app=trainer|__meta_kubernetes_pod_label_team=ml|app=trainer|team=ml|x=1"},
        {"labelmap with a prefix", {{"labelmap", NULL, NULL, "(a|b)", NULL, "k8s_${1}"}},
         "a=1|b=2|c=3", "a=1|b=2|c=3|k8s_a=1|k8s_b=2"},
        {"labeldrop", {{"labeldrop", NULL, NULL, "__meta_.*|pod_template_hash", NULL, NULL}},
         "__meta_x=1|pod_template_hash=abc|app=t", "app=t"},
        {"labelkeep", {{"labelkeep", NULL, NULL, "__name__|job|instance", NULL, NULL}},
         "__name__=up|job=j|instance=i|pod=p", "__name__=up|instance=i|job=j"},
        {"lowercase", {{"lowercase", "a", NULL, NULL, "b", NULL}},
         "a=GPU-Node_7", "a=GPU-Node_7|b=gpu-node_7"},
        {"uppercase joins sources", {{"uppercase", "a,c", NULL, NULL, "b", NULL}},
         "a=x|c=y", "a=x|b=X;Y|c=y"},
        {"actions are case-insensitive", {{"Keep", "a", NULL, "x", NULL, NULL}},
         "a=x", "a=x"},
        {"rules run in order", {{"replace", "a", NULL, NULL, "b", NULL},
                                {"replace", "b", NULL, "(.)(.*)", "c", "$2$1"},
                                {"labeldrop", NULL, NULL, "a", NULL, NULL}},
         "a=xyz", "b=xyz|c=yzx"},
    };
    for (size_t i = 0; i < sizeof tc / sizeof *tc; i++) {
        scrape_relabel rules[3];
        size_t n = 0;
        for (; n < 3 && tc[i].rules[n].action; n++) {
            heron_err err = {0};
            if (build_rule(&tc[i].rules[n], &rules[n], &err) < 0)
                fail_msg("%s: %s", tc[i].name, err.msg);
        }
        scrape_lset ls = {0}, want = {0};
        parse_set(tc[i].in, &ls);
        int rc = scrape_relabel_process(rules, n, &ls);
        if (strcmp(tc[i].out, "DROP") == 0) {
            if (rc != 0)
                fail_msg("%s: kept %s", tc[i].name, scrape_lset_string(&ls));
        } else {
            parse_set(tc[i].out, &want);
            if (rc != 1 || !scrape_lset_equal(&ls, &want)) {
                char *got = scrape_lset_string(&ls);
                fail_msg("%s: rc %d got %s", tc[i].name, rc, got);
            }
        }
        scrape_lset_free(&ls);
        scrape_lset_free(&want);
        for (size_t k = 0; k < n; k++)
            scrape_relabel_free(&rules[k]);
    }
}

static void validation(void **state)
{
    (void)state;
    static const struct {
        rule_spec rule;
        const char *msg;
    } tc[] = {
        {{"hashmod", "a", NULL, NULL, "t", NULL, 0}, "hashmod requires non-zero modulus"},
        {{"replace", "a", NULL, NULL, "", NULL}, "replace action requires 'target_label' value"},
        {{"lowercase", "a", NULL, NULL, NULL, NULL}, "lowercase action requires 'target_label'"},
        {{"replace", "a", NULL, NULL, "1abc", NULL}, "\"1abc\" is invalid 'target_label' for replace"},
        {{"replace", "a", NULL, NULL, "a-b", NULL}, "invalid 'target_label'"},
        {{"uppercase", "a", NULL, NULL, "b", "x"}, "'replacement' can not be set for uppercase"},
        {{"labelmap", NULL, NULL, "(.*)", NULL, "a-$1"}, "\"a-$1\" is invalid 'replacement' for labelmap"},
        {{"hashmod", "a", NULL, NULL, "$1", NULL, 4}, "invalid 'target_label' for hashmod"},
        {{"keepequal", "a", NULL, "x", "b", NULL}, "keepequal action requires only 'source_labels'"},
        {{"dropequal", "a", "|", NULL, "b", NULL}, "dropequal action requires only"},
        {{"labeldrop", "a", NULL, "x", NULL, NULL}, "labeldrop action requires only 'regex'"},
        {{"labelkeep", NULL, NULL, "x", "t", NULL}, "labelkeep action requires only 'regex'"},
        {{"replace", "a-b", NULL, NULL, "t", NULL}, "\"a-b\" is not a valid label name"},
        {{"keep", "a", NULL, "(unclosed", NULL, NULL}, "invalid regex \"(unclosed\""},
    };
    for (size_t i = 0; i < sizeof tc / sizeof *tc; i++) {
        scrape_relabel r;
        heron_err err = {0};
        int rc = build_rule(&tc[i].rule, &r, &err);
        if (rc != HERON_EINVAL || strstr(err.msg, tc[i].msg) == NULL)
            fail_msg("case %zu: rc %d \"%s\", want \"%s\"", i, rc, err.msg, tc[i].msg);
        scrape_relabel_free(&r);
    }
    scrape_relabel_action a;
    assert_int_equal(scrape_relabel_action_parse("keepEqual", &a), 0);
    assert_int_equal(a, SCRAPE_RELABEL_KEEPEQUAL);
    assert_int_equal(scrape_relabel_action_parse("delete", &a), HERON_EINVAL);
}

static void lset_ops(void **state)
{
    (void)state;
    scrape_lset ls = {0};
    assert_int_equal(scrape_lset_set(&ls, "b", "2"), 0);
    assert_int_equal(scrape_lset_set(&ls, "a", "1"), 0);
    assert_int_equal(scrape_lset_set(&ls, "c", "x\"y"), 0);
    assert_int_equal(scrape_lset_set(&ls, "ab", ""), 0);
    assert_int_equal(ls.n, 3);
    assert_string_equal(ls.v[0].name, "a");
    assert_string_equal(scrape_lset_get(&ls, "b"), "2");
    assert_null(scrape_lset_get(&ls, "ab"));
    char *s = scrape_lset_string(&ls);
    assert_string_equal(s, "{a=\"1\", b=\"2\", c=\"x\\\"y\"}");
    free(s);
    assert_int_equal(scrape_lset_set(&ls, "b", ""), 0);
    assert_int_equal(ls.n, 2);
    scrape_lset_free(&ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cases),
        cmocka_unit_test(validation),
        cmocka_unit_test(lset_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
