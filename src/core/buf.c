#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

void buf_init(buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void buf_free(buf *b)
{
    free(b->data);
    buf_init(b, b->cap);
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_detach(buf *b, size_t *len)
{
    if (!b->data && buf_reserve(b, 0) != 0)
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    buf_init(b, b->cap);
    return p;
}

int buf_reserve(buf *b, size_t n)
{
    if (b->cap && (n > b->cap || b->len > b->cap - n))
        return HERON_ERANGE;
    size_t need = b->len + n + 1; /* +1 for the NUL */
    if (need <= b->alloc)
        return 0;
    size_t grow = b->alloc ? b->alloc : 256;
    while (grow < need)
        grow *= 2;
    char *p = realloc(b->data, grow);
    if (!p)
        return HERON_ENOMEM;
    b->data = p;
    b->alloc = grow;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append(buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return HERON_EINVAL;
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    int rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_read_file(buf *b, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return HERON_EIO;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        rc = buf_append(b, chunk, n);
    if (rc == 0 && ferror(fp))
        rc = HERON_EIO;
    fclose(fp);
    return rc;
}

char *buf_load_file(const char *path, size_t *len)
{
    buf b;
    buf_init(&b, 0);
    if (buf_read_file(&b, path) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}
