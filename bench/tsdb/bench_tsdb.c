/*
 * bench_tsdb — heron's TSDB in-process: ingest rate and CPU, resident
 * memory per active series, bytes per sample on disk after compaction,
 * select+decode throughput and raw chunk decode speed. One `name value
 * unit` line per figure; peers' numbers are printed as reference lines
 * (measured earlier through their own ingestion paths, not in this run).
 *
 *   bench_tsdb [--series N] [--hours H] [--threads T] [--reads R] [--dir D]
 *              [--keep 1]
 *
 * --reads repeats each select+decode pass R times (the figures are over
 * all of them), for steadier numbers on a shared machine.
 *
 * Data: scrape targets of 100 series each at a 15 s interval (a quarter of
 * timestamps jitter by a few ms): 50% counters with integer increments,
 * 30% histogram buckets (cumulative integer counters), 10% integer gauges
 * (random walk in 4 KiB steps), 10% decimal gauges (one decimal digit).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tsdb/chunk.h"
#include "tsdb/tsdb.h"

#define STEP 15000
#define PER_TARGET 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Resident bytes (total and anonymous) from /proc/self/status. */
static void rss(long *total, long *anon)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    *total = *anon = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *total = atol(line + 6) * 1024;
        else if (!strncmp(line, "RssAnon:", 8))
            *anon = atol(line + 8) * 1024;
    }
    if (f)
        fclose(f);
}

static void rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        char p[4096];
        while (d && (de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            if (snprintf(p, sizeof p, "%s/%s", path, de->d_name) < (int)sizeof p)
                rmtree(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

typedef struct series_state {
    double v;
    tsdb_ref ref;
} series_state;

typedef struct worker {
    tsdb_db *db;
    int first_target, ntargets;
    int64_t t0;
    int steps;
    series_state *st; /* ntargets * PER_TARGET */
    uint64_t samples;
    int failed;
} worker;

static uint64_t xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static const char *kind_of(int i, char *le, size_t cap)
{
    int k = i % 10;
    if (k < 5)
        return "counter";
    if (k < 8) {
        static const char *les[] = {"0.1", "1", "+Inf"};
        snprintf(le, cap, "%s", les[k - 5]);
        return "histogram";
    }
    return k == 8 ? "gauge_bytes" : "gauge_temp";
}

static void *ingest(void *arg)
{
    worker *w = arg;
    tsdb_appender *a;
    heron_err err = {0};
    if (tsdb_appender_new(w->db, &a, &err)) {
        w->failed = 1;
        return NULL;
    }
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)w->first_target;
    char inst[32], job[32], metric[64], le[16];
    for (int step = 0; step < w->steps && !w->failed; step++) {
        for (int tg = 0; tg < w->ntargets; tg++) {
            int target = w->first_target + tg;
            int64_t t = w->t0 + (int64_t)step * STEP;
            if (xs(&rng) % 4 == 0)
                t += (int64_t)(xs(&rng) % 5);
            for (int i = 0; i < PER_TARGET; i++) {
                series_state *s = &w->st[tg * PER_TARGET + i];
                const char *kind = kind_of(i, le, sizeof le);
                switch (i % 10) {
                case 0: case 1: case 2: case 3: case 4:
                    s->v += (double)(xs(&rng) % 20);
                    break;
                case 5: case 6: case 7:
                    s->v += (double)(xs(&rng) % (unsigned)(3 * (i % 10 - 4)));
                    break;
                case 8:
                    s->v += 4096.0 * ((double)(xs(&rng) % 21) - 10.0);
                    break;
                default:
                    s->v = (double)(400 + (int)(xs(&rng) % 200)) / 10.0;
                }
                tsdb_label ls[5];
                size_t n = 0;
                if (!s->ref) {
                    snprintf(metric, sizeof metric, "bench_%s_%d", kind, i / 10);
                    snprintf(inst, sizeof inst, "host-%06d:9100", target);
                    snprintf(job, sizeof job, "job-%d", target % 20);
                    ls[n++] = (tsdb_label){"__name__", metric};
                    ls[n++] = (tsdb_label){"instance", inst};
                    ls[n++] = (tsdb_label){"job", job};
                    if (i % 10 >= 5 && i % 10 < 8)
                        ls[n++] = (tsdb_label){"le", le};
                    tsdb_labels_sort(ls, n);
                }
                if (tsdb_append(a, &s->ref, n ? ls : NULL, n, t, s->v, &err)) {
                    fprintf(stderr, "append: %s\n", err.msg);
                    w->failed = 1;
                    break;
                }
                w->samples++;
            }
            if (tsdb_appender_commit(a, &err)) {
                fprintf(stderr, "commit: %s\n", err.msg);
                w->failed = 1;
            }
        }
    }
    tsdb_appender_free(a);
    return NULL;
}

/* Iterates every sample of the store (sample by sample, or in batches),
 * summing the values into *sum; returns samples read. The sum runs in
 * locals: through the pointer, which may alias the batch, every add would
 * wait for the previous one's store (a chain of about 8 cycles a sample).
 * Batches are summed into four accumulators: one would still chain every
 * add on the last (4 cycles a sample, a tenth of a head read), which times
 * the adder rather than the store. */
static uint64_t read_once(tsdb_db *db, int batch, double *sum)
{
    tsdb_querier *q;
    tsdb_series_set *set;
    tsdb_matcher *m;
    uint64_t n = 0;
    double acc = 0;
    *sum = 0;
    if (tsdb_matcher_new(TSDB_MATCH_RE, "__name__", "bench_.*", &m, NULL) ||
        tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q, NULL))
        return 0;
    if (tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1, &set, NULL) == 0) {
        while (tsdb_series_set_next(set) == 1) {
            tsdb_iterator *it = tsdb_series_set_iterator(set);
            if (batch) {
                const int64_t *ts;
                const double *vs;
                int k;
                while ((k = tsdb_iterator_next_batch(it, &ts, &vs)) > 0) {
                    double part[4] = {0, 0, 0, 0};
                    int j = 0;
                    for (; j + 4 <= k; j += 4)
                        for (int l = 0; l < 4; l++)
                            part[l] += vs[j + l];
                    for (; j < k; j++)
                        part[0] += vs[j];
                    acc += (part[0] + part[1]) + (part[2] + part[3]);
                    n += (uint64_t)k;
                }
                continue;
            }
            while (tsdb_iterator_next(it) == 1) {
                double v;
                tsdb_iterator_at(it, NULL, &v);
                acc += v;
                n++;
            }
        }
        tsdb_series_set_free(set);
    }
    tsdb_querier_free(q);
    tsdb_matcher_free(m);
    *sum = acc;
    return n;
}

