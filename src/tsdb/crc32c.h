/*
 * crc32c — CRC-32C (Castagnoli), the checksum of WAL records and block
 * sections. Uses the SSE4.2 instruction when the CPU has it, a table
 * otherwise. Thread-safe.
 */
#ifndef HERON_TSDB_CRC32C_H
#define HERON_TSDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over p[0..n); start with crc = 0. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
