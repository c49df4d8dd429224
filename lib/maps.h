/*
 * maps.h - the memory mappings of a process, from /proc/PID/maps.
 *
 * Entries are sorted by start address (as the kernel lists them).  The
 * file is read once; at most MAPS_MAX entries are kept.
 */
#ifndef HS_MAPS_H
#define HS_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

#define MAPS_MAX 65536

enum map_prot {
	MAP_R = 1 << 0,
	MAP_W = 1 << 1,
	MAP_X = 1 << 2,
};

struct map_entry {
	uint64_t start, end, offset;
	unsigned prot;		/* enum map_prot */
	char *path;		/* "" for anonymous; "[heap]", "[stack]" ... */
};

struct maps {
	struct map_entry *v;
	size_t n;
	char *paths;		/* storage of every path, NUL-separated */
};

/* Read /proc/PID/maps.  HS_ENOPROC if the process is gone, HS_ENOMEM. */
int maps_read(struct maps *m, pid_t pid, struct hs_error *err);
void maps_release(struct maps *m);
/* The mapping holding addr, or NULL. */
const struct map_entry *maps_find(const struct maps *m, uint64_t addr);
/* Start of the mapping of file path with file offset 0, or 0 if none. */
uint64_t maps_file_base(const struct maps *m, const char *path);

#endif
