/*
 * memory.h - where a Python process's memory goes: its RSS broken down
 * by owner (pymalloc's arenas, the C allocator's heaps and mmapped
 * chunks, thread stacks, other anonymous memory, files) and, inside the
 * allocators, by what their own state says (live, free, kept).
 *
 * Resident bytes of each owner's ranges come from /proc/PID/pagemap
 * (populated pages, so swapped ones count); the whole from
 * /proc/PID/status.  A core file has no RSS: its figures are the bytes
 * mapped, and mem_breakdown.resident is 0.
 *
 * The structure is stored as it is in snapshot files (its size first):
 * fields are only ever added at its end.
 */
#ifndef HS_MEMORY_H
#define HS_MEMORY_H

#include <stdint.h>
#include "pyproc.h"
#include "target/maps.h"

#define MEM_UNKNOWN UINT64_MAX

enum mem_flags {
	MEM_RESIDENT = 1 << 0,	       /* bytes resident (a live process), else mapped */
	MEM_PYMALLOC = 1 << 1,	       /* pymalloc's figures are known */
	MEM_CMALLOC = 1 << 2,	       /* the C allocator's figures are known */
	MEM_PYMALLOC_PARTIAL = 1 << 3, /* a pool header read wrong */
	MEM_CMALLOC_PARTIAL = 1 << 4,  /* a free list read wrong or too long */
	MEM_BY_SYMBOL = 1 << 5,	       /* main_arena from libc's symbols */
	MEM_WALKED = 1 << 6,	       /* objects, estimated, buffers known */
	MEM_C_DWARF = 1 << 7,	       /* malloc_state from libc's DWARF */
	MEM_MIMALLOC = 1 << 8,	       /* mimalloc's figures (free-threaded) */
};

struct mem_breakdown {
	uint64_t size;	/* sizeof(struct mem_breakdown) when written */
	uint64_t flags; /* enum mem_flags */
	/* the whole process */
	uint64_t rss, rss_anon, rss_file; /* rss_file: files and shared memory */
	/* anonymous memory by owner */
	uint64_t pymalloc, cmalloc, stacks, other_anon;
	uint64_t threads; /* stacks found */
	/* pymalloc's state */
	uint64_t pm_arenas, pm_arena_size, pm_pool_size, pm_live, pm_free_in_pools, pm_used_pools,
		pm_free_pools, pm_empty_arenas, pm_overhead;
	/* the C allocator's (glibc) */
	uint64_t c_arenas, c_system, c_in_use, c_free, c_free_chunks, c_top, c_mmapped_chunks,
		c_mmapped;
	/* the walk's: sizes of every object, of which estimated, of which
	 * in buffers the objects own outside themselves */
	uint64_t objects, estimated, buffers;
	/* a free-threaded build's mimalloc: resident bytes of its segments,
	 * how many, its pages, their blocks in use and bytes, free in
	 * carved blocks, reserved but not yet carved */
	uint64_t mimalloc, mi_segments, mi_pages, mi_live_blocks, mi_live, mi_free, mi_uncarved;
	char libc_version[16];
	char pymalloc_why[160]; /* why pymalloc's figures are missing */
	char cmalloc_why[160];
};

/*
 * Break down the memory of the process p reads: allocator state through
 * p->t (a live process, its copy, a core), mappings from m, resident
 * bytes from /proc when pid is a live process (else 0).  sps are the
 * threads' stack pointers.  Never fails: what cannot be read is said in
 * the *_why fields and the flags.
 */
void memory_breakdown(struct pyproc *p, const struct maps *m, pid_t pid, const uint64_t *sps,
		      size_t nsp, struct mem_breakdown *mb);

/* The breakdown a snapshot file holds (len bytes at data, untrusted):
 * 0, or -1 when there is none or it does not read right. */
int memory_from_bytes(const void *data, size_t len, struct mem_breakdown *mb);

/* The stack pointers of t's threads (registers: a frozen process, a
 * core), at most max: how many. */
size_t memory_stack_pointers(struct target *t, uint64_t *sps, size_t max);

/* 1 if memory_unaccounted has an answer: a walk, the C allocator's
 * figures and the interpreter's allocator's (pymalloc or mimalloc). */
int memory_has_unaccounted(const struct mem_breakdown *mb);

/* The allocated bytes no Python object accounts for: pymalloc's live
 * (or mimalloc's) blocks and the C allocator's chunks in use, less the objects' sizes
 * (negative when objects live outside both: static types, immortal
 * singletons). */
int64_t memory_unaccounted(const struct mem_breakdown *mb);

/* The breakdown for people, a line at a time (no newline). */
void memory_text(const struct mem_breakdown *mb, void (*line)(void *ctx, const char *text),
		 void *ctx);

#endif
