/* block — opening and reading blocks; tombstones (block.h). */
#include "tsdb/block.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "core/err.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"
#include "tsdb/crc32c.h"
#include "tsdb/dirsize.h"
#include "tsdb/enc.h"

typedef struct ptab_ent {
    uint32_t name, value; /* symbol indices */
    uint64_t off;         /* postings list offset */
} ptab_ent;

typedef struct tomb_ent {
    uint64_t id;
    int64_t mint, maxt;
} tomb_ent;

typedef struct mapped {
    uint8_t *p;
    size_t len;
} mapped;

struct block {
    char *dir;
    block_meta meta;
    mapped index;
    mapped *chunks;
    size_t nchunks;
    const char **syms;
    uint32_t nsyms;
    ptab_ent *ptab;
    size_t nptab;
    uint64_t series_lo, series_hi, post_lo, post_hi;
    tomb_ent *tombs;
    size_t ntombs;
    uint64_t bytes;
};

static int map_file(const char *path, mapped *m, heron_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, HERON_EIO, "open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || st.st_size == 0) {
        close(fd);
        return err_set(err, HERON_EIO, "%s: empty or unreadable", path);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return err_set(err, HERON_EIO, "map %s: %s", path, strerror(errno));
    m->p = p;
    m->len = (size_t)st.st_size;
    return 0;
}

static int read_small(const char *path, char **out, size_t max, heron_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, HERON_EIO, "open %s: %s", path, strerror(errno));
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max, f) : 0;
    fclose(f);
    if (!b)
        return err_set(err, HERON_ENOMEM, "out of memory");
    b[n] = 0;
    *out = b;
    return 0;
}

static int json_int(const char *js, const char *key, int64_t *v)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    if (!p)
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(p + strlen(pat), &end, 10);
    if (errno || end == p + strlen(pat))
        return -1;
    *v = x;
    return 0;
}

static int load_meta(block *b, heron_err *err)
{
    char path[4096], *js;
    snprintf(path, sizeof path, "%s/meta.json", b->dir);
    int rc = read_small(path, &js, 1 << 20, err);
    if (rc)
        return rc;
    int64_t ns = 0, nsa = 0, nc = 0, lvl = 1;
    const char *id = strstr(js, "\"ulid\":\"");
    if (json_int(js, "minTime", &b->meta.mint) ||
        json_int(js, "maxTime", &b->meta.maxt) || !id ||
        strlen(id) < 8 + BLOCK_ID_LEN || id[8 + BLOCK_ID_LEN] != '"' ||
        b->meta.mint > b->meta.maxt) {
        free(js);
        return err_set(err, HERON_EIO, "%s: malformed meta (ulid, minTime, maxTime)",
                       path);
    }
    json_int(js, "numSeries", &ns);
    json_int(js, "numSamples", &nsa);
    json_int(js, "numChunks", &nc);
    json_int(js, "level", &lvl);
    memcpy(b->meta.id, id + 8, BLOCK_ID_LEN);
    b->meta.id[BLOCK_ID_LEN] = 0;
    b->meta.nseries = (uint64_t)ns;
    b->meta.nsamples = (uint64_t)nsa;
    b->meta.nchunks = (uint64_t)nc;
    b->meta.level = (int)lvl;
    free(js);
    return 0;
}

