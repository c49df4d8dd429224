/*
 * unit-suspects - leak suspects over synthetic graphs: where the walk
 * down the dominator tree stops (the accumulation point) and how the
 * sentence says where it is.
 *
 * The shapes are those real programs showed: a module namespace whose
 * one attribute (a dict of 2,000 sessions) holds 55-85% of it, the rest
 * spread over 300 small globals of every kind, the namespace over the
 * threshold and the dict under it (the dict is the point), and the
 * edges of that rule (an attribute holding less than the rest together,
 * 300 lists outweighing it: the namespace stays the point); a list whose
 * mass is spread over its elements, one of them up to 45% of it, and a
 * list of elements of a thousand types (the list is the point); a linked
 * list (its head); an instance whose __dict__ holds a list; two big
 * halves (two suspects); and a cache reached from a module attribute
 * only through a conservatively scanned reference (an lru_cache
 * wrapper's dict, a C object's buffer), from a C module's state and
 * from a frame's local: the sentence names the way by the names of its
 * references, the point inside the object the unnamed one comes from,
 * and no word of it is a marker.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/heap.h"
#include "analysis/suspects.h"
#include "tap.h"

#define MAXO 20000
#define MAXE 40000
#define MAXR 8000

enum ty {
	T_MODULE,
	T_DICT,
	T_STR,
	T_LIST,
	T_SESSION,
	T_WRAPPER,
	T_NODE,
	T_FUNC,
	T_INT,
	T_ARRAY,
	T_RENDERED,
	T_HOLDER,
	NTY
};

static const char *const tyname[NTY] = {
	"module",	 "dict",	 "str",
	"list",		 "app.Session",	 "functools._lru_cache_wrapper",
	"app.Node",	 "function",	 "int",
	"numpy.ndarray", "app.Rendered", "app.Holder",
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

/* ---- the namespace and the dict it holds ---- */

enum rest { REST_MIXED, REST_LISTS };

/*
 * Module app whose namespace holds SESSIONS, a dict of 2,000 sessions
 * making share of what the namespace retains, and the rest in 300 small
 * globals: of every kind (REST_MIXED) or 300 lists (REST_LISTS).  Other
 * objects, each a root of its own, make the namespace ns_share of the
 * heap.  *ns and *sessions say which objects they are.
 */
