/*
 * libFuzzer target for the PromQL front end. Each input is parsed as a
 * query; an accepted query is printed on one line and pretty, and both
 * forms must parse again and print the same (a failure aborts, which the
 * fuzzer reports). The same bytes are also read as a lone selector and as
 * a test script. Built with clang -fsanitize=fuzzer,address,undefined
 * when clang is there; otherwise fuzz_main.c replays the seed corpus
 * through this function.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/promql.h"
#include "promql/testscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text must parse back to a tree that prints as want. */
static void check_reparse(const buf *text, const buf *want)
{
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *again;
    heron_err e;
    if (promql_parse(text->data, text->len, &a, &again, &e) != 0) {
        /* the nesting limit may trip differently on the printed text;
         * any other error is a printer bug */
        if (e.code != HERON_ERANGE) {
            fprintf(stderr, "printed form does not parse: %s\n  %s\n", text->data, e.msg);
            abort();
        }
    } else {
        buf b;
        buf_init(&b, 0);
        if (promql_print(again, &b) != 0 || b.len != want->len ||
            memcmp(b.data, want->data, b.len) != 0) {
            fprintf(stderr, "print is not stable:\n  %s\n  %s\n", want->data, b.data);
            abort();
        }
        buf_free(&b);
    }
    promql_arena_free(&a);
}

static void check_round_trip(const promql_node *n)
{
    buf line, pretty;
    buf_init(&line, 0);
    buf_init(&pretty, 0);
    if (promql_print(n, &line) != 0 || promql_print_pretty(n, &pretty) != 0)
        abort();
    check_reparse(&line, &line);
    check_reparse(&pretty, &line);
    buf_free(&line);
    buf_free(&pretty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    promql_arena a;
    promql_arena_init(&a, 64u << 20);
    promql_node *n;
    heron_err e;
    if (promql_parse((const char *)data, size, &a, &n, &e) == 0)
        check_round_trip(n);
    promql_arena_free(&a);
    promql_arena_init(&a, 64u << 20);
    promql_parse_metric_selector((const char *)data, size, &a, &n, &e);
    promql_arena_free(&a);
    promql_testscript s;
    promql_arena_init(&a, 64u << 20);
    promql_testscript_parse((const char *)data, size, "fuzz", &a, &s, &e);
    promql_arena_free(&a);
    return 0;
}
