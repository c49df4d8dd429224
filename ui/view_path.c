/*
 * view_path.c - why an object is alive: the chain from a root to it, each
 * step with the name of the reference.  Enter opens a step.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

struct path_data {
	uint32_t obj, root;
	uint32_t *path, *edges;
	size_t n;
	int found;
};

static size_t path_nrows(struct view *v)
{
	struct path_data *d = v->data;

	return d->found ? d->n + 1 : 1;
}

static void path_title(struct view *v, char *buf, size_t len)
{
	struct path_data *d = v->data;
	const struct heap *h = v->b->h;

	snprintf(buf, len, "Path from a root to 0x%llx  %s",
		 (unsigned long long)h->obj[d->obj].addr, heap_type_name(h, d->obj));
}

static void path_header(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "     %-24s %-16s %-16s %9s  %s", "reference", "address", "type", "size",
		 "value");
}

static void path_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct path_data *d = v->data;
	const struct heap *h = v->b->h;
	char name[300] = "";
	uint32_t o;

	if (!d->found) {
		snprintf(buf, len,
			 "not reachable from any root: garbage that the next full "
			 "collection would free");
		*attr = ROW_DIM;
		return;
	}
	if (i == 0) {
		const struct heap_root *r = &h->roots[d->root];

		heap_edge_text(h, r->name, name, sizeof(name));
		snprintf(buf, len, "root: %s (%s)%s%s", heap_str(h, r->label, NULL),
			 heap_root_kind_name(r->kind), r->name ? " " : "", r->name ? name : "");
		*attr = ROW_HEADING;
		return;
	}
	o = d->path[i - 1];
	if (i > 1)
		heap_edge_text(h, h->edge_name[d->edges[i - 2]], name, sizeof(name));
	row_object(v->b, buf, len, i > 1 ? "  -> " : "     ", name, o);
}

static unsigned path_enter(struct view *v, size_t i)
{
	struct path_data *d = v->data;

	if (!d->found)
		return 0;
	return browser_push(v->b, view_object_new(v->b, d->path[i ? i - 1 : 0]));
}

static uint32_t path_current(struct view *v)
{
	struct path_data *d = v->data;

	if (!d->found || !v->cursor)
		return d->obj;
	return d->path[v->cursor - 1];
}

static void path_free(struct view *v)
{
	struct path_data *d = v->data;

	free(d->path);
	free(d->edges);
}

static const struct view_key path_keys[] = {
	{ CMD_ENTER, "open the step's object" },
	{ CMD_INSTANCES, "all instances of the step's object's type" },
	{ CMD_NONE },
};

static const struct view_ops path_ops = {
	.name = "path",
	.nrows = path_nrows,
	.title = path_title,
	.header = path_header,
	.row = path_row,
	.enter = path_enter,
	.current = path_current,
	.free = path_free,
	.keys = path_keys,
};

struct view *view_path_new(struct browser *b, uint32_t obj)
{
	struct hs_error err = HS_ERROR_INIT;
	struct view *v;
	struct path_data *d;
	int found;

	if (obj >= b->h->nobj)
		return NULL;
	v = view_new(b, &path_ops, sizeof(struct path_data));
	d = v->data;
	d->obj = obj;
	found = query_path(b->h, obj, &d->path, &d->edges, &d->n, &d->root, &err);
	if (found < 0) {
		browser_message(b, "%s", err.msg);
		free(v->data);
		free(v);
		return NULL;
	}
	d->found = found;
	/* the cursor starts on the object itself, the last step */
	v->cursor = found ? d->n : 0;
	return v;
}
