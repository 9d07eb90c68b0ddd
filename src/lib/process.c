/*
 * process.c — the process collector, with client_golang's metric names, read
 * from /proc/<pid>/stat, /proc/<pid>/fd and /proc/<pid>/limits.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/procstat.h"
#include "heron.h"

static int read_file(const char *path, char *out, size_t cap)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(out, 1, cap - 1, fp);
    fclose(fp);
    out[n] = '\0';
    return 0;
}

static double boot_seconds;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

/* The boot time never changes, so /proc/stat is read once. */
static void read_boot_time(void)
{
    char data[16384];
    if (read_file("/proc/stat", data, sizeof data))
        return;
    const char *p = strstr(data, "\nbtime ");
    boot_seconds = p ? strtod(p + 7, NULL) : 0;
}

static double boot_time(void)
{
    pthread_once(&boot_once, read_boot_time);
    return boot_seconds;
}

static int read_stat(int pid, procstat *st)
{
    char path[64], data[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_file(path, data, sizeof data))
        return -1;
    return procstat_parse(data, st);
}

static double count_fds(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    return procstat_count_fds(path);
}

static double max_fds(int pid)
{
    char path[64], data[4096];
    snprintf(path, sizeof path, "/proc/%d/limits", pid);
    if (read_file(path, data, sizeof data))
        return -1;
    const char *p = strstr(data, "Max open files");
    if (!p)
        return -1;
    p += strlen("Max open files");
    return strtod(p, NULL);
}

static void emit(heron_sink *s, heron_type type, const char *name,
                 const char *help, double value)
{
    if (value < 0)
        return; /* unreadable: leave the family out rather than lie */
    heron_sink_family(s, type, name, help, NULL, NULL);
    heron_sink_value(s, NULL, value);
}

static void process_collect(heron_sink *s, void *arg)
{
    int pid = (int)(intptr_t)arg;
    if (pid == 0)
        pid = (int)getpid();
    procstat st;
    int have_stat = read_stat(pid, &st) == 0;
    if (have_stat)
        emit(s, HERON_COUNTER, "process_cpu_seconds_total",
             "Total user and system CPU time spent in seconds.", st.user + st.system);
    emit(s, HERON_GAUGE, "process_open_fds", "Number of open file descriptors.",
         count_fds(pid));
    emit(s, HERON_GAUGE, "process_max_fds",
         "Maximum number of open file descriptors.", max_fds(pid));
    if (have_stat) {
        emit(s, HERON_GAUGE, "process_virtual_memory_bytes",
             "Virtual memory size in bytes.", st.vsize);
        emit(s, HERON_GAUGE, "process_resident_memory_bytes",
             "Resident memory size in bytes.", st.rss);
        emit(s, HERON_GAUGE, "process_start_time_seconds",
             "Start time of the process since unix epoch in seconds.",
             boot_time() + st.start);
    }
}

int heron_process_collector_register(heron_registry *reg, int pid,
                                     heron_err *err)
{
    if (pid < 0)
        return err_set(err, HERON_EINVAL, "process collector: invalid pid %d", pid);
    char name[32];
    if (pid == 0)
        snprintf(name, sizeof name, "process");
    else
        snprintf(name, sizeof name, "process_%d", pid);
    return heron_collector_register(reg, name, process_collect,
                                    (void *)(intptr_t)pid, err);
}
