/*
 * cfgdec.c — table-driven strict YAML decoding (see cfgdec.h).
 */
#include "scrape/cfgdec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/units.h"
#include "scrape/lset.h"
#include "scrape/relabel.h"

struct cfgdec {
    const char *file;
    char dir[1024];
    yaml_document_t doc;
};

int cfgdec_errf(cfgdec *d, yaml_node_t *node, heron_err *err, int code,
                const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node)
        return err_set(err, code, "%s:%zu: %s", d->file,
                       node->start_mark.line + 1, msg);
    return err_set(err, code, "%s: %s", d->file, msg);
}

const char *cfgdec_dir(const cfgdec *d)
{
    return d->dir;
}

const char *cfgdec_file(const cfgdec *d)
{
    return d->file;
}

yaml_node_t *cfgdec_node(cfgdec *d, int id)
{
    return yaml_document_get_node(&d->doc, id);
}

int cfgdec_is_null(yaml_node_t *node)
{
    if (node == NULL)
        return 1;
    if (node->type != YAML_SCALAR_NODE ||
        node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = (const char *)node->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* yaml.v2's way of naming a node in "cannot unmarshal" errors. */
static const char *node_tag(yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "!!map";
    case YAML_SEQUENCE_NODE:
        return "!!seq";
    default:
        break;
    }
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return "!!str";
    const char *v = (const char *)n->data.scalar.value;
    char *end;
    errno = 0;
    (void)strtod(v, &end);
    if (*v && *end == '\0')
        return strpbrk(v, ".eE") ? "!!float" : "!!int";
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0)
        return "!!bool";
    return "!!str";
}

static int cannot(cfgdec *d, yaml_node_t *n, const char *field,
                  const char *want, heron_err *err)
{
    if (n->type == YAML_SCALAR_NODE)
        return cfgdec_errf(d, n, err, HERON_EINVAL,
                           "field %s: cannot unmarshal %s `%.60s` into %s",
                           field, node_tag(n), (const char *)n->data.scalar.value,
                           want);
    return cfgdec_errf(d, n, err, HERON_EINVAL,
                       "field %s: cannot unmarshal %s into %s", field,
                       node_tag(n), want);
}

int cfgdec_scalar(cfgdec *d, yaml_node_t *node, const char *want,
                  const char **out, heron_err *err)
{
    if (node->type != YAML_SCALAR_NODE)
        return cannot(d, node, want, "string", err);
    *out = (const char *)node->data.scalar.value;
    return 0;
}

int cfgdec_seq_check(cfgdec *d, yaml_node_t *node, heron_err *err)
{
    if (node->type != YAML_SEQUENCE_NODE)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "cannot unmarshal %s into a list", node_tag(node));
    return 0;
}

yaml_node_t *cfgdec_seq_item(cfgdec *d, yaml_node_t *node, size_t i)
{
    yaml_node_item_t *b = node->data.sequence.items.start;
    yaml_node_item_t *e = node->data.sequence.items.top;
    if (b + i >= e)
        return NULL;
    return yaml_document_get_node(&d->doc, b[i]);
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "y"};
    static const char *const no[] = {"false", "no", "off", "n"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int decode_strings(cfgdec *d, yaml_node_t *n, const char *field,
                          char ***out, size_t *count, heron_err *err)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return cannot(d, n, field, "a list of strings", err);
    for (size_t i = 0;; i++) {
        yaml_node_t *it = cfgdec_seq_item(d, n, i);
        if (it == NULL)
            return 0;
        if (it->type != YAML_SCALAR_NODE)
            return cannot(d, it, field, "string", err);
        char **nv = realloc(*out, (*count + 1) * sizeof *nv);
        if (nv == NULL)
            return err_set(err, HERON_ENOMEM, "out of memory");
        *out = nv;
        if ((nv[*count] = strdup((const char *)it->data.scalar.value)) == NULL)
            return err_set(err, HERON_ENOMEM, "out of memory");
        (*count)++;
    }
}

static int decode_map(cfgdec *d, yaml_node_t *n, const char *field, int labels,
                      scrape_lset *ls, heron_err *err)
{
    if (n->type != YAML_MAPPING_NODE)
        return cannot(d, n, field, "a map of strings", err);
    scrape_lset_free(ls);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&d->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return cannot(d, k, field, "string", err);
        const char *key = (const char *)k->data.scalar.value;
        if (labels && !scrape_label_name_valid(key))
            return cfgdec_errf(d, k, err, HERON_EINVAL,
                               "field %s: \"%s\" is not a valid label name", field, key);
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
            if (strcmp((const char *)yaml_document_get_node(&d->doc, q->key)->data.scalar.value,
                       key) == 0)
                return cfgdec_errf(d, k, err, HERON_EINVAL,
                                   "mapping key \"%s\" already defined", key);
        const char *val = "";
        if (!cfgdec_is_null(v) && cfgdec_scalar(d, v, field, &val, err) < 0)
            return HERON_EINVAL;
        /* An empty value is kept out, as Prometheus drops empty labels. */
        if (scrape_lset_set(ls, key, val) < 0)
            return err_set(err, HERON_ENOMEM, "out of memory");
    }
    return 0;
}