static int load_index(block *b, heron_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index", b->dir);
    int rc = map_file(path, &b->index, err);
    if (rc)
        return rc;
    const uint8_t *p = b->index.p;
    size_t len = b->index.len;
    if (len < BF_HDR + BF_TOC || memcmp(p, BF_INDEX_HDR, BF_HDR))
        return err_set(err, HERON_EIO, "%s: not a heron index (magic/version)", path);
    const uint8_t *toc = p + len - BF_TOC;
    if (crc32c(0, toc, BF_TOC - 4) != get_u32(toc + BF_TOC - 4))
        return err_set(err, HERON_EIO, "%s: table of contents checksum mismatch", path);
    uint64_t off[5];
    for (int i = 0; i < 4; i++)
        off[i] = (uint64_t)get_u32(toc + i * 8) | (uint64_t)get_u32(toc + i * 8 + 4) << 32;
    off[4] = len - BF_TOC;
    for (int i = 0; i < 4; i++) {
        if (off[i] < BF_HDR || off[i] > off[i + 1])
            return err_set(err, HERON_EIO, "%s: section %d offset %llu out of range",
                           path, i, (unsigned long long)off[i]);
        if (crc32c(0, p + off[i], off[i + 1] - off[i]) != get_u32(toc + 32 + i * 4))
            return err_set(err, HERON_EIO, "%s: section %d checksum mismatch at offset %llu",
                           path, i, (unsigned long long)off[i]);
    }
    /* Symbols: u32 count, then NUL-terminated strings. */
    dec d = {p + off[0], p + off[1], 0};
    uint32_t ns = dec_u32(&d);
    if (d.bad || ns > (uint64_t)(d.end - d.p))
        return err_set(err, HERON_EIO, "%s: bad symbol count", path);
    b->syms = malloc(((size_t)ns + 1) * sizeof *b->syms);
    if (!b->syms)
        return err_set(err, HERON_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *z = memchr(d.p, 0, (size_t)(d.end - d.p));
        if (!z)
            return err_set(err, HERON_EIO, "%s: symbol %u not terminated", path, i);
        b->syms[i] = (const char *)d.p;
        if (i && strcmp(b->syms[i - 1], b->syms[i]) >= 0)
            return err_set(err, HERON_EIO, "%s: symbols not sorted at %u", path, i);
        d.p = z + 1;
    }
    b->nsyms = ns;
    b->series_lo = off[1];
    b->series_hi = off[2];
    b->post_lo = off[2];
    b->post_hi = off[3];
    /* Postings table: u32 count, (name, value, offset) uvarints. */
    d = (dec){p + off[3], p + off[4], 0};
    uint32_t np = dec_u32(&d);
    if (d.bad || np > (uint64_t)(d.end - d.p))
        return err_set(err, HERON_EIO, "%s: bad postings table", path);
    b->ptab = malloc(((size_t)np + 1) * sizeof *b->ptab);
    if (!b->ptab)
        return err_set(err, HERON_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < np; i++) {
        uint64_t n = dec_uvarint(&d), v = dec_uvarint(&d), o = dec_uvarint(&d);
        if (d.bad || n >= ns || v >= ns || o < b->post_lo || o >= b->post_hi)
            return err_set(err, HERON_EIO, "%s: bad postings table entry %u", path, i);
        b->ptab[i] = (ptab_ent){(uint32_t)n, (uint32_t)v, o};
        if (i && (b->ptab[i - 1].name > n ||
                  (b->ptab[i - 1].name == n && b->ptab[i - 1].value >= v)))
            return err_set(err, HERON_EIO, "%s: postings table not sorted at %u", path, i);
    }
    b->nptab = np;
    return 0;
}

static int load_chunks(block *b, heron_err *err)
{
    char path[4096];
    for (uint32_t i = 1;; i++) {
        snprintf(path, sizeof path, "%s/chunks/%06u", b->dir, i);
        struct stat st;
        if (stat(path, &st))
            break;
        mapped *nc = realloc(b->chunks, (b->nchunks + 1) * sizeof *nc);
        if (!nc)
            return err_set(err, HERON_ENOMEM, "out of memory");
        b->chunks = nc;
        int rc = map_file(path, &b->chunks[b->nchunks], err);
        if (rc)
            return rc;
        b->nchunks++;
        const mapped *m = &b->chunks[b->nchunks - 1];
        if (m->len >= BF_HDR && !memcmp(m->p, BF_CHUNKS_OLD_HDR, BF_HDR))
            return err_set(err, HERON_EIO,
                           "%s: chunk file version 2, written by an older heron "
                           "(integer chunk encoding 2); this build reads version 3 "
                           "only: re-import the data or remove the block", path);
        if (m->len < BF_HDR || memcmp(m->p, BF_CHUNKS_HDR, BF_HDR))
            return err_set(err, HERON_EIO, "%s: not a heron chunk file", path);
    }
    return 0;
}

