/*
 * test_nvml.c — the NVML collector against fake_nvml (a shared library
 * built by this suite with NVML's symbol names): known values, answers of
 * NOT_SUPPORTED, a failing init, no GPU, no library; and `heron agent`
 * serving the fake GPUs over HTTP.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "testutil.h"

/* Canonical label strings are sorted by name: the extra label goes between
 * name and uuid. */
#define GPU0_ID "gpu=\"0\",name=\"NVIDIA H100 80GB HBM3\""
#define GPU0_UUID "uuid=\"GPU-00000000-1111-2222-3333-444444444444\""
#define GPU1_ID "gpu=\"1\",name=\"Tesla T4\""
#define GPU1_UUID "uuid=\"GPU-55555555-6666-7777-8888-999999999999\""
#define GPU0 GPU0_ID "," GPU0_UUID
#define GPU1 GPU1_ID "," GPU1_UUID
#define GPU0_WITH(extra) GPU0_ID "," extra "," GPU0_UUID
#define GPU1_WITH(extra) GPU1_ID "," extra "," GPU1_UUID
#define GIB (1024.0 * 1024 * 1024)

static int scrape(const char *mode, const char *library, tu_expo *e)
{
    setenv("FAKE_NVML_MODE", mode, 1);
    heron_registry *reg;
    collect_set *set;
    assert_int_equal(heron_registry_new(&reg, NULL), 0);
    assert_int_equal(collect_register_all(reg, &(collect_config){.enabled = COLLECT_NVML,
                                                                 .nvml_library = library},
                                          &set, NULL),
                     0);
    int available = collect_nvml_available(set);
    char *text;
    size_t len;
    assert_int_equal(heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, NULL), 0);
    assert_int_equal(tu_parse(text, e), 0);
    free(text);
    collect_free(set);
    heron_registry_free(reg);
    return available;
}

static void assert_value(const tu_expo *e, const char *name, const char *labels,
                         double want)
{
    const tu_sample *s = tu_sample_find(e, name, labels);
    if (!s)
        fail_msg("missing %s{%s}", name, labels);
    if (fabs(s->value - want) > 1e-9 * fmax(1, fabs(want)))
        fail_msg("%s{%s} = %.17g, want %.17g", name, labels, s->value, want);
}

static size_t count_samples(const tu_expo *e, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nsamples; i++)
        n += strcmp(e->samples[i].name, name) == 0;
    return n;
}

static void test_fake_gpus(void **state)
{
    (void)state;
    tu_expo e;
    assert_int_equal(scrape("ok", FAKE_NVML_PATH, &e), 1);
    assert_value(&e, "node_scrape_collector_success", "collector=\"nvml\"", 1);
    assert_value(&e, "nvidia_gpu_num_devices", "", 2);
    assert_value(&e, "nvidia_gpu_info",
                 "driver_version=\"550.54.15\"," GPU0, 1);
    assert_value(&e, "nvidia_gpu_utilization_gpu", GPU0, 87);
    assert_value(&e, "nvidia_gpu_utilization_memory", GPU0, 45);
    assert_value(&e, "nvidia_gpu_memory_used_bytes", GPU0, 40 * GIB);
    assert_value(&e, "nvidia_gpu_memory_total_bytes", GPU0, 80 * GIB);
    /* GPU 0 through the v2 call: the driver's reserve is neither used nor free */
    assert_value(&e, "nvidia_gpu_memory_free_bytes", GPU0, 39.5 * GIB);
    assert_value(&e, "nvidia_gpu_memory_reserved_bytes", GPU0, 0.5 * GIB);
    /* GPU 1 has no v2 call: v1's figures, and no reserved series */
    assert_value(&e, "nvidia_gpu_memory_total_bytes", GPU1, 16 * GIB);
    assert_value(&e, "nvidia_gpu_memory_used_bytes", GPU1, 1 * GIB);
    assert_value(&e, "nvidia_gpu_memory_free_bytes", GPU1, 15 * GIB);
    assert_null(tu_sample_find(&e, "nvidia_gpu_memory_reserved_bytes", GPU1));
    assert_value(&e, "nvidia_gpu_temperature_celsius", GPU0, 64);
    assert_value(&e, "nvidia_gpu_temperature_celsius", GPU1, 40);
    assert_value(&e, "nvidia_gpu_power_usage_watts", GPU0, 312.5);
    assert_value(&e, "nvidia_gpu_power_limit_watts", GPU0, 700);
    assert_null(tu_sample_find(&e, "nvidia_gpu_power_usage_watts", GPU1)); /* NOT_SUPPORTED */
    assert_value(&e, "nvidia_gpu_sm_clock_hertz", GPU0, 1980e6);
    assert_value(&e, "nvidia_gpu_memory_clock_hertz", GPU1, 5000e6);
    /* present only if all four PCIe readings ran at once (see fake_nvml.c) */
    assert_value(&e, "nvidia_gpu_pcie_transmit_bytes_per_second", GPU0, 1000 * 1024.0);
    assert_value(&e, "nvidia_gpu_pcie_receive_bytes_per_second", GPU0, 2000 * 1024.0);
    assert_value(&e, "nvidia_gpu_energy_joules_total", GPU0, 123456.789);
    assert_string_equal(tu_family_find(&e, "nvidia_gpu_ecc_errors_total")->type, "counter");
    assert_value(&e, "nvidia_gpu_ecc_errors_total", GPU0_WITH("type=\"corrected\""), 3);
    assert_value(&e, "nvidia_gpu_ecc_errors_total", GPU0_WITH("type=\"uncorrected\""), 0);
    assert_null(tu_sample_find(&e, "nvidia_gpu_ecc_errors_total", GPU1_WITH("type=\"corrected\"")));
    assert_value(&e, "nvidia_gpu_clocks_throttle_reasons", GPU0, 5);
    assert_value(&e, "nvidia_gpu_clocks_throttled", GPU0_WITH("reason=\"sw_power_cap\""), 1);
    assert_value(&e, "nvidia_gpu_clocks_throttled", GPU0_WITH("reason=\"gpu_idle\""), 1);
    assert_value(&e, "nvidia_gpu_clocks_throttled", GPU0_WITH("reason=\"hw_slowdown\""), 0);
    /* GPU 0: one process, the other's memory is "not available" */
    assert_value(&e, "nvidia_gpu_process_memory_used_bytes", GPU0_WITH("pid=\"1234\""), 1 * GIB);
    assert_null(tu_sample_find(&e, "nvidia_gpu_process_memory_used_bytes", GPU0_WITH("pid=\"1235\"")));
    /* GPU 1: 70 processes, more than the first buffer holds */
    assert_int_equal(count_samples(&e, "nvidia_gpu_process_memory_used_bytes"), 1 + 70);
    assert_value(&e, "nvidia_gpu_process_memory_used_bytes", GPU1_WITH("pid=\"2069\""), 70 * GIB);
    assert_value(&e, "gpu_utilization_percent", "gpu_id=\"0\"", 87);
    assert_value(&e, "gpu_memory_used_bytes", "gpu_id=\"1\"", 1 * GIB);
    tu_expo_free(&e);
}

