/*
 * os.c — node_os_info and node_os_version from os-release(5):
 * <rootfs>/etc/os-release, else <rootfs>/usr/lib/os-release.
 *
 *   PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
 *   VERSION_ID="12"
 */
#include <stdlib.h>
#include <string.h>

#include "collect/module.h"

/* os-release keys in the order of node_os_info's (sorted) labels. */
static const char *const os_keys[] = {
    "BUILD_ID", "ID", "ID_LIKE", "IMAGE_ID", "IMAGE_VERSION", "NAME",
    "PRETTY_NAME", "VARIANT", "VARIANT_ID", "VERSION", "VERSION_CODENAME",
    "VERSION_ID"};
#define OS_KEYS (sizeof os_keys / sizeof *os_keys)
enum { OS_ID = 1, OS_ID_LIKE = 2, OS_NAME = 5, OS_VERSION_ID = 11 };

/* Removes shell quoting from an os-release value, in place. */
static char *os_unquote(char *v)
{
    char q = *v;
    if (q != '"' && q != '\'')
        return v;
    char *w = v, *r = v + 1;
    while (*r && *r != q) {
        if (q == '"' && *r == '\\' && r[1])
            r++;
        *w++ = *r++;
    }
    *w = '\0';
    return v;
}

static int os_collect(heron_sink *s, collect_paths *p, void *state,
                      buf *scratch)
{
    (void)state;
    int rc = collect_read(scratch, p->rootfs, "etc/os-release");
    if (rc)
        rc = collect_read(scratch, p->rootfs, "usr/lib/os-release");
    if (rc)
        return rc;
    const char *val[OS_KEYS];
    for (size_t i = 0; i < OS_KEYS; i++)
        val[i] = "";
    char *cur = scratch->data, *line;
    while ((line = collect_next_line(&cur))) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        for (size_t i = 0; i < OS_KEYS; i++)
            if (strcmp(line, os_keys[i]) == 0)
                val[i] = os_unquote(eq + 1);
    }
    static const char *const labels[] = {
        "build_id", "id", "id_like", "image_id", "image_version", "name",
        "pretty_name", "variant", "variant_id", "version", "version_codename",
        "version_id", NULL};
    heron_sink_family(s, HERON_GAUGE, "node_os_info",
                      "The operating system's os-release fields, as labels.",
                      NULL, labels);
    heron_sink_value(s, (const char *const[]){val[0], val[1], val[2], val[3],
                                              val[4], val[5], val[6], val[7],
                                              val[8], val[9], val[10], val[11],
                                              NULL},
                     1);
    double version;
    if (collect_parse_double(val[OS_VERSION_ID], &version) == 0) {
        static const char *const vlabels[] = {"id", "id_like", "name", NULL};
        heron_sink_family(s, HERON_GAUGE, "node_os_version",
                          "The operating system's VERSION_ID as a number.",
                          NULL, vlabels);
        heron_sink_value(s, (const char *const[]){val[OS_ID], val[OS_ID_LIKE],
                                                  val[OS_NAME], NULL},
                         version);
    }
    return 0;
}

const collect_module collect_os_module = {
    .name = "os", .bit = COLLECT_UNAME, .collect = os_collect};
