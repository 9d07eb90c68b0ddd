/*
 * parser — recursive descent over Prometheus 2.42's PromQL grammar.
 *
 * Binary operators are parsed by precedence climbing with Prometheus'
 * levels (or < and/unless < comparisons < +,- < *,/,%,atan2 < ^, all left
 * associative except ^). A unary sign binds tighter than * but looser than
 * ^ (-2^2 is -(2^2)); `[...]`, `offset` and `@` bind tightest and apply to
 * the primary expression just before them. Error texts follow Prometheus'
 * ("unexpected <op:+> in ..., expected ...").
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/units.h"
#include "promql/parse.h"

/* ---- errors ---- */

int promql_parse_error(promql_parser *p, int code, size_t pos, const char *fmt, ...)
{
    if (p->code)
        return p->code;
    p->code = code;
    if (!p->err)
        return code;
    char *msg = p->err->msg;
    size_t size = sizeof p->err->msg;
    int k;
    if (pos > p->len) {
        k = snprintf(msg, size, "invalid position: parse error: ");
    } else {
        unsigned line = 1;
        size_t last_nl = (size_t)-1;
        for (size_t i = 0; i < pos; i++)
            if (p->input[i] == '\n')
                line++, last_nl = i;
        k = snprintf(msg, size, "%u:%zu: parse error: ", line, pos - last_nl);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, size - (size_t)k, fmt, ap);
    va_end(ap);
    p->err->code = code;
    return code;
}

static int parser_nomem(promql_parser *p)
{
    return promql_parse_error(p, HERON_ENOMEM, 0, "out of memory");
}

/* ---- tokens ---- */

static promql_token peek(promql_parser *p)
{
    if (!p->have_tok) {
        p->tok = promql_lexer_next(&p->lex);
        p->have_tok = 1;
        if (p->tok.kind == PT_ERROR)
            promql_parse_error(p, HERON_EINVAL, p->tok.pos, "%s", p->lex.errmsg);
    }
    return p->tok;
}

static promql_token advance(promql_parser *p)
{
    promql_token t = peek(p);
    p->have_tok = 0;
    return t;
}

/* Appends Go's %q of at most max runes of s (max 0: all). */
static void quote_runes(buf *b, const char *s, size_t n, size_t max)
{
    size_t used = 0, runes = 0;
    while (used < n && (max == 0 || runes < max)) {
        unsigned r;
        used += promql_utf8_decode((const unsigned char *)s + used, n - used, &r);
        runes++;
    }
    promql_quote(b, s, used);
}

/* Prometheus' Item.desc(): how an unexpected token is named. */
static void token_desc(promql_parser *p, promql_token t, buf *b)
{
    const char *text = p->input + t.pos;
    switch (t.kind) {
    case PT_EOF:
        buf_puts(b, "end of input");
        return;
    case PT_IDENTIFIER:
        buf_puts(b, "identifier ");
        promql_quote(b, text, t.len);
        return;
    case PT_METRIC_IDENTIFIER:
        buf_puts(b, "metric identifier ");
        promql_quote(b, text, t.len);
        return;
    case PT_NUMBER:
    case PT_STRING:
    case PT_DURATION:
        buf_puts(b, t.kind == PT_NUMBER ? "number " : t.kind == PT_STRING ? "string " : "duration ");
        if (t.len > 10) {
            quote_runes(b, text, t.len, 10);
            buf_puts(b, "...");
        } else {
            promql_quote(b, text, t.len);
        }
        return;
    default:
        break;
    }
    if (PT_IS_OPERATOR(t.kind))
        buf_printf(b, "<op:%.*s>", (int)t.len, text);
    else if (PT_IS_AGGREGATOR(t.kind))
        buf_printf(b, "<aggr:%.*s>", (int)t.len, text);
    else if (PT_IS_KEYWORD(t.kind))
        buf_printf(b, "<%.*s>", (int)t.len, text);
    else
        promql_quote(b, text, t.len);
}

/* "unexpected <tok>[ in <context>][, expected <expected>]" at the lookahead. */
static int unexpected(promql_parser *p, const char *context, const char *expected)
{
    promql_token t = peek(p);
    if (t.kind == PT_ERROR || p->code)
        return p->code;
    /* Prometheus' grammar recovers from a syntax error inside an
     * aggregation at the aggregation, which names itself. */
    if (!context && p->agg_depth > 0)
        context = "aggregation";
    buf b;
    buf_init(&b, 180);
    token_desc(p, t, &b);
    int code = promql_parse_error(p, HERON_EINVAL, t.pos, "unexpected %s%s%s%s%s",
                                  b.data ? b.data : "", context ? " in " : "",
                                  context ? context : "", expected ? ", expected " : "",
                                  expected ? expected : "");
    buf_free(&b);
    return code;
}

/* ---- nodes ---- */

