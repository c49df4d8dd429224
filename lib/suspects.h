/*
 * suspects.h - leak suspects: the few places that keep most of the heap
 * alive, each reported where a developer can act on it.
 *
 * From the dominator tree (dominator.h): every object that retains more
 * than a share of the heap is big; walking down from a big object while
 * one child retains most of it (SUSPECT_DESCEND) leads to the
 * accumulation point - typically the container whose many elements make
 * up the mass.  The other big objects met on the way down, and the big
 * children of an accumulation point, are looked at the same way, so a
 * suspect is reported once, at its most specific point, and two big
 * parts of one object are two suspects.  An accumulation point whose
 * mass is mostly made of such nested suspects is not reported itself.
 */
#ifndef HS_SUSPECTS_H
#define HS_SUSPECTS_H

#include <stddef.h>
#include <stdint.h>
#include "heap.h"

/* Walk down while a child retains more than this share of its parent. */
#define SUSPECT_DESCEND 0.8

struct suspect {
	uint32_t start;		/* the big object the walk down began at */
	uint32_t point;		/* the accumulation point */
	uint64_t retained;	/* retained bytes of point */
	uint32_t children;	/* point's children in the dominator tree */
	uint32_t elem_type;	/* types[] index of the children's dominant type
				 * (by retained bytes), HEAP_NONE if none */
	uint64_t elem_count;	/* children of point of that type */
	uint64_t elem_retained;	/* what they retain together */
};

/*
 * The suspects of h: accumulation points retaining more than threshold
 * (a fraction of total, in (0, 1]) of total bytes; total 0 means the size
 * of all objects.  Needs HEAP_NEED_DOMINATORS prepared.  *out (malloc'ed,
 * caller frees; NULL when none) sorted by retained size, largest first,
 * *n its length.  0, or -1 with err.
 */
int suspects_find(const struct heap *h, double threshold, uint64_t total,
		  struct suspect **out, size_t *n, struct hs_error *err);

#endif
