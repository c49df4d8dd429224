/*
 * view_object.c - one object: what it is, its value in full, then the
 * objects it refers to and those that refer to it, each with the name of
 * the reference.  Enter follows a reference.
 *
 * Rows: a few header rows (built when the view opens, and again when the
 * screen width changes: the value wraps), then the referents and the
 * referrers, which are not stored but computed from the row number, so an
 * object with a million referents costs no more than one with three.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

enum orow_kind {
	OR_TYPE,
	OR_DOMINATOR, /* a = the immediate dominator */
	OR_INFO,      /* text only */
	OR_ROOT,      /* a = roots[] index */
	OR_VALUE,     /* a = offset in val, b = bytes */
	OR_PATH,
	OR_BLANK,
};

struct orow {
	uint8_t kind;
	uint32_t a, b;
	char text[640]; /* whole: a row wider than the screen scrolls */
};

struct obj_data {
	uint32_t obj;
	struct orow *head;
	size_t nhead, cap;
	char *val; /* the value as shown (bytes escaped) */
	size_t nval;
	uint32_t nref, nrefby;
};

static const char *const flag_text[8] = {
	"gc",
	"immortal",
	"root",
	"held from outside",
	"size estimated",
	"referents scanned",
	"value cut",
	"inconsistent",
};

static struct orow *add_row(struct obj_data *d, enum orow_kind kind)
{
	struct orow *r;

	if (d->nhead == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->head = xreallocarray(d->head, d->cap, sizeof(*d->head));
	}
	r = &d->head[d->nhead++];
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	return r;
}

/* The value as it will be shown: str as its text (its line breaks break
 * lines), bytes with what is not printable ASCII escaped, the rest as
 * heapscope's summary. */
static void make_value(struct view *v, struct obj_data *d)
{
	const struct heap *h = v->b->h;
	char sum[512];
	const char *s;
	size_t n, i, o = 0;

	if (h->obj[d->obj].value == HEAP_NONE) {
		heap_summary(h, d->obj, sum, sizeof(sum));
		s = sum;
		n = strlen(sum);
	} else {
		s = heap_str(h, h->obj[d->obj].value, &n);
	}
	if (h->obj[d->obj].value == HEAP_NONE || strcmp(heap_type_name(h, d->obj), "bytes")) {
		d->val = xcalloc(n + 1, 1);
		memcpy(d->val, s, n);
		/* a NUL in a str is a character: drawn as '?', not an end */
		for (i = 0; i < n; i++)
			if (!d->val[i])
				d->val[i] = 1;
		d->nval = n;
		return;
	}
	d->val = xcalloc(4 * n + 4, 1);
	d->val[o++] = 'b';
	d->val[o++] = '\'';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '\'')
			o += (size_t)sprintf(d->val + o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			d->val[o++] = (char)c;
		else
			o += (size_t)sprintf(d->val + o, "\\x%02x", c);
	}
	d->val[o++] = '\'';
	d->nval = o;
}

