/*
 * unit-garbage - unreachable objects, cycles and islands (lib/analysis/garbage.c)
 * on graphs built in memory, against brute force.
 *
 * Random small graphs (strong, scanned and weak edges, self-loops, a few
 * roots): the unreachable set must equal reachability computed by a
 * transitive closure; the strongly connected components must equal the
 * mutual-reachability classes (within the set), for the garbage and for
 * random subsets; islands must equal the weakly connected classes of the
 * garbage; cycles must be the components of more than one object or with
 * a self-loop.  Then finalizers found through a class's __dict__ and
 * __mro__ (also a base class without instances), gc.garbage roots, the
 * order of groups of equal size (lowest object first), and a ring of 10 million unreachable objects
 * (one component found by a depth-first search 10 million deep: no
 * recursion).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/garbage.h"
#include "heap/heap.h"
#include "tap.h"

#define MAXN 48

struct small {
	int n;
	int edge[MAXN][MAXN]; /* 0 none, 1 strong, 2 scanned, 3 weak */
	int root[MAXN];
};

static void random_graph(struct small *g)
{
	int i, j, density = 1 + (int)(tap_rand() % 8);

	memset(g, 0, sizeof(*g));
	g->n = 1 + (int)(tap_rand() % MAXN);
	for (i = 0; i < g->n; i++) {
		g->root[i] = tap_rand() % 10 == 0;
		for (j = 0; j < g->n; j++)
			if ((int)(tap_rand() % (unsigned)(g->n * 2)) < density)
				g->edge[i][j] = 1 + (int)(tap_rand() % 3);
	}
}

/* Build the heap of g: object i at 0x1000 + 16 i, type "T" or "U", of
 * 16 + i bytes (16 bytes each with same_size). */
static int build_sized(struct heap *h, const struct small *g, int same_size)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t t[2];
	int i, j;
	static const int kinds[] = { 0, HE_STRONG, HE_SCANNED, HE_WEAK };

	heap_init(h);
	t[0] = heap_add_type(h, 0x10, heap_intern(h, "T", 1));
	t[1] = heap_add_type(h, 0x20, heap_intern(h, "U", 1));
	for (i = 0; i < g->n; i++)
		if (heap_add_obj(h, 0x1000 + 16 * (uint64_t)i, t[i & 1],
				 16 + (same_size ? 0 : (uint64_t)i), 1, i % 3 ? HO_GC : 0,
				 &err) == HEAP_NONE)
			return -1;
	for (i = 0; i < g->n; i++) {
		if (heap_begin_edges(h, (uint32_t)i, &err))
			return -1;
		for (j = 0; j < g->n; j++)
			if (g->edge[i][j] &&
			    heap_add_edge(h, (uint32_t)j,
					  HEAP_EDGE(kinds[g->edge[i][j]], HN_INDEX, j), &err))
				return -1;
	}
	for (i = 0; i < g->n; i++)
		if (g->root[i] && heap_add_root(h, (uint32_t)i, HR_MODULES, 0, 0, &err))
			return -1;
	return heap_finish(h, &err);
}

static int build(struct heap *h, const struct small *g)
{
	return build_sized(h, g, 0);
}

/* r[i][j]: j reachable from i (i itself included) over holding edges
 * through nodes with in[] set. */
static void closure(const struct small *g, const int *in, int r[MAXN][MAXN])
{
	int i, j, k;

	for (i = 0; i < g->n; i++)
		for (j = 0; j < g->n; j++)
			r[i][j] = i == j || (in[i] && in[j] && g->edge[i][j] && g->edge[i][j] != 3);
	for (k = 0; k < g->n; k++)
		for (i = 0; i < g->n; i++)
			for (j = 0; j < g->n; j++)
				if (r[i][k] && r[k][j] && in[k])
					r[i][j] = 1;
}

/* 1 if comp[] partitions the nodes with in[] like mutual reachability. */
static int same_sccs(const struct small *g, const int *in, const uint32_t *comp)
{
	static int r[MAXN][MAXN];
	int i, j;

	closure(g, in, r);
	for (i = 0; i < g->n; i++) {
		if (!in[i] != (comp[i] == HEAP_NONE))
			return 0;
		for (j = 0; j < g->n; j++)
			if (in[i] && in[j] && (comp[i] == comp[j]) != (r[i][j] && r[j][i]))
				return 0;
	}
	return 1;
}

