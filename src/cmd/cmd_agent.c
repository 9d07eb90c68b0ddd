/*
 * cmd_agent.c — `heron agent`: the host, process and GPU collectors on a
 * /metrics endpoint any Prometheus can scrape, with node_exporter's flag
 * names (--web.listen-address=:9100, --path.procfs, --path.sysfs,
 * --path.rootfs, --collector.<name> / --no-collector.<name>, ...).
 *
 * `heron agent` execs heron-agent (the same command, linked without the
 * server's libraries) when that binary lies beside heron. Signals are
 * blocked before any thread starts and taken with sigwait.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "collect/collect.h"
#include "core/flags.h"
#include "core/hlog.h"
#include "core/httpd.h"
#include "heron.h"

#define AGENT_MAX_LIST 64

typedef struct agent {
    heron_registry *reg;
    const char *telemetry_path;
} agent;

static void agent_handle(const httpd_request *req, httpd_response *resp, void *arg)
{
    agent *a = arg;
    const char *path = httpd_path(req);
    if (strcmp(path, a->telemetry_path) == 0) {
        heron_format fmt = heron_format_negotiate(httpd_header(req, "Accept"));
        char *text;
        size_t len;
        heron_err err = {0};
        if (heron_registry_expose(a->reg, fmt, &text, &len, &err) != 0) {
            httpd_reply_text(resp, 500, err.msg);
            return;
        }
        buf_append(&resp->body, text, len);
        free(text);
        resp->content_type = heron_format_content_type(fmt);
        resp->gzip_ok = 1;
        return;
    }
    if (strcmp(path, "/") == 0) {
        resp->content_type = "text/html; charset=utf-8";
        buf_printf(&resp->body,
                   "<html><head><title>heron agent</title></head><body>"
                   "<h1>heron agent</h1><p><a href=\"%s\">Metrics</a></p>"
                   "</body></html>\n",
                   a->telemetry_path);
        return;
    }
    httpd_reply_text(resp, 404, "404 page not found\n");
}

/* Hands over to the heron-agent binary beside this one, when there is one
 * and we are not it: it is the same command linked with only what the
 * agent needs, so a node pays no resident memory for the server's
 * libraries. Returns only when there is nothing to hand over to (or the
 * exec failed); the agent then runs in this process. */
static void agent_exec_slim(int argc, char **argv)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - sizeof "heron-agent");
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash || strcmp(slash + 1, "heron-agent") == 0)
        return;
    strcpy(slash + 1, "heron-agent");
    if (access(self, X_OK) != 0)
        return;
    char *args[argc + 2];
    args[0] = self;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    args[argc + 1] = NULL;
    execv(self, args);
}

/* Splits a comma-separated flag value in place into out[0..*n). */
static int agent_split(char *s, char **out, size_t *n)
{
    *n = 0;
    for (char *save, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == AGENT_MAX_LIST)
            return -1;
        out[(*n)++] = t;
    }
    return 0;
}

/* The --collector.<name> switches and their COLLECT_* bits. */
static const struct {
    const char *flag;
    unsigned bit;
} agent_switches[] = {
    {"collector.cpu", COLLECT_CPU},           {"collector.loadavg", COLLECT_LOADAVG},
    {"collector.meminfo", COLLECT_MEMINFO},   {"collector.filesystem", COLLECT_FILESYSTEM},
    {"collector.diskstats", COLLECT_DISKSTATS}, {"collector.netdev", COLLECT_NETDEV},
    {"collector.uname", COLLECT_UNAME},       {"collector.time", COLLECT_TIME},
    {"collector.pressure", COLLECT_PRESSURE}, {"collector.cgroup", COLLECT_CGROUP},
    {"collector.nvml", COLLECT_NVML},
};
#define AGENT_SWITCHES (sizeof agent_switches / sizeof *agent_switches)

