/*
 * sd_file.c — file-based service discovery: the files a job's
 * file_sd_configs match, their signature and their target groups (see
 * sd_file.h).
 */
#include "scrape/sd_file.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "scrape/smap.h"

int scrape_sd_file_read(const scrape_job *jc, int read, scrape_static_config **groups, size_t *n,
                   uint64_t *sig, heron_err *err)
{
    *groups = NULL;
    *n = 0;
    uint64_t h = 0x1234;
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < jc->nfile_sd_configs; c++)
        for (size_t p = 0; rc == 0 && p < jc->file_sd_configs[c].nfiles; p++) {
            glob_t g;
            if (glob(jc->file_sd_configs[c].files[p], 0, NULL, &g) != 0) {
                globfree(&g);
                continue;
            }
            for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
                struct stat st;
                if (stat(g.gl_pathv[i], &st) == 0) {
                    uint64_t v[4] = {(uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
                                     (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_ino};
                    h = h * 31 + smap_hash(g.gl_pathv[i], strlen(g.gl_pathv[i]));
                    h = h * 31 + smap_hash(v, sizeof v);
                }
                if (!read)
                    continue;
                scrape_static_config *fg;
                size_t fn;
                rc = scrape_file_sd_read(g.gl_pathv[i], &fg, &fn, err);
                if (rc < 0)
                    break;
                /* Each group says which file it came from, as in Prometheus. */
                for (size_t k = 0; k < fn && rc == 0; k++)
                    if (scrape_lset_set(&fg[k].labels, "__meta_filepath", g.gl_pathv[i]) < 0)
                        rc = err_set(err, HERON_ENOMEM, "out of memory");
                if (rc < 0) {
                    scrape_static_configs_free(fg, fn);
                    break;
                }
                scrape_static_config *all = realloc(*groups, (*n + fn) * sizeof *all);
                if (all == NULL && *n + fn > 0) {
                    scrape_static_configs_free(fg, fn);
                    rc = err_set(err, HERON_ENOMEM, "out of memory");
                    break;
                }
                *groups = all;
                if (fn)
                    memcpy(all + *n, fg, fn * sizeof *fg);
                *n += fn;
                free(fg);
            }
            globfree(&g);
        }
    if (rc < 0) {
        scrape_static_configs_free(*groups, *n);
        *groups = NULL;
        *n = 0;
    }
    *sig = h;
    return rc;
}
