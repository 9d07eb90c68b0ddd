/*
 * nvml.c — NVIDIA GPUs through NVML, loaded with dlopen at registration so
 * that heron needs neither the CUDA toolkit to build nor a GPU to run.
 *
 * The NVML types and signatures below are declared from NVIDIA's public
 * nvml.h documentation; only what this file calls is declared. Functions
 * other than init, count and handle lookup are optional: a driver that
 * lacks one, or answers NVML_ERROR_NOT_SUPPORTED for a GPU, leaves that
 * series out for that GPU. Every family carries gpu (index), uuid and name;
 * two aliases carry the gpu_id label that some dashboards expect.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/module.h"
#include "core/hlog.h"

/* ---- the NVML API subset (nvml.h) ---- */
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } nvmlProcessInfo_v1_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_v2_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_TEMPERATURE_GPU 0
#define NVML_CLOCK_SM 1
#define NVML_CLOCK_MEM 2
#define NVML_PCIE_UTIL_TX_BYTES 0
#define NVML_PCIE_UTIL_RX_BYTES 1
#define NVML_MEMORY_ERROR_TYPE_CORRECTED 0
#define NVML_MEMORY_ERROR_TYPE_UNCORRECTED 1
#define NVML_VOLATILE_ECC 0
#define NVML_VALUE_NOT_AVAILABLE_ULL 0xFFFFFFFFFFFFFFFFull
/* nvml.h's NVML_STRUCT_VERSION(Memory, 2) */
#define NVML_MEMORY_V2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

typedef struct nvml_api {
    void *lib;
    nvmlReturn_t (*init)(void);
    nvmlReturn_t (*shutdown)(void);
    const char *(*error_string)(nvmlReturn_t);
    nvmlReturn_t (*driver_version)(char *, unsigned int);
    nvmlReturn_t (*count)(unsigned int *);
    nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
    nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t *);
    nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t *);
    nvmlReturn_t (*memory_v2)(nvmlDevice_t, nvmlMemory_v2_t *);
    nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned int *);
    nvmlReturn_t (*power_usage)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int *);
    nvmlReturn_t (*pcie)(nvmlDevice_t, int, unsigned int *);
    nvmlReturn_t (*ecc)(nvmlDevice_t, int, int, unsigned long long *);
    nvmlReturn_t (*throttle)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
    nvmlReturn_t (*processes)(nvmlDevice_t, unsigned int *, void *);
    size_t process_info_size; /* of the struct `processes` fills */
} nvml_api;

/* ---- what one scrape learns about one GPU ---- */
enum {
    G_UTIL, G_MEM_UTIL, G_MEM_USED, G_MEM_TOTAL, G_MEM_FREE, G_MEM_RESERVED, G_TEMP,
    G_POWER, G_POWER_LIMIT, G_SM_CLOCK, G_MEM_CLOCK, G_PCIE_TX, G_PCIE_RX,
    G_ECC_CORRECTED, G_ECC_UNCORRECTED, G_ENERGY, G_THROTTLE, G_VALUES
};

typedef struct gpu_proc {
    unsigned int pid;
    double bytes;
} gpu_proc;

/*
 * NVML measures PCIe throughput by watching the link for 20 ms per call and
 * direction (21 ms each on an H100, almost all of it asleep). Each reading
 * runs on its own thread while the scrape reads everything else, so a scrape
 * waits about 20 ms however many GPUs there are, not 40 ms per GPU.
 */
typedef struct pcie_probe {
    const nvml_api *api;
    nvmlDevice_t dev;
    int counter; /* NVML_PCIE_UTIL_TX_BYTES or _RX_BYTES */
    unsigned int kib_per_second;
    nvmlReturn_t rc;
    pthread_t thread;
    int threaded; /* 0: ran inline, nothing to join */
} pcie_probe;

typedef struct gpu_sample {
    nvmlDevice_t dev;
    pcie_probe pcie[2]; /* transmit, receive */
    char index[12], uuid[96], name[96];
    unsigned has; /* bit per G_* */
    double v[G_VALUES];
    unsigned long long throttle;
    gpu_proc *procs;
    size_t nprocs;
} gpu_sample;

typedef struct nvml_state {
    nvml_api api;
    int up;
    char driver[96];
} nvml_state;

static void *nvml_sym(void *lib, const char *const *names)
{
    for (; *names; names++) {
        void *p = dlsym(lib, *names);
        if (p)
            return p;
    }
    return NULL;
}

