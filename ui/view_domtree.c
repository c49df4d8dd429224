/*
 * view_domtree.c - the dominator tree: each object under the one that
 * alone keeps it alive, children biggest (retained) first; Enter expands
 * and collapses, o opens the object.  Only expanded nodes have rows, so
 * the tree of millions of objects opens at once.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dominator.h"
#include "ui_internal.h"

struct trow {
	uint32_t obj;
	uint32_t depth;
	uint8_t open;
};

struct domtree_data {
	struct dominator_tree t;
	struct trow *rows;
	size_t n, cap;
	uint64_t total;
};

/* Biggest retained size first; arg: the heap. */
static int cmp_retained(const void *pa, const void *pb, void *arg)
{
	const struct heap *h = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	uint64_t x = h->retained[a], y = h->retained[b];

	if (x != y)
		return x < y ? 1 : -1;
	return a < b ? -1 : a > b;
}

static size_t nkids(const struct domtree_data *d, uint32_t node)
{
	return d->t.start[node + 1] - d->t.start[node];
}

/* Insert node's children (node nobj: the super-root's) after row at,
 * biggest first; returns how many. */
static size_t insert_kids(struct view *v, size_t at, uint32_t node, uint32_t depth)
{
	struct domtree_data *d = v->data;
	size_t k = nkids(d, node), i;
	uint32_t *kids;

	if (!k)
		return 0;
	kids = xcalloc(k, sizeof(*kids));
	memcpy(kids, d->t.kids + d->t.start[node], k * sizeof(*kids));
	qsort_r(kids, k, sizeof(*kids), cmp_retained, v->b->h);
	if (d->n + k > d->cap) {
		d->cap = d->n + k + d->cap / 2 + 16;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	memmove(d->rows + at + k, d->rows + at, (d->n - at) * sizeof(*d->rows));
	for (i = 0; i < k; i++)
		d->rows[at + i] = (struct trow){ kids[i], depth, 0 };
	d->n += k;
	free(kids);
	return k;
}

static void toggle(struct view *v, size_t r)
{
	struct domtree_data *d = v->data;
	size_t end = r + 1;

	if (d->rows[r].open) {
		while (end < d->n && d->rows[end].depth > d->rows[r].depth)
			end++;
		memmove(d->rows + r + 1, d->rows + end, (d->n - end) * sizeof(*d->rows));
		d->n -= end - r - 1;
		d->rows[r].open = 0;
	} else if (nkids(d, d->rows[r].obj)) {
		insert_kids(v, r + 1, d->rows[r].obj, d->rows[r].depth + 1);
		d->rows[r].open = 1;
	}
}

static size_t domtree_nrows(struct view *v)
{
	return ((struct domtree_data *)v->data)->n;
}

static void domtree_title(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "Dominator tree: each object under what alone keeps it alive");
}

static void domtree_header(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "  %10s %6s  %s", "retained", "heap%", "object");
}

static void domtree_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct domtree_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct trow *r = &d->rows[i];
	char ret[32], sum[512];
	unsigned indent = r->depth < 30 ? r->depth : 30;
	size_t k = nkids(d, r->obj);

	(void)attr;
	heap_size_text(h->retained[r->obj], ret, sizeof(ret));
	heap_summary(h, r->obj, sum, sizeof(sum));
	snprintf(buf, len, "%c %10s %5.1f%%  %*s", k ? (r->open ? '-' : '+') : ' ', ret,
		 d->total ? 100.0 * (double)h->retained[r->obj] / (double)d->total : 0.0,
		 (int)(2 * indent), "");
	if (r->depth > 30)
		snprintf(buf + strlen(buf), len - strlen(buf), "[depth %u] ", r->depth);
	snprintf(buf + strlen(buf), len - strlen(buf), "%s 0x%llx %s", heap_type_name(h, r->obj),
		 (unsigned long long)h->obj[r->obj].addr, sum);
	if (k)
		snprintf(buf + strlen(buf), len - strlen(buf), "  (%zu below)", k);
}

static unsigned domtree_enter(struct view *v, size_t i)
{
	toggle(v, i);
	return UI_REDRAW;
}

static uint32_t domtree_current(struct view *v)
{
	struct domtree_data *d = v->data;

	return v->cursor < d->n ? d->rows[v->cursor].obj : HEAP_NONE;
}

static void domtree_free(struct view *v)
{
	struct domtree_data *d = v->data;

	dominator_tree_release(&d->t);
	free(d->rows);
}

static const struct view_key domtree_keys[] = {
	{ CMD_ENTER, "expand or collapse: show or hide what the row's object keeps alive" },
	{ CMD_OPEN, "open the row's object" },
	{ CMD_PATH, "path from a root to the row's object" },
	{ CMD_INSTANCES, "all instances of the row's object's type" },
	{ CMD_NONE },
};

static const struct view_ops domtree_ops = {
	.name = "dominator tree",
	.nrows = domtree_nrows,
	.title = domtree_title,
	.header = domtree_header,
	.row = domtree_row,
	.enter = domtree_enter,
	.current = domtree_current,
	.free = domtree_free,
	.keys = domtree_keys,
};

struct view *view_domtree_new(struct browser *b, uint32_t focus)
{
	struct hs_error err = HS_ERROR_INIT;
	const struct heap *h = b->h;
	struct view *v;
	struct domtree_data *d;
	uint32_t *chain = NULL, o;
	size_t nchain = 0, i, r;

	if (!h->idom) {
		browser_message(b, "no dominator tree: it could not be computed");
		return NULL;
	}
	v = view_new(b, &domtree_ops, sizeof(struct domtree_data));
	d = v->data;
	if (dominator_tree_build(h, &d->t, &err)) {
		browser_message(b, "%s", err.msg);
		free(v->data);
		free(v);
		return NULL;
	}
	d->total = heap_total_size(h);
	insert_kids(v, 0, (uint32_t)h->nobj, 0);
	if (focus < h->nobj && !heap_reachable(h, focus))
		browser_message(b,
				"0x%llx is not in the tree: no root leads to it (u lists the "
				"garbage)",
				(unsigned long long)h->obj[focus].addr);
	if (focus >= h->nobj || !heap_reachable(h, focus))
		return v;
	/* open the tree down to focus: its dominators, outermost first */
	chain = xcalloc(h->nobj, sizeof(*chain));
	for (o = focus; o < h->nobj && nchain < h->nobj; o = h->idom[o])
		chain[nchain++] = o;
	for (r = 0, i = nchain; i-- > 0;) {
		while (r < d->n && d->rows[r].obj != chain[i])
			r++;
		if (r == d->n)
			break;
		v->cursor = r;
		if (i)
			toggle(v, r);
		r++;
	}
	free(chain);
	return v;
}
