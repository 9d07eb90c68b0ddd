/*
 * parse.c — text 0.0.4 and OpenMetrics 1.0 exposition parser (see parse.h).
 *
 * Each call finds the end of the current line with memchr and then walks it
 * with table-driven loops. A sample line always ends in '\n', which acts as a
 * sentinel: no scanning loop accepts '\n', so none needs a bounds check.
 */
#include "core/promnames.h"
#include "scrape/parse.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

enum {
    C_NAME0 = 1,   /* [a-zA-Z_:] */
    C_NAME = 2,    /* [a-zA-Z0-9_:] */
    C_LNAME0 = 4,  /* [a-zA-Z_] */
    C_LNAME = 8,   /* [a-zA-Z0-9_] */
    C_VALEND = 16, /* '"', '\\', '\n' or a byte >= 0x80 in a label value */
    C_TOKEND = 32  /* ' ', '\t', '\n' */
};

static unsigned char ctab[256];

static void ctab_init(void)
{
    for (int c = 0; c < 256; c++) {
        unsigned char f = 0;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int digit = c >= '0' && c <= '9';
        if (alpha || c == '_' || c == ':')
            f |= C_NAME0 | C_NAME;
        if (digit)
            f |= C_NAME | C_LNAME;
        if (alpha || c == '_')
            f |= C_LNAME0 | C_LNAME;
        if (c == '"' || c == '\\' || c == '\n' || c >= 0x80)
            f |= C_VALEND;
        if (c == ' ' || c == '\t' || c == '\n')
            f |= C_TOKEND;
        ctab[c] = f;
    }
}

#define CLS(c, f) (ctab[(unsigned char)(c)] & (f))

scrape_format scrape_format_from_content_type(const char *ct)
{
    if (ct == NULL)
        return SCRAPE_FORMAT_TEXT;
    while (*ct == ' ')
        ct++;
    static const char om[] = "application/openmetrics-text";
    if (strncasecmp(ct, om, sizeof om - 1) == 0)
        return SCRAPE_FORMAT_OPENMETRICS;
    return SCRAPE_FORMAT_TEXT;
}

static const char *const mtype_names[] = {
    [SCRAPE_MTYPE_UNKNOWN] = "unknown",
    [SCRAPE_MTYPE_COUNTER] = "counter",
    [SCRAPE_MTYPE_GAUGE] = "gauge",
    [SCRAPE_MTYPE_HISTOGRAM] = "histogram",
    [SCRAPE_MTYPE_GAUGEHISTOGRAM] = "gaugehistogram",
    [SCRAPE_MTYPE_SUMMARY] = "summary",
    [SCRAPE_MTYPE_INFO] = "info",
    [SCRAPE_MTYPE_STATESET] = "stateset",
};

const char *scrape_mtype_name(scrape_mtype t)
{
    if ((unsigned)t < sizeof mtype_names / sizeof *mtype_names)
        return mtype_names[t];
    return "unknown";
}

void scrape_parser_init(scrape_parser *p, scrape_format format,
                        const char *data, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ctab_init);
    scrape_plabel *labels = p->labels;
    size_t cap = p->labels_cap;
    if (labels == NULL)
        cap = 0;
    memset(p, 0, sizeof *p);
    p->labels = labels;
    p->labels_cap = cap;
    p->format = format;
    p->cur = data;
    p->end = data + len;
    p->line = 1;
}

void scrape_parser_free(scrape_parser *p)
{
    free(p->labels);
    p->labels = NULL;
    p->labels_cap = 0;
}

/* ---- errors ---- */

/* "line N: <what>, got "<token>"" where token is what stands at s. */
static int perr(scrape_parser *p, heron_err *err, const char *what,
                const char *s)
{
    p->done = 1;
    if (s >= p->end)
        return err_set(err, HERON_EINVAL, "line %u: %s, got end of input",
                       p->line, what);
    if (*s == '\n')
        return err_set(err, HERON_EINVAL, "line %u: %s, got end of line",
                       p->line, what);
    size_t n = 0;
    while (s + n < p->end && n < 40 && s[n] != '\n')
        n++;
    return err_set(err, HERON_EINVAL, "line %u: %s, got \"%.*s\"", p->line,
                   what, (int)n, s);
}

