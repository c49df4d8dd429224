/*
 * unit-dominator - dominator trees and retained sizes against brute force.
 *
 * Hundreds of small random graphs of different shapes (sparse and dense,
 * DAGs, rings, trees with back edges, several and repeated roots, weak
 * edges, unreachable parts, self-loops, duplicate edges, sizes of 0 and
 * of 4 GiB and more) are built with heap_add_*, and heap_prepare's
 * answers are compared with the definitions computed the slow way:
 * v dominates w iff w is reachable from the roots but no longer once v is
 * taken out; idom(w) is the strict dominator of w that the others
 * dominate; retained(v) is the size of everything that becomes
 * unreachable when v is taken out, v included.  Retained per type is
 * checked against its definition (instances with no dominator of their
 * type) and against the exact size freed by taking all instances out
 * (never less).  A few graphs go through a snapshot file and must give
 * the same answers from the read-only mapping.  Then big shapes: a
 * 10-million-object chain (no recursion may survive it), the same chain
 * reversed in index order and doubly linked, and a wide star.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "analysis/dominator.h"
#include "heap/heap.h"
#include "analysis/query.h"
#include "heap/snapshot.h"
#include "tap.h"

#define MAXN 64
#define MAXE 600
#define MAXR 12
#define NTYPES 3

static unsigned below(unsigned n)
{
	return n ? (unsigned)(tap_rand() % n) : 0;
}

/* A graph as the generator knows it, independent of struct heap. */
struct g {
	unsigned n, ne, nr;
	unsigned src[MAXE], dst[MAXE], weak[MAXE];
	unsigned root[MAXR];
	unsigned type[MAXN];
	uint64_t size[MAXN];
};

enum shape { S_RANDOM, S_DAG, S_RING, S_TREE, S_DENSE, S_NSHAPES };

static const char *shape_name[] = { "random", "dag", "ring", "tree+back", "dense" };

static void add_edge(struct g *g, unsigned s, unsigned d, unsigned weak)
{
	if (g->ne < MAXE) {
		g->src[g->ne] = s;
		g->dst[g->ne] = d;
		g->weak[g->ne] = weak;
		g->ne++;
	}
}

static void generate(struct g *g, enum shape shape)
{
	unsigned i, k, m, weakp = below(4) ? below(30) : 0;

	memset(g, 0, sizeof(*g));
	g->n = 1 + below(MAXN);
	for (i = 0; i < g->n; i++) {
		unsigned r = below(20);

		g->type[i] = below(NTYPES);
		g->size[i] = r == 0 ? 0 : r == 1 ? (5ull << 30) + below(1000) : 16 + below(200);
	}
	switch (shape) {
	case S_RANDOM:
		m = below(3 * g->n);
		for (k = 0; k < m; k++)
			add_edge(g, below(g->n), below(g->n), 0);
		break;
	case S_DAG:
		m = below(3 * g->n);
		for (k = 0; k < m; k++) {
			unsigned a = below(g->n), b = below(g->n);

			if (a != b)
				add_edge(g, a < b ? a : b, a < b ? b : a, 0);
		}
		break;
	case S_RING:
		for (i = 0; i < g->n; i++)
			add_edge(g, i, (i + 1) % g->n, 0);
		m = below(4);
		for (k = 0; k < m; k++)
			add_edge(g, below(g->n), below(g->n), 0);
		break;
	case S_TREE:
		for (i = 1; i < g->n; i++)
			add_edge(g, below(i), i, 0);
		m = below(g->n / 2 + 1);
		for (k = 0; k < m; k++) {
			unsigned a = below(g->n);

			add_edge(g, a, below(a + 1), 0); /* back or self */
		}
		break;
	default:
		for (i = 0; i < g->n; i++)
			for (k = 0; k < g->n; k++)
				if (below(4) == 0)
					add_edge(g, i, k, 0);
		break;
	}
	/* self-loops, duplicates, weak edges */
	if (g->ne && below(2))
		for (k = below(4); k > 0; k--)
			add_edge(g, g->src[below(g->ne)], g->dst[below(g->ne)], 0);
	if (below(3) == 0)
		for (k = below(3); k > 0; k--) {
			unsigned a = below(g->n);

			add_edge(g, a, a, 0);
		}
	if (g->ne && below(3) == 0)
		for (k = below(4); k > 0; k--) {
			unsigned e = below(g->ne);

			add_edge(g, g->src[e], g->dst[e], 0);
		}
	for (k = 0; k < g->ne; k++)
		if (below(100) < weakp)
			g->weak[k] = 1;
	/* roots: none, one, several, repeated; some parts stay unreachable */
	g->nr = below(5) == 0 ? 0 : 1 + below(below(3) ? 2 : MAXR);
	for (k = 0; k < g->nr; k++)
		g->root[k] = below(3) ? below(g->n < 4 ? g->n : g->n / 4 + 1) : below(g->n);
	if (g->nr > 1 && below(4) == 0)
		g->root[g->nr - 1] = g->root[0];
}