/* Build the header rows for a screen cols wide. */
static void build(struct view *v, int cols)
{
	struct obj_data *d = v->data;
	const struct heap *h = v->b->h;
	uint32_t i = d->obj, k;
	char size[32], flags[200] = "";
	size_t off, line;
	int b, width = cols - 10 > 20 ? cols - 10 : 20;
	struct orow *r;

	d->nhead = 0;
	r = add_row(d, OR_TYPE);
	snprintf(r->text, sizeof(r->text), "type      %s  (Enter: all its instances)",
		 heap_type_name(h, i));
	r = add_row(d, OR_INFO);
	snprintf(r->text, sizeof(r->text), "address   0x%llx", (unsigned long long)h->obj[i].addr);
	r = add_row(d, OR_INFO);
	heap_size_text(heap_size(h, i), size, sizeof(size));
	snprintf(r->text, sizeof(r->text), "size      %llu bytes (%s)%s",
		 (unsigned long long)heap_size(h, i), size,
		 h->flags[i] & HO_SIZE_EST ? ", an estimate" : "");
	r = add_row(d, OR_INFO);
	snprintf(r->text, sizeof(r->text), "refcount  %u", h->obj[i].refcnt);
	for (b = 0; b < 8; b++)
		if (h->flags[i] & (1u << b))
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s",
				 flags[0] ? ", " : "", flag_text[b]);
	if (flags[0]) {
		r = add_row(d, OR_INFO);
		snprintf(r->text, sizeof(r->text), "flags     %s", flags);
	}
	for (k = 0; k < h->nroot; k++) {
		char name[200];

		if (h->roots[k].obj != i)
			continue;
		r = add_row(d, OR_ROOT);
		r->a = k;
		heap_edge_text(h, h->roots[k].name, name, sizeof(name));
		snprintf(r->text, sizeof(r->text), "root      %s%s%s",
			 heap_str(h, h->roots[k].label, NULL), h->roots[k].name ? " " : "",
			 h->roots[k].name ? name : "");
	}
	/* what keeps it alive alone, and what it alone keeps alive */
	if (h->retained && heap_reachable(h, i)) {
		char ret[32];

		r = add_row(d, OR_INFO);
		heap_size_text(h->retained[i], ret, sizeof(ret));
		snprintf(r->text, sizeof(r->text), "retained  %llu bytes (%s): freed if it went",
			 (unsigned long long)h->retained[i], ret);
		r = add_row(d, OR_DOMINATOR);
		r->a = h->idom[i];
		if (r->a < h->nobj)
			snprintf(r->text, sizeof(r->text),
				 "dominator 0x%llx %.300s (Enter: open; D: "
				 "the tree)",
				 (unsigned long long)h->obj[r->a].addr, heap_type_name(h, r->a));
		else
			snprintf(r->text, sizeof(r->text),
				 "dominator none: held by roots "
				 "directly, or by several (D: the tree)");
	} else if (h->retained) {
		r = add_row(d, OR_INFO);
		snprintf(r->text, sizeof(r->text),
			 "retained  nothing: no root leads to it "
			 "(garbage the next collection frees)");
	}
	/* the value, wrapped to the screen and at its own line breaks */
	for (off = 0, line = 0; off < d->nval || line == 0; line++) {
		size_t end = off, fit;

		while (end < d->nval && d->val[end] != '\n')
			end++;
		fit = text_fit(v->b, d->val + off, end - off, width);
		if (fit == 0 && end > off)
			fit = 1;
		r = add_row(d, OR_VALUE);
		r->a = (uint32_t)off;
		r->b = (uint32_t)fit;
		off += fit;
		if (off == end && end < d->nval)
			off++; /* past the line break */
		if (d->nhead > (1u << 20))
			break;
	}
	r = add_row(d, OR_PATH);
	snprintf(r->text, sizeof(r->text), "why alive (Enter or p: the path from a root)");
	add_row(d, OR_BLANK);
}

static size_t obj_nrows(struct view *v)
{
	struct obj_data *d = v->data;

	return d->nhead + 1 + d->nref + 2 + d->nrefby;
}

static void obj_title(struct view *v, char *buf, size_t len)
{
	struct obj_data *d = v->data;
	const struct heap *h = v->b->h;

	snprintf(buf, len, "Object 0x%llx  %s", (unsigned long long)h->obj[d->obj].addr,
		 heap_type_name(h, d->obj));
}

/* An edge to or from other as a row.  A scanned edge has no name:
 * heap_edge_text already calls it "(scanned)". */
static void edge_row(struct view *v, uint32_t name, uint32_t other, char *buf, size_t len)
{
	char ename[300];

	heap_edge_text(v->b->h, name, ename, sizeof(ename));
	if (HEAP_EDGE_KIND(name) == HE_WEAK)
		strncat(ename, " (weak)", sizeof(ename) - strlen(ename) - 1);
	row_object(v->b, buf, len, "  ", ename, other);
}

/* Which part row i is in: 0 header, 1 referents, 2 referrers; *k the
 * index inside it (-1 for a section title or gap). */
static int part(struct obj_data *d, size_t i, long *k)
{
	if (i < d->nhead) {
		*k = (long)i;
		return 0;
	}
	i -= d->nhead;
	if (i < 1 + (size_t)d->nref) {
		*k = (long)i - 1;
		return 1;
	}
	i -= 1 + d->nref;
	*k = (long)i - 2;
	return 2;
}