static int decode_field(cfgdec *d, yaml_node_t *n, const cfg_field *f,
                        char *obj, heron_err *err)
{
    void *m = obj + f->off;
    const char *v = NULL;
    heron_err sub = {0};
    if (f->kind <= CFG_BYTES && n->type != YAML_SCALAR_NODE) {
        static const char *const want[] = {"string", "bool", "uint", "float",
                                           "duration", "byte size"};
        return cannot(d, n, f->name, want[f->kind], err);
    }
    if (n->type == YAML_SCALAR_NODE)
        v = (const char *)n->data.scalar.value;
    switch (f->kind) {
    case CFG_STRING: {
        char *s = strdup(v);
        if (s == NULL)
            return err_set(err, HERON_ENOMEM, "out of memory");
        free(*(char **)m);
        *(char **)m = s;
        return 0;
    }
    case CFG_BOOL:
        if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || parse_bool(v, (int *)m) < 0)
            return cannot(d, n, f->name, "bool", err);
        return 0;
    case CFG_UINT: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno)
            return cannot(d, n, f->name, "uint", err);
        *(uint64_t *)m = u;
        return 0;
    }
    case CFG_FLOAT: {
        char *end;
        double x = strtod(v, &end);
        if (*v == '\0' || *end)
            return cannot(d, n, f->name, "float", err);
        *(double *)m = x;
        return 0;
    }
    case CFG_DURATION:
        if (units_parse_duration(v, (int64_t *)m, &sub) < 0)
            return cfgdec_errf(d, n, err, HERON_EINVAL, "field %s: %s", f->name, sub.msg);
        return 0;
    case CFG_BYTES:
        if (units_parse_bytes(v, (int64_t *)m, &sub) < 0)
            return cfgdec_errf(d, n, err, HERON_EINVAL, "field %s: %s", f->name, sub.msg);
        return 0;
    case CFG_STRINGS:
        return decode_strings(d, n, f->name, (char ***)m, (size_t *)(obj + f->noff), err);
    case CFG_LABELS:
    case CFG_MAP:
        return decode_map(d, n, f->name, f->kind == CFG_LABELS, (scrape_lset *)m, err);
    case CFG_OBJECT:
        cfgdec_free(f->type, m);
        return cfgdec_object(d, n, f->type, m, err);
    case CFG_LIST: {
        if (n->type != YAML_SEQUENCE_NODE)
            return cannot(d, n, f->name, "a list", err);
        size_t *count = (size_t *)(obj + f->noff);
        size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (len == 0)
            return 0;
        char *arr = calloc(len, f->type->size);
        if (arr == NULL)
            return err_set(err, HERON_ENOMEM, "out of memory");
        *(void **)m = arr;
        for (size_t i = 0; i < len; i++) {
            *count = i + 1;
            int rc = cfgdec_object(d, cfgdec_seq_item(d, n, i), f->type,
                                   arr + i * f->type->size, err);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    case CFG_CUSTOM:
        return f->decode(d, n, m, err);
    }
    return 0;
}

int cfgdec_object(cfgdec *d, yaml_node_t *node, const cfg_type *t, void *obj,
                  heron_err *err)
{
    memset(obj, 0, t->size);
    if (t->init && t->init(obj) < 0)
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (!cfgdec_is_null(node)) {
        if (node->type != YAML_MAPPING_NODE)
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "cannot unmarshal %s into %s", node_tag(node), t->name);
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
             p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
            yaml_node_t *v = yaml_document_get_node(&d->doc, p->value);
            if (k->type != YAML_SCALAR_NODE)
                return cfgdec_errf(d, k, err, HERON_EINVAL,
                                   "a key of %s is not a string", t->name);
            const char *key = (const char *)k->data.scalar.value;
            for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
                yaml_node_t *qk = yaml_document_get_node(&d->doc, q->key);
                if (strcmp((const char *)qk->data.scalar.value, key) == 0)
                    return cfgdec_errf(d, k, err, HERON_EINVAL,
                                       "mapping key \"%s\" already defined at line %zu",
                                       key, qk->start_mark.line + 1);
            }
            const cfg_field *f = NULL;
            for (size_t i = 0; i < t->nfields; i++)
                if (strcmp(t->fields[i].name, key) == 0)
                    f = &t->fields[i];
            if (f == NULL)
                return cfgdec_errf(d, k, err, HERON_EINVAL,
                                   "field %s not found in type %s", key, t->name);
            if (cfgdec_is_null(v))
                continue;
            int rc = decode_field(d, v, f, obj, err);
            if (rc < 0)
                return rc;
        }
    }
    return t->check ? t->check(d, node, obj, err) : 0;
}

