/*
 * view_domtree.c - the dominator tree: each object under the one that
 * alone keeps it alive, children biggest (retained) first, each named by
 * the reference from its parent ('.attr', "['key']") when the parent
 * refers to it directly.  Ten or more children of one type are one row,
 * "13,000 x app.Session", with their count and retained sum, as Eclipse
 * MAT groups them; Enter expands and collapses a row or a group, o opens
 * the object.  Only expanded nodes have rows, so the tree of millions of
 * objects opens at once.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/dominator.h"
#include "ui_internal.h"

#define GROUP_MIN 10 /* children of one type shown as one row */

/* A row: an object, or (group) the children of obj of one type. */
struct trow {
	uint32_t obj;
	uint32_t depth;
	uint8_t open;
	uint8_t group;
	uint32_t type;	   /* group: the type */
	uint32_t count;	   /* group: its objects */
	uint64_t retained; /* group: their retained sum */
};

struct domtree_data {
	struct dominator_tree t;
	struct trow *rows;
	size_t n, cap;
	uint64_t total;
};

static size_t nkids(const struct domtree_data *d, uint32_t node)
{
	return d->t.start[node + 1] - d->t.start[node];
}

static uint64_t row_retained(const struct heap *h, const struct trow *r)
{
	return r->group ? r->retained : h->retained[r->obj];
}

/* Rows biggest retained first, an object before a group of as much. */
static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct heap *h = arg;
	const struct trow *a = pa, *b = pb;
	uint64_t x = row_retained(h, a), y = row_retained(h, b);

	if (x != y)
		return x < y ? 1 : -1;
	if (a->group != b->group)
		return a->group - b->group;
	return a->obj < b->obj ? -1 : a->obj > b->obj;
}

