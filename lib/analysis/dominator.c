/*
 * dominator.c - dominator tree and retained sizes (semi-NCA).
 *
 * The semidominators and dominators are computed on depth-first numbers
 * 0..n-1 (0 the super-root), so that their inner loops touch small
 * dense arrays instead of object indexes spread over the graph.  No
 * recursion and no stack anywhere: the depth-first search keeps each
 * open object's cursor and parent in arrays, path compression reverses
 * the links of its path on the way up and points them at the root on
 * the way down.  No map between objects and numbers is kept while the
 * dominators are computed: the search runs a second time, after, for the
 * numbers' objects.  So the peak is four entries an object and one a
 * reference (dominator.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "base/bigmem.h"
#include "dominator.h"

struct dom_work {
	uint32_t n;	  /* reached nodes, super-root included */
	uint32_t *pre;	  /* object -> number, HEAP_NONE if unreached */
	uint32_t *parent; /* number -> DFS parent; then the idom */
	uint32_t *rstart; /* predecessors' starts; semi of i at i + 1 */
	uint32_t *rsrc;	  /* predecessors other than the DFS parent */
	uint32_t *best;	  /* smallest semi on the linked path; then the depth */
	uint32_t *anc;	  /* linked forest for path compression; then jumps */
	uint32_t *vertex; /* number -> object (vertex[0] unused) */
};

static void work_release(struct dom_work *w)
{
	free(w->pre);
	free(w->parent);
	free(w->rstart);
	free(w->rsrc);
	free(w->best);
	free(w->anc);
	free(w->vertex);
	memset(w, 0, sizeof(*w));
}

static int followed(const struct heap *h, uint32_t e)
{
	return HEAP_EDGE_KIND(h->edge_name[e]) != HE_WEAK && h->edge_dst[e] < h->nobj;
}

/* Where a depth-first search writes what it finds: pre[] and parent[]
 * (the first search), or vertex[] with seen[] a bitmap (the second). */
struct dfs_out {
	uint32_t *pre, *parent, *vertex;
	uint8_t *seen;
};

static int dfs_seen(const struct dfs_out *o, uint32_t v)
{
	return o->pre ? o->pre[v] != HEAP_NONE : (o->seen[v >> 3] >> (v & 7)) & 1;
}

/*
 * Number the objects reachable from the roots in depth-first preorder
 * from 1, in the order of roots[] and of each object's edges, both
 * searches alike.  next[] and up[] (by object) hold each open object's
 * cursor in its edge list and its parent.  The count of numbers, the
 * super-root's included.
 */
static uint32_t dfs(const struct heap *h, const struct dfs_out *o, uint32_t *next, uint32_t *up)
{
	uint32_t n = 1;
	size_t r;

	for (r = 0; r < h->nroot; r++) {
		uint32_t v = h->roots[r].obj, from = HEAP_NONE;

		if (v >= h->nobj || dfs_seen(o, v))
			continue;
		/* each turn enters an object, moves a cursor or closes one */
		while (v != HEAP_NONE) {
			uint32_t e, end = h->edge_start[v + 1];

			if (from != HEAP_NONE || !dfs_seen(o, v)) {
				if (o->pre) {
					o->pre[v] = n;
					o->parent[n] = from == HEAP_NONE ? 0 : o->pre[from];
				} else {
					o->seen[v >> 3] |= (uint8_t)(1u << (v & 7));
					o->vertex[n] = v;
				}
				n++;
				next[v] = h->edge_start[v];
				up[v] = from;
				from = HEAP_NONE;
			}
			e = next[v];
			while (e < end && (!followed(h, e) || dfs_seen(o, h->edge_dst[e])))
				e++;
			if (e >= end) {
				next[v] = end;
				v = up[v];
				continue;
			}
			next[v] = e + 1;
			from = v;
			v = h->edge_dst[e];
		}
	}
	return n;
}

/* Whether u -> d counts as a predecessor of d: not a self-loop, and not
 * from d's DFS parent, which every semi starts from anyway (most objects
 * have no other, so most need no entry at all). */
static int other_pred(const struct dom_work *w, uint32_t u, uint32_t d)
{
	return u != d && w->parent[d] != u;
}

/* One predecessor u of d: counted in rs[d] (src NULL), or put at
 * src[rs[d]++].  -1 when a count would wrap (a file may claim 2^32 roots
 * of one object: the fill would then outrun what was allocated). */
static int put_pred(uint32_t *rs, uint32_t *src, uint32_t d, uint32_t u)
{
	if (src) {
		src[rs[d]++] = u;
		return 0;
	}
	return rs[d]++ == UINT32_MAX ? -1 : 0;
}

