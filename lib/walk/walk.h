/*
 * walk.h - every live object of an interpreter, into a heap graph.
 *
 * Seeds: the collector's lists (three generations and the permanent one)
 * and the roots: sys.modules, the sys dict, builtins, every thread state
 * (dict, exception, context) and every running frame (3.11+ frames are not
 * objects: their locals and stack slots are roots, named).  Then the
 * closure over referents, breadth first, decoded per type from the layout
 * (walk_refs.c), so objects the collector does not track are found too.
 * Each object gets its sys.getsizeof size and, for scalars, its value.
 * Finally every object's refcount is compared with the references found:
 * a positive remainder means it is held from outside the graph (C code,
 * statics) and makes it a root.
 *
 * Every pointer is validated before it is followed (aligned, readable, its
 * type a type object we trust) and every loop is bounded: a target that
 * changes under the walk (--no-stop) gives warnings, never a crash.
 */
#ifndef HS_WALK_H
#define HS_WALK_H

#include <stddef.h>
#include "heap/heap.h"
#include "python/pyproc.h"
#include "python/stacks.h"

struct walk_options {
	size_t max_value; /* bytes of a str/bytes value kept (0: 1024) */
	/* called now and then: objects done, objects found */
	void (*progress)(void *ctx, size_t done, size_t found);
	void *progress_ctx;
	/* set, by the end of the walk (by progress: the process was let
	 * go), to one more warning the walk records (static text) */
	const char *warning;
};

/* Walk the interpreter p reads (live, frozen or a copy) into h, which
 * must be heap_init'ed; st (may be NULL) gives the threads and their
 * frames for roots and metadata.  Returns 0 (h->meta.warnings counts the
 * inconsistencies met) or -1 with err (out of memory, unreadable
 * interpreter state). */
int walk_heap(struct pyproc *p, const struct stacks *st, struct heap *h,
	      const struct walk_options *o, struct hs_error *err);

#endif
