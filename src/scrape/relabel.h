/*
 * relabel — Prometheus relabel_configs / metric_relabel_configs.
 *
 * A scrape_relabel is one rule. scrape_relabel_init fills Prometheus'
 * defaults (action replace, separator ";", regex "(.*)", replacement "$1");
 * the config loader then sets what the YAML says and calls
 * scrape_relabel_compile, which validates the rule as Prometheus 2.42 does
 * and compiles its regex, fully anchored, with PCRE2 (JIT when available).
 * Regex syntax is PCRE2's, which accepts what RE2 does for the patterns
 * relabeling uses (classes, groups, (?P<name>), (?i), alternation).
 *
 * Actions: replace, keep, drop, keepequal, dropequal, hashmod (MD5 of the
 * joined source values, last 8 bytes big-endian, mod modulus), labelmap,
 * labeldrop, labelkeep, lowercase, uppercase (ASCII case mapping).
 * Replacement templates follow Go's regexp.Expand: $1, ${1}, $name,
 * ${name}, $$; an unknown group expands to "".
 *
 * Ownership: a rule owns its strings (malloc'd) and regex;
 * scrape_relabel_free releases them. A compiled rule is immutable and may
 * be applied from many threads at once.
 */
#ifndef HERON_SCRAPE_RELABEL_H
#define HERON_SCRAPE_RELABEL_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"
#include "scrape/lset.h"

typedef enum scrape_relabel_action {
    SCRAPE_RELABEL_REPLACE,
    SCRAPE_RELABEL_KEEP,
    SCRAPE_RELABEL_DROP,
    SCRAPE_RELABEL_KEEPEQUAL,
    SCRAPE_RELABEL_DROPEQUAL,
    SCRAPE_RELABEL_HASHMOD,
    SCRAPE_RELABEL_LABELMAP,
    SCRAPE_RELABEL_LABELDROP,
    SCRAPE_RELABEL_LABELKEEP,
    SCRAPE_RELABEL_LOWERCASE,
    SCRAPE_RELABEL_UPPERCASE
} scrape_relabel_action;

typedef struct scrape_relabel {
    scrape_relabel_action action;
    char **source_labels;
    size_t nsource;
    char *separator;
    char *regex;        /* as written, unanchored */
    uint64_t modulus;
    char *target_label; /* "" when unset */
    char *replacement;
    void *re;           /* compiled regex (pcre2_code), set by compile */
} scrape_relabel;

/* Action from its name, case-insensitively. 0 or HERON_EINVAL. */
int scrape_relabel_action_parse(const char *s, scrape_relabel_action *out);
const char *scrape_relabel_action_name(scrape_relabel_action a);

/* Sets Prometheus' defaults. 0 or HERON_ENOMEM. */
int scrape_relabel_init(scrape_relabel *r);
/* Validates the rule (the messages are Prometheus' own) and compiles the
 * regex. HERON_EINVAL with err naming the field and value. */
int scrape_relabel_compile(scrape_relabel *r, heron_err *err);
void scrape_relabel_free(scrape_relabel *r);

/* Applies rules[0..n) to ls in order. Returns 1 when the set is kept (ls
 * holds the result), 0 when a rule dropped it (ls is then unspecified),
 * HERON_ENOMEM on allocation failure. */
int scrape_relabel_process(const scrape_relabel *rules, size_t n,
                           scrape_lset *ls);

/* [a-zA-Z_][a-zA-Z0-9_]* */
int scrape_label_name_valid(const char *s);

#endif
