/*
 * cfgdec — decodes a YAML document into C structs described by field tables
 * (a declarative config map), strictly, the way Prometheus' YAML loading
 * behaves: unknown fields, duplicate keys, wrong node kinds and bad scalars
 * are errors that read "FILE:LINE: message".
 *
 * A cfg_type lists its fields: name, kind, offset of the member (and of its
 * count for lists). `init` sets defaults before decoding; `check` validates
 * the decoded object (and may resolve defaults that depend on others);
 * `fini`, when present, frees the object instead of the generic walk.
 * Null values (`key:` with nothing) leave the member at its default.
 *
 * Ownership: decoded strings, lists and label sets are malloc'd and belong
 * to the object; cfgdec_free releases them. Not thread-safe per decoder.
 */
#ifndef HERON_SCRAPE_CFGDEC_H
#define HERON_SCRAPE_CFGDEC_H

#include <stddef.h>
#include <yaml.h>

#include "heron.h"

typedef struct cfgdec cfgdec;

typedef enum cfg_kind {
    CFG_STRING,    /* char *; any scalar */
    CFG_BOOL,      /* int; true/false (and YAML 1.1's yes/no/on/off) */
    CFG_UINT,      /* uint64_t */
    CFG_FLOAT,     /* double */
    CFG_DURATION,  /* int64_t milliseconds, Prometheus notation */
    CFG_BYTES,     /* int64_t bytes ("512MB") */
    CFG_STRINGS,   /* char **, count at noff; a sequence of scalars */
    CFG_LABELS,    /* scrape_lset; mapping of valid label names to strings */
    CFG_MAP,       /* scrape_lset; mapping of any strings to strings */
    CFG_OBJECT,    /* embedded struct of `type` */
    CFG_LIST,      /* array of `type` structs, count at noff */
    CFG_CUSTOM     /* decode(d, node, member) */
} cfg_kind;

typedef struct cfg_type cfg_type;

typedef struct cfg_field {
    const char *name;
    cfg_kind kind;
    size_t off;
    size_t noff;
    const cfg_type *type;
    int (*decode)(cfgdec *d, yaml_node_t *node, void *member, heron_err *err);
    void (*free)(void *member); /* for CFG_CUSTOM */
} cfg_field;

struct cfg_type {
    const char *name; /* as errors name it: "scrape_config" */
    size_t size;
    const cfg_field *fields;
    size_t nfields;
    int (*init)(void *obj);
    int (*check)(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err);
    void (*fini)(void *obj);
};

#define CFG_NFIELDS(a) (sizeof(a) / sizeof *(a))

/* Decodes the YAML text into obj (of type t; obj is initialised here).
 * name is what errors call the file; its directory is what cfgdec_dir
 * gives checks that resolve relative paths. On failure obj is freed again.
 * An empty document is an empty mapping. */
int cfgdec_load_string(const char *name, const char *text, size_t len,
                       const cfg_type *t, void *obj, heron_err *err);
void cfgdec_free(const cfg_type *t, void *obj);
/* Decodes a document whose root is a sequence of t objects (file_sd
 * files) into a calloc'd array *arr of *n items (freed with cfgdec_free on
 * each and free). JSON is read as the YAML it also is. */
int cfgdec_load_list_string(const char *name, const char *text, size_t len,
                            const cfg_type *t, void **arr, size_t *n,
                            heron_err *err);
/* Reads a whole file into a malloc'd NUL-terminated buffer. */
int cfgdec_read_file(const char *path, char **data, size_t *len,
                     heron_err *err);

/* For checks and custom decoders. */
int cfgdec_errf(cfgdec *d, yaml_node_t *node, heron_err *err, int code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const char *cfgdec_dir(const cfgdec *d);
const char *cfgdec_file(const cfgdec *d);
/* The scalar of node or an error naming what was wanted. */
int cfgdec_scalar(cfgdec *d, yaml_node_t *node, const char *want,
                  const char **out, heron_err *err);
/* Decodes node as an object of type t into obj (initialising it). */
int cfgdec_object(cfgdec *d, yaml_node_t *node, const cfg_type *t, void *obj,
                  heron_err *err);
/* Iterates a sequence node: item i, or NULL at the end. NULL nodes and
 * non-sequences are reported by cfgdec_seq_check. */
int cfgdec_seq_check(cfgdec *d, yaml_node_t *node, heron_err *err);
yaml_node_t *cfgdec_seq_item(cfgdec *d, yaml_node_t *node, size_t i);
int cfgdec_is_null(yaml_node_t *node);
/* The node with this id in the document being decoded. */
yaml_node_t *cfgdec_node(cfgdec *d, int id);

#endif
