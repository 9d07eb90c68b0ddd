/*
 * cmd_query.c — `heron query EXPR`: asks a running heron (or Prometheus)
 * server through its HTTP API, like `promtool query instant|range`.
 *
 *   heron query 'sum(rate(x[5m]))'                      instant, now
 *   heron query --time=1700000000 'up'                  instant at a time
 *   heron query --start=-1h --end=now --step=1m 'up'    range
 *
 * Times take what the API takes (Unix seconds, RFC 3339) plus "now" and
 * "-<duration>" relative to now. Output is promtool's text form
 * (`{labels} => value @[time]`) or, with --format=json, the API's JSON.
 * Exit status: 0 success, 1 query or transport error, 2 usage error.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "core/buf.h"
#include "core/flags.h"
#include "core/units.h"

typedef struct query_flags {
    const char *server, *time, *start, *end, *step, *format, *timeout;
    int help;
} query_flags;

/* "now", "-5m" or a value the API parses itself; written into out. */
static int resolve_time(const char *s, char *out, size_t n)
{
    double now = (double)time(NULL);
    if (strcmp(s, "now") == 0) {
        snprintf(out, n, "%.3f", now);
        return 0;
    }
    if (s[0] == '-' && s[1] && (s[1] < '0' || s[1] > '9' || strpbrk(s, "smhdwy"))) {
        int64_t ms;
        if (units_parse_duration(s + 1, &ms, NULL))
            return -1;
        snprintf(out, n, "%.3f", now - (double)ms / 1000.0);
        return 0;
    }
    snprintf(out, n, "%s", s);
    return 0;
}

static size_t collect(char *p, size_t sz, size_t nm, void *u)
{
    buf_append(u, p, sz * nm);
    return sz * nm;
}

static void add_param(buf *form, CURL *c, const char *name, const char *value)
{
    char *esc = curl_easy_escape(c, value, 0);
    buf_printf(form, "%s%s=%s", form->len ? "&" : "", name, esc ? esc : "");
    curl_free(esc);
}

static void print_labels(json_t *metric)
{
    const char *name = json_string_value(json_object_get(metric, "__name__"));
    printf("%s{", name ? name : "");
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(metric, k, v) {
        if (strcmp(k, "__name__") == 0)
            continue;
        printf("%s%s=\"%s\"", first ? "" : ", ", k, json_string_value(v));
        first = 0;
    }
    printf("}");
}

static void print_point(json_t *p)
{
    printf("%s @[%.3f]", json_string_value(json_array_get(p, 1)),
           json_number_value(json_array_get(p, 0)));
}

/* Prints data.result in promtool's text form. */
static void print_text(json_t *data)
{
    const char *type = json_string_value(json_object_get(data, "resultType"));
    json_t *res = json_object_get(data, "result");
    if (!type)
        return;
    if (strcmp(type, "scalar") == 0 || strcmp(type, "string") == 0) {
        printf("%s: ", type);
        print_point(res);
        printf("\n");
        return;
    }
    size_t i;
    json_t *s;
    json_array_foreach(res, i, s) {
        print_labels(json_object_get(s, "metric"));
        if (strcmp(type, "vector") == 0) {
            printf(" => ");
            print_point(json_object_get(s, "value"));
            printf("\n");
            continue;
        }
        printf(" =>\n");
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(s, "values"), j, p) {
            print_point(p);
            printf("\n");
        }
    }
}

int cmd_query(int argc, char **argv)
{
    query_flags f = {.server = "http://127.0.0.1:9797", .format = "text"};
    const flag_spec specs[] = {
        {"server", FLAG_STRING, &f.server, "Base URL of the heron or Prometheus server."},
        {"time", FLAG_STRING, &f.time, "Evaluation time of an instant query (default: now)."},
        {"start", FLAG_STRING, &f.start, "Start of a range query; with --end and --step."},
        {"end", FLAG_STRING, &f.end, "End of a range query (default: now)."},
        {"step", FLAG_STRING, &f.step, "Resolution of a range query, e.g. 15s or 60."},
        {"timeout", FLAG_STRING, &f.timeout, "Evaluation timeout, e.g. 30s."},
        {"format", FLAG_STRING, &f.format, "Output: text (promtool's form) or json."},
        {"help", FLAG_BOOL, &f.help, "Show this help."},
        {0},
    };
    const flag_command cmd = {"heron query", "heron query [flags] EXPR", specs, 1, 1};
    char *pos[argc + 1];
    int npos = 0;
    int exit_code = flags_command(&cmd, argc, argv, pos, &npos);
    if (exit_code >= 0)
        return exit_code;
    int range = f.start || f.step;
    if (range && (!f.start || !f.step)) {
        fprintf(stderr, "heron query: a range query needs --start and --step\n");
        return 2;
    }
    if (strcmp(f.format, "text") != 0 && strcmp(f.format, "json") != 0) {
        fprintf(stderr, "heron query: --format must be text or json\n");
        return 2;
    }
    char t1[64], t2[64];
    if ((range && (resolve_time(f.start, t1, sizeof t1) ||
                   resolve_time(f.end ? f.end : "now", t2, sizeof t2))) ||
        (!range && f.time && resolve_time(f.time, t1, sizeof t1))) {
        fprintf(stderr, "heron query: bad time value\n");
        return 2;
    }

    curl_global_init(CURL_GLOBAL_ALL);
    CURL *c = curl_easy_init();
    buf form, url, body;
    buf_init(&form, 0);
    buf_init(&url, 0);
    buf_init(&body, 64 << 20);
    add_param(&form, c, "query", pos[0]);
    if (range) {
        add_param(&form, c, "start", t1);
        add_param(&form, c, "end", t2);
        add_param(&form, c, "step", f.step);
    } else if (f.time) {
        add_param(&form, c, "time", t1);
    }
    if (f.timeout)
        add_param(&form, c, "timeout", f.timeout);
    buf_printf(&url, "%s/api/v1/%s", f.server, range ? "query_range" : "query");
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int rc = 1;
    if (cc != CURLE_OK) {
        fprintf(stderr, "heron query: %s: %s\n", url.data, curl_easy_strerror(cc));
    } else {
        buf_puts(&body, "");
        json_t *root = json_loads(body.data, 0, NULL);
        const char *status = json_string_value(json_object_get(root, "status"));
        if (!root || !status) {
            fprintf(stderr, "heron query: HTTP %ld: %s\n", code, body.data);
        } else if (strcmp(status, "success") != 0) {
            fprintf(stderr, "heron query: %s: %s\n",
                    json_string_value(json_object_get(root, "errorType")),
                    json_string_value(json_object_get(root, "error")));
        } else {
            if (strcmp(f.format, "json") == 0)
                printf("%s\n", body.data);
            else
                print_text(json_object_get(root, "data"));
            rc = 0;
        }
        json_decref(root);
    }
    buf_free(&form);
    buf_free(&url);
    buf_free(&body);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc;
}