static int edge_cmp(const void *a, const void *b, void *arg)
{
	const struct g *g = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (g->src[x] != g->src[y])
		return g->src[x] < g->src[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int build(const struct g *g, struct heap *h, struct hs_error *err)
{
	uint32_t types[NTYPES], names[NTYPES];
	unsigned order[MAXE], i, k;
	static const char *tn[NTYPES] = { "list", "dict", "app.Thread" };

	heap_init(h);
	for (i = 0; i < NTYPES; i++) {
		names[i] = heap_intern(h, tn[i], strlen(tn[i]));
		types[i] = heap_add_type(h, 0x1000 + i, names[i]);
	}
	for (i = 0; i < g->n; i++)
		if (heap_add_obj(h, 0x100000 + 0x40 * i, types[g->type[i]], g->size[i], 1, HO_GC,
				 err) != i)
			return -1;
	for (k = 0; k < g->ne; k++)
		order[k] = k;
	qsort_r(order, g->ne, sizeof(order[0]), edge_cmp, (void *)g);
	for (k = 0; k < g->ne; k++) {
		unsigned e = order[k];

		if (heap_begin_edges(h, g->src[e], err) ||
		    heap_add_edge(h, g->dst[e],
				  HEAP_EDGE(g->weak[e]	 ? HE_WEAK
					    : k % 5 == 0 ? HE_SCANNED
							 : HE_STRONG,
					    HN_INDEX, k),
				  err))
			return -1;
	}
	for (k = 0; k < g->nr; k++)
		if (heap_add_root(h, g->root[k], 1 + k % 9, HEAP_NONE, 0, err))
			return -1;
	return heap_finish(h, err);
}

/* Reachable from the roots without going through skip (MAXN: none). */
static void reach(const struct g *g, unsigned skip, unsigned char *seen)
{
	unsigned queue[MAXN], head = 0, tail = 0, k;

	memset(seen, 0, MAXN);
	for (k = 0; k < g->nr; k++)
		if (g->root[k] != skip && !seen[g->root[k]]) {
			seen[g->root[k]] = 1;
			queue[tail++] = g->root[k];
		}
	while (head < tail) {
		unsigned v = queue[head++];

		for (k = 0; k < g->ne; k++)
			if (g->src[k] == v && !g->weak[k] && g->dst[k] != skip &&
			    !seen[g->dst[k]]) {
				seen[g->dst[k]] = 1;
				queue[tail++] = g->dst[k];
			}
	}
}

/* The slow answers: dom[v][w] = v strictly dominates w. */
struct truth {
	unsigned char live[MAXN];
	unsigned char dom[MAXN][MAXN];
	uint32_t idom[MAXN];
	uint64_t retained[MAXN];
	uint64_t type_top[NTYPES];   /* the definition */
	uint64_t type_exact[NTYPES]; /* freed by taking all instances out */
};

static void brute(const struct g *g, struct truth *t)
{
	unsigned char without[MAXN];
	unsigned v, w, d, ty;

	memset(t, 0, sizeof(*t));
	reach(g, MAXN, t->live);
	for (v = 0; v < g->n; v++) {
		if (!t->live[v])
			continue;
		reach(g, v, without);
		t->retained[v] = g->size[v];
		for (w = 0; w < g->n; w++)
			if (w != v && t->live[w] && !without[w]) {
				t->dom[v][w] = 1;
				t->retained[v] += g->size[w];
			}
	}
	for (w = 0; w < g->n; w++) {
		unsigned nd = 0;

		t->idom[w] = HEAP_NONE;
		for (v = 0; v < g->n; v++)
			nd += t->dom[v][w];
		/* the strict dominator that has all the others as dominators */
		for (d = 0; d < g->n; d++) {
			unsigned nn = 0;

			if (!t->dom[d][w])
				continue;
			for (v = 0; v < g->n; v++)
				nn += t->dom[v][d];
			if (nn == nd - 1)
				t->idom[w] = d;
		}
	}
	for (ty = 0; ty < NTYPES; ty++) {
		unsigned char live2[MAXN];
		struct g g2 = *g;
		unsigned k, nr = 0;

		for (w = 0; w < g->n; w++) {
			int nested = 0;

			if (!t->live[w] || g->type[w] != ty)
				continue;
			for (v = 0; v < g->n; v++)
				if (t->dom[v][w] && g->type[v] == ty)
					nested = 1;
			if (!nested)
				t->type_top[ty] += t->retained[w];
		}
		/* take every instance out: roots of the type go, edges into
		 * instances go */
		for (k = 0; k < g->nr; k++)
			if (g->type[g->root[k]] != ty)
				g2.root[nr++] = g->root[k];
		g2.nr = nr;
		for (k = 0; k < g2.ne; k++)
			if (g->type[g2.dst[k]] == ty)
				g2.weak[k] = 1;
		reach(&g2, MAXN, live2);
		for (w = 0; w < g->n; w++)
			if (t->live[w] && !live2[w])
				t->type_exact[ty] += g->size[w];
	}
}

/* Compare h's dominators with t; 0 if all agree, else the first
 * disagreement is reported as a diagnostic. */
static int compare(const struct g *g, const struct heap *h, const struct truth *t, const char *what)
{
	unsigned w;

	for (w = 0; w < g->n; w++) {
		if (heap_reachable(h, w) != t->live[w]) {
			tap_diag("%s: object %u reachable %d, brute force %d", what, w,
				 heap_reachable(h, w), t->live[w]);
			return -1;
		}
		if (h->idom[w] != t->idom[w]) {
			tap_diag("%s: idom(%u) = %d, brute force %d", what, w, (int)h->idom[w],
				 (int)t->idom[w]);
			return -1;
		}
		if (h->retained[w] != t->retained[w]) {
			tap_diag("%s: retained(%u) = %llu, brute force %llu", what, w,
				 (unsigned long long)h->retained[w],
				 (unsigned long long)t->retained[w]);
			return -1;
		}
	}
	return 0;
}

static void random_graphs(void)
{
	struct hs_error err = HS_ERROR_INIT;
	static struct g g;
	static struct truth t;
	int shape, c, cases = 200, bad_dom[S_NSHAPES] = { 0 }, bad_type = 0, bad_hist = 0;
	int bad_build = 0, total = 0, with_weak = 0, with_unreach = 0, with_multi = 0;

	for (shape = 0; shape < S_NSHAPES; shape++)
		for (c = 0; c < cases; c++) {
			struct heap h;
			uint64_t per_type[NTYPES];
			unsigned w, ty;
			char what[64];

			generate(&g, (enum shape)shape);
			brute(&g, &t);
			total++;
			for (w = 0; w < g.ne; w++)
				if (g.weak[w]) {
					with_weak++;
					break;
				}
			for (w = 0; w < g.n; w++)
				if (!t.live[w]) {
					with_unreach++;
					break;
				}
			with_multi += g.nr > 1;
			snprintf(what, sizeof(what), "%s graph %d (%u objects, %u edges, %u roots)",
				 shape_name[shape], c, g.n, g.ne, g.nr);
			if (build(&g, &h, &err) || heap_prepare(&h, HEAP_NEED_DOMINATORS, &err)) {
				tap_diag("%s: %s", what, err.msg);
				bad_build++;
				heap_release(&h);
				hs_error_clear(&err);
				continue;
			}
			if (compare(&g, &h, &t, what))
				bad_dom[shape]++;
			if (dominator_type_retained(&h, per_type, &err)) {
				bad_type++;
			} else {
				for (ty = 0; ty < NTYPES; ty++)
					if (per_type[ty] != t.type_top[ty] ||
					    per_type[ty] > t.type_exact[ty]) {
						tap_diag("%s: type %u retained %llu, definition "
							 "%llu, "
							 "freed together %llu",
							 what, ty, (unsigned long long)per_type[ty],
							 (unsigned long long)t.type_top[ty],
							 (unsigned long long)t.type_exact[ty]);
						bad_type++;
						break;
					}
			}
			/* the histogram reports the same per type */
			{
				struct type_stat *st;
				size_t n, k;
				uint64_t cnt, size;

				if (query_histogram(&h, HIST_BY_RETAINED, &st, &n, &cnt, &size,
						    &err)) {
					bad_hist++;
				} else {
					for (k = 0; k < n; k++)
						if (st[k].retained != t.type_top[st[k].type - 0] ||
						    (k && st[k].retained > st[k - 1].retained))
							bad_hist++;
					free(st);
				}
			}
			heap_release(&h);
		}
	tap_ok(!bad_build, "%d random graphs built and their dominators computed", total);
	for (shape = 0; shape < S_NSHAPES; shape++)
		tap_ok(!bad_dom[shape],
		       "%s graphs: reachability, idom and retained equal brute "
		       "force (%d of %d differ)",
		       shape_name[shape], bad_dom[shape], cases);
	tap_ok(!bad_type,
	       "retained per type: instances without a dominator of their type, "
	       "never more than freeing them all frees (%d differ)",
	       bad_type);
	tap_ok(!bad_hist, "query_histogram --by retained: the same figures, sorted (%d wrong)",
	       bad_hist);
	tap_ok(with_weak > 50 && with_unreach > 100 && with_multi > 100,
	       "the cases cover weak edges (%d), unreachable parts (%d), several roots (%d)",
	       with_weak, with_unreach, with_multi);
}

static void from_snapshot(void)
{
	struct hs_error err = HS_ERROR_INIT;
	static struct g g;
	static struct truth t;
	char dir[] = "/tmp/unit-dominator-XXXXXX", path[64];
	int c, bad = 0, ok_hist = 1;

	if (!mkdtemp(dir)) {
		tap_ok(0, "a temporary directory for snapshots");
		return;
	}
	snprintf(path, sizeof(path), "%s/g.hsnap", dir);
	for (c = 0; c < 20; c++) {
		struct heap h, l;

		do
			generate(&g, (enum shape)(c % S_NSHAPES));
		while (g.nr == 0);
		brute(&g, &t);
		heap_init(&l);
		if (build(&g, &h, &err) || snapshot_write(&h, path, SNAP_FORCE, &err) ||
		    snapshot_load(&l, path, &err) || heap_prepare(&l, HEAP_NEED_DOMINATORS, &err)) {
			tap_diag("snapshot %d: %s", c, err.msg);
			bad++;
		} else if (compare(&g, &l, &t, "loaded snapshot")) {
			bad++;
		} else {
			struct type_stat *st;
			size_t n;
			uint64_t cnt, size;

			if (query_histogram(&l, HIST_BY_RETAINED, &st, &n, &cnt, &size, &err))
				ok_hist = 0;
			else
				free(st);
		}
		heap_release(&h);
		heap_release(&l);
		hs_error_clear(&err);
	}
	unlink(path);
	rmdir(dir);
	tap_ok(!bad && ok_hist, "20 graphs loaded from snapshot files (read-only mappings) give "
				"the same dominators");
}

/* Objects 0..n-1, each of size sz, with the edges shape wants. */
enum big { CHAIN, CHAIN_REVERSED, DOUBLY, STAR };

static int build_big(struct heap *h, enum big shape, uint32_t n, uint32_t sz, struct hs_error *err)
{
	uint32_t ty, i;

	heap_init(h);
	ty = heap_add_type(h, 0x1000, heap_intern(h, "Node", 4));
	for (i = 0; i < n; i++)
		if (heap_add_obj(h, 0x100000 + 0x40ull * i, ty, sz, 1, HO_GC, err) != i)
			return -1;
	for (i = 0; i < n; i++) {
		if (heap_begin_edges(h, i, err))
			return -1;
		switch (shape) {
		case CHAIN:
			if (i + 1 < n && heap_add_edge(h, i + 1, HEAP_EDGE(0, HN_INDEX, 0), err))
				return -1;
			break;
		case CHAIN_REVERSED:
			if (i && heap_add_edge(h, i - 1, HEAP_EDGE(0, HN_INDEX, 0), err))
				return -1;
			break;
		case DOUBLY:
			if (i && heap_add_edge(h, i - 1, HEAP_EDGE(0, HN_INDEX, 1), err))
				return -1;
			if (i + 1 < n && heap_add_edge(h, i + 1, HEAP_EDGE(0, HN_INDEX, 0), err))
				return -1;
			break;
		case STAR:
			if (!i) {
				uint32_t k;

				for (k = 1; k < n; k++)
					if (heap_add_edge(h, k, HEAP_EDGE(0, HN_INDEX, 0), err))
						return -1;
			}
			break;
		}
	}
	if (heap_add_root(h, shape == CHAIN_REVERSED ? n - 1 : 0, HR_MODULES, HEAP_NONE, 0, err))
		return -1;
	return heap_finish(h, err);
}

/*
 * A linked list whose nodes each hold an interned name, a root of its
 * own (3.12+ immortal): every name's depth-first parent is deep in the
 * chain but its semidominator is the super-root - the shape on which
 * semi-NCA's climb up the tree is quadratic (minutes at this size).
 */
static void interned_list(void)
{
	struct hs_error err = HS_ERROR_INIT;
	const uint32_t k = (uint32_t)tap_scale(300000, 100);
	struct timespec t0, t1;
	struct heap h;
	uint32_t ty, i;
	size_t bad = 0;

	heap_init(&h);
	ty = heap_add_type(&h, 0x1000, heap_intern(&h, "Node", 4));
	for (i = 0; i < 2 * k; i++)
		if (heap_add_obj(&h, 0x100000 + 0x40ull * i, ty, 24, 1, HO_GC, &err) != i)
			goto fail;
	for (i = 0; i < k; i++) {
		if (heap_begin_edges(&h, i, &err) ||
		    (i + 1 < k && heap_add_edge(&h, i + 1, HEAP_EDGE(0, HN_ATTR, 0), &err)) ||
		    heap_add_edge(&h, k + i, HEAP_EDGE(0, HN_ATTR, 1), &err))
			goto fail;
	}
	if (heap_add_root(&h, 0, HR_MODULES, HEAP_NONE, 0, &err))
		goto fail;
	for (i = 0; i < k; i++)
		if (heap_add_root(&h, k + i, HR_IMMORTAL, HEAP_NONE, 0, &err))
			goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (heap_finish(&h, &err) || heap_prepare(&h, HEAP_NEED_DOMINATORS, &err))
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < 2 * k; i++) {
		uint32_t want_idom = i < k ? (i ? i - 1 : HEAP_NONE) : HEAP_NONE;
		uint64_t want_ret = i < k ? 24ull * (k - i) : 24;

		if (h.idom[i] != want_idom || h.retained[i] != want_ret) {
			if (!bad)
				tap_diag("object %u: idom %d retained %llu, want %d %llu", i,
					 (int)h.idom[i], (unsigned long long)h.retained[i],
					 (int)want_idom, (unsigned long long)want_ret);
			bad++;
		}
	}
	tap_diag("interned list of %u nodes: dominators in %.3f s", k,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_ok(!bad,
	       "a %u-node list whose names are roots of their own: every idom and "
	       "retained size right (the names retained by nobody else)",
	       k);
	heap_release(&h);
	return;
fail:
	tap_ok(0, "interned list: %s", err.msg);
	heap_release(&h);
}

static void big_shapes(void)
{
	static const struct {
		enum big shape;
		uint32_t n;
		const char *name;
	} cases[] = {
		{ CHAIN, 10000000, "a chain of objects" },
		{ CHAIN_REVERSED, 3000000, "a chain of objects in reverse index order" },
		{ DOUBLY, 3000000, "a doubly linked list of objects" },
		{ STAR, 3000000, "a star of leaves" },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct hs_error err = HS_ERROR_INIT;
		struct heap h;
		uint32_t n = (uint32_t)tap_scale(cases[c].n, 1000), i,
			 head = cases[c].shape == CHAIN_REVERSED ? n - 1 : 0;
		uint64_t want = 24ull * n;
		size_t bad = 0;
		char name[96];

		snprintf(name, sizeof(name), "%s (%u)", cases[c].name, n);
		if (build_big(&h, cases[c].shape, n, 24, &err) ||
		    heap_prepare(&h, HEAP_NEED_DOMINATORS, &err)) {
			tap_ok(0, "%s: %s", name, err.msg);
			heap_release(&h);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint32_t want_idom, pos = cases[c].shape == CHAIN_REVERSED ? n - 1 - i : i;
			uint64_t want_ret;

			if (cases[c].shape == STAR) {
				want_idom = i ? 0 : HEAP_NONE;
				want_ret = i ? 24 : want;
			} else {
				/* pos: distance from the head */
				want_idom = !pos			       ? HEAP_NONE
					    : cases[c].shape == CHAIN_REVERSED ? i + 1
									       : i - 1;
				want_ret = 24ull * (n - pos);
			}
			if (h.idom[i] != want_idom || h.retained[i] != want_ret ||
			    !heap_reachable(&h, i)) {
				if (!bad)
					tap_diag("object %u: idom %d retained %llu, want %d %llu",
						 i, (int)h.idom[i],
						 (unsigned long long)h.retained[i], (int)want_idom,
						 (unsigned long long)want_ret);
				bad++;
			}
		}
		tap_ok(!bad && h.retained[head] == want,
		       "%s: every idom and retained size right, the head retains all %llu bytes",
		       name, (unsigned long long)want);
		heap_release(&h);
	}
}

/* What heap_release must leave, and an empty graph. */
static void edges_of_use(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct dominator_tree t;
	uint64_t per[1];
	int ok;

	heap_init(&h);
	ok = !heap_finish(&h, &err) && !heap_prepare(&h, HEAP_NEED_DOMINATORS, &err) && h.idom &&
	     h.retained && !heap_reachable(&h, 0);
	tap_ok(ok, "an empty graph: dominators computed, nothing reachable");
	heap_release(&h);
	ok = !h.idom && !h.retained && !h.reach;
	tap_ok(ok, "heap_release frees and clears them");

	/* 0 -> 1 -> 2, 3 unreachable, 2 -> 3 weak */
	heap_init(&h);
	{
		uint32_t ty = heap_add_type(&h, 1, heap_intern(&h, "x", 1)), i;

		for (i = 0; i < 4; i++)
			heap_add_obj(&h, 0x1000 * (i + 1), ty, 10 * (i + 1), 1, 0, &err);
		heap_begin_edges(&h, 0, &err);
		heap_add_edge(&h, 1, HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
		heap_begin_edges(&h, 1, &err);
		heap_add_edge(&h, 2, HEAP_EDGE(HE_SCANNED, HN_NONE, 0), &err);
		heap_begin_edges(&h, 2, &err);
		heap_add_edge(&h, 3, HEAP_EDGE(HE_WEAK, HN_FIELD, 0), &err);
		heap_add_root(&h, 0, HR_OUTSIDE, HEAP_NONE, 0, &err);
		heap_finish(&h, &err);
	}
	{
		struct type_stat *st = NULL;
		size_t n;
		uint64_t cnt, size;

		ok = query_histogram(&h, HIST_BY_RETAINED, &st, &n, &cnt, &size, &err) == -1 &&
		     err.code == HS_EINTERNAL;
		free(st);
		hs_error_clear(&err);
		tap_ok(ok, "query_histogram by retained before the dominators: an error");
		ok = dominator_tree_build(&h, &t, &err) == -1;
		hs_error_clear(&err);
		tap_ok(ok, "dominator_tree_build before the dominators: an error");
	}
	ok = !heap_prepare(&h, HEAP_NEED_DOMINATORS, &err) && h.retained[0] == 60 &&
	     h.retained[1] == 50 && h.retained[2] == 30 && h.retained[3] == 0 &&
	     h.idom[0] == HEAP_NONE && h.idom[1] == 0 && h.idom[2] == 1 && h.idom[3] == HEAP_NONE &&
	     !heap_reachable(&h, 3) && heap_reachable(&h, 2);
	tap_ok(ok, "scanned edges are followed, weak ones not: the weakly held object is "
		   "unreachable, retains 0, has no dominator");
	ok = !dominator_tree_build(&h, &t, &err) && t.start[5] - t.start[4] == 1 &&
	     t.kids[t.start[4]] == 0 && t.start[1] - t.start[0] == 1 && t.kids[t.start[0]] == 1 &&
	     t.start[5] == 3 && dominator_type_retained(&h, per, &err) == 0 && per[0] == 60;
	tap_ok(ok, "the tree as child lists: the super-root's child, one child each, "
		   "unreachable left out; per type 60");
	dominator_tree_release(&t);
	heap_release(&h);
}

int main(void)
{
	tap_seed(0x2545f4914f6cdd1dull);
	edges_of_use();
	random_graphs();
	from_snapshot();
	big_shapes();
	interned_list();
	return tap_done();
}