static promql_node *new_node(promql_parser *p, promql_node_kind kind, size_t start, size_t end)
{
    promql_node *n = promql_arena_alloc(p->arena, sizeof *n);
    if (!n) {
        parser_nomem(p);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->pos_start = (uint32_t)start;
    n->pos_end = (uint32_t)end;
    n->depth = 1;
    return n;
}

static int set_depth(promql_parser *p, promql_node *n, uint32_t child_depth)
{
    n->depth = child_depth + 1;
    if (n->depth > PROMQL_MAX_DEPTH)
        return promql_parse_error(p, HERON_ERANGE, n->pos_start,
                                  "expression nesting exceeds %d levels", PROMQL_MAX_DEPTH);
    return 0;
}

/* A growable array of pointers in the arena (old copies are abandoned). */
typedef struct ptr_list {
    void **items;
    size_t count, alloc;
} ptr_list;

static int list_push(promql_parser *p, ptr_list *l, void *item)
{
    if (l->count == l->alloc) {
        size_t n = l->alloc ? l->alloc * 2 : 4;
        void **items = promql_arena_alloc(p->arena, n * sizeof *items);
        if (!items)
            return parser_nomem(p);
        if (l->count)
            memcpy(items, l->items, l->count * sizeof *items);
        l->items = items;
        l->alloc = n;
    }
    l->items[l->count++] = item;
    return 0;
}

/* ---- literals ---- */

/* The body of promql_parse_number_text on a NUL-terminated copy. */
static int parse_number_cstr(const char *tmp, size_t n, double *out, const char **why)
{
    int neg = tmp[0] == '-';
    const char *u = tmp + (tmp[0] == '-' || tmp[0] == '+');
    size_t un = strlen(u);
    int hex = un > 1 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X');
    int base = hex ? 16 : (u[0] == '0' && un > 1) ? 8 : 10;
    const char *digits = u + (hex ? 2 : 0);
    if (*digits && strspn(digits, base == 16 ? "0123456789abcdefABCDEF"
                                  : base == 8 ? "01234567" : "0123456789") == strlen(digits)) {
        errno = 0;
        unsigned long long v = strtoull(digits, NULL, base);
        if (errno == 0 && v <= (unsigned long long)INT64_MAX + (unsigned)neg) {
            *out = neg && v ? -(double)v : (double)v;
            return 0;
        }
    }
    if (hex)
        return -1;
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n)
        return -1;
    if (errno == ERANGE && isinf(v)) {
        *why = "value out of range";
        return -1;
    }
    *out = v;
    return 0;
}

