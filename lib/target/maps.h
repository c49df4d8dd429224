/*
 * maps.h - the memory mappings of a process, from /proc/PID/maps, and
 * what /proc says of each: the file it maps, and whether the process
 * has written to its private copy of any of its pages.
 *
 * Entries are sorted by start address (as the kernel lists them).  The
 * file is read once; at most MAPS_MAX entries are kept.
 */
#ifndef HS_MAPS_H
#define HS_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

#define MAPS_MAX 65536

enum map_prot {
	MAP_R = 1 << 0,
	MAP_W = 1 << 1,
	MAP_X = 1 << 2,
	MAP_S = 1 << 3, /* shared ("s"), else private */
};

struct map_entry {
	uint64_t start, end, offset;
	unsigned prot;	/* enum map_prot */
	uint64_t dev;	/* makedev(major, minor) of the file, 0 if none */
	uint64_t inode; /* of the file, 0 for anonymous memory */
	char *path;	/* "" for anonymous; "[heap]", "[stack]" ... */
};

struct maps {
	struct map_entry *v;
	size_t n;
	char *paths;		/* storage of every path, NUL-separated */
	size_t cap, plen, pcap; /* while maps_add builds it */
};

/* Read /proc/PID/maps.  HS_ENOPROC if the process is gone, HS_ENOMEM. */
int maps_read(struct maps *m, pid_t pid, struct hs_error *err);
void maps_release(struct maps *m);
/* Build a list by hand (a core file's): add entries in address order
 * to a zeroed m, then maps_done before any other use. */
int maps_add(struct maps *m, const struct map_entry *e, const char *path, struct hs_error *err);
void maps_done(struct maps *m);
/* A copy of src into dst (released with maps_release). */
int maps_copy(struct maps *dst, const struct maps *src, struct hs_error *err);
/* The mapping holding addr, or NULL. */
const struct map_entry *maps_find(const struct maps *m, uint64_t addr);
/* Start of the mapping of file path with file offset 0, or 0 if none. */
uint64_t maps_file_base(const struct maps *m, const char *path);

/*
 * The file mapping e of process pid maps, opened read-only: through
 * /proc/PID/map_files (the very file, even deleted or replaced since),
 * else /proc/PID/root/PATH when that is a regular file with e's inode
 * and device (or, where the device differs as overlayfs shows it, whose
 * bytes at e's offset are those of e's first page).
 * The descriptor (the caller closes it), or -1.
 */
int maps_open_file(pid_t pid, const struct map_entry *e);

/*
 * 1 if some page of private mapping e holds the process's own copy
 * rather than the file's (written since it was mapped: relocations
 * made read-only after, breakpoints), 0 if every page is the file's
 * (or not in memory: the file's when touched), -1 if /proc/PID/pagemap
 * cannot tell.
 */
int maps_private_pages(pid_t pid, const struct map_entry *e);

/*
 * The populated pages of [start, end) of process pid (in memory or in
 * swap: a page never touched reads as zeros and is neither), as runs:
 * fn(ctx, run start, run end) for each, in order, until it returns
 * nonzero.  pagemap is an open /proc/PID/pagemap (maps_pagemap_open).
 * 0, or -1 when pagemap cannot be read.
 */
int maps_pagemap_open(pid_t pid);
int maps_populated(int pagemap, uint64_t start, uint64_t end,
		   int (*fn)(void *ctx, uint64_t s, uint64_t e), void *ctx);

#endif