/* Every predecessor of every reached node but its DFS parent, through
 * put_pred: the super-root (0) of each root object, then the objects'
 * edges but weak ones (an edge from a reached object always ends at a
 * reached one).  The order within a node's list does not matter (its
 * semi is a minimum). */
static int each_pred(const struct heap *h, const struct dom_work *w, uint32_t *rs, uint32_t *src)
{
	uint32_t i, e, v;
	size_t r;

	for (r = 0; r < h->nroot; r++) {
		uint32_t o = h->roots[r].obj;

		if (o < h->nobj && other_pred(w, 0, w->pre[o]) && put_pred(rs, src, w->pre[o], 0))
			return -1;
	}
	for (v = 0; v < h->nobj; v++) {
		if ((i = w->pre[v]) == HEAP_NONE)
			continue;
		for (e = h->edge_start[v]; e < h->edge_start[v + 1]; e++) {
			uint32_t d;

			if (!followed(h, e))
				continue;
			d = w->pre[h->edge_dst[e]];
			if (other_pred(w, i, d) && put_pred(rs, src, d, i))
				return -1;
		}
	}
	return 0;
}

/* The predecessors as numbers into rstart (n + 1 starts) and rsrc: a
 * count, then a fill with rstart[x] as the cursor of x, shifted back. */
static int predecessors(const struct heap *h, struct dom_work *w, struct hs_error *err)
{
	uint32_t n = w->n, i, *rs, *src;
	size_t total = 0;

	rs = big_calloc((size_t)n + 1, sizeof(*rs));
	if (!rs)
		return hs_error_set(err, HS_ENOMEM, "out of memory for the dominator tree");
	w->rstart = rs;
	if (each_pred(h, w, rs, NULL))
		return hs_error_set(err, HS_ENOMEM, "too many references for the dominator tree");
	for (i = 0; i < n; i++) {
		uint32_t c = rs[i];

		rs[i] = (uint32_t)total;
		total += c;
	}
	if (total > UINT32_MAX)
		return hs_error_set(err, HS_ENOMEM, "too many references for the dominator tree");
	rs[n] = (uint32_t)total;
	src = big_malloc((total ? total : 1) * sizeof(*src));
	if (!src)
		return hs_error_set(err, HS_ENOMEM, "out of memory for the dominator tree");
	w->rsrc = src;
	each_pred(h, w, rs, src);
	for (i = n; i > 0; i--)
		rs[i] = rs[i - 1];
	rs[0] = 0;
	return 0;
}

/*
 * The smallest semi over the linked path from u up to (not including)
 * the root of its linked tree, compressing that path as it goes; u's own
 * when u is not linked.  The way up reverses each link it follows, so
 * that the way down finds the path again without a stack: each node
 * takes the smaller best of the one above it and links to the root.
 */
static uint32_t eval(struct dom_work *w, uint32_t u)
{
	uint32_t *anc = w->anc, *best = w->best, x = u, back = HEAP_NONE, root, k;

	if (anc[u] == HEAP_NONE)
		return u;
	for (k = 0; anc[anc[x]] != HEAP_NONE && k < w->n; k++) {
		uint32_t up = anc[x];

		anc[x] = back;
		back = x;
		x = up;
	}
	root = anc[x];
	while (back != HEAP_NONE) {
		uint32_t y = back;

		back = anc[y];
		if (best[x] < best[y])
			best[y] = best[x];
		anc[y] = root;
		x = y;
	}
	return best[u];
}

/* Semidominators, from the last number back: the smallest of the DFS
 * parent, the predecessors numbered lower and what eval finds above the
 * others.  rstart[i + 1] is read for the last time by the step of i: it
 * keeps semi(i) from then on. */
static void semidominators(struct dom_work *w)
{
	uint32_t n = w->n, i, k;

	for (i = 0; i < n; i++)
		w->anc[i] = HEAP_NONE;
	for (i = n - 1; i > 0; i--) {
		uint32_t s = w->parent[i], from = w->rstart[i], to = w->rstart[i + 1];

		for (k = from; k < to; k++) {
			uint32_t u = w->rsrc[k], c = u < i ? u : eval(w, u);

			if (c < s)
				s = c;
		}
		w->rstart[i + 1] = s;
		w->best[i] = s;
		w->anc[i] = w->parent[i];
	}
}

