/*
 * cmap — full head chunks kept in memory-mapped files (DIR/chunks_head).
 *
 * When a head chunk is full its bytes are copied into the current segment
 * file, which is mapped shared; pages already written are dropped from the
 * process with MADV_DONTNEED (the kernel keeps them in the page cache and
 * writes them back), so full chunks do not count as anonymous memory. The
 * files are scratch: the head is rebuilt from the WAL on open, which wipes
 * the directory. A ref is (segment << 32 | offset); each record is a 2-byte
 * big-endian length and the chunk bytes.
 *
 * Thread-safety: cmap_write and cmap_get are safe from any thread; a chunk
 * written by one thread may be read by another once it has published the
 * ref (under the series lock). cmap_truncate must not race with readers
 * (the database holds its reload lock exclusively).
 */
#ifndef HERON_TSDB_CMAP_H
#define HERON_TSDB_CMAP_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"

typedef struct cmap cmap;

/* seg_bytes 0: 64 MiB. Removes any files left in dir. */
int cmap_open(const char *dir, size_t seg_bytes, cmap **out, heron_err *err);
/* Unmaps and removes every segment. NULL is a no-op. */
void cmap_close(cmap *cm);
/* Copies a chunk (len <= 65535) in; maxt is its last timestamp. */
int cmap_write(cmap *cm, const uint8_t *b, size_t len, int64_t maxt,
               uint64_t *ref, heron_err *err);
/* The chunk's bytes, or NULL for a ref that names nothing. */
const uint8_t *cmap_get(cmap *cm, uint64_t ref, size_t *len);
/* Starts fetching the chunk's first bytes into the cache; reads nothing. */
void cmap_prefetch(cmap *cm, uint64_t ref);
/* Removes finished segments whose chunks all end before mint. */
void cmap_truncate(cmap *cm, int64_t mint);
/* Bytes in segment files. */
uint64_t cmap_bytes(cmap *cm);

#endif
