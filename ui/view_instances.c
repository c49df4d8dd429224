/*
 * view_instances.c - every object of one type: address, size, referrers,
 * value or summary.  Rows are formatted only when drawn, and by the
 * filter, which looks at each row as it is drawn (filter.h).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

enum inst_sort {
	BY_SIZE,
	BY_RETAINED,
	BY_REFERRERS,
	BY_ADDRESS,
	BY_WALK,
	BY_END,
};

static const char *const sort_names[] = {
	[BY_SIZE] = "size",	  [BY_RETAINED] = "retained", [BY_REFERRERS] = "referrers",
	[BY_ADDRESS] = "address", [BY_WALK] = "walk order",
};

struct inst_data {
	uint32_t type;
	uint32_t *all; /* the type's objects, in the current order */
	size_t nall;
	struct ui_filter f; /* rows: those that pass the filter */
	uint64_t total;
	int sort, reverse;
};

/* What cmp_obj sorts by (qsort_r's argument). */
struct inst_sort_ctx {
	const struct heap *h;
	int by;
};

static uint32_t nref(const struct heap *h, uint32_t i)
{
	return h->rev_start ? h->rev_start[i + 1] - h->rev_start[i] : 0;
}

static int cmp_obj(const void *pa, const void *pb, void *arg)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct inst_sort_ctx *s = arg;
	const struct heap *h = s->h;
	uint64_t x = 0, y = 0;

	switch (s->by) {
	case BY_SIZE:
		x = heap_size(h, b);
		y = heap_size(h, a);
		break;
	case BY_RETAINED:
		x = h->retained ? h->retained[b] : 0;
		y = h->retained ? h->retained[a] : 0;
		break;
	case BY_REFERRERS:
		x = nref(h, b);
		y = nref(h, a);
		break;
	case BY_ADDRESS:
		x = h->obj[a].addr;
		y = h->obj[b].addr;
		break;
	}
	if (x != y)
		return x < y ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Object o's row: address, size, retained size, referrers, summary. */
static void format(struct view *v, uint32_t o, char *buf, size_t len)
{
	const struct heap *h = v->b->h;
	char size[32], ret[32] = "-", sum[512];

	heap_size_text(heap_size(h, o), size, sizeof(size));
	if (h->retained && heap_reachable(h, o))
		heap_size_text(h->retained[o], ret, sizeof(ret));
	else if (h->retained)
		snprintf(ret, sizeof(ret), "garbage");
	heap_summary(h, o, sum, sizeof(sum));
	snprintf(buf, len, "0x%-14llx %10s %10s %9u  %s", (unsigned long long)h->obj[o].addr, size,
		 ret, nref(h, o), sum);
}

/* The filter looks at the row as drawn: address, sizes, value. */
static int inst_match(void *ctx, uint32_t o, const char *text)
{
	char row[1024];

	format(ctx, o, row, sizeof(row));
	return text_contains(row, text);
}

/* Sort all[] (resort) or read it the other way, and filter it again. */
static void apply(struct view *v, int resort)
{
	struct inst_data *d = v->data;

	if (resort) {
		struct inst_sort_ctx s = { .h = v->b->h, .by = d->sort };

		qsort_r(d->all, d->nall, sizeof(*d->all), cmp_obj, &s);
	}
	filter_restart(&d->f, d->reverse);
}

static size_t inst_nrows(struct view *v)
{
	return ((struct inst_data *)v->data)->f.nrows;
}

static void inst_title(struct view *v, char *buf, size_t len)
{
	struct inst_data *d = v->data;
	const struct heap *h = v->b->h;
	char count[32], size[32], label[160];

	heap_count_text(d->nall, count, sizeof(count));
	heap_size_text(d->total, size, sizeof(size));
	filter_label(&d->f, label, sizeof(label));
	if (d->f.text[0])
		snprintf(buf, len, "%s: %zu of %s instances, by %s%s, filter: %s",
			 heap_str(h, h->types[d->type].name, NULL), d->f.nrows, count,
			 sort_names[d->sort], d->reverse ? " (reversed)" : "", label);
	else
		snprintf(buf, len, "%s: %s instances, %s, by %s%s",
			 heap_str(h, h->types[d->type].name, NULL), count, size,
			 sort_names[d->sort], d->reverse ? " (reversed)" : "");
}

static void inst_header(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "%-16s %10s %10s %9s  %s", "address", "size", "retained", "referrers",
		 "value");
}

static void inst_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	(void)attr;
	format(v, ((struct inst_data *)v->data)->f.rows[i], buf, len);
}

static unsigned inst_enter(struct view *v, size_t i)
{
	struct inst_data *d = v->data;

	return browser_push(v->b, view_object_new(v->b, d->f.rows[i]));
}

static uint32_t inst_current(struct view *v)
{
	struct inst_data *d = v->data;

	return v->cursor < d->f.nrows ? d->f.rows[v->cursor] : HEAP_NONE;
}

static unsigned inst_sort(struct view *v, int reverse)
{
	struct inst_data *d = v->data;

	if (reverse) {
		d->reverse = !d->reverse;
		apply(v, 0);
	} else {
		d->sort = (d->sort + 1) % BY_END;
		if (d->sort == BY_RETAINED && !v->b->h->retained)
			d->sort++;
		d->reverse = 0;
		apply(v, 1);
	}
	browser_message(v->b, "sorted by %s%s", sort_names[d->sort],
			d->reverse ? ", reversed" : "");
	return UI_REDRAW;
}

static struct ui_filter *inst_filter(struct view *v)
{
	return &((struct inst_data *)v->data)->f;
}

static void inst_free(struct view *v)
{
	struct inst_data *d = v->data;

	filter_release(&d->f);
	free(d->all);
}

static const struct view_key inst_keys[] = {
	{ CMD_ENTER, "open the row's object" },
	{ CMD_FILTER, "keep the objects whose row contains text (as you type)" },
	{ CMD_SORT, "sort by size, retained size, referrers, address or walk order" },
	{ CMD_REVERSE, NULL },
	{ CMD_PATH, "path from a root to the row's object" },
	{ CMD_NONE },
};

static const struct view_ops inst_ops = {
	.name = "instances",
	.nrows = inst_nrows,
	.title = inst_title,
	.header = inst_header,
	.row = inst_row,
	.enter = inst_enter,
	.sort = inst_sort,
	.filter = inst_filter,
	.current = inst_current,
	.free = inst_free,
	.keys = inst_keys,
};

struct view *view_instances_new(struct browser *b, uint32_t type)
{
	struct view *v;
	struct inst_data *d;
	const struct heap *h = b->h;
	size_t i, n = 0;

	if (type >= h->ntype)
		return NULL;
	/* the referrer counts need the reverse edges */
	browser_prepare(b, HEAP_NEED_REVERSE);
	v = view_new(b, &inst_ops, sizeof(struct inst_data));
	d = v->data;
	d->type = type;
	for (i = 0; i < h->nobj; i++)
		n += h->obj[i].type == type;
	d->all = xcalloc(n, sizeof(*d->all));
	for (i = 0; i < h->nobj; i++)
		if (h->obj[i].type == type) {
			d->all[d->nall++] = (uint32_t)i;
			d->total += heap_size(h, (uint32_t)i);
		}
	filter_init(&d->f, d->all, d->nall, inst_match, v);
	d->sort = BY_SIZE;
	apply(v, 1);
	return v;
}