/*
 * Semi-NCA: the idom of i is the nearest dominator of its DFS parent
 * (itself included) numbered semi(i) or lower, a dominator having a
 * lower number than what it dominates.  parent[] becomes idom[] in
 * increasing order, so that the dominators of a parent are known when
 * its children ask.  The search goes up by skew-binary jump pointers
 * (depth in best[], jump in anc[]): O(log depth) a node, where climbing
 * idom by idom would be quadratic on a deep chain whose nodes' children
 * also hang from a shallow object (a linked list of interned names).
 */
static void nca(struct dom_work *w)
{
	uint32_t n = w->n, i, *idom = w->parent, *depth = w->best, *jump = w->anc;

	depth[0] = 0;
	jump[0] = 0;
	for (i = 1; i < n; i++) {
		uint32_t s = w->rstart[i + 1], d = idom[i], j, k;

		for (k = 0; d > s && k < n; k++)
			d = jump[d] > s ? jump[d] : idom[d];
		idom[i] = d;
		depth[i] = depth[d] + 1;
		j = jump[d];
		jump[i] = depth[d] - depth[j] == depth[j] - depth[jump[j]] ? jump[j] : d;
	}
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void dominator_release(struct heap *h)
{
	free(h->idom);
	free(h->retained);
	free(h->reach);
	h->idom = NULL;
	h->retained = NULL;
	h->reach = NULL;
}

int dominator_build(struct heap *h, struct hs_error *err)
{
	struct dom_work w = { 0 };
	struct dfs_out first = { 0 }, again = { 0 };
	uint32_t *next = NULL, *up = NULL, *idom = NULL, i;
	uint64_t *ret = NULL;
	uint8_t *reach = NULL;
	size_t nobj = h->nobj, slots = nobj + 1;

	dominator_release(h);
	if (nobj >= HEAP_NONE - 1)
		return hs_error_set(err, HS_ENOMEM, "too many objects for the dominator tree");
	/* the first search: each object's number, each number's parent */
	w.pre = big_malloc((nobj ? nobj : 1) * sizeof(*w.pre));
	w.parent = big_malloc(slots * sizeof(*w.parent));
	next = big_malloc((nobj ? nobj : 1) * sizeof(*next));
	up = big_malloc((nobj ? nobj : 1) * sizeof(*up));
	if (!w.pre || !w.parent || !next || !up)
		goto oom;
	memset(w.pre, 0xff, nobj * sizeof(*w.pre));
	w.parent[0] = 0;
	first.pre = w.pre;
	first.parent = w.parent;
	w.n = dfs(h, &first, next, up);
	free(next);
	free(up);
	next = up = NULL;
	if (predecessors(h, &w, err))
		goto fail;
	free(w.pre); /* numbers only from here to the second search */
	w.pre = NULL;
	w.best = big_malloc((size_t)w.n * sizeof(*w.best));
	w.anc = big_malloc((size_t)w.n * sizeof(*w.anc));
	if (!w.best || !w.anc)
		goto oom;
	semidominators(&w);
	free(w.rsrc);
	w.rsrc = NULL;
	nca(&w);
	free(w.rstart);
	free(w.best);
	free(w.anc);
	w.rstart = w.best = w.anc = NULL;

	/* the second search, the same: each number's object, and what is
	 * reachable (the bitmap it keeps of what it has seen) */
	w.vertex = big_malloc(slots * sizeof(*w.vertex));
	reach = big_calloc((nobj + 7) / 8 + 1, 1);
	next = big_malloc((nobj ? nobj : 1) * sizeof(*next));
	up = big_malloc((nobj ? nobj : 1) * sizeof(*up));
	if (!w.vertex || !reach || !next || !up)
		goto oom;
	again.vertex = w.vertex;
	again.seen = reach;
	if (dfs(h, &again, next, up) != w.n) {
		hs_error_set(err, HS_EINTERNAL, "the dominators' two searches differ");
		goto fail;
	}
	free(next);
	free(up);
	next = up = NULL;
	w.vertex[0] = HEAP_NONE;
	idom = big_malloc((nobj ? nobj : 1) * sizeof(*idom));
	if (!idom)
		goto oom;
	memset(idom, 0xff, nobj * sizeof(*idom));
	for (i = 1; i < w.n; i++)
		if (w.parent[i])
			idom[w.vertex[i]] = w.vertex[w.parent[i]];
	free(w.parent);
	w.parent = NULL;
	ret = big_calloc(nobj ? nobj : 1, sizeof(*ret));
	if (!ret)
		goto oom;
	/* children have larger numbers than their dominators: add each
	 * subtree into its dominator from the last number back */
	for (i = w.n - 1; i > 0; i--) {
		uint32_t v = w.vertex[i], d = idom[v];

		/* sizes from a file can be anything: saturate, never wrap */
		ret[v] = sat_add(ret[v], heap_size(h, v));
		if (d != HEAP_NONE)
			ret[d] = sat_add(ret[d], ret[v]);
	}
	work_release(&w);
	h->idom = idom;
	h->retained = ret;
	h->reach = reach;
	return 0;
oom:
	hs_error_set(err, HS_ENOMEM, "out of memory for the dominator tree of %zu objects", nobj);
fail:
	free(next);
	free(up);
	free(idom);
	free(ret);
	free(reach);
	work_release(&w);
	return -1;
}

/* ---- the tree as child lists ---- */

int dominator_tree_build(const struct heap *h, struct dominator_tree *t, struct hs_error *err)
{
	size_t nobj = h->nobj, i, total = 0;
	uint32_t *start, *kids;

	memset(t, 0, sizeof(*t));
	if (!h->idom || !h->reach)
		return hs_error_set(err, HS_EINTERNAL, "the dominator tree was not computed");
	start = big_calloc(nobj + 2, sizeof(*start));
	if (!start)
		return hs_error_set(err, HS_ENOMEM, "out of memory for the dominator tree");
	for (i = 0; i < nobj; i++) {
		uint32_t d = h->idom[i];

		if (!heap_reachable(h, (uint32_t)i))
			continue;
		start[d < nobj ? d : nobj]++;
	}
	for (i = 0; i < nobj + 1; i++) {
		uint32_t c = start[i];

		start[i] = (uint32_t)total;
		total += c;
	}
	start[nobj + 1] = (uint32_t)total;
	kids = big_malloc((total ? total : 1) * sizeof(*kids));
	if (!kids) {
		free(start);
		return hs_error_set(err, HS_ENOMEM, "out of memory for the dominator tree");
	}
	for (i = 0; i < nobj; i++) {
		uint32_t d = h->idom[i];

		if (heap_reachable(h, (uint32_t)i))
			kids[start[d < nobj ? d : nobj]++] = (uint32_t)i;
	}
	for (i = nobj + 1; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	t->nobj = nobj;
	t->start = start;
	t->kids = kids;
	return 0;
}

void dominator_tree_release(struct dominator_tree *t)
{
	free(t->start);
	free(t->kids);
	memset(t, 0, sizeof(*t));
}

/*
 * Depth first over the tree with, per type, how many instances are on
 * the path from the super-root: an instance entered while its type's
 * count is 0 has no dominator of its type and counts whole.
 */
int dominator_type_retained(const struct heap *h, uint64_t *per_type, struct hs_error *err)
{
	struct dominator_tree t;
	uint32_t *onpath = NULL, *stack = NULL, *cursor = NULL, depth = 0;
	size_t nobj = h->nobj, ntype = h->ntype, steps = 0;

	memset(per_type, 0, ntype * sizeof(*per_type));
	if (dominator_tree_build(h, &t, err))
		return -1;
	onpath = big_calloc(ntype ? ntype : 1, sizeof(*onpath));
	stack = big_malloc((nobj + 1) * sizeof(*stack));
	cursor = big_malloc((nobj + 1) * sizeof(*cursor));
	if (!onpath || !stack || !cursor) {
		free(onpath);
		free(stack);
		free(cursor);
		dominator_tree_release(&t);
		return hs_error_set(err, HS_ENOMEM, "out of memory for retained sizes per type");
	}
	/* stack[k]: the node at depth k (stack[0] the super-root, nobj);
	 * cursor[k]: its next child; a node is entered once and left once */
	stack[0] = (uint32_t)nobj;
	cursor[0] = t.start[nobj];
	depth = 1;
	while (depth && steps++ <= 2 * nobj + 2) {
		uint32_t v = stack[depth - 1], c, ty;

		if (cursor[depth - 1] >= t.start[v + 1]) {
			/* leave v */
			if (v < nobj && (ty = h->obj[v].type) < ntype)
				onpath[ty]--;
			depth--;
			continue;
		}
		c = t.kids[cursor[depth - 1]++];
		ty = h->obj[c].type;
		if (ty < ntype) {
			if (!onpath[ty])
				per_type[ty] += h->retained[c];
			onpath[ty]++;
		}
		if (depth > nobj)
			break; /* cannot happen in a tree; stay in bounds */
		stack[depth] = c;
		cursor[depth] = t.start[c];
		depth++;
	}
	free(onpath);
	free(stack);
	free(cursor);
	dominator_tree_release(&t);
	return 0;
}
