/*
 * garbage.c - unreachable objects, their cycles and islands (garbage.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "garbage.h"

int garbage_reached(const struct heap *h, uint8_t *reached, struct hs_error *err)
{
	uint32_t *queue = malloc((h->nobj ? h->nobj : 1) * sizeof(*queue));
	size_t head = 0, tail = 0, i;

	if (!queue)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	memset(reached, 0, h->nobj);
	for (i = 0; i < h->nroot; i++) {
		uint32_t o = h->roots[i].obj;

		if (o < h->nobj && !reached[o]) {
			reached[o] = 1;
			queue[tail++] = o;
		}
	}
	/* each object enters the queue once: tail never passes nobj */
	while (head < tail) {
		uint32_t o = queue[head++], e;

		for (e = h->edge_start[o]; e < h->edge_start[o + 1]; e++) {
			uint32_t d = h->edge_dst[e];

			if (d < h->nobj && !reached[d] && garbage_edge_holds(h->edge_name[e])) {
				reached[d] = 1;
				queue[tail++] = d;
			}
		}
	}
	free(queue);
	return 0;
}

/*
 * Tarjan's algorithm with an explicit call stack.  A node visited but not
 * yet given a component is on Tarjan's stack (the nodes taken off it are
 * exactly those whose component is complete), so comp[] doubles as the
 * on-stack mark.
 */
int garbage_scc(const struct heap *h, const uint8_t *in, uint32_t *comp, size_t *ncomp,
		struct hs_error *err)
{
	size_t n = h->nobj ? h->nobj : 1, sp = 0, cp = 0, i;
	uint32_t *idx = malloc(n * sizeof(*idx)), *low = malloc(n * sizeof(*low));
	uint32_t *stk = malloc(n * sizeof(*stk)), *cs_v = malloc(n * sizeof(*cs_v));
	uint32_t *cs_e = malloc(n * sizeof(*cs_e));
	uint32_t counter = 0, nc = 0;

