/*
 * fuzz_parse.c — libFuzzer target for the exposition parser. The first
 * byte picks the format ('o': OpenMetrics, anything else: text); the rest
 * is the body, copied into a buffer of exactly its size so that any read
 * past the end trips ASan. Every label value and HELP text is unescaped,
 * and every entry must come with consistent spans.
 * Built with clang -fsanitize=fuzzer (tests/scrape/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    scrape_format fmt = data[0] == 'o' ? SCRAPE_FORMAT_OPENMETRICS : SCRAPE_FORMAT_TEXT;
    size_t n = size - 1;
    char *body = malloc(n ? n : 1);
    char *tmp = malloc(n + 1);
    if (body == NULL || tmp == NULL) {
        free(body);
        free(tmp);
        return 0;
    }
    memcpy(body, data + 1, n);
    scrape_parser p = {0};
    scrape_parser_init(&p, fmt, body, n);
    heron_err err = {0};
    int e;
    while ((e = scrape_parser_next(&p, &err)) > 0) {
        if (p.name < body || p.name + p.name_len > body + n)
            abort();
        if (e == SCRAPE_ENTRY_SAMPLE) {
            if (p.series != p.name || p.series_len < p.name_len)
                abort();
            for (size_t i = 0; i < p.nlabels; i++)
                if (scrape_unescape(p.labels[i].value, p.labels[i].value_len, tmp) >
                    p.labels[i].value_len)
                    abort();
        } else if (e == SCRAPE_ENTRY_HELP) {
            scrape_unescape(p.text, p.text_len, tmp);
        }
    }
    scrape_parser_free(&p);
    free(tmp);
    free(body);
    return 0;
}