static int check_random(int round)
{
	static struct small g;
	static int all[MAXN], r[MAXN][MAXN], unr[MAXN], w[MAXN][MAXN];
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct garbage gb;
	uint8_t reached[MAXN], in8[MAXN];
	uint32_t comp[MAXN], island_of[MAXN], cycle_of[MAXN];
	size_t ncomp, k, m;
	int i, j, ok = 1, sub[MAXN];

	random_graph(&g);
	if (build(&h, &g)) {
		tap_ok(0, "round %d: graph built", round);
		return 0;
	}
	for (i = 0; i < g.n; i++)
		all[i] = 1;
	closure(&g, all, r);
	for (i = 0; i < g.n; i++) {
		unr[i] = 1;
		for (j = 0; j < g.n; j++)
			if (g.root[j] && r[j][i])
				unr[i] = 0;
	}
	if (garbage_reached(&h, reached, &err))
		ok = 0;
	for (i = 0; ok && i < g.n; i++)
		if (reached[i] == unr[i])
			ok = 0;
	/* components of the garbage and of a random subset */
	for (i = 0; ok && i < g.n; i++)
		in8[i] = (uint8_t)unr[i];
	if (ok && (garbage_scc(&h, in8, comp, &ncomp, &err) || !same_sccs(&g, unr, comp)))
		ok = 0;
	for (i = 0; ok && i < g.n; i++) {
		sub[i] = tap_rand() % 3 != 0;
		in8[i] = (uint8_t)sub[i];
	}
	if (ok && (garbage_scc(&h, in8, comp, &ncomp, &err) || !same_sccs(&g, sub, comp)))
		ok = 0;

	if (ok && garbage_find(&h, &gb, &err))
		ok = 0;
	if (!ok) {
		heap_release(&h);
		return 0;
	}
	for (i = 0, m = 0; i < g.n; i++)
		m += (size_t)unr[i];
	ok = gb.nobj == m;
	for (k = 0; ok && k < gb.nobj; k++)
		ok = unr[gb.objs[k]];
	/* islands: weak connectivity among the garbage */
	for (i = 0; i < g.n; i++) {
		island_of[i] = cycle_of[i] = HEAP_NONE;
		for (j = 0; j < g.n; j++)
			w[i][j] = i == j || (unr[i] && unr[j] &&
					     ((g.edge[i][j] && g.edge[i][j] != 3) ||
					      (g.edge[j][i] && g.edge[j][i] != 3)));
	}
	for (k = 0; k < (size_t)g.n; k++)
		for (i = 0; i < g.n; i++)
			for (j = 0; j < g.n; j++)
				if (w[i][k] && w[k][j])
					w[i][j] = 1;
	for (k = 0, m = 0; k < gb.nislands; k++) {
		const struct garbage_group *isl = &gb.islands[k];

		m += isl->n;
		for (j = 0; j < (int)isl->n; j++)
			island_of[gb.island_members[isl->first + (uint32_t)j]] = (uint32_t)k;
		if (k && (isl->size > gb.islands[k - 1].size))
			ok = 0; /* biggest first */
	}
	ok = ok && m == gb.nobj;
	for (i = 0; ok && i < g.n; i++)
		for (j = 0; ok && j < g.n; j++)
			if (unr[i] && unr[j] && (island_of[i] == island_of[j]) != w[i][j])
				ok = 0;
	/* cycles: mutual reachability classes of two or more, or self-loops */
	closure(&g, unr, r);
	for (k = 0; k < gb.ncycles; k++)
		for (j = 0; j < (int)gb.cycles[k].n; j++)
			cycle_of[gb.cycle_members[gb.cycles[k].first + (uint32_t)j]] = (uint32_t)k;
	for (i = 0; ok && i < g.n; i++) {
		int cyc = 0;

		for (j = 0; unr[i] && j < g.n; j++)
			if (unr[j] && r[i][j] && r[j][i] &&
			    (j != i || (g.edge[i][i] && g.edge[i][i] != 3)))
				cyc = 1;
		if (cyc != (cycle_of[i] != HEAP_NONE))
			ok = 0;
		for (j = 0; ok && cyc && j < g.n; j++)
			if (cycle_of[j] != HEAP_NONE &&
			    (cycle_of[i] == cycle_of[j]) != (r[i][j] && r[j][i]))
				ok = 0;
	}
	garbage_release(&gb);
	heap_release(&h);
	return ok;
}

