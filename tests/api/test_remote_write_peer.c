/*
 * test_remote_write_peer — a real Prometheus 2.42 as the remote_write
 * client: it scrapes itself every second and sends to heron's
 * /api/v1/write; heron must then answer queries on what it received
 * (prometheus_build_info, up, a rate over later batches) with the labels
 * Prometheus attached. Exit
 * status 77 (skipped) without /usr/bin/prometheus.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define PROMETHEUS "/usr/bin/prometheus"

/* The number of series heron returns for q now (-1 on error). */
static int series_now(const peer *h, const char *q)
{
    char esc[512], url[1024];
    peer_url_escape(q, esc, sizeof esc);
    snprintf(url, sizeof url, "%s/api/v1/query?query=%s", h->base, esc);
    buf b;
    buf_init(&b, 0);
    long code = peer_http(url, NULL, &b);
    json_t *root = json_loads(b.data, 0, NULL);
    int n = code == 200 ? (int)json_array_size(json_object_get(
                              json_object_get(root, "data"), "result"))
                        : -1;
    json_decref(root);
    buf_free(&b);
    return n;
}

int main(void)
{
    if (access(PROMETHEUS, X_OK) != 0) {
        printf("SKIP: %s not installed\n", PROMETHEUS);
        return 77;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[512], tmp[256];
    snprintf(heron, sizeof heron, "%s/heron", bin ? bin : ".");
    if (peer_tmpdir(tmp, sizeof tmp))
        return 1;
    peer h = {"heron", 0, peer_free_port(), ""}, p = {"prometheus", 0, peer_free_port(), ""};
    char hcfg[320], pcfg[320], hdata[340], pdata[340], hlog[320], plog[320];
    char hl[64], pl[64], hcfgflag[340], pcfgflag[340];
    snprintf(hcfg, sizeof hcfg, "%s/heron.yml", tmp);
    snprintf(pcfg, sizeof pcfg, "%s/prometheus.yml", tmp);
    snprintf(hdata, sizeof hdata, "--storage.tsdb.path=%s/heron", tmp);
    snprintf(pdata, sizeof pdata, "--storage.tsdb.path=%s/prometheus", tmp);
    snprintf(hlog, sizeof hlog, "%s/heron.log", tmp);
    snprintf(plog, sizeof plog, "%s/prometheus.log", tmp);
    snprintf(hcfgflag, sizeof hcfgflag, "--config.file=%s", hcfg);
    snprintf(pcfgflag, sizeof pcfgflag, "--config.file=%s", pcfg);
    snprintf(hl, sizeof hl, "--web.listen-address=127.0.0.1:%d", h.port);
    snprintf(pl, sizeof pl, "--web.listen-address=127.0.0.1:%d", p.port);
    FILE *f = fopen(hcfg, "w");
    fputs("global:\n  scrape_interval: 15s\n", f);
    fclose(f);
    f = fopen(pcfg, "w");
    fprintf(f,
            "global:\n  scrape_interval: 1s\n  external_labels:\n    replica: a\n"
            "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n"
            "      - targets: ['127.0.0.1:%d']\n"
            "remote_write:\n  - url: http://127.0.0.1:%d/api/v1/write\n"
            "    queue_config:\n      batch_send_deadline: 1s\n      min_backoff: 100ms\n",
            p.port, h.port);
    fclose(f);
    char *hargv[] = {heron, "server", hcfgflag, hl, hdata,
                     "--web.enable-remote-write-receiver", "--log.level=warn", NULL};
    char *pargv[] = {PROMETHEUS, pcfgflag, pl, pdata, "--log.level=warn", NULL};
    int rc = 1;
    if (peer_start(&h, hargv, hlog) == 0 && peer_start(&p, pargv, plog) == 0) {
        int got = 0;
        for (int i = 0; i < 600 && got < 1; i++) { /* up to 60 s */
            got = series_now(&h, "prometheus_build_info{job=\"prometheus\",replica=\"a\"}");
            if (got < 1)
                usleep(100000);
        }
        int up = series_now(&h, "up{job=\"prometheus\",replica=\"a\"} == 1");
        /* later batches arrive too: a rate needs two samples of a series */
        int rate = 0;
        for (int i = 0; i < 600 && got == 1 && rate < 1; i++) {
            rate = series_now(&h, "rate(prometheus_tsdb_head_samples_appended_total[1m]) > 0");
            if (rate < 1)
                usleep(100000);
        }
        printf("remote_write from prometheus: build_info %d, up %d, rate series %d\n", got, up,
               rate);
        rc = got == 1 && up == 1 && rate >= 1 ? 0 : 1;
        if (rc)
            fprintf(stderr, "see %s and %s\n", hlog, plog);
    }
    peer_stop(&p);
    peer_stop(&h);
    if (rc == 0)
        peer_rmdir(tmp);
    curl_global_cleanup();
    return rc;
}
