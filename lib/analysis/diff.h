/*
 * diff.h - what changed between two heap graphs of one process.
 *
 * Types are matched by name (each graph has its own type table), so a
 * class defined twice under one name counts as one.  Per type: objects and
 * bytes in each graph and the change.  Optionally the objects that are new
 * in the second graph: those for which the first has no object at the
 * same address with the same type name (an address reused by an object of
 * another type is a new object; one reused by the same type cannot be
 * told from the old one and is not).
 *
 * Optionally the containers that grew: objects in both graphs (same
 * address, same type name) holding more items or more bytes in the
 * second, most retained growth first when both graphs have their
 * dominators (heap_prepare HEAP_NEED_DOMINATORS, by the caller); one
 * whose growth is mostly that of another it keeps alive is left out.
 *
 * Cost: linear in both graphs, plus the address index of the old one
 * (heap_prepare HEAP_NEED_INDEX, built here when DIFF_NEW_OBJECTS or
 * DIFF_CONTAINERS asks).
 */
#ifndef HS_DIFF_H
#define HS_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include "heap/heap.h"

enum diff_order {
	DIFF_BY_SIZE,
	DIFF_BY_COUNT,
};

enum diff_flags {
	DIFF_NEW_OBJECTS = 1 << 0, /* find the objects new in the second graph */
	DIFF_CONTAINERS = 1 << 1,  /* and the containers that grew */
};

#define DIFF_MAX_CONTAINERS 100

/* An object in both graphs that holds more. */
struct diff_container {
	uint32_t old_obj, new_obj; /* its index in each graph */
	uint64_t old_items, new_items;
	uint64_t old_size, new_size;
	uint64_t old_retained, new_retained; /* 0 without dominators */
};

struct diff_type {
	const char *name;  /* in one of the graphs' string blobs */
	uint32_t old_type; /* a types[] index in each graph, HEAP_NONE if none */
	uint32_t new_type;
	uint64_t old_count, new_count;
	uint64_t old_size, new_size;
	int64_t dcount, dsize; /* new - old */
	uint64_t nnew;	       /* objects new in the second graph */
	uint64_t nnew_size;
	size_t first_new; /* its new objects: new_objs[first_new .. + nnew) */
};

struct heap_diff {
	/* every type with objects in either graph, biggest growth first
	 * (by size or count, ties by the other, then by name) */
	struct diff_type *types;
	size_t ntypes;
	/* per types[] index of the second graph, its row in types (two types
	 * of one name share it), or HEAP_NONE when no object of its name is
	 * in either graph */
	uint32_t *new_rows;
	/* DIFF_NEW_OBJECTS: indexes into types[] of those with new objects,
	 * most new bytes (or objects) first, and the new objects' indexes in
	 * the second graph, grouped by type, in index order within a type
	 * (those a root reaches first, when the second graph has its
	 * dominators) */
	uint32_t *by_new;
	size_t nby_new;
	uint32_t *new_objs;
	size_t nnew;
	uint64_t nnew_size;
	uint64_t old_count, new_count, old_size, new_size;
	/* DIFF_CONTAINERS: at most DIFF_MAX_CONTAINERS, most retained
	 * growth first (then most items more) */
	struct diff_container *containers;
	size_t ncontainers;
};

/*
 * Compare old with new into d (zeroed here; diff_release frees it).  old
 * gets its address index built when flags ask for new objects.  Both
 * graphs must outlive d (names point into them).  0, or -1 with err
 * (out of memory).
 */
int diff_heaps(struct heap *old, const struct heap *new, enum diff_order by, unsigned flags,
	       struct heap_diff *d, struct hs_error *err);
void diff_release(struct heap_diff *d);

#endif
