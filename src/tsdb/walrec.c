/* walrec — WAL record payloads. */
#include "tsdb/walrec.h"

#include <stdlib.h>

#include "tsdb/enc.h"

#define MAX_LABELS 1024

int walrec_put_series(buf *b, uint64_t id, const tsdb_label *ls, size_t n)
{
    int rc = enc_uvarint(b, id);
    if (!rc)
        rc = enc_uvarint(b, n);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = enc_str(b, ls[i].name);
        if (!rc)
            rc = enc_str(b, ls[i].value);
    }
    return rc;
}

int walrec_put_sample(buf *b, uint64_t id, int64_t t, uint64_t vbits)
{
    int rc = enc_uvarint(b, id);
    if (!rc)
        rc = enc_varint(b, t);
    return rc ? rc : enc_u64(b, vbits);
}

int walrec_put_tombstone(buf *b, uint64_t id, int64_t mint, int64_t maxt)
{
    int rc = enc_uvarint(b, id);
    if (!rc)
        rc = enc_varint(b, mint);
    return rc ? rc : enc_varint(b, maxt);
}

int walrec_each_series(const uint8_t *p, size_t len, walrec_series_fn fn,
                       void *arg)
{
    dec d = {p, p + len, 0};
    tsdb_label *ls = NULL;
    char *scratch = malloc(len * 2 + 2);
    int rc = scratch ? 0 : HERON_ENOMEM;
    while (rc == 0 && d.p < d.end) {
        uint64_t id = dec_uvarint(&d), n = dec_uvarint(&d);
        if (d.bad || n == 0 || n > MAX_LABELS) {
            rc = HERON_EIO;
            break;
        }
        tsdb_label *nl = realloc(ls, n * sizeof *ls);
        if (!nl) {
            rc = HERON_ENOMEM;
            break;
        }
        ls = nl;
        char *w = scratch;
        for (uint64_t i = 0; i < n && !d.bad; i++) {
            for (int k = 0; k < 2; k++) {
                size_t sl;
                const char *s = dec_bytes(&d, &sl);
                if (d.bad)
                    break;
                memcpy(w, s, sl);
                w[sl] = 0;
                if (k == 0)
                    ls[i].name = w;
                else
                    ls[i].value = w;
                w += sl + 1;
            }
        }
        if (d.bad || id == 0) {
            rc = HERON_EIO;
            break;
        }
        rc = fn(id, ls, (size_t)n, arg);
    }
    free(ls);
    free(scratch);
    return rc;
}

int walrec_each_sample(const uint8_t *p, size_t len, walrec_sample_fn fn,
                       void *arg)
{
    dec d = {p, p + len, 0};
    int rc = 0;
    while (rc == 0 && d.p < d.end) {
        walrec_sample s;
        s.id = dec_uvarint(&d);
        s.t = dec_varint(&d);
        s.vbits = dec_u64(&d);
        if (d.bad)
            return HERON_EIO;
        rc = fn(&s, arg);
    }
    return rc;
}

int walrec_each_tombstone(const uint8_t *p, size_t len, walrec_tomb_fn fn,
                          void *arg)
{
    dec d = {p, p + len, 0};
    int rc = 0;
    while (rc == 0 && d.p < d.end) {
        uint64_t id = dec_uvarint(&d);
        int64_t mint = dec_varint(&d), maxt = dec_varint(&d);
        if (d.bad)
            return HERON_EIO;
        rc = fn(id, mint, maxt, arg);
    }
    return rc;
}
