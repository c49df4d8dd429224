/*
 * export_dot.c - heapscope export --format dot: an objgraph-style
 * Graphviz graph around one object.
 *
 * Breadth-first from x->root along references or, with x->backrefs,
 * against them (stopping at roots: they are why the object is alive), at
 * most x->depth steps and x->max_nodes objects.  An object shows at most
 * DOT_FANOUT of its references; the others, and those to objects past
 * the node budget, are summed up in a "N more" note next to it, and the
 * graph's title counts what was left out.
 *
 * Nodes are named by address ("0x7f..."), labelled with type, summary and
 * size, and why the object is a root if it is one (green, double border);
 * the starting object is orange.  Edges carry the reference's name
 * (.attr, ['key'], [3]); weak references are dashed, those found by a
 * conservative scan dotted.  Every string from the target is escaped for
 * a DOT quoted string: quotes and backslashes escaped, control bytes shown
 * as \xNN, invalid UTF-8 replaced by U+FFFD, long ones cut.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"

#define DOT_FANOUT 40
#define LABEL_CHARS 48	    /* characters of a summary, name or label shown */
#define LEFT_OUT UINT32_MAX /* node[]: an object counted as left out */

struct dot_edge {
	uint32_t from, to; /* objects, in the direction of the reference */
	uint32_t edge;	   /* its index in h->edge_name */
};

struct dot {
	const struct heap *h;
	uint32_t *node;	 /* object -> its position in order[] + 1 */
	uint32_t *order; /* the objects drawn, as found */
	uint32_t *level; /* their distance from the root */
	uint32_t *more;	 /* their references not drawn */
	uint32_t *root;	 /* their first roots[] entry + 1, or 0 */
	size_t n;
	struct dot_edge *edges;
	size_t nedges, cap;
	uint64_t left_out; /* objects past max_nodes */
	int fanout_cut;
	int backrefs;
};

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0. */
static int utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned cp;
	int n, k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)n > avail)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* len bytes of s inside a DOT quoted string, at most max characters. */
static void put_dot(FILE *f, const char *str, size_t len, size_t max)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	size_t chars = 0;
	int n;

	for (; s < end; chars++) {
		if (chars == max) {
			fputs("\xe2\x80\xa6", f); /* U+2026, the text goes on */
			return;
		}
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			/* shown as text: a backslash (escaped), x, two digits */
			fprintf(f, "\\\\x%02x", *s++);
		} else if ((n = utf8_seq(s, (size_t)(end - s))) > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			s++;
		}
	}
}

static void put_dots(FILE *f, const char *s, size_t max)
{
	put_dot(f, s, strlen(s), max);
}

/* Draw object i, found at distance level (there is room: max_nodes). */
static void add_node(struct dot *d, uint32_t i, uint32_t level)
{
	d->order[d->n] = i;
	d->level[d->n] = level;
	d->node[i] = (uint32_t)++d->n;
}

static int add_edge(struct dot *d, uint32_t from, uint32_t to, uint32_t e)
{
	if (d->nedges == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		struct dot_edge *ne = realloc(d->edges, cap * sizeof(*ne));

		if (!ne)
			return -1;
		d->edges = ne;
		d->cap = cap;
	}
	d->edges[d->nedges++] = (struct dot_edge){ from, to, e };
	return 0;
}

/* Breadth-first from x->root. -1 on OOM. */
static int walk(struct dot *d, const struct export *x)
{
	const struct heap *h = d->h;
	size_t q;

	add_node(d, x->root, 0);
	for (q = 0; q < d->n; q++) {
		uint32_t i = d->order[q], k, lo, hi, shown = 0;

		if (d->level[q] >= x->depth)
			continue;
		if (x->backrefs && q && h->flags[i] & HO_ROOT)
			continue;
		lo = x->backrefs ? h->rev_start[i] : h->edge_start[i];
		hi = x->backrefs ? h->rev_start[i + 1] : h->edge_start[i + 1];
		for (k = lo; k < hi; k++) {
			uint32_t other = x->backrefs ? h->rev_src[k] : h->edge_dst[k];
			uint32_t e = x->backrefs ? h->rev_edge[k] : k;

			if (shown >= DOT_FANOUT) {
				d->more[q]++;
				d->fanout_cut = 1;
				continue;
			}
			if (d->node[other] == LEFT_OUT) {
				d->more[q]++;
				continue;
			}
			if (!d->node[other]) {
				if (d->n >= x->max_nodes) {
					d->node[other] = LEFT_OUT;
					d->left_out++;
					d->more[q]++;
					continue;
				}
				add_node(d, other, d->level[q] + 1);
			}
			if (x->backrefs ? add_edge(d, other, i, e) : add_edge(d, i, other, e))
				return -1;
			shown++;
		}
	}
	/* why the objects drawn are roots: the first reason, for the label */
	for (q = 0; q < h->nroot; q++) {
		uint32_t o = h->roots[q].obj, at = d->node[o];

		if (at && at != LEFT_OUT && !d->root[at - 1])
			d->root[at - 1] = (uint32_t)q + 1;
	}
	return 0;
}

