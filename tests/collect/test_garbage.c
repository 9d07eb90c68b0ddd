/*
 * test_garbage.c — the collectors on /proc, /sys and rootfs trees full of
 * pseudo-random text (fixed seed): every scrape must succeed, whatever the
 * files hold. Run under ASan+UBSan this is a small fuzzer for the parsers;
 * HERON_GARBAGE_ROUNDS and HERON_GARBAGE_SEED make it a longer or another one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Text that looks enough like /proc to reach deep into the parsers. */
static void random_text(FILE *f)
{
    static const char *const tokens[] = {
        "cpu", "cpu0", "cpu12", "btime", "intr", "ctxt", "MemTotal:", "kB", "Active(anon):",
        "some", "full", "total=", "avg10=1.0", "eth0:", "lo:", ":", "sda", "nvme0n1p1",
        "/dev/sda1", "/", "/mnt", "ext4", "nfs4", "rw,ro", "\\040", "\\", "(", ")", "\"",
        "usage_usec", "anon", "inactive_file", "max", "ID=", "VERSION_ID=\"", "'", "=",
        "-1", "0", "18446744073709551615", "1e308", "nan", "inf", "0x1f", "3.5", "",
        "\t", " ", "  ", "\xff\xfe", "\xc3\xa9"};
    size_t lines = rnd() % 40;
    for (size_t l = 0; l < lines; l++) {
        size_t words = rnd() % 24;
        for (size_t w = 0; w < words; w++) {
            if (rnd() % 4 == 0)
                fprintf(f, "%llu", (unsigned long long)(rnd() % 100000000));
            else
                fputs(tokens[rnd() % (sizeof tokens / sizeof *tokens)], f);
            if (rnd() % 3)
                fputc(' ', f);
        }
        if (rnd() % 50 == 0)
            for (int i = 0; i < 5000; i++)
                fputc('a' + (int)(rnd() % 26), f);
        if (rnd() % 10)
            fputc('\n', f);
    }
}

static void write_random(const char *root, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    if (rnd() % 8 == 0) { /* sometimes the file is missing */
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    random_text(f);
    fclose(f);
}

static void test_random_trees(void **state)
{
    (void)state;
    /* tmpfs when there is one: thousands of rewrites, no disk I/O */
    char root[64];
    snprintf(root, sizeof root, "%s/heron_collect_garbage_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(root));
    static const char *const files[] = {
        "proc/stat", "proc/loadavg", "proc/meminfo", "proc/diskstats", "proc/net/dev",
        "proc/1/mounts", "proc/pressure/cpu", "proc/pressure/io", "proc/pressure/memory",
        "proc/4242/stat", "proc/4242/cmdline",
        "sys/fs/cgroup/cgroup.controllers", "sys/fs/cgroup/cpu.stat",
        "sys/fs/cgroup/a/cpu.stat", "sys/fs/cgroup/a/memory.stat",
        "sys/fs/cgroup/a/memory.current", "sys/fs/cgroup/a/memory.max",
        "sys/devices/system/clocksource/clocksource0/available_clocksource",
        "sys/devices/system/clocksource/clocksource0/current_clocksource",
        "root/etc/os-release", "root/run/udev/data/b8:0"};
    char procfs[4200], sysfs[4200], rootfs[4200];
    snprintf(procfs, sizeof procfs, "%s/proc", root);
    snprintf(sysfs, sizeof sysfs, "%s/sys", root);
    snprintf(rootfs, sizeof rootfs, "%s/root", root);
    const char *names[] = {"cpu0", "a"};
    const int pids[] = {4242};
    const char *env_rounds = getenv("HERON_GARBAGE_ROUNDS");
    const char *env_seed = getenv("HERON_GARBAGE_SEED");
    int rounds = env_rounds ? atoi(env_rounds) : 150;
    if (env_seed && strtoull(env_seed, NULL, 10))
        g_rng = strtoull(env_seed, NULL, 10);
    for (int round = 0; round < rounds; round++) {
        for (size_t i = 0; i < sizeof files / sizeof *files; i++)
            write_random(root, files[i]);
        heron_registry *reg;
        collect_set *set = NULL;
        assert_int_equal(heron_registry_new(&reg, NULL), 0);
        collect_config cfg = {.enabled = COLLECT_DEFAULT & ~(unsigned)COLLECT_NVML,
                              .procfs = procfs, .sysfs = sysfs, .rootfs = rootfs,
                              .process_names = names, .process_name_count = 2,
                              .process_pids = pids, .process_pid_count = 1,
                              .fs_timeout_ms = 1000};
        assert_int_equal(collect_register_all(reg, &cfg, &set, NULL), 0);
        for (int scrape = 0; scrape < 2; scrape++) {
            char *text;
            size_t len;
            assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL), 0);
            assert_non_null(strstr(text, "node_scrape_collector_success"));
            free(text);
        }
        collect_free(set);
        heron_registry_free(reg);
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
