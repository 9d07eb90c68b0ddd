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
    e->w.b = b;
    put_count(b, 0);
    e->w.nbits = CHUNK_HDR_BYTES * 8;
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

static void put_xor(chunk_enc *e, uint64_t x)
{
    if (x == 0) {
        bitw_put(&e->w, 0, 1);
        return;
    }
    unsigned lead = (unsigned)__builtin_clzll(x);
    unsigned trail = (unsigned)__builtin_ctzll(x);
    if (lead > 31)
        lead = 31;
    if (e->trail != 0xff && lead >= e->lead && trail >= e->trail) {
        unsigned sig = 64u - e->lead - e->trail;
        bitw_put(&e->w, 2, 2);
        bitw_put(&e->w, x >> e->trail, sig);
        return;
    }
    unsigned sig = 64u - lead - trail;
    bitw_put(&e->w, 3, 2);
    bitw_put(&e->w, lead, 5);
    bitw_put(&e->w, sig & 63u, 6);
    bitw_put(&e->w, x >> trail, sig);
    e->lead = (uint8_t)lead;
    e->trail = (uint8_t)trail;
}

void chunk_enc_append(chunk_enc *e, int64_t t, double v)
{
    uint64_t vb;
    memcpy(&vb, &v, sizeof vb);
    if (e->n == 0) {
        uint64_t z = ((uint64_t)t << 1) ^ (uint64_t)(t >> 63);
        while (z >= 0x80) {
            bitw_put(&e->w, (z & 0x7f) | 0x80, 8);
            z >>= 7;
        }
        bitw_put(&e->w, z, 8);
        bitw_put(&e->w, vb, 64);
    } else {
        uint64_t delta = (uint64_t)t - (uint64_t)e->t;
        put_dod(&e->w, delta - e->delta);
        put_xor(e, vb ^ e->vbits);
        e->delta = delta;
    }
    e->t = t;
    e->vbits = vb;
    e->n++;
    put_count(e->w.b, e->n);
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
    it->trail = 0xff;
    if (len < CHUNK_HDR_BYTES)
        it->err = HERON_EIO;
}

static int read_first(chunk_it *it)
{
    uint64_t z = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (shift > 63)
            return HERON_EIO;
        uint64_t byte = bitr_get(&it->r, 8);
        z |= (byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
    }
    it->t = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    it->vbits = bitr_get64(&it->r);
    return 0;
}

static inline uint64_t sext(uint64_t x, unsigned n)
{
    return (uint64_t)((int64_t)(x << (64 - n)) >> (64 - n));
}

/* Reads n (1..64) bits. */
static inline uint64_t get_bits(bitr *r, unsigned n)
{
    if (n <= 56)
        return bitr_get(r, n);
    uint64_t hi = bitr_get(r, n - 32);
    return (hi << 32) | bitr_get(r, 32);
}

static inline int read_next(chunk_it *it)
{
    bitr *r = &it->r;
    uint64_t x = bitr_peek(r);
    uint64_t dod;
    if (!(x >> 63)) {
        dod = 0;
        r->pos += 1;
    } else if (!((x >> 62) & 1)) {
        dod = sext((x << 2) >> 50, 14);
        r->pos += 16;
    } else if (!((x >> 61) & 1)) {
        dod = sext((x << 3) >> 47, 17);
        r->pos += 20;
    } else if (!((x >> 60) & 1)) {
        dod = sext((x << 4) >> 44, 20);
        r->pos += 24;
    } else {
        r->pos += 4;
        dod = get_bits(r, 64);
    }
    it->delta += dod;
    it->t = (int64_t)((uint64_t)it->t + it->delta);

    x = bitr_peek(r);
    if (!(x >> 63)) {
        r->pos += 1;
    } else if (!((x >> 62) & 1)) {
        if (it->trail == 0xff)
            return HERON_EIO;
        unsigned sig = 64u - it->lead - it->trail;
        r->pos += 2;
        it->vbits ^= get_bits(r, sig) << it->trail;
    } else {
        unsigned lead = (unsigned)((x >> 57) & 31);
        unsigned sig = (unsigned)((x >> 51) & 63);
        if (sig == 0)
            sig = 64;
        if (lead + sig > 64)
            return HERON_EIO;
        r->pos += 13;
        it->lead = (uint8_t)lead;
        it->trail = (uint8_t)(64 - lead - sig);
        uint64_t bits = get_bits(r, sig);
        it->vbits ^= bits << it->trail;
    }
    return 0;
}

