/* arena — the per-query bump allocator declared in promql.h. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "promql/promql.h"

#define ARENA_BLOCK_MIN 4096

struct promql_arena_block {
    promql_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void promql_arena_init(promql_arena *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = cap;
}

static size_t arena_round(size_t n)
{
    size_t al = alignof(max_align_t);
    return (n + al - 1) & ~(al - 1);
}

void *promql_arena_alloc(promql_arena *a, size_t n)
{
    if (a->fail_after > 0 && --a->fail_after == 0)
        return NULL;
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    n = arena_round(n);
    if (a->cap && (a->used > a->cap || n > a->cap - a->used))
        return NULL;
    promql_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK_MIN ? n : ARENA_BLOCK_MIN;
        if (b && b->size * 2 > size && b->size < (1u << 20))
            size = b->size * 2;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    return p;
}

char *promql_arena_strndup(promql_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = promql_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void promql_arena_free(promql_arena *a)
{
    promql_arena_block *b = a->head;
    while (b) {
        promql_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}
