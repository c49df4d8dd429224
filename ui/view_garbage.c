/*
 * view_garbage.c - what the next full collection would free (garbage.h):
 * the contents of gc.garbage, then each island of unreachable objects,
 * biggest first, with its members.  Rows are computed from the row number
 * (islands' first rows in a prefix array), so millions of garbage objects
 * cost nothing until drawn.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/garbage.h"
#include "ui_internal.h"

struct garbage_data {
	struct garbage g;
	uint8_t *fin;  /* per type: has a Python-level __del__ */
	size_t *start; /* row of island k's title, nislands + 1 */
	size_t head;   /* rows before the first island */
};

static size_t garbage_nrows(struct view *v)
{
	struct garbage_data *d = v->data;

	return d->start[d->g.nislands];
}

static void garbage_title(struct view *v, char *buf, size_t len)
{
	struct garbage_data *d = v->data;
	char count[32], size[32];

	heap_count_text(d->g.nobj, count, sizeof(count));
	heap_size_text(d->g.size, size, sizeof(size));
	snprintf(buf, len, "Garbage: %s unreachable object%s, %s, in %zu island%s", count,
		 d->g.nobj == 1 ? "" : "s", size, d->g.nislands, d->g.nislands == 1 ? "" : "s");
}

/* Which island row i is in (its title row or a member), by bisection. */
static size_t island_of(const struct garbage_data *d, size_t i)
{
	size_t lo = 0, hi = d->g.nislands;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->start[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t row_obj(struct view *v, size_t i)
{
	struct garbage_data *d = v->data;
	size_t k;

	if (i < d->head)
		return i >= 1 && i - 1 < d->g.ngc_lists ? d->g.gc_lists[i - 1] : HEAP_NONE;
	k = island_of(d, i);
	if (i == d->start[k])
		return HEAP_NONE;
	return d->g.island_members[d->g.islands[k].first + (i - d->start[k] - 1)];
}

static void obj_row(struct view *v, uint32_t o, const char *indent, char *buf, size_t len)
{
	struct garbage_data *d = v->data;
	const struct heap *h = v->b->h;
	char sum[512], size[32];

	heap_summary(h, o, sum, sizeof(sum));
	heap_size_text(heap_size(h, o), size, sizeof(size));
	snprintf(buf, len, "%s0x%-14llx ", indent, (unsigned long long)h->obj[o].addr);
	text_pad(v->b, buf, len, heap_type_name(h, o), 20);
	snprintf(buf + strlen(buf), len - strlen(buf), " %9s  %s%s", size,
		 garbage_has_finalizer(h, d->fin, o) ? "(__del__) " : "", sum);
}

static void garbage_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct garbage_data *d = v->data;
	const struct garbage_group *isl;
	char size[32];
	size_t k;

	if (i == 0) {
		snprintf(buf, len,
			 "gc.garbage (%zu list%s): what the collector could not free "
			 "or kept (DEBUG_SAVEALL)",
			 d->g.ngc_lists, d->g.ngc_lists == 1 ? "" : "s");
		*attr = ROW_HEADING;
		return;
	}
	if (i < d->head) {
		if (i - 1 < d->g.ngc_lists)
			obj_row(v, d->g.gc_lists[i - 1], "  ", buf, len);
		return;
	}
	k = island_of(d, i);
	isl = &d->g.islands[k];
	if (i == d->start[k]) {
		heap_size_text(isl->size, size, sizeof(size));
		snprintf(buf, len, "island %zu: %u object%s (%u tracked), %s, %u cycle%s%s", k + 1,
			 isl->n, isl->n == 1 ? "" : "s", isl->ngc, size, isl->ncycles,
			 isl->ncycles == 1 ? "" : "s", isl->nfinal ? ", with finalizers" : "");
		*attr = ROW_HEADING;
		return;
	}
	obj_row(v, row_obj(v, i), "  ", buf, len);
}

static unsigned garbage_enter(struct view *v, size_t i)
{
	uint32_t o = row_obj(v, i);

	return o == HEAP_NONE ? 0 : browser_push(v->b, view_object_new(v->b, o));
}

static uint32_t garbage_current(struct view *v)
{
	return row_obj(v, v->cursor);
}

static void garbage_free(struct view *v)
{
	struct garbage_data *d = v->data;

	garbage_release(&d->g);
	free(d->fin);
	free(d->start);
}

static const struct view_key garbage_keys[] = {
	{ CMD_ENTER, "open the row's object" },
	{ CMD_INSTANCES, "all instances of the row's object's type" },
	{ CMD_NONE },
};

static const struct view_ops garbage_ops = {
	.name = "garbage",
	.nrows = garbage_nrows,
	.title = garbage_title,
	.row = garbage_row,
	.enter = garbage_enter,
	.current = garbage_current,
	.free = garbage_free,
	.keys = garbage_keys,
};

struct view *view_garbage_new(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	const struct heap *h = b->h;
	struct view *v = view_new(b, &garbage_ops, sizeof(struct garbage_data));
	struct garbage_data *d = v->data;
	size_t k;

	d->fin = xcalloc(h->ntype, 1);
	if (garbage_find(h, &d->g, &err) || garbage_finalizer_types(h, d->fin, &err)) {
		browser_message(b, "%s", err.msg);
		garbage_free(v);
		free(v->data);
		free(v);
		return NULL;
	}
	d->start = xcalloc(d->g.nislands + 1, sizeof(*d->start));
	d->head = 1 + d->g.ngc_lists;
	d->start[0] = d->head;
	for (k = 0; k < d->g.nislands; k++)
		d->start[k + 1] = d->start[k] + 1 + d->g.islands[k].n;
	if (!d->g.nobj)
		browser_message(b, "no unreachable objects: the next collection would free "
				   "nothing");
	return v;
}
