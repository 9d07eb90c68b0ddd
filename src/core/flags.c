#include "core/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/units.h"

static const flag_spec *find_flag(const flag_spec *specs, const char *name,
                                  size_t len)
{
    for (const flag_spec *s = specs; s->name; s++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

static int set_value(const flag_spec *s, const char *v, heron_err *err)
{
    heron_err inner = {0};
    switch (s->kind) {
    case FLAG_STRING:
        *(const char **)s->target = v;
        return 0;
    case FLAG_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
            *(int *)s->target = 1;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
            *(int *)s->target = 0;
        else
            return err_set(err, HERON_EINVAL, "flag --%s: expected true or false, got \"%s\"", s->name, v);
        return 0;
    case FLAG_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end)
            return err_set(err, HERON_EINVAL, "flag --%s: not an integer: \"%s\"", s->name, v);
        *(int64_t *)s->target = n;
        return 0;
    }
    case FLAG_DURATION:
        if (units_parse_duration(v, (int64_t *)s->target, &inner))
            return err_set(err, HERON_EINVAL, "flag --%s: %s", s->name, inner.msg);
        return 0;
    case FLAG_BYTES:
        if (units_parse_bytes(v, (int64_t *)s->target, &inner))
            return err_set(err, HERON_EINVAL, "flag --%s: %s", s->name, inner.msg);
        return 0;
    }
    return err_set(err, HERON_EINVAL, "flag --%s: unknown kind", s->name);
}

int flags_parse(const flag_spec *specs, int argc, char **argv,
                char **positional, int *npos, heron_err *err)
{
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                positional[(*npos)++] = argv[i];
            break;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (a[0] == '-' && a[1] != '\0')
                return err_set(err, HERON_EINVAL, "unknown flag: %s", a);
            positional[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const flag_spec *s = find_flag(specs, name, len);
        if (!s && !eq && strncmp(name, "no-", 3) == 0) {
            s = find_flag(specs, name + 3, len - 3);
            if (s && s->kind == FLAG_BOOL) {
                *(int *)s->target = 0;
                continue;
            }
            s = NULL;
        }
        if (!s)
            return err_set(err, HERON_EINVAL, "unknown flag: --%.*s", (int)len, name);
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (s->kind == FLAG_BOOL) {
            value = "true";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return err_set(err, HERON_EINVAL, "flag --%s needs a value", s->name);
        }
        int rc = set_value(s, value, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void print_current(FILE *out, const flag_spec *s)
{
    char dur[32];
    switch (s->kind) {
    case FLAG_STRING: {
        const char *v = *(const char **)s->target;
        if (v && *v)
            fprintf(out, " (default: %s)", v);
        break;
    }
    case FLAG_BOOL:
        fprintf(out, " (default: %s)", *(int *)s->target ? "true" : "false");
        break;
    case FLAG_INT:
        fprintf(out, " (default: %lld)", (long long)*(int64_t *)s->target);
        break;
    case FLAG_DURATION:
        units_format_duration(*(int64_t *)s->target, dur);
        fprintf(out, " (default: %s)", dur);
        break;
    case FLAG_BYTES:
        if (*(int64_t *)s->target)
            fprintf(out, " (default: %lldB)", (long long)*(int64_t *)s->target);
        break;
    }
}

void flags_usage(FILE *out, const char *usage_line, const flag_spec *specs)
{
    fprintf(out, "usage: %s\n\nflags:\n", usage_line);
    for (const flag_spec *s = specs; s->name; s++) {
        fprintf(out, "  --%s%s\n      %s", s->name,
                s->kind == FLAG_BOOL ? "" : "=VALUE", s->help);
        print_current(out, s);
        fputc('\n', out);
    }
}

int flags_command(const flag_command *c, int argc, char **argv, char **pos,
                  int *npos)
{
    heron_err err = {0};
    int rc = flags_parse(c->specs, argc, argv, pos, npos, &err);
    int help = 0;
    for (const flag_spec *s = c->specs; s->name; s++)
        if (s->kind == FLAG_BOOL && strcmp(s->name, "help") == 0)
            help = *(int *)s->target;
    if (rc == 0 && help) {
        flags_usage(stdout, c->usage, c->specs);
        return 0;
    }
    if (rc == 0 && *npos > c->max_args)
        rc = err_set(&err, HERON_EINVAL, "unexpected argument \"%s\"", pos[c->max_args]);
    else if (rc == 0 && *npos < c->min_args)
        rc = err_set(&err, HERON_EINVAL, "missing arguments");
    if (rc == 0)
        return -1;
    fprintf(stderr, "%s: %s\n\n", c->name, err.msg);
    flags_usage(stderr, c->usage, c->specs);
    return 2;
}