/* A class with __del__, a subclass of it (found through __mro__), a
 * plain class; instances of each in unreachable cycles; a gc.garbage
 * root holding one of them. */
static void check_finalizers(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct garbage gb;
	uint32_t tt, tdict, tbase, tsub, tplain, o[16], n_dict, n_mro, n_del, n_item;
	size_t k;
	int ok = 1, fin_cycles = 0;

	heap_init(&h);
	tt = heap_add_type(&h, 0x100, heap_intern(&h, "type", 4));
	tdict = heap_add_type(&h, 0x200, heap_intern(&h, "dict", 4));
	tbase = heap_add_type(&h, 0x300, heap_intern(&h, "app.Base", 8));
	tsub = heap_add_type(&h, 0x400, heap_intern(&h, "app.Sub", 7));
	tplain = heap_add_type(&h, 0x500, heap_intern(&h, "app.Plain", 9));
	n_dict = heap_name(&h, "__dict__", 8);
	n_mro = heap_name(&h, "__mro__", 7);
	n_del = heap_name(&h, "'__del__'", 9);
	n_item = 0;
	/* 0 Base 1 its dict 2 Sub 3 its mro tuple 4 Plain; 5-6 Sub cycle,
	 * 7-8 Plain cycle, 9 Base self-loop, 10 the gc.garbage list, 11 a
	 * Plain in it, 12 a str key */
	o[0] = heap_add_obj(&h, 0x300, tt, 900, 2, HO_GC, &err);
	o[1] = heap_add_obj(&h, 0x1000, tdict, 100, 1, HO_GC, &err);
	o[2] = heap_add_obj(&h, 0x400, tt, 900, 2, HO_GC, &err);
	o[3] = heap_add_obj(&h, 0x1100, heap_add_type(&h, 0x600, heap_intern(&h, "tuple", 5)), 56,
			    1, HO_GC, &err);
	o[4] = heap_add_obj(&h, 0x500, tt, 900, 2, HO_GC, &err);
	for (k = 5; k <= 11; k++)
		o[k] = heap_add_obj(&h, 0x2000 + 16 * k,
				    k == 9    ? tbase
				    : k <= 6  ? tsub
				    : k == 10 ? tdict
					      : tplain,
				    48, 1, HO_GC, &err);
	o[12] = heap_add_obj(&h, 0x3000, heap_add_type(&h, 0x700, heap_intern(&h, "str", 3)), 56, 2,
			     0, &err);
	h.types[tbase].obj = o[0];
	h.types[tsub].obj = o[2];
	h.types[tplain].obj = o[4];
	heap_begin_edges(&h, o[0], &err);
	heap_add_edge(&h, o[1], HEAP_EDGE(HE_STRONG, HN_FIELD, n_dict), &err);
	heap_begin_edges(&h, o[1], &err);
	heap_add_edge(&h, o[12], HEAP_EDGE(HE_STRONG, HN_KEY, n_del), &err);
	heap_begin_edges(&h, o[2], &err);
	heap_add_edge(&h, o[3], HEAP_EDGE(HE_STRONG, HN_FIELD, n_mro), &err);
	heap_begin_edges(&h, o[3], &err);
	heap_add_edge(&h, o[2], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_add_edge(&h, o[0], HEAP_EDGE(HE_STRONG, HN_INDEX, 1), &err);
	heap_begin_edges(&h, o[5], &err);
	heap_add_edge(&h, o[6], HEAP_EDGE(HE_STRONG, HN_INDEX, n_item), &err);
	heap_begin_edges(&h, o[6], &err);
	heap_add_edge(&h, o[5], HEAP_EDGE(HE_STRONG, HN_INDEX, n_item), &err);
	heap_begin_edges(&h, o[7], &err);
	heap_add_edge(&h, o[8], HEAP_EDGE(HE_STRONG, HN_INDEX, n_item), &err);
	heap_begin_edges(&h, o[8], &err);
	heap_add_edge(&h, o[7], HEAP_EDGE(HE_STRONG, HN_INDEX, n_item), &err);
	heap_begin_edges(&h, o[9], &err);
	heap_add_edge(&h, o[9], HEAP_EDGE(HE_STRONG, HN_INDEX, n_item), &err);
	heap_begin_edges(&h, o[10], &err);
	heap_add_edge(&h, o[11], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	for (k = 0; k <= 4; k++)
		heap_add_root(&h, o[k], HR_STATIC_TYPE, 0, 0, &err);
	heap_add_root(&h, o[10], HR_GC_GARBAGE, heap_intern(&h, "gc.garbage", 10), 0, &err);
	if (err.code != HS_OK || heap_finish(&h, &err) || garbage_find(&h, &gb, &err)) {
		tap_ok(0, "finalizer graph: %s", err.msg);
		heap_release(&h);
		return;
	}
	ok = gb.nobj == 5 && gb.ncycles == 3 && gb.nislands == 3 && gb.nfinal == 3;
	for (k = 0; k < gb.ncycles; k++) {
		uint32_t first = gb.cycle_members[gb.cycles[k].first];
		int want = h.obj[first].type != tplain;

		fin_cycles += gb.cycles[k].nfinal != 0;
		if ((gb.cycles[k].nfinal != 0) != want)
			ok = 0;
	}
	tap_ok(ok && fin_cycles == 2,
	       "__del__ in a class's __dict__ marks its instances and, through __mro__, its "
	       "subclass's; a plain class's cycle has none (%zu objects, %zu cycles, %llu "
	       "with finalizers)",
	       gb.nobj, gb.ncycles, (unsigned long long)gb.nfinal);
	tap_ok(gb.ngc_lists == 1 && gb.gc_lists[0] == o[10] &&
		       !strcmp(heap_root_kind_name(HR_GC_GARBAGE), "gc.garbage"),
	       "a gc.garbage root is listed, and what it holds is no garbage");
	garbage_release(&gb);
	heap_release(&h);
}

/*
 * Groups of equal size and count come in the order of their lowest
 * object, not in the order they were found: Tarjan completes the cycle
 * {1,2} before {0,3} (0 leads into it), and the union-find gives the
 * island {4,7} the root 7, above {5,6}'s 5.
 */
static void check_tie_order(void)
{
	static struct small g;
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct garbage gb;
	uint32_t cyc[3] = { HEAP_NONE, HEAP_NONE, HEAP_NONE };
	uint32_t isl[3] = { HEAP_NONE, HEAP_NONE, HEAP_NONE };
	size_t k;

	memset(&g, 0, sizeof(g));
	g.n = 8;
	g.edge[0][1] = g.edge[0][3] = g.edge[3][0] = 1; /* cycle {0,3}, into {1,2} */
	g.edge[1][2] = g.edge[2][1] = 1;		/* cycle {1,2} */
	g.edge[7][4] = 1;				/* island {4,7}, no cycle */
	g.edge[5][6] = g.edge[6][5] = 1;		/* cycle and island {5,6} */
	if (build_sized(&h, &g, 1) || garbage_find(&h, &gb, &err)) {
		tap_ok(0, "tie graph: %s", err.msg);
		heap_release(&h);
		return;
	}
	for (k = 0; k < 3 && k < gb.ncycles; k++)
		cyc[k] = gb.cycle_members[gb.cycles[k].first];
	for (k = 0; k < 3 && k < gb.nislands; k++)
		isl[k] = gb.island_members[gb.islands[k].first];
	tap_ok(gb.ncycles == 3 && cyc[0] == 0 && cyc[1] == 1 && cyc[2] == 5,
	       "cycles of one size and count: lowest object first (got %u %u %u)", cyc[0], cyc[1],
	       cyc[2]);
	tap_ok(gb.nislands == 3 && isl[0] == 0 && isl[1] == 4 && isl[2] == 5,
	       "islands of one size and count: lowest object first (got %u %u %u)", isl[0], isl[1],
	       isl[2]);
	garbage_release(&gb);
	heap_release(&h);
}

/*
 * A base class with __del__ of which no instance exists (so no types[]
 * entry: only its class object, reached through its subclass's __mro__
 * tuple), and an instance of the subclass in a cycle; beside it a class
 * whose __mro__ holds a base without __del__, also without instances.
 */
static void check_inherited_del(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct garbage gb;
	uint32_t tt, tdict, ttuple, tstr, tsub, tother, o[16], n_dict, n_mro, n_del, n_init;
	uint8_t fin[16];
	size_t k;
	int ok;

	heap_init(&h);
	tt = heap_add_type(&h, 0x100, heap_intern(&h, "type", 4));
	tdict = heap_add_type(&h, 0x200, heap_intern(&h, "dict", 4));
	ttuple = heap_add_type(&h, 0x300, heap_intern(&h, "tuple", 5));
	tstr = heap_add_type(&h, 0x400, heap_intern(&h, "str", 3));
	tsub = heap_add_type(&h, 0x500, heap_intern(&h, "app.Sub", 7));
	tother = heap_add_type(&h, 0x600, heap_intern(&h, "app.Other", 9));
	n_dict = heap_name(&h, "__dict__", 8);
	n_mro = heap_name(&h, "__mro__", 7);
	n_del = heap_name(&h, "'__del__'", 9);
	n_init = heap_name(&h, "'__init__'", 10);
	/* 0 Base (class, no instance) 1 its dict 2 '__del__'
	 * 3 Sub 4 its dict 5 '__init__' 6 its mro (Sub, Base)
	 * 7 Mid (class, no instance) 8 its dict 9 Other 10 its mro (Other, Mid)
	 * 11-12 Sub cycle, 13-14 Other cycle */
	o[0] = heap_add_obj(&h, 0x700, tt, 900, 2, HO_GC, &err);
	o[1] = heap_add_obj(&h, 0x1000, tdict, 100, 1, HO_GC, &err);
	o[2] = heap_add_obj(&h, 0x1100, tstr, 56, 2, 0, &err);
	o[3] = heap_add_obj(&h, 0x500, tt, 900, 2, HO_GC, &err);
	o[4] = heap_add_obj(&h, 0x1200, tdict, 100, 1, HO_GC, &err);
	o[5] = heap_add_obj(&h, 0x1300, tstr, 57, 2, 0, &err);
	o[6] = heap_add_obj(&h, 0x1400, ttuple, 56, 1, HO_GC, &err);
	o[7] = heap_add_obj(&h, 0x800, tt, 900, 2, HO_GC, &err);
	o[8] = heap_add_obj(&h, 0x1500, tdict, 100, 1, HO_GC, &err);
	o[9] = heap_add_obj(&h, 0x600, tt, 900, 2, HO_GC, &err);
	o[10] = heap_add_obj(&h, 0x1600, ttuple, 56, 1, HO_GC, &err);
	for (k = 11; k <= 14; k++)
		o[k] = heap_add_obj(&h, 0x2000 + 16 * k, k <= 12 ? tsub : tother, 48, 1, HO_GC,
				    &err);
	h.types[tsub].obj = o[3];
	h.types[tother].obj = o[9];
	heap_begin_edges(&h, o[0], &err);
	heap_add_edge(&h, o[1], HEAP_EDGE(HE_STRONG, HN_FIELD, n_dict), &err);
	heap_begin_edges(&h, o[1], &err);
	heap_add_edge(&h, o[2], HEAP_EDGE(HE_STRONG, HN_KEY, n_del), &err);
	heap_begin_edges(&h, o[3], &err);
	heap_add_edge(&h, o[4], HEAP_EDGE(HE_STRONG, HN_FIELD, n_dict), &err);
	heap_add_edge(&h, o[6], HEAP_EDGE(HE_STRONG, HN_FIELD, n_mro), &err);
	heap_begin_edges(&h, o[4], &err);
	heap_add_edge(&h, o[5], HEAP_EDGE(HE_STRONG, HN_KEY, n_init), &err);
	heap_begin_edges(&h, o[6], &err);
	heap_add_edge(&h, o[3], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_add_edge(&h, o[0], HEAP_EDGE(HE_STRONG, HN_INDEX, 1), &err);
	heap_begin_edges(&h, o[7], &err);
	heap_add_edge(&h, o[8], HEAP_EDGE(HE_STRONG, HN_FIELD, n_dict), &err);
	heap_begin_edges(&h, o[9], &err);
	heap_add_edge(&h, o[10], HEAP_EDGE(HE_STRONG, HN_FIELD, n_mro), &err);
	heap_begin_edges(&h, o[10], &err);
	heap_add_edge(&h, o[9], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_add_edge(&h, o[7], HEAP_EDGE(HE_STRONG, HN_INDEX, 1), &err);
	heap_begin_edges(&h, o[11], &err);
	heap_add_edge(&h, o[12], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_begin_edges(&h, o[12], &err);
	heap_add_edge(&h, o[11], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_begin_edges(&h, o[13], &err);
	heap_add_edge(&h, o[14], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	heap_begin_edges(&h, o[14], &err);
	heap_add_edge(&h, o[13], HEAP_EDGE(HE_STRONG, HN_INDEX, 0), &err);
	for (k = 0; k <= 10; k++)
		if (h.obj[o[k]].type == tt)
			heap_add_root(&h, o[k], HR_STATIC_TYPE, 0, 0, &err);
	if (err.code != HS_OK || heap_finish(&h, &err) || h.ntype > sizeof(fin) ||
	    garbage_finalizer_types(&h, fin, &err) || garbage_find(&h, &gb, &err)) {
		tap_ok(0, "inherited __del__ graph: %s", err.msg);
		heap_release(&h);
		return;
	}
	tap_ok(fin[tsub] && !fin[tother] && heap_type_of_obj(&h, o[0]) == HEAP_NONE,
	       "__del__ of a base class without instances (no types[] entry) is found through "
	       "the subclass's __mro__ tuple; a base without __del__ adds none");
	ok = gb.nobj == 4 && gb.ncycles == 2 && gb.nfinal == 2;
	for (k = 0; ok && k < gb.ncycles; k++) {
		uint32_t first = gb.cycle_members[gb.cycles[k].first];

		ok = (gb.cycles[k].nfinal == 2) == (h.obj[first].type == tsub) &&
		     (gb.cycles[k].nfinal == 0) == (h.obj[first].type == tother);
	}
	tap_ok(ok,
	       "the subclass instances' cycle has finalizers, the other none (%zu cycles, "
	       "%llu with finalizers)",
	       gb.ncycles, (unsigned long long)gb.nfinal);
	garbage_release(&gb);
	heap_release(&h);
}

/* A ring of n unreachable objects, and one reachable object that points
 * into it weakly. */
static void check_ring(size_t n)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	struct garbage gb;
	uint32_t t;
	size_t i;
	int ok = 1;

	heap_init(&h);
	t = heap_add_type(&h, 0x10, heap_intern(&h, "Node", 4));
	for (i = 0; i <= n && ok; i++)
		ok = heap_add_obj(&h, 0x100000 + 32 * (uint64_t)i, t, 32, 1, HO_GC, &err) !=
		     HEAP_NONE;
	for (i = 0; i < n && ok; i++)
		ok = !heap_begin_edges(&h, (uint32_t)i, &err) &&
		     !heap_add_edge(&h, (uint32_t)((i + 1) % n), HEAP_EDGE(HE_STRONG, HN_INDEX, 0),
				    &err);
	ok = ok && !heap_begin_edges(&h, (uint32_t)n, &err) &&
	     !heap_add_edge(&h, 0, HEAP_EDGE(HE_WEAK, HN_FIELD, 0), &err) &&
	     !heap_add_root(&h, (uint32_t)n, HR_MODULES, 0, 0, &err) && !heap_finish(&h, &err) &&
	     !garbage_find(&h, &gb, &err);
	if (!ok) {
		tap_ok(0, "a ring of %zu objects: %s", n, err.msg);
		heap_release(&h);
		return;
	}
	tap_ok(gb.nobj == n && gb.ngc == n && gb.ncycles == 1 && gb.cycles[0].n == n &&
		       gb.nislands == 1 && gb.islands[0].n == n && gb.islands[0].ncycles == 1 &&
		       gb.size == 32 * (uint64_t)n,
	       "a ring of %zu unreachable objects, held weakly from a root: one cycle, one "
	       "island, no recursion",
	       n);
	garbage_release(&gb);
	heap_release(&h);
}

int main(void)
{
	int round, good = 0, rounds = (int)tap_scale(3000, 10);

	tap_seed(0x243f6a8885a308d3ull);
	for (round = 0; round < rounds; round++)
		good += check_random(round);
	tap_ok(good == rounds,
	       "%d random graphs: unreachable set, components, islands and cycles equal brute "
	       "force (%d agree)",
	       rounds, good);
	check_finalizers();
	check_inherited_del();
	check_tie_order();
	check_ring(tap_scale(10 * 1000 * 1000, 1000));
	return tap_done();
}
