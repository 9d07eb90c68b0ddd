/*
 * meminfo.c — /proc/meminfo: one gauge per line, node_memory_<Key>_bytes
 * for lines in kB and node_memory_<Key> for counts (HugePages_Total).
 * "Active(anon)" becomes "Active_anon", as node_exporter names it.
 */
#include <stdio.h>
#include <string.h>

#include "collect/module.h"

/* Writes the family name for a meminfo key; 0 if the key is usable. */
static int meminfo_name(char *out, size_t size, const char *key, int bytes)
{
    char clean[128];
    size_t n = 0;
    for (const char *k = key; *k && n + 1 < sizeof clean; k++) {
        char c = *k;
        if (c == '(')
            c = '_';
        else if (c == ')')
            continue;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '_'))
            return HERON_EINVAL;
        clean[n++] = c;
    }
    clean[n] = '\0';
    if (n == 0)
        return HERON_EINVAL;
    int w = snprintf(out, size, "node_memory_%s%s", clean, bytes ? "_bytes" : "");
    return w > 0 && (size_t)w < size ? 0 : HERON_ERANGE;
}

static int meminfo_collect(heron_sink *s, collect_paths *p, void *state,
                           buf *scratch)
{
    (void)state;
    int rc = collect_read_kept(scratch, p, p->procfs, "meminfo");
    if (rc)
        return rc;
    char *cur = scratch->data, *line;
    int emitted = 0;
    while ((line = collect_next_line(&cur))) {
        char *f[3];
        size_t nf = collect_fields(line, f, 3);
        if (nf < 2)
            continue;
        size_t klen = strlen(f[0]);
        if (klen < 2 || f[0][klen - 1] != ':')
            continue;
        f[0][klen - 1] = '\0';
        double v;
        if (collect_parse_double(f[1], &v))
            continue;
        int bytes = nf == 3 && strcmp(f[2], "kB") == 0;
        if (bytes)
            v *= 1024;
        char name[160], help[200];
        if (meminfo_name(name, sizeof name, f[0], bytes))
            continue;
        snprintf(help, sizeof help, "Field %s of /proc/meminfo%s.", f[0],
                 bytes ? ", in bytes" : "");
        heron_sink_family(s, HERON_GAUGE, name, help, NULL, NULL);
        heron_sink_value(s, NULL, v);
        emitted++;
    }
    return emitted ? 0 : HERON_EINVAL;
}

const collect_module collect_meminfo_module = {
    .name = "meminfo", .bit = COLLECT_MEMINFO, .collect = meminfo_collect};
