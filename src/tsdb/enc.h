/*
 * enc — little helpers to write and read varints and fixed-width integers
 * in byte buffers, shared by the WAL records and the block files. The
 * decoder is bounds-checked: reading past the end sets `bad` and returns 0,
 * so callers check once at the end. Header-only; thread-safe.
 */
#ifndef HERON_TSDB_ENC_H
#define HERON_TSDB_ENC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"

static inline int enc_uvarint(buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    return buf_append(b, tmp, n);
}

static inline int enc_varint(buf *b, int64_t v)
{
    return enc_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline int enc_u32(buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    return buf_append(b, t, 4);
}

static inline int enc_u64(buf *b, uint64_t v)
{
    int rc = enc_u32(b, (uint32_t)v);
    return rc ? rc : enc_u32(b, (uint32_t)(v >> 32));
}

static inline int enc_str(buf *b, const char *s)
{
    size_t n = strlen(s);
    int rc = enc_uvarint(b, n);
    return rc ? rc : buf_append(b, s, n);
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

typedef struct dec {
    const uint8_t *p, *end;
    int bad;
} dec;

static inline uint64_t dec_uvarint(dec *d)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (d->p >= d->end)
            break;
        uint8_t c = *d->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    d->bad = 1;
    return 0;
}

static inline int64_t dec_varint(dec *d)
{
    uint64_t z = dec_uvarint(d);
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static inline uint32_t dec_u32(dec *d)
{
    if (d->end - d->p < 4) {
        d->bad = 1;
        d->p = d->end;
        return 0;
    }
    uint32_t v = get_u32(d->p);
    d->p += 4;
    return v;
}

static inline uint64_t dec_u64(dec *d)
{
    uint64_t lo = dec_u32(d);
    return lo | (uint64_t)dec_u32(d) << 32;
}

/* A length-prefixed string: pointer into the buffer (not NUL-terminated). */
static inline const char *dec_bytes(dec *d, size_t *len)
{
    uint64_t n = dec_uvarint(d);
    if (d->bad || n > (uint64_t)(d->end - d->p)) {
        d->bad = 1;
        *len = 0;
        return NULL;
    }
    const char *s = (const char *)d->p;
    d->p += n;
    *len = (size_t)n;
    return s;
}

#endif