int cmd_agent(int argc, char **argv)
{
    agent_exec_slim(argc, argv);
    const char *listen = ":9100", *telemetry = "/metrics";
    const char *log_level = "info", *log_format = "logfmt";
    const char *names = "", *pids = "";
    int64_t fs_timeout_ms = 5000;
    int help = 0;
    int on[AGENT_SWITCHES];
    collect_config cfg = {0};
    for (size_t i = 0; i < AGENT_SWITCHES; i++)
        on[i] = 1;
    flag_spec specs[AGENT_SWITCHES + 20] = {
        {"web.listen-address", FLAG_STRING, &listen, "Address on which to expose metrics."},
        {"web.telemetry-path", FLAG_STRING, &telemetry, "Path under which to expose metrics."},
        {"path.procfs", FLAG_STRING, &cfg.procfs, "procfs mountpoint (default /proc)."},
        {"path.sysfs", FLAG_STRING, &cfg.sysfs, "sysfs mountpoint (default /sys)."},
        {"path.rootfs", FLAG_STRING, &cfg.rootfs, "rootfs mountpoint (default /)."},
        {"collector.filesystem.mount-points-exclude", FLAG_STRING, &cfg.fs_mount_points_exclude,
         "Regexp of mount points to exclude (default: node_exporter's)."},
        {"collector.filesystem.fs-types-exclude", FLAG_STRING, &cfg.fs_types_exclude,
         "Regexp of filesystem types to exclude (default: node_exporter's)."},
        {"collector.filesystem.mount-timeout", FLAG_DURATION, &fs_timeout_ms,
         "How long to wait for statfs before marking a mount stuck."},
        {"collector.netdev.device-exclude", FLAG_STRING, &cfg.netdev_device_exclude,
         "Regexp of net devices to exclude (default ^lo$)."},
        {"collector.diskstats.device-exclude", FLAG_STRING, &cfg.diskstats_device_exclude,
         "Regexp of block devices to exclude (default: partitions, ram, loop)."},
        {"collector.nvml.library", FLAG_STRING, &cfg.nvml_library,
         "NVML library to dlopen (default $HERON_NVML_LIBRARY or libnvidia-ml.so.1)."},
        {"collector.processes.names", FLAG_STRING, &names,
         "Comma-separated process names to watch (namedprocess_namegroup_*)."},
        {"collector.processes.pids", FLAG_STRING, &pids,
         "Comma-separated pids to watch (namedprocess_namegroup_*)."},
        {"log.level", FLAG_STRING, &log_level, "Only log messages with the given severity or above: debug, info, warn, error."},
        {"log.format", FLAG_STRING, &log_format, "Output format of log messages: logfmt, json."},
        {"help", FLAG_BOOL, &help, "Show this help."},
    };
    size_t nspecs = 16;
    for (size_t i = 0; i < AGENT_SWITCHES; i++)
        specs[nspecs++] = (flag_spec){agent_switches[i].flag, FLAG_BOOL, &on[i],
                                      "Enable this collector (--no-... disables it)."};
    specs[nspecs] = (flag_spec){0};

    const flag_command cmd = {"heron agent", "heron agent [flags]", specs, 0, 0};
    char *positional[argc + 1];
    int npos;
    int status = flags_command(&cmd, argc, argv, positional, &npos);
    if (status >= 0)
        return status;
    heron_err err = {0};
    if (hlog_configure_from(log_level, log_format)) {
        fprintf(stderr, "heron agent: bad --log.level or --log.format (\"%s\", \"%s\")\n",
                log_level, log_format);
        return 2;
    }

    char *name_list[AGENT_MAX_LIST], *pid_list[AGENT_MAX_LIST];
    int pid_values[AGENT_MAX_LIST];
    size_t nnames, npids;
    char *names_copy = strdup(names), *pids_copy = strdup(pids);
    int rc = 2;
    if (!names_copy || !pids_copy || agent_split(names_copy, name_list, &nnames) ||
        agent_split(pids_copy, pid_list, &npids)) {
        fprintf(stderr, "heron agent: at most %d process names and pids\n", AGENT_MAX_LIST);
        goto out;
    }
    for (size_t i = 0; i < npids; i++) {
        char *end;
        long v = strtol(pid_list[i], &end, 10);
        if (*end || v <= 0 || v > 0x7fffffff) {
            fprintf(stderr, "heron agent: --collector.processes.pids: bad pid \"%s\"\n",
                    pid_list[i]);
            goto out;
        }
        pid_values[i] = (int)v;
    }
    cfg.process_names = (const char *const *)name_list;
    cfg.process_name_count = nnames;
    cfg.process_pids = pid_values;
    cfg.process_pid_count = npids;
    cfg.fs_timeout_ms = fs_timeout_ms;
    cfg.process_self = 1;
    cfg.enabled = COLLECT_PROCESSES;
    for (size_t i = 0; i < AGENT_SWITCHES; i++)
        if (on[i])
            cfg.enabled |= agent_switches[i].bit;

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Each libmicrohttpd connection thread would get a malloc arena of
     * its own; one is plenty for a scrape at a time and keeps RSS low. */
    mallopt(M_ARENA_MAX, 1);
    rc = 1;
    agent a = {.telemetry_path = telemetry};
    collect_set *set = NULL;
    httpd *http = NULL;
    if (heron_registry_new(&a.reg, &err) != 0 ||
        collect_register_all(a.reg, &cfg, &set, &err) != 0) {
        hlog(HLOG_ERROR, "agent", "cannot register collectors", "err", err.msg, NULL);
        rc = err.code == HERON_EINVAL ? 2 : 1;
        goto out_reg;
    }
    if (httpd_start(listen, 0, 2, agent_handle, &a, &http, &err) != 0) {
        hlog(HLOG_ERROR, "agent", "cannot listen", "address", listen, "err", err.msg, NULL);
        goto out_reg;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", httpd_port(http));
    hlog(HLOG_INFO, "agent", "listening", "address", listen, "port", port,
         "nvml", collect_nvml_available(set) ? "loaded" : "unavailable", NULL);
    for (;;) {
        int sig;
        if (sigwait(&signals, &sig) == 0)
            break;
    }
    hlog(HLOG_INFO, "agent", "received signal, exiting", NULL);
    httpd_stop(http);
    rc = 0;
out_reg:
    collect_free(set);
    heron_registry_free(a.reg);
out:
    free(names_copy);
    free(pids_copy);
    return rc;
}
