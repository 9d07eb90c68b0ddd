/*
 * block_write — writing a block from a series set: chunks first (samples
 * re-encoded, at most CHUNK_MAX_SAMPLES per chunk, gathered into zstd
 * pages), then the index, then meta.json, all in DIR/<id>.tmp, synced and
 * renamed into place.
 */
#include "tsdb/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_literalCompressionMode */
#include <zstd.h>

#include "core/err.h"
#include "core/hclock.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"
#include "tsdb/crc32c.h"
#include "tsdb/enc.h"
#include "tsdb/postings.h"

void block_new_id(char out[BLOCK_ID_LEN + 1])
{
    static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    uint64_t ms = (uint64_t)(hclock_wall_ns() / 1000000);
    uint8_t rnd[10];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        for (size_t i = 0; i < sizeof rnd; i++)
            rnd[i] = (uint8_t)(hclock_mono_ns() >> (i * 3));
    for (int i = 9; i >= 0; i--) {
        out[i] = alpha[ms & 31];
        ms >>= 5;
    }
    /* 80 random bits as 16 characters. */
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 5; i++)
        hi = hi << 8 | rnd[i];
    for (int i = 5; i < 10; i++)
        lo = lo << 8 | rnd[i];
    for (int i = 17; i >= 10; i--) {
        out[i] = alpha[hi & 31];
        hi >>= 5;
    }
    for (int i = 25; i >= 18; i--) {
        out[i] = alpha[lo & 31];
        lo >>= 5;
    }
    out[BLOCK_ID_LEN] = 0;
}

typedef struct wchunk {
    int64_t mint, maxt;
    uint64_t ref;
} wchunk;

typedef struct wseries {
    const tsdb_label *ls;
    size_t nls;
    size_t first, n; /* range in the chunk meta array */
} wseries;

typedef struct writer {
    char dir[4096];
    heron_err *err;
    /* chunk files: records gather in page, pages go compressed to cbuf */
    int cfd;
    uint32_t cfile;
    uint64_t coff; /* file offset of the next frame */
    buf cbuf;
    buf page;
    ZSTD_CCtx *zc;
    /* collected series */
    wseries *series;
    size_t nseries, cap_series;
    wchunk *chunks;
    size_t nchunks, cap_chunks;
    uint64_t nsamples;
    const char **syms;
    size_t nsyms, cap_syms;
    int64_t mint, maxt;
} writer;

static int write_all(int fd, const void *p, size_t n, const char *what,
                     heron_err *err)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return err_set(err, HERON_EIO, "write %s: %s", what, strerror(errno));
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sync_close(int fd, const char *what, heron_err *err)
{
    int rc = fsync(fd) ? err_set(err, HERON_EIO, "fsync %s: %s", what, strerror(errno)) : 0;
    close(fd);
    return rc;
}

static int chunk_file_open(writer *w)
{
    char path[4200];
    w->cfile++;
    snprintf(path, sizeof path, "%s/chunks/%06u", w->dir, w->cfile);
    w->cfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->cfd < 0)
        return err_set(w->err, HERON_EIO, "create %s: %s", path, strerror(errno));
    w->coff = BF_HDR;
    buf_reset(&w->cbuf);
    buf_reset(&w->page);
    return buf_append(&w->cbuf, BF_CHUNKS_HDR, BF_HDR);
}

/* Compresses the page into one frame at the end of cbuf. */
static int page_flush(writer *w)
{
    if (w->page.len == 0)
        return 0;
    size_t bound = ZSTD_compressBound(w->page.len);
    if (buf_reserve(&w->cbuf, BF_FRAME_HDR + bound))
        return err_set(w->err, HERON_ENOMEM, "out of memory");
    uint8_t *f = (uint8_t *)w->cbuf.data + w->cbuf.len;
    size_t n = ZSTD_compress2(w->zc, f + BF_FRAME_HDR, bound, w->page.data,
                              w->page.len);
    if (ZSTD_isError(n))
        return err_set(w->err, HERON_EIO, "zstd: %s", ZSTD_getErrorName(n));
    put_u32(f, (uint32_t)w->page.len);
    put_u32(f + 4, (uint32_t)n);
    put_u32(f + 8, crc32c(0, f + BF_FRAME_HDR, n));
    w->cbuf.len += BF_FRAME_HDR + n;
    w->coff += BF_FRAME_HDR + n;
    buf_reset(&w->page);
    return 0;
}

static int chunk_flush(writer *w)
{
    int rc = write_all(w->cfd, w->cbuf.data, w->cbuf.len, "chunk file", w->err);
    buf_reset(&w->cbuf);
    return rc;
}

static int chunk_file_close(writer *w)
{
    int rc = page_flush(w);
    if (rc == 0)
        rc = chunk_flush(w);
    int rc2 = sync_close(w->cfd, "chunk file", w->err);
    w->cfd = -1;
    return rc ? rc : rc2;
}

