/*
 * testutil.c — see testutil.h.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tu_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

pid_t tu_spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path ? log_path : "/dev/null",
                  O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execv(argv[0], argv);
    _exit(127);
}

static void tu_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int tu_http_get(int port, const char *path, buf *body)
{
    buf_reset(body);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n",
                     path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    buf raw;
    buf_init(&raw, 0);
    char chunk[16384];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(&raw, chunk, (size_t)r);
    close(fd);
    int status = -1;
    char *sep = raw.data ? strstr(raw.data, "\r\n\r\n") : NULL;
    if (sep && sscanf(raw.data, "HTTP/%*s %d", &status) == 1)
        buf_append(body, sep + 4, raw.len - (size_t)(sep + 4 - raw.data));
    buf_free(&raw);
    if (!body->data)
        buf_puts(body, "");
    return status;
}

void tu_conn_init(tu_conn *c, int port)
{
    c->fd = -1;
    c->port = port;
    buf_init(&c->in, 0);
}

void tu_conn_close(tu_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
}

/* Reads more bytes into c->in; 0, or -1 at EOF or error. */
static int tu_conn_fill(tu_conn *c)
{
    char chunk[16384];
    ssize_t r = read(c->fd, chunk, sizeof chunk);
    if (r <= 0)
        return -1;
    return buf_append(&c->in, chunk, (size_t)r) == 0 ? 0 : -1;
}

/* Moves the first n bytes of c->in to out (if not NULL). */
static void tu_conn_take(tu_conn *c, size_t n, buf *out)
{
    if (out)
        buf_append(out, c->in.data, n);
    memmove(c->in.data, c->in.data + n, c->in.len - n);
    c->in.len -= n;
    c->in.data[c->in.len] = '\0';
}

/* Index just past the next CRLF in c->in, reading as needed; 0 on EOF. */
static size_t tu_conn_line(tu_conn *c)
{
    for (int i = 0; i < 100000; i++) {
        char *crlf = c->in.data ? strstr(c->in.data, "\r\n") : NULL;
        if (crlf)
            return (size_t)(crlf - c->in.data) + 2;
        if (tu_conn_fill(c) != 0)
            return 0;
    }
    return 0;
}

static int tu_conn_exactly(tu_conn *c, size_t n, buf *out)
{
    while (c->in.len < n)
        if (tu_conn_fill(c) != 0)
            return -1;
    tu_conn_take(c, n, out);
    return 0;
}

static int tu_conn_once(tu_conn *c, const char *path, const char *encoding, buf *body)
{
    if (c->fd < 0) {
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct timeval tv = {.tv_sec = 30};
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
            return -1;
        buf_reset(&c->in);
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n%s%s%s\r\n",
                     path, encoding ? "Accept-Encoding: " : "", encoding ? encoding : "",
                     encoding ? "\r\n" : "");
    if (write(c->fd, req, (size_t)n) != n)
        return -1;
    int status = -1, chunked = 0, close_after = 0;
    long length = -1;
    for (int line = 0;; line++) {
        size_t end = tu_conn_line(c);
        if (end == 0)
            return -1;
        if (end == 2) {
            tu_conn_take(c, 2, NULL);
            break;
        }
        c->in.data[end - 2] = '\0';
        const char *h = c->in.data;
        if (line == 0)
            sscanf(h, "HTTP/%*s %d", &status);
        else if (strncasecmp(h, "Content-Length:", 15) == 0)
            length = strtol(h + 15, NULL, 10);
        else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0 && strstr(h, "chunked"))
            chunked = 1;
        else if (strncasecmp(h, "Connection:", 11) == 0 && strstr(h, "close"))
            close_after = 1;
        c->in.data[end - 2] = '\r';
        tu_conn_take(c, end, NULL);
    }
    if (chunked) {
        for (int i = 0; i < 1000000; i++) {
            size_t end = tu_conn_line(c);
            if (end == 0)
                return -1;
            long size = strtol(c->in.data, NULL, 16);
            tu_conn_take(c, end, NULL);
            if (size == 0) {
                end = tu_conn_line(c); /* the empty trailer line */
                if (end)
                    tu_conn_take(c, end, NULL);
                break;
            }
            if (tu_conn_exactly(c, (size_t)size, body) != 0 || tu_conn_exactly(c, 2, NULL) != 0)
                return -1;
        }
    } else if (length >= 0) {
        if (tu_conn_exactly(c, (size_t)length, body) != 0)
            return -1;
    } else {
        while (tu_conn_fill(c) == 0) {
        }
        tu_conn_take(c, c->in.len, body);
        close_after = 1;
    }
    if (close_after) {
        close(c->fd);
        c->fd = -1;
    }
    return status;
}

int tu_conn_get(tu_conn *c, const char *path, const char *encoding, buf *body)
{
    buf_reset(body);
    int status = tu_conn_once(c, path, encoding, body);
    if (status < 0) { /* the server may have closed a kept-alive connection */
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        buf_reset(body);
        status = tu_conn_once(c, path, encoding, body);
    }
    if (!body->data)
        buf_puts(body, "");
    return status;
}

