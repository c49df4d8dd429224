/*
 * view_types.c - one row per type: count, size, share of the heap, at
 * least what freeing all its instances would free (retained, as MAT's
 * histogram counts it), and after a recapture
 * the change since the previous capture.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

enum types_sort {
	BY_SIZE,
	BY_RETAINED,
	BY_COUNT,
	BY_NAME,
	BY_GROWTH_COUNT,
	BY_GROWTH_SIZE,
	BY_END,
};

static const char *const sort_names[] = {
	[BY_SIZE] = "size", [BY_RETAINED] = "retained",	  [BY_COUNT] = "count",
	[BY_NAME] = "name", [BY_GROWTH_COUNT] = "+count", [BY_GROWTH_SIZE] = "+size",
};

struct types_data {
	struct type_stat *all;
	size_t nall;
	uint32_t *ids;	    /* 0..nall-1: the filter's items, all[] indexes */
	struct ui_filter f; /* rows: indexes into all[] that pass it */
	uint64_t total_size;
	uint64_t total_est; /* of it, sizes that are estimates */
	int sort, reverse;
};

/* What cmp_stat sorts by (qsort_r's argument). */
struct types_sort_ctx {
	const struct heap *h;
	const struct ui_growth *growth;
	int by;
};

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0; /* biggest first */
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_stat(const void *pa, const void *pb, void *arg)
{
	const struct type_stat *a = pa, *b = pb;
	const struct types_sort_ctx *s = arg;
	int c = 0;

	switch (s->by) {
	case BY_SIZE:
		c = cmp_u64(a->size, b->size);
		break;
	case BY_RETAINED:
		c = cmp_u64(a->retained, b->retained);
		break;
	case BY_COUNT:
		c = cmp_u64(a->count, b->count);
		break;
	case BY_GROWTH_COUNT:
		c = cmp_i64(s->growth[a->type].count, s->growth[b->type].count);
		break;
	case BY_GROWTH_SIZE:
		c = cmp_i64(s->growth[a->type].size, s->growth[b->type].size);
		break;
	}
	if (!c)
		c = strcmp(heap_str(s->h, s->h->types[a->type].name, NULL),
			   heap_str(s->h, s->h->types[b->type].name, NULL));
	return c;
}

/* Sort all[] and filter it again. */
static void apply(struct view *v)
{
	struct types_data *d = v->data;
	struct types_sort_ctx s = { .h = v->b->h, .growth = v->b->growth, .by = d->sort };

	qsort_r(d->all, d->nall, sizeof(*d->all), cmp_stat, &s);
	filter_restart(&d->f, d->reverse);
}

/* The filter looks at the type's name. */
static int types_match(void *ctx, uint32_t k, const char *text)
{
	struct view *v = ctx;
	struct types_data *d = v->data;
	const struct heap *h = v->b->h;

	return text_contains(heap_str(h, h->types[d->all[k].type].name, NULL), text);
}

static size_t types_nrows(struct view *v)
{
	return ((struct types_data *)v->data)->f.nrows;
}

static void types_title(struct view *v, char *buf, size_t len)
{
	struct types_data *d = v->data;
	char count[32], label[160];

	heap_count_text(d->nall, count, sizeof(count));
	filter_label(&d->f, label, sizeof(label));
	if (d->f.text[0])
		snprintf(buf, len, "Types: %zu of %s, by %s%s, filter: %s", d->f.nrows, count,
			 sort_names[d->sort], d->reverse ? " (reversed)" : "", label);
	else
		snprintf(buf, len, "Types: %s type%s, by %s%s", count, d->nall == 1 ? "" : "s",
			 sort_names[d->sort], d->reverse ? " (reversed)" : "");
	if (d->total_est) {
		char est[32];

		heap_size_text(d->total_est, est, sizeof(est));
		snprintf(buf + strlen(buf), len - strlen(buf), "; %s of the sizes estimated", est);
	}
}

static void types_header(struct view *v, char *buf, size_t len)
{
	snprintf(buf, len, "%11s %10s %6s%s%s  %s", "count", "size", "heap%",
		 v->b->h->retained ? "   retained" : "",
		 v->b->growth ? "     +count      +size" : "", "type");
}