int promql_parse_number_text(const char *s, size_t n, double *out, const char **why)
{
    char stack[64];
    *why = "invalid syntax";
    if (n == 0 || memchr(s, '\0', n))
        return -1;
    char *tmp = n < sizeof stack ? stack : malloc(n + 1);
    if (!tmp) {
        *why = "out of memory";
        return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int rc = parse_number_cstr(tmp, n, out, why);
    if (tmp != stack)
        free(tmp);
    return rc;
}

static promql_node *parse_number(promql_parser *p)
{
    promql_token t = advance(p);
    double v;
    const char *why;
    if (promql_parse_number_text(p->input + t.pos, t.len, &v, &why) < 0) {
        promql_parse_error(p, HERON_EINVAL, t.pos,
                           "error parsing number: strconv.ParseFloat: parsing \"%.*s\": %s",
                           (int)t.len, p->input + t.pos, why);
        return NULL;
    }
    promql_node *n = new_node(p, PROMQL_NUMBER, t.pos, t.pos + t.len);
    if (n) {
        n->type = PROMQL_TYPE_SCALAR;
        n->u.number = v;
    }
    return n;
}

/* Unquotes a STRING token into the arena. */
static const char *token_string(promql_parser *p, promql_token t, size_t *len)
{
    char *out = promql_arena_alloc(p->arena, t.len + 1);
    if (!out) {
        parser_nomem(p);
        return NULL;
    }
    long n = promql_unquote(p->input + t.pos, t.len, out);
    if (n < 0) {
        promql_parse_error(p, HERON_EINVAL, t.pos, "error unquoting string %.*s: invalid syntax",
                           (int)t.len, p->input + t.pos);
        return NULL;
    }
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

static promql_node *parse_string(promql_parser *p)
{
    promql_token t = advance(p);
    size_t len;
    const char *s = token_string(p, t, &len);
    if (!s)
        return NULL;
    promql_node *n = new_node(p, PROMQL_STRING, t.pos, t.pos + t.len);
    if (n) {
        n->type = PROMQL_TYPE_STRING;
        n->u.string.value = s;
        n->u.string.len = len;
    }
    return n;
}

/* Prometheus keeps durations in Go's time.Duration (nanoseconds), so
 * anything beyond about 292 years is out of range. */
#define DURATION_MAX_MS (INT64_MAX / 1000000)

/* Whether text has Prometheus' duration syntax: "0", or terms
 * <digits><unit> with units in the order y w d h m s ms, each at most
 * once. Used to tell an overflow from bad syntax. */
static int duration_syntax_ok(const char *text)
{
    static const char *const units[] = {"y", "w", "d", "h", "m", "s", "ms"};
    if (strcmp(text, "0") == 0)
        return 1;
    int last = -1;
    const char *p = text;
    while (*p) {
        const char *d = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return 0;
        int u = strncmp(p, "ms", 2) == 0 ? 6 : -1;
        for (int i = 0; u < 0 && i < 6; i++)
            if (*p == units[i][0])
                u = i;
        if (u <= last)
            return 0;
        last = u;
        p += strlen(units[u]);
    }
    return last >= 0;
}

/* A DURATION token as milliseconds (> 0). */
static int parse_duration(promql_parser *p, int64_t *ms)
{
    promql_token t = advance(p);
    if (t.kind != PT_DURATION)
        return unexpected(p, NULL, "duration");
    char *text = promql_arena_strndup(p->arena, p->input + t.pos, t.len);
    if (!text)
        return parser_nomem(p);
    heron_err e;
    if (units_parse_duration(text, ms, &e) < 0) {
        if (duration_syntax_ok(text))
            return promql_parse_error(p, HERON_EINVAL, t.pos, "duration out of range");
        return promql_parse_error(p, HERON_EINVAL, t.pos, "not a valid duration string: \"%s\"",
                                  text);
    }
    if (*ms > DURATION_MAX_MS)
        return promql_parse_error(p, HERON_EINVAL, t.pos, "duration out of range");
    if (*ms == 0)
        return promql_parse_error(p, HERON_EINVAL, t.pos, "duration must be greater than 0");
    return 0;
}

/* ---- selectors ---- */

static int parse_matcher(promql_parser *p, ptr_list *matchers, int series)
{
    promql_token name = advance(p);
    promql_token op = peek(p);
    promql_match_type type;
    switch (op.kind) {
    case PT_EQL: type = PROMQL_MATCH_EQUAL; break;
    case PT_NEQ: type = PROMQL_MATCH_NOT_EQUAL; break;
    case PT_EQL_REGEX: type = PROMQL_MATCH_REGEX; break;
    case PT_NEQ_REGEX: type = PROMQL_MATCH_NOT_REGEX; break;
    default:
        return unexpected(p, "label matching", "label matching operator");
    }
    if (series && type != PROMQL_MATCH_EQUAL)
        return unexpected(p, "label set", "\"=\"");
    advance(p);
    if (peek(p).kind != PT_STRING)
        return unexpected(p, "label matching", "string");
    promql_token value = advance(p);
    promql_matcher *m = promql_arena_alloc(p->arena, sizeof *m);
    if (!m)
        return parser_nomem(p);
    m->type = type;
    m->name = promql_arena_strndup(p->arena, p->input + name.pos, name.len);
    m->value = token_string(p, value, &m->value_len);
    if (!m->name)
        return parser_nomem(p);
    if (!m->value)
        return p->code;
    if (type == PROMQL_MATCH_REGEX || type == PROMQL_MATCH_NOT_REGEX) {
        char msg[200];
        int empty, rc = promql_regex_check(m->value, m->value_len, &empty, msg, sizeof msg);
        if (rc < 0)
            return promql_parse_error(p, rc, name.pos, "%s", msg);
        m->matches_empty = type == PROMQL_MATCH_REGEX ? empty : !empty;
    } else {
        m->matches_empty = (type == PROMQL_MATCH_EQUAL) == (m->value_len == 0);
    }
    return list_push(p, matchers, m);
}

/* `{` matchers `}`; fills the selector's matcher list. */
static int parse_matchers(promql_parser *p, ptr_list *matchers, size_t *end, int series)
{
    advance(p); /* { */
    for (;;) {
        promql_token t = peek(p);
        if (t.kind == PT_RIGHT_BRACE) {
            advance(p);
            *end = t.pos + 1;
            return 0;
        }
        if (t.kind != PT_IDENTIFIER)
            return unexpected(p, series ? "label set" : "label matching",
                              "identifier or \"}\"");
        if (parse_matcher(p, matchers, series) < 0)
            return p->code;
        t = peek(p);
        if (t.kind == PT_COMMA)
            advance(p);
        else if (t.kind != PT_RIGHT_BRACE)
            return unexpected(p, series ? "label set" : "label matching", "\",\" or \"}\"");
    }
}

/* A selector: name and/or braces; the name becomes a trailing __name__
 * matcher, as Prometheus' assembleVectorSelector does (series
 * descriptions put it first instead). */
static promql_node *parse_selector(promql_parser *p, int series)
{
    promql_token first = peek(p);
    size_t start = first.pos, end = first.pos + first.len;
    const char *name = NULL;
    ptr_list matchers = {0};
    if (first.kind != PT_LEFT_BRACE) {
        advance(p);
        name = promql_arena_strndup(p->arena, p->input + first.pos, first.len);
        if (!name) {
            parser_nomem(p);
            return NULL;
        }
        if (series) {
            promql_matcher *m = promql_arena_alloc(p->arena, sizeof *m);
            if (!m || list_push(p, &matchers, m) < 0) {
                parser_nomem(p);
                return NULL;
            }
            *m = (promql_matcher){PROMQL_MATCH_EQUAL, "__name__", name, first.len, first.len == 0};
        }
    }
    if (peek(p).kind == PT_LEFT_BRACE && parse_matchers(p, &matchers, &end, series) < 0)
        return NULL;
    if (name && !series) {
        promql_matcher *m = promql_arena_alloc(p->arena, sizeof *m);
        if (!m || list_push(p, &matchers, m) < 0) {
            parser_nomem(p);
            return NULL;
        }
        *m = (promql_matcher){PROMQL_MATCH_EQUAL, "__name__", name, first.len, first.len == 0};
    }
    promql_node *n = new_node(p, PROMQL_VECTOR_SELECTOR, start, end);
    if (!n)
        return NULL;
    n->type = PROMQL_TYPE_VECTOR;
    n->u.vs.name = name;
    n->u.vs.nmatchers = matchers.count;
    n->u.vs.matchers = promql_arena_alloc(p->arena, (matchers.count + 1) * sizeof(promql_matcher));
    if (!n->u.vs.matchers) {
        parser_nomem(p);
        return NULL;
    }
    for (size_t i = 0; i < matchers.count; i++)
        n->u.vs.matchers[i] = *(promql_matcher *)matchers.items[i];
    return n;
}

/* ---- grouping labels ---- */

/* Tokens Prometheus accepts where a label name may stand in a grouping:
 * identifiers and every keyword but `without`. */
static int is_maybe_label(promql_tok k)
{
    return k == PT_IDENTIFIER || k == PT_METRIC_IDENTIFIER || PT_IS_AGGREGATOR(k) ||
           (PT_IS_KEYWORD(k) && k != PT_WITHOUT) || k == PT_LAND || k == PT_LOR ||
           k == PT_LUNLESS || k == PT_ATAN2 || k == PT_START || k == PT_END;
}

static int is_metric_name_token(promql_tok k);

/* Whether a token can begin an expression. */
static int starts_expr(promql_tok k)
{
    return k == PT_NUMBER || k == PT_STRING || k == PT_LEFT_PAREN || k == PT_LEFT_BRACE ||
           k == PT_ADD || k == PT_SUB || is_metric_name_token(k);
}

/* `(` label, ... `)`; it may be left out before an expression when
 * optional (group_left, group_right). */
static int parse_grouping(promql_parser *p, promql_labels *out, int optional)
{
    ptr_list names = {0};
    out->names = NULL;
    out->count = 0;
    if (peek(p).kind != PT_LEFT_PAREN) {
        if (optional && starts_expr(peek(p).kind))
            return 0;
        return unexpected(p, "grouping opts", "\"(\"");
    }
    advance(p);
    for (;;) {
        promql_token t = peek(p);
        if (t.kind == PT_RIGHT_PAREN) {
            advance(p);
            break;
        }
        if (!is_maybe_label(t.kind) || !prom_label_name_valid(p->input + t.pos, t.len))
            return unexpected(p, "grouping opts", "label");
        advance(p);
        char *name = promql_arena_strndup(p->arena, p->input + t.pos, t.len);
        if (!name || list_push(p, &names, name) < 0)
            return parser_nomem(p);
        t = peek(p);
        if (t.kind == PT_COMMA)
            advance(p);
        else if (t.kind != PT_RIGHT_PAREN)
            return unexpected(p, "grouping opts", "\",\" or \")\"");
    }
    out->names = (const char **)names.items;
    out->count = names.count;
    return 0;
}

/* ---- expressions ---- */

static promql_node *parse_expr(promql_parser *p, int min_prec);

static int binop_prec(promql_tok k)
{
    switch (k) {
    case PT_LOR: return 1;
    case PT_LAND: case PT_LUNLESS: return 2;
    case PT_EQLC: case PT_NEQ: case PT_LTE: case PT_LSS: case PT_GTE: case PT_GTR: return 3;
    case PT_ADD: case PT_SUB: return 4;
    case PT_MUL: case PT_DIV: case PT_MOD: case PT_ATAN2: return 5;
    case PT_POW: return 6;
    default: return 0;
    }
}

/* `(` [expr {, expr}] `)`: function and aggregation arguments. */
static int parse_call_args(promql_parser *p, ptr_list *args, size_t *end, const char *context)
{
    advance(p); /* ( */
    if (peek(p).kind == PT_RIGHT_PAREN) {
        *end = advance(p).pos + 1;
        return 0;
    }
    for (;;) {
        promql_node *e = parse_expr(p, 0);
        if (!e || list_push(p, args, e) < 0)
            return p->code ? p->code : parser_nomem(p);
        promql_token t = peek(p);
        if (t.kind == PT_RIGHT_PAREN) {
            *end = advance(p).pos + 1;
            return 0;
        }
        if (t.kind != PT_COMMA)
            return unexpected(p, context, NULL);
        advance(p);
        if (peek(p).kind == PT_RIGHT_PAREN)
            return promql_parse_error(p, HERON_EINVAL, t.pos,
                                      "trailing commas not allowed in function call args");
    }
}

static uint32_t args_depth(ptr_list *args)
{
    uint32_t d = 0;
    for (size_t i = 0; i < args->count; i++) {
        promql_node *a = args->items[i];
        if (a->depth > d)
            d = a->depth;
    }
    return d;
}

static promql_node *parse_call(promql_parser *p)
{
    promql_token name = advance(p);
    ptr_list args = {0};
    size_t end;
    if (parse_call_args(p, &args, &end, NULL) < 0)
        return NULL;
    const promql_function *f = promql_function_lookup(p->input + name.pos, name.len);
    if (!f) {
        promql_parse_error(p, HERON_EINVAL, name.pos, "unknown function with name \"%.*s\"",
                           (int)name.len, p->input + name.pos);
        return NULL;
    }
    promql_node *n = new_node(p, PROMQL_CALL, name.pos, end);
    if (!n || set_depth(p, n, args_depth(&args)) < 0)
        return NULL;
    n->type = f->return_type;
    n->u.call.func = f;
    n->u.call.args = (promql_node **)args.items;
    n->u.call.nargs = args.count;
    return n;
}

static int parse_agg_modifier(promql_parser *p, promql_node *n)
{
    n->u.agg.without = advance(p).kind == PT_WITHOUT;
    return parse_grouping(p, &n->u.agg.grouping, 0);
}

static promql_node *parse_aggregate_body(promql_parser *p, promql_token op);

static promql_node *parse_aggregate(promql_parser *p)
{
    promql_token op = advance(p);
    p->agg_depth++;
    promql_node *n = parse_aggregate_body(p, op);
    p->agg_depth--;
    return n;
}

static promql_node *parse_aggregate_body(promql_parser *p, promql_token op)
{
    promql_node *n = new_node(p, PROMQL_AGGREGATE, op.pos, op.pos + op.len);
    if (!n)
        return NULL;
    n->type = PROMQL_TYPE_VECTOR;
    n->u.agg.op = (promql_aggop)(op.kind - PT_AVG);
    int modifier_first = 0;
    promql_tok k = peek(p).kind;
    if (k == PT_BY || k == PT_WITHOUT) {
        if (parse_agg_modifier(p, n) < 0)
            return NULL;
        modifier_first = 1;
    }
    if (peek(p).kind != PT_LEFT_PAREN) {
        unexpected(p, "aggregation", NULL);
        return NULL;
    }
    ptr_list args = {0};
    size_t end;
    if (parse_call_args(p, &args, &end, "aggregation") < 0)
        return NULL;
    k = peek(p).kind;
    if (!modifier_first && (k == PT_BY || k == PT_WITHOUT)) {
        if (parse_agg_modifier(p, n) < 0)
            return NULL;
    }
    n->pos_end = (uint32_t)end;
    if (args.count == 0) {
        promql_parse_error(p, HERON_EINVAL, op.pos, "no arguments for aggregate expression provided");
        return NULL;
    }
    int with_param = n->u.agg.op == PROMQL_AGG_TOPK || n->u.agg.op == PROMQL_AGG_BOTTOMK ||
                     n->u.agg.op == PROMQL_AGG_QUANTILE || n->u.agg.op == PROMQL_AGG_COUNT_VALUES;
    size_t want = with_param ? 2 : 1;
    if (args.count != want) {
        promql_parse_error(p, HERON_EINVAL, op.pos,
                           "wrong number of arguments for aggregate expression provided, "
                           "expected %zu, got %zu", want, args.count);
        return NULL;
    }
    if (with_param)
        n->u.agg.param = args.items[0];
    n->u.agg.expr = args.items[want - 1];
    if (set_depth(p, n, args_depth(&args)) < 0)
        return NULL;
    return n;
}

static promql_node *parse_paren(promql_parser *p)
{
    promql_token open = advance(p);
    promql_node *e = parse_expr(p, 0);
    if (!e)
        return NULL;
    promql_token close = peek(p);
    if (close.kind != PT_RIGHT_PAREN) {
        unexpected(p, NULL, NULL);
        return NULL;
    }
    advance(p);
    promql_node *n = new_node(p, PROMQL_PAREN, open.pos, close.pos + 1);
    if (!n || set_depth(p, n, e->depth) < 0)
        return NULL;
    n->type = e->type;
    n->u.paren.expr = e;
    return n;
}

static int is_metric_name_token(promql_tok k)
{
    return k == PT_IDENTIFIER || k == PT_METRIC_IDENTIFIER || PT_IS_AGGREGATOR(k) ||
           k == PT_BY || k == PT_LAND || k == PT_LOR || k == PT_LUNLESS || k == PT_OFFSET ||
           k == PT_WITHOUT || k == PT_START || k == PT_END;
}

static promql_node *parse_primary(promql_parser *p)
{
    promql_token t = peek(p);
    switch (t.kind) {
    case PT_NUMBER:
        return parse_number(p);
    case PT_STRING:
        return parse_string(p);
    case PT_LEFT_PAREN:
        return parse_paren(p);
    case PT_LEFT_BRACE:
        return parse_selector(p, 0);
    case PT_IDENTIFIER:
        /* a function call when `(` follows */
        if (promql_lexer_peek_kind(&p->lex) == PT_LEFT_PAREN)
            return parse_call(p);
        return parse_selector(p, 0);
    default:
        break;
    }
    if (PT_IS_AGGREGATOR(t.kind)) {
        promql_tok next = promql_lexer_peek_kind(&p->lex);
        if (next == PT_LEFT_PAREN || next == PT_BY || next == PT_WITHOUT)
            return parse_aggregate(p);
    }
    if (is_metric_name_token(t.kind))
        return parse_selector(p, 0);
    unexpected(p, NULL, NULL);
    return NULL;
}

/* offset: the node whose modifiers an offset or @ changes, or NULL. */
static promql_modifiers *modifiers_of(promql_node *e)
{
    switch (e->kind) {
    case PROMQL_VECTOR_SELECTOR: return &e->u.vs.mod;
    case PROMQL_MATRIX_SELECTOR: return &e->u.ms.vs->u.vs.mod;
    case PROMQL_SUBQUERY: return &e->u.sq.mod;
    default: return NULL;
    }
}

static int parse_offset(promql_parser *p, promql_node *e)
{
    advance(p); /* offset */
    int negative = 0;
    if (peek(p).kind == PT_SUB) {
        advance(p);
        negative = 1;
    }
    if (peek(p).kind != PT_DURATION)
        return unexpected(p, "offset", "duration");
    promql_token d = peek(p);
    int64_t ms;
    if (parse_duration(p, &ms) < 0)
        return p->code;
    promql_modifiers *m = modifiers_of(e);
    if (!m)
        return promql_parse_error(p, HERON_EINVAL, e->pos_start,
                                  "offset modifier must be preceded by an instant vector "
                                  "selector or range vector selector or a subquery");
    if (m->offset_ms != 0)
        return promql_parse_error(p, HERON_EINVAL, e->pos_start,
                                  "offset may not be set multiple times");
    m->offset_ms = negative ? -ms : ms;
    e->pos_end = (uint32_t)(d.pos + d.len);
    return 0;
}

static int at_target(promql_parser *p, promql_node *e, promql_modifiers **out)
{
    promql_modifiers *m = modifiers_of(e);
    if (!m)
        return promql_parse_error(p, HERON_EINVAL, e->pos_start,
                                  "@ modifier must be preceded by an instant vector selector "
                                  "or range vector selector or a subquery");
    if (m->at != PROMQL_AT_NONE)
        return promql_parse_error(p, HERON_EINVAL, e->pos_start,
                                  "@ <timestamp> may not be set multiple times");
    *out = m;
    return 0;
}

static int parse_at(promql_parser *p, promql_node *e)
{
    advance(p); /* @ */
    promql_token t = peek(p);
    promql_modifiers *m = NULL;
    if (t.kind == PT_START || t.kind == PT_END) {
        advance(p);
        if (peek(p).kind != PT_LEFT_PAREN)
            return unexpected(p, "@", "timestamp");
        advance(p);
        if (peek(p).kind != PT_RIGHT_PAREN)
            return unexpected(p, "@", "timestamp");
        promql_token close = advance(p);
        if (at_target(p, e, &m) < 0)
            return p->code;
        m->at = t.kind == PT_START ? PROMQL_AT_START : PROMQL_AT_END;
        e->pos_end = (uint32_t)(close.pos + 1);
        return 0;
    }
    double sign = 1;
    if (t.kind == PT_ADD || t.kind == PT_SUB) {
        sign = t.kind == PT_SUB ? -1 : 1;
        advance(p);
    }
    if (peek(p).kind != PT_NUMBER)
        return unexpected(p, "@", "timestamp");
    promql_node *num = parse_number(p);
    if (!num)
        return p->code;
    double ts = sign * num->u.number;
    if (isnan(ts) || isinf(ts) || ts >= 9223372036854775807.0 || ts <= -9223372036854775808.0) {
        char v[400];
        if (isnan(ts))
            snprintf(v, sizeof v, "NaN");
        else if (isinf(ts))
            snprintf(v, sizeof v, "%cInf", ts > 0 ? '+' : '-');
        else
            snprintf(v, sizeof v, "%f", ts);
        return promql_parse_error(p, HERON_EINVAL, e->pos_start,
                                  "timestamp out of bounds for @ modifier: %s", v);
    }
    if (at_target(p, e, &m) < 0)
        return p->code;
    m->at = PROMQL_AT_TIMESTAMP;
    /* Go's int64(math.Round(ts * 1000)); an overflow gives MinInt64 on
     * amd64, which Prometheus then prints. */
    double msd = round(ts * 1000.0);
    m->at_ms = (msd >= 9223372036854775807.0 || msd < -9223372036854775808.0) ? INT64_MIN
                                                                              : (int64_t)msd;
    e->pos_end = num->pos_end;
    return 0;
}

/* `[` range `]` or `[` range `:` [step] `]` after e. */
static promql_node *parse_brackets(promql_parser *p, promql_node *e)
{
    promql_token open = advance(p);
    int64_t range, step = 0;
    if (peek(p).kind == PT_ERROR)
        return NULL;
    if (peek(p).kind != PT_DURATION) {
        unexpected(p, "subquery selector", "duration");
        return NULL;
    }
    if (parse_duration(p, &range) < 0)
        return NULL;
    promql_token t = peek(p);
    if (t.kind == PT_RIGHT_BRACKET) {
        advance(p);
        const char *msg = NULL;
        if (e->kind != PROMQL_VECTOR_SELECTOR)
            msg = "ranges only allowed for vector selectors";
        else if (e->u.vs.mod.offset_ms != 0)
            msg = "no offset modifiers allowed before range";
        else if (e->u.vs.mod.at != PROMQL_AT_NONE)
            msg = "no @ modifiers allowed before range";
        if (msg) {
            promql_parse_error(p, HERON_EINVAL, open.pos, "%s", msg);
            return NULL;
        }
        promql_node *n = new_node(p, PROMQL_MATRIX_SELECTOR, e->pos_start, t.pos + 1);
        if (!n || set_depth(p, n, e->depth) < 0)
            return NULL;
        n->type = PROMQL_TYPE_MATRIX;
        n->u.ms.vs = e;
        n->u.ms.range_ms = range;
        return n;
    }
    if (t.kind != PT_COLON) {
        unexpected(p, "subquery or range", "\":\" or \"]\"");
        return NULL;
    }
    advance(p);
    t = peek(p);
    if (t.kind == PT_DURATION) {
        if (parse_duration(p, &step) < 0)
            return NULL;
        t = peek(p);
        if (t.kind != PT_RIGHT_BRACKET) {
            unexpected(p, "subquery selector", "\"]\"");
            return NULL;
        }
    } else if (t.kind != PT_RIGHT_BRACKET) {
        unexpected(p, "subquery selector", "duration or \"]\"");
        return NULL;
    }
    advance(p);
    promql_node *n = new_node(p, PROMQL_SUBQUERY, e->pos_start, t.pos + 1);
    if (!n || set_depth(p, n, e->depth) < 0)
        return NULL;
    n->type = PROMQL_TYPE_MATRIX;
    n->u.sq.expr = e;
    n->u.sq.range_ms = range;
    n->u.sq.step_ms = step;
    return n;
}

static promql_node *parse_postfix(promql_parser *p)
{
    promql_node *e = parse_primary(p);
    while (e) {
        promql_tok k = peek(p).kind;
        if (k == PT_LEFT_BRACKET)
            e = parse_brackets(p, e);
        else if (k == PT_OFFSET)
            e = parse_offset(p, e) < 0 ? NULL : e;
        else if (k == PT_AT)
            e = parse_at(p, e) < 0 ? NULL : e;
        else
            break;
    }
    return e;
}

static promql_node *parse_unary(promql_parser *p)
{
    promql_token t = peek(p);
    if (t.kind != PT_ADD && t.kind != PT_SUB)
        return parse_postfix(p);
    advance(p);
    promql_node *e = parse_expr(p, binop_prec(PT_POW));
    if (!e)
        return NULL;
    if (e->kind == PROMQL_NUMBER) {
        if (t.kind == PT_SUB)
            e->u.number = -e->u.number;
        e->pos_start = (uint32_t)t.pos;
        return e;
    }
    promql_node *n = new_node(p, PROMQL_UNARY, t.pos, e->pos_end);
    if (!n || set_depth(p, n, e->depth) < 0)
        return NULL;
    n->type = e->type;
    n->u.unary.op = t.kind == PT_SUB ? PROMQL_OP_SUB : PROMQL_OP_ADD;
    n->u.unary.expr = e;
    return n;
}

/* bool, on/ignoring (...), group_left/group_right [(...)]. */
static int parse_bin_modifiers(promql_parser *p, promql_node *n)
{
    promql_matching *m = promql_arena_alloc(p->arena, sizeof *m);
    if (!m)
        return parser_nomem(p);
    memset(m, 0, sizeof *m);
    n->u.binary.matching = m;
    if (peek(p).kind == PT_BOOL) {
        advance(p);
        n->u.binary.return_bool = 1;
    }
    promql_tok k = peek(p).kind;
    if (k != PT_ON && k != PT_IGNORING)
        return 0;
    advance(p);
    m->on = k == PT_ON;
    if (parse_grouping(p, &m->labels, 0) < 0)
        return p->code;
    k = peek(p).kind;
    if (k != PT_GROUP_LEFT && k != PT_GROUP_RIGHT)
        return 0;
    advance(p);
    m->card = k == PT_GROUP_LEFT ? PROMQL_CARD_MANY_TO_ONE : PROMQL_CARD_ONE_TO_MANY;
    return parse_grouping(p, &m->include, 1);
}

static promql_node *parse_expr(promql_parser *p, int min_prec)
{
    if (++p->depth > PROMQL_MAX_DEPTH) {
        promql_parse_error(p, HERON_ERANGE, peek(p).pos, "expression nesting exceeds %d levels",
                           PROMQL_MAX_DEPTH);
        return NULL;
    }
    promql_node *lhs = parse_unary(p);
    while (lhs) {
        promql_token op = peek(p);
        int prec = binop_prec(op.kind);
        if (!PT_IS_BINOP(op.kind) || prec < min_prec)
            break;
        advance(p);
        promql_node *n = new_node(p, PROMQL_BINARY, lhs->pos_start, 0);
        if (!n || parse_bin_modifiers(p, n) < 0) {
            lhs = NULL;
            break;
        }
        promql_node *rhs = parse_expr(p, op.kind == PT_POW ? prec : prec + 1);
        if (!rhs) {
            lhs = NULL;
            break;
        }
        n->pos_end = rhs->pos_end;
        n->u.binary.op = (promql_binop)(op.kind - PT_SUB);
        n->u.binary.lhs = lhs;
        n->u.binary.rhs = rhs;
        n->type = lhs->type == PROMQL_TYPE_SCALAR && rhs->type == PROMQL_TYPE_SCALAR
                      ? PROMQL_TYPE_SCALAR : PROMQL_TYPE_VECTOR;
        uint32_t d = lhs->depth > rhs->depth ? lhs->depth : rhs->depth;
        if (set_depth(p, n, d) < 0) {
            lhs = NULL;
            break;
        }
        lhs = n;
    }
    p->depth--;
    return lhs;
}

/* ---- entry points ---- */

static void parser_init(promql_parser *p, const char *query, size_t len, promql_arena *arena,
                        heron_err *err)
{
    memset(p, 0, sizeof *p);
    promql_lexer_init(&p->lex, query, len);
    p->arena = arena;
    p->input = query;
    p->len = len;
    p->err = err;
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int promql_parse(const char *query, size_t len, promql_arena *arena, promql_node **out,
                 heron_err *err)
{
    promql_parser p;
    *out = NULL;
    if (len > UINT32_MAX)
        return err_set(err, HERON_ERANGE, "query longer than 4 GiB");
    parser_init(&p, query, len, arena, err);
    if (peek(&p).kind == PT_EOF)
        return promql_parse_error(&p, HERON_EINVAL, 0, "no expression found in input");
    promql_node *root = parse_expr(&p, 0);
    if (root && peek(&p).kind != PT_EOF)
        unexpected(&p, NULL, NULL);
    if (p.code)
        return p.code;
    if (promql_check(&p, root) < 0)
        return p.code;
    *out = root;
    return 0;
}

int promql_parse_metric_selector(const char *text, size_t len, promql_arena *arena,
                                 promql_node **out, heron_err *err)
{
    promql_parser p;
    *out = NULL;
    if (len > UINT32_MAX)
        return err_set(err, HERON_ERANGE, "selector longer than 4 GiB");
    parser_init(&p, text, len, arena, err);
    promql_token t = peek(&p);
    if (t.kind != PT_LEFT_BRACE && !is_metric_name_token(t.kind)) {
        unexpected(&p, NULL, NULL);
        return p.code;
    }
    promql_node *n = parse_selector(&p, 0);
    if (n && peek(&p).kind != PT_EOF)
        unexpected(&p, NULL, NULL);
    if (p.code)
        return p.code;
    *out = n;
    return 0;
}

int promql_parse_series(const char *text, size_t len, promql_arena *arena, promql_node **out,
                        heron_err *err)
{
    promql_parser p;
    *out = NULL;
    if (len > UINT32_MAX)
        return err_set(err, HERON_ERANGE, "series description longer than 4 GiB");
    parser_init(&p, text, len, arena, err);
    promql_token t = peek(&p);
    if (t.kind != PT_LEFT_BRACE && !is_metric_name_token(t.kind)) {
        unexpected(&p, "series description", "metric name or \"{\"");
        return p.code;
    }
    promql_node *n = parse_selector(&p, 1);
    if (n && peek(&p).kind != PT_EOF)
        unexpected(&p, "series description", NULL);
    if (p.code)
        return p.code;
    *out = n;
    return 0;
}
