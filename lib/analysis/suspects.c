/*
 * suspects.c - leak suspects from the dominator tree.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "dominator.h"
#include "suspects.h"

struct finder {
	const struct heap *h;
	struct dominator_tree t;
	uint64_t big;	/* retained above this: big */
	uint32_t *work; /* big objects still to look at */
	size_t nwork, capwork;
	struct suspect *out;
	size_t n, cap;
	uint64_t *type_ret; /* per type, for the children of one point */
	uint64_t *type_cnt;
};

static int push_work(struct finder *f, uint32_t v)
{
	if (f->nwork == f->capwork) {
		size_t cap = f->capwork ? 2 * f->capwork : 64;
		uint32_t *w = realloc(f->work, cap * sizeof(*w));

		if (!w)
			return -1;
		f->work = w;
		f->capwork = cap;
	}
	f->work[f->nwork++] = v;
	return 0;
}

/* The dominant type among the children of p, by what they retain. */
static void elements(struct finder *f, struct suspect *s)
{
	const struct heap *h = f->h;
	uint32_t k, p = s->point, best = HEAP_NONE;

	s->children = f->t.start[p + 1] - f->t.start[p];
	for (k = f->t.start[p]; k < f->t.start[p + 1]; k++) {
		uint32_t c = f->t.kids[k], ty = h->obj[c].type;

		if (ty >= h->ntype)
			continue;
		f->type_ret[ty] += h->retained[c];
		f->type_cnt[ty]++;
	}
	for (k = f->t.start[p]; k < f->t.start[p + 1]; k++) {
		uint32_t ty = h->obj[f->t.kids[k]].type;

		if (ty < h->ntype && (best == HEAP_NONE || f->type_ret[ty] > f->type_ret[best]))
			best = ty;
	}
	s->elem_type = best;
	s->elem_count = best != HEAP_NONE ? f->type_cnt[best] : 0;
	s->elem_retained = best != HEAP_NONE ? f->type_ret[best] : 0;
	/* clear only what was touched */
	for (k = f->t.start[p]; k < f->t.start[p + 1]; k++) {
		uint32_t ty = h->obj[f->t.kids[k]].type;

		if (ty < h->ntype)
			f->type_ret[ty] = f->type_cnt[ty] = 0;
	}
}

/* The child of v (in the dominator tree) retaining the most, or
 * HEAP_NONE. */
static uint32_t heaviest(const struct finder *f, uint32_t v)
{
	const struct heap *h = f->h;
	uint32_t k, best = HEAP_NONE;

	for (k = f->t.start[v]; k < f->t.start[v + 1]; k++) {
		uint32_t c = f->t.kids[k];

		if (best == HEAP_NONE || h->retained[c] > h->retained[best])
			best = c;
	}
	return best;
}

/*
 * The child of cur that holds its mass, or HEAP_NONE: its heaviest child,
 * when that retains more than everything else cur keeps alive together
 * (its own size and its other children).  A namespace whose one
 * attribute outweighs all the other globals leads on to it; a list whose
 * elements share its mass stays the point.  Not a plurality: the
 * heaviest of a thousand elements of a thousand types, or the larger of
 * two near halves, holds a part of the mass, not the mass.
 */
static uint32_t mass_child(const struct finder *f, uint32_t cur)
{
	const struct heap *h = f->h;
	uint32_t best = heaviest(f, cur);

	/* retained[cur] >= retained[best] (heap.h): no wrap */
	if (best == HEAP_NONE || h->retained[best] <= h->retained[cur] - h->retained[best])
		return HEAP_NONE;
	return best;
}

/* The name of the first edge from a to b, or HEAP_NONE. */
static uint32_t edge_between(const struct heap *h, uint32_t a, uint32_t b)
{
	uint32_t e;

	for (e = h->edge_start[a]; e < h->edge_start[a + 1]; e++)
		if (h->edge_dst[e] == b)
			return h->edge_name[e];
	return HEAP_NONE;
}

/* 1 if cur -> c -> next repeats itself: the three of one type, the two
 * references of one name (".next", ".next") - a linked list, whose
 * mass its head holds: walking on would end far down the list. */
