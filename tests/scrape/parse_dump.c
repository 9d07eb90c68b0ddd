/*
 * parse_dump — prints what heron's exposition parser extracts from a file,
 * in the canonical form tests/scrape/peer_parse.py prints for the Python
 * client's parser, so the two can be diffed:
 *
 *   S name{a="x",b="y"} value [timestamp_ms]   (labels sorted by name)
 *   T name type                                (explicit TYPE lines)
 *   H name text                                (non-empty HELP texts)
 *
 * Usage: parse_dump text|openmetrics FILE. Exit 1 with the parser's error on
 * stderr when the exposition is broken.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "scrape/parse.h"

static int read_file(const char *path, buf *b)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (buf_append(b, tmp, n) < 0) {
            fclose(f);
            return -1;
        }
    fclose(f);
    return 0;
}

static void put_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"')
            printf("\\%c", s[i]);
        else if (s[i] == '\n')
            printf("\\n");
        else
            putchar(s[i]);
    }
}

static void put_value(double v)
{
    if (isnan(v))
        printf("NaN");
    else if (isinf(v))
        printf(v > 0 ? "+Inf" : "-Inf");
    else
        printf("%.17g", v);
}

static int cmp_label(const void *a, const void *b)
{
    const scrape_plabel *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: parse_dump text|openmetrics FILE\n");
        return 2;
    }
    scrape_format fmt = strcmp(argv[1], "openmetrics") == 0
                            ? SCRAPE_FORMAT_OPENMETRICS
                            : SCRAPE_FORMAT_TEXT;
    buf b;
    buf_init(&b, 0);
    if (read_file(argv[2], &b) < 0) {
        fprintf(stderr, "parse_dump: cannot read %s\n", argv[2]);
        return 2;
    }
    scrape_parser p = {0};
    scrape_parser_init(&p, fmt, b.data ? b.data : "", b.len);
    heron_err err = {0};
    char *tmp = malloc(b.len + 1);
    int e;
    while ((e = scrape_parser_next(&p, &err)) > 0) {
        if (e == SCRAPE_ENTRY_SAMPLE) {
            qsort(p.labels, p.nlabels, sizeof *p.labels, cmp_label);
            printf("S %.*s{", (int)p.name_len, p.name);
            for (size_t i = 0; i < p.nlabels; i++) {
                size_t n = scrape_unescape(p.labels[i].value,
                                           p.labels[i].value_len, tmp);
                printf("%s%.*s=\"", i ? "," : "", (int)p.labels[i].name_len,
                       p.labels[i].name);
                put_escaped(tmp, n);
                printf("\"");
            }
            printf("} ");
            put_value(p.value);
            if (p.has_ts)
                printf(" %lld", (long long)p.ts);
            printf("\n");
        } else if (e == SCRAPE_ENTRY_TYPE && p.type != SCRAPE_MTYPE_UNKNOWN) {
            printf("T %.*s %s\n", (int)p.name_len, p.name,
                   scrape_mtype_name(p.type));
        } else if (e == SCRAPE_ENTRY_HELP && p.text_len > 0) {
            size_t n = scrape_unescape(p.text, p.text_len, tmp);
            printf("H %.*s ", (int)p.name_len, p.name);
            put_escaped(tmp, n);
            printf("\n");
        }
    }
    free(tmp);
    scrape_parser_free(&p);
    buf_free(&b);
    if (e < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}
