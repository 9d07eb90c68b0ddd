/*
 * test_hung_mount.c — a mount whose statfs never answers must not stall
 * the scrape: it is reported with node_filesystem_device_error 1, not
 * statted again while stuck, and comes back once its statfs returns. Also
 * scrapes from several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "collect/module.h"
#include "testutil.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_released;
static int g_hung_calls, g_hung_returns;
static char g_root[4096];

/* statfs that hangs on ".../nfs" until the test releases it. */
static int hanging_statfs(const char *path, struct statfs *out)
{
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, "/nfs") == 0) {
        pthread_mutex_lock(&g_lock);
        g_hung_calls++;
        while (!g_released)
            pthread_cond_wait(&g_cond, &g_lock);
        g_hung_returns++;
        pthread_mutex_unlock(&g_lock);
    }
    return statfs(path, out);
}

static void scrape(heron_registry *reg, tu_expo *e)
{
    char *text;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL), 0);
    assert_int_equal(tu_parse(text, e), 0);
    free(text);
}

static double value(const tu_expo *e, const char *name, const char *labels)
{
    const tu_sample *s = tu_sample_find(e, name, labels);
    if (!s)
        fail_msg("missing %s{%s}", name, labels);
    return s->value;
}

#define NFS "device=\"server:/export\",fstype=\"nfs4\",mountpoint=\"/nfs\""
#define SMB "device=\"//server/share\",fstype=\"cifs\",mountpoint=\"/smb\""
#define ROOT "device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\""

static void registry_for_basic(heron_registry **reg, collect_set **set)
{
    char proc[4200], root[4200];
    snprintf(proc, sizeof proc, "%s/proc", g_root);
    snprintf(root, sizeof root, "%s/root", g_root);
    assert_int_equal(heron_registry_new(reg, NULL), 0);
    collect_config cfg = {.enabled = COLLECT_FILESYSTEM, .procfs = proc, .rootfs = root,
                          .fs_timeout_ms = 200};
    assert_int_equal(collect_register_all(*reg, &cfg, set, NULL), 0);
}

static void test_hung_mount_is_skipped_and_recovers(void **state)
{
    (void)state;
    collect_fs_statfs = hanging_statfs;
    heron_registry *reg;
    collect_set *set;
    registry_for_basic(&reg, &set);

    tu_expo e;
    scrape(reg, &e);
    assert_int_equal(value(&e, "node_filesystem_device_error", NFS), 1);
    assert_null(tu_sample_find(&e, "node_filesystem_size_bytes", NFS));
    /* the network mount after the hung one was still statted, by a fresh
     * worker, and the local ones on the scraping thread */
    assert_int_equal(value(&e, "node_filesystem_device_error", SMB), 0);
    assert_non_null(tu_sample_find(&e, "node_filesystem_size_bytes", SMB));
    assert_int_equal(value(&e, "node_filesystem_device_error", ROOT), 0);
    tu_expo_free(&e);

    scrape(reg, &e);
    assert_int_equal(value(&e, "node_filesystem_device_error", NFS), 1);
    tu_expo_free(&e);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_hung_calls, 1); /* not statted again while stuck */
    g_released = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);

    int recovered = 0;
    for (int i = 0; i < 200 && !recovered; i++) {
        scrape(reg, &e);
        recovered = value(&e, "node_filesystem_device_error", NFS) == 0;
        if (recovered)
            assert_non_null(tu_sample_find(&e, "node_filesystem_size_bytes", NFS));
        tu_expo_free(&e);
        if (!recovered)
            nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    }
    assert_true(recovered);
    collect_free(set);
    heron_registry_free(reg);
    collect_fs_statfs = statfs;
}

/* Freeing the collectors while a statfs hangs is safe: the stuck worker
 * keeps what it uses alive and drops it when it returns. */
static void test_free_while_hung(void **state)
{
    (void)state;
    pthread_mutex_lock(&g_lock);
    g_released = 0;
    g_hung_calls = g_hung_returns = 0;
    pthread_mutex_unlock(&g_lock);
    collect_fs_statfs = hanging_statfs;
    heron_registry *reg;
    collect_set *set;
    registry_for_basic(&reg, &set);
    tu_expo e;
    scrape(reg, &e);
    assert_int_equal(value(&e, "node_filesystem_device_error", NFS), 1);
    tu_expo_free(&e);
    collect_free(set);
    heron_registry_free(reg);

    pthread_mutex_lock(&g_lock);
    g_released = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    int returned = 0;
    for (int i = 0; i < 200 && !returned; i++) {
        pthread_mutex_lock(&g_lock);
        returned = g_hung_returns == 1;
        pthread_mutex_unlock(&g_lock);
        if (!returned)
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    assert_true(returned);
    nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL); /* let it unwind */
    collect_fs_statfs = statfs;
}

static void *scrape_loop(void *arg)
{
    heron_registry *reg = arg;
    for (int i = 0; i < 20; i++) {
        char *text;
        size_t len;
        if (heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL) != 0)
            return (void *)1;
        int ok = strstr(text, "node_cpu_seconds_total{") && strstr(text, "node_filesystem_");
        free(text);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

static void test_concurrent_scrapes(void **state)
{
    (void)state;
    heron_registry *reg;
    collect_set *set;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    assert_int_equal(collect_register_all(reg, &(collect_config){.enabled = COLLECT_DEFAULT &
                                                                             ~(unsigned)COLLECT_NVML},
                                          &set, NULL),
                     0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, scrape_loop, reg), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    collect_free(set);
    heron_registry_free(reg);
}

int main(void)
{
    const char *src = getenv("HERON_SOURCE_DIR");
    snprintf(g_root, sizeof g_root, "%.2000s/tests/data/collect/basic", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hung_mount_is_skipped_and_recovers),
        cmocka_unit_test(test_free_while_hung),
        cmocka_unit_test(test_concurrent_scrapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
