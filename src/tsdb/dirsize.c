/* dirsize — bytes under a directory (dirsize.h). */
#include "tsdb/dirsize.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

uint64_t dir_bytes(const char *dir)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st))
            continue;
        total += S_ISDIR(st.st_mode) ? dir_bytes(path) : (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}
