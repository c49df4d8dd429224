/*
 * view_suspects.c - leak suspects (suspects.h): each in one sentence,
 * then its accumulation point, its elements and the path from a root to
 * it; Enter opens the object of a row.
 *
 * The sentences and other prose wrap at the screen's width (again when it
 * changes), so they are read whole in 80 columns; the path's rows are
 * columns, and scroll sideways as in every view.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/suspects.h"
#include "ui_internal.h"

#define SUSPECTS_SHOWN 20
#define HANG 3 /* a wrapped row's next lines: this much further in */

/* A row as built: one object's (or none), and its text. */
struct srow {
	uint32_t obj; /* HEAP_NONE: text only */
	int attr;
	int wrap; /* prose: wraps at the screen's width */
	char *text;
};

/* A line on screen: a row, or the part of a wrapped one from off. */
struct sline {
	uint32_t row;
	uint32_t off, len;
};

struct suspects_data {
	struct srow *rows;
	size_t n, cap;
	struct sline *lines;
	size_t nlines;
	size_t nsus;
};

/* A new row; its text (len bytes at most) is for the caller to write. */
static struct srow *add(struct suspects_data *d, uint32_t obj, int attr, int wrap, size_t len)
{
	struct srow *r;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	r = &d->rows[d->n++];
	r->obj = obj;
	r->attr = attr;
	r->wrap = wrap;
	r->text = xcalloc(len, 1);
	return r;
}

#define ROW_TEXT 2048 /* a row's text at most (a sentence: 1600) */

static void add_line(struct suspects_data *d, size_t *cap, size_t row, size_t off, size_t len)
{
	if (d->nlines == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		d->lines = xreallocarray(d->lines, *cap, sizeof(*d->lines));
	}
	d->lines[d->nlines++] = (struct sline){ (uint32_t)row, (uint32_t)off, (uint32_t)len };
}

/* The lines of every row for a screen cols wide: a prose row broken at
 * spaces (within a word too long for a line), its next lines HANG
 * further in than its own indent. */
static void build_lines(struct view *v, int cols)
{
	struct suspects_data *d = v->data;
	size_t cap = 0, k, off, n, fit, cut, indent;
	const char *t;
	int width;

	free(d->lines);
	d->lines = NULL;
	d->nlines = 0;
	for (k = 0; k < d->n; k++) {
		t = d->rows[k].text;
		n = strlen(t);
		if (!d->rows[k].wrap || text_width(v->b, t, n) <= cols) {
			add_line(d, &cap, k, 0, n);
			continue;
		}
		indent = strspn(t, " ") + HANG;
		for (off = 0; off < n;) {
			width = cols - (off ? (int)indent : 0);
			if (width < 10)
				width = 10;
			fit = text_fit(v->b, t + off, n - off, width);
			if (!fit)
				fit = 1; /* a character wider than the line */
			cut = fit;
			if (off + fit < n) {
				while (cut > 0 && t[off + cut] != ' ')
					cut--;
				if (!cut)
					cut = fit;
			}
			add_line(d, &cap, k, off, cut);
			off += cut;
			while (off < n && t[off] == ' ')
				off++;
		}
	}
}

static size_t suspects_nrows(struct view *v)
{
	return ((struct suspects_data *)v->data)->nlines;
}

static void suspects_title(struct view *v, char *buf, size_t len)
{
	struct suspects_data *d = v->data;

	snprintf(buf, len, "Leak suspects: %zu object%s retaining over %.0f%% of the heap", d->nsus,
		 d->nsus == 1 ? "" : "s", (double)SUSPECTS_DEFAULT_PCT);
}

static void suspects_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct suspects_data *d = v->data;
	const struct sline *l = &d->lines[i];
	const struct srow *r = &d->rows[l->row];
	size_t indent = l->off ? strspn(r->text, " ") + HANG : 0;

	snprintf(buf, len, "%*s%.*s", (int)indent, "", (int)l->len, r->text + l->off);
	*attr = r->attr;
}

static uint32_t row_obj(struct view *v, size_t i)
{
	struct suspects_data *d = v->data;

	return i < d->nlines ? d->rows[d->lines[i].row].obj : HEAP_NONE;
}

static unsigned suspects_enter(struct view *v, size_t i)
{
	uint32_t o = row_obj(v, i);

	if (o == HEAP_NONE)
		return 0;
	return browser_push(v->b, view_object_new(v->b, o));
}

