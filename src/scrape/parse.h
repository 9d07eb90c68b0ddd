/*
 * parse — a pull parser for the Prometheus text format 0.0.4 and
 * OpenMetrics 1.0, with the grammar and strictness of Prometheus 2.42's
 * scraper.
 *
 *   scrape_parser p = {0};      (zeroed before the first init)
 *   scrape_parser_init(&p, SCRAPE_FORMAT_TEXT, body, len);
 *   while ((e = scrape_parser_next(&p, &err)) > 0)
 *       if (e == SCRAPE_ENTRY_SAMPLE) use(p.name, p.labels, p.value, ...);
 *   if (e < 0) the exposition is broken: err names the line.
 *   scrape_parser_free(&p);
 *
 * Nothing is copied: names, label names and label values point into the
 * caller's buffer, which must outlive the entries. Label values and HELP
 * texts are handed back raw (escapes unresolved, `escaped` says whether
 * there are any); scrape_unescape resolves them. `series` spans the sample's
 * name and label set as written, the natural key for a per-target cache.
 * The only allocation is the label array, grown when a sample has more
 * labels than any before it: steady-state parsing allocates nothing.
 *
 * Text: blank lines and `#` comments are allowed; whitespace (spaces, tabs)
 * may separate tokens; timestamps are integer milliseconds; every line,
 * the last included, ends in '\n'. OpenMetrics: single spaces only, no
 * blank lines, only HELP/TYPE/UNIT/EOF comments, timestamps are float
 * seconds, exemplars (`# {...} v [ts]`) are checked and skipped, and the
 * body must end with `# EOF`.
 *
 * Errors (HERON_EINVAL) read "line N: what was expected, got "token"". A
 * parser is used by one thread at a time; different parsers share nothing.
 */
#ifndef HERON_SCRAPE_PARSE_H
#define HERON_SCRAPE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"

typedef enum scrape_format {
    SCRAPE_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    SCRAPE_FORMAT_OPENMETRICS  /* application/openmetrics-text; version=1.0.0 */
} scrape_format;

/* What the Content-Type of a scrape answer says the body is. Unknown or
 * missing types are read as text, as Prometheus does. */
scrape_format scrape_format_from_content_type(const char *content_type);

typedef enum scrape_entry {
    SCRAPE_ENTRY_END = 0,  /* no more entries */
    SCRAPE_ENTRY_SAMPLE,
    SCRAPE_ENTRY_TYPE,
    SCRAPE_ENTRY_HELP,
    SCRAPE_ENTRY_UNIT
} scrape_entry;

typedef enum scrape_mtype {
    SCRAPE_MTYPE_UNKNOWN,  /* "untyped" (text), "unknown" (OpenMetrics) */
    SCRAPE_MTYPE_COUNTER,
    SCRAPE_MTYPE_GAUGE,
    SCRAPE_MTYPE_HISTOGRAM,
    SCRAPE_MTYPE_GAUGEHISTOGRAM,
    SCRAPE_MTYPE_SUMMARY,
    SCRAPE_MTYPE_INFO,
    SCRAPE_MTYPE_STATESET
} scrape_mtype;

/* The name Prometheus' metadata API uses for a type ("counter", ...). */
const char *scrape_mtype_name(scrape_mtype t);

typedef struct scrape_plabel {
    const char *name;
    size_t name_len;
    const char *value;  /* raw: escapes not resolved */
    size_t value_len;
    int escaped;        /* value holds at least one backslash escape */
} scrape_plabel;

typedef struct scrape_parser {
    /* the current entry (valid until the next call) */
    const char *name;       /* metric name: sample, TYPE, HELP, UNIT */
    size_t name_len;
    const char *series;     /* sample: name and label set as written */
    size_t series_len;
    scrape_plabel *labels;  /* sample: its labels, in written order */
    size_t nlabels;
    double value;
    int has_ts;
    int64_t ts;             /* milliseconds */
    scrape_mtype type;      /* TYPE entry */
    const char *text;       /* HELP (raw, escapes unresolved) or UNIT */
    size_t text_len;
    int text_escaped;
    /* state */
    scrape_format format;
    const char *cur, *end;
    unsigned line;
    size_t labels_cap;
    int done;
} scrape_parser;

/* Starts parsing data[0..len). p must be zeroed before its first init;
 * initialising it again (for the next body) keeps its label array. */
void scrape_parser_init(scrape_parser *p, scrape_format format,
                        const char *data, size_t len);
/* The next entry (> 0), SCRAPE_ENTRY_END at the end, or HERON_EINVAL /
 * HERON_ENOMEM with err naming the line. After an error the parser stays
 * at the error. */
int scrape_parser_next(scrape_parser *p, heron_err *err);
void scrape_parser_free(scrape_parser *p);

/* Resolves the escapes of a label value (\\ \" \n) or a HELP text (\\ \n)
 * into out (room for n bytes) and returns the length. Other backslash
 * sequences are kept as written, as Prometheus keeps them. */
size_t scrape_unescape(const char *raw, size_t n, char *out);

/* Parses a sample value as Go's strconv.ParseFloat does for the forms
 * expositions use (decimal, exponent, Inf/NaN words). 0 or HERON_EINVAL. */
int scrape_parse_float(const char *s, size_t n, double *out);

#endif