	*ncomp = 0;
	if (!idx || !low || !stk || !cs_v || !cs_e) {
		free(idx);
		free(low);
		free(stk);
		free(cs_v);
		free(cs_e);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	for (i = 0; i < h->nobj; i++) {
		idx[i] = HEAP_NONE;
		comp[i] = HEAP_NONE;
	}
	for (i = 0; i < h->nobj; i++) {
		if (!in[i] || idx[i] != HEAP_NONE)
			continue;
		idx[i] = low[i] = counter++;
		stk[sp++] = (uint32_t)i;
		cs_v[cp] = (uint32_t)i;
		cs_e[cp++] = h->edge_start[i];
		/* every node is pushed on each stack once: sp, cp <= nobj */
		while (cp) {
			uint32_t v = cs_v[cp - 1], e = cs_e[cp - 1];

			if (e < h->edge_start[v + 1]) {
				uint32_t w = h->edge_dst[e];

				cs_e[cp - 1] = e + 1;
				if (w >= h->nobj || !in[w] || !garbage_edge_holds(h->edge_name[e]))
					continue;
				if (idx[w] == HEAP_NONE) {
					idx[w] = low[w] = counter++;
					stk[sp++] = w;
					cs_v[cp] = w;
					cs_e[cp++] = h->edge_start[w];
				} else if (comp[w] == HEAP_NONE && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			cp--;
			if (low[v] == idx[v]) {
				uint32_t x;

				do {
					x = stk[--sp];
					comp[x] = nc;
				} while (x != v && sp);
				nc++;
			}
			if (cp && low[v] < low[cs_v[cp - 1]])
				low[cs_v[cp - 1]] = low[v];
		}
	}
	*ncomp = nc;
	free(idx);
	free(low);
	free(stk);
	free(cs_v);
	free(cs_e);
	return 0;
}

/* The names[] index whose text is s, or HEAP_NONE. */
static uint32_t name_index(const struct heap *h, const char *s)
{
	size_t i, len = strlen(s), l;

	for (i = 0; i < h->nname; i++) {
		const char *t = heap_str(h, h->names[i], &l);

		if (l == len && !memcmp(t, s, len))
			return (uint32_t)i;
	}
	return HEAP_NONE;
}

static int edge_named(uint32_t e, unsigned kind, uint32_t name)
{
	return name != HEAP_NONE && HEAP_NAME_KIND(e) == kind && HEAP_PAYLOAD(e) == name;
}

/* The object the first edge of i with that name and kind leads to. */
static uint32_t edge_to(const struct heap *h, uint32_t i, unsigned kind, uint32_t name)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
		if (edge_named(h->edge_name[e], kind, name) && h->edge_dst[e] < h->nobj)
			return h->edge_dst[e];
	return HEAP_NONE;
}

/* 1 if the type object t has '__del__' in its own __dict__. */
static int own_del(const struct heap *h, uint32_t t, uint32_t n_dict, uint32_t n_del)
{
	uint32_t d = edge_to(h, t, HN_FIELD, n_dict), e;

	if (d == HEAP_NONE)
		return 0;
	for (e = h->edge_start[d]; e < h->edge_start[d + 1]; e++)
		if (edge_named(h->edge_name[e], HN_KEY, n_del) ||
		    edge_named(h->edge_name[e], HN_VALUE, n_del))
			return 1;
	return 0;
}

/*
 * 1 if the class object c has '__del__' in its own __dict__, remembered
 * in memo[c] (0 not yet known, 1 no, 2 yes): a base class is on the
 * __mro__ of many classes, and its __dict__ may be big.
 */
static int own_del_memo(const struct heap *h, uint8_t *memo, uint32_t c, uint32_t n_dict,
			uint32_t n_del)
{
	if (!memo[c])
		memo[c] = own_del(h, c, n_dict, n_del) ? 2 : 1;
	return memo[c] == 2;
}

int garbage_finalizer_types(const struct heap *h, uint8_t *fin, struct hs_error *err)
{
	uint32_t n_dict = name_index(h, "__dict__"), n_mro = name_index(h, "__mro__");
	uint32_t n_del = name_index(h, "'__del__'");
	uint8_t *memo;
	size_t t;

	memset(fin, 0, h->ntype);
	if (n_del == HEAP_NONE || n_dict == HEAP_NONE)
		return 0; /* no __del__ key anywhere */
	memo = calloc(h->nobj ? h->nobj : 1, 1);
	if (!memo)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	for (t = 0; t < h->ntype; t++) {
		uint32_t o = h->types[t].obj, mro, e;

		if (o >= h->nobj)
			continue;
		fin[t] = (uint8_t)own_del_memo(h, memo, o, n_dict, n_del);
		/*
		 * Inherited: every class of the __mro__ tuple is looked at
		 * through its own object, not through types[], which only has
		 * the classes the walk met an instance of (a base class with
		 * __del__ often has none).
		 */
		mro = n_mro != HEAP_NONE ? edge_to(h, o, HN_FIELD, n_mro) : HEAP_NONE;
		if (mro == HEAP_NONE)
			continue;
		for (e = h->edge_start[mro]; e < h->edge_start[mro + 1] && !fin[t]; e++) {
			uint32_t c = h->edge_dst[e];

			if (c < h->nobj && HEAP_NAME_KIND(h->edge_name[e]) == HN_INDEX)
				fin[t] = (uint8_t)own_del_memo(h, memo, c, n_dict, n_del);
		}
	}
	free(memo);
	return 0;
}

int garbage_has_finalizer(const struct heap *h, const uint8_t *fin, uint32_t i)
{
	const char *tn;
	uint32_t e;

	if (h->obj[i].type < h->ntype && fin[h->obj[i].type])
		return 1;
	tn = heap_type_name(h, i);
	if (strcmp(tn, "generator") && strcmp(tn, "coroutine") && strcmp(tn, "async_generator"))
		return 0;
	/* a frame not yet exhausted: gi_frame (3.8-3.10), or the frame's
	 * own fields inside the generator (3.11+) */
	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e];
		const char *t;

		if (HEAP_NAME_KIND(n) != HN_FIELD || HEAP_PAYLOAD(n) >= h->nname)
			continue;
		t = heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL);
		if (!strcmp(t, "gi_frame") || !strcmp(t, "f_code"))
			return 1;
	}
	return 0;
}

/* ---- grouping ---- */

/* Biggest first, then most objects, then lowest object index: members
 * are in index order within a group, so members[first] is its lowest. */
