/*
 * unit-suspects - leak suspects over synthetic graphs: where the walk
 * down the dominator tree stops (the accumulation point) and how the
 * sentence says where it is.
 *
 * A linked list is reported at its head, not at a node far down it.  A
 * cache reached from a module attribute only through a conservatively
 * scanned reference (an lru_cache wrapper's dict, a C object's buffer),
 * from a C module's state and from a frame's local: the sentence names
 * the way by the names of its references, the point inside the object
 * the unnamed one comes from, and no word of it is a marker.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap.h"
#include "suspects.h"
#include "tap.h"

#define MAXO 20000
#define MAXE 40000
#define MAXR 8000

enum ty { T_MODULE, T_DICT, T_STR, T_LIST, T_WRAPPER, T_ARRAY, T_RENDERED, T_HOLDER, T_NODE,
	  NTY };

static const char *const tyname[NTY] = {
	"module", "dict", "str", "list", "functools._lru_cache_wrapper", "numpy.ndarray",
	"app.Rendered", "app.Holder", "app.Node",
};

/* A graph being built: objects go straight into the heap, edges wait
 * until the end (heap_add_edge wants them in source order). */
struct g {
	struct heap h;
	struct hs_error err;
	uint32_t ty[NTY];
	unsigned ne, nr;
	uint32_t src[MAXE], dst[MAXE], name[MAXE];
	uint32_t root[MAXR], rkind[MAXR], rlabel[MAXR], rname[MAXR];
	int bad; /* a step of the building failed */
};

static struct g *g_new(void)
{
	struct g *g = calloc(1, sizeof(*g));
	int i;

	if (!g)
		exit(99);
	heap_init(&g->h);
	for (i = 0; i < NTY; i++)
		g->ty[i] = heap_add_type(&g->h, 0x1000 + 0x100 * (uint64_t)i,
					 heap_intern(&g->h, tyname[i], strlen(tyname[i])));
	return g;
}

static void g_free(struct g *g)
{
	heap_release(&g->h);
	free(g);
}

static uint32_t obj(struct g *g, enum ty t, uint64_t size)
{
	uint32_t i = heap_add_obj(&g->h, 0x100000 + 0x40 * (uint64_t)g->h.vobj.n, g->ty[t], size, 1,
				  HO_GC, &g->err);

	if (i == HEAP_NONE) {
		g->bad++;
		return 0;
	}
	return i;
}

static uint32_t str(struct g *g, const char *v)
{
	uint32_t i = obj(g, T_STR, 49 + strlen(v));

	g->h.obj[i].value = heap_add_string(&g->h, v, strlen(v));
	return i;
}

static void edge(struct g *g, uint32_t src, uint32_t dst, uint32_t name)
{
	if (g->ne == MAXE) {
		g->bad++;
		return;
	}
	g->src[g->ne] = src;
	g->dst[g->ne] = dst;
	g->name[g->ne++] = name;
}

static uint32_t named(struct g *g, unsigned kind, const char *text)
{
	return HEAP_EDGE(HE_STRONG, kind, heap_name(&g->h, text, strlen(text)));
}

/* d['key'] = v, the key a str of d's own */
static void item(struct g *g, uint32_t d, const char *key, uint32_t v)
{
	char repr[300];

	snprintf(repr, sizeof(repr), "'%s'", key);
	edge(g, d, str(g, key), named(g, HN_KEY, repr));
	edge(g, d, v, named(g, HN_VALUE, repr));
}

static void root(struct g *g, uint32_t o, enum heap_root_kind kind, const char *label,
		 uint32_t name)
{
	if (g->nr == MAXR) {
		g->bad++;
		return;
	}
	g->root[g->nr] = o;
	g->rkind[g->nr] = kind;
	g->rlabel[g->nr] = heap_intern(&g->h, label, strlen(label));
	g->rname[g->nr++] = name;
}

/* A module called name in sys.modules (the root sysmods); its
 * namespace, of own size ns_size, in *ns. */
static uint32_t module(struct g *g, uint32_t sysmods, const char *name, uint64_t ns_size,
		       uint32_t *ns)
{
	uint32_t m = obj(g, T_MODULE, 72);

	*ns = obj(g, T_DICT, ns_size);
	edge(g, m, *ns, named(g, HN_FIELD, "__dict__"));
	edge(g, m, str(g, name), named(g, HN_FIELD, "__name__"));
	item(g, sysmods, name, m);
	return m;
}

