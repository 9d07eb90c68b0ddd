/* remote_write — the snappy + protobuf decoder declared in remote_write.h.
 * One pass over the message fills growing arrays of series, labels and
 * samples; the label strings go to one buffer as long as the message,
 * which always holds them (each string takes at least one byte more in
 * the message than its copy with a NUL). */
#include "core/promnames.h"
#include "http/remote_write.h"

#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

typedef struct pb {
    const unsigned char *p, *end, *base;
    heron_err *err;
} pb;

static int pb_fail(pb *b, const char *what)
{
    return err_set(b->err, HERON_EINVAL, "malformed remote_write request: %s at byte %zu",
                   what, (size_t)(b->p - b->base));
}

static int pb_varint_long(pb *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (b->p >= b->end)
            return pb_fail(b, "truncated varint");
        unsigned char c = *b->p++;
        if (shift == 63 && c > 1)
            return pb_fail(b, "varint overflows 64 bits");
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return pb_fail(b, "varint too long");
}

/* Keys and lengths are nearly always one byte. */
static inline int pb_varint(pb *b, uint64_t *v)
{
    if (b->p < b->end && *b->p < 0x80) {
        *v = *b->p++;
        return 0;
    }
    return pb_varint_long(b, v);
}

/* Reads a field key; *wire is the wire type. */
static int pb_key(pb *b, uint64_t *field, int *wire)
{
    uint64_t k;
    if (pb_varint(b, &k))
        return HERON_EINVAL;
    *field = k >> 3;
    *wire = (int)(k & 7);
    if (*field == 0)
        return pb_fail(b, "field number 0");
    return 0;
}

/* A length-delimited payload: [*start, *start + *len). */
static int pb_bytes(pb *b, const unsigned char **start, size_t *len)
{
    uint64_t n;
    if (pb_varint(b, &n))
        return HERON_EINVAL;
    if (n > (uint64_t)(b->end - b->p))
        return pb_fail(b, "length beyond the end of its message");
    *start = b->p;
    *len = (size_t)n;
    b->p += n;
    return 0;
}

static int pb_skip(pb *b, int wire)
{
    uint64_t v;
    const unsigned char *s;
    size_t n;
    switch (wire) {
    case 0:
        return pb_varint(b, &v);
    case 1:
        if (b->end - b->p < 8)
            return pb_fail(b, "truncated fixed64");
        b->p += 8;
        return 0;
    case 2:
        return pb_bytes(b, &s, &n);
    case 5:
        if (b->end - b->p < 4)
            return pb_fail(b, "truncated fixed32");
        b->p += 4;
        return 0;
    default:
        return pb_fail(b, "unsupported wire type");
    }
}

static pb pb_sub(const pb *parent, const unsigned char *s, size_t n)
{
    pb b = {s, s + n, parent->base, parent->err};
    return b;
}

typedef struct rw_fill {
    rw_series *series;
    tsdb_label *labels;
    tsdb_sample *samples;
    char *strings;          /* next free string byte */
    size_t nseries, nlabels, nsamples;
    size_t cap_series, cap_labels, cap_samples;
    int bad; /* the current series has an invalid name or value */
} rw_fill;

/* The array v[0..n) (*cap long) with room for one more, moved when it
 * had to grow; NULL without memory (v stays valid). */
static void *grow(pb *b, void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t cap2 = *cap ? *cap * 2 : 64;
    void *p = realloc(v, cap2 * size);
    if (!p) {
        err_set(b->err, HERON_ENOMEM, "out of memory decoding remote_write request");
        return NULL;
    }
    *cap = cap2;
    return p;
}

static char *copy_string(rw_fill *f, const unsigned char *s, size_t n)
{
    char *out = f->strings;
    memcpy(out, s, n);
    out[n] = 0;
    f->strings += n + 1;
    return out;
}

static int label_msg(pb *b, rw_fill *f)
{
    const unsigned char *name = (const unsigned char *)"", *value = name;
    size_t nl = 0, vl = 0;
    while (b->p < b->end) {
        uint64_t field;
        int wire;
        if (pb_key(b, &field, &wire))
            return HERON_EINVAL;
        if ((field == 1 || field == 2) && wire != 2)
            return pb_fail(b, "label field with a wrong wire type");
        if (field == 1 ? pb_bytes(b, &name, &nl)
            : field == 2 ? pb_bytes(b, &value, &vl) : pb_skip(b, wire))
            return HERON_EINVAL;
    }
    /* Checked here, where the lengths are known. */
    const char *n = (const char *)name, *v = (const char *)value;
    f->bad |= !prom_label_name_valid(n, nl) || !prom_utf8_valid(v, vl) ||
              (nl == 8 && memcmp(n, "__name__", 8) == 0 &&
               !prom_metric_name_valid(v, vl));
    tsdb_label *ls = grow(b, f->labels, &f->cap_labels, f->nlabels, sizeof *ls);
    if (!ls)
        return HERON_ENOMEM;
    f->labels = ls;
    tsdb_label *out = &ls[f->nlabels++];
    out->name = copy_string(f, name, nl);
    out->value = copy_string(f, value, vl);
    return 0;
}

