/*
 * garbage.h - what the next full collection would free, found in a heap
 * graph without running the collector.
 *
 * Every object whose reference count is not explained by the references
 * the walk found is a root (held from outside), so an object no root
 * leads to over strong and scanned edges (weak references keep nothing
 * alive) is held only by other such objects: garbage.  The GC-tracked
 * ones are what gc.collect() would find unreachable; the untracked ones
 * (str, int, atomic tuples...) go with them.
 *
 * The garbage is grouped two ways, both biggest first (by size, then by
 * count, then by the lowest object index in the group, so the order is
 * stable and follows the heap's order among equals):
 *   cycles    strongly connected components of more than one object, or
 *             of one object that refers to itself;
 *   islands   weakly connected groups: a set of cycles and everything
 *             that hangs off them, freed together.
 * All of it is linear in the graph (one breadth-first pass, an iterative
 * Tarjan over the garbage, a union-find): no recursion, so a chain of
 * millions of objects is fine.
 *
 * A group "has finalizers" when one of its objects has a Python-level
 * __del__ (its class or a class of its __mro__ has a '__del__' key in
 * its __dict__) or is a generator, coroutine or async generator with a
 * frame (not exhausted).  C types' tp_finalize is not seen.
 */
#ifndef HS_GARBAGE_H
#define HS_GARBAGE_H

#include <stddef.h>
#include <stdint.h>
#include "heap/heap.h"

/* One cycle or island: its objects are members[first .. first + n). */
struct garbage_group {
	uint32_t first;
	uint32_t n;	  /* objects */
	uint32_t ngc;	  /* of them tracked by the collector */
	uint32_t nfinal;  /* of them with a finalizer */
	uint32_t ncycles; /* islands: cycles inside; cycles: 1 */
	uint32_t pad;
	uint64_t size; /* bytes, as sys.getsizeof */
};

struct garbage {
	size_t nobj;	 /* garbage objects */
	uint64_t ngc;	 /* of them GC-tracked */
	uint64_t nfinal; /* of them with a finalizer */
	uint64_t size;
	uint32_t *objs; /* every garbage object, by index */
	struct garbage_group *cycles, *islands;
	size_t ncycles, nislands;
	uint32_t *cycle_members;  /* sum of the cycles' n */
	uint32_t *island_members; /* nobj entries */
	/* gc.garbage: roots of kind HR_GC_GARBAGE, each the list itself */
	uint32_t *gc_lists;
	size_t ngc_lists;
};

/*
 * Find the garbage of h into g (zeroed here; garbage_release frees it).
 * 0, or -1 with err (out of memory).
 */
int garbage_find(const struct heap *h, struct garbage *g, struct hs_error *err);
void garbage_release(struct garbage *g);

/* ---- the pieces, for tests and other readers ---- */

/* 1 if edge name word e keeps its target alive (strong or scanned). */
static inline int garbage_edge_holds(uint32_t e)
{
	return HEAP_EDGE_KIND(e) != HE_WEAK;
}

/*
 * Mark in reached[] (h->nobj bytes, set to 0 or 1 here) every object a
 * root leads to over edges that hold.  0, or -1 with err.
 */
int garbage_reached(const struct heap *h, uint8_t *reached, struct hs_error *err);

/*
 * Strongly connected components of the subgraph of the objects with
 * in[i] != 0 over edges that hold.  comp[i] (h->nobj entries) becomes the
 * component of i, numbered from 0 in the order Tarjan completes them, or
 * HEAP_NONE for objects outside the subgraph; *ncomp their number.
 * Iterative.  0, or -1 with err.
 */
int garbage_scc(const struct heap *h, const uint8_t *in, uint32_t *comp, size_t *ncomp,
		struct hs_error *err);

/*
 * Which types have a Python-level finalizer: fin[t] (h->ntype bytes) is
 * 1 when type t's __dict__, or that of a class on its __mro__, has a
 * '__del__' key.  The classes of the __mro__ are read through the type
 * object's __mro__ tuple, so a base class counts whether or not the walk
 * met an instance of it (has a types[] entry).  Types whose object was
 * not walked get 0.  0, or -1 with err (out of memory).
 */
int garbage_finalizer_types(const struct heap *h, uint8_t *fin, struct hs_error *err);
/* 1 if object i has a finalizer, given fin from garbage_finalizer_types. */
int garbage_has_finalizer(const struct heap *h, const uint8_t *fin, uint32_t i);

#endif