/* ---- numbers ---- */

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int word_eq(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

static int parse_special(const char *s, size_t n, double *out)
{
    int neg = 0, sign = 0;
    if (n > 0 && (*s == '+' || *s == '-')) {
        neg = *s == '-';
        sign = 1;
        s++;
        n--;
    }
    if (word_eq(s, n, "inf") || word_eq(s, n, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (!sign && word_eq(s, n, "nan")) {
        *out = NAN;
        return 0;
    }
    return HERON_EINVAL;
}

int scrape_parse_float(const char *s, size_t n, double *out)
{
    const char *q = s, *e = s + n;
    int neg = 0;
    if (q < e && (*q == '+' || *q == '-'))
        neg = *q++ == '-';
    if (q < e && ((*q | 0x20) == 'i' || (*q | 0x20) == 'n'))
        return parse_special(s, n, out);
    /* Fast path: at most 15 significant digits and a small exponent give an
     * exact mantissa and power of ten, so one multiply or divide rounds
     * correctly (Clinger). */
    uint64_t m = 0;
    int sig = 0, exp10 = 0, digits = 0, slow = 0;
    for (; q < e && *q >= '0' && *q <= '9'; q++, digits++) {
        if (m == 0 && *q == '0')
            continue;
        if (sig < 15) {
            m = m * 10 + (uint64_t)(*q - '0');
            sig++;
        } else {
            slow = 1;
        }
    }
    if (q < e && *q == '.') {
        for (q++; q < e && *q >= '0' && *q <= '9'; q++, digits++) {
            if (m == 0 && *q == '0') {
                exp10--;
                continue;
            }
            if (sig < 15) {
                m = m * 10 + (uint64_t)(*q - '0');
                sig++;
                exp10--;
            } else {
                slow = 1;
            }
        }
    }
    if (digits == 0)
        return HERON_EINVAL;
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        int eneg = 0, x = 0, ed = 0;
        if (q < e && (*q == '+' || *q == '-'))
            eneg = *q++ == '-';
        for (; q < e && *q >= '0' && *q <= '9'; q++, ed++)
            if (x < 100000)
                x = x * 10 + (*q - '0');
        if (ed == 0)
            return HERON_EINVAL;
        exp10 += eneg ? -x : x;
    }
    if (q != e)
        return HERON_EINVAL;
    if (!slow && m == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    if (!slow && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    /* Slow path: the syntax is known good; strtod rounds correctly. */
    char tmp[256];
    if (n >= sizeof tmp)
        return HERON_EINVAL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n || (errno == ERANGE && isinf(v)))
        return HERON_EINVAL;
    *out = v;
    return 0;
}

static int parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return HERON_EINVAL;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return HERON_EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return HERON_EINVAL;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* ---- strings ---- */

size_t scrape_unescape(const char *raw, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\\' && i + 1 < n) {
            char c = raw[i + 1];
            if (c == '\\' || c == '"') {
                out[o++] = c;
                i++;
                continue;
            }
            if (c == 'n') {
                out[o++] = '\n';
                i++;
                continue;
            }
        }
        out[o++] = raw[i];
    }
    return o;
}

/* ---- lines ---- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static const char *scan_token(const char *s)
{
    while (!CLS(*s, C_TOKEND))
        s++;
    return s;
}

static int push_label(scrape_parser *p, heron_err *err)
{
    if (p->nlabels < p->labels_cap)
        return 0;
    size_t cap = p->labels_cap ? p->labels_cap * 2 : 16;
    scrape_plabel *l = realloc(p->labels, cap * sizeof *l);
    if (l == NULL) {
        p->done = 1;
        return err_set(err, HERON_ENOMEM, "line %u: out of memory", p->line);
    }
    p->labels = l;
    p->labels_cap = cap;
    return 0;
}

/* Parses `{name="value",...}` starting at the '{'; *sp moves past '}'. */
static int parse_labels(scrape_parser *p, const char **sp, heron_err *err)
{
    int text = p->format == SCRAPE_FORMAT_TEXT;
    const char *s = *sp + 1;
    if (text)
        s = skip_ws(s);
    while (*s != '}') {
        if (!CLS(*s, C_LNAME0))
            return perr(p, err, "expected a label name or '}'", s);
        const char *name = s;
        while (CLS(*s, C_LNAME))
            s++;
        size_t name_len = (size_t)(s - name);
        if (text)
            s = skip_ws(s);
        if (*s != '=')
            return perr(p, err, "expected '=' after the label name", s);
        s++;
        if (text)
            s = skip_ws(s);
        if (*s != '"')
            return perr(p, err, "expected '\"' to open the label value", s);
        const char *v = ++s;
        int escaped = 0, high = 0;
        for (;;) {
            while (!CLS(*s, C_VALEND))
                s++;
            if (*s == '"')
                break;
            if (*s == '\\') {
                escaped = 1;
                if (s[1] == '\n')
                    return perr(p, err, "unterminated label value", v);
                s += 2;
            } else if (*s == '\n') {
                return perr(p, err, "unterminated label value", v);
            } else {
                high = 1;
                s++;
            }
        }
        if (high && !prom_utf8_valid(v, (size_t)(s - v)))
            return perr(p, err, "invalid UTF-8 in label value", v);
        int rc = push_label(p, err);
        if (rc < 0)
            return rc;
        scrape_plabel *l = &p->labels[p->nlabels++];
        l->name = name;
        l->name_len = name_len;
        l->value = v;
        l->value_len = (size_t)(s - v);
        l->escaped = escaped;
        s++;
        if (text)
            s = skip_ws(s);
        if (*s == ',') {
            s++;
            if (text)
                s = skip_ws(s);
            else if (*s == '}')
                return perr(p, err, "expected a label name after ','", s);
        } else if (*s != '}') {
            return perr(p, err, "expected ',' or '}' after the label value", s);
        }
    }
    *sp = s + 1;
    return 0;
}

/* OpenMetrics exemplar after a sample: `# {labels} value [timestamp]`. s is
 * at the '#'. The labels go into the parser's array after the sample's and
 * are dropped again. */
static int parse_exemplar(scrape_parser *p, const char *s, heron_err *err)
{
    if (s[1] != ' ' || s[2] != '{')
        return perr(p, err, "expected '# {' to start an exemplar", s);
    size_t keep = p->nlabels;
    s += 2;
    int rc = parse_labels(p, &s, err);
    p->nlabels = keep;
    if (rc < 0)
        return rc;
    if (*s != ' ')
        return perr(p, err, "expected ' ' and a value after the exemplar labels", s);
    const char *tok = ++s;
    s = scan_token(s);
    double v;
    if (scrape_parse_float(tok, (size_t)(s - tok), &v) < 0)
        return perr(p, err, "expected an exemplar value", tok);
    if (*s == ' ') {
        tok = ++s;
        s = scan_token(s);
        if (scrape_parse_float(tok, (size_t)(s - tok), &v) < 0 || !isfinite(v))
            return perr(p, err, "expected an exemplar timestamp", tok);
    }
    if (*s != '\n')
        return perr(p, err, "expected end of line after the exemplar", s);
    return 0;
}

static int parse_om_timestamp(scrape_parser *p, const char *tok,
                              const char *s, heron_err *err)
{
    double ts;
    if (scrape_parse_float(tok, (size_t)(s - tok), &ts) < 0 || !isfinite(ts) ||
        fabs(ts) > 9.2e15)
        return perr(p, err, "expected a timestamp", tok);
    p->ts = (int64_t)(ts * 1000);
    p->has_ts = 1;
    return 0;
}

static int parse_sample(scrape_parser *p, const char *s, heron_err *err)
{
    int text = p->format == SCRAPE_FORMAT_TEXT;
    if (!CLS(*s, C_NAME0))
        return perr(p, err, "expected a metric name", s);
    p->name = p->series = s;
    while (CLS(*s, C_NAME))
        s++;
    p->name_len = (size_t)(s - p->name);
    p->nlabels = 0;
    p->has_ts = 0;
    const char *after_name = s;
    if (text)
        s = skip_ws(s);
    if (*s == '{') {
        int rc = parse_labels(p, &s, err);
        if (rc < 0)
            return rc;
        p->series_len = (size_t)(s - p->series);
    } else {
        p->series_len = (size_t)(after_name - p->series);
        s = after_name;
    }
    if (*s != ' ' && !(text && *s == '\t'))
        return perr(p, err, "expected ' ' and a value after the metric", s);
    s = text ? skip_ws(s) : s + 1;
    const char *tok = s;
    s = scan_token(s);
    if (s == tok || scrape_parse_float(tok, (size_t)(s - tok), &p->value) < 0)
        return perr(p, err, "expected a sample value", tok);
    if (text) {
        s = skip_ws(s);
        if (*s != '\n') {
            tok = s;
            s = scan_token(s);
            if (parse_int64(tok, (size_t)(s - tok), &p->ts) < 0)
                return perr(p, err, "expected an integer timestamp", tok);
            p->has_ts = 1;
            s = skip_ws(s);
            if (*s != '\n')
                return perr(p, err, "expected end of line after the timestamp", s);
        }
        return 0;
    }
    if (*s == '\n')
        return 0;
    if (*s != ' ')
        return perr(p, err, "expected ' ' after the sample value", s);
    s++;
    if (*s != '#') {
        tok = s;
        s = scan_token(s);
        int rc = parse_om_timestamp(p, tok, s, err);
        if (rc < 0)
            return rc;
        if (*s == '\n')
            return 0;
        if (s[0] != ' ' || s[1] != '#')
            return perr(p, err, "expected end of line or an exemplar", s);
        s++;
    }
    return parse_exemplar(p, s, err);
}

static int parse_type_word(scrape_parser *p, const char *w, size_t n)
{
    static const struct {
        const char *name;
        scrape_mtype type;
        int om; /* 0: text only, 1: OpenMetrics only, 2: both */
    } types[] = {
        {"counter", SCRAPE_MTYPE_COUNTER, 2},
        {"gauge", SCRAPE_MTYPE_GAUGE, 2},
        {"histogram", SCRAPE_MTYPE_HISTOGRAM, 2},
        {"summary", SCRAPE_MTYPE_SUMMARY, 2},
        {"untyped", SCRAPE_MTYPE_UNKNOWN, 0},
        {"unknown", SCRAPE_MTYPE_UNKNOWN, 1},
        {"gaugehistogram", SCRAPE_MTYPE_GAUGEHISTOGRAM, 1},
        {"info", SCRAPE_MTYPE_INFO, 1},
        {"stateset", SCRAPE_MTYPE_STATESET, 1},
    };
    int om = p->format == SCRAPE_FORMAT_OPENMETRICS;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        if (types[i].om != 2 && types[i].om != om)
            continue;
        if (strlen(types[i].name) == n && memcmp(types[i].name, w, n) == 0) {
            p->type = types[i].type;
            return 0;
        }
    }
    return HERON_EINVAL;
}

