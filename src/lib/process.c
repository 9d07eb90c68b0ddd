/*
 * process.c — the process collector, with client_golang's metric names, read
 * from /proc/<pid>/stat, /proc/<pid>/fd and /proc/<pid>/limits.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "heron.h"

typedef struct proc_stat {
    double cpu_seconds;
    double start_time;
    double virtual_bytes;
    double resident_bytes;
} proc_stat;

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

/* Parses /proc/<pid>/stat; the command name may hold spaces and parens, so
 * fields are counted from the last ')'. */
static int read_stat(int pid, proc_stat *st)
{
    char path[64], data[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_file(path, data, sizeof data))
        return -1;
    char *p = strrchr(data, ')');
    if (!p)
        return -1;
    /* fields from 3 (state) on; we need 14 utime, 15 stime, 22 starttime,
     * 23 vsize, 24 rss */
    unsigned long long f[25] = {0};
    int field = 3;
    char *save;
    for (char *tok = strtok_r(p + 1, " ", &save); tok && field <= 24;
         tok = strtok_r(NULL, " ", &save), field++)
        f[field] = strtoull(tok, NULL, 10);
    if (field <= 24)
        return -1;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    st->cpu_seconds = (double)(f[14] + f[15]) / ticks;
    st->start_time = boot_time() + (double)f[22] / ticks;
    st->virtual_bytes = (double)f[23];
    st->resident_bytes = (double)f[24] * (double)sysconf(_SC_PAGESIZE);
    return 0;
}

static double count_fds(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    double n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
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
    proc_stat st;
    int have_stat = read_stat(pid, &st) == 0;
    if (have_stat)
        emit(s, HERON_COUNTER, "process_cpu_seconds_total",
             "Total user and system CPU time spent in seconds.", st.cpu_seconds);
    emit(s, HERON_GAUGE, "process_open_fds", "Number of open file descriptors.",
         count_fds(pid));
    emit(s, HERON_GAUGE, "process_max_fds",
         "Maximum number of open file descriptors.", max_fds(pid));
    if (have_stat) {
        emit(s, HERON_GAUGE, "process_virtual_memory_bytes",
             "Virtual memory size in bytes.", st.virtual_bytes);
        emit(s, HERON_GAUGE, "process_resident_memory_bytes",
             "Resident memory size in bytes.", st.resident_bytes);
        emit(s, HERON_GAUGE, "process_start_time_seconds",
             "Start time of the process since unix epoch in seconds.",
             st.start_time);
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
