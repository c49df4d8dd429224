/*
 * capture.h - take a heap graph from a live process.
 *
 * Finds the interpreter while the target runs, then freezes it only for
 * as long as it takes to copy its writable memory and read its thread
 * stacks (image.h), lets it go, and walks the copy (walk.h).  Past the
 * copy budget the walk runs while the target stays frozen.  With no_stop
 * the target is never frozen: its memory is copied while it runs (past
 * the budget, read live), so what the walk sees may be inconsistent; the
 * walk stays safe and counts the inconsistencies as warnings.
 *
 * A walk of the frozen process lasts as long as the walk: max_pause_ns
 * bounds it.  Past it the process is let go and the walk goes on reading
 * it as it runs, under the --no-stop rules: the result is HC_LIVE, with
 * a warning that says so.
 */
#ifndef HS_CAPTURE_H
#define HS_CAPTURE_H

#include <sys/types.h>
#include "heap/heap.h"
#include "python/pyproc.h"
#include "walk.h"

enum capture_phase {
	CAPTURE_COPYING,     /* bytes: what is copied */
	CAPTURE_FROZEN_WALK, /* before freezing, bytes: what will be walked
			      * frozen, being over the copy budget */
	CAPTURE_WALKING,
};

/* About how long a walk of the frozen process that reads bytes of its
 * memory takes, in nanoseconds (measured: some 32 MiB/s, reads through
 * the block cache, which is slower than a walk of a copy by 10 to 20). */
uint64_t capture_frozen_walk_ns(uint64_t bytes);

struct capture_options {
	int no_stop;
	uint64_t max_copy;     /* bytes; 0: image_default_budget() */
	uint64_t max_memory;   /* bytes heapscope may take, 0: no bound (the
				* copy gets half, the graph the rest) */
	uint64_t max_pause_ns; /* a frozen walk lets the process go after
				* this long; 0: never */
	struct pyproc_options py;
	const char *sysroot; /* a core's files are under it (NULL: here) */
	struct walk_options walk;
	/* called after attaching, with the interpreter found (may be NULL) */
	void (*attached)(void *ctx, const struct pyproc *p);
	/* called as each long phase starts (may be NULL), with its bytes */
	void (*phase)(void *ctx, enum capture_phase phase, uint64_t bytes);
	void *ctx;
};

/* The bytes a capture with o may copy: --max-copy or half the memory
 * available, and at most half of --max-memory. */
uint64_t capture_copy_budget(const struct capture_options *o);

/* Our resident bytes now (VmRSS), 0 unknown. */
uint64_t capture_self_rss(void);

/* Under max_memory (--max-memory; 0 none), what the analyses of h (a
 * capture made, or a snapshot loaded: its file is mapped whole) may take
 * from now on: what is left of it, heapscope's RSS counted now
 * (heap_prepare counts against it).  0, or -1 with err (HS_ENOMEM) when
 * a snapshot's file alone is max_memory or more. */
int capture_limit_analyses(struct heap *h, uint64_t max_memory, struct hs_error *err);

/* Capture pid into h (heap_init'ed by the caller).  0, or -1 with err:
 * the errors of target_attach and pyproc_open, HS_ENOMEM (also when the
 * graph outgrows max_memory), HS_EGONE. */
int capture_heap(pid_t pid, const struct capture_options *o, struct heap *h, struct hs_error *err);
/* The same from the core file at path (ELF or compressed): nothing is
 * stopped or copied; the walk reads the core (its memory, and the files
 * it names under o->sysroot for what it left out).  Errors as
 * target_core_open's and capture_heap's.  The capture's time is the
 * core file's. */
int capture_core(const char *path, const struct capture_options *o, struct heap *h,
		 struct hs_error *err);

#endif
