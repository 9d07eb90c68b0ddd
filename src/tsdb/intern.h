/*
 * intern — reference-counted string interning for the head's labels.
 *
 * Every label name and value of a head series is stored once, however many
 * series use it. intern_get returns a pointer that stays valid until the
 * matching intern_put; equal strings get the same pointer, so the head's
 * postings compare label strings by pointer. Thread-safe: 64 shards, each
 * with its own mutex.
 */
#ifndef HERON_TSDB_INTERN_H
#define HERON_TSDB_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct intern intern;

int intern_new(intern **out);
/* Frees every string; all pointers handed out become invalid. */
void intern_free(intern *in);
/* The interned copy of s (one more reference), or NULL without memory. */
const char *intern_get(intern *in, const char *s);
/* Drops one reference to an interned pointer. */
void intern_put(intern *in, const char *s);
/* Bytes held (strings and entries), for stats. */
size_t intern_bytes(intern *in);

#endif
