/*
 * dominator.h - who keeps what alive: the dominator tree of the heap
 * graph and retained sizes.
 *
 * The graph is read from one synthetic super-root whose children are the
 * objects of every roots[] entry (all kinds).  Strong and scanned edges
 * are followed, weak ones (HEAP_EDGE_KIND(name) == HE_WEAK) never.  An
 * object v dominates w when every chain of references from the
 * super-root to w goes through v; the immediate dominator of w is the
 * one of its dominators that all others dominate.  Freeing v would free
 * everything v dominates: its retained size is the sum of heap_size()
 * over its dominator subtree, itself included.
 *
 * dominator_build() fills h->idom, h->retained and h->reach (see heap.h
 * for what they hold); heap_prepare(h, HEAP_NEED_DOMINATORS, err) calls
 * it.  It is iterative (a 10-million-object chain is fine), allocates a
 * fixed number of arrays (16 bytes an object while it runs, and 4 a
 * reference other than the one by which the depth-first search reached
 * an object: most objects have no other; 12 bytes and one bit an object
 * kept), never one per object, and never writes into the graph's own
 * arrays, so a loaded snapshot's read-only mapping is fine.
 *
 * The algorithm is semi-NCA: a depth-first numbering, semidominators as
 * Lengauer-Tarjan computes them (simple path compression), then each
 * immediate dominator as the nearest dominator of its depth-first parent
 * numbered at most its semidominator, found by skew-binary jump pointers
 * so that a deep chain whose nodes also hang from a shallow object (a
 * linked list of interned names) stays O(m log n): a climb from
 * dominator to dominator would be quadratic there.
 */
#ifndef HS_DOMINATOR_H
#define HS_DOMINATOR_H

#include <stddef.h>
#include <stdint.h>
#include "heap/heap.h"

/* Compute h->idom, h->retained, h->reach (replacing any earlier ones).
 * 0, or -1 with err (HS_ENOMEM) and the three left NULL. */
int dominator_build(struct heap *h, struct hs_error *err);
/* Free h->idom, h->retained and h->reach (NULL after). */
void dominator_release(struct heap *h);

/*
 * The dominator tree as child lists (CSR over object indexes): the
 * children of object i are kids[start[i]] .. kids[start[i + 1] - 1], in
 * index order; those of the super-root (the objects whose idom is
 * HEAP_NONE and that are reachable) are at index nobj.  Unreachable
 * objects are nobody's child.  Needs h->idom (dominator_build).
 */
struct dominator_tree {
	size_t nobj;
	uint32_t *start; /* nobj + 2 offsets */
	uint32_t *kids;	 /* one per reachable object */
};

/* Build t from h.  0, or -1 with err (HS_ENOMEM, or HS_EINTERNAL when
 * the dominators were not computed). */
int dominator_tree_build(const struct heap *h, struct dominator_tree *t, struct hs_error *err);
void dominator_tree_release(struct dominator_tree *t);

/*
 * Retained size per type, as Eclipse MAT's histogram approximates it (its
 * "minimum retained size"): the sum of the retained sizes of the
 * instances with no instance of the same type among their dominators
 * (nested ones are counted once, in their outermost dominating instance).
 * Freeing every instance together frees at least that: an object that
 * only two instances share is in neither's retained size.  per_type[t] for every t <
 * h->ntype (caller's array, overwritten).  Needs h->idom.  0, or -1 with
 * err.
 */
int dominator_type_retained(const struct heap *h, uint64_t *per_type, struct hs_error *err);

#endif
