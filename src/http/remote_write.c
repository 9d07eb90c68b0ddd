/* remote_write — the snappy + protobuf decoder declared in remote_write.h.
 * Pass one walks the whole message, validating every length and counting
 * series, labels, samples and string bytes; pass two, which can no longer
 * fail, fills one allocation sized from those counts. */
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

static int pb_varint(pb *b, uint64_t *v)
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

/* What pass one counts; pass two fills through the same walk. */
typedef struct rw_fill {
    rw_request *r;          /* NULL in pass one */
    tsdb_label *labels;     /* pass two: every series' labels */
    tsdb_sample *samples;   /* pass two: every series' samples */
    char *strings;          /* pass two: next free string byte */
    size_t nseries, nlabels, nsamples, nbytes;
} rw_fill;

static int label_msg(pb *b, rw_fill *f, tsdb_label *out)
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
    f->nbytes += nl + vl + 2;
    if (out) {
        memcpy(f->strings, name, nl);
        f->strings[nl] = 0;
        out->name = f->strings;
        f->strings += nl + 1;
        memcpy(f->strings, value, vl);
        f->strings[vl] = 0;
        out->value = f->strings;
        f->strings += vl + 1;
    }
    return 0;
}

static int sample_msg(pb *b, tsdb_sample *out)
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
    if (out) {
        memcpy(&out->v, &bits, sizeof bits);
        out->t = (int64_t)ts;
    }
    return 0;
}

/* Sorts a series' labels by name and flags invalid sets. */
static void finish_series(rw_series *s)
{
    tsdb_label *ls = s->labels;
    for (size_t i = 1; i < s->nlabels; i++) {
        tsdb_label x = ls[i];
        size_t j = i;
        while (j > 0 && strcmp(ls[j - 1].name, x.name) > 0) {
            ls[j] = ls[j - 1];
            j--;
        }
        ls[j] = x;
    }
    s->invalid = s->nlabels == 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        if (!prom_label_name_valid(ls[i].name, strlen(ls[i].name)) ||
            !prom_utf8_valid(ls[i].value, strlen(ls[i].value)) ||
            (i && strcmp(ls[i].name, ls[i - 1].name) == 0) ||
            (strcmp(ls[i].name, "__name__") == 0 && !prom_metric_name_valid(ls[i].value, strlen(ls[i].value))))
            s->invalid = 1;
    }
}

static int series_msg(pb *b, rw_fill *f)
{
    size_t lab0 = f->nlabels, smp0 = f->nsamples;
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
        if (field == 1) {
            if (label_msg(&sub, f, f->labels ? &f->labels[f->nlabels] : NULL))
                return HERON_EINVAL;
            f->nlabels++;
        } else {
            if (sample_msg(&sub, f->samples ? &f->samples[f->nsamples] : NULL))
                return HERON_EINVAL;
            f->nsamples++;
        }
    }
    if (f->r) {
        rw_series *s = &f->r->series[f->nseries];
        s->labels = f->labels + lab0;
        s->nlabels = f->nlabels - lab0;
        s->samples = f->samples + smp0;
        s->nsamples = f->nsamples - smp0;
        finish_series(s);
    }
    f->nseries++;
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
        if (series_msg(&sub, f))
            return HERON_EINVAL;
    }
    return 0;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

int rw_decode_proto(const unsigned char *p, size_t len, rw_request *out,
                    heron_err *err)
{
    memset(out, 0, sizeof *out);
    pb b = {p, p + len, p, err};
    rw_fill count = {0};
    if (request_msg(&b, &count))
        return HERON_EINVAL;
    size_t s_off = 0;
    size_t l_off = s_off + align8(count.nseries * sizeof(rw_series));
    size_t m_off = l_off + align8(count.nlabels * sizeof(tsdb_label));
    size_t c_off = m_off + align8(count.nsamples * sizeof(tsdb_sample));
    unsigned char *mem = malloc(c_off + count.nbytes + 1);
    if (!mem)
        return err_set(err, HERON_ENOMEM, "out of memory decoding remote_write request");
    out->mem = mem;
    out->series = (rw_series *)(void *)(mem + s_off);
    out->nseries = count.nseries;
    out->nsamples = count.nsamples;
    rw_fill fill = {0};
    fill.r = out;
    fill.labels = (tsdb_label *)(void *)(mem + l_off);
    fill.samples = (tsdb_sample *)(void *)(mem + m_off);
    fill.strings = (char *)(mem + c_off);
    pb again = {p, p + len, p, err};
    request_msg(&again, &fill); /* cannot fail: pass one checked it all */
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
    free(r->mem);
    memset(r, 0, sizeof *r);
}
