/* chunk_xor — encoder and iterator of the XOR chunk format (see chunk.h). */
#include "tsdb/chunk.h"

#include "heron.h"

static void put_count(uint8_t *b, uint16_t n)
{
    b[0] = (uint8_t)(n >> 8);
    b[1] = (uint8_t)n;
}

void chunk_enc_init(chunk_enc *e, uint8_t *b)
{
    memset(e, 0, sizeof *e);
    e->b = b;
    put_count(b, 0);
    e->nbits = CHUNK_HDR_BYTES * 8;
    e->trail = 0xff;
}

static void put_dod(bitw *w, uint64_t dod)
{
    int64_t s = (int64_t)dod;
    if (s == 0) {
        bitw_put(w, 0, 1);
    } else if (s >= -(1 << 13) && s < (1 << 13)) {
        bitw_put(w, 2, 2);
        bitw_put(w, dod, 14);
    } else if (s >= -(1 << 16) && s < (1 << 16)) {
        bitw_put(w, 6, 3);
        bitw_put(w, dod, 17);
    } else if (s >= -(1 << 19) && s < (1 << 19)) {
        bitw_put(w, 14, 4);
        bitw_put(w, dod, 20);
    } else {
        bitw_put(w, 15, 4);
        bitw_put(w, dod, 64);
    }
}

static void put_xor(chunk_enc *e, bitw *w, uint64_t x)
{
    if (x == 0) {
        bitw_put(w, 0, 1);
        return;
    }
    unsigned lead = (unsigned)__builtin_clzll(x);
    unsigned trail = (unsigned)__builtin_ctzll(x);
    if (lead > 31)
        lead = 31;
    if (e->trail != 0xff && lead >= e->lead && trail >= e->trail) {
        unsigned sig = 64u - e->lead - e->trail;
        bitw_put(w, 2, 2);
        bitw_put(w, x >> e->trail, sig);
        return;
    }
    unsigned sig = 64u - lead - trail;
    bitw_put(w, 3, 2);
    bitw_put(w, lead, 5);
    bitw_put(w, sig & 63u, 6);
    bitw_put(w, x >> trail, sig);
    e->lead = (uint8_t)lead;
    e->trail = (uint8_t)trail;
}

void chunk_enc_append(chunk_enc *e, int64_t t, double v)
{
    bitw wr = {e->b, e->nbits}, *w = &wr;
    uint64_t vb;
    memcpy(&vb, &v, sizeof vb);
    if (e->n == 0) {
        uint64_t z = ((uint64_t)t << 1) ^ (uint64_t)(t >> 63);
        while (z >= 0x80) {
            bitw_put(w, (z & 0x7f) | 0x80, 8);
            z >>= 7;
        }
        bitw_put(w, z, 8);
        bitw_put(w, vb, 64);
    } else {
        uint64_t delta = (uint64_t)t - (uint64_t)e->t;
        put_dod(w, delta - e->delta);
        put_xor(e, w, vb ^ e->vbits);
        e->delta = delta;
    }
    e->t = t;
    e->vbits = vb;
    e->n++;
    e->nbits = (uint32_t)w->nbits;
    put_count(e->b, e->n);
}

uint32_t chunk_count(const uint8_t *b, size_t len)
{
    return len < CHUNK_HDR_BYTES ? 0 : ((uint32_t)b[0] << 8) | b[1];
}

void chunk_it_init(chunk_it *it, const uint8_t *b, size_t len)
{
    memset(it, 0, sizeof *it);
    it->r.b = b;
    it->r.nbytes = len;
    it->r.pos = CHUNK_HDR_BYTES * 8;
    it->n = chunk_count(b, len);
    it->sig = 64;
    it->trail = 0xff; /* no window yet */
    if (len < CHUNK_HDR_BYTES)
        it->err = HERON_EIO;
}

static int read_first(chunk_it *it)
{
    int bad = 0;
    uint64_t z = bitr_varint(&it->r, &bad);
    it->t = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    it->vbits = bitr_get64(&it->r);
    return bad || bitr_overrun(&it->r) ? HERON_EIO : 0;
}

static inline uint64_t sext(uint64_t x, unsigned n)
{
    return (uint64_t)((int64_t)(x << (64 - n)) >> (64 - n));
}

