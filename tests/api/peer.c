/* peer — starting, stopping and talking to test servers; see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int peer_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static size_t collect(char *p, size_t s, size_t n, void *u)
{
    buf_append(u, p, s * n);
    return s * n;
}

static long request(const char *url, const char *method, const char *form, buf *out)
{
    buf_reset(out);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (form)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    if (method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    buf_puts(out, "");
    return code;
}

long peer_http(const char *url, const char *form, buf *out)
{
    return request(url, NULL, form, out);
}

long peer_http_method(const char *url, const char *method, buf *out)
{
    return request(url, method, NULL, out);
}

int peer_start(peer *p, char *const argv[], const char *log)
{
    p->pid = fork();
    if (p->pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    snprintf(p->base, sizeof p->base, "http://127.0.0.1:%d", p->port);
    char url[128];
    snprintf(url, sizeof url, "%s/-/ready", p->base);
    buf b;
    buf_init(&b, 0);
    int rc = -1;
    for (int i = 0; i < 600 && rc; i++) { /* up to 60 s */
        if (peer_http(url, NULL, &b) == 200)
            rc = 0;
        else if (waitpid(p->pid, NULL, WNOHANG) == p->pid)
            break; /* it died */
        else
            usleep(100000);
    }
    buf_free(&b);
    if (rc)
        fprintf(stderr, "%s did not become ready (log: %s)\n", p->name, log);
    return rc;
}

void peer_stop(peer *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return;
        }
        usleep(100000);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}

int peer_tmpdir(char *out, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/heron-test-XXXXXX", tmp ? tmp : "/tmp");
    return mkdtemp(out) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(path);
}

void peer_rmdir(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void peer_url_escape(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, n - k, "%%%02X", c);
    }
    out[k] = 0;
}