/* read_once `reads` times; returns the samples of all passes. Not inlined
 * (callgrind --dump-before=read_all counts each pass on its own). */
static __attribute__((noinline)) uint64_t read_all(tsdb_db *db, int batch, int reads, double *sum)
{
    uint64_t n = 0;
    for (int r = 0; r < reads; r++)
        n += read_once(db, batch, sum);
    return n;
}

typedef uint8_t chunk_buf[CHUNK_BUF_BYTES(CHUNK_MAX_SAMPLES)];

/* A set of chunks to decode: bytes, lengths, encodings. */
typedef struct chunk_set {
    chunk_buf *bufs;
    size_t *lens;
    uint8_t *encs;
    uint64_t bytes;
} chunk_set;

/* Decodes every chunk of cs 25 times and prints the rates as
 * tsdb_chunk_<name>_decode_*. Not inlined, so that callgrind can count
 * each pass on its own (--dump-before=codec_pass*). */
static __attribute__((noinline)) double codec_pass(const char *name,
                                                   const chunk_set *cs, int nc)
{
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    double acc = 0;
    uint64_t n = 0;
    double t0 = now(), c0 = cpu();
    for (int r = 0; r < 25; r++)
        for (int c = 0; c < nc; c++) {
            int k = chunk_decode_enc(cs->encs[c], cs->bufs[c], cs->lens[c], ts, vs,
                                     CHUNK_MAX_SAMPLES);
            for (int j = 0; j < k; j++)
                acc += vs[j] + (double)ts[j];
            n += (uint64_t)k;
        }
    double dt = now() - t0, dc = cpu() - c0;
    printf("tsdb_chunk_%s_decode_samples_per_second %.0f samples/s\n", name,
           (double)n / dt);
    printf("tsdb_chunk_%s_decode_samples_per_cpu_second %.0f samples/s\n", name,
           (double)n / dc);
    printf("tsdb_chunk_%s_bytes_per_sample %.3f bytes\n", name,
           (double)cs->bytes / (nc * (double)CHUNK_MAX_SAMPLES));
    return acc;
}

