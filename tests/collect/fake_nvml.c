/*
 * fake_nvml.c — a stand-in libnvidia-ml for the tests: the NVML entry
 * points heron's nvml.c looks up, answering known values and errors.
 *
 * FAKE_NVML_MODE (read by nvmlInit_v2): "ok" (default, two GPUs),
 * "init_fail" (nvmlInit_v2 fails: driver not loaded), "no_gpu" (zero GPUs).
 * GPU 0 answers everything; GPU 1 answers NOT_SUPPORTED for power, ECC,
 * throttle reasons and the v2 memory call (so v1 is used) and has more
 * compute processes than a first buffer of 64 holds, so the caller has to
 * ask twice. GPU 0's v1 memory call counts the driver's reserve as used, as
 * real drivers do, so a test can tell which call was read.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvmlReturn_t;
typedef struct fake_device { unsigned int index; } *nvmlDevice_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

enum { OK = 0, UNINITIALIZED = 1, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3,
       INSUFFICIENT_SIZE = 7, DRIVER_NOT_LOADED = 9, TIMEOUT = 10, ARGUMENT_VERSION_MISMATCH = 25 };

#define GIB (1024ull * 1024 * 1024)
#define GPU1_PROCS 70

static struct fake_device devices[2] = {{0}, {1}};
static unsigned int device_count;
static int initialised;

nvmlReturn_t nvmlInit_v2(void)
{
    const char *mode = getenv("FAKE_NVML_MODE");
    if (mode && strcmp(mode, "init_fail") == 0)
        return DRIVER_NOT_LOADED;
    device_count = mode && strcmp(mode, "no_gpu") == 0 ? 0 : 2;
    initialised = 1;
    return OK;
}

nvmlReturn_t nvmlShutdown(void)
{
    initialised = 0;
    return OK;
}

const char *nvmlErrorString(nvmlReturn_t rc)
{
    return rc == DRIVER_NOT_LOADED ? "Driver Not Loaded" : "Fake Error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *out, unsigned int len)
{
    strncpy(out, "550.54.15", len);
    return OK;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
    if (!initialised)
        return UNINITIALIZED;
    *n = device_count;
    return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *dev)
{
    if (!initialised || i >= device_count)
        return INVALID_ARGUMENT;
    *dev = &devices[i];
    return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *out, unsigned int len)
{
    strncpy(out, d->index == 0 ? "NVIDIA H100 80GB HBM3" : "Tesla T4", len);
    return OK;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *out, unsigned int len)
{
    strncpy(out, d->index == 0 ? "GPU-00000000-1111-2222-3333-444444444444"
                               : "GPU-55555555-6666-7777-8888-999999999999", len);
    return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
    u->gpu = d->index == 0 ? 87 : 0;
    u->memory = d->index == 0 ? 45 : 0;
    return OK;
}

#define GPU0_RESERVED (GIB / 2)

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
    m->total = d->index == 0 ? 80 * GIB : 16 * GIB;
    m->used = d->index == 0 ? 40 * GIB + GPU0_RESERVED : 1 * GIB;
    m->free = m->total - m->used;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m)
{
    if (m->version != (sizeof *m | 2u << 24))
        return ARGUMENT_VERSION_MISMATCH;
    if (d->index != 0)
        return NOT_SUPPORTED;
    m->total = 80 * GIB;
    m->reserved = GPU0_RESERVED;
    m->used = 40 * GIB;
    m->free = m->total - m->reserved - m->used;
    return OK;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t)
{
    if (sensor != 0)
        return INVALID_ARGUMENT;
    *t = d->index == 0 ? 64 : 40;
    return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
    if (d->index == 1)
        return NOT_SUPPORTED;
    *mw = 312500;
    return OK;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw)
{
    if (d->index == 1)
        return NOT_SUPPORTED;
    *mw = 700000;
    return OK;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz)
{
    if (type == 1)
        *mhz = d->index == 0 ? 1980 : 585;
    else if (type == 2)
        *mhz = d->index == 0 ? 2619 : 5000;
    else
        return INVALID_ARGUMENT;
    return OK;
}

/*
 * The real call watches the link for 20 ms. The fake answers only once every
 * GPU's transmit and receive calls are in flight together, as heron makes
 * them, and answers TIMEOUT if that has not happened within 5 s (calls made
 * one after another), so the test sees the readings go missing.
 */
static pthread_mutex_t pcie_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcie_cond = PTHREAD_COND_INITIALIZER;
static unsigned int pcie_in_flight, pcie_rounds;

static int pcie_wait_for_all(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&pcie_lock);
    unsigned int round = pcie_rounds;
    if (++pcie_in_flight == 2 * device_count) {
        pcie_in_flight = 0;
        pcie_rounds++;
        pthread_cond_broadcast(&pcie_cond);
    }
    int rc = 0;
    while (round == pcie_rounds && rc == 0)
        rc = pthread_cond_timedwait(&pcie_cond, &pcie_lock, &until);
    int together = round != pcie_rounds;
    if (!together)
        pcie_in_flight--;
    pthread_mutex_unlock(&pcie_lock);
    return together;
}

nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t d, int counter, unsigned int *kbps)
{
    if (!pcie_wait_for_all())
        return TIMEOUT;
    *kbps = (d->index == 0 ? 1000u : 10u) * (counter == 0 ? 1u : 2u);
    return OK;
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t d, int type, int counter,
                                         unsigned long long *n)
{
    if (d->index == 1)
        return NOT_SUPPORTED;
    if (counter != 0)
        return INVALID_ARGUMENT;
    *n = type == 0 ? 3 : 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d,
                                                       unsigned long long *r)
{
    if (d->index == 1)
        return NOT_SUPPORTED;
    *r = 0x1 | 0x4;
    return OK;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
    *mj = d->index == 0 ? 123456789ull : 1000ull;
    return OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
                                                     nvmlProcessInfo_t *infos)
{
    unsigned int have = d->index == 0 ? 2 : GPU1_PROCS;
    if (*count < have) {
        *count = have;
        return INSUFFICIENT_SIZE;
    }
    *count = have;
    for (unsigned int i = 0; i < have; i++) {
        memset(&infos[i], 0, sizeof infos[i]);
        infos[i].pid = (d->index == 0 ? 1234 : 2000) + i;
        infos[i].usedGpuMemory = (i + 1) * GIB;
    }
    if (d->index == 0)
        infos[1].usedGpuMemory = 0xFFFFFFFFFFFFFFFFull; /* not available */
    return OK;
}