static void obj_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct obj_data *d = v->data;
	const struct heap *h = v->b->h;
	long k;
	int p = part(d, i, &k);

	if (p == 0) {
		const struct orow *r = &d->head[k];

		if (r->kind == OR_VALUE) {
			size_t n = r->b < len - 11 ? r->b : len - 11;

			snprintf(buf, len, "%s", r->a == 0 ? "value     " : "          ");
			memcpy(buf + 10, d->val + r->a, n);
			buf[10 + n] = '\0';
		} else {
			snprintf(buf, len, "%s", r->text);
		}
		return;
	}
	if (p == 1 && k < 0) {
		snprintf(buf, len, "referents (%u): what it refers to", d->nref);
		*attr = ROW_HEADING;
		return;
	}
	if (p == 2 && k == -2)
		return;
	if (p == 2 && k == -1) {
		snprintf(buf, len, "referrers (%u): what refers to it", d->nrefby);
		*attr = ROW_HEADING;
		return;
	}
	if (p == 1) {
		uint32_t e = h->edge_start[d->obj] + (uint32_t)k;

		edge_row(v, h->edge_name[e], h->edge_dst[e], buf, len);
	} else {
		uint32_t e = h->rev_start[d->obj] + (uint32_t)k;

		edge_row(v, h->edge_name[h->rev_edge[e]], h->rev_src[e], buf, len);
	}
}

static unsigned obj_enter(struct view *v, size_t i)
{
	struct obj_data *d = v->data;
	const struct heap *h = v->b->h;
	long k;
	int p = part(d, i, &k);
	uint32_t other;

	if (p == 0) {
		switch (d->head[k].kind) {
		case OR_TYPE:
			return browser_push(v->b, view_instances_new(v->b, h->obj[d->obj].type));
		case OR_DOMINATOR:
			if (d->head[k].a >= h->nobj)
				return browser_push(v->b, view_domtree_new(v->b, d->obj));
			return browser_push(v->b, view_object_new(v->b, d->head[k].a));
		case OR_PATH:
		case OR_ROOT:
			return browser_push(v->b, view_path_new(v->b, d->obj));
		default:
			return 0;
		}
	}
	if (k < 0)
		return 0;
	if (p == 1)
		other = h->edge_dst[h->edge_start[d->obj] + (uint32_t)k];
	else
		other = h->rev_src[h->rev_start[d->obj] + (uint32_t)k];
	if (other >= h->nobj)
		return 0;
	return browser_push(v->b, view_object_new(v->b, other));
}

static uint32_t obj_current(struct view *v)
{
	return ((struct obj_data *)v->data)->obj;
}

/* The value wraps again: the header has another number of rows, and the
 * cursor stays on the same referent or referrer (unsigned arithmetic is
 * right when the header shrinks too). */
static void obj_resize(struct view *v, int cols)
{
	struct obj_data *d = v->data;
	size_t old = d->nhead;

	build(v, cols);
	if (v->cursor >= old)
		v->cursor += d->nhead - old;
	else if (v->cursor >= d->nhead)
		v->cursor = d->nhead - 1;
	if (v->top >= old)
		v->top += d->nhead - old;
	else if (v->top > v->cursor)
		v->top = v->cursor;
}

static void obj_free(struct view *v)
{
	struct obj_data *d = v->data;

	free(d->head);
	free(d->val);
}

static const struct view_key obj_keys[] = {
	{ CMD_ENTER, "follow the row: a reference, the type's instances, the dominator, "
		     "the path" },
	{ CMD_PATH, "path from a root to this object" },
	{ CMD_INSTANCES, "all instances of this object's type" },
	{ CMD_NONE },
};

static const struct view_ops obj_ops = {
	.name = "object",
	.nrows = obj_nrows,
	.title = obj_title,
	.row = obj_row,
	.enter = obj_enter,
	.resize = obj_resize,
	.current = obj_current,
	.free = obj_free,
	.keys = obj_keys,
};

struct view *view_object_new(struct browser *b, uint32_t obj)
{
	struct view *v;
	struct obj_data *d;
	const struct heap *h = b->h;

	if (obj >= h->nobj || browser_prepare(b, HEAP_NEED_REVERSE))
		return NULL;
	v = view_new(b, &obj_ops, sizeof(struct obj_data));
	d = v->data;
	d->obj = obj;
	d->nref = h->edge_start[obj + 1] - h->edge_start[obj];
	d->nrefby = h->rev_start[obj + 1] - h->rev_start[obj];
	make_value(v, d);
	build(v, b->cols);
	/* start on the first referent, what users follow first, if that
	 * keeps the header on screen */
	if (d->nref && (int)d->nhead + 2 < b->rows - 4)
		v->cursor = d->nhead + 1;
	return v;
}
