/*
 * suspects.h - leak suspects: the few places that keep most of the heap
 * alive, each reported where a developer can act on it.
 *
 * From the dominator tree (dominator.h): every object that retains more
 * than a share of the heap is big; walking down from a big object while
 * one child retains more than everything else its parent keeps alive
 * together leads to the accumulation point - the container that holds
 * the mass, typically one whose many elements make it up.  The walk goes
 * on below the threshold: a namespace whose one attribute holds most of
 * it is reported at that attribute's value, however small a share of
 * the heap that is.  A linked list (the same type and the same reference
 * name twice in a row) is reported at its head.  The other big objects
 * met on the way, and the big children of an accumulation point, are
 * looked at the same way, so a suspect is reported once, at its most
 * specific point, and two big parts of one object are two suspects.  An
 * accumulation point whose mass is mostly made of such nested suspects
 * is not reported itself.
 */
#ifndef HS_SUSPECTS_H
#define HS_SUSPECTS_H

#include <stddef.h>
#include <stdint.h>
#include "heap/heap.h"

/* The share of the heap, in percent, a suspect retains when the user
 * does not say (suspects --threshold, and the browser's suspects view).
 * A whole number: help texts write it as it is spelt here. */
#define SUSPECTS_DEFAULT_PCT 10

struct suspect {
	uint32_t start;		/* the big object the walk down began at */
	uint32_t point;		/* the accumulation point */
	uint64_t retained;	/* retained bytes of point */
	uint32_t children;	/* point's children in the dominator tree */
	uint32_t elem_type;	/* types[] index of the children's dominant type
				 * (by retained bytes), HEAP_NONE if none */
	uint64_t elem_count;	/* children of point of that type */
	uint64_t elem_retained; /* what they retain together */
};

/*
 * The suspects of h: the accumulation points of the objects retaining
 * more than threshold (a fraction of total, in (0, 1]) of total bytes;
 * total 0 means the size of all objects.  A point may retain less than
 * the threshold (its start then retains more).  Needs
 * HEAP_NEED_DOMINATORS prepared.  *out (malloc'ed, caller frees; NULL
 * when none) sorted by the points' retained size, largest first, *n its
 * length.  0, or -1 with err.
 */
int suspects_find(const struct heap *h, double threshold, uint64_t total, struct suspect **out,
		  size_t *n, struct hs_error *err);

/* ---- in words (suspects_words.c) ---- */

/* What naming a suspect needs, built once per graph: the modules and
 * their namespace dicts. */
struct suspect_names {
	uint64_t *v; /* dict << 32 | module, sorted */
	size_t n;
	uint8_t *is_module; /* per type */
};

int suspect_names_build(const struct heap *h, struct suspect_names *m, struct hs_error *err);
void suspect_names_release(struct suspect_names *m);

/* Where a suspect is, in words, from the path a root leads to it by. */
struct suspect_words {
	char module[256];    /* module name, "" if the path has none */
	char expr[512];	     /* "pool._pending" after the module, or after the
			      * root, up to the first reference with no name */
	char text[1024];     /* "module app attribute `pool._pending`" */
	char subject[300];   /* the point itself when it is a module or its
			      * namespace: "the namespace of module app" */
	uint32_t via;	     /* the object text names when the way on to the
			      * point starts with a reference that has no
			      * name (a conservative scan's): the point is
			      * inside it; HEAP_NONE when every reference
			      * after the module (or root) has a name */
	char sentence[1600]; /* "list at module app attribute ... holds ..." */
	double pct;	     /* retained share of total, percent */
	/* the path (query_path): found, path[npath], edges[npath - 1], root */
	int found;
	uint32_t *path, *edges;
	size_t npath;
	uint32_t root;
};

/*
 * Put suspect s of h in words into w (total: the heap's bytes, for the
 * share).  0, or -1 with err (out of memory); release w with
 * suspect_words_release either way.
 */
int suspect_explain(const struct heap *h, const struct suspect_names *names,
		    const struct suspect *s, uint64_t total, struct suspect_words *w,
		    struct hs_error *err);
void suspect_words_release(struct suspect_words *w);

#endif