#define NVML_BIND(field, ...) \
    (*(void **)&api->field = nvml_sym(api->lib, (const char *const[]){__VA_ARGS__, NULL}))

static void nvml_bind(nvml_api *api)
{
    NVML_BIND(init, "nvmlInit_v2", "nvmlInit");
    NVML_BIND(shutdown, "nvmlShutdown");
    NVML_BIND(error_string, "nvmlErrorString");
    NVML_BIND(driver_version, "nvmlSystemGetDriverVersion");
    NVML_BIND(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    NVML_BIND(handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    NVML_BIND(name, "nvmlDeviceGetName");
    NVML_BIND(uuid, "nvmlDeviceGetUUID");
    NVML_BIND(utilization, "nvmlDeviceGetUtilizationRates");
    NVML_BIND(memory, "nvmlDeviceGetMemoryInfo");
    NVML_BIND(memory_v2, "nvmlDeviceGetMemoryInfo_v2");
    NVML_BIND(temperature, "nvmlDeviceGetTemperature");
    NVML_BIND(power_usage, "nvmlDeviceGetPowerUsage");
    NVML_BIND(power_limit, "nvmlDeviceGetEnforcedPowerLimit");
    NVML_BIND(clock, "nvmlDeviceGetClockInfo");
    NVML_BIND(pcie, "nvmlDeviceGetPcieThroughput");
    NVML_BIND(ecc, "nvmlDeviceGetTotalEccErrors");
    NVML_BIND(throttle, "nvmlDeviceGetCurrentClocksThrottleReasons",
              "nvmlDeviceGetCurrentClocksEventReasons");
    NVML_BIND(energy, "nvmlDeviceGetTotalEnergyConsumption");
    api->process_info_size = sizeof(nvmlProcessInfo_v2_t);
    if (!NVML_BIND(processes, "nvmlDeviceGetComputeRunningProcesses_v3",
                   "nvmlDeviceGetComputeRunningProcesses_v2")) {
        api->process_info_size = sizeof(nvmlProcessInfo_v1_t);
        NVML_BIND(processes, "nvmlDeviceGetComputeRunningProcesses");
    }
}

static const char *nvml_error(const nvml_api *api, nvmlReturn_t rc)
{
    const char *s = api->error_string ? api->error_string(rc) : NULL;
    return s ? s : "unknown NVML error";
}

static void nvml_unavailable(nvml_state *st, const char *lib, const char *why)
{
    hlog(HLOG_INFO, "collect", "NVML not available, GPU metrics disabled",
         "library", lib, "reason", why, NULL);
    if (st->api.lib)
        dlclose(st->api.lib);
    memset(&st->api, 0, sizeof st->api);
}

static int nvml_init(const collect_config *cfg, collect_paths *paths,
                     void **state, heron_err *err)
{
    (void)paths, (void)err;
    nvml_state *st = calloc(1, sizeof *st);
    if (!st)
        return HERON_ENOMEM;
    *state = st;
    const char *lib = cfg->nvml_library;
    if (!lib || !*lib)
        lib = getenv("HERON_NVML_LIBRARY");
    if (!lib || !*lib)
        lib = "libnvidia-ml.so.1";
    nvml_api *api = &st->api;
    if (!(api->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL))) {
        const char *why = dlerror();
        nvml_unavailable(st, lib, why ? why : "dlopen failed");
        return 0;
    }
    nvml_bind(api);
    if (!api->init || !api->shutdown || !api->count || !api->handle) {
        nvml_unavailable(st, lib, "library lacks nvmlInit/nvmlDeviceGetCount");
        return 0;
    }
    nvmlReturn_t rc = api->init();
    if (rc != NVML_SUCCESS) {
        nvml_unavailable(st, lib, nvml_error(api, rc));
        return 0;
    }
    unsigned int n = 0;
    if ((rc = api->count(&n)) != NVML_SUCCESS || n == 0) {
        api->shutdown();
        nvml_unavailable(st, lib, rc ? nvml_error(api, rc) : "no GPU found");
        return 0;
    }
    if (!api->driver_version || api->driver_version(st->driver, sizeof st->driver))
        strcpy(st->driver, "");
    char count[16];
    snprintf(count, sizeof count, "%u", n);
    hlog(HLOG_INFO, "collect", "NVML loaded", "library", lib, "gpus", count,
         "driver_version", st->driver, NULL);
    st->up = 1;
    return 0;
}

static void nvml_free(void *state)
{
    nvml_state *st = state;
    if (st->up)
        st->api.shutdown();
    if (st->api.lib)
        dlclose(st->api.lib);
    free(st);
}

static void gpu_set(gpu_sample *g, int which, double v)
{
    g->v[which] = v;
    g->has |= 1u << which;
}

static void nvml_read_processes(const nvml_api *api, nvmlDevice_t dev,
                                gpu_sample *g)
{
    if (!api->processes)
        return;
    unsigned int n = 64;
    for (int attempt = 0; attempt < 2; attempt++) {
        unsigned char *raw = calloc(n ? n : 1, api->process_info_size);
        if (!raw)
            return;
        unsigned int got = n;
        nvmlReturn_t rc = api->processes(dev, &got, raw);
        if (rc == NVML_ERROR_INSUFFICIENT_SIZE && got > n && attempt == 0) {
            free(raw);
            n = got + 8;
            continue;
        }
        if (rc == NVML_SUCCESS && got <= n && (g->procs = calloc(got ? got : 1, sizeof *g->procs))) {
            for (unsigned int i = 0; i < got; i++) {
                const unsigned char *e = raw + (size_t)i * api->process_info_size;
                nvmlProcessInfo_v1_t head; /* pid and memory lead every version */
                memcpy(&head, e, sizeof head);
                if (head.usedGpuMemory == NVML_VALUE_NOT_AVAILABLE_ULL)
                    continue;
                g->procs[g->nprocs++] = (gpu_proc){head.pid, (double)head.usedGpuMemory};
            }
        }
        free(raw);
        return;
    }
}

/*
 * Memory from the v2 call where the driver has it: its `used` leaves out
 * what the driver reserves for itself (about 480 MiB on an H100), as
 * nvidia-smi and DCGM_FI_DEV_FB_USED do, and the reserved part is its own
 * series. The v1 call counts the reserve as used.
 */
static void nvml_read_memory(const nvml_api *api, nvmlDevice_t dev, gpu_sample *g)
{
    nvmlMemory_v2_t m2 = {.version = NVML_MEMORY_V2};
    if (api->memory_v2 && api->memory_v2(dev, &m2) == NVML_SUCCESS) {
        gpu_set(g, G_MEM_USED, (double)m2.used);
        gpu_set(g, G_MEM_TOTAL, (double)m2.total);
        gpu_set(g, G_MEM_FREE, (double)m2.free);
        gpu_set(g, G_MEM_RESERVED, (double)m2.reserved);
        return;
    }
    nvmlMemory_t m;
    if (api->memory && api->memory(dev, &m) == NVML_SUCCESS) {
        gpu_set(g, G_MEM_USED, (double)m.used);
        gpu_set(g, G_MEM_TOTAL, (double)m.total);
        gpu_set(g, G_MEM_FREE, (double)m.free);
    }
}

static void *pcie_probe_run(void *arg)
{
    pcie_probe *p = arg;
    p->rc = p->api->pcie(p->dev, p->counter, &p->kib_per_second);
    return NULL;
}

static void pcie_probe_start(const nvml_api *api, nvmlDevice_t dev, int counter,
                             pcie_probe *p)
{
    *p = (pcie_probe){.api = api, .dev = dev, .counter = counter,
                      .rc = NVML_ERROR_NOT_SUPPORTED};
    if (!api->pcie)
        return;
    p->threaded = pthread_create(&p->thread, NULL, pcie_probe_run, p) == 0;
    if (!p->threaded)
        pcie_probe_run(p);
}

static void pcie_probe_finish(pcie_probe *p, gpu_sample *g, int which)
{
    if (p->threaded)
        pthread_join(p->thread, NULL);
    if (p->rc == NVML_SUCCESS)
        gpu_set(g, which, p->kib_per_second * 1024.0);
}

/* Finds GPU i and starts its PCIe probes; 0 unless the handle is unusable. */
static int nvml_open_gpu(const nvml_api *api, unsigned int i, gpu_sample *g)
{
    if (api->handle(i, &g->dev) != NVML_SUCCESS)
        return HERON_EIO;
    snprintf(g->index, sizeof g->index, "%u", i);
    pcie_probe_start(api, g->dev, NVML_PCIE_UTIL_TX_BYTES, &g->pcie[0]);
    pcie_probe_start(api, g->dev, NVML_PCIE_UTIL_RX_BYTES, &g->pcie[1]);
    return 0;
}

/* Reads everything of one opened GPU and waits for its PCIe probes. */
static void nvml_read_gpu(const nvml_api *api, gpu_sample *g)
{
    nvmlDevice_t dev = g->dev;
    if (!api->name || api->name(dev, g->name, sizeof g->name) != NVML_SUCCESS)
        strcpy(g->name, "");
    if (!api->uuid || api->uuid(dev, g->uuid, sizeof g->uuid) != NVML_SUCCESS)
        strcpy(g->uuid, "");
    g->name[sizeof g->name - 1] = g->uuid[sizeof g->uuid - 1] = '\0';
    nvmlUtilization_t u;
    if (api->utilization && api->utilization(dev, &u) == NVML_SUCCESS) {
        gpu_set(g, G_UTIL, u.gpu);
        gpu_set(g, G_MEM_UTIL, u.memory);
    }
    nvml_read_memory(api, dev, g);
    unsigned int v;
    if (api->temperature && api->temperature(dev, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS)
        gpu_set(g, G_TEMP, v);
    if (api->power_usage && api->power_usage(dev, &v) == NVML_SUCCESS)
        gpu_set(g, G_POWER, v / 1000.0);
    if (api->power_limit && api->power_limit(dev, &v) == NVML_SUCCESS)
        gpu_set(g, G_POWER_LIMIT, v / 1000.0);
    if (api->clock && api->clock(dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS)
        gpu_set(g, G_SM_CLOCK, v * 1e6);
    if (api->clock && api->clock(dev, NVML_CLOCK_MEM, &v) == NVML_SUCCESS)
        gpu_set(g, G_MEM_CLOCK, v * 1e6);
    unsigned long long ull;
    if (api->ecc && api->ecc(dev, NVML_MEMORY_ERROR_TYPE_CORRECTED,
                             NVML_VOLATILE_ECC, &ull) == NVML_SUCCESS)
        gpu_set(g, G_ECC_CORRECTED, (double)ull);
    if (api->ecc && api->ecc(dev, NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
                             NVML_VOLATILE_ECC, &ull) == NVML_SUCCESS)
        gpu_set(g, G_ECC_UNCORRECTED, (double)ull);
    if (api->energy && api->energy(dev, &ull) == NVML_SUCCESS)
        gpu_set(g, G_ENERGY, (double)ull / 1000.0);
    if (api->throttle && api->throttle(dev, &ull) == NVML_SUCCESS) {
        gpu_set(g, G_THROTTLE, (double)ull);
        g->throttle = ull;
    }
    nvml_read_processes(api, dev, g);
    pcie_probe_finish(&g->pcie[0], g, G_PCIE_TX);
    pcie_probe_finish(&g->pcie[1], g, G_PCIE_RX);
}

typedef struct gpu_series {
    int which;
    heron_type type;
    const char *name, *help;
} gpu_series;

static const gpu_series gpu_table[] = {
    {G_UTIL, HERON_GAUGE, "nvidia_gpu_utilization_gpu",
     "Percent of time a kernel ran on the GPU over the last sample period (DCGM_FI_DEV_GPU_UTIL)."},
    {G_MEM_UTIL, HERON_GAUGE, "nvidia_gpu_utilization_memory",
     "Percent of time device memory was read or written (DCGM_FI_DEV_MEM_COPY_UTIL)."},
    {G_MEM_USED, HERON_GAUGE, "nvidia_gpu_memory_used_bytes",
     "Frame buffer memory in use, in bytes (DCGM_FI_DEV_FB_USED)."},
    {G_MEM_TOTAL, HERON_GAUGE, "nvidia_gpu_memory_total_bytes",
     "Frame buffer memory in total, in bytes (DCGM_FI_DEV_FB_TOTAL)."},
    {G_MEM_FREE, HERON_GAUGE, "nvidia_gpu_memory_free_bytes",
     "Frame buffer memory free, in bytes (DCGM_FI_DEV_FB_FREE)."},
    {G_MEM_RESERVED, HERON_GAUGE, "nvidia_gpu_memory_reserved_bytes",
     "Frame buffer memory the driver reserves, in bytes (DCGM_FI_DEV_FB_RESERVED)."},
    {G_TEMP, HERON_GAUGE, "nvidia_gpu_temperature_celsius",
     "GPU core temperature, in degrees Celsius (DCGM_FI_DEV_GPU_TEMP)."},
    {G_POWER, HERON_GAUGE, "nvidia_gpu_power_usage_watts",
     "Power draw, in watts (DCGM_FI_DEV_POWER_USAGE)."},
    {G_POWER_LIMIT, HERON_GAUGE, "nvidia_gpu_power_limit_watts",
     "Enforced power limit, in watts (DCGM_FI_DEV_ENFORCED_POWER_LIMIT)."},
    {G_SM_CLOCK, HERON_GAUGE, "nvidia_gpu_sm_clock_hertz",
     "SM clock, in hertz (DCGM_FI_DEV_SM_CLOCK, which is in MHz)."},
    {G_MEM_CLOCK, HERON_GAUGE, "nvidia_gpu_memory_clock_hertz",
     "Memory clock, in hertz (DCGM_FI_DEV_MEM_CLOCK, which is in MHz)."},
    {G_PCIE_TX, HERON_GAUGE, "nvidia_gpu_pcie_transmit_bytes_per_second",
     "PCIe transmit throughput, in bytes per second (DCGM_FI_DEV_PCIE_TX_THROUGHPUT, in KB/s)."},
    {G_PCIE_RX, HERON_GAUGE, "nvidia_gpu_pcie_receive_bytes_per_second",
     "PCIe receive throughput, in bytes per second (DCGM_FI_DEV_PCIE_RX_THROUGHPUT, in KB/s)."},
    {G_ENERGY, HERON_COUNTER, "nvidia_gpu_energy_joules_total",
     "Energy consumed since the driver loaded, in joules (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, in mJ)."},
    {G_THROTTLE, HERON_GAUGE, "nvidia_gpu_clocks_throttle_reasons",
     "Bitmask of the reasons clocks are held down (DCGM_FI_DEV_CLOCK_THROTTLE_REASONS)."},
};

/* Throttle reason bits (nvmlClocksThrottleReason*) and their label. */
static const struct {
    unsigned long long bit;
    const char *reason;
} gpu_throttle_bits[] = {
    {0x1, "gpu_idle"}, {0x2, "applications_clocks_setting"},
    {0x4, "sw_power_cap"}, {0x8, "hw_slowdown"}, {0x10, "sync_boost"},
    {0x20, "sw_thermal_slowdown"}, {0x40, "hw_thermal_slowdown"},
    {0x80, "hw_power_brake_slowdown"}, {0x100, "display_clock_setting"},
};

#define GPU_LABELS(g) ((const char *const[]){(g).index, (g).uuid, (g).name, NULL})

static int gpu_any(const gpu_sample *g, size_t n, int which)
{
    for (size_t i = 0; i < n; i++)
        if ((g[i].has >> which) & 1)
            return 1;
    return 0;
}

static void nvml_emit(heron_sink *s, const nvml_state *st, const gpu_sample *g,
                      size_t n)
{
    static const char *const labels[] = {"gpu", "uuid", "name", NULL};
    heron_sink_family(s, HERON_GAUGE, "nvidia_gpu_num_devices", "GPUs NVML reports.",
                      NULL, NULL);
    heron_sink_value(s, NULL, (double)n);
    static const char *const info_labels[] = {"gpu", "uuid", "name",
                                              "driver_version", NULL};
    heron_sink_family(s, HERON_GAUGE, "nvidia_gpu_info",
                      "One series per GPU, with its identity as labels.", NULL,
                      info_labels);
    for (size_t i = 0; i < n; i++)
        heron_sink_value(s, (const char *const[]){g[i].index, g[i].uuid,
                                                  g[i].name, st->driver, NULL},
                         1);
    for (size_t t = 0; t < sizeof gpu_table / sizeof *gpu_table; t++) {
        const gpu_series *gs = &gpu_table[t];
        if (!gpu_any(g, n, gs->which))
            continue;
        heron_sink_family(s, gs->type, gs->name, gs->help, NULL, labels);
        for (size_t i = 0; i < n; i++)
            if ((g[i].has >> gs->which) & 1)
                heron_sink_value(s, GPU_LABELS(g[i]), g[i].v[gs->which]);
    }
    static const char *const ecc_labels[] = {"gpu", "uuid", "name", "type", NULL};
    if (gpu_any(g, n, G_ECC_CORRECTED) || gpu_any(g, n, G_ECC_UNCORRECTED)) {
        heron_sink_family(s, HERON_COUNTER, "nvidia_gpu_ecc_errors_total",
                          "ECC errors since the driver loaded (DCGM_FI_DEV_ECC_SBE_VOL_TOTAL, "
                          "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL).",
                          NULL, ecc_labels);
        for (size_t i = 0; i < n; i++) {
            if ((g[i].has >> G_ECC_CORRECTED) & 1)
                heron_sink_value(s, (const char *const[]){g[i].index, g[i].uuid, g[i].name,
                                                          "corrected", NULL},
                                 g[i].v[G_ECC_CORRECTED]);
            if ((g[i].has >> G_ECC_UNCORRECTED) & 1)
                heron_sink_value(s, (const char *const[]){g[i].index, g[i].uuid, g[i].name,
                                                          "uncorrected", NULL},
                                 g[i].v[G_ECC_UNCORRECTED]);
        }
    }
    if (gpu_any(g, n, G_THROTTLE)) {
        static const char *const tl[] = {"gpu", "uuid", "name", "reason", NULL};
        heron_sink_family(s, HERON_GAUGE, "nvidia_gpu_clocks_throttled",
                          "1 while clocks are held down for this reason.", NULL, tl);
        for (size_t i = 0; i < n; i++) {
            if (!((g[i].has >> G_THROTTLE) & 1))
                continue;
            for (size_t b = 0; b < sizeof gpu_throttle_bits / sizeof *gpu_throttle_bits; b++)
                heron_sink_value(s, (const char *const[]){g[i].index, g[i].uuid, g[i].name,
                                                          gpu_throttle_bits[b].reason, NULL},
                                 (g[i].throttle & gpu_throttle_bits[b].bit) ? 1 : 0);
        }
    }
    static const char *const pl[] = {"gpu", "uuid", "name", "pid", NULL};
    heron_sink_family(s, HERON_GAUGE, "nvidia_gpu_process_memory_used_bytes",
                      "GPU memory used by each compute process, in bytes.", NULL, pl);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < g[i].nprocs; k++) {
            char pid[16];
            snprintf(pid, sizeof pid, "%u", g[i].procs[k].pid);
            heron_sink_value(s, (const char *const[]){g[i].index, g[i].uuid, g[i].name,
                                                      pid, NULL},
                             g[i].procs[k].bytes);
        }
    /* Aliases under the names some dashboards and alerts use. */
    static const char *const alias[] = {"gpu_id", NULL};
    if (gpu_any(g, n, G_UTIL)) {
        heron_sink_family(s, HERON_GAUGE, "gpu_utilization_percent",
                          "Alias of nvidia_gpu_utilization_gpu by gpu_id.", NULL, alias);
        for (size_t i = 0; i < n; i++)
            if ((g[i].has >> G_UTIL) & 1)
                heron_sink_value(s, (const char *const[]){g[i].index, NULL}, g[i].v[G_UTIL]);
    }
    if (gpu_any(g, n, G_MEM_USED)) {
        heron_sink_family(s, HERON_GAUGE, "gpu_memory_used_bytes",
                          "Alias of nvidia_gpu_memory_used_bytes by gpu_id.", NULL, alias);
        for (size_t i = 0; i < n; i++)
            if ((g[i].has >> G_MEM_USED) & 1)
                heron_sink_value(s, (const char *const[]){g[i].index, NULL}, g[i].v[G_MEM_USED]);
    }
}

static int nvml_collect(heron_sink *s, collect_paths *p, void *state,
                        buf *scratch)
{
    (void)p, (void)scratch;
    nvml_state *st = state;
    if (!st->up)
        return HERON_ENOENT;
    unsigned int n = 0;
    if (st->api.count(&n) != NVML_SUCCESS)
        return HERON_EIO;
    gpu_sample *g = calloc(n ? n : 1, sizeof *g);
    if (!g)
        return HERON_ENOMEM;
    size_t ok = 0;
    int rc = 0;
    for (unsigned int i = 0; i < n; i++) {
        memset(&g[ok], 0, sizeof g[ok]);
        if (nvml_open_gpu(&st->api, i, &g[ok]) == 0)
            ok++;
        else
            rc = HERON_EIO;
    }
    for (size_t i = 0; i < ok; i++)
        nvml_read_gpu(&st->api, &g[i]);
    nvml_emit(s, st, g, ok);
    for (size_t i = 0; i < ok; i++)
        free(g[i].procs);
    free(g);
    return rc;
}

int collect_nvml_up(const void *state)
{
    return state && ((const nvml_state *)state)->up;
}

const collect_module collect_nvml_module = {
    .name = "nvml", .bit = COLLECT_NVML, .init = nvml_init,
    .collect = nvml_collect, .free = nvml_free};