static int tomb_cmp(const void *a, const void *b)
{
    const tomb_ent *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->mint > y->mint) - (x->mint < y->mint);
}

static int load_tombs(block *b, heron_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tombstones", b->dir);
    struct stat st;
    if (stat(path, &st))
        return 0;
    char *data;
    size_t max = (size_t)st.st_size;
    int rc = read_small(path, &data, max, err);
    if (rc)
        return rc;
    const uint8_t *p = (const uint8_t *)data;
    if (max < BF_HDR + 8 || memcmp(p, BF_TOMBS_MAGIC, 4) ||
        crc32c(0, p, max - 4) != get_u32(p + max - 4)) {
        free(data);
        return err_set(err, HERON_EIO, "%s: damaged tombstones file", path);
    }
    dec d = {p + BF_HDR, p + max - 4, 0};
    uint32_t n = dec_u32(&d);
    if (n > max) {
        free(data);
        return err_set(err, HERON_EIO, "%s: bad tombstone count", path);
    }
    b->tombs = malloc(((size_t)n + 1) * sizeof *b->tombs);
    for (uint32_t i = 0; b->tombs && i < n; i++) {
        b->tombs[i].id = dec_uvarint(&d);
        b->tombs[i].mint = dec_varint(&d);
        b->tombs[i].maxt = dec_varint(&d);
    }
    free(data);
    if (!b->tombs)
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (d.bad)
        return err_set(err, HERON_EIO, "%s: truncated tombstones", path);
    b->ntombs = n;
    qsort(b->tombs, n, sizeof *b->tombs, tomb_cmp);
    return 0;
}

