/*
 * cpu.c — /proc/stat: per-CPU time by mode and the kernel's counters
 * (node_exporter's cpu and stat collectors share this one read).
 *
 *   cpu0 1832 0 1972 45628 58 0 7 82 0 0      user nice system idle iowait
 *                                              irq softirq steal guest guest_nice
 *   btime 1795347409 / ctxt N / processes N / intr N ... / procs_running N
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/module.h"

#define CPU_FIELDS 10

typedef struct cpu_row {
    char cpu[16];
    double jiffies[CPU_FIELDS];
} cpu_row;

/* Columns of a cpu line in /proc/stat order, and their mode label. */
static const char *const cpu_modes[8] = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};

typedef struct cpu_stat {
    cpu_row *rows;
    size_t count, alloc;
    double btime, ctxt, forks, intr, running, blocked;
    unsigned seen; /* bits: which scalars were present */
} cpu_stat;

enum { SEEN_BTIME = 1, SEEN_CTXT = 2, SEEN_FORKS = 4, SEEN_INTR = 8,
       SEEN_RUNNING = 16, SEEN_BLOCKED = 32 };

static int cpu_add_row(cpu_stat *st, const char *num, char **f, size_t nf)
{
    if (strlen(num) >= sizeof st->rows[0].cpu)
        return HERON_EINVAL;
    if (st->count == st->alloc) {
        size_t n = st->alloc ? st->alloc * 2 : 16;
        cpu_row *r = realloc(st->rows, n * sizeof *r);
        if (!r)
            return HERON_ENOMEM;
        st->rows = r;
        st->alloc = n;
    }
    cpu_row *row = &st->rows[st->count];
    memset(row, 0, sizeof *row);
    strcpy(row->cpu, num);
    for (size_t i = 0; i < CPU_FIELDS && i + 1 < nf; i++)
        if (collect_parse_double(f[i + 1], &row->jiffies[i]))
            return HERON_EINVAL;
    st->count++;
    return 0;
}

/* Parses the text of /proc/stat into st. Lines it does not know are
 * skipped; a malformed cpu line fails the parse. */
static int cpu_parse(char *text, cpu_stat *st)
{
    static const struct {
        const char *key;
        unsigned bit;
        size_t off;
    } scalars[] = {
        {"btime", SEEN_BTIME, offsetof(cpu_stat, btime)},
        {"ctxt", SEEN_CTXT, offsetof(cpu_stat, ctxt)},
        {"processes", SEEN_FORKS, offsetof(cpu_stat, forks)},
        {"intr", SEEN_INTR, offsetof(cpu_stat, intr)},
        {"procs_running", SEEN_RUNNING, offsetof(cpu_stat, running)},
        {"procs_blocked", SEEN_BLOCKED, offsetof(cpu_stat, blocked)},
    };
    char *cur = text, *line;
    while ((line = collect_next_line(&cur))) {
        char *f[CPU_FIELDS + 1];
        /* intr has one field per IRQ: only its total matters. */
        size_t nf = collect_fields(line, f, CPU_FIELDS + 1);
        if (nf < 2)
            continue;
        if (strncmp(f[0], "cpu", 3) == 0 && f[0][3] >= '0' && f[0][3] <= '9') {
            int rc = cpu_add_row(st, f[0] + 3, f, nf);
            if (rc)
                return rc;
            continue;
        }
        for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
            if (strcmp(f[0], scalars[i].key) == 0) {
                double *dst = (double *)((char *)st + scalars[i].off);
                if (collect_parse_double(f[1], dst) == 0)
                    st->seen |= scalars[i].bit;
            }
        }
    }
    return st->count ? 0 : HERON_EINVAL;
}

static void cpu_emit_scalar(heron_sink *s, const cpu_stat *st, unsigned bit,
                            double v, heron_type type, const char *name,
                            const char *help)
{
    if (!(st->seen & bit))
        return;
    heron_sink_family(s, type, name, help, NULL, NULL);
    heron_sink_value(s, NULL, v);
}

static void cpu_emit(heron_sink *s, const cpu_stat *st, double hz)
{
    static const char *const cpu_labels[] = {"cpu", "mode", NULL};
    heron_sink_family(s, HERON_COUNTER, "node_cpu_seconds_total",
                      "Time each CPU spent in each mode, in seconds.", NULL,
                      cpu_labels);
    for (size_t r = 0; r < st->count; r++)
        for (size_t m = 0; m < 8; m++)
            heron_sink_value(s, (const char *const[]){st->rows[r].cpu,
                                                      cpu_modes[m], NULL},
                             st->rows[r].jiffies[m] / hz);
    heron_sink_family(s, HERON_COUNTER, "node_cpu_guest_seconds_total",
                      "Time each CPU spent running guests (VMs), in seconds.",
                      NULL, cpu_labels);
    for (size_t r = 0; r < st->count; r++) {
        heron_sink_value(s, (const char *const[]){st->rows[r].cpu, "user", NULL},
                         st->rows[r].jiffies[8] / hz);
        heron_sink_value(s, (const char *const[]){st->rows[r].cpu, "nice", NULL},
                         st->rows[r].jiffies[9] / hz);
    }
    cpu_emit_scalar(s, st, SEEN_BTIME, st->btime, HERON_GAUGE,
                    "node_boot_time_seconds",
                    "When the node booted, in seconds since the epoch.");
    cpu_emit_scalar(s, st, SEEN_CTXT, st->ctxt, HERON_COUNTER,
                    "node_context_switches_total",
                    "Context switches since boot.");
    cpu_emit_scalar(s, st, SEEN_FORKS, st->forks, HERON_COUNTER,
                    "node_forks_total", "Processes and threads created since boot.");
    cpu_emit_scalar(s, st, SEEN_INTR, st->intr, HERON_COUNTER,
                    "node_intr_total", "Interrupts serviced since boot.");
    cpu_emit_scalar(s, st, SEEN_RUNNING, st->running, HERON_GAUGE,
                    "node_procs_running", "Processes in the runnable state.");
    cpu_emit_scalar(s, st, SEEN_BLOCKED, st->blocked, HERON_GAUGE,
                    "node_procs_blocked", "Processes blocked waiting for I/O.");
}

static int cpu_collect(heron_sink *s, collect_paths *p, void *state,
                       buf *scratch)
{
    (void)state;
    int rc = collect_read_kept(scratch, p, p->procfs, "stat");
    if (rc)
        return rc;
    cpu_stat st = {0};
    rc = cpu_parse(scratch->data, &st);
    if (rc == 0) {
        long hz = sysconf(_SC_CLK_TCK);
        cpu_emit(s, &st, hz > 0 ? (double)hz : 100.0);
    }
    free(st.rows);
    return rc;
}

const collect_module collect_cpu_module = {
    .name = "cpu", .bit = COLLECT_CPU, .collect = cpu_collect};
