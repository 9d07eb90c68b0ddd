/*
 * uname.c — node_uname_info from uname(2). The kernel answers for itself,
 * so --path.procfs does not apply here, as in node_exporter.
 */
#include <sys/utsname.h>

#include "collect/module.h"

static int uname_collect(heron_sink *s, collect_paths *p, void *state,
                         buf *scratch)
{
    (void)p, (void)state, (void)scratch;
    struct utsname u;
    if (uname(&u) != 0)
        return HERON_EIO;
    static const char *const labels[] = {"domainname", "machine", "nodename",
                                         "release", "sysname", "version", NULL};
    heron_sink_family(s, HERON_GAUGE, "node_uname_info",
                      "The kernel's uname(2) answer, as labels.", NULL, labels);
    heron_sink_value(s, (const char *const[]){u.domainname, u.machine,
                                              u.nodename, u.release,
                                              u.sysname, u.version, NULL},
                     1);
    return 0;
}

const collect_module collect_uname_module = {
    .name = "uname", .bit = COLLECT_UNAME, .collect = uname_collect};
