/*
 * query.h - questions asked of a heap graph: objects per type, the path
 * from a root to an object, instances of a type.
 */
#ifndef HS_QUERY_H
#define HS_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "heap/heap.h"

struct type_stat {
	uint32_t type; /* index into h->types */
	uint64_t count;
	uint64_t size;
	uint64_t estimated; /* of size, what objects flagged size-estimated give */
	uint64_t max;
	/* at least what freeing every instance together frees, as MAT's
	 * histogram counts it (dominator_type_retained); 0 unless the
	 * dominators are there (heap_prepare with HEAP_NEED_DOMINATORS) */
	uint64_t retained;
};

enum hist_order {
	HIST_BY_COUNT,
	HIST_BY_SIZE,
	HIST_BY_RETAINED, /* needs HEAP_NEED_DOMINATORS prepared */
};

/* Objects per type, sorted (ties by name).  *out is malloc'ed (caller
 * frees), *n its length; totals in *count and *size.  Each retained is
 * filled when h->idom is there (it costs a walk of the dominator tree);
 * HIST_BY_RETAINED without it fails with HS_EINTERNAL.  -1 on OOM. */
int query_histogram(const struct heap *h, enum hist_order by, struct type_stat **out, size_t *n,
		    uint64_t *count, uint64_t *size, struct hs_error *err);

/*
 * The shortest chain of references from a root to object target.  Weak
 * edges are never followed; scanned (conservative) edges only if there is
 * no other way.  Roots that say where a reference comes from (modules,
 * threads, frames) are tried before objects merely held from outside.
 * On success *path holds the object indexes root first, *edges[i] the
 * edge index from path[i] to path[i+1] (n-1 of them), *root the
 * roots[] index the chain starts at.  Returns 1 found, 0 unreachable,
 * -1 on OOM.  Caller frees *path and *edges.
 */
int query_path(const struct heap *h, uint32_t target, uint32_t **path, uint32_t **edges, size_t *n,
	       uint32_t *root, struct hs_error *err);

/*
 * The types a user means by NAME, in the first of these ways that finds
 * any: the full name exactly ("app.models.User"); a dotted end of it
 * exactly ("User", "models.User": every class of that name); a dotted end
 * ignoring case ("user").  Sets match[t] to 1 for each type t and 0 for
 * the others (h->ntype bytes, the caller's); returns how many match.
 * The one way a type name from the user is read.
 */
size_t query_types_named(const struct heap *h, const char *name, uint8_t *match);

/*
 * For "did you mean": up to max types whose names are near NAME, nearest
 * first (edit distance, ignoring case, to the full name or a dotted end
 * of it: at most a third of NAME's length, and at least 1), one per
 * name, as types[] indexes in out[].  Returns how many.
 */
size_t query_types_near(const struct heap *h, const char *name, uint32_t *out, size_t max);

/* Parse "0x7f..." or decimal into *addr; -1 if not a number. */
int query_parse_addr(const char *s, uint64_t *addr);

#endif