static void put_node(const struct dot *d, FILE *f, size_t q)
{
	const struct heap *h = d->h;
	uint32_t i = d->order[q];
	char sum[256];
	size_t len;
	const char *label;

	heap_summary(h, i, sum, sizeof(sum));
	fprintf(f, "\t\"0x%llx\" [label=\"", (unsigned long long)h->obj[i].addr);
	put_dots(f, heap_type_name(h, i), LABEL_CHARS);
	fputs("\\n", f);
	put_dots(f, sum, LABEL_CHARS);
	fprintf(f, "\\n%llu B", (unsigned long long)heap_size(h, i));
	if (d->root[q]) {
		const struct heap_root *r = &h->roots[d->root[q] - 1];

		/* the label says more than the kind, where there is one */
		fputs("\\nroot: ", f);
		label = heap_str(h, r->label, &len);
		if (len)
			put_dot(f, label, len, LABEL_CHARS);
		else
			put_dots(f, heap_root_kind_name(r->kind), LABEL_CHARS);
	}
	fputc('"', f);
	if (!q)
		fputs(", fillcolor=\"#ffc87a\", penwidth=2", f);
	else if (d->root[q])
		fputs(", fillcolor=\"#b8e8b0\", peripheries=2", f);
	fputs("];\n", f);
	if (d->more[q]) {
		fprintf(f, "\t\"0x%llx more\" [shape=plaintext, style=\"\", label=\"%u more\"];\n",
			(unsigned long long)h->obj[i].addr, d->more[q]);
		if (d->backrefs)
			fprintf(f, "\t\"0x%llx more\" -> \"0x%llx\" [style=dotted];\n",
				(unsigned long long)h->obj[i].addr,
				(unsigned long long)h->obj[i].addr);
		else
			fprintf(f, "\t\"0x%llx\" -> \"0x%llx more\" [style=dotted];\n",
				(unsigned long long)h->obj[i].addr,
				(unsigned long long)h->obj[i].addr);
	}
}

static void put_edge(const struct dot *d, FILE *f, const struct dot_edge *e)
{
	const struct heap *h = d->h;
	uint32_t name = h->edge_name[e->edge];
	char text[300];

	heap_edge_text(h, name, text, sizeof(text));
	fprintf(f, "\t\"0x%llx\" -> \"0x%llx\" [label=\"", (unsigned long long)h->obj[e->from].addr,
		(unsigned long long)h->obj[e->to].addr);
	put_dots(f, text, LABEL_CHARS);
	fputc('"', f);
	if (HEAP_EDGE_KIND(name) == HE_WEAK)
		fputs(", style=dashed", f);
	else if (HEAP_EDGE_KIND(name) == HE_SCANNED)
		fputs(", style=dotted", f);
	fputs("];\n", f);
}

static void put_graph(const struct dot *d, const struct export *x)
{
	const struct heap *h = d->h;
	FILE *f = x->f;
	char sum[256];
	size_t q;

	heap_summary(h, x->root, sum, sizeof(sum));
	fputs("digraph heapscope {\n\tgraph [labelloc=t, fontname=\"Helvetica\", label=\"", f);
	fprintf(f, "%s 0x%llx (", x->backrefs ? "what refers to" : "references from",
		(unsigned long long)h->obj[x->root].addr);
	put_dots(f, heap_type_name(h, x->root), LABEL_CHARS);
	fputc(' ', f);
	put_dots(f, sum, LABEL_CHARS);
	fprintf(f, "), depth %u: %zu objects", x->depth, d->n);
	if (d->left_out)
		fprintf(f, "; %llu more left out (--max-nodes %zu)",
			(unsigned long long)d->left_out, x->max_nodes);
	if (d->fanout_cut)
		fprintf(f, "; at most %d references shown per object", DOT_FANOUT);
	fputs("\"];\n"
	      "\tnode [shape=box, style=\"rounded,filled\", fillcolor=\"#e8ecf8\", "
	      "fontname=\"Helvetica\", fontsize=10];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=9];\n",
	      f);
	for (q = 0; q < d->n; q++)
		put_node(d, f, q);
	for (q = 0; q < d->nedges; q++)
		put_edge(d, f, &d->edges[q]);
	fputs("}\n", f);
}

int export_dot(struct export *x)
{
	struct dot d = { .h = x->h, .backrefs = x->backrefs };
	size_t cap = x->max_nodes < x->h->nobj ? x->max_nodes : x->h->nobj;
	int st = 0;

	d.node = calloc(x->h->nobj, sizeof(*d.node));
	d.order = calloc(cap, sizeof(*d.order));
	d.level = calloc(cap, sizeof(*d.level));
	d.more = calloc(cap, sizeof(*d.more));
	d.root = calloc(cap, sizeof(*d.root));
	if (!d.node || !d.order || !d.level || !d.more || !d.root || walk(&d, x)) {
		fputs("heapscope: out of memory for the graph\n", stderr);
		st = hs_exit_status(HS_ENOMEM);
	} else {
		put_graph(&d, x);
	}
	free(d.node);
	free(d.order);
	free(d.level);
	free(d.more);
	free(d.root);
	free(d.edges);
	return st;
}
