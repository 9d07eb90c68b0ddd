/*
 * procfile.c — reading /proc and /sys files for the collectors.
 *
 * Files under /proc report a size of 0 and are produced as they are read, so
 * they are read in a loop until EOF rather than by stat size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/module.h"

static int collect_vpath(char *out, size_t size, const char *root,
                         const char *fmt, va_list ap)
{
    int n = snprintf(out, size, "%s/", root);
    if (n < 0 || (size_t)n >= size)
        return HERON_ERANGE;
    int m = vsnprintf(out + n, size - (size_t)n, fmt, ap);
    if (m < 0 || (size_t)m >= size - (size_t)n)
        return HERON_ERANGE;
    return 0;
}

int collect_path(char *out, size_t size, const char *root, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = collect_vpath(out, size, root, fmt, ap);
    va_end(ap);
    return rc;
}

static int collect_open_error(void)
{
    return errno == ENOENT || errno == ENOTDIR ? HERON_ENOENT : HERON_EIO;
}

int collect_read_fd(buf *b, int fd)
{
    buf_reset(b);
    int rc = 0;
    for (;;) {
        if ((rc = buf_reserve(b, 4096)) != 0)
            break;
        ssize_t n = pread(fd, b->data + b->len, b->alloc - b->len - 1, (off_t)b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = HERON_EIO;
            break;
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    if (b->data)
        b->data[b->len] = '\0';
    else if (rc == 0)
        rc = buf_puts(b, "");
    return rc;
}

static int collect_read_path(buf *b, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return collect_open_error();
    int rc = collect_read_fd(b, fd);
    close(fd);
    return rc;
}

int collect_kept_fd(collect_paths *p, const char *root, const char *rel)
{
    char path[4096];
    int rc = collect_path(path, sizeof path, root, "%s", rel);
    if (rc)
        return rc;
    pthread_mutex_lock(&p->kept_lock);
    for (size_t i = 0; i < p->nkept; i++) {
        if (strcmp(p->kept[i].path, path) == 0) {
            rc = p->kept[i].fd;
            pthread_mutex_unlock(&p->kept_lock);
            return rc;
        }
    }
    if (p->nkept == COLLECT_KEPT_MAX) {
        rc = HERON_ERANGE;
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = collect_open_error();
        } else if (!(p->kept[p->nkept].path = strdup(path))) {
            close(fd);
            rc = HERON_ENOMEM;
        } else {
            p->kept[p->nkept++].fd = fd;
            rc = fd;
        }
    }
    pthread_mutex_unlock(&p->kept_lock);
    return rc;
}

int collect_read_kept(buf *b, collect_paths *p, const char *root,
                      const char *rel)
{
    int fd = collect_kept_fd(p, root, rel);
    if (fd == HERON_ERANGE) { /* table full: read it the plain way */
        char path[4096];
        int rc = collect_path(path, sizeof path, root, "%s", rel);
        return rc ? rc : collect_read_path(b, path);
    }
    return fd < 0 ? fd : collect_read_fd(b, fd);
}

void collect_kept_close(collect_paths *p)
{
    for (size_t i = 0; i < p->nkept; i++) {
        close(p->kept[i].fd);
        free(p->kept[i].path);
    }
    p->nkept = 0;
}

int collect_read(buf *b, const char *root, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    int rc = collect_vpath(path, sizeof path, root, fmt, ap);
    va_end(ap);
    return rc ? rc : collect_read_path(b, path);
}

int collect_read_double(double *out, const char *root, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    int rc = collect_vpath(path, sizeof path, root, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return collect_open_error();
    char text[64];
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return HERON_EIO;
    text[n] = '\0';
    char *fields[2];
    if (collect_fields(text, fields, 2) != 1)
        return HERON_EINVAL;
    return collect_parse_double(fields[0], out);
}

char *collect_next_line(char **cursor)
{
    char *line = *cursor;
    if (!line || !*line)
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    return line;
}

size_t collect_fields(char *s, char **fields, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        fields[n++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

int collect_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE)
        return HERON_EINVAL;
    *out = v;
    return 0;
}

void collect_unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
            r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}
