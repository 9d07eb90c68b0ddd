/*
 * print_exposition — writes the golden metrics in one format to stdout, so
 * that a real parser (promtool check metrics) can read heron's output.
 *   print_exposition text|openmetrics
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden_metrics.h"

int main(int argc, char **argv)
{
    heron_format fmt = argc > 1 && strcmp(argv[1], "openmetrics") == 0
                           ? HERON_FORMAT_OPENMETRICS
                           : HERON_FORMAT_TEXT;
    heron_registry *r;
    char *out;
    size_t len;
    if (heron_registry_new(&r, NULL) || golden_build(r) ||
        heron_registry_expose(r, fmt, &out, &len, NULL))
        return 1;
    fwrite(out, 1, len, stdout);
    free(out);
    heron_registry_free(r);
    return 0;
}
