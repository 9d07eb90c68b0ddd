/*
 * Lexer tests: token kinds and positions in each lexer state (statements,
 * inside braces, after `[`), keywords, numbers, durations, strings and
 * lexical errors with Prometheus 2.42's messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "promql/lexer.h"

/* Lexes q and compares the kinds with want (terminated by PT_EOF). */
static void assert_tokens(const char *q, const promql_tok *want)
{
    promql_lexer l;
    promql_lexer_init(&l, q, strlen(q));
    for (size_t i = 0;; i++) {
        promql_token t = promql_lexer_next(&l);
        if (t.kind != want[i])
            fail_msg("%s: token %zu is %d, want %d (%s)", q, i, t.kind, want[i],
                     t.kind == PT_ERROR ? l.errmsg : "");
        if (t.kind == PT_EOF)
            break;
    }
}

static void assert_lex_error(const char *q, size_t pos, const char *msg)
{
    promql_lexer l;
    promql_lexer_init(&l, q, strlen(q));
    for (int i = 0; i < 100; i++) {
        promql_token t = promql_lexer_next(&l);
        if (t.kind == PT_ERROR) {
            if (t.pos != pos || strcmp(l.errmsg, msg) != 0)
                fail_msg("%s: error at %zu \"%s\", want %zu \"%s\"", q, t.pos, l.errmsg, pos, msg);
            assert_int_equal(promql_lexer_next(&l).kind, PT_EOF);
            return;
        }
        if (t.kind == PT_EOF)
            break;
    }
    fail_msg("%s: no error", q);
}

static void test_statements(void **state)
{
    (void)state;
    assert_tokens("sum BY (job) (rate(x[5m]))",
                  (const promql_tok[]){PT_SUM, PT_BY, PT_LEFT_PAREN, PT_IDENTIFIER, PT_RIGHT_PAREN,
                                       PT_LEFT_PAREN, PT_IDENTIFIER, PT_LEFT_PAREN, PT_IDENTIFIER,
                                       PT_LEFT_BRACKET, PT_DURATION, PT_RIGHT_BRACKET,
                                       PT_RIGHT_PAREN, PT_RIGHT_PAREN, PT_EOF});
    assert_tokens("a:b AND on(x) group_left c unless d OR e atan2 f",
                  (const promql_tok[]){PT_METRIC_IDENTIFIER, PT_LAND, PT_ON, PT_LEFT_PAREN,
                                       PT_IDENTIFIER, PT_RIGHT_PAREN, PT_GROUP_LEFT, PT_IDENTIFIER,
                                       PT_LUNLESS, PT_IDENTIFIER, PT_LOR, PT_IDENTIFIER, PT_ATAN2,
                                       PT_IDENTIFIER, PT_EOF});
    assert_tokens("1 == 2 != 3 <= 4 < 5 >= 6 > 7 ^ 8 % 9 / 1 * 2 + 3 - 4",
                  (const promql_tok[]){PT_NUMBER, PT_EQLC, PT_NUMBER, PT_NEQ, PT_NUMBER, PT_LTE,
                                       PT_NUMBER, PT_LSS, PT_NUMBER, PT_GTE, PT_NUMBER, PT_GTR,
                                       PT_NUMBER, PT_POW, PT_NUMBER, PT_MOD, PT_NUMBER, PT_DIV,
                                       PT_NUMBER, PT_MUL, PT_NUMBER, PT_ADD, PT_NUMBER, PT_SUB,
                                       PT_NUMBER, PT_EOF});
    assert_tokens("0x1F 1e-3 .5 Inf nan 5m 1h30m",
                  (const promql_tok[]){PT_NUMBER, PT_NUMBER, PT_NUMBER, PT_NUMBER, PT_NUMBER,
                                       PT_DURATION, PT_DURATION, PT_EOF});
    assert_tokens("x @ start() offset -5m # comment\n bool",
                  (const promql_tok[]){PT_IDENTIFIER, PT_AT, PT_START, PT_LEFT_PAREN,
                                       PT_RIGHT_PAREN, PT_OFFSET, PT_SUB, PT_DURATION, PT_BOOL,
                                       PT_EOF});
    assert_tokens("x[5m:1m]", (const promql_tok[]){PT_IDENTIFIER, PT_LEFT_BRACKET, PT_DURATION,
                                                   PT_COLON, PT_DURATION, PT_RIGHT_BRACKET,
                                                   PT_EOF});
}