void cfgdec_free(const cfg_type *t, void *obj)
{
    if (t->fini) {
        t->fini(obj);
        return;
    }
    char *o = obj;
    for (size_t i = 0; i < t->nfields; i++) {
        const cfg_field *f = &t->fields[i];
        void *m = o + f->off;
        switch (f->kind) {
        case CFG_STRING:
            free(*(char **)m);
            *(char **)m = NULL;
            break;
        case CFG_STRINGS: {
            size_t *n = (size_t *)(o + f->noff);
            for (size_t k = 0; k < *n; k++)
                free((*(char ***)m)[k]);
            free(*(char ***)m);
            *(char ***)m = NULL;
            *n = 0;
            break;
        }
        case CFG_LABELS:
        case CFG_MAP:
            scrape_lset_free((scrape_lset *)m);
            break;
        case CFG_OBJECT:
            cfgdec_free(f->type, m);
            break;
        case CFG_LIST: {
            size_t *n = (size_t *)(o + f->noff);
            char *arr = *(char **)m;
            for (size_t k = 0; k < *n; k++)
                cfgdec_free(f->type, arr + k * f->type->size);
            free(arr);
            *(char **)m = NULL;
            *n = 0;
            break;
        }
        case CFG_CUSTOM:
            if (f->free)
                f->free(m);
            break;
        default:
            break;
        }
    }
}

/* Parses text into d->doc; d->file and d->dir are set. */
static int load_doc(cfgdec *d, const char *name, const char *text, size_t len,
                    heron_err *err)
{
    d->file = name;
    const char *slash = strrchr(name, '/');
    if (slash)
        snprintf(d->dir, sizeof d->dir, "%.*s", (int)(slash - name), name);
    else
        snprintf(d->dir, sizeof d->dir, ".");
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return err_set(err, HERON_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &d->doc)) {
        int rc = err_set(err, HERON_EINVAL, "%s:%zu: yaml: %s%s%s", name,
                         parser.problem_mark.line + 1,
                         parser.context ? parser.context : "",
                         parser.context ? ": " : "",
                         parser.problem ? parser.problem : "malformed YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    return 0;
}

int cfgdec_load_string(const char *name, const char *text, size_t len,
                       const cfg_type *t, void *obj, heron_err *err)
{
    cfgdec d;
    memset(obj, 0, t->size);
    int rc = load_doc(&d, name, text, len, err);
    if (rc < 0)
        return rc;
    rc = cfgdec_object(&d, yaml_document_get_root_node(&d.doc), t, obj, err);
    yaml_document_delete(&d.doc);
    if (rc < 0)
        cfgdec_free(t, obj);
    return rc;
}

int cfgdec_load_list_string(const char *name, const char *text, size_t len,
                            const cfg_type *t, void **arr, size_t *n,
                            heron_err *err)
{
    cfgdec d;
    *arr = NULL;
    *n = 0;
    int rc = load_doc(&d, name, text, len, err);
    if (rc < 0)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&d.doc);
    char *a = NULL;
    size_t count = 0;
    if (!cfgdec_is_null(root)) {
        rc = cfgdec_seq_check(&d, root, err);
        size_t len2 = rc == 0 ? (size_t)(root->data.sequence.items.top -
                                         root->data.sequence.items.start)
                              : 0;
        if (len2 > 0 && (a = calloc(len2, t->size)) == NULL)
            rc = err_set(err, HERON_ENOMEM, "out of memory");
        for (size_t i = 0; rc == 0 && i < len2; i++) {
            count = i + 1;
            rc = cfgdec_object(&d, cfgdec_seq_item(&d, root, i), t,
                               a + i * t->size, err);
        }
    }
    yaml_document_delete(&d.doc);
    if (rc < 0) {
        for (size_t i = 0; i < count; i++)
            cfgdec_free(t, a + i * t->size);
        free(a);
        return rc;
    }
    *arr = a;
    *n = count;
    return 0;
}

int cfgdec_read_file(const char *path, char **out, size_t *outlen,
                     heron_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, HERON_EIO, "open %s: %s", path, strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65537 > cap) {
            cap = cap ? cap * 2 : 65537 * 2;
            char *nd = realloc(data, cap);
            if (nd == NULL) {
                free(data);
                fclose(f);
                return err_set(err, HERON_ENOMEM, "out of memory reading %s", path);
            }
            data = nd;
        }
        size_t n = fread(data + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        return err_set(err, HERON_EIO, "read %s: I/O error", path);
    }
    data[len] = '\0';
    *out = data;
    *outlen = len;
    return 0;
}