static int put_chunk(writer *w, uint8_t enc, const uint8_t *b, size_t len,
                     int64_t mint, int64_t maxt)
{
    int rc;
    if (w->page.len >= BF_PAGE && (rc = page_flush(w)))
        return rc;
    if (w->page.len == 0 && w->coff + BF_FRAME_HDR + BF_PAGE_MAX > BF_CHUNK_FILE_MAX) {
        if ((rc = chunk_file_close(w)) || (rc = chunk_file_open(w)))
            return rc;
    }
    if (w->nchunks == w->cap_chunks) {
        size_t cap = w->cap_chunks ? w->cap_chunks * 2 : 1024;
        wchunk *c = realloc(w->chunks, cap * sizeof *c);
        if (!c)
            return err_set(w->err, HERON_ENOMEM, "out of memory");
        w->chunks = c;
        w->cap_chunks = cap;
    }
    /* ref: file << 48 | frame offset << 16 | offset in the page */
    w->chunks[w->nchunks++] =
        (wchunk){mint, maxt, (uint64_t)w->cfile << 48 | w->coff << 16 | w->page.len};
    if (enc_uvarint(&w->page, len) || buf_append(&w->page, &enc, 1) ||
        buf_append(&w->page, b, len) ||
        enc_u32(&w->page, crc32c(crc32c(0, &enc, 1), b, len)))
        return err_set(w->err, HERON_ENOMEM, "out of memory");
    if (mint < w->mint)
        w->mint = mint;
    if (maxt > w->maxt)
        w->maxt = maxt;
    return w->cbuf.len > (1u << 20) ? chunk_flush(w) : 0;
}

static int add_sym(writer *w, const char *s)
{
    if (w->nsyms == w->cap_syms) {
        size_t cap = w->cap_syms ? w->cap_syms * 2 : 1024;
        const char **v = realloc(w->syms, cap * sizeof *v);
        if (!v)
            return HERON_ENOMEM;
        w->syms = v;
        w->cap_syms = cap;
    }
    w->syms[w->nsyms++] = s;
    return 0;
}

/* Stores the chunk in e, or its integer encoding when that is smaller. */
static int flush_chunk(writer *w, const chunk_enc *e, const int64_t *ts,
                       const double *vs, int64_t cmin)
{
    uint8_t ib[CHUNK_BUF_BYTES(CHUNK_MAX_SAMPLES)];
    size_t xl = chunk_enc_len(e);
    size_t il = chunk_int_encode(ts, vs, e->n, ib, sizeof ib);
    if (il && il < xl)
        return put_chunk(w, CHUNK_ENC_INT, ib, il, cmin, e->t);
    return put_chunk(w, CHUNK_ENC_XOR, e->b, xl, cmin, e->t);
}

/* Re-encodes one series' samples in [mint, maxt) into chunks. */
static int write_series(writer *w, tsdb_series_set *set, int64_t mint,
                        int64_t maxt)
{
    size_t nls;
    const tsdb_label *ls = tsdb_series_set_labels(set, &nls);
    tsdb_iterator *it = tsdb_series_set_iterator(set);
    uint8_t cb[CHUNK_BUF_BYTES(CHUNK_MAX_SAMPLES)];
    chunk_enc e;
    chunk_enc_init(&e, cb);
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    size_t first = w->nchunks;
    int64_t cmin = 0, t;
    double v;
    int rc = tsdb_iterator_seek(it, mint);
    while (rc == 1) {
        tsdb_iterator_at(it, &t, &v);
        if (t >= maxt)
            break;
        if (e.n == 0)
            cmin = t;
        ts[e.n] = t;
        vs[e.n] = v;
        chunk_enc_append(&e, t, v);
        w->nsamples++;
        if (e.n == CHUNK_MAX_SAMPLES) {
            if ((rc = flush_chunk(w, &e, ts, vs, cmin)))
                return rc;
            chunk_enc_init(&e, cb);
        }
        rc = tsdb_iterator_next(it);
    }
    if (rc < 0)
        return err_set(w->err, rc, "reading series for the new block: %s",
                       tsdb_series_set_err(set)->code ? tsdb_series_set_err(set)->msg
                                                      : heron_strerror(rc));
    if (e.n && (rc = flush_chunk(w, &e, ts, vs, cmin)))
        return rc;
    if (w->nchunks == first)
        return 0;
    if (w->nseries == w->cap_series) {
        size_t cap = w->cap_series ? w->cap_series * 2 : 1024;
        wseries *s = realloc(w->series, cap * sizeof *s);
        if (!s)
            return err_set(w->err, HERON_ENOMEM, "out of memory");
        w->series = s;
        w->cap_series = cap;
    }
    w->series[w->nseries++] = (wseries){ls, nls, first, w->nchunks - first};
    for (size_t i = 0; i < nls; i++)
        if (add_sym(w, ls[i].name) || add_sym(w, ls[i].value))
            return err_set(w->err, HERON_ENOMEM, "out of memory");
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint32_t sym_idx(const writer *w, const char *s)
{
    size_t lo = 0, hi = w->nsyms;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        int c = strcmp(w->syms[m], s);
        if (c == 0)
            return (uint32_t)m;
        if (c < 0)
            lo = m + 1;
        else
            hi = m;
    }
    return 0; /* not reached: every label string was added */
}