static int sample_msg(pb *b, rw_fill *f)
{
    uint64_t bits = 0, ts = 0;
    while (b->p < b->end) {
        uint64_t field;
        int wire;
        if (pb_key(b, &field, &wire))
            return HERON_EINVAL;
        if (field == 1) {
            if (wire != 1 || b->end - b->p < 8)
                return pb_fail(b, "bad sample value");
            bits = 0;
            for (int i = 7; i >= 0; i--)
                bits = bits << 8 | b->p[i];
            b->p += 8;
        } else if (field == 2) {
            if (wire != 0)
                return pb_fail(b, "bad sample timestamp");
            if (pb_varint(b, &ts))
                return HERON_EINVAL;
        } else if (pb_skip(b, wire)) {
            return HERON_EINVAL;
        }
    }
    tsdb_sample *ss = grow(b, f->samples, &f->cap_samples, f->nsamples,
                           sizeof *ss);
    if (!ss)
        return HERON_ENOMEM;
    f->samples = ss;
    tsdb_sample *out = &ss[f->nsamples++];
    memcpy(&out->v, &bits, sizeof bits);
    out->t = (int64_t)ts;
    return 0;
}

/* Sorts a series' labels by name (senders send them sorted: one strcmp a
 * pair says so) and flags sets with repeated names or none. */
static void finish_series(rw_series *s)
{
    tsdb_label *ls = s->labels;
    int dup = 0;
    for (size_t i = 1; i < s->nlabels; i++) {
        int c = strcmp(ls[i - 1].name, ls[i].name);
        dup |= c == 0;
        if (c <= 0)
            continue;
        tsdb_label x = ls[i];
        size_t j = i;
        while (j > 0 && (c = strcmp(ls[j - 1].name, x.name)) >= 0) {
            dup |= c == 0;
            ls[j] = ls[j - 1];
            j--;
        }
        ls[j] = x;
    }
    s->invalid = s->nlabels == 0 || dup;
}

static int series_msg(pb *b, rw_fill *f)
{
    size_t lab0 = f->nlabels, smp0 = f->nsamples;
    f->bad = 0;
    while (b->p < b->end) {
        uint64_t field;
        int wire;
        if (pb_key(b, &field, &wire))
            return HERON_EINVAL;
        if ((field == 1 || field == 2) && wire != 2)
            return pb_fail(b, "time series field with a wrong wire type");
        if (field != 1 && field != 2) {
            if (pb_skip(b, wire))
                return HERON_EINVAL;
            continue;
        }
        const unsigned char *m = NULL;
        size_t n = 0;
        if (pb_bytes(b, &m, &n))
            return HERON_EINVAL;
        pb sub = pb_sub(b, m, n);
        int rc = field == 1 ? label_msg(&sub, f) : sample_msg(&sub, f);
        if (rc)
            return rc;
    }
    rw_series *sv = grow(b, f->series, &f->cap_series, f->nseries, sizeof *sv);
    if (!sv)
        return HERON_ENOMEM;
    f->series = sv;
    /* The label and sample pointers are set once the arrays stop moving. */
    rw_series *s = &sv[f->nseries++];
    s->nlabels = f->nlabels - lab0;
    s->labels = s->nlabels ? f->labels + lab0 : NULL;
    s->samples = NULL;
    s->nsamples = f->nsamples - smp0;
    finish_series(s);
    s->invalid |= f->bad;
    return 0;
}

static int request_msg(pb *b, rw_fill *f)
{
    while (b->p < b->end) {
        uint64_t field;
        int wire;
        if (pb_key(b, &field, &wire))
            return HERON_EINVAL;
        if (field != 1) {
            if (pb_skip(b, wire))
                return HERON_EINVAL;
            continue;
        }
        if (wire != 2)
            return pb_fail(b, "timeseries field with a wrong wire type");
        const unsigned char *m = NULL;
        size_t n = 0;
        if (pb_bytes(b, &m, &n))
            return HERON_EINVAL;
        pb sub = pb_sub(b, m, n);
        int rc = series_msg(&sub, f);
        if (rc)
            return rc;
    }
    return 0;
}

int rw_decode_proto(const unsigned char *p, size_t len, rw_request *out,
                    heron_err *err)
{
    memset(out, 0, sizeof *out);
    pb b = {p, p + len, p, err};
    rw_fill f = {0};
    out->strings = malloc(len ? len : 1);
    if (!out->strings)
        return err_set(err, HERON_ENOMEM, "out of memory decoding remote_write request");
    f.strings = out->strings;
    int rc = request_msg(&b, &f);
    out->series = f.series;
    out->labels = f.labels;
    out->samples = f.samples;
    if (rc) {
        rw_request_free(out);
        return rc;
    }
    out->nseries = f.nseries;
    out->nsamples = f.nsamples;
    for (size_t i = 0, l = 0, m = 0; i < f.nseries; i++) {
        rw_series *s = &out->series[i];
        s->labels = s->nlabels ? f.labels + l : NULL;
        s->samples = s->nsamples ? f.samples + m : NULL;
        l += s->nlabels;
        m += s->nsamples;
    }
    return 0;
}

int rw_decode(const char *body, size_t len, rw_request *out, heron_err *err)
{
    memset(out, 0, sizeof *out);
    size_t n;
    if (snappy_uncompressed_length(body, len, &n) != SNAPPY_OK)
        return err_set(err, HERON_EINVAL, "snappy: corrupt input");
    if (n > RW_MAX_DECODED)
        return err_set(err, HERON_EINVAL,
                       "snappy: decoded length %zu exceeds the limit of %u bytes",
                       n, RW_MAX_DECODED);
    char *raw = malloc(n ? n : 1);
    if (!raw)
        return err_set(err, HERON_ENOMEM, "out of memory decoding remote_write request");
    size_t got = n;
    if (snappy_uncompress(body, len, raw, &got) != SNAPPY_OK || got != n) {
        free(raw);
        return err_set(err, HERON_EINVAL, "snappy: corrupt input");
    }
    int rc = rw_decode_proto((const unsigned char *)raw, n, out, err);
    free(raw);
    return rc;
}

void rw_request_free(rw_request *r)
{
    free(r->series);
    free(r->labels);
    free(r->samples);
    free(r->strings);
    memset(r, 0, sizeof *r);
}