static struct g *namespace_graph(double share, double ns_share, enum rest rest, uint32_t *ns,
				 uint32_t *sessions)
{
	struct g *g = g_new();
	uint32_t sysmods = obj(g, T_DICT, 1200), sess, i;
	uint64_t sess_ret = 0, rest_ret, each, ns_ret, filler;
	char key[64];

	module(g, sysmods, "app", 4600, ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	sess = obj(g, T_DICT, 73832);
	sess_ret += 73832;
	for (i = 0; i < 2000; i++) {
		uint32_t s = obj(g, T_SESSION, 48), d = obj(g, T_DICT, 360);

		snprintf(key, sizeof(key), "sid-%05u", i);
		item(g, sess, key, s);
		edge(g, s, d, named(g, HN_FIELD, "__dict__"));
		sess_ret += 48 + 360 + 49 + strlen(key);
	}
	item(g, *ns, "SESSIONS", sess);
	sess_ret += 49 + 8;
	/* the namespace retains sess_ret / share: its own 4600 and the rest */
	ns_ret = (uint64_t)((double)sess_ret / share);
	rest_ret = ns_ret - sess_ret - 4600;
	each = rest_ret / 300;
	for (i = 0; i < 300; i++) {
		static const enum ty kinds[] = { T_FUNC, T_STR, T_LIST, T_INT, T_DICT };
		enum ty t = rest == REST_LISTS ? T_LIST : kinds[i % 5];

		snprintf(key, sizeof(key), "g%03u", i);
		/* the key's str is part of the rest */
		item(g, *ns, key, obj(g, t, each > 60 ? each - 53 : 8));
	}
	/* the rest of the heap: many small roots */
	filler = (uint64_t)((double)ns_ret / ns_share) - ns_ret;
	for (i = 0; i < 4000; i++)
		root(g, obj(g, T_STR, filler / 4000), HR_INTERNED, "interned string", 0);
	*sessions = sess;
	if (finish(g)) {
		g_free(g);
		return NULL;
	}
	return g;
}

/*
 * SESSIONS holding 60% to 85% of the namespace, the namespace 11% of the
 * heap, the threshold between the namespace's share and the dict's: the
 * suspect is the dict, in the words a developer uses, never the
 * namespace above it.
 */
static void namespace_attribute(void)
{
	static const double shares[] = { 0.55, 0.60, 0.65, 0.70, 0.77, 0.79, 0.85 };
	size_t k;

	for (k = 0; k < sizeof(shares) / sizeof(shares[0]); k++) {
		uint32_t ns, sess;
		struct g *g = namespace_graph(shares[k], 0.11, REST_MIXED, &ns, &sess);
		struct suspect *s;
		const struct suspect *p;
		struct suspect_words w = { 0 };
		size_t n;
		double thr;
		int ok;

		if (!g) {
			tap_ok(0, "namespace with an attribute at %.0f%%: built", 100 * shares[k]);
			continue;
		}
		/* between the dict's share of the heap and the namespace's */
		thr = (double)(g->h.retained[sess] + g->h.retained[ns]) / 2 /
		      (double)total_size(&g->h);
		s = suspects(g, thr, &n);
		p = at(s, n, sess);
		ok = p && !at(s, n, ns) && p->elem_type == g->ty[T_SESSION] &&
		     p->elem_count == 2000 && !words(g, p, &w) &&
		     starts_with(w.sentence, "dict at module app attribute `SESSIONS` holds "
					     "2,000 Session objects, ") &&
		     !strcmp(w.module, "app") && !strcmp(w.expr, "SESSIONS");
		if (!tap_ok(ok,
			    "a namespace whose attribute holds %.0f%% of it (%.1f%% of the "
			    "heap, threshold %.1f%%), the rest in 300 small globals: the "
			    "point is the dict, \"%s\"",
			    100 * shares[k],
			    100.0 * (double)g->h.retained[sess] / (double)total_size(&g->h),
			    100 * thr, w.sentence))
			show(g, s, n);
		suspect_words_release(&w);
		free(s);
		g_free(g);
	}
}

/* The same shapes with the dict itself over the threshold: one suspect,
 * the dict; the namespace is passed through, not reported. */
static void namespace_attribute_big(void)
{
	uint32_t ns, sess;
	struct g *g = namespace_graph(0.70, 0.40, REST_MIXED, &ns, &sess);
	struct suspect *s;
	size_t n;
	int ok;

	if (!g) {
		tap_ok(0, "namespace, dict over the threshold: built");
		return;
	}
	s = suspects(g, 0.10, &n);
	ok = n == 1 && s[0].point == sess && s[0].elem_count == 2000;
	if (!tap_ok(ok, "the dict over the threshold too (28%% of the heap, the namespace "
			"40%%): one suspect, the dict"))
		show(g, s, n);
	free(s);
	g_free(g);
}

/* The rule's edge: an attribute holding less than all the other globals
 * together (45%) does not hold the namespace's mass; the namespace stays
 * the point. */
static void namespace_minority(void)
{
	uint32_t ns, sess;
	struct g *g = namespace_graph(0.45, 0.11, REST_MIXED, &ns, &sess);
	struct suspect *s;
	size_t n;
	int ok;

	if (!g) {
		tap_ok(0, "namespace, attribute at 45%%: built");
		return;
	}
	s = suspects(g, 0.10, &n);
	ok = n == 1 && s[0].point == ns;
	if (!tap_ok(ok, "a namespace whose attribute holds 45%% of it: the namespace is the "
			"point"))
		show(g, s, n);
	free(s);
	g_free(g);
}

/* When the rest of the namespace is many objects of one type that
 * together outweigh the attribute, that is where the mass is: the
 * namespace is the point. */
static void namespace_of_many(void)
{
	uint32_t ns, sess;
	struct g *g = namespace_graph(0.40, 0.11, REST_LISTS, &ns, &sess);
	struct suspect *s;
	const struct suspect *p;
	size_t n;
	int ok;

	if (!g) {
		tap_ok(0, "namespace of 300 lists: built");
		return;
	}
	s = suspects(g, 0.10, &n);
	p = at(s, n, ns);
	ok = p && !at(s, n, sess) && p->elem_type == g->ty[T_LIST] && p->elem_count == 300;
	if (!tap_ok(ok, "a namespace whose 300 lists outweigh its biggest attribute (40%%): "
			"the namespace is the point, holding 300 lists"))
		show(g, s, n);
	free(s);
	g_free(g);
}

/* ---- lists, chains, instances ---- */

/*
 * A list of 2,000 sessions, one of which (heavy) holds share of the
 * list; the list is the point, whatever that share, as long as the
 * other elements together outweigh it.
 */
static void spread_list(void)
{
	static const double shares[] = { 0.0005, 0.05, 0.30, 0.45 };
	size_t k;

	for (k = 0; k < sizeof(shares) / sizeof(shares[0]); k++) {
		struct g *g = g_new();
		uint32_t sysmods = obj(g, T_DICT, 1200), ns, list, i, heavy = 0;
		uint64_t per = 400, others = 1999 * (per + 48), big;
		struct suspect *s;
		const struct suspect *p;
		struct suspect_words w = { 0 };
		size_t n;
		int ok;

		module(g, sysmods, "app", 4600, &ns);
		root(g, sysmods, HR_MODULES, "sys.modules", 0);
		list = obj(g, T_LIST, 16056);
		item(g, ns, "pending", list);
		big = shares[k] > 0.001 ? (uint64_t)(shares[k] * (double)others / (1 - shares[k]))
					: per;
		for (i = 0; i < 2000; i++) {
			uint32_t e = obj(g, T_SESSION, 48), d = obj(g, T_DICT, i ? per : big);

			edge(g, list, e, HEAP_EDGE(HE_STRONG, HN_INDEX, i));
			edge(g, e, d, named(g, HN_FIELD, "__dict__"));
			if (!i)
				heavy = e;
		}
		for (i = 0; i < 500; i++)
			root(g, obj(g, T_STR, 100), HR_INTERNED, "interned string", 0);
		if (finish(g)) {
			tap_ok(0, "a list with a heavy element: built");
			g_free(g);
			continue;
		}
		s = suspects(g, 0.10, &n);
		p = at(s, n, list);
		ok = p && !at(s, n, heavy) && p->elem_count == 2000 && !words(g, p, &w) &&
		     starts_with(w.sentence, "list at module app attribute `pending` holds "
					     "2,000 Session objects");
		if (!tap_ok(ok,
			    "a list of 2,000 sessions, one holding %.2f%% of it: the list is "
			    "the point, \"%s\"",
			    100.0 * (double)g->h.retained[heavy] / (double)g->h.retained[list],
			    w.sentence))
			show(g, s, n);
		suspect_words_release(&w);
		free(s);
		g_free(g);
	}
}

/* A list of 1,000 elements of 1,000 types, one a little heavier than
 * the others: the heaviest part is not the mass, the list is the point. */
static void mixed_list(void)
{
	struct g *g = g_new();
	uint32_t sysmods = obj(g, T_DICT, 1200), ns, list, i;
	struct suspect *s;
	size_t n;
	int ok;

	module(g, sysmods, "app", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	list = obj(g, T_LIST, 8056);
	item(g, ns, "plugins", list);
	for (i = 0; i < 1000; i++) {
		char name[32];
		uint32_t ty, e;

		snprintf(name, sizeof(name), "app.Plugin%u", i);
		ty = heap_add_type(&g->h, 0x800000 + 0x100 * (uint64_t)i,
				   heap_intern(&g->h, name, strlen(name)));
		e = heap_add_obj(&g->h, 0x100000 + 0x40 * (uint64_t)g->h.vobj.n, ty,
				 i == 500 ? 900 : 400 + i % 7, 1, HO_GC, &g->err);
		if (e == HEAP_NONE)
			g->bad++;
		edge(g, list, e, HEAP_EDGE(HE_STRONG, HN_INDEX, i));
	}
	filler(g);
	if (finish(g)) {
		tap_ok(0, "a list of many types: built");
		g_free(g);
		return;
	}
	s = suspects(g, 0.10, &n);
	ok = n == 1 && s[0].point == list;
	if (!tap_ok(ok, "a list of 1,000 elements of 1,000 types: the list is the point"))
		show(g, s, n);
	free(s);
	g_free(g);
}

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
	if (!tap_ok(ok, "a linked list of 3,000 nodes: one suspect, its head, \"%s\"", w.sentence))
		show(g, s, n);
	suspect_words_release(&w);
	free(s);
	g_free(g);
}

/* module -> pool (an instance) -> __dict__ -> _finished (a list of
 * sessions): down through the instance and its dict to the list. */
static void instance_dict_list(void)
{
	struct g *g = g_new();
	uint32_t sysmods = obj(g, T_DICT, 1200), ns, pool, pd, list, i;
	struct suspect *s;
	const struct suspect *p;
	struct suspect_words w = { 0 };
	size_t n;
	int ok;

	module(g, sysmods, "app.workers", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	pool = obj(g, T_HOLDER, 48);
	pd = obj(g, T_DICT, 232);
	list = obj(g, T_LIST, 16056);
	item(g, ns, "pool", pool);
	edge(g, pool, pd, named(g, HN_FIELD, "__dict__"));
	item(g, pd, "_finished", list);
	item(g, pd, "name", str(g, "the pool"));
	for (i = 0; i < 2000; i++)
		edge(g, list, obj(g, T_SESSION, 400), HEAP_EDGE(HE_STRONG, HN_INDEX, i));
	for (i = 0; i < 500; i++)
		root(g, obj(g, T_STR, 100), HR_INTERNED, "interned string", 0);
	if (finish(g)) {
		tap_ok(0, "pool._finished: built");
		g_free(g);
		return;
	}
	s = suspects(g, 0.10, &n);
	p = at(s, n, list);
	ok = n == 1 && p && !words(g, p, &w) &&
	     starts_with(w.sentence, "list at module app.workers attribute `pool._finished` "
				     "holds 2,000 Session objects");
	tap_ok(ok, "an instance whose __dict__ holds a list: the list, \"%s\"", w.sentence);
	suspect_words_release(&w);
	free(s);
	g_free(g);
}

/* Two big parts of one object are two suspects, and the object, made of
 * them, is not reported. */
static void two_halves(void)
{
	struct g *g = g_new();
	uint32_t sysmods = obj(g, T_DICT, 1200), ns, a, b, i;
	struct suspect *s;
	size_t n;
	int ok;

	module(g, sysmods, "app", 4600, &ns);
	root(g, sysmods, HR_MODULES, "sys.modules", 0);
	a = obj(g, T_LIST, 8056);
	b = obj(g, T_LIST, 8056);
	item(g, ns, "a", a);
	item(g, ns, "b", b);
	for (i = 0; i < 1000; i++) {
		edge(g, a, obj(g, T_SESSION, 400), HEAP_EDGE(HE_STRONG, HN_INDEX, i));
		edge(g, b, obj(g, T_SESSION, 390), HEAP_EDGE(HE_STRONG, HN_INDEX, i));
	}
	for (i = 0; i < 500; i++)
		root(g, obj(g, T_STR, 100), HR_INTERNED, "interned string", 0);
	if (finish(g)) {
		tap_ok(0, "two halves: built");
		g_free(g);
		return;
	}
	s = suspects(g, 0.10, &n);
	ok = n == 2 && at(s, n, a) && at(s, n, b);
	if (!tap_ok(ok, "a namespace of two big lists: two suspects, the lists"))
		show(g, s, n);
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
	struct suspect_words w = { 0 };
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
	namespace_attribute();
	namespace_attribute_big();
	namespace_minority();
	namespace_of_many();
	spread_list();
	mixed_list();
	chain();
	instance_dict_list();
	two_halves();
	scanned_words();
	return tap_done();
}