/* Decodes the count samples after it's current one into ts/vs with the
 * state in locals: an inner loop over the chunk's own bytes while a sample
 * (at most 145 bits, read as whole words) cannot reach past them, then the
 * same loop over a zero-padded copy of the rest (bitf). Damage (a window
 * reused before one was set, a window wider than 64 bits, running past the
 * end) gives HERON_EIO at the end. */
static inline __attribute__((always_inline)) int
xor_run(chunk_it *it, uint32_t count, int64_t *ts, double *vs)
{
    const uint8_t *b = it->r.b;
    size_t len = it->r.nbytes;
    uint8_t tail[2 * BITF_SLACK];
    bitf f;
    bitf_init(&f, b, len, it->r.pos);
    int64_t t = it->t;
    uint64_t delta = it->delta, vbits = it->vbits;
    unsigned sig = it->sig, trail = it->trail, bad = 0;
    uint32_t i = 0;
    for (;;) {
        const uint8_t *p = f.p;
        size_t pos = f.pos, lim = f.lim;
        for (; i < count && pos < lim; i++) {
            uint64_t x = bitf_peek57(p, pos);
            uint64_t dod;
            unsigned used; /* bits of x the dod took */
            if (!(x >> 63)) {
                dod = 0;
                used = 1;
            } else if (!((x >> 62) & 1)) {
                dod = sext((x << 2) >> 50, 14);
                used = 16;
            } else if (!((x >> 61) & 1)) {
                dod = sext((x << 3) >> 47, 17);
                used = 20;
            } else if (!((x >> 60) & 1)) {
                dod = sext((x << 4) >> 44, 20);
                used = 24;
            } else {
                dod = bitf_peek64(p, pos + 4);
                used = 68;
            }
            delta += dod;
            t = (int64_t)((uint64_t)t + delta);

            /* The value's control bits follow in the same word (at least
             * 33 of its bits are left) unless the dod took 64 bits. */
            pos += used;
            unsigned avail = 57 - used;
            if (used <= 24) {
                x <<= used;
            } else {
                x = bitf_peek57(p, pos);
                avail = 57;
            }
            if (x >> 63) {
                unsigned hdr = 2;
                if ((x >> 62) & 1) { /* '11': a new window */
                    unsigned lead = (unsigned)(x >> 57) & 31;
                    sig = (((unsigned)(x >> 51) - 1) & 63) + 1; /* 0: 64 */
                    bad |= lead + sig > 64;
                    trail = (64 - lead - sig) & 63;
                    hdr = 13;
                } else {
                    bad |= trail >> 6; /* no window yet (0xff) */
                    trail &= 63;
                }
                /* The bits usually lie in the word at hand too. */
                pos += hdr;
                uint64_t bits = sig + hdr <= avail ? x << hdr
                                : sig <= 57     ? bitf_peek57(p, pos)
                                                : bitf_peek64(p, pos);
                vbits ^= (bits >> (64 - sig)) << trail;
                pos += sig;
            } else {
                pos += 1;
            }
            ts[i] = t;
            memcpy(&vs[i], &vbits, sizeof vbits);
        }
        f.pos = pos;
        if (i == count)
            break;
        if (bitf_tail(&f, b, len, tail)) {
            bad = 1;
            break;
        }
    }
    it->r.pos = f.base + f.pos;
    it->t = t;
    it->delta = delta;
    it->vbits = vbits;
    it->sig = (uint8_t)sig;
    it->trail = (uint8_t)trail;
    return bad || bitf_overrun(&f, len) ? HERON_EIO : 0;
}

int chunk_it_next(chunk_it *it)
{
    if (it->err)
        return it->err;
    if (it->i >= it->n)
        return 0;
    int64_t t;
    double v;
    int rc = it->i == 0 ? read_first(it) : xor_run(it, 1, &t, &v);
    if (rc) {
        it->err = rc;
        return rc;
    }
    it->i++;
    return 1;
}

int chunk_decode(const uint8_t *b, size_t len, int64_t *ts, double *vs,
                 size_t max)
{
    chunk_it it;
    chunk_it_init(&it, b, len);
    if (it.err || it.n > max)
        return HERON_EIO;
    if (it.n == 0)
        return 0;
    if (read_first(&it))
        return HERON_EIO;
    ts[0] = it.t;
    memcpy(&vs[0], &it.vbits, 8);
    if (xor_run(&it, it.n - 1, ts + 1, vs + 1))
        return HERON_EIO;
    return (int)it.n;
}
