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
/* Each file starts with its magic, a version byte and 3 zero bytes: index
 * and tombstones are version 1, chunk files version 3 (zstd pages,
 * integer chunks in encoding 3). Version 2 files, written before the
 * integer encoding changed, are refused with an error that says so. */
#define BF_HDR 8
#define BF_INDEX_HDR BF_INDEX_MAGIC "\x01\0\0\0"
#define BF_TOMBS_HDR BF_TOMBS_MAGIC "\x01\0\0\0"
#define BF_CHUNKS_HDR BF_CHUNKS_MAGIC "\x03\0\0\0"
#define BF_CHUNKS_OLD_HDR BF_CHUNKS_MAGIC "\x02\0\0\0"
/* Chunk records are gathered into pages of about BF_PAGE bytes (always
 * less than 64 KiB), each stored as one zstd frame behind a 12-byte frame
 * header: raw length, compressed length, CRC32C of the compressed bytes. */
#define BF_PAGE (60u << 10)
#define BF_FRAME_HDR 12
#define BF_PAGE_MAX (1u << 16)
/* Level 6 with literals left raw (block_write.c): smaller than level 3 with
 * Huffman literals, and reads about 1.4x faster. */
#define BF_ZSTD_LEVEL 6
#define BF_TOC (4 * 8 + 4 * 4 + 4) /* 4 offsets, 4 section CRCs, TOC CRC */
#define BF_CHUNK_FILE_MAX (512u << 20)
#define BF_MAX_LABELS 1024

#endif