/* Nothing but the success metric may mention the GPU collector. */
static void assert_unavailable(const tu_expo *e)
{
    assert_value(e, "node_scrape_collector_success", "collector=\"nvml\"", 0);
    for (size_t i = 0; i < e->nfams; i++)
        if (strncmp(e->fams[i].name, "nvidia_", 7) == 0 ||
            strncmp(e->fams[i].name, "gpu_", 4) == 0)
            fail_msg("family %s without NVML", e->fams[i].name);
}

static void test_init_fails(void **state)
{
    (void)state;
    tu_expo e;
    assert_int_equal(scrape("init_fail", FAKE_NVML_PATH, &e), 0);
    assert_unavailable(&e);
    tu_expo_free(&e);
}

static void test_no_gpu(void **state)
{
    (void)state;
    tu_expo e;
    assert_int_equal(scrape("no_gpu", FAKE_NVML_PATH, &e), 0);
    assert_unavailable(&e);
    tu_expo_free(&e);
}

static void test_no_library(void **state)
{
    (void)state;
    tu_expo e;
    assert_int_equal(scrape("ok", "/nonexistent/libnvidia-ml.so.1", &e), 0);
    assert_unavailable(&e);
    tu_expo_free(&e);
}

static void test_agent_serves_gpus(void **state)
{
    (void)state;
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[4096], listen[64], lib[4200], log[] = "/tmp/heron_nvml_agent_XXXXXX";
    snprintf(heron, sizeof heron, "%.4000s/heron", bin ? bin : ".");
    int port = tu_free_port();
    assert_true(port > 0);
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    snprintf(lib, sizeof lib, "--collector.nvml.library=%s", FAKE_NVML_PATH);
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    setenv("FAKE_NVML_MODE", "ok", 1);
    char *argv[] = {heron, "agent", listen, lib, NULL};
    pid_t pid = tu_spawn(argv, log);
    assert_true(pid > 0);
    int ready = tu_wait_http(port, "/metrics", 200);
    buf body;
    buf_init(&body, 0);
    int status = ready == 0 ? tu_http_get(port, "/metrics", &body) : -1;
    tu_stop(pid);
    assert_int_equal(status, 200);
    tu_expo e;
    assert_int_equal(tu_parse(body.data, &e), 0);
    assert_value(&e, "nvidia_gpu_memory_used_bytes", GPU0, 40 * GIB);
    assert_value(&e, "nvidia_gpu_memory_total_bytes", GPU1, 16 * GIB);
    assert_value(&e, "node_scrape_collector_success", "collector=\"nvml\"", 1);
    tu_expo_free(&e);
    assert_int_equal(tu_http_get(port, "/metrics", &body), -1); /* stopped */
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[1024];
    int loaded = 0;
    while (fgets(line, sizeof line, f))
        loaded |= strstr(line, "msg=\"NVML loaded\"") && strstr(line, "gpus=2");
    fclose(f);
    unlink(log);
    assert_true(loaded);
    buf_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_gpus),
        cmocka_unit_test(test_init_fails),
        cmocka_unit_test(test_no_gpu),
        cmocka_unit_test(test_no_library),
        cmocka_unit_test(test_agent_serves_gpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