static int cmp_edge(const void *a, const void *b, void *arg)
{
	const struct g *g = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (g->src[x] != g->src[y])
		return g->src[x] < g->src[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Close the graph and compute its dominators; 0 or -1. */
static int finish(struct g *g)
{
	unsigned *order = malloc((g->ne ? g->ne : 1) * sizeof(*order)), k;

	if (!order || g->bad)
		goto fail;
	for (k = 0; k < g->ne; k++)
		order[k] = k;
	qsort_r(order, g->ne, sizeof(*order), cmp_edge, g);
	for (k = 0; k < g->ne; k++)
		if (heap_begin_edges(&g->h, g->src[order[k]], &g->err) ||
		    heap_add_edge(&g->h, g->dst[order[k]], g->name[order[k]], &g->err))
			goto fail;
	for (k = 0; k < g->nr; k++)
		if (heap_add_root(&g->h, g->root[k], g->rkind[k], g->rlabel[k], g->rname[k],
				  &g->err))
			goto fail;
	if (heap_finish(&g->h, &g->err) || heap_prepare(&g->h, HEAP_NEED_DOMINATORS, &g->err))
		goto fail;
	free(order);
	return 0;
fail:
	tap_diag("building a graph: %s", g->err.msg);
	free(order);
	return -1;
}

static uint64_t total_size(const struct heap *h)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < h->nobj; i++)
		t += heap_size(h, (uint32_t)i);
	return t;
}

/* The suspects of g at threshold thr (a fraction); NULL (and a
 * diagnostic) on failure. */
static struct suspect *suspects(struct g *g, double thr, size_t *n)
{
	struct suspect *s = NULL;

	if (suspects_find(&g->h, thr, 0, &s, n, &g->err)) {
		tap_diag("suspects_find: %s", g->err.msg);
		*n = 0;
		return NULL;
	}
	return s;
}

static const struct suspect *at(const struct suspect *s, size_t n, uint32_t point)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].point == point)
			return &s[i];
	return NULL;
}

/* The words of s into w; 0 or -1. */
static int words(struct g *g, const struct suspect *s, struct suspect_words *w)
{
	struct suspect_names names;
	int r;

	memset(w, 0, sizeof(*w));
	if (suspect_names_build(&g->h, &names, &g->err))
		return -1;
	r = suspect_explain(&g->h, &names, s, total_size(&g->h), w, &g->err);
	suspect_names_release(&names);
	return r;
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* What the suspects are, for a diagnostic. */
static void show(struct g *g, const struct suspect *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 6; i++) {
		struct suspect_words w;

		if (!words(g, &s[i], &w))
			tap_diag("  suspect %zu (point %u, start %u): %s", i, s[i].point,
				 s[i].start, w.sentence);
		suspect_words_release(&w);
	}
}

/* The rest of a heap: 500 small objects, each a root of its own. */
static void filler(struct g *g)
{
	unsigned i;

	for (i = 0; i < 500; i++)
		root(g, obj(g, T_STR, 100), HR_INTERNED, "interned string", 0);
}

/* ---- chains ---- */

/* A linked list of 3,000 nodes at a module attribute: the point is its
 * head, the attribute, not a node somewhere down the chain. */
static void chain(void)
{
	struct g *g = g_new();
	uint32_t sysmods = obj(g, T_DICT, 1200), ns, head = 0, prev = 0, i;
	struct suspect *s;
	const struct suspect *p;
	struct suspect_words w = { 0 };
	size_t n;
	int ok;

	module(g, sysmods, "app", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	for (i = 0; i < 3000; i++) {
		uint32_t node = obj(g, T_NODE, 56);

		edge(g, node, obj(g, T_LIST, 120), named(g, HN_ATTR, "payload"));
		if (i)
			edge(g, prev, node, named(g, HN_ATTR, "next"));
		else
			head = node;
		prev = node;
	}
	item(g, ns, "chain", head);
	for (i = 0; i < 500; i++)
		root(g, obj(g, T_STR, 100), HR_INTERNED, "interned string", 0);
	if (finish(g)) {
		tap_ok(0, "a linked list: built");
		g_free(g);
		return;
	}
	s = suspects(g, 0.10, &n);
	p = at(s, n, head);
	ok = n == 1 && p && !words(g, p, &w) &&
	     starts_with(w.sentence, "Node at module app attribute `chain` ");
	if (!tap_ok(ok, "a linked list of 3,000 nodes: one suspect, its head, \"%s\"",
		    w.sentence))
		show(g, s, n);
	suspect_words_release(&w);
	free(s);
	g_free(g);
}

/* ---- the sentence over references with no name ---- */

/* 1,000 Rendered objects in a dict that cache (the object holding it)
 * reaches only by a scanned reference. */
static uint32_t cache_dict(struct g *g, uint32_t holder)
{
	uint32_t d = obj(g, T_DICT, 36952), i;
	char key[32];

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "page-%u", i);
		item(g, d, key, obj(g, T_RENDERED, 600));
	}
	edge(g, holder, d, HEAP_EDGE(HE_SCANNED, HN_NONE, 0));
	return d;
}

