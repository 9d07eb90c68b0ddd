/*
 * victoria — test support: VictoriaMetrics 1.79 (Debian package
 * victoria-metrics) as a peer started with peer_start: its command line
 * and its /internal endpoints. Loopback only; stopped with peer_stop.
 */
#ifndef HERON_TESTS_VICTORIA_H
#define HERON_TESTS_VICTORIA_H

#include "peer.h"

#define VICTORIA_BINARY "/usr/bin/victoria-metrics"

typedef struct victoria_cmd {
    char flags[5][400];
    char *argv[9]; /* NULL-terminated, for peer_start */
} victoria_cmd;

/* Fills c->argv: storage in dir, listening on 127.0.0.1:port, up to
 * max_series series per query, queries of up to 5 minutes, response cache
 * off (so that repeated queries are evaluated each time), points visible
 * as soon as they are written (no latency offset), errors only in the log. */
void victoria_cmd_init(victoria_cmd *c, const char *dir, int port, long max_series);
/* GET path (e.g. "/internal/force_flush") on p; 0, or -1 with the answer
 * on stderr. */
int victoria_get(const peer *p, const char *path);

#endif