static int chunk_set_alloc(chunk_set *cs, int nc)
{
    cs->bufs = malloc((size_t)nc * sizeof *cs->bufs);
    cs->lens = malloc((size_t)nc * sizeof *cs->lens);
    cs->encs = malloc((size_t)nc);
    cs->bytes = 0;
    return cs->bufs && cs->lens && cs->encs ? 0 : -1;
}

static void chunk_set_free(chunk_set *cs)
{
    free(cs->bufs);
    free(cs->lens);
    free(cs->encs);
}

/* Raw decode of realistic chunks, one core: head (XOR) chunks, then the
 * same samples as a block stores them (integer where exact and smaller). */
static void bench_codec(void)
{
    enum { NC = 20000 };
    chunk_set xc, bc;
    if (chunk_set_alloc(&xc, NC) || chunk_set_alloc(&bc, NC)) {
        fprintf(stderr, "bench_codec: out of memory\n");
        exit(1);
    }
    uint64_t rng = 42;
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    for (int c = 0; c < NC; c++) {
        chunk_enc e;
        chunk_enc_init(&e, xc.bufs[c]);
        double v = 0;
        int64_t t = 1700000000000;
        for (int i = 0; i < CHUNK_MAX_SAMPLES; i++) {
            t += STEP + (xs(&rng) % 4 == 0 ? (int64_t)(xs(&rng) % 5) : 0);
            if (c % 10 < 8)
                v += (double)(xs(&rng) % 20);
            else
                v = (double)(400 + (int)(xs(&rng) % 200)) / 10.0;
            chunk_enc_append(&e, t, v);
            ts[i] = t;
            vs[i] = v;
        }
        xc.lens[c] = chunk_enc_len(&e);
        xc.encs[c] = CHUNK_ENC_XOR;
        xc.bytes += xc.lens[c];
        size_t il = chunk_int_encode(ts, vs, CHUNK_MAX_SAMPLES, bc.bufs[c],
                                     sizeof bc.bufs[c]);
        if (il && il < xc.lens[c]) {
            bc.lens[c] = il;
            bc.encs[c] = CHUNK_ENC_INT;
        } else {
            memcpy(bc.bufs[c], xc.bufs[c], xc.lens[c]);
            bc.lens[c] = xc.lens[c];
            bc.encs[c] = CHUNK_ENC_XOR;
        }
        bc.bytes += bc.lens[c];
    }
    double acc = codec_pass("xor", &xc, NC) + codec_pass("block", &bc, NC);
    if (acc == 42)
        printf("# %g\n", acc);
    chunk_set_free(&xc);
    chunk_set_free(&bc);
}

