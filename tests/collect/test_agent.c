/*
 * test_agent.c — `heron agent` as a user runs it: node_exporter's flags
 * (--path.*, --no-collector.*, exclusion patterns, process watching),
 * usage errors with exit status 2, the landing page and 404s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static char g_heron[4096], g_data[4096];

/* Runs heron agent with args until it exits; returns its exit status. */
static int run_to_exit(char **args)
{
    pid_t pid = tu_spawn(args, NULL);
    assert_true(pid > 0);
    int status = -1;
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        usleep(25000);
    }
    tu_stop(pid);
    fail_msg("heron agent did not exit");
    return -1;
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *unknown[] = {g_heron, "agent", "--no-such-flag", NULL};
    assert_int_equal(run_to_exit(unknown), 2);
    char *regex[] = {g_heron, "agent", "--web.listen-address=127.0.0.1:0",
                     "--collector.netdev.device-exclude=([", NULL};
    assert_int_equal(run_to_exit(regex), 2);
    char *pid[] = {g_heron, "agent", "--collector.processes.pids=12,abc", NULL};
    assert_int_equal(run_to_exit(pid), 2);
    char *level[] = {g_heron, "agent", "--log.level=loud", NULL};
    assert_int_equal(run_to_exit(level), 2);
    char *help[] = {g_heron, "agent", "--help", NULL};
    assert_int_equal(run_to_exit(help), 0);
}

/* Feeds text to `promtool check metrics` (Prometheus' own parser and
 * linter) and fails on anything but node_exporter's camelCase meminfo names,
 * which it lints too. Skipped without promtool. */
static void check_with_promtool(const char *text)
{
    if (access("/usr/bin/promtool", X_OK) != 0) {
        print_message("promtool not installed: exposition not linted\n");
        return;
    }
    char in[] = "/tmp/heron_agent_metrics_XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/promtool check metrics < %s 2>&1", in);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    int bad = 0;
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "node_memory_", 12) == 0 && strstr(line, "camelCase"))
            continue;
        print_error("promtool: %s", line);
        bad++;
    }
    pclose(p);
    unlink(in);
    assert_int_equal(bad, 0);
}

/* Starts the agent with extra flags, scrapes once, stops it. */
static void scrape_agent(char **extra, tu_expo *e, buf *landing, int *missing_status,
                         int lint)
{
    int port = tu_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *args[16] = {g_heron, "agent", listen, "--log.level=error"};
    int n = 4;
    for (int i = 0; extra[i] && n < 15; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    pid_t pid = tu_spawn(args, NULL);
    assert_true(pid > 0);
    int ready = tu_wait_http(port, "/metrics", 200);
    buf body;
    buf_init(&body, 0);
    int status = ready == 0 ? tu_http_get(port, "/metrics", &body) : -1;
    if (landing)
        tu_http_get(port, "/", landing);
    if (missing_status) {
        buf tmp;
        buf_init(&tmp, 0);
        *missing_status = tu_http_get(port, "/nope", &tmp);
        buf_free(&tmp);
    }
    tu_stop(pid);
    assert_int_equal(status, 200);
    assert_int_equal(tu_parse(body.data, e), 0);
    if (lint)
        check_with_promtool(body.data);
    buf_free(&body);
}

static void test_paths_and_switches(void **state)
{
    (void)state;
    char procfs[4200], sysfs[4200], rootfs[4200];
    snprintf(procfs, sizeof procfs, "--path.procfs=%s/proc", g_data);
    snprintf(sysfs, sizeof sysfs, "--path.sysfs=%s/sys", g_data);
    snprintf(rootfs, sizeof rootfs, "--path.rootfs=%s/root", g_data);
    char *extra[] = {procfs, sysfs, rootfs, "--no-collector.meminfo", "--no-collector.nvml",
                     "--collector.netdev.device-exclude=^(lo|br-.*)$",
                     "--collector.processes.names=nginx", NULL};
    tu_expo e;
    buf landing;
    buf_init(&landing, 0);
    int missing = 0;
    scrape_agent(extra, &e, &landing, &missing, 0);
    assert_non_null(strstr(landing.data, "href=\"/metrics\""));
    assert_int_equal(missing, 404);
    buf_free(&landing);
    /* values from the recorded tree, not from this machine */
    const tu_sample *s = tu_sample_find(&e, "node_boot_time_seconds", "");
    assert_non_null(s);
    assert_true(s->value == 1795347409);
    assert_non_null(tu_sample_find(&e, "node_network_receive_bytes_total", "device=\"eth0\""));
    assert_null(tu_sample_find(&e, "node_network_receive_bytes_total", "device=\"br-1a2b\""));
    assert_null(tu_family_find(&e, "node_memory_MemTotal_bytes"));
    assert_null(tu_sample_find(&e, "node_scrape_collector_success", "collector=\"nvml\""));
    s = tu_sample_find(&e, "namedprocess_namegroup_num_procs", "groupname=\"nginx\"");
    assert_non_null(s);
    assert_true(s->value == 2);
    /* the agent's own process metrics, from libheron */
    assert_non_null(tu_family_find(&e, "process_resident_memory_bytes"));
    tu_expo_free(&e);
}

/* This machine's own tree, every collector, fake GPUs: what promtool says. */
static void test_exposition_lints_clean(void **state)
{
    (void)state;
    char lib[4200];
    snprintf(lib, sizeof lib, "--collector.nvml.library=%s", FAKE_NVML_PATH);
    char *extra[] = {lib, "--collector.processes.names=init,heron-agent",
                     "--collector.processes.pids=1", NULL};
    tu_expo e;
    scrape_agent(extra, &e, NULL, NULL, 1);
    assert_non_null(tu_family_find(&e, "nvidia_gpu_memory_used_bytes"));
    assert_non_null(tu_family_find(&e, "node_cpu_seconds_total"));
    tu_expo_free(&e);
}

int main(void)
{
    const char *bin = getenv("HERON_BINARY_DIR");
    const char *src = getenv("HERON_SOURCE_DIR");
    snprintf(g_heron, sizeof g_heron, "%.4000s/heron", bin ? bin : ".");
    snprintf(g_data, sizeof g_data, "%.4000s/tests/data/collect/basic", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_paths_and_switches),
        cmocka_unit_test(test_exposition_lints_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