static int chain(const struct heap *h, uint32_t cur, uint32_t c, uint32_t next)
{
	uint32_t name;

	if (next == HEAP_NONE || h->obj[c].type != h->obj[cur].type ||
	    h->obj[next].type != h->obj[c].type)
		return 0;
	name = edge_between(h, cur, c);
	return name != HEAP_NONE && name == edge_between(h, c, next);
}

/* From big object v down to its accumulation point; big objects met on
 * the side go to the work list. */
static int look_at(struct finder *f, uint32_t v)
{
	const struct heap *h = f->h;
	uint32_t cur = v, best, k, steps = 0, tail = HEAP_NONE;
	uint64_t nested = 0;
	struct suspect s = { .start = v };

	/* down while one child holds cur's mass, under the threshold too:
	 * the point is the container that holds it, not the namespace or
	 * the object above it, whatever share of the heap that is */
	best = mass_child(f, cur);
	while (best != HEAP_NONE && steps++ <= h->nobj) {
		uint32_t next = mass_child(f, best);

		if (chain(h, cur, best, next)) {
			tail = best; /* part of the list cur heads */
			break;
		}
		for (k = f->t.start[cur]; k < f->t.start[cur + 1]; k++) {
			uint32_t c = f->t.kids[k];

			if (c != best && h->retained[c] > f->big && push_work(f, c))
				return -1;
		}
		cur = best;
		best = next;
	}
	for (k = f->t.start[cur]; k < f->t.start[cur + 1]; k++) {
		uint32_t c = f->t.kids[k];

		if (c != tail && h->retained[c] > f->big) {
			nested += h->retained[c];
			if (push_work(f, c))
				return -1;
		}
	}
	if (nested && h->retained[cur] - nested <= f->big)
		return 0; /* its mass is in suspects of their own */
	s.point = cur;
	s.retained = h->retained[cur];
	elements(f, &s);
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct suspect *o = realloc(f->out, cap * sizeof(*o));

		if (!o)
			return -1;
		f->out = o;
		f->cap = cap;
	}
	f->out[f->n++] = s;
	return 0;
}

static int cmp_suspect(const void *a, const void *b)
{
	const struct suspect *x = a, *y = b;

	if (x->retained != y->retained)
		return x->retained < y->retained ? 1 : -1;
	return x->point < y->point ? -1 : x->point > y->point;
}

int suspects_find(const struct heap *h, double threshold, uint64_t total, struct suspect **out,
		  size_t *n, struct hs_error *err)
{
	struct finder f = { .h = h };
	size_t rounds = 0;
	uint32_t k;

	*out = NULL;
	*n = 0;
	if (!(threshold > 0 && threshold <= 1))
		return hs_error_set(err, HS_EUSAGE, "a suspect's share must be in (0, 1]");
	if (!h->retained)
		return hs_error_set(err, HS_EINTERNAL, "retained sizes were not computed");
	if (!total)
		total = heap_total_size(h);
	f.big = (uint64_t)(threshold * (double)total);
	if (dominator_tree_build(h, &f.t, err))
		return -1;
	f.type_ret = calloc(h->ntype ? h->ntype : 1, sizeof(*f.type_ret));
	f.type_cnt = calloc(h->ntype ? h->ntype : 1, sizeof(*f.type_cnt));
	if (!f.type_ret || !f.type_cnt)
		goto oom;
	/* the super-root's big children; every object is looked at once at
	 * most, since each is pushed only by its dominator */
	for (k = f.t.start[h->nobj]; k < f.t.start[h->nobj + 1]; k++)
		if (h->retained[f.t.kids[k]] > f.big && push_work(&f, f.t.kids[k]))
			goto oom;
	while (f.nwork && rounds++ <= h->nobj)
		if (look_at(&f, f.work[--f.nwork]))
			goto oom;
	if (f.n)
		qsort(f.out, f.n, sizeof(*f.out), cmp_suspect);
	*out = f.out;
	*n = f.n;
	f.out = NULL;
	free(f.work);
	free(f.type_ret);
	free(f.type_cnt);
	dominator_tree_release(&f.t);
	return 0;
oom:
	free(f.out);
	free(f.work);
	free(f.type_ret);
	free(f.type_cnt);
	dominator_tree_release(&f.t);
	return hs_error_set(err, HS_ENOMEM, "out of memory for the leak suspects");
}
