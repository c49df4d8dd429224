/*
 * diff.c - per-type growth and new objects between two graphs (diff.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "diff.h"

/* Type names of both graphs, interned to small ids. */
struct name_table {
	const char **s;
	size_t *len;
	uint32_t *slots; /* id + 1 */
	size_t mask, n;
};

static size_t name_hash(const char *s, size_t len)
{
	uint64_t x = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		x = (x ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return heap_hash64(x);
}

/* The id of s, added if new.  The table holds room for every name. */
static uint32_t name_id(struct name_table *t, const char *s, size_t len)
{
	size_t k;

	for (k = name_hash(s, len) & t->mask; t->slots[k]; k = (k + 1) & t->mask) {
		uint32_t id = t->slots[k] - 1;

		if (t->len[id] == len && !memcmp(t->s[id], s, len))
			return id;
	}
	t->s[t->n] = s;
	t->len[t->n] = len;
	t->slots[k] = (uint32_t)++t->n;
	return (uint32_t)t->n - 1;
}

static void type_ids(const struct heap *h, struct name_table *t, uint32_t *ids)
{
	size_t i, len;

	for (i = 0; i < h->ntype; i++) {
		const char *s = heap_str(h, h->types[i].name, &len);

		ids[i] = name_id(t, s, len);
	}
}

struct sort_ctx {
	const struct diff_type *types;
	enum diff_order by;
};

static int cmp_growth(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct diff_type *x = &c->types[*(const uint32_t *)a];
	const struct diff_type *y = &c->types[*(const uint32_t *)b];
	int64_t k1x = c->by == DIFF_BY_SIZE ? x->dsize : x->dcount;
	int64_t k1y = c->by == DIFF_BY_SIZE ? y->dsize : y->dcount;
	int64_t k2x = c->by == DIFF_BY_SIZE ? x->dcount : x->dsize;
	int64_t k2y = c->by == DIFF_BY_SIZE ? y->dcount : y->dsize;

	if (k1x != k1y)
		return k1x < k1y ? 1 : -1;
	if (k2x != k2y)
		return k2x < k2y ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_new(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct diff_type *x = &c->types[*(const uint32_t *)a];
	const struct diff_type *y = &c->types[*(const uint32_t *)b];
	uint64_t k1x = c->by == DIFF_BY_SIZE ? x->nnew_size : x->nnew;
	uint64_t k1y = c->by == DIFF_BY_SIZE ? y->nnew_size : y->nnew;
	uint64_t k2x = c->by == DIFF_BY_SIZE ? x->nnew : x->nnew_size;
	uint64_t k2y = c->by == DIFF_BY_SIZE ? y->nnew : y->nnew_size;

	if (k1x != k1y)
		return k1x < k1y ? 1 : -1;
	if (k2x != k2y)
		return k2x < k2y ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Count and size per name id. */
static void tally(const struct heap *h, const uint32_t *ids, struct diff_type *acc, int second)
{
	size_t i;

	for (i = 0; i < h->nobj; i++) {
		uint32_t t = h->obj[i].type;
		struct diff_type *d;
		uint64_t sz;

		if (t >= h->ntype)
			continue;
		d = &acc[ids[t]];
		sz = heap_size(h, (uint32_t)i);
		if (second) {
			d->new_count++;
			d->new_size += sz;
			d->new_type = t;
		} else {
			d->old_count++;
			d->old_size += sz;
			d->old_type = t;
		}
	}
}

/* Mark new objects (is_new[i]) and count them per name id. */
static int64_t growth(const struct diff_container *c)
{
	return (int64_t)c->new_retained - (int64_t)c->old_retained;
}

/* Most retained growth first, then most items more, then by index. */
static int cmp_container(const void *pa, const void *pb)
{
	const struct diff_container *a = pa, *b = pb;
	int64_t ga = growth(a), gb = growth(b);
	int64_t ia = (int64_t)a->new_items - (int64_t)a->old_items;
	int64_t ib = (int64_t)b->new_items - (int64_t)b->old_items;

	if (ga != gb)
		return ga > gb ? -1 : 1;
	if (ia != ib)
		return ia > ib ? -1 : 1;
	return a->new_obj < b->new_obj ? -1 : a->new_obj > b->new_obj;
}

/*
 * Object j of old and i of new are one object: keep it if it grew.  The
 * list is kept at most 2 * DIFF_MAX_CONTAINERS long, cut back to the
 * best DIFF_MAX_CONTAINERS when full.
 */
static void container(const struct heap *old, const struct heap *new, uint32_t j, uint32_t i,
		      struct diff_container *c, size_t *n)
{
	struct diff_container x = {
		.old_obj = j,
		.new_obj = i,
		.old_size = heap_size(old, j),
		.new_size = heap_size(new, i),
	};

	x.new_items = heap_items(new, i);
	if (!x.new_items)
		return;
	x.old_items = heap_items(old, j);
	if (x.new_items <= x.old_items && x.new_size <= x.old_size)
		return;
	x.old_retained = old->retained ? old->retained[j] : 0;
	x.new_retained = new->retained ? new->retained[i] : 0;
	if (*n == 2 * DIFF_MAX_CONTAINERS) {
		qsort(c, *n, sizeof(*c), cmp_container);
		*n = DIFF_MAX_CONTAINERS;
	}
	c[(*n)++] = x;
}

/* 1 if a dominates b in h (a is on b's chain of immediate dominators,
 * within MAX_DOM_STEPS: a deeper one is not looked for). */
#define MAX_DOM_STEPS 4096
static int dominates(const struct heap *h, uint32_t a, uint32_t b)
{
	size_t steps;

	for (steps = 0; b != HEAP_NONE && b < h->nobj && steps < MAX_DOM_STEPS; steps++) {
		b = h->idom[b];
		if (b == a)
			return 1;
	}
	return 0;
}

/*
 * A container that grew mostly because one it keeps alive grew (a
 * module's namespace holding the dict that grew) says nothing more: drop
 * each whose retained growth is at most twice that of one it dominates.
 */
static void drop_holders(const struct heap *h, struct diff_container *c, size_t *n)
{
	size_t i, j, k = 0;

	if (!h->idom)
		return;
	for (i = 0; i < *n; i++) {
		int held = 0;

		for (j = 0; j < *n && !held; j++)
			held = j != i && growth(&c[j]) > 0 && growth(&c[i]) <= 2 * growth(&c[j]) &&
			       dominates(h, c[i].new_obj, c[j].new_obj);
		if (!held)
			c[k++] = c[i];
	}
	*n = k;
}

#define LOOKUP_AHEAD 8 /* lookups */

static void find_new(const struct heap *old, const struct heap *new, const uint32_t *oid,
		     const uint32_t *nid, struct diff_type *acc, uint8_t *is_new,
		     struct heap_diff *d)
{
	size_t i;

	for (i = 0; i < new->nobj; i++) {
		uint32_t t = new->obj[i].type, j;

		/* two misses a lookup, the slot then the object: each fetched
		 * LOOKUP_AHEAD objects before its turn */
		if (i + 2 * LOOKUP_AHEAD < new->nobj)
			heap_lookup_ahead(old, new->obj[i + 2 * LOOKUP_AHEAD].addr, 0);
		if (i + LOOKUP_AHEAD < new->nobj)
			heap_lookup_ahead(old, new->obj[i + LOOKUP_AHEAD].addr, 1);
		is_new[i] = 0;
		if (t >= new->ntype)
			continue;
		j = heap_lookup(old, new->obj[i].addr);
		if (j != HEAP_NONE && old->obj[j].type < old->ntype &&
		    oid[old->obj[j].type] == nid[t]) {
			if (d->containers)
				container(old, new, j, (uint32_t)i, d->containers, &d->ncontainers);
			continue;
		}
		is_new[i] = 1;
		acc[nid[t]].nnew++;
		acc[nid[t]].nnew_size += heap_size(new, (uint32_t)i);
	}
	if (d->containers) {
		qsort(d->containers, d->ncontainers, sizeof(*d->containers), cmp_container);
		drop_holders(new, d->containers, &d->ncontainers);
		if (d->ncontainers > DIFF_MAX_CONTAINERS)
			d->ncontainers = DIFF_MAX_CONTAINERS;
	}
}

int diff_heaps(struct heap *old, const struct heap *new, enum diff_order by, unsigned flags,
	       struct heap_diff *d, struct hs_error *err)
{
	size_t nt = old->ntype + new->ntype, nslots = 16, i, k;
	struct name_table names = { 0 };
	uint32_t *oid = NULL, *nid = NULL, *order = NULL, *pos = NULL;
	struct diff_type *acc = NULL;
	uint8_t *is_new = NULL;
	struct sort_ctx sc = { .by = by };
	int ret = -1;

	memset(d, 0, sizeof(*d));
	while (nslots < 2 * nt)
		nslots *= 2;
	names.s = malloc((nt ? nt : 1) * sizeof(*names.s));
	names.len = malloc((nt ? nt : 1) * sizeof(*names.len));
	names.slots = calloc(nslots, sizeof(*names.slots));
	names.mask = nslots - 1;
	oid = malloc((old->ntype ? old->ntype : 1) * sizeof(*oid));
	nid = malloc((new->ntype ? new->ntype : 1) * sizeof(*nid));
	acc = calloc(nt ? nt : 1, sizeof(*acc));
	if (!names.s || !names.len || !names.slots || !oid || !nid || !acc)
		goto oom;
	type_ids(old, &names, oid);
	type_ids(new, &names, nid);
	for (k = 0; k < names.n; k++) {
		acc[k].name = names.s[k];
		acc[k].old_type = acc[k].new_type = HEAP_NONE;
	}
	tally(old, oid, acc, 0);
	tally(new, nid, acc, 1);
	if (flags & (DIFF_NEW_OBJECTS | DIFF_CONTAINERS)) {
		if (heap_prepare(old, HEAP_NEED_INDEX, err))
			goto out;
		is_new = malloc(new->nobj ? new->nobj : 1);
		if (flags & DIFF_CONTAINERS)
			d->containers = malloc(2 * DIFF_MAX_CONTAINERS * sizeof(*d->containers));
		if (!is_new || (flags & DIFF_CONTAINERS && !d->containers))
			goto oom;
		find_new(old, new, oid, nid, acc, is_new, d);
	}

	/* the types with objects in either graph, sorted by growth */
	order = malloc((names.n ? names.n : 1) * sizeof(*order));
	if (!order)
		goto oom;
	for (k = 0; k < names.n; k++) {
		struct diff_type *t = &acc[k];

		t->dcount = (int64_t)t->new_count - (int64_t)t->old_count;
		t->dsize = (int64_t)t->new_size - (int64_t)t->old_size;
		d->old_count += t->old_count;
		d->new_count += t->new_count;
		d->old_size += t->old_size;
		d->new_size += t->new_size;
		if (t->old_count || t->new_count)
			order[d->ntypes++] = (uint32_t)k;
	}
	sc.types = acc;
	qsort_r(order, d->ntypes, sizeof(*order), cmp_growth, &sc);
	d->types = malloc((d->ntypes ? d->ntypes : 1) * sizeof(*d->types));
	pos = malloc((names.n ? names.n : 1) * sizeof(*pos));
	d->new_rows = malloc((new->ntype ? new->ntype : 1) * sizeof(*d->new_rows));
	if (!d->types || !pos || !d->new_rows)
		goto oom;
	for (k = 0; k < names.n; k++)
		pos[k] = HEAP_NONE;
	for (k = 0; k < d->ntypes; k++) {
		d->types[k] = acc[order[k]];
		pos[order[k]] = (uint32_t)k;
	}
	for (k = 0; k < new->ntype; k++)
		d->new_rows[k] = pos[nid[k]];

	if (flags & DIFF_NEW_OBJECTS) {
		size_t at = 0;

		/* lay the groups out in growth order; by_new orders them */
		for (k = 0; k < d->ntypes; k++) {
			d->types[k].first_new = at;
			at += d->types[k].nnew;
			d->nnew_size += d->types[k].nnew_size;
			d->nby_new += d->types[k].nnew != 0;
		}
		d->nnew = at;
		d->new_objs = malloc((at ? at : 1) * sizeof(*d->new_objs));
		d->by_new = malloc((d->nby_new ? d->nby_new : 1) * sizeof(*d->by_new));
		if (!d->new_objs || !d->by_new)
			goto oom;
		for (k = 0, i = 0; k < d->ntypes; k++)
			if (d->types[k].nnew)
				d->by_new[i++] = (uint32_t)k;
		sc.types = d->types;
		qsort_r(d->by_new, d->nby_new, sizeof(*d->by_new), cmp_new, &sc);
		/* first_new is the fill cursor, then set back; the objects a
		 * root reaches first (with the dominators: the samples whose
		 * paths are shown are those a user can follow) */
		for (k = 0; k < (new->reach ? 2u : 1u); k++)
			for (i = 0; i < new->nobj; i++)
				if (is_new[i] &&
				    (!new->reach || heap_reachable(new, (uint32_t)i) == !k)) {
					struct diff_type *t = &d->types[pos[nid[new->obj[i].type]]];

					d->new_objs[t->first_new++] = (uint32_t)i;
				}
		for (k = 0; k < d->ntypes; k++)
			d->types[k].first_new -= d->types[k].nnew;
	}
	ret = 0;
	goto out;
oom:
	hs_error_set(err, HS_ENOMEM, "out of memory");
out:
	free(names.s);
	free(names.len);
	free(names.slots);
	free(oid);
	free(nid);
	free(acc);
	free(order);
	free(pos);
	free(is_new);
	if (ret)
		diff_release(d);
	return ret;
}

void diff_release(struct heap_diff *d)
{
	free(d->containers);
	free(d->types);
	free(d->new_rows);
	free(d->by_new);
	free(d->new_objs);
	memset(d, 0, sizeof(*d));
}
