/*
 * obmalloc.h - pymalloc's arenas and pools, read from outside: what
 * sys._debugmallocstats() prints of them.
 *
 * The state is the static variables of obmalloc.c before 3.12 (found by
 * symbol: a stripped build needs its debug file), then the interpreter's
 * _obmalloc_state.  Every arena's pool headers are read; a pool is 4 KiB
 * in an arena of 256 KiB before 3.10, 16 KiB in 1 MiB after.
 */
#ifndef HS_OBMALLOC_H
#define HS_OBMALLOC_H

#include <stdint.h>
#include "pyproc.h"

#define PYMALLOC_MAX_ARENAS (1 << 22) /* 4 TiB of 1 MiB arenas */

struct pymalloc_stats {
	uint32_t arena_size, pool_size;
	uint64_t arenas;	/* allocated now */
	uint64_t live;		/* bytes in allocated blocks */
	uint64_t free_in_pools; /* bytes in the free blocks of used pools */
	uint64_t used_pools;	/* pools with a block in use */
	uint64_t free_pools;	/* pools with none, in arenas with some */
	uint64_t empty_arenas;	/* arenas with no pool in use */
	uint64_t overhead;	/* pool headers, quantization, arena alignment */
	uint64_t *arena_addr;	/* each arena's first byte, sorted; freed by */
	size_t narena_addr;	/* pymalloc_release */
	int incomplete;		/* a pool header could not be read */
};

/* Read pymalloc's state of the main interpreter.  -1 with err set when
 * it cannot be: HS_EUNSUPPORTED (free-threaded: mimalloc), HS_ELAYOUT
 * (no symbols for its static state), HS_EREAD (a bad pointer). */
int pymalloc_read(struct pyproc *p, struct pymalloc_stats *st, struct hs_error *err);
void pymalloc_release(struct pymalloc_stats *st);

#endif
