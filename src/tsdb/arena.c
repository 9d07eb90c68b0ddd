/* arena — the per-query bump allocator (query.h). */
#include "tsdb/query.h"

#include <stdlib.h>

#define BLK_MIN (64u << 10)

typedef struct qarena_blk {
    struct qarena_blk *prev;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} qarena_blk;

void *qarena_alloc(qarena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    qarena_blk *b = a->blk;
    if (!b || b->size - b->used < n) {
        size_t size = n > BLK_MIN ? n : BLK_MIN;
        qarena_blk *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->prev = b;
        nb->used = 0;
        nb->size = size;
        a->blk = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void qarena_reset(qarena *a)
{
    qarena_blk *keep = a->blk;
    if (!keep)
        return;
    a->blk = keep->prev;
    qarena_free(a);
    keep->prev = NULL;
    keep->used = 0;
    a->blk = keep;
}

void qarena_free(qarena *a)
{
    for (qarena_blk *b = a->blk, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    a->blk = NULL;
}
