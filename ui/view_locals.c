/*
 * view_locals.c - the objects one frame (or one thread state) holds:
 * the roots that carry its label, each with its variable's name.  Up to
 * 3.10 a running frame is an object, the root, and its variables are its
 * references: they are listed too.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

struct local {
	uint32_t obj;
	uint32_t name; /* HEAP_EDGE name; 0 for a frame object itself */
};

struct locals_data {
	char label[700];
	struct local *rows;
	size_t n, cap;
};

static void add(struct locals_data *d, uint32_t obj, uint32_t name)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	d->rows[d->n++] = (struct local){ obj, name };
}

static size_t locals_nrows(struct view *v)
{
	struct locals_data *d = v->data;

	return d->n ? d->n : 1;
}

static void locals_title(struct view *v, char *buf, size_t len)
{
	struct locals_data *d = v->data;

	snprintf(buf, len, "Held by %s: %zu objects", d->label, d->n);
}

static void locals_header(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "  %-24s %-16s %-16s %9s  %s", "name", "address", "type", "size",
		 "value");
}

static void locals_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct locals_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct local *r;
	char name[300] = "";

	if (!d->n) {
		snprintf(buf, len,
			 "nothing: the frame holds no objects (or the walk could not "
			 "read them)");
		*attr = ROW_DIM;
		return;
	}
	r = &d->rows[i];
	if (r->name)
		heap_edge_text(h, r->name, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(the frame)");
	row_object(v->b, buf, len, "  ", name, r->obj);
}

static unsigned locals_enter(struct view *v, size_t i)
{
	struct locals_data *d = v->data;

	if (!d->n)
		return 0;
	return browser_push(v->b, view_object_new(v->b, d->rows[i].obj));
}

static uint32_t locals_current(struct view *v)
{
	struct locals_data *d = v->data;

	return v->cursor < d->n ? d->rows[v->cursor].obj : HEAP_NONE;
}

static void locals_free(struct view *v)
{
	free(((struct locals_data *)v->data)->rows);
}

static const struct view_key locals_keys[] = {
	{ CMD_ENTER, "open the row's object" },
	{ CMD_PATH, "path from a root to the row's object" },
	{ CMD_INSTANCES, "all instances of the row's object's type" },
	{ CMD_NONE },
};

static const struct view_ops locals_ops = {
	.name = "locals",
	.nrows = locals_nrows,
	.title = locals_title,
	.header = locals_header,
	.row = locals_row,
	.enter = locals_enter,
	.current = locals_current,
	.free = locals_free,
	.keys = locals_keys,
};

struct view *view_locals_new(struct browser *b, const char *label)
{
	const struct heap *h = b->h;
	struct view *v = view_new(b, &locals_ops, sizeof(struct locals_data));
	struct locals_data *d = v->data;
	size_t i;
	uint32_t e, o;

	snprintf(d->label, sizeof(d->label), "%s", label);
	for (i = 0; i < h->nroot; i++) {
		o = h->roots[i].obj;
		if (o >= h->nobj || strcmp(heap_str(h, h->roots[i].label, NULL), label))
			continue;
		add(d, o, h->roots[i].name);
		if (h->roots[i].name || strcmp(heap_type_name(h, o), "frame"))
			continue;
		for (e = h->edge_start[o]; e < h->edge_start[o + 1]; e++)
			if (HEAP_NAME_KIND(h->edge_name[e]) == HN_LOCAL && h->edge_dst[e] < h->nobj)
				add(d, h->edge_dst[e], h->edge_name[e]);
	}
	return v;
}