/* The suspect whose point is d, in words; tests the sentence against
 * want (a prefix) and that no word is a marker. */
static void said(struct g *g, uint32_t d, uint32_t via, const char *want, const char *expr,
		 const char *what)
{
	struct suspect *s;
	const struct suspect *p;
	struct suspect_words w;
	size_t n;
	int ok;

	if (finish(g)) {
		tap_ok(0, "%s: built", what);
		return;
	}
	s = suspects(g, 0.10, &n);
	p = at(s, n, d);
	ok = p && !words(g, p, &w) && starts_with(w.sentence, want) &&
	     !strstr(w.sentence, "(scanned)") && !strstr(w.text, "(scanned)") &&
	     !strcmp(w.expr, expr) && w.via == via;
	if (!tap_ok(ok, "%s: \"%s\"", what, p ? w.sentence : "(no such suspect)")) {
		tap_diag("  want \"%s...\", expr \"%s\"", want, expr);
		if (p)
			tap_diag("  expr \"%s\", where \"%s\", via %d", w.expr, w.text, (int)w.via);
		show(g, s, n);
	}
	if (p)
		suspect_words_release(&w);
	free(s);
}

static void scanned_words(void)
{
	struct g *g;
	uint32_t sysmods, ns, m, x, d, arr, holder, list, i;

	/* an lru_cache wrapper at a module attribute, its dict scanned */
	g = g_new();
	sysmods = obj(g, T_DICT, 1200);
	module(g, sysmods, "app", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	x = obj(g, T_WRAPPER, 80);
	item(g, ns, "render_for", x);
	d = cache_dict(g, x);
	filler(g);
	said(g, d, x,
	     "dict inside the _lru_cache_wrapper at module app attribute `render_for` holds "
	     "1,000 Rendered objects, ",
	     "render_for", "a dict an lru_cache wrapper holds, at a module attribute");
	g_free(g);

	/* a C object's scanned reference, then named ones */
	g = g_new();
	sysmods = obj(g, T_DICT, 1200);
	module(g, sysmods, "__main__", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	arr = obj(g, T_ARRAY, 112);
	holder = obj(g, T_HOLDER, 48);
	list = obj(g, T_LIST, 8056);
	item(g, ns, "frombuf", arr);
	edge(g, arr, holder, HEAP_EDGE(HE_SCANNED, HN_NONE, 0));
	edge(g, holder, list, named(g, HN_ATTR, "items"));
	for (i = 0; i < 1000; i++)
		edge(g, list, obj(g, T_RENDERED, 600), HEAP_EDGE(HE_STRONG, HN_INDEX, i));
	filler(g);
	said(g, list, arr,
	     "list inside the ndarray at module __main__ attribute `frombuf` holds 1,000 "
	     "Rendered objects, ",
	     "frombuf", "a list past a C object's scanned reference and a named one");
	g_free(g);

	/* a C module's state */
	g = g_new();
	sysmods = obj(g, T_DICT, 1200);
	m = module(g, sysmods, "_native", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	d = cache_dict(g, m);
	filler(g);
	said(g, d, m, "dict inside module _native holds 1,000 Rendered objects, ", "",
	     "a dict in a C module's state");
	g_free(g);

	/* a frame's local, no module on the way */
	g = g_new();
	x = obj(g, T_WRAPPER, 80);
	root(g, x, HR_FRAME, "thread 7 frame serve (app.py:12)", named(g, HN_LOCAL, "cache"));
	d = cache_dict(g, x);
	filler(g);
	said(g, d, x,
	     "dict inside the _lru_cache_wrapper at `cache` from root 'thread 7 frame serve "
	     "(app.py:12)' holds 1,000 Rendered objects, ",
	     "cache", "a dict an lru_cache wrapper in a frame's local holds");
	g_free(g);
}

int main(void)
{
	chain();
	scanned_words();
	return tap_done();
}
