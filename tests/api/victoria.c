#include "victoria.h"

#include <stdio.h>

void victoria_cmd_init(victoria_cmd *c, const char *dir, int port, long max_series)
{
    snprintf(c->flags[0], sizeof c->flags[0], "-storageDataPath=%s", dir);
    snprintf(c->flags[1], sizeof c->flags[1], "-httpListenAddr=127.0.0.1:%d", port);
    snprintf(c->flags[2], sizeof c->flags[2], "-search.maxUniqueTimeseries=%ld", max_series);
    snprintf(c->flags[3], sizeof c->flags[3], "-search.maxQueryDuration=5m");
    snprintf(c->flags[4], sizeof c->flags[4], "-search.latencyOffset=0s");
    int n = 0;
    c->argv[n++] = VICTORIA_BINARY;
    for (int i = 0; i < 5; i++)
        c->argv[n++] = c->flags[i];
    c->argv[n++] = "-search.disableCache";
    c->argv[n++] = "-loggerLevel=ERROR";
    c->argv[n] = NULL;
}

int victoria_get(const peer *p, const char *path)
{
    char url[512];
    buf b;
    buf_init(&b, 0);
    snprintf(url, sizeof url, "%s%s", p->base, path);
    long code = peer_http(url, NULL, &b);
    if (code != 200)
        fprintf(stderr, "%s %s: HTTP %ld %.200s\n", p->name, path, code, b.data ? b.data : "");
    buf_free(&b);
    return code == 200 ? 0 : -1;
}