/* Does the line [s, le) start with kw and then a space (or, in text
 * format, a tab)? le is the line's '\n', so s[n] is readable once the
 * length check passes, whatever bytes the line holds. */
static int starts_kw(const char *s, const char *le, const char *kw, int text)
{
    size_t n = strlen(kw);
    return (size_t)(le - s) > n && memcmp(s, kw, n) == 0 &&
           (s[n] == ' ' || (text && s[n] == '\t'));
}

/* A `#` line: HELP, TYPE, UNIT (OpenMetrics), EOF (OpenMetrics) or, in
 * text, a comment. Returns the entry, 0 for a skipped comment, or < 0. */
static int parse_comment(scrape_parser *p, const char *s, const char *le,
                         heron_err *err)
{
    int text = p->format == SCRAPE_FORMAT_TEXT;
    const char *start = s;
    s++;
    int entry;
    if (text) {
        s = skip_ws(s);
        if (starts_kw(s, le, "HELP", 1))
            entry = SCRAPE_ENTRY_HELP;
        else if (starts_kw(s, le, "TYPE", 1))
            entry = SCRAPE_ENTRY_TYPE;
        else
            return 0;
        s = skip_ws(s + 4);
    } else {
        if (*s != ' ')
            return perr(p, err, "expected HELP, TYPE, UNIT or EOF after '#'", start);
        s++;
        if (starts_kw(s, le, "HELP", 0))
            entry = SCRAPE_ENTRY_HELP;
        else if (starts_kw(s, le, "TYPE", 0))
            entry = SCRAPE_ENTRY_TYPE;
        else if (starts_kw(s, le, "UNIT", 0))
            entry = SCRAPE_ENTRY_UNIT;
        else
            return perr(p, err, "expected HELP, TYPE, UNIT or EOF after '#'", start);
        s += 5;
    }
    if (!CLS(*s, C_NAME0))
        return perr(p, err, "expected a metric name", s);
    p->name = s;
    while (CLS(*s, C_NAME))
        s++;
    p->name_len = (size_t)(s - p->name);
    if (entry == SCRAPE_ENTRY_TYPE) {
        if (*s != ' ' && !(text && *s == '\t'))
            return perr(p, err, "expected ' ' and a type after the metric name", s);
        s = text ? skip_ws(s) : s + 1;
        const char *w = s;
        s = scan_token(s);
        if (parse_type_word(p, w, (size_t)(s - w)) < 0)
            return perr(p, err, "invalid metric type", w);
        if (text)
            s = skip_ws(s);
        if (*s != '\n')
            return perr(p, err, "expected end of line after the type", s);
        return entry;
    }
    /* HELP or UNIT: an optional text after one separator. */
    p->text = s;
    p->text_len = 0;
    p->text_escaped = 0;
    if (*s != '\n') {
        if (*s != ' ' && !(text && *s == '\t'))
            return perr(p, err, "expected ' ' after the metric name", s);
        s = text ? skip_ws(s) : s + 1;
        p->text = s;
        p->text_len = (size_t)(le - s);
        p->text_escaped = memchr(s, '\\', p->text_len) != NULL;
        if (!prom_utf8_valid(s, p->text_len))
            return perr(p, err, "invalid UTF-8 in the text", s);
    }
    if (entry == SCRAPE_ENTRY_UNIT && p->text_len > 0) {
        if (p->name_len <= p->text_len ||
            memcmp(p->name + p->name_len - p->text_len, p->text,
                   p->text_len) != 0 ||
            p->name[p->name_len - p->text_len - 1] != '_')
            return perr(p, err, "the unit is not a suffix of the metric name",
                        p->text);
    }
    return entry;
}

