/*
 * view_suspects.c - leak suspects (suspects.h): each in one sentence,
 * then its accumulation point, its elements and the path from a root to
 * it; Enter opens the object of a row.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suspects.h"
#include "ui_internal.h"

#define SUSPECTS_SHOWN 20
#define SUSPECTS_THRESHOLD 0.10

struct srow {
	uint32_t obj;		/* HEAP_NONE: text only */
	int attr;
	char text[600];
};

struct suspects_data {
	struct srow *rows;
	size_t n, cap;
	size_t nsus;
};

static struct srow *add(struct suspects_data *d, uint32_t obj, int attr)
{
	struct srow *r;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	r = &d->rows[d->n++];
	r->obj = obj;
	r->attr = attr;
	r->text[0] = '\0';
	return r;
}

static size_t suspects_nrows(struct view *v)
{
	return ((struct suspects_data *)v->data)->n;
}

static void suspects_title(struct view *v, char *buf, size_t len)
{
	struct suspects_data *d = v->data;

	snprintf(buf, len, "Leak suspects: %zu object%s retaining over %.0f%% of the heap", d->nsus,
		 d->nsus == 1 ? "" : "s", 100 * SUSPECTS_THRESHOLD);
}

static void suspects_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct suspects_data *d = v->data;

	snprintf(buf, len, "%s", d->rows[i].text);
	*attr = d->rows[i].attr;
}

static unsigned suspects_enter(struct view *v, size_t i)
{
	struct suspects_data *d = v->data;

	if (d->rows[i].obj == HEAP_NONE)
		return 0;
	return browser_push(v->b, view_object_new(v->b, d->rows[i].obj));
}

static uint32_t suspects_current(struct view *v)
{
	struct suspects_data *d = v->data;

	return v->cursor < d->n ? d->rows[v->cursor].obj : HEAP_NONE;
}

static void suspects_free(struct view *v)
{
	free(((struct suspects_data *)v->data)->rows);
}

static const struct view_key suspects_keys[] = {
	{ CMD_ENTER, "open the row's object" },
	{ CMD_PATH, "path from a root to the row's object" },
	{ CMD_DOMTREE, "dominator tree, opened at the row's object" },
	{ CMD_NONE },
};

static const struct view_ops suspects_ops = {
	.name = "suspects",
	.nrows = suspects_nrows,
	.title = suspects_title,
	.row = suspects_row,
	.enter = suspects_enter,
	.current = suspects_current,
	.free = suspects_free,
	.keys = suspects_keys,
};

/* The rows of one suspect. */
static void describe(struct browser *b, struct suspects_data *d, size_t k,
		     const struct suspect *s, const struct suspect_words *w)
{
	const struct heap *h = b->h;
	char sum[256], size[32], name[300];
	struct srow *r;
	size_t j;

	r = add(d, s->point, ROW_HEADING);
	snprintf(r->text, sizeof(r->text), "%zu. %s", k + 1, w->sentence);
	heap_summary(h, s->point, sum, sizeof(sum));
	heap_size_text(s->retained, size, sizeof(size));
	r = add(d, s->point, ROW_PLAIN);
	snprintf(r->text, sizeof(r->text), "   accumulation point 0x%llx %s %s, retains %s",
		 (unsigned long long)h->obj[s->point].addr, heap_type_name(h, s->point), sum, size);
	if (s->elem_type != HEAP_NONE && s->elem_type < h->ntype) {
		heap_size_text(s->elem_retained, size, sizeof(size));
		r = add(d, HEAP_NONE, ROW_DIM);
		snprintf(r->text, sizeof(r->text), "   elements: %llu %s retaining %s",
			 (unsigned long long)s->elem_count,
			 heap_str(h, h->types[s->elem_type].name, NULL), size);
	}
	if (!w->found)
		return;
	heap_edge_text(h, h->roots[w->root].name, name, sizeof(name));
	r = add(d, w->npath ? w->path[0] : HEAP_NONE, ROW_DIM);
	snprintf(r->text, sizeof(r->text), "   path: root %s%s%s",
		 heap_str(h, h->roots[w->root].label, NULL), h->roots[w->root].name ? " " : "",
		 h->roots[w->root].name ? name : "");
	for (j = 0; j < w->npath; j++) {
		name[0] = '\0';
		if (j)
			heap_edge_text(h, h->edge_name[w->edges[j - 1]], name, sizeof(name));
		r = add(d, w->path[j], ROW_PLAIN);
		row_object(b, r->text, sizeof(r->text), j ? "     -> " : "        ", name,
			   w->path[j]);
	}
	add(d, HEAP_NONE, ROW_PLAIN);
}

struct view *view_suspects_new(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	const struct heap *h = b->h;
	struct suspect_names names;
	struct suspect *sus = NULL;
	struct view *v;
	struct suspects_data *d;
	uint64_t total = 0;
	size_t n = 0, i;

	if (!h->idom) {
		browser_message(b, "no leak suspects: the dominators could not be computed");
		return NULL;
	}
	for (i = 0; i < h->nobj; i++)
		total += heap_size(h, (uint32_t)i);
	if (suspects_find(h, SUSPECTS_THRESHOLD, total, &sus, &n, &err) ||
	    suspect_names_build(h, &names, &err)) {
		free(sus);
		browser_message(b, "%s", err.msg);
		return NULL;
	}
	v = view_new(b, &suspects_ops, sizeof(struct suspects_data));
	d = v->data;
	d->nsus = n;
	for (i = 0; i < n && i < SUSPECTS_SHOWN; i++) {
		struct suspect_words w;

		if (suspect_explain(h, &names, &sus[i], total, &w, &err)) {
			suspect_words_release(&w);
			browser_message(b, "%s", err.msg);
			break;
		}
		describe(b, d, i, &sus[i], &w);
		suspect_words_release(&w);
	}
	if (!n) {
		struct srow *r = add(d, HEAP_NONE, ROW_DIM);

		snprintf(r->text, sizeof(r->text), "no object retains more than %.0f%% of the heap: "
			 "no single place holds most of it", 100 * SUSPECTS_THRESHOLD);
	} else if (n > SUSPECTS_SHOWN) {
		struct srow *r = add(d, HEAP_NONE, ROW_DIM);

		snprintf(r->text, sizeof(r->text), "... %zu more (heapscope suspects lists them all)",
			 n - SUSPECTS_SHOWN);
	}
	suspect_names_release(&names);
	free(sus);
	return v;
}
