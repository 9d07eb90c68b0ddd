/*
 * dirsize — bytes of the files under a directory, subdirectories included
 * (blocks' sizes, the WAL's for size retention). Entries that vanish while
 * it walks count as 0. Thread-safe.
 */
#ifndef HERON_TSDB_DIRSIZE_H
#define HERON_TSDB_DIRSIZE_H

#include <stdint.h>

uint64_t dir_bytes(const char *dir);

#endif