static void types_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct types_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct type_stat *t = &d->all[d->f.rows[i]];
	char count[32], size[32], gc[32] = "", gs[32] = "";

	(void)attr;
	heap_count_text(t->count, count, sizeof(count));
	heap_size_text(t->size, size, sizeof(size));
	if (v->b->growth) {
		const struct ui_growth *g = &v->b->growth[t->type];

		snprintf(gc, sizeof(gc), "%+lld", (long long)g->count);
		heap_size_change_text(g->size, gs, sizeof(gs));
	}
	snprintf(buf, len, "%11s %10s %5.1f%%", count, size,
		 d->total_size ? 100.0 * t->size / d->total_size : 0.0);
	if (v->b->h->retained) {
		char ret[32];

		heap_size_text(t->retained, ret, sizeof(ret));
		snprintf(buf + strlen(buf), len - strlen(buf), " %10s", ret);
	}
	if (v->b->growth)
		snprintf(buf + strlen(buf), len - strlen(buf), " %10s %10s", gc, gs);
	snprintf(buf + strlen(buf), len - strlen(buf), "  %s%s",
		 heap_str(h, h->types[t->type].name, NULL),
		 !t->estimated		   ? ""
		 : t->estimated == t->size ? "  (size estimated)"
					   : "  (size partly estimated)");
}

static unsigned types_enter(struct view *v, size_t i)
{
	struct types_data *d = v->data;

	return browser_push(v->b, view_instances_new(v->b, d->all[d->f.rows[i]].type));
}

static unsigned types_sort(struct view *v, int reverse)
{
	struct types_data *d = v->data;

	if (reverse) {
		d->reverse = !d->reverse;
	} else {
		d->sort++;
		if (d->sort == BY_RETAINED && !v->b->h->retained)
			d->sort++;
		if (d->sort == BY_GROWTH_COUNT && !v->b->growth)
			d->sort = BY_END;
		if (d->sort >= BY_END)
			d->sort = BY_SIZE;
		d->reverse = 0;
	}
	apply(v);
	browser_message(v->b, "sorted by %s%s", sort_names[d->sort],
			d->reverse ? ", reversed" : "");
	return UI_REDRAW;
}

static struct ui_filter *types_filter(struct view *v)
{
	return &((struct types_data *)v->data)->f;
}

static void types_free(struct view *v)
{
	struct types_data *d = v->data;

	filter_release(&d->f);
	free(d->all);
	free(d->ids);
}

static const struct view_key types_keys[] = {
	{ CMD_ENTER, "the instances of the row's type" },
	{ CMD_FILTER, "keep the types whose name contains text (as you type)" },
	{ CMD_SORT, "sort by size, retained size, count or name (after R: +count, +size)" },
	{ CMD_REVERSE, NULL },
	{ CMD_RECAPTURE, NULL },
	{ CMD_NONE },
};

static const struct view_ops types_ops = {
	.name = "types",
	.nrows = types_nrows,
	.title = types_title,
	.header = types_header,
	.row = types_row,
	.enter = types_enter,
	.sort = types_sort,
	.filter = types_filter,
	.free = types_free,
	.keys = types_keys,
};

struct view *view_types_new(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	struct view *v = view_new(b, &types_ops, sizeof(struct types_data));
	struct types_data *d = v->data;
	const struct heap *h = b->h;
	struct type_stat *hist;
	uint64_t count;
	size_t n, i;

	/* with retained sizes when the dominators are there */
	if (query_histogram(h, HIST_BY_SIZE, &hist, &n, &count, &d->total_size, &err))
		ui_die(&err);
	/* the rows in types[] order, as the first sort finds them (rows it
	 * finds equal keep it): the types that have objects, and after R
	 * those whose objects are all gone */
	d->all = xcalloc(h->ntype, sizeof(*d->all));
	for (i = 0; i < h->ntype; i++)
		d->all[i].type = (uint32_t)i;
	for (i = 0; i < n; i++) {
		d->all[hist[i].type] = hist[i];
		d->total_est += hist[i].estimated;
	}
	free(hist);
	for (i = 0, d->nall = 0; i < h->ntype; i++)
		if (d->all[i].count || (b->growth && b->growth[i].count))
			d->all[d->nall++] = d->all[i];
	d->ids = xcalloc(d->nall, sizeof(*d->ids));
	for (i = 0; i < d->nall; i++)
		d->ids[i] = (uint32_t)i;
	filter_init(&d->f, d->ids, d->nall, types_match, v);
	d->sort = b->growth ? BY_GROWTH_COUNT : BY_SIZE;
	apply(v);
	return v;
}
