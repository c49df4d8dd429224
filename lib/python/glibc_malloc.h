/*
 * glibc_malloc.h - the C allocator's arenas, read from outside: what
 * glibc's mallinfo2() would say in the process.
 *
 * With libc's debug file (libc6-dbg), malloc_state's layout comes from
 * its DWARF (cached per libc build-id beside the interpreter layouts)
 * and main_arena from its symbols.  Without, the layout is a table of
 * glibc 2.27 to 2.42 (checked against libc6-dbg's DWARF by the tests)
 * and main_arena is found in libc's .data by its shape: a malloc_state
 * whose 127 bins are each empty (pointing at themselves) or hold chunks.
 * Another glibc, or another C library, is "unknown", never guessed.
 */
#ifndef HS_GLIBC_MALLOC_H
#define HS_GLIBC_MALLOC_H

#include <stdint.h>
#include "pyproc.h"
#include "target/maps.h"

#define GLIBC_MAX_ARENAS 1024
#define GLIBC_MAX_FREE_CHUNKS (4u << 20)
#define GLIBC_HEAP_MAX (64ull << 20) /* a thread arena's heap (64-bit) */

struct glibc_range {
	uint64_t start, end;
};

struct glibc_malloc_stats {
	char version[16];     /* "2.36" */
	int by_symbol;	      /* main_arena from libc's symbols, else found
			       * by its shape */
	int by_dwarf;	      /* malloc_state from libc's DWARF, else the table */
	uint32_t arenas;      /* main and per-thread */
	uint64_t system;      /* bytes the arenas took from the system */
	uint64_t free;	      /* in free chunks and the arenas' tops */
	uint64_t free_chunks; /* how many, tops included */
	uint64_t top;	      /* the main arena's top chunk (keepcost) */
	int incomplete;	      /* a free list was cut short or read wrong */
	struct glibc_range heaps[GLIBC_MAX_ARENAS + 1]; /* [heap] and each
							 * thread heap */
	int nheaps;
};

/* Read the arenas.  -1 with err set: HS_EUNSUPPORTED (no glibc, or one
 * whose layout heapscope does not know), HS_ELAYOUT (main_arena not
 * found), HS_EREAD. */
int glibc_malloc_read(struct pyproc *p, const struct maps *m, struct glibc_malloc_stats *st,
		      struct hs_error *err);

/* The chunks that malloc mapped on their own (mmap, past the mmap
 * threshold) found one after another from start within [start, end):
 * their count and bytes added to *n and *bytes; returns where the last
 * one ends (start if none). */
uint64_t glibc_mmapped_chunks(struct target *t, uint64_t start, uint64_t end, uint64_t *n,
			      uint64_t *bytes);

/* The first page from start (rounded up) within [start, end) where such
 * a chunk begins, ending no further than limit (>= end), or end;
 * *budget bounds the pages looked at, and is what is left of it. */
uint64_t glibc_next_mmapped(struct target *t, uint64_t start, uint64_t end, uint64_t limit,
			    uint64_t *budget);

#endif
