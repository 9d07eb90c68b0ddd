/* api_params — request parameters (form body, then URL query) and
 * Prometheus' time and duration notations, shared by every API handler. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "core/units.h"
#include "http/api.h"

static int params_add(api_params *p, const char *name, size_t nlen,
                      const char *value, size_t vlen)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        char **nn = realloc(p->names, cap * sizeof *nn);
        if (!nn)
            return HERON_ENOMEM;
        p->names = nn;
        char **vv = realloc(p->values, cap * sizeof *vv);
        if (!vv)
            return HERON_ENOMEM;
        p->values = vv;
        p->cap = cap;
    }
    char *n = strndup(name, nlen), *v = strndup(value, vlen);
    if (!n || !v) {
        free(n);
        free(v);
        return HERON_ENOMEM;
    }
    p->names[p->n] = n;
    p->values[p->n++] = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes %XX and '+' in place; returns the new length. */
static size_t url_decode(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            s[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
                   hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

int api_params_parse_form(api_params *p, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        if (j > i) {
            char *pair = strndup(s + i, j - i);
            if (!pair)
                return HERON_ENOMEM;
            char *eq = strchr(pair, '=');
            size_t plen = j - i;
            int rc;
            if (eq) {
                size_t nlen = url_decode(pair, (size_t)(eq - pair));
                size_t vlen = url_decode(eq + 1, plen - (size_t)(eq - pair) - 1);
                rc = params_add(p, pair, nlen, eq + 1, vlen);
            } else {
                size_t nlen = url_decode(pair, plen);
                rc = params_add(p, pair, nlen, "", 0);
            }
            free(pair);
            if (rc)
                return rc;
        }
        i = j + 1;
    }
    return 0;
}

typedef struct query_collect {
    api_params *p;
    int rc;
} query_collect;

static void collect_arg(void *arg, const char *name, const char *value)
{
    query_collect *q = arg;
    if (!q->rc)
        q->rc = params_add(q->p, name, strlen(name), value ? value : "",
                           value ? strlen(value) : 0);
}

int api_params_read(const httpd_request *req, api_params *p, heron_err *err)
{
    memset(p, 0, sizeof *p);
    const char *method = httpd_method(req);
    const char *ct = httpd_header(req, "Content-Type");
    if ((strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) && ct &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
        size_t len;
        const char *body = httpd_body(req, &len);
        if (api_params_parse_form(p, body, len))
            return err_set(err, HERON_ENOMEM, "error parsing form values");
    }
    query_collect q = {p, 0};
    httpd_query_each(req, collect_arg, &q);
    if (q.rc)
        return err_set(err, HERON_ENOMEM, "error parsing form values");
    return 0;
}

int api_params_open(const httpd_request *req, httpd_response *resp,
                    const char *form_error, api_params *p)
{
    heron_err err = {0};
    if (api_params_read(req, p, &err) == 0)
        return 0;
    api_reply_error(resp, API_ERR_BAD_DATA, "%s", form_error ? form_error : err.msg);
    api_params_free(p);
    return -1;
}

void api_params_free(api_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->names[i]);
        free(p->values[i]);
    }
    free(p->names);
    free(p->values);
    memset(p, 0, sizeof *p);
}

const char *api_param(const api_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    return NULL;
}

size_t api_param_all(const api_params *p, const char *name, const char **out,
                     size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0) {
            if (k < max)
                out[k] = p->values[i];
            k++;
        }
    return k;
}

/* Go's strconv.ParseFloat on the whole string (no blanks around it). */
static int parse_float(const char *s, double *out)
{
    if (!*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    *out = strtod(s, &end);
    return *end ? -1 : 0;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* RFC 3339 with optional fraction: 2006-01-02T15:04:05.999Z07:00. */
static int parse_rfc3339(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = s;
    int y, mo, d, h, mi, se;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || *p++ != 'T' || digits(&p, 2, &h) || *p++ != ':' ||
        digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return -1;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        double scale = 100;
        double f = 0;
        while (isdigit((unsigned char)*p)) {
            f += (*p - '0') * scale;
            scale /= 10;
            p++;
            nd++;
        }
        if (!nd || nd > 9)
            return -1;
        frac_ms = (int64_t)f; /* Go truncates to the millisecond */
    }
    int64_t tz = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, th, tmi;
        if (digits(&p, 2, &th) || *p++ != ':' || digits(&p, 2, &tmi))
            return -1;
        tz = sign * (th * 3600 + tmi * 60);
    } else {
        return -1;
    }
    if (*p)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    int64_t secs = (int64_t)timegm(&tm) - tz;
    *ms = secs * 1000 + frac_ms;
    return 0;
}

int api_parse_time(const char *s, int64_t *ms, heron_err *err)
{
    double f;
    if (parse_float(s, &f) == 0 && isfinite(f) && fabs(f) < 9.2e15) {
        double whole = trunc(f);
        *ms = (int64_t)whole * 1000 + (int64_t)llround((f - whole) * 1000);
        return 0;
    }
    if (parse_rfc3339(s, ms) == 0)
        return 0;
    if (strcmp(s, "-292273086-05-16T16:47:06Z") == 0) {
        *ms = API_MIN_TIME;
        return 0;
    }
    if (strcmp(s, "292277025-08-18T07:12:54.999999999Z") == 0) {
        *ms = API_MAX_TIME;
        return 0;
    }
    return err_set(err, HERON_EINVAL, "cannot parse \"%s\" to a valid timestamp", s);
}

int api_parse_duration(const char *s, int64_t *ms, heron_err *err)
{
    double f;
    if (parse_float(s, &f) == 0) {
        double ns = f * 1e9;
        if (!(ns <= 9.223372036854775807e18 && ns >= -9.223372036854775808e18))
            return err_set(err, HERON_EINVAL,
                           "cannot parse \"%s\" to a valid duration. It overflows int64", s);
        *ms = (int64_t)ns / 1000000;
        return 0;
    }
    if (units_parse_duration(s, ms, NULL) == 0)
        return 0;
    return err_set(err, HERON_EINVAL, "cannot parse \"%s\" to a valid duration", s);
}