/* Room for k more rows, the rows from at on moved k down. */
static void make_room(struct domtree_data *d, size_t at, size_t k)
{
	if (d->n + k > d->cap) {
		d->cap = d->n + k + d->cap / 2 + 16;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	memmove(d->rows + at + k, d->rows + at, (d->n - at) * sizeof(*d->rows));
	d->n += k;
}

/*
 * Insert node's children (node nobj: the super-root's) after row at,
 * biggest first: those of a type with GROUP_MIN or more of them as one
 * group row, unless only (all of type type: a group opened).  Returns how
 * many rows.
 */
static size_t insert_kids(struct view *v, size_t at, uint32_t node, uint32_t depth, int only,
			  uint32_t type)
{
	struct domtree_data *d = v->data;
	const struct heap *h = v->b->h;
	size_t k = nkids(d, node), i, nrows = 0;
	const uint32_t *kids = d->t.kids + d->t.start[node];
	uint32_t *per_type;
	struct trow *rows;

	if (!k)
		return 0;
	rows = xcalloc(k, sizeof(*rows));
	per_type = xcalloc(h->ntype + 1, sizeof(*per_type));
	for (i = 0; i < k; i++)
		per_type[h->obj[kids[i]].type < h->ntype ? h->obj[kids[i]].type : h->ntype]++;
	for (i = 0; i < k; i++) {
		uint32_t t = h->obj[kids[i]].type < h->ntype ? h->obj[kids[i]].type : h->ntype;

		if (only) {
			if (t == type)
				rows[nrows++] = (struct trow){ .obj = kids[i], .depth = depth };
		} else if (per_type[t] < GROUP_MIN || t == h->ntype) {
			rows[nrows++] = (struct trow){ .obj = kids[i], .depth = depth };
		} else {
			size_t g;

			/* the group's row: made at its type's first child */
			for (g = 0; g < nrows; g++)
				if (rows[g].group && rows[g].type == t)
					break;
			if (g == nrows)
				rows[nrows++] = (struct trow){
					.obj = node, .depth = depth, .group = 1, .type = t
				};
			rows[g].count++;
			rows[g].retained += h->retained[kids[i]];
		}
	}
	qsort_r(rows, nrows, sizeof(*rows), cmp_rows, (void *)h);
	make_room(d, at, nrows);
	memcpy(d->rows + at, rows, nrows * sizeof(*rows));
	free(rows);
	free(per_type);
	return nrows;
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
	} else if (d->rows[r].group) {
		insert_kids(v, r + 1, d->rows[r].obj, d->rows[r].depth + 1, 1, d->rows[r].type);
		d->rows[r].open = 1;
	} else if (nkids(d, d->rows[r].obj)) {
		insert_kids(v, r + 1, d->rows[r].obj, d->rows[r].depth + 1, 0, 0);
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

/* The name of a reference from parent to obj ("['key']", ".attr") into
 * buf, or "" when parent does not refer to it directly. */
static void edge_from(const struct heap *h, uint32_t parent, uint32_t obj, char *buf, size_t len)
{
	uint32_t e;

	buf[0] = '\0';
	if (parent >= h->nobj || !h->rev_start)
		return;
	for (e = h->rev_start[obj]; e < h->rev_start[obj + 1]; e++)
		if (h->rev_src[e] == parent) {
			heap_edge_text(h, h->edge_name[h->rev_edge[e]], buf, len);
			return;
		}
}

static void domtree_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct domtree_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct trow *r = &d->rows[i];
	char ret[32], sum[512], edge[128], count[32];
	unsigned indent = r->depth < 30 ? r->depth : 30;
	size_t k = r->group ? r->count : nkids(d, r->obj);
	uint64_t retained = row_retained(h, r);

	(void)attr;
	heap_size_text(retained, ret, sizeof(ret));
	snprintf(buf, len, "%c %10s %5.1f%%  %*s", k ? (r->open ? '-' : '+') : ' ', ret,
		 d->total ? 100.0 * (double)retained / (double)d->total : 0.0, (int)(2 * indent),
		 "");
	if (r->depth > 30)
		snprintf(buf + strlen(buf), len - strlen(buf), "[depth %u] ", r->depth);
	if (r->group) {
		heap_count_text(r->count, count, sizeof(count));
		snprintf(buf + strlen(buf), len - strlen(buf), "%s x %s", count,
			 heap_str(h, h->types[r->type].name, NULL));
		return;
	}
	/* the parent: the nearest object row above, one level up */
	edge[0] = '\0';
	if (r->depth)
		for (k = i; k-- > 0;)
			if (d->rows[k].depth < r->depth) {
				edge_from(h, d->rows[k].obj, r->obj, edge, sizeof(edge));
				break;
			}
	heap_summary(h, r->obj, sum, sizeof(sum));
	snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s 0x%llx %s", edge, edge[0] ? " " : "",
		 heap_type_name(h, r->obj), (unsigned long long)h->obj[r->obj].addr, sum);
	k = nkids(d, r->obj);
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

	return v->cursor < d->n && !d->rows[v->cursor].group ? d->rows[v->cursor].obj : HEAP_NONE;
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
	/* the reference from each row's parent names it (without them, the
	 * rows are just not named) */
	browser_prepare(b, HEAP_NEED_REVERSE);
	v = view_new(b, &domtree_ops, sizeof(struct domtree_data));
	d = v->data;
	if (dominator_tree_build(h, &d->t, &err)) {
		browser_message(b, "%s", err.msg);
		free(v->data);
		free(v);
		return NULL;
	}
	d->total = heap_total_size(h);
	insert_kids(v, 0, (uint32_t)h->nobj, 0, 0, 0);
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
		size_t g = d->n;

		/* the object's row, or its type's group's among its siblings */
		while (r < d->n && (d->rows[r].group || d->rows[r].obj != chain[i])) {
			if (d->rows[r].group && !d->rows[r].open &&
			    d->rows[r].type == h->obj[chain[i]].type &&
			    d->rows[r].obj == (i + 1 < nchain ? chain[i + 1] : (uint32_t)h->nobj))
				g = r;
			r++;
		}
		if (r == d->n && g < d->n) {
			toggle(v, g);
			r = g + 1;
			while (r < d->n && d->rows[r].obj != chain[i])
				r++;
		}
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