int chunk_it_next(chunk_it *it)
{
    if (it->err)
        return it->err;
    if (it->i >= it->n)
        return 0;
    int rc = it->i == 0 ? read_first(it) : read_next(it);
    if (rc == 0 && bitr_overrun(&it->r))
        rc = HERON_EIO;
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
    if (it.err)
        return it.err;
    if (it.n > max)
        return HERON_EIO;
    if (it.n == 0)
        return 0;
    if (read_first(&it) || bitr_overrun(&it.r))
        return HERON_EIO;
    ts[0] = it.t;
    memcpy(&vs[0], &it.vbits, 8);
    /* The loop keeps the state in locals; the reader's fast path needs 8
     * readable bytes, so the last few samples go through chunk_it. */
    const uint8_t *p = b;
    size_t pos = it.r.pos;
    size_t fast_end = len >= 8 ? (len - 8) * 8 : 0;
    int64_t t = it.t;
    uint64_t delta = 0, vbits = it.vbits;
    unsigned lead = 0, trail = 0xff;
    uint32_t i = 1, n = it.n;
    /* Each sample reads at most 4+64 + 13+64 bits in four peeks; stay in
     * the fast path while pos leaves a full sample's worth of bytes. */
    while (i < n && pos + 160 <= fast_end) {
        uint64_t x;
        memcpy(&x, p + (pos >> 3), 8);
        x = __builtin_bswap64(x) << (pos & 7);
        uint64_t dod;
        if (!(x >> 63)) {
            dod = 0;
            pos += 1;
        } else if (!((x >> 62) & 1)) {
            dod = sext((x << 2) >> 50, 14);
            pos += 16;
        } else if (!((x >> 61) & 1)) {
            dod = sext((x << 3) >> 47, 17);
            pos += 20;
        } else if (!((x >> 60) & 1)) {
            dod = sext((x << 4) >> 44, 20);
            pos += 24;
        } else {
            bitr r = {p, len, pos + 4};
            dod = get_bits(&r, 64);
            pos = r.pos;
        }
        delta += dod;
        t = (int64_t)((uint64_t)t + delta);
        memcpy(&x, p + (pos >> 3), 8);
        x = __builtin_bswap64(x) << (pos & 7);
        if (!(x >> 63)) {
            pos += 1;
        } else if (!((x >> 62) & 1)) {
            if (trail == 0xff)
                return HERON_EIO;
            unsigned sig = 64u - lead - trail;
            if (sig <= 55) {
                vbits ^= ((x << 2) >> (64 - sig)) << trail;
                pos += 2 + sig;
            } else {
                bitr r = {p, len, pos + 2};
                vbits ^= get_bits(&r, sig) << trail;
                pos = r.pos;
            }
        } else {
            unsigned l = (unsigned)((x >> 57) & 31);
            unsigned sig = (unsigned)((x >> 51) & 63);
            if (sig == 0)
                sig = 64;
            if (l + sig > 64)
                return HERON_EIO;
            lead = l;
            trail = 64 - l - sig;
            bitr r = {p, len, pos + 13};
            vbits ^= get_bits(&r, sig) << trail;
            pos = r.pos;
        }
        ts[i] = t;
        memcpy(&vs[i], &vbits, 8);
        i++;
    }
    /* Finish with the checked iterator from where the loop stopped. */
    it.r.pos = pos;
    it.t = t;
    it.delta = delta;
    it.vbits = vbits;
    it.lead = (uint8_t)lead;
    it.trail = (uint8_t)trail;
    it.i = i;
    while (it.i < n) {
        int rc = chunk_it_next(&it);
        if (rc != 1)
            return rc < 0 ? rc : HERON_EIO;
        ts[it.i - 1] = it.t;
        memcpy(&vs[it.i - 1], &it.vbits, 8);
    }
    if (bitr_overrun(&it.r))
        return HERON_EIO;
    return (int)n;
}