static int cmp_group(const void *a, const void *b, void *arg)
{
	const struct garbage_group *x = a, *y = b;
	const uint32_t *members = arg;
	uint32_t lx = members[x->first], ly = members[y->first];

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return lx < ly ? -1 : lx > ly;
}

/* Union-find over compact ids, path halving and union by size. */
static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(uint32_t *parent, uint32_t *rank, uint32_t a, uint32_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a == b)
		return;
	if (rank[a] < rank[b]) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	parent[b] = a;
	rank[a] += rank[b];
}

/*
 * Sort the objects of g->objs into groups by key[] (ngroups keys, members
 * in index order), keeping only the groups keep[] says (NULL: all).
 * Fills *groups (sorted biggest first) and *members.
 */
static int make_groups(const struct heap *h, struct garbage *g, const uint32_t *key, size_t nkeys,
		       const uint8_t *keep, const uint8_t *fin, struct garbage_group **groups,
		       size_t *ngroups, uint32_t **members)
{
	uint32_t *start = calloc(nkeys + 1, sizeof(*start)), *fill;
	uint32_t *gi = malloc((nkeys ? nkeys : 1) * sizeof(*gi));
	struct garbage_group *gr;
	uint32_t *mem;
	size_t k, i, ng = 0, nm = 0;

	if (!start || !gi)
		goto oom_start;
	for (i = 0; i < g->nobj; i++)
		if (!keep || keep[key[i]])
			start[key[i] + 1]++;
	for (k = 0; k < nkeys; k++) {
		gi[k] = HEAP_NONE;
		if (start[k + 1])
			gi[k] = (uint32_t)ng++;
		nm += start[k + 1];
		start[k + 1] += start[k];
	}
	gr = calloc(ng ? ng : 1, sizeof(*gr));
	mem = malloc((nm ? nm : 1) * sizeof(*mem));
	if (!gr || !mem) {
		free(gr);
		free(mem);
		goto oom_start;
	}
	for (k = 0; k < nkeys; k++)
		if (gi[k] != HEAP_NONE) {
			gr[gi[k]].first = start[k];
			gr[gi[k]].ncycles = 1;
		}
	fill = start; /* start[k] becomes the cursor of key k */
	for (i = 0; i < g->nobj; i++) {
		uint32_t o = g->objs[i];
		struct garbage_group *p;

		if (keep && !keep[key[i]])
			continue;
		p = &gr[gi[key[i]]];
		mem[fill[key[i]]++] = o;
		p->n++;
		p->size += heap_size(h, o);
		p->ngc += (h->flags[o] & HO_GC) != 0;
		p->nfinal += (uint32_t)garbage_has_finalizer(h, fin, o);
	}
	qsort_r(gr, ng, sizeof(*gr), cmp_group, mem);
	free(start);
	free(gi);
	*groups = gr;
	*ngroups = ng;
	*members = mem;
	return 0;
oom_start:
	free(start);
	free(gi);
	return -1;
}

/* 1 if object o refers to itself over an edge that holds. */
static int self_loop(const struct heap *h, uint32_t o)
{
	uint32_t e;

	for (e = h->edge_start[o]; e < h->edge_start[o + 1]; e++)
		if (h->edge_dst[e] == o && garbage_edge_holds(h->edge_name[e]))
			return 1;
	return 0;
}

