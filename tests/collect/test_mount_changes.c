/*
 * test_mount_changes.c — the filesystem collector keeps the mount table
 * and re-reads it when the kernel reports a change: a tmpfs mounted,
 * remounted read-only and unmounted between scrapes shows up, turns
 * read-only and goes away. Runs in a mount namespace of its own (needs
 * CAP_SYS_ADMIN; skipped without it), with a procfs tree whose "1" points
 * at /proc/self so that "<procfs>/1/mounts" is this namespace's table.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "testutil.h"

static int g_isolated;
static char g_procfs[64], g_mnt[64];

static void scrape(heron_registry *reg, tu_expo *e)
{
    char *text;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL), 0);
    assert_int_equal(tu_parse(text, e), 0);
    free(text);
}

static void test_mount_table_follows_changes(void **state)
{
    (void)state;
    if (!g_isolated) {
        print_message("skipped: no mount namespace of our own (needs CAP_SYS_ADMIN)\n");
        skip();
    }
    char labels[256];
    snprintf(labels, sizeof labels, "device=\"heron-test\",fstype=\"tmpfs\",mountpoint=\"%s\"",
             g_mnt);
    heron_registry *reg;
    collect_set *set;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    assert_int_equal(collect_register_all(reg, &(collect_config){.enabled = COLLECT_FILESYSTEM,
                                                                 .procfs = g_procfs},
                                          &set, NULL),
                     0);
    tu_expo e;
    scrape(reg, &e);
    assert_null(tu_sample_find(&e, "node_filesystem_readonly", labels));
    tu_expo_free(&e);

    assert_int_equal(mount("heron-test", g_mnt, "tmpfs", 0, "size=1m"), 0);
    scrape(reg, &e);
    const tu_sample *s = tu_sample_find(&e, "node_filesystem_readonly", labels);
    assert_non_null(s);
    assert_true(s->value == 0);
    s = tu_sample_find(&e, "node_filesystem_size_bytes", labels);
    assert_non_null(s);
    assert_true(s->value == 1024 * 1024);
    tu_expo_free(&e);

    assert_int_equal(mount(NULL, g_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    scrape(reg, &e);
    s = tu_sample_find(&e, "node_filesystem_readonly", labels);
    assert_non_null(s);
    assert_true(s->value == 1);
    tu_expo_free(&e);

    assert_int_equal(umount(g_mnt), 0);
    scrape(reg, &e);
    assert_null(tu_sample_find(&e, "node_filesystem_readonly", labels));
    tu_expo_free(&e);
    collect_free(set);
    heron_registry_free(reg);
}

int main(void)
{
    /* before any thread exists: a private mount namespace for this process */
    if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
        snprintf(g_procfs, sizeof g_procfs, "/tmp/heron_mounts_proc_XXXXXX");
        snprintf(g_mnt, sizeof g_mnt, "/tmp/heron_mounts_mnt_XXXXXX");
        char link[128];
        if (mkdtemp(g_procfs) && mkdtemp(g_mnt) &&
            snprintf(link, sizeof link, "%s/1", g_procfs) > 0 &&
            symlink("/proc/self", link) == 0)
            g_isolated = 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_table_follows_changes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (g_isolated) {
        char link[128];
        snprintf(link, sizeof link, "%s/1", g_procfs);
        unlink(link);
        rmdir(g_procfs);
        rmdir(g_mnt);
    }
    return rc;
}