static void test_braces(void **state)
{
    (void)state;
    /* keywords are plain identifiers inside braces */
    assert_tokens("{sum=\"a\", on!=`b`, by=~'c', x!~\"d\",}",
                  (const promql_tok[]){PT_LEFT_BRACE, PT_IDENTIFIER, PT_EQL, PT_STRING, PT_COMMA,
                                       PT_IDENTIFIER, PT_NEQ, PT_STRING, PT_COMMA, PT_IDENTIFIER,
                                       PT_EQL_REGEX, PT_STRING, PT_COMMA, PT_IDENTIFIER,
                                       PT_NEQ_REGEX, PT_STRING, PT_COMMA, PT_RIGHT_BRACE, PT_EOF});
}

static void test_positions(void **state)
{
    (void)state;
    promql_lexer l;
    const char *q = "  foo{a=\"b\"}[5m]";
    promql_lexer_init(&l, q, strlen(q));
    promql_token t = promql_lexer_next(&l);
    assert_int_equal(t.pos, 2);
    assert_int_equal(t.len, 3);
    for (int i = 0; i < 6; i++) /* { a = "b" } [ */
        t = promql_lexer_next(&l);
    assert_int_equal(t.kind, PT_LEFT_BRACKET);
    t = promql_lexer_next(&l);
    assert_int_equal(t.kind, PT_DURATION);
    assert_int_equal(t.pos, 13);
    assert_int_equal(t.len, 2);
}

static void test_errors(void **state)
{
    (void)state;
    assert_lex_error("\"abc", 0, "unterminated quoted string");
    assert_lex_error("x + 'a\nb'", 4, "unterminated quoted string");
    assert_lex_error("`abc", 0, "unterminated raw string");
    assert_lex_error("\"\\x4\"", 0, "illegal character U+0022 '\"' in escape sequence");
    assert_lex_error("\"\\ud800\"", 0, "escape sequence is an invalid Unicode code point");
    assert_lex_error("\"\\'\"", 0, "unknown escape sequence U+0027 '''");
    assert_lex_error("\"\\\x1c\"", 0, "unknown escape sequence U+001C");
    assert_lex_error("x{a", 3, "unexpected end of input inside braces");
    assert_lex_error("x{1}", 2, "unexpected character inside braces: '1'");
    assert_lex_error("x{a!b}", 3, "unexpected character after '!' inside braces: 'b'");
    assert_lex_error("x{{", 2, "unexpected left brace '{'");
    assert_lex_error("x[5]", 2, "missing unit character in duration");
    assert_lex_error("x[5mm]", 2, "bad duration syntax: \"5mm\"");
    assert_lex_error("5mm", 0, "bad number or duration syntax: \"5mm\"");
    assert_lex_error("x[5m", 4, "unclosed left bracket");
    assert_lex_error("x[5m]]", 5, "unexpected right bracket ']'");
    assert_lex_error("x[[", 2, "missing unit character in duration");
    assert_lex_error("(x", 2, "unclosed left parenthesis");
    assert_lex_error("x)", 2, "unexpected right parenthesis ')'");
    assert_lex_error("x =~ y", 2, "unexpected character after '=': '~'");
    assert_lex_error("a ; b", 2, "unexpected character: ';'");
    assert_lex_error("\xc3\xa9", 0, "unexpected character: '\xc3\xa9'");
    assert_lex_error("\"\xff\"", 0, "invalid UTF-8 rune");
}

static void test_unquote(void **state)
{
    (void)state;
    char out[64];
    const char *q = "\"a\\tb\\\"\\u00e9\\U0001F600\\377\"";
    long n = promql_unquote(q, strlen(q), out);
    assert_int_equal(n, 11);
    assert_memory_equal(out, "a\tb\"\xc3\xa9\xf0\x9f\x98\x80\xff", 11);
    q = "'don\\'t'";
    n = promql_unquote(q, strlen(q), out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "don't", 5);
    q = "`a\\b`";
    assert_int_equal(promql_unquote(q, strlen(q), out), 3);
    assert_int_equal(promql_unquote("\"\\q\"", 4, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_braces),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unquote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
