/*
 * buf — a growable byte buffer with a size cap (curl's dynbuf idea).
 *
 * A buf owns its memory; buf_free releases it, buf_detach hands it to the
 * caller (who then frees it with free()). Appends beyond `cap` fail with
 * HERON_ERANGE and leave the buffer as it was, so a runaway producer cannot
 * eat the heap. The content is always NUL-terminated once anything has been
 * appended. Not thread-safe: one owner at a time.
 */
#ifndef HERON_CORE_BUF_H
#define HERON_CORE_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap; /* maximum len; 0 means no limit */
} buf;

void buf_init(buf *b, size_t cap);
void buf_free(buf *b);
/* Returns the data (malloc'd, NUL-terminated, never NULL on success) and
 * leaves b empty. NULL only when nothing could be allocated. */
char *buf_detach(buf *b, size_t *len);
void buf_reset(buf *b);
/* Makes room for n more bytes. 0 or HERON_ENOMEM / HERON_ERANGE. */
int buf_reserve(buf *b, size_t n);
int buf_append(buf *b, const void *p, size_t n);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends the whole file at path. 0, HERON_EIO when it cannot be opened or
 * read, or HERON_ENOMEM / HERON_ERANGE from growing the buffer. */
int buf_read_file(buf *b, const char *path);
/* The whole file at path as a malloc'd, NUL-terminated string the caller
 * frees (*len without the NUL), or NULL when it cannot be read. */
char *buf_load_file(const char *path, size_t *len);

#endif