int main(int argc, char **argv)
{
    int series = 200000, threads = 1, reads = 1;
    double hours = 2;
    const char *dir = "/tmp/heron-bench-tsdb";
    int keep = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--series"))
            series = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--hours"))
            hours = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--reads"))
            reads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--keep"))
            keep = atoi(argv[i + 1]);
    }
    int targets = series / PER_TARGET;
    series = targets * PER_TARGET;
    int steps = (int)(hours * 3600000 / STEP);
    if (threads < 1 || threads > targets)
        threads = 1;
    if (reads < 1)
        reads = 1;

    bench_codec();

    rmtree(dir);
    tsdb_options o = {.wal_sync = TSDB_WAL_SYNC_INTERVAL, .block_range_ms = 2 * 3600000};
    tsdb_db *db;
    heron_err err = {0};
    long rss0, anon0;
    rss(&rss0, &anon0);
    if (tsdb_open(dir, &o, &db, &err)) {
        fprintf(stderr, "open %s: %s\n", dir, err.msg);
        return 1;
    }
    worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    int64_t t0 = 1700000000000LL / (2 * 3600000) * (2 * 3600000);
    for (int i = 0; i < threads; i++) {
        w[i].db = db;
        w[i].first_target = targets * i / threads;
        w[i].ntargets = targets * (i + 1) / threads - w[i].first_target;
        w[i].t0 = t0;
        w[i].steps = steps;
        w[i].st = calloc((size_t)w[i].ntargets * PER_TARGET, sizeof *w[i].st);
    }
    double c0 = cpu(), wall0 = now();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, ingest, &w[i]);
    uint64_t samples = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        samples += w[i].samples;
        failed |= w[i].failed;
    }
    double wall = now() - wall0, cpus = cpu() - c0;
    if (failed)
        return 1;
    long rss1, anon1;
    rss(&rss1, &anon1);
    long state = 0;
    for (int i = 0; i < threads; i++)
        state += (long)((size_t)w[i].ntargets * PER_TARGET * sizeof *w[i].st);
    printf("tsdb_active_series %d series\n", series);
    printf("tsdb_ingest_samples %llu samples\n", (unsigned long long)samples);
    printf("tsdb_ingest_threads %d threads\n", threads);
    printf("tsdb_ingest_samples_per_second %.0f samples/s\n", (double)samples / wall);
    printf("tsdb_ingest_cpu_seconds_per_million_samples %.3f cpu-seconds\n",
           cpus / ((double)samples / 1e6));
    printf("tsdb_resident_bytes_per_active_series %.0f bytes\n",
           (double)(rss1 - rss0 - state) / series);
    printf("tsdb_resident_anon_bytes_per_active_series %.0f bytes\n",
           (double)(anon1 - anon0 - state) / series);

    double sum;
    double r0 = now(), rc0 = cpu();
    uint64_t got = read_all(db, 1, reads, &sum);
    double rd = now() - r0, rcpu = cpu() - rc0;
    printf("tsdb_head_select_decode_samples_per_second %.0f samples/s\n", (double)got / rd);
    printf("tsdb_head_select_decode_samples_per_cpu_second %.0f samples/s\n",
           (double)got / rcpu);

    if (tsdb_flush_head(db, &err)) {
        fprintf(stderr, "flush: %s\n", err.msg);
        return 1;
    }
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    printf("tsdb_disk_bytes_per_sample %.3f bytes\n", (double)st.block_bytes / (double)samples);
    for (int batch = 1; batch >= 0; batch--) {
        r0 = now();
        rc0 = cpu();
        uint64_t got2 = read_all(db, batch, reads, &sum);
        rd = now() - r0;
        rcpu = cpu() - rc0;
        if (got2 != got)
            fprintf(stderr, "block read %llu samples, head %llu\n",
                    (unsigned long long)got2, (unsigned long long)got);
        const char *how = batch ? "" : "_one_by_one";
        printf("tsdb_block_select_decode%s_samples_per_second %.0f samples/s\n", how,
               (double)got2 / rd);
        printf("tsdb_block_select_decode%s_samples_per_cpu_second %.0f samples/s\n", how,
               (double)got2 / rcpu);
    }
    tsdb_close(db);
    printf("reference_prometheus_ingest_cpu_seconds_per_million_samples 2.7 cpu-seconds\n");
    printf("reference_prometheus_resident_bytes_per_active_series 4800 bytes\n");
    printf("reference_victoriametrics_resident_bytes_per_active_series 1800 bytes\n");
    printf("reference_prometheus_disk_bytes_per_sample 3.0 bytes\n");
    printf("reference_victoriametrics_disk_bytes_per_sample 1.5 bytes\n");
    printf("target_select_decode_samples_per_cpu_second 200000000 samples/s\n");
    for (int i = 0; i < threads; i++)
        free(w[i].st);
    free(w);
    free(th);
    if (!keep)
        rmtree(dir);
    return 0;
}
