/*
 * decompress.h - a compressed file (zstd, lz4 frame, xz: what
 * systemd-coredump writes) decompressed into memory we map.
 */
#ifndef HS_DECOMPRESS_H
#define HS_DECOMPRESS_H

#include <stddef.h>
#include "base/error.h"

/* 1 if buf starts as a stream of a format decompress_file reads. */
int decompress_known(const unsigned char *buf, size_t len);
/* Decompress the file open at fd (from its start) into an anonymous
 * file, mapped writable at *out for *len bytes (munmap it).
 * At most max bytes are produced: past that, HS_ENOMEM.  0, or -1 with
 * err: HS_EFILE for a damaged or cut stream (message names path),
 * HS_ENOTCORE for a format it does not know. */
int decompress_file(int fd, const char *path, size_t max, void **out, size_t *len,
		    struct hs_error *err);

#endif
