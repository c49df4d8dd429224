/*
 * snapshot.h - heap graphs in files.
 *
 * Format (version 4), all integers little-endian, documented in full in
 * docs/snapshot-format.md:
 *
 *   header      128 bytes: magic "HEAPSCP\0", version, header size, file
 *               size, checksum of everything after the header, section
 *               count, flags and reserved bytes (zero);
 *   sections    a table of {id, element size, offset, count} (24 bytes
 *               each), then each section's array, 8-byte aligned: the
 *               very arrays of struct heap (heap.h), so a loaded file is
 *               used in place from its mapping.
 *
 * Files are written to a temporary file in the same directory, mode 0600,
 * and renamed over the name asked for only when complete: a failed write
 * leaves nothing behind.  Loading maps the file and checks everything a
 * reader will rely on (sizes, offsets, indexes, the checksum) before
 * handing out the graph: a truncated, corrupted or foreign file is an
 * error (HS_EFILE) with a message that says which.
 */
#ifndef HS_SNAPSHOT_H
#define HS_SNAPSHOT_H

#include "heap.h"

/* 2 added the waits section, 3 the memory breakdown, 4 a checksum of four
 * lanes; files of versions 1-3 (without them, with one chain) still
 * load */
#define SNAPSHOT_VERSION 4

enum snapshot_flags {
	SNAP_FORCE = 1 << 0, /* replace an existing file */
};

#include <limits.h>

/* A snapshot being written: the temporary file exists from begin. */
struct snapshot_out {
	int fd;
	unsigned flags;
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

/* Check path can be written (not a symlink; not existing unless
 * SNAP_FORCE) and create the temporary file next to it: done before a
 * long capture, so that it does not fail at the end.  0, or -1 with err
 * (HS_EFILE). */
int snapshot_begin(struct snapshot_out *out, const char *path, unsigned flags,
		   struct hs_error *err);
/* Write h, sync, and rename over path.  On failure nothing is left. */
int snapshot_commit(struct snapshot_out *out, const struct heap *h, struct hs_error *err);
/* For other files written the same way (exports): the caller filled the
 * temporary file, through out->fd or by its name out->tmp, and closed
 * whatever else it opened on it.  Sync it and rename it over path.  On
 * failure nothing is left.  0, or -1 with err (HS_EFILE). */
int snapshot_publish(struct snapshot_out *out, struct hs_error *err);
/* Give up: remove the temporary file. */
void snapshot_abort(struct snapshot_out *out);
/* begin + commit.  0, or -1 with err (HS_EFILE). */
int snapshot_write(const struct heap *h, const char *path, unsigned flags, struct hs_error *err);
/* Load path into h (which must be heap_init'ed and empty). */
int snapshot_load(struct heap *h, const char *path, struct hs_error *err);
/* Make the header of a snapshot's bytes in memory (len of them) agree
 * with them: its file size and checksum.  For tests and fuzzers that
 * damage a file behind its checksum, to reach the checks that follow it
 * (a checksum guards against accidents, not against a crafted file).
 * 0, or -1 when len is shorter than a header. */
int snapshot_seal(void *file, size_t len);
/* 1 if the file at path starts like a snapshot. */
int snapshot_is_file(const char *path);

#endif