int scrape_parser_next(scrape_parser *p, heron_err *err)
{
    int text = p->format == SCRAPE_FORMAT_TEXT;
    for (;;) {
        if (p->done)
            return SCRAPE_ENTRY_END;
        const char *s = p->cur;
        if (s >= p->end) {
            if (!text)
                return perr(p, err, "expected \"# EOF\" at the end", s);
            p->done = 1;
            return SCRAPE_ENTRY_END;
        }
        const char *le = memchr(s, '\n', (size_t)(p->end - s));
        if (le == NULL) {
            size_t rest = (size_t)(p->end - s);
            if (!text && rest == 5 && memcmp(s, "# EOF", 5) == 0) {
                p->done = 1;
                return SCRAPE_ENTRY_END;
            }
            return perr(p, err, "expected '\\n' at the end of the line",
                        p->end);
        }
        int rc;
        if (text) {
            const char *t = skip_ws(s);
            if (*t == '\n') {
                p->cur = le + 1;
                p->line++;
                continue;
            }
            if (*t == '#')
                rc = parse_comment(p, t, le, err);
            else if ((rc = parse_sample(p, t, err)) == 0)
                rc = SCRAPE_ENTRY_SAMPLE;
        } else if (*s == '#') {
            if (le - s == 5 && memcmp(s, "# EOF", 5) == 0) {
                if (le + 1 != p->end)
                    return perr(p, err, "unexpected data after \"# EOF\"",
                                le + 1);
                p->done = 1;
                return SCRAPE_ENTRY_END;
            }
            rc = parse_comment(p, s, le, err);
        } else if ((rc = parse_sample(p, s, err)) == 0) {
            rc = SCRAPE_ENTRY_SAMPLE;
        }
        if (rc < 0)
            return rc;
        p->cur = le + 1;
        p->line++;
        if (rc > 0)
            return rc;
    }
}