int block_open(const char *dir, block **out, heron_err *err)
{
    block *b = calloc(1, sizeof *b);
    if (!b || !(b->dir = strdup(dir))) {
        free(b);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    int rc = load_meta(b, err);
    if (rc == 0)
        rc = load_index(b, err);
    if (rc == 0)
        rc = load_chunks(b, err);
    if (rc == 0)
        rc = load_tombs(b, err);
    if (rc) {
        block_close(b);
        return rc;
    }
    b->bytes = dir_bytes(dir);
    *out = b;
    return 0;
}

void block_close(block *b)
{
    if (!b)
        return;
    if (b->index.p)
        munmap(b->index.p, b->index.len);
    for (size_t i = 0; i < b->nchunks; i++)
        munmap(b->chunks[i].p, b->chunks[i].len);
    free(b->chunks);
    free(b->syms);
    free(b->ptab);
    free(b->tombs);
    free(b->dir);
    free(b);
}

const block_meta *block_get_meta(const block *b) { return &b->meta; }
const char *block_get_dir(const block *b) { return b->dir; }
uint64_t block_bytes(const block *b) { return b->bytes; }
int block_has_tombstones(const block *b) { return b->ntombs > 0; }

int block_retire_dir(const char *dir)
{
    /* Renaming is atomic: a crash leaves either the whole block or a .tmp
     * directory that the next open removes, never half a block. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    if (rename(dir, tmp))
        return HERON_EIO;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) {
        *slash = 0;
        int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    return block_remove_dir(tmp);
}

int block_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : HERON_EIO;
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            block_remove_dir(path);
        else
            unlink(path);
    }
    closedir(d);
    return rmdir(dir) ? HERON_EIO : 0;
}

/* ---- lookups --------------------------------------------------------------- */

/* Index of symbol s, or -1. */
static int64_t sym_find(const block *b, const char *s)
{
    uint32_t lo = 0, hi = b->nsyms;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        int c = strcmp(b->syms[m], s);
        if (c == 0)
            return m;
        if (c < 0)
            lo = m + 1;
        else
            hi = m;
    }
    return -1;
}

/* First postings-table entry with name >= n (and value >= v). */
static size_t ptab_lower(const block *b, uint32_t n, uint32_t v)
{
    size_t lo = 0, hi = b->nptab;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        const ptab_ent *e = &b->ptab[m];
        if (e->name < n || (e->name == n && e->value < v))
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

static int read_postings(const block *b, uint64_t off, plist *out, heron_err *err)
{
    dec d = {b->index.p + off, b->index.p + b->post_hi, 0};
    uint64_t n = dec_uvarint(&d), id = 0;
    if (d.bad || n > (uint64_t)(d.end - d.p))
        return err_set(err, HERON_EIO, "%s/index: bad postings list at %llu", b->dir,
                       (unsigned long long)off);
    for (uint64_t i = 0; i < n; i++) {
        id += dec_uvarint(&d);
        if (d.bad)
            return err_set(err, HERON_EIO, "%s/index: truncated postings at %llu",
                           b->dir, (unsigned long long)off);
        if (plist_push(out, id))
            return err_set(err, HERON_ENOMEM, "out of memory");
    }
    return 0;
}

static int bq_postings(void *p, const char *name, const char *value, plist *out,
                       heron_err *err)
{
    block *b = p;
    int64_t n = sym_find(b, name), v = sym_find(b, value);
    if (n < 0 || v < 0)
        return 0;
    size_t i = ptab_lower(b, (uint32_t)n, (uint32_t)v);
    if (i < b->nptab && b->ptab[i].name == n && b->ptab[i].value == v)
        return read_postings(b, b->ptab[i].off, out, err);
    return 0;
}

static int bq_all(void *p, plist *out, heron_err *err)
{
    return bq_postings(p, "", "", out, err);
}

static int bq_names(void *p, tsdb_strings *out, heron_err *err)
{
    block *b = p;
    for (size_t i = 0; i < b->nptab; i++) {
        if (i && b->ptab[i].name == b->ptab[i - 1].name)
            continue;
        const char *s = b->syms[b->ptab[i].name];
        if (*s && strings_push(out, s))
            return err_set(err, HERON_ENOMEM, "out of memory");
    }
    return 0;
}

static int bq_values(void *p, const char *name, tsdb_strings *out, heron_err *err)
{
    block *b = p;
    int64_t n = sym_find(b, name);
    if (n < 0 || !*name)
        return 0;
    for (size_t i = ptab_lower(b, (uint32_t)n, 0);
         i < b->nptab && b->ptab[i].name == n; i++)
        if (strings_push(out, b->syms[b->ptab[i].value]))
            return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

/* Loads the chunk at ref = file << 48 | frame offset << 16 | offset in
 * the page, decompressing its page into `page` unless it is there already,
 * and checks the frame's and the record's CRCs. */
static int bq_load(const void *src, uint64_t ref, qpage *page, const uint8_t **data,
                   uint32_t *len, uint8_t *enc, heron_err *err)
{
    const block *b = src;
    uint64_t file = ref >> 48, frame = (ref >> 16) & 0xffffffffu, in = ref & 0xffff;
    if (file == 0 || file > b->nchunks)
        return err_set(err, HERON_EIO, "%s: chunk ref %llx names no file", b->dir,
                       (unsigned long long)ref);
    const mapped *m = &b->chunks[file - 1];
    uint64_t key = file << 32 | frame;
    if (page->owner != b || page->key != key || !page->data) {
        if (frame < BF_HDR || frame + BF_FRAME_HDR > m->len)
            return err_set(err, HERON_EIO, "%s/chunks/%06llu: page offset %llu out of range",
                           b->dir, (unsigned long long)file, (unsigned long long)frame);
        const uint8_t *f = m->p + frame;
        uint32_t raw = get_u32(f), comp = get_u32(f + 4);
        if (raw > BF_PAGE_MAX || comp > m->len - frame - BF_FRAME_HDR ||
            crc32c(0, f + BF_FRAME_HDR, comp) != get_u32(f + 8))
            return err_set(err, HERON_EIO, "%s/chunks/%06llu: damaged page at %llu",
                           b->dir, (unsigned long long)file, (unsigned long long)frame);
        if (page->cap < BF_PAGE_MAX) {
            uint8_t *d = realloc(page->data, BF_PAGE_MAX);
            if (!d)
                return err_set(err, HERON_ENOMEM, "out of memory");
            page->data = d;
            page->cap = BF_PAGE_MAX;
        }
        size_t got = ZSTD_decompress(page->data, page->cap, f + BF_FRAME_HDR, comp);
        if (ZSTD_isError(got) || got != raw) {
            page->owner = NULL;
            return err_set(err, HERON_EIO, "%s/chunks/%06llu: page at %llu does not decompress",
                           b->dir, (unsigned long long)file, (unsigned long long)frame);
        }
        page->owner = b;
        page->key = key;
        page->len = raw;
    }
    dec d = {page->data + in, page->data + page->len, 0};
    uint64_t n = in < page->len ? dec_uvarint(&d) : (d.bad = 1, 0);
    if (d.bad || n > 65535 || n + 5 > (uint64_t)(d.end - d.p))
        return err_set(err, HERON_EIO, "%s/chunks/%06llu: bad chunk at %llu+%llu",
                       b->dir, (unsigned long long)file, (unsigned long long)frame,
                       (unsigned long long)in);
    if (crc32c(0, d.p, n + 1) != get_u32(d.p + n + 1))
        return err_set(err, HERON_EIO, "%s/chunks/%06llu: chunk checksum mismatch at %llu+%llu",
                       b->dir, (unsigned long long)file, (unsigned long long)frame,
                       (unsigned long long)in);
    if (d.p[0] != CHUNK_ENC_XOR && d.p[0] != CHUNK_ENC_INT)
        return err_set(err, HERON_EIO, "%s/chunks/%06llu: unknown chunk encoding %u",
                       b->dir, (unsigned long long)file, d.p[0]);
    *enc = d.p[0];
    *data = d.p + 1;
    *len = (uint32_t)n;
    return 0;
}

static int bq_malformed(const block *b, uint64_t id, heron_err *err)
{
    return err_set(err, HERON_EIO, "%s/index: malformed series entry at %llu",
                   b->dir, (unsigned long long)id);
}

/* The index entry of series id, positioned after its label count; 0 or
 * HERON_EIO (with err) when the id is out of range or the count is bad. */
static int bq_entry(const block *b, uint64_t id, dec *d, uint64_t *nl, heron_err *err)
{
    if (id < b->series_lo || id >= b->series_hi)
        return err_set(err, HERON_EIO, "%s/index: series ref %llu out of range",
                       b->dir, (unsigned long long)id);
    *d = (dec){b->index.p + id, b->index.p + b->series_hi, 0};
    *nl = dec_uvarint(d);
    if (d->bad || *nl == 0 || *nl > BF_MAX_LABELS)
        return bq_malformed(b, id, err);
    return 0;
}

static int bq_labels(void *p, uint64_t id, int64_t mint, int64_t maxt,
                     qarena *a, const tsdb_label **out, size_t *nls,
                     const void **hint, heron_err *err)
{
    (void)mint, (void)maxt; /* the chunk list, read at load, tells */
    block *b = p;
    dec d;
    uint64_t nl;
    int rc = bq_entry(b, id, &d, &nl, err);
    if (rc)
        return rc;
    tsdb_label *ls = qarena_alloc(a, nl * sizeof *ls);
    if (!ls)
        return err_set(err, HERON_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < nl; i++) {
        uint64_t n = dec_uvarint(&d), v = dec_uvarint(&d);
        if (d.bad || n >= b->nsyms || v >= b->nsyms)
            return bq_malformed(b, id, err);
        ls[i] = (tsdb_label){b->syms[n], b->syms[v]};
    }
    *out = ls;
    *nls = (size_t)nl;
    *hint = NULL;
    return 0;
}

static int bq_chunks(void *p, const qseries *qs, int64_t mint, int64_t maxt,
                     qload *out, heron_err *err)
{
    block *b = p;
    uint64_t id = qs->id;
    dec d;
    uint64_t nl;
    int rc = bq_entry(b, id, &d, &nl, err);
    if (rc)
        return rc;
    for (uint64_t i = 0; i < 2 * nl; i++)
        dec_uvarint(&d);
    uint64_t nc = dec_uvarint(&d);
    if (d.bad || nc > (uint64_t)(d.end - d.p))
        return bq_malformed(b, id, err);
    int64_t prev = 0;
    for (uint64_t i = 0; i < nc; i++) {
        int64_t cmin = prev + dec_varint(&d);
        int64_t cmax = cmin + (int64_t)dec_uvarint(&d);
        uint64_t ref = dec_uvarint(&d);
        if (d.bad)
            return bq_malformed(b, id, err);
        prev = cmax;
        if (cmax < mint || cmin > maxt)
            continue;
        qchunk c = {.mint = cmin, .maxt = cmax, .load = bq_load, .src = b, .ref = ref};
        if (qload_chunk(out, &c))
            return err_set(err, HERON_ENOMEM, "out of memory");
    }
    /* Tombstones of this series. */
    size_t lo = 0, hi = b->ntombs;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (b->tombs[m].id < id)
            lo = m + 1;
        else
            hi = m;
    }
    for (; lo < b->ntombs && b->tombs[lo].id == id; lo++)
        if (qload_tomb(out, (tinterval){b->tombs[lo].mint, b->tombs[lo].maxt}))
            return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

const qsource_ops block_qsource_ops = {
    .postings = bq_postings,
    .all = bq_all,
    .names = bq_names,
    .values = bq_values,
    .labels = bq_labels,
    .chunks = bq_chunks,
};

/* ---- tombstones ------------------------------------------------------------- */

static int write_tombs(const block *b, const tomb_ent *tombs, size_t ntombs,
                       heron_err *err)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/tombstones", b->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    buf out;
    buf_init(&out, 0);
    int rc = buf_append(&out, BF_TOMBS_HDR, BF_HDR);
    if (!rc)
        rc = enc_u32(&out, (uint32_t)ntombs);
    for (size_t i = 0; i < ntombs && !rc; i++) {
        rc = enc_uvarint(&out, tombs[i].id);
        if (!rc)
            rc = enc_varint(&out, tombs[i].mint);
        if (!rc)
            rc = enc_varint(&out, tombs[i].maxt);
    }
    if (!rc)
        rc = enc_u32(&out, crc32c(0, out.data, out.len));
    if (rc) {
        buf_free(&out);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) ||
        rename(tmp, path)) {
        rc = err_set(err, HERON_EIO, "write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    if (fd >= 0)
        close(fd);
    buf_free(&out);
    return rc;
}

int block_delete(block *b, const tsdb_matcher *const *ms, size_t n,
                 int64_t mint, int64_t maxt, pthread_rwlock_t *lock,
                 heron_err *err)
{
    plist ids = {0};
    qsource src = {&block_qsource_ops, b};
    int rc = qsource_select(&src, ms, n, &ids, err);
    if (rc == 0 && ids.n) {
        /* A new list, written out with no lock held, then swapped in. */
        size_t nt = b->ntombs + ids.n;
        tomb_ent *t = malloc(nt * sizeof *t);
        if (!t) {
            rc = err_set(err, HERON_ENOMEM, "out of memory");
        } else {
            if (b->ntombs)
                memcpy(t, b->tombs, b->ntombs * sizeof *t);
            for (size_t i = 0; i < ids.n; i++)
                t[b->ntombs + i] = (tomb_ent){ids.v[i], mint, maxt};
            qsort(t, nt, sizeof *t, tomb_cmp);
            rc = write_tombs(b, t, nt, err);
        }
        if (rc == 0) {
            pthread_rwlock_wrlock(lock);
            tomb_ent *old = b->tombs;
            b->tombs = t;
            b->ntombs = nt;
            pthread_rwlock_unlock(lock);
            free(old);
        } else {
            free(t);
        }
    }
    plist_free(&ids);
    return rc;
}
