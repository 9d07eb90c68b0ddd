/*
 * block_format — constants of the block files shared by the reader
 * (block.c) and the writer (block_write.c); docs/tsdb-format.md is the
 * specification.
 */
#ifndef HERON_TSDB_BLOCK_FORMAT_H
#define HERON_TSDB_BLOCK_FORMAT_H

#define BF_INDEX_MAGIC "HRNI"
#define BF_CHUNKS_MAGIC "HRNC"
#define BF_TOMBS_MAGIC "HRNT"
/* Each file starts with its magic, the version byte 1 and 3 zero bytes. */
#define BF_HDR 8
#define BF_TOC (4 * 8 + 4 * 4 + 4) /* 4 offsets, 4 section CRCs, TOC CRC */
#define BF_CHUNK_FILE_MAX (512u << 20)
#define BF_MAX_LABELS 1024

#endif