int garbage_find(const struct heap *h, struct garbage *g, struct hs_error *err)
{
	size_t n = h->nobj ? h->nobj : 1, ncomp = 0, i, k;
	uint8_t *in = malloc(n), *fin = calloc(h->ntype ? h->ntype : 1, 1), *cyc = NULL;
	uint32_t *comp = malloc(n * sizeof(*comp)), *key = NULL, *gid = NULL, *parent = NULL;
	uint32_t *rank = NULL, *csize = NULL;
	int ret = -1;

	memset(g, 0, sizeof(*g));
	if (!in || !fin || !comp)
		goto oom;
	if (garbage_reached(h, in, err) || garbage_finalizer_types(h, fin, err))
		goto out;
	for (i = 0; i < h->nobj; i++) {
		in[i] = !in[i];
		g->nobj += in[i];
	}
	g->objs = malloc((g->nobj ? g->nobj : 1) * sizeof(*g->objs));
	key = malloc((g->nobj ? g->nobj : 1) * sizeof(*key));
	gid = malloc(n * sizeof(*gid));
	if (!g->objs || !key || !gid)
		goto oom;
	for (i = 0, k = 0; i < h->nobj; i++) {
		gid[i] = HEAP_NONE;
		if (!in[i])
			continue;
		gid[i] = (uint32_t)k;
		g->objs[k++] = (uint32_t)i;
		g->size += heap_size(h, (uint32_t)i);
		g->ngc += (h->flags[i] & HO_GC) != 0;
		g->nfinal += (uint64_t)garbage_has_finalizer(h, fin, (uint32_t)i);
	}

	/* cycles: components of more than one object, or one that refers
	 * to itself */
	if (garbage_scc(h, in, comp, &ncomp, err))
		goto out;
	cyc = calloc(ncomp ? ncomp : 1, 1);
	csize = calloc(ncomp ? ncomp : 1, sizeof(*csize));
	if (!cyc || !csize)
		goto oom;
	for (k = 0; k < g->nobj; k++) {
		key[k] = comp[g->objs[k]];
		csize[key[k]]++;
	}
	for (k = 0; k < g->nobj; k++)
		if (csize[key[k]] > 1 || self_loop(h, g->objs[k]))
			cyc[key[k]] = 1;
	if (make_groups(h, g, key, ncomp, cyc, fin, &g->cycles, &g->ncycles, &g->cycle_members))
		goto oom;

	/* islands: union-find over the edges between garbage objects */
	parent = malloc((g->nobj ? g->nobj : 1) * sizeof(*parent));
	rank = malloc((g->nobj ? g->nobj : 1) * sizeof(*rank));
	if (!parent || !rank)
		goto oom;
	for (k = 0; k < g->nobj; k++) {
		parent[k] = (uint32_t)k;
		rank[k] = 1;
	}
	for (k = 0; k < g->nobj; k++) {
		uint32_t o = g->objs[k], e;

		for (e = h->edge_start[o]; e < h->edge_start[o + 1]; e++) {
			uint32_t d = h->edge_dst[e];

			if (d < h->nobj && gid[d] != HEAP_NONE &&
			    garbage_edge_holds(h->edge_name[e]))
				uf_union(parent, rank, (uint32_t)k, gid[d]);
		}
	}
	for (k = 0; k < g->nobj; k++)
		key[k] = uf_find(parent, (uint32_t)k);
	if (make_groups(h, g, key, g->nobj, NULL, fin, &g->islands, &g->nislands,
			&g->island_members))
		goto oom;
	/* the cycles of each island: islands are found by a member */
	for (k = 0; k < g->nislands; k++)
		g->islands[k].ncycles = 0;
	for (k = 0; k < g->nobj; k++)
		parent[k] = HEAP_NONE; /* now: island of a root id */
	for (k = 0; k < g->nislands; k++)
		parent[key[gid[g->island_members[g->islands[k].first]]]] = (uint32_t)k;
	for (k = 0; k < g->ncycles; k++) {
		uint32_t o = g->cycle_members[g->cycles[k].first], isl = parent[key[gid[o]]];

		if (isl != HEAP_NONE)
			g->islands[isl].ncycles++;
	}

	for (i = 0; i < h->nroot; i++)
		if (h->roots[i].kind == HR_GC_GARBAGE && h->roots[i].obj < h->nobj)
			g->ngc_lists++;
	g->gc_lists = malloc((g->ngc_lists ? g->ngc_lists : 1) * sizeof(*g->gc_lists));
	if (!g->gc_lists)
		goto oom;
	for (i = 0, k = 0; i < h->nroot; i++)
		if (h->roots[i].kind == HR_GC_GARBAGE && h->roots[i].obj < h->nobj)
			g->gc_lists[k++] = h->roots[i].obj;
	ret = 0;
	goto out;
oom:
	hs_error_set(err, HS_ENOMEM, "out of memory");
out:
	free(in);
	free(fin);
	free(comp);
	free(key);
	free(gid);
	free(parent);
	free(rank);
	free(cyc);
	free(csize);
	if (ret)
		garbage_release(g);
	return ret;
}

void garbage_release(struct garbage *g)
{
	free(g->objs);
	free(g->cycles);
	free(g->islands);
	free(g->cycle_members);
	free(g->island_members);
	free(g->gc_lists);
	memset(g, 0, sizeof(*g));
}