static uint32_t suspects_current(struct view *v)
{
	return row_obj(v, v->cursor);
}

/* The screen's width changed: wrap again, the cursor and the top on the
 * first line of the rows they were on. */
static void suspects_resize(struct view *v, int cols)
{
	struct suspects_data *d = v->data;
	size_t cur = v->cursor < d->nlines ? d->lines[v->cursor].row : 0;
	size_t top = v->top < d->nlines ? d->lines[v->top].row : 0, i;

	build_lines(v, cols);
	v->cursor = v->top = 0;
	for (i = d->nlines; i-- > 0;) {
		if (d->lines[i].row == cur)
			v->cursor = i;
		if (d->lines[i].row == top)
			v->top = i;
	}
}

static void suspects_free(struct view *v)
{
	struct suspects_data *d = v->data;
	size_t k;

	for (k = 0; k < d->n; k++)
		free(d->rows[k].text);
	free(d->rows);
	free(d->lines);
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
	.resize = suspects_resize,
	.current = suspects_current,
	.free = suspects_free,
	.keys = suspects_keys,
};

/* The rows of one suspect. */
static void describe(struct browser *b, struct suspects_data *d, size_t k, const struct suspect *s,
		     const struct suspect_words *w)
{
	const struct heap *h = b->h;
	char sum[256], size[32], name[300];
	struct srow *r;
	size_t j;

	r = add(d, s->point, ROW_HEADING, 1, ROW_TEXT);
	snprintf(r->text, ROW_TEXT, "%zu. %s", k + 1, w->sentence);
	heap_summary(h, s->point, sum, sizeof(sum));
	heap_size_text(s->retained, size, sizeof(size));
	r = add(d, s->point, ROW_PLAIN, 1, ROW_TEXT);
	snprintf(r->text, ROW_TEXT, "   accumulation point 0x%llx %s %s, retains %s",
		 (unsigned long long)h->obj[s->point].addr, heap_type_name(h, s->point), sum, size);
	if (s->elem_type != HEAP_NONE && s->elem_type < h->ntype) {
		heap_size_text(s->elem_retained, size, sizeof(size));
		r = add(d, HEAP_NONE, ROW_DIM, 1, ROW_TEXT);
		snprintf(r->text, ROW_TEXT, "   elements: %llu %s retaining %s",
			 (unsigned long long)s->elem_count,
			 heap_str(h, h->types[s->elem_type].name, NULL), size);
	}
	if (!w->found)
		return;
	heap_edge_text(h, h->roots[w->root].name, name, sizeof(name));
	r = add(d, w->npath ? w->path[0] : HEAP_NONE, ROW_DIM, 1, ROW_TEXT);
	snprintf(r->text, ROW_TEXT, "   path: root %s%s%s",
		 heap_str(h, h->roots[w->root].label, NULL), h->roots[w->root].name ? " " : "",
		 h->roots[w->root].name ? name : "");
	for (j = 0; j < w->npath; j++) {
		name[0] = '\0';
		if (j)
			heap_edge_text(h, h->edge_name[w->edges[j - 1]], name, sizeof(name));
		r = add(d, w->path[j], ROW_PLAIN, 0, ROW_TEXT);
		row_object(b, r->text, ROW_TEXT, j ? "     -> " : "        ", name, w->path[j]);
	}
	add(d, HEAP_NONE, ROW_PLAIN, 0, 1);
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
	total = heap_total_size(h);
	if (suspects_find(h, SUSPECTS_DEFAULT_PCT / 100.0, total, &sus, &n, &err) ||
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
		struct srow *r = add(d, HEAP_NONE, ROW_DIM, 1, ROW_TEXT);

		snprintf(r->text, ROW_TEXT,
			 "no object retains more than %.0f%% of the heap: "
			 "no single place holds most of it",
			 (double)SUSPECTS_DEFAULT_PCT);
	} else if (n > SUSPECTS_SHOWN) {
		struct srow *r = add(d, HEAP_NONE, ROW_DIM, 1, ROW_TEXT);

		snprintf(r->text, ROW_TEXT, "... %zu more (heapscope suspects lists them all)",
			 n - SUSPECTS_SHOWN);
	}
	suspect_names_release(&names);
	free(sus);
	return v;
}