typedef struct pair {
    uint32_t name, value;
    uint64_t id;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->name != y->name)
        return x->name < y->name ? -1 : 1;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int write_index(writer *w)
{
    buf out;
    buf_init(&out, 0);
    uint64_t off[4];
    pair *pairs = NULL;
    int rc = buf_append(&out, BF_INDEX_HDR, BF_HDR);
    /* Symbols, with "" for the all-series postings. */
    if (!rc)
        rc = add_sym(w, "");
    if (!rc && w->nsyms) {
        qsort(w->syms, w->nsyms, sizeof *w->syms, str_cmp);
        size_t k = 1;
        for (size_t i = 1; i < w->nsyms; i++)
            if (strcmp(w->syms[i], w->syms[k - 1]))
                w->syms[k++] = w->syms[i];
        w->nsyms = k;
    }
    off[0] = out.len;
    if (!rc)
        rc = enc_u32(&out, (uint32_t)w->nsyms);
    for (size_t i = 0; i < w->nsyms && !rc; i++)
        rc = buf_append(&out, w->syms[i], strlen(w->syms[i]) + 1);
    /* Series; the id of a series is the offset of its entry. */
    off[1] = out.len;
    size_t npairs = 0;
    for (size_t i = 0; i < w->nseries; i++)
        npairs += w->series[i].nls + 1;
    if (!rc && !(pairs = malloc((npairs + 1) * sizeof *pairs)))
        rc = HERON_ENOMEM;
    size_t np = 0;
    uint32_t empty = rc ? 0 : sym_idx(w, "");
    for (size_t i = 0; i < w->nseries && !rc; i++) {
        const wseries *s = &w->series[i];
        uint64_t id = out.len;
        rc = enc_uvarint(&out, s->nls);
        for (size_t j = 0; j < s->nls && !rc; j++) {
            uint32_t n = sym_idx(w, s->ls[j].name), v = sym_idx(w, s->ls[j].value);
            rc = enc_uvarint(&out, n);
            if (!rc)
                rc = enc_uvarint(&out, v);
            pairs[np++] = (pair){n, v, id};
        }
        pairs[np++] = (pair){empty, empty, id};
        if (!rc)
            rc = enc_uvarint(&out, s->n);
        int64_t prev = 0;
        for (size_t j = 0; j < s->n && !rc; j++) {
            const wchunk *c = &w->chunks[s->first + j];
            rc = enc_varint(&out, c->mint - prev);
            if (!rc)
                rc = enc_uvarint(&out, (uint64_t)(c->maxt - c->mint));
            if (!rc)
                rc = enc_uvarint(&out, c->ref);
            prev = c->maxt;
        }
    }
    /* Postings lists, then the table that finds them. */
    off[2] = out.len;
    buf tab;
    buf_init(&tab, 0);
    uint32_t ntab = 0;
    if (!rc)
        qsort(pairs, np, sizeof *pairs, pair_cmp);
    for (size_t i = 0; i < np && !rc;) {
        size_t j = i;
        while (j < np && pairs[j].name == pairs[i].name && pairs[j].value == pairs[i].value)
            j++;
        rc = enc_uvarint(&tab, pairs[i].name);
        if (!rc)
            rc = enc_uvarint(&tab, pairs[i].value);
        if (!rc)
            rc = enc_uvarint(&tab, out.len);
        if (!rc)
            rc = enc_uvarint(&out, j - i);
        uint64_t prev = 0;
        for (size_t k = i; k < j && !rc; k++) {
            rc = enc_uvarint(&out, pairs[k].id - prev);
            prev = pairs[k].id;
        }
        ntab++;
        i = j;
    }
    off[3] = out.len;
    if (!rc)
        rc = enc_u32(&out, ntab);
    if (!rc)
        rc = buf_append(&out, tab.data ? tab.data : "", tab.len);
    buf_free(&tab);
    free(pairs);
    /* Table of contents. */
    uint64_t end = out.len;
    uint64_t bounds[5] = {off[0], off[1], off[2], off[3], end};
    size_t toc = out.len;
    for (int i = 0; i < 4 && !rc; i++)
        rc = enc_u64(&out, off[i]);
    for (int i = 0; i < 4 && !rc; i++)
        rc = enc_u32(&out, crc32c(0, out.data + bounds[i], bounds[i + 1] - bounds[i]));
    if (!rc)
        rc = enc_u32(&out, crc32c(0, out.data + toc, out.len - toc));
    if (rc) {
        buf_free(&out);
        return err_set(w->err, HERON_ENOMEM, "out of memory writing the index");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/index", w->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = err_set(w->err, HERON_EIO, "create %s: %s", path, strerror(errno));
    if (!rc)
        rc = write_all(fd, out.data, out.len, path, w->err);
    if (fd >= 0 && sync_close(fd, path, w->err) && !rc)
        rc = HERON_EIO;
    buf_free(&out);
    return rc;
}

static int write_meta(writer *w, const char *id, int64_t mint, int64_t maxt,
                      int level)
{
    char path[4200], js[1024];
    snprintf(path, sizeof path, "%s/meta.json", w->dir);
    int n = snprintf(js, sizeof js,
                     "{\n  \"ulid\":\"%s\",\n  \"minTime\":%lld,\n  \"maxTime\":%lld,\n"
                     "  \"stats\":{\"numSamples\":%llu,\"numSeries\":%zu,\"numChunks\":%zu},\n"
                     "  \"compaction\":{\"level\":%d},\n  \"version\":1,\n"
                     "  \"format\":\"heron-tsdb-1\"\n}\n",
                     id, (long long)mint, (long long)maxt,
                     (unsigned long long)w->nsamples, w->nseries, w->nchunks, level);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(w->err, HERON_EIO, "create %s: %s", path, strerror(errno));
    int rc = write_all(fd, js, (size_t)n, path, w->err);
    int rc2 = sync_close(fd, path, w->err);
    return rc ? rc : rc2;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int block_write(const char *parent, tsdb_series_set *set, int64_t mint,
                int64_t maxt, int level, char id_out[BLOCK_ID_LEN + 1],
                int *empty, heron_err *err)
{
    writer w = {.err = err, .cfd = -1, .mint = INT64_MAX, .maxt = INT64_MIN};
    buf_init(&w.cbuf, 0);
    buf_init(&w.page, 0);
    if (!(w.zc = ZSTD_createCCtx()))
        return err_set(err, HERON_ENOMEM, "out of memory");
    size_t zr = ZSTD_CCtx_setParameter(w.zc, ZSTD_c_compressionLevel, BF_ZSTD_LEVEL);
    if (ZSTD_isError(zr)) {
        ZSTD_freeCCtx(w.zc);
        return err_set(err, HERON_EIO, "zstd: %s", ZSTD_getErrorName(zr));
    }
    /* Literals stay raw: chunk bits are close to random bytes, which
     * Huffman coding hardly shrinks but makes reading a page about 1.4x
     * slower. Only a speed preference, so a zstd without it is fine. */
    ZSTD_CCtx_setParameter(w.zc, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
    char id[BLOCK_ID_LEN + 1], final[4200], chunks[4300];
    block_new_id(id);
    snprintf(w.dir, sizeof w.dir, "%s/%s.tmp", parent, id);
    snprintf(final, sizeof final, "%s/%s", parent, id);
    snprintf(chunks, sizeof chunks, "%s/chunks", w.dir);
    *empty = 0;
    int rc = 0;
    if (mkdir(w.dir, 0755) || mkdir(chunks, 0755))
        rc = err_set(err, HERON_EIO, "mkdir %s: %s", chunks, strerror(errno));
    if (!rc)
        rc = chunk_file_open(&w) ? (err && err->code ? err->code : HERON_EIO) : 0;
    while (!rc && tsdb_series_set_next(set) == 1)
        rc = write_series(&w, set, mint, maxt);
    if (!rc)
        rc = chunk_file_close(&w);
    if (!rc && w.nseries == 0)
        *empty = 1;
    if (!rc && !*empty)
        rc = write_index(&w);
    if (!rc && !*empty)
        rc = write_meta(&w, id, mint, maxt, level);
    if (!rc && !*empty) {
        sync_dir(chunks);
        sync_dir(w.dir);
        if (rename(w.dir, final))
            rc = err_set(err, HERON_EIO, "rename %s: %s", w.dir, strerror(errno));
        else
            sync_dir(parent);
    }
    if (w.cfd >= 0)
        close(w.cfd);
    if (rc || *empty)
        block_remove_dir(w.dir);
    buf_free(&w.cbuf);
    buf_free(&w.page);
    ZSTD_freeCCtx(w.zc);
    free(w.series);
    free(w.chunks);
    free(w.syms);
    if (!rc)
        memcpy(id_out, id, sizeof id);
    return rc;
}
