/* rw_client — protobuf encoding, snappy and the POST; see rw_client.h. */
#include "rw_client.h"

#include <curl/curl.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_varint(buf *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_putc(b, (char)(v | 0x80));
        v >>= 7;
    }
    buf_putc(b, (char)v);
}

static void put_bytes(buf *b, unsigned field, const void *p, size_t n)
{
    put_varint(b, field << 3 | 2);
    put_varint(b, n);
    buf_append(b, p, n);
}

void rw_batch_init(rw_batch *b)
{
    buf_init(&b->pb, 0);
}

void rw_batch_free(rw_batch *b)
{
    buf_free(&b->pb);
}

void rw_batch_add(rw_batch *b, const char *const *labels, const int64_t *ts,
                  const double *vs, size_t n)
{
    buf series, msg;
    buf_init(&series, 0);
    buf_init(&msg, 0);
    for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
        buf_reset(&msg);
        put_bytes(&msg, 1, labels[i], strlen(labels[i]));
        put_bytes(&msg, 2, labels[i + 1], strlen(labels[i + 1]));
        put_bytes(&series, 1, msg.data, msg.len);
    }
    for (size_t i = 0; i < n; i++) {
        buf_reset(&msg);
        uint64_t bits;
        memcpy(&bits, &vs[i], sizeof bits);
        put_varint(&msg, 1 << 3 | 1);
        for (int k = 0; k < 8; k++)
            buf_putc(&msg, (char)(bits >> (8 * k)));
        put_varint(&msg, 2 << 3 | 0);
        put_varint(&msg, (uint64_t)ts[i]);
        put_bytes(&series, 2, msg.data, msg.len);
    }
    put_bytes(&b->pb, 1, series.data ? series.data : "", series.len);
    buf_free(&series);
    buf_free(&msg);
}

int rw_batch_compress(const rw_batch *b, char **out, size_t *len)
{
    size_t cap = snappy_max_compressed_length(b->pb.len);
    *out = malloc(cap ? cap : 1);
    if (!*out)
        return -1;
    *len = cap;
    return snappy_compress(b->pb.data ? b->pb.data : "", b->pb.len, *out, len) ==
                   SNAPPY_OK
               ? 0
               : -1;
}

static size_t collect(char *p, size_t s, size_t n, void *u)
{
    buf_append(u, p, s * n);
    return s * n;
}

int rw_post(CURL *c, const char *url, const char *body, size_t len)
{
    CURL *own = c ? NULL : curl_easy_init();
    if (!c)
        c = own;
    long code = 0;
    buf answer;
    buf_init(&answer, 1 << 16);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/x-protobuf");
    h = curl_slist_append(h, "Content-Encoding: snappy");
    h = curl_slist_append(h, "X-Prometheus-Remote-Write-Version: 0.1.0");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    if (own)
        curl_easy_cleanup(own);
    if (code >= 400 && answer.len) /* say why, for whoever reads the log */
        fprintf(stderr, "remote_write to %s: HTTP %ld: %.*s", url, code, (int)answer.len,
                answer.data);
    buf_free(&answer);
    return (int)code;
}

int rw_batch_send(rw_batch *b, const char *url)
{
    char *body;
    size_t len;
    int code = 0;
    if (rw_batch_compress(b, &body, &len) == 0)
        code = rw_post(NULL, url, body, len);
    free(body);
    buf_reset(&b->pb);
    return code;
}
