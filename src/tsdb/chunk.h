/*
 * chunk — the XOR (Gorilla) chunk codec: up to 65535 samples of one series.
 *
 * Layout: a 2-byte big-endian sample count, then a bit stream. Sample 0 is
 * its timestamp as a zig-zag LEB128 varint (written 8 bits at a time) and
 * its value's 64 bits. Every later sample stores the delta-of-delta of its
 * timestamp (the first delta counts against a previous delta of 0; deltas
 * wrap modulo 2^64, so any int64 sequence round-trips) in one of five
 * prefix-coded widths — '0' (0), '10'+14, '110'+17, '1110'+20, '1111'+64
 * bits — and its value XOR the previous value's bits: '0' when equal, '10'
 * + the meaningful bits when they fit the previous leading/trailing-zero
 * window, '11' + 5 bits of leading zeros (at most 31) + 6 bits of length
 * (0 meaning 64) + the bits otherwise. Values are bit-exact: NaN payloads,
 * the stale marker, -0.0 and infinities come back unchanged.
 *
 * The encoder writes into a caller-owned buffer and never allocates; the
 * caller keeps CHUNK_APPEND_ROOM free before each append (the buffer can be
 * moved with chunk_enc_rebase). The iterator reads a borrowed byte
 * range, bounds-checked: damaged bytes give HERON_EIO, never a crash.
 * Neither is thread-safe; a finished chunk's bytes may be read by any
 * number of iterators at once.
 */
#ifndef HERON_TSDB_CHUNK_H
#define HERON_TSDB_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/bitstream.h"

#define CHUNK_HDR_BYTES 2
/* The most bytes one append can add (varint t + 64-bit v, or 68+77 bits). */
#define CHUNK_SAMPLE_MAX_BYTES 20
/* Free bytes an encoder needs past chunk_enc_len() before each append,
 * and the size of a buffer that holds n samples: the bit writer stores
 * whole words, so both include 8 bytes of slack. */
#define CHUNK_APPEND_ROOM (CHUNK_SAMPLE_MAX_BYTES + 8)
#define CHUNK_BUF_BYTES(n) (CHUNK_HDR_BYTES + (n) * CHUNK_SAMPLE_MAX_BYTES + 8)
/* The head cuts a chunk at this many samples or CHUNK_TARGET_BYTES. */
#define CHUNK_MAX_SAMPLES 120
#define CHUNK_TARGET_BYTES 1024

/* 40 bytes, as the head keeps one per series. */
typedef struct chunk_enc {
    uint8_t *b;      /* the chunk's first byte */
    int64_t t;       /* last timestamp */
    uint64_t delta;  /* last timestamp delta (wrapping) */
    uint64_t vbits;  /* last value's bits */
    uint32_t nbits;  /* bits written, header included */
    uint16_t n;      /* samples so far */
    uint8_t lead;    /* current XOR window */
    uint8_t trail;   /* 0xff: no window yet */
} chunk_enc;

/* Starts an empty chunk in b (at least CHUNK_BUF_BYTES(1) long). */
void chunk_enc_init(chunk_enc *e, uint8_t *b);
/* Appends a sample. The caller guarantees CHUNK_APPEND_ROOM bytes of room
 * past chunk_enc_len() and fewer than 65535 samples. */
void chunk_enc_append(chunk_enc *e, int64_t t, double v);
/* Bytes in use, header included. */
static inline size_t chunk_enc_len(const chunk_enc *e)
{
    return (e->nbits + 7) >> 3;
}
/* The chunk's bytes moved to b (after a realloc). */
static inline void chunk_enc_rebase(chunk_enc *e, uint8_t *b)
{
    e->b = b;
}

typedef struct chunk_it {
    bitr r;
    int64_t t;
    uint64_t delta;
    uint64_t vbits;
    uint32_t n, i;   /* samples in the chunk, samples read */
    uint8_t sig, trail; /* XOR window: bits, trailing zeros (0xff: none) */
    int err;         /* HERON_EIO once damage was seen */
} chunk_it;

/* Reads the chunk in b[0..len). */
void chunk_it_init(chunk_it *it, const uint8_t *b, size_t len);
/* Number of samples the chunk claims (0 if it is too short to say). */
uint32_t chunk_count(const uint8_t *b, size_t len);
/* 1: positioned on the next sample; 0: end; HERON_EIO: damaged chunk. */
int chunk_it_next(chunk_it *it);
/* Decodes the whole chunk into ts[0..max) and vs[0..max) and returns the
 * sample count, or HERON_EIO when the chunk is damaged or holds more than
 * max samples. The fast path of queries. */
int chunk_decode(const uint8_t *b, size_t len, int64_t *ts, double *vs,
                 size_t max);
/* ---- encodings ------------------------------------------------------------
 *
 * Head chunks are always XOR. Blocks store each chunk in whichever of the
 * two encodings is smaller; the encoding byte travels with the chunk.
 *
 * The integer encoding (chunk_int.c) applies when every value of the chunk
 * is a decimal with at most 9 digits after the point whose scaled value
 * x = v * 10^e is an integer of at most 2^53 that converts back to the same
 * bits (so NaN, infinities and -0.0 never qualify). Layout: the 2-byte
 * sample count, then a bit stream: t0 as a zig-zag varint, the first delta
 * as a zig-zag varint, then the deltas-of-delta of the remaining
 * timestamps as a frame-of-reference stream (their minimum as a zig-zag
 * varint, a 7-bit width, a 6-bit shift, then each minus the minimum,
 * shifted right by the shift, at that width); e (4
 * bits), x0 as a zig-zag varint, one bit choosing deltas (0) or
 * deltas-of-delta (1) of x, and those n-1 numbers as a stream. Fixed
 * widths make decoding a branch-free unpack and prefix sum. Encoding 2
 * was the same with zig-zag fields and no minimum (older builds). */
enum { CHUNK_ENC_XOR = 1, CHUNK_ENC_INT = 3 };

/* Encodes n (1..CHUNK_MAX_SAMPLES) samples into out (cap bytes, which
 * CHUNK_BUF_BYTES(n) always satisfies) and returns the length, or 0 when
 * the values do not qualify or it might not fit. */
size_t chunk_int_encode(const int64_t *ts, const double *vs, size_t n,
                        uint8_t *out, size_t cap);
int chunk_int_decode(const uint8_t *b, size_t len, int64_t *ts, double *vs,
                     size_t max);
/* Lets chunk_int_decode use AVX2 where the CPU has it (the default), or
 * not: for tests, which check both paths; not thread-safe. */
void chunk_int_simd(int on);

/* Decodes a chunk of either encoding (HERON_EIO for an unknown one). */
static inline int chunk_decode_enc(uint8_t enc, const uint8_t *b, size_t len,
                                   int64_t *ts, double *vs, size_t max)
{
    if (enc == CHUNK_ENC_XOR)
        return chunk_decode(b, len, ts, vs, max);
    if (enc == CHUNK_ENC_INT)
        return chunk_int_decode(b, len, ts, vs, max);
    return -5; /* HERON_EIO */
}


#endif
