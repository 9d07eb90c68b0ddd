/* intern — sharded hash set of reference-counted strings. */
#include "tsdb/intern.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "heron.h"

#define SHARDS 64

typedef struct ientry {
    struct ientry *next;
    uint64_t hash;
    uint32_t refs;
    char s[];
} ientry;

typedef struct ishard {
    pthread_mutex_t mu;
    ientry **b;
    size_t nb, n;
    size_t bytes;
} ishard;

struct intern {
    ishard sh[SHARDS];
};

int intern_new(intern **out)
{
    intern *in = calloc(1, sizeof *in);
    if (!in)
        return HERON_ENOMEM;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&in->sh[i].mu, NULL);
    *out = in;
    return 0;
}

void intern_free(intern *in)
{
    if (!in)
        return;
    for (int i = 0; i < SHARDS; i++) {
        ishard *s = &in->sh[i];
        for (size_t b = 0; b < s->nb; b++)
            for (ientry *e = s->b[b], *nx; e; e = nx) {
                nx = e->next;
                free(e);
            }
        free(s->b);
        pthread_mutex_destroy(&s->mu);
    }
    free(in);
}

static int grow(ishard *s)
{
    size_t nb = s->nb ? s->nb * 2 : 64;
    ientry **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < s->nb; i++)
        for (ientry *e = s->b[i], *nx; e; e = nx) {
            nx = e->next;
            e->next = b[(e->hash >> 6) & (nb - 1)];
            b[(e->hash >> 6) & (nb - 1)] = e;
        }
    free(s->b);
    s->b = b;
    s->nb = nb;
    return 0;
}

const char *intern_get(intern *in, const char *str)
{
    size_t len = strlen(str);
    uint64_t h = XXH3_64bits(str, len);
    ishard *s = &in->sh[h % SHARDS];
    pthread_mutex_lock(&s->mu);
    if (s->nb) {
        for (ientry *e = s->b[(h >> 6) & (s->nb - 1)]; e; e = e->next)
            if (e->hash == h && strcmp(e->s, str) == 0) {
                e->refs++;
                pthread_mutex_unlock(&s->mu);
                return e->s;
            }
    }
    if (s->n >= s->nb && grow(s)) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    ientry *e = malloc(sizeof *e + len + 1);
    if (!e) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    e->hash = h;
    e->refs = 1;
    memcpy(e->s, str, len + 1);
    /* Buckets are chosen by the bits above the shard selector. */
    e->next = s->b[(h >> 6) & (s->nb - 1)];
    s->b[(h >> 6) & (s->nb - 1)] = e;
    s->n++;
    s->bytes += sizeof *e + len + 1;
    pthread_mutex_unlock(&s->mu);
    return e->s;
}

void intern_put(intern *in, const char *str)
{
    ientry *target = (ientry *)(void *)(str - offsetof(ientry, s));
    ishard *s = &in->sh[target->hash % SHARDS];
    pthread_mutex_lock(&s->mu);
    if (--target->refs == 0) {
        ientry **pp = &s->b[(target->hash >> 6) & (s->nb - 1)];
        while (*pp != target)
            pp = &(*pp)->next;
        *pp = target->next;
        s->n--;
        s->bytes -= sizeof *target + strlen(target->s) + 1;
        free(target);
    }
    pthread_mutex_unlock(&s->mu);
}

size_t intern_bytes(intern *in)
{
    size_t total = 0;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&in->sh[i].mu);
        total += in->sh[i].bytes + in->sh[i].nb * sizeof(ientry *);
        pthread_mutex_unlock(&in->sh[i].mu);
    }
    return total;
}
