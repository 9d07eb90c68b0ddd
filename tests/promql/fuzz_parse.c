/*
 * libFuzzer target for the PromQL front end. Each input is parsed as a
 * query; an accepted query is printed, and its printed form must parse
 * again and print the same (a failure aborts, which the fuzzer reports).
 * The same bytes are also read as a test script. Built with clang
 * -fsanitize=fuzzer,address,undefined when clang is there; otherwise
 * fuzz_main.c replays the seed corpus through this function.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql/promql.h"
#include "promql/testscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const promql_node *n)
{
    buf b1, b2;
    buf_init(&b1, 0);
    buf_init(&b2, 0);
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_node *again;
    heron_err e;
    if (promql_print(n, &b1) != 0)
        abort();
    if (promql_parse(b1.data, b1.len, &a, &again, &e) != 0) {
        /* nesting can grow by printing (a folded "- -1" stays flat) but a
         * printed tree must otherwise be valid PromQL */
        if (e.code != HERON_ERANGE) {
            fprintf(stderr, "printed form does not parse: %s\n  %s\n", b1.data, e.msg);
            abort();
        }
    } else {
        if (promql_print(again, &b2) != 0 || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len)) {
            fprintf(stderr, "print is not stable:\n  %s\n  %s\n", b1.data, b2.data);
            abort();
        }
    }
    promql_arena_free(&a);
    buf_free(&b1);
    buf_free(&b2);
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
    promql_testscript s;
    promql_arena_init(&a, 64u << 20);
    promql_testscript_parse((const char *)data, size, "fuzz", &a, &s, &e);
    promql_arena_free(&a);
    return 0;
}
