/*
 * walkimage.h - an interpreter in memory that lies, for the heap walk's
 * unit test (unit-walk.c) and fuzzer (fuzz/fuzz-walk.c).
 *
 * One region of WI_LEN bytes at WI_BASE laid out with one built-in
 * layout table's offsets (offsets/): _PyRuntime at its start, then a type object
 * for every builtin the walk decodes (names right, flags, sizes and bases
 * random), then WI_NOBJ objects of those types whose other words point
 * anywhere (other objects, the middle of objects, small numbers), the
 * main interpreter among them (or, WI_CLEAN, are zero).  A target that changes under a --no-stop
 * walk, or a corrupt one, looks like this.
 */
#ifndef HS_WALKIMAGE_H
#define HS_WALKIMAGE_H

#include <stdint.h>
#include "heap/heap.h"
#include "layout/layout.h"
#include "python/pyproc.h"

#define WI_BASE 0x100000ull
#define WI_LEN (1u << 18)
#define WI_NOBJ 4096

enum walk_image_flags {
	WI_LIVE = 1 << 0,	 /* read it as a live process, not a copy */
	WI_GC_LIST = 1 << 1,	 /* link every other object on generation 0 */
	WI_CLEAN = 1 << 2,	 /* every word zero but the types, the objects'
				  * headers and the states' links: fast to walk,
				  * for the fuzzer to fill in */
	WI_INCREMENTAL = 1 << 3, /* 3.14.0-3.14.4: the table corrected for
				  * 3.14.2 */
	WI_OLD_SPACE = 1 << 4,	 /* the incremental collector's old-space bit
				  * in listed objects' _gc_next */
};

struct walk_image {
	struct pyproc p; /* p.t reads mem */
	uint64_t *mem;	 /* WI_LEN bytes at WI_BASE; writable until attach */
	struct target *image;
	size_t listed; /* objects linked on the collector's list */
};

/* Lay out memory with the offsets of table tb (one of layout_tables)
 * from seed.  0, or -1 (OOM). */
int walk_image_init(struct walk_image *wi, const struct layout_table *tb, uint64_t seed,
		    unsigned flags);
/* The address of word i of the region (i < WI_LEN / 8). */
static inline uint64_t walk_image_addr(size_t i)
{
	return WI_BASE + 8 * (uint64_t)i;
}
/* Make p.t read the memory as it is now (a copy, or with WI_LIVE
 * through a target that is not one, as a live or frozen walk reads).
 * 0, or -1 with err. */
int walk_image_attach(struct walk_image *wi, unsigned flags, struct hs_error *err);
void walk_image_release(struct walk_image *wi);

/* 1 if every index a reader follows in a finished graph is in range. */
int walk_graph_ok(const struct heap *h);

#endif