int tu_wait_http(int port, const char *path, int attempts)
{
    buf b;
    buf_init(&b, 0);
    int rc = -1;
    for (int i = 0; i < attempts && rc != 0; i++) {
        if (tu_http_get(port, path, &b) == 200)
            rc = 0;
        else
            tu_sleep_ms(50);
    }
    buf_free(&b);
    return rc;
}

void tu_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        tu_sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

double tu_proc_cpu_seconds(pid_t pid)
{
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *p = strrchr(text, ')');
    unsigned long long ut, st;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                     &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double tu_proc_rss_bytes(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    double rss = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            rss = strtod(line + 6, NULL) * 1024;
    fclose(f);
    return rss;
}

/* ---- exposition parsing ---- */

static int tu_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses `{a="x",b="y"}` at *p into canonical pairs and sorted names. */
static int tu_parse_labels(const char **p, buf *pairs, buf *names)
{
    char *items[64], *keys[64];
    size_t n = 0;
    const char *s = *p + 1;
    int rc = 0;
    while (*s && *s != '}' && n < 64) {
        const char *eq = strchr(s, '=');
        if (!eq || eq[1] != '"') {
            rc = -1;
            break;
        }
        buf item;
        buf_init(&item, 0);
        buf_append(&item, s, (size_t)(eq - s));
        keys[n] = strndup(s, (size_t)(eq - s));
        buf_puts(&item, "=\"");
        s = eq + 2;
        while (*s && *s != '"') {
            if (*s == '\\' && s[1])
                buf_putc(&item, *s++);
            buf_putc(&item, *s++);
        }
        if (*s != '"') {
            buf_free(&item);
            free(keys[n]);
            rc = -1;
            break;
        }
        buf_putc(&item, '"');
        items[n++] = buf_detach(&item, NULL);
        s++;
        if (*s == ',')
            s++;
    }
    if (rc == 0 && *s != '}')
        rc = -1;
    qsort(items, n, sizeof *items, tu_cmp_str);
    qsort(keys, n, sizeof *keys, tu_cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i) {
            buf_putc(pairs, ',');
            buf_putc(names, ',');
        }
        buf_puts(pairs, items[i]);
        buf_puts(names, keys[i]);
        free(items[i]);
        free(keys[i]);
    }
    *p = *s ? s + 1 : s;
    return rc;
}

static size_t tu_add_family(tu_expo *e, const char *name, const char *type)
{
    for (size_t i = 0; i < e->nfams; i++)
        if (strcmp(e->fams[i].name, name) == 0) {
            if (type && strcmp(e->fams[i].type, "untyped") == 0) {
                free(e->fams[i].type);
                e->fams[i].type = strdup(type);
            }
            return i;
        }
    e->fams = realloc(e->fams, (e->nfams + 1) * sizeof *e->fams);
    e->fams[e->nfams] = (tu_family){strdup(name), strdup(type ? type : "untyped"), NULL};
    return e->nfams++;
}

int tu_parse(const char *text, tu_expo *out)
{
    memset(out, 0, sizeof *out);
    char *copy = strdup(text), *save = NULL;
    size_t current = (size_t)-1;
    int rc = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            char name[256], type[32];
            if (sscanf(line, "# TYPE %255s %31s", name, type) == 2)
                current = tu_add_family(out, name, type);
            continue;
        }
        const char *p = line;
        size_t nlen = strcspn(p, "{ ");
        char *name = strndup(p, nlen);
        p += nlen;
        buf pairs, names;
        buf_init(&pairs, 0);
        buf_init(&names, 0);
        buf_puts(&pairs, "");
        buf_puts(&names, "");
        if (*p == '{' && tu_parse_labels(&p, &pairs, &names) != 0)
            rc = -1;
        size_t fam = current;
        if (fam == (size_t)-1 || strncmp(name, out->fams[fam].name,
                                         strlen(out->fams[fam].name)) != 0)
            fam = tu_add_family(out, name, NULL);
        if (!out->fams[fam].label_names)
            out->fams[fam].label_names = strdup(names.data);
        out->samples = realloc(out->samples, (out->nsamples + 1) * sizeof *out->samples);
        out->samples[out->nsamples++] = (tu_sample){name, buf_detach(&pairs, NULL), fam,
                                                    strtod(p, NULL)};
        buf_free(&names);
    }
    free(copy);
    return rc;
}

void tu_expo_free(tu_expo *e)
{
    for (size_t i = 0; i < e->nfams; i++) {
        free(e->fams[i].name);
        free(e->fams[i].type);
        free(e->fams[i].label_names);
    }
    for (size_t i = 0; i < e->nsamples; i++) {
        free(e->samples[i].name);
        free(e->samples[i].labels);
    }
    free(e->fams);
    free(e->samples);
    memset(e, 0, sizeof *e);
}

const tu_family *tu_family_find(const tu_expo *e, const char *name)
{
    for (size_t i = 0; i < e->nfams; i++)
        if (strcmp(e->fams[i].name, name) == 0)
            return &e->fams[i];
    return NULL;
}

const tu_sample *tu_sample_find(const tu_expo *e, const char *name,
                                const char *labels)
{
    for (size_t i = 0; i < e->nsamples; i++)
        if (strcmp(e->samples[i].name, name) == 0 &&
            strcmp(e->samples[i].labels, labels) == 0)
            return &e->samples[i];
    return NULL;
}
