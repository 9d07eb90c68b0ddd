/*
 * bitstream — MSB-first bit writer and reader for the chunk codecs.
 *
 * The writer appends into a caller-owned byte array of fixed capacity; the
 * caller makes sure there is room, plus 8 bytes of slack: the writer stores
 * whole 64-bit words (chunk.h's CHUNK_APPEND_ROOM and CHUNK_BUF_BYTES).
 * The reader never reads past `nbytes`: bits beyond the end read as zero and
 * set `overrun`, which decoders check once per sample. Header-only so the
 * decoder's inner loop inlines. Not thread-safe (plain values).
 */
#ifndef HERON_TSDB_BITSTREAM_H
#define HERON_TSDB_BITSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct bitw {
    uint8_t *b;
    size_t nbits; /* bits written so far */
} bitw;

/* Writes the low n bits of v, 1 <= n <= 56: merges them with the partial
 * byte and stores one big-endian word (bits past the end become 0). */
static inline void bitw_put_small(bitw *w, uint64_t v, unsigned n)
{
    size_t byte = w->nbits >> 3;
    unsigned used = (unsigned)(w->nbits & 7);
    uint64_t keep = used ? (uint64_t)(w->b[byte] >> (8 - used)) : 0;
    v &= (UINT64_C(1) << n) - 1;
    uint64_t x = __builtin_bswap64(((keep << n) | v) << (64 - used - n));
    memcpy(w->b + byte, &x, 8);
    w->nbits += n;
}

/* Writes the low n bits of v (0 <= n <= 64), most significant first. */
static inline void bitw_put(bitw *w, uint64_t v, unsigned n)
{
    if (n > 56) {
        bitw_put_small(w, v >> 32, n - 32);
        bitw_put_small(w, v & 0xffffffffu, 32);
    } else if (n > 0) {
        bitw_put_small(w, v, n);
    }
}

typedef struct bitr {
    const uint8_t *b;
    size_t nbytes;
    size_t pos; /* bit position */
} bitr;

/* The next 64 bits from pos (zeros past the end), without consuming. Only
 * the first 57 are guaranteed meaningful on the fast path. */
static inline uint64_t bitr_peek(const bitr *r)
{
    size_t byte = r->pos >> 3;
    uint64_t x;
    if (byte + 8 <= r->nbytes) {
        memcpy(&x, r->b + byte, 8);
        x = __builtin_bswap64(x);
    } else {
        x = 0;
        for (size_t i = 0; i < 8; i++)
            x = (x << 8) | (byte + i < r->nbytes ? r->b[byte + i] : 0);
    }
    return x << (r->pos & 7);
}

/* Reads n bits, 1 <= n <= 56. */
static inline uint64_t bitr_get(bitr *r, unsigned n)
{
    uint64_t v = bitr_peek(r) >> (64 - n);
    r->pos += n;
    return v;
}

static inline uint64_t bitr_get64(bitr *r)
{
    uint64_t hi = bitr_get(r, 32);
    return (hi << 32) | bitr_get(r, 32);
}

static inline int bitr_overrun(const bitr *r)
{
    return r->pos > r->nbytes * 8;
}

/* Reads a LEB128 varint stored as whole bytes in the bit stream (at most
 * 10); sets *bad when it does not end. Up to 7 bytes come from one peek. */
static inline uint64_t bitr_varint(bitr *r, int *bad)
{
    uint64_t z = 0;
    for (unsigned shift = 0; shift < 70;) {
        uint64_t x = bitr_peek(r);
        for (int k = 0; k < 7 && shift < 70; k++, shift += 7) {
            uint64_t byte = x >> 56;
            x <<= 8;
            r->pos += 8;
            z |= (byte & 0x7f) << shift;
            if (!(byte & 0x80))
                return z;
        }
    }
    *bad = 1;
    return 0;
}

/* ---- unchecked reads for decoders' inner loops ----------------------------
 *
 * bitf reads whole words with no bounds check per read. While pos < lim,
 * the BITF_SLACK bytes from byte pos >> 3 on lie inside the data; once pos
 * reaches lim, bitf_tail moves the reader onto a caller-owned copy of the
 * unread rest (at most BITF_SLACK bytes) padded with BITF_SLACK zero bytes,
 * where the same holds up to the end of the data. So a loop that reads at
 * most BITF_SLACK bytes per check never touches memory past the data, and
 * bits past the end read as zeros (the caller checks bitf_overrun once). */
#define BITF_SLACK 32

typedef struct bitf {
    const uint8_t *p; /* the data, or the tail copy */
    size_t pos;       /* bit position in p */
    size_t lim;       /* see above */
    size_t base;      /* bit offset of p[0] in the data */
} bitf;

static inline void bitf_init(bitf *f, const uint8_t *b, size_t nbytes,
                             size_t pos)
{
    f->p = b;
    f->pos = pos;
    f->base = 0;
    f->lim = nbytes >= BITF_SLACK ? (nbytes - BITF_SLACK) * 8 + 1 : 0;
}

/* Called once pos >= lim: continues in tail (2 * BITF_SLACK bytes) with
 * the rest of b[0..nbytes), where pos < lim again. -1 when already there
 * or past the end. */
static inline int bitf_tail(bitf *f, const uint8_t *b, size_t nbytes,
                            uint8_t *tail)
{
    size_t at = f->base + f->pos, from = at >> 3;
    if (f->p == tail || at > nbytes * 8)
        return -1;
    memcpy(tail, b + from, nbytes - from);
    memset(tail + (nbytes - from), 0, 2 * BITF_SLACK - (nbytes - from));
    f->p = tail;
    f->base = from * 8;
    f->pos = at - f->base;
    f->lim = (nbytes - from) * 8 + 1;
    return 0;
}

static inline int bitf_overrun(const bitf *f, size_t nbytes)
{
    return f->base + f->pos > nbytes * 8;
}

static inline uint64_t bitf_load_be64(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return __builtin_bswap64(x);
}

/* The next 64 bits at bit position pos of p; the first 57 are exact. */
static inline uint64_t bitf_peek57(const uint8_t *p, size_t pos)
{
    return bitf_load_be64(p + (pos >> 3)) << (pos & 7);
}

/* The next 64 bits at pos, all exact (reads 9 bytes). */
static inline uint64_t bitf_peek64(const uint8_t *p, size_t pos)
{
    unsigned sh = (unsigned)(pos & 7);
    return bitf_peek57(p, pos) | ((uint64_t)p[(pos >> 3) + 8] >> (8 - sh));
}

#endif
