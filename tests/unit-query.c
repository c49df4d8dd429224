/*
 * unit-query - questions asked of heap graphs built in memory, whose
 * answers are known (lib/analysis/query.c).
 *
 * Objects per type (query_histogram): counts, sizes, the biggest, by
 * count and by size, ties by name, a size of 10 GiB, an unused type
 * left out.  The path from a root (query_path): sys.modules preferred to
 * a closer outside holder, weak edges never followed, scanned ones only
 * when there is no other way, unreachable objects, a root itself, a
 * frame's local.
 *
 * Which types a user's type name means (query_types_named) and the names
 * offered when none does (query_types_near), on a type table.  The exact
 * full name wins; then every type whose name ends in NAME at
 * a dot ("User" is app.models.User and other.User, not x.user); then the
 * same ignoring case.  Near names: within a third of NAME's length in
 * edit distance (transpositions count one), nearest first, then by name,
 * one per name, at most as many as asked.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/heap.h"
#include "analysis/query.h"
#include "tap.h"

static uint32_t str_of(struct heap *h, const char *s)
{
	return heap_intern(h, s, strlen(s));
}

static uint32_t name_of(struct heap *h, const char *s)
{
	return heap_name(h, s, strlen(s));
}

/* ---- objects per type ---- */

static uint32_t find_type(const struct heap *h, const char *name)
{
	uint32_t k;

	for (k = 0; k < h->ntype; k++)
		if (!strcmp(heap_str(h, h->types[k].name, NULL), name))
			return k;
	return HEAP_NONE;
}

static void histogram(void)
{
	/* type, size: in a mixed order, the list of 10 GiB last */
	static const struct {
		const char *type;
		uint64_t size;
	} objs[] = {
		{ "str", 50 },		 { "dict", 200 }, { "tuple", 10 }, { "str", 50 },
		{ "a.b.C", 60 },	 { "dict", 300 }, { "str", 50 },   { "tuple", 30 },
		{ "str", 50 },		 { "dict", 100 }, { "tuple", 20 }, { "str", 50 },
		{ "list", 10ull << 30 },
	};
	static const struct {
		const char *type;
		uint64_t count, size, max;
	} by_count[] = {
		{ "str", 5, 250, 50 }, { "dict", 3, 600, 300 }, { "tuple", 3, 60, 30 },
		{ "a.b.C", 1, 60, 60 }, { "list", 1, 10ull << 30, 10ull << 30 },
	}, by_size[] = {
		{ "list", 1, 10ull << 30, 10ull << 30 }, { "dict", 3, 600, 300 },
		{ "str", 5, 250, 50 }, { "a.b.C", 1, 60, 60 }, { "tuple", 3, 60, 30 },
	};
	static const char *const types[] = { "tuple", "dict", "str", "unused", "list", "a.b.C" };
	struct hs_error err = HS_ERROR_INIT;
	struct type_stat *st = NULL;
	struct heap h;
	uint64_t cnt = 0, size = 0, want = 250 + 600 + 60 + 60 + (10ull << 30);
	size_t n = 0, i, nobj = sizeof(objs) / sizeof(objs[0]);
	int bad = 0, pass;

	heap_init(&h);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		heap_add_type(&h, 0x1000 * (i + 1), str_of(&h, types[i]));
	for (i = 0; i < nobj; i++) {
		uint32_t t = find_type(&h, objs[i].type);

		if (heap_add_obj(&h, 0x100000 + 64 * i, t, i == nobj - 1 ? 0 : objs[i].size, 1, 0,
				 &err) != i)
			bad++;
	}
	bad += heap_set_size(&h, (uint32_t)nobj - 1, objs[nobj - 1].size, &err) != 0;
	bad += heap_finish(&h, &err) != 0;
	for (pass = 0; pass < 2; pass++) {
		int b = bad;

		if (query_histogram(&h, pass ? HIST_BY_SIZE : HIST_BY_COUNT, &st, &n, &cnt, &size,
				    &err)) {
			tap_ok(0, "query_histogram: %s", err.msg);
			continue;
		}
		b += n != 5 || cnt != nobj || size != want;
		for (i = 0; i < n && i < 5; i++) {
			const char *name = pass ? by_size[i].type : by_count[i].type;
			uint64_t c = pass ? by_size[i].count : by_count[i].count;
			uint64_t s = pass ? by_size[i].size : by_count[i].size;
			uint64_t m = pass ? by_size[i].max : by_count[i].max;

			if (st[i].type != find_type(&h, name) || st[i].count != c ||
			    st[i].size != s || st[i].max != m)
				b++, tap_diag("row %zu: %s %llu %llu %llu", i,
					      heap_str(&h, h.types[st[i].type].name, NULL),
					      (unsigned long long)st[i].count,
					      (unsigned long long)st[i].size,
					      (unsigned long long)st[i].max);
		}
		tap_ok(!b,
		       "histogram by %s: order (ties by name), counts, sizes, max, totals "
		       "(%llu objects, %llu bytes); unused type left out",
		       pass ? "size" : "count", (unsigned long long)cnt, (unsigned long long)size);
		free(st);
	}
	heap_release(&h);
}

/* ---- paths from roots ---- */

/* The path graph: see paths(). */
enum {
	P_MODULES,
	P_APP,
	P_A,
	P_B,
	P_T,
	P_OUT,
	P_W,
	P_W2,
	P_WEAKONLY,
	P_LOST,
	P_S,
	P_S2,
	P_SONLY,
	P_OUTONLY,
	P_SBOTH,
	P_FRAME,
	P_LOCAL,
	P_N
};

struct pedge {
	uint32_t src, dst, kind;
};

static const struct pedge pedges[] = {
	/* in source order: edge i of this table is edge i of the graph */
	{ P_MODULES, P_APP, HE_STRONG },
	{ P_MODULES, P_W, HE_WEAK },
	{ P_MODULES, P_WEAKONLY, HE_WEAK },
	{ P_MODULES, P_S, HE_SCANNED },
	{ P_APP, P_A, HE_STRONG },
	{ P_APP, P_W2, HE_STRONG },
	{ P_A, P_B, HE_STRONG },
	{ P_A, P_S2, HE_STRONG },
	{ P_B, P_T, HE_STRONG },
	{ P_B, P_SONLY, HE_SCANNED },
	{ P_B, P_SBOTH, HE_SCANNED },
	{ P_OUT, P_T, HE_STRONG },
	{ P_OUT, P_OUTONLY, HE_STRONG },
	{ P_OUT, P_SBOTH, HE_SCANNED },
	{ P_W2, P_W, HE_STRONG },
	{ P_LOST, P_T, HE_STRONG },
	{ P_LOST, P_LOST, HE_STRONG },
	{ P_S2, P_S, HE_STRONG },
	{ P_FRAME, P_LOCAL, HE_STRONG },
};

#define NPEDGE (sizeof(pedges) / sizeof(pedges[0]))

static uint32_t pedge_index(uint32_t src, uint32_t dst)
{
	uint32_t i;

	for (i = 0; i < NPEDGE; i++)
		if (pedges[i].src == src && pedges[i].dst == dst)
			return i;
	return HEAP_NONE;
}

/* query_path(target) must give exactly want[0..n-1] from root want_root,
 * over the edges between them; n == 0: unreachable. */
static void expect_path(const struct heap *h, uint32_t target, const uint32_t *want, size_t n,
			uint32_t want_root, const char *what)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t *path, *edges, root = HEAP_NONE;
	size_t got, i;
	int rc, bad;

	rc = query_path(h, target, &path, &edges, &got, &root, &err);
	bad = rc != (n ? 1 : 0) || got != n;
	if (n && !bad) {
		bad += root != want_root;
		for (i = 0; i < n; i++)
			bad += path[i] != want[i];
		for (i = 0; i + 1 < n; i++)
			bad += edges[i] != pedge_index(want[i], want[i + 1]) ||
			       h->edge_dst[edges[i]] != want[i + 1];
	}
	if (!n && rc == 0)
		bad += path != NULL || edges != NULL;
	if (bad) {
		tap_diag("query_path(%u): rc %d, %zu steps, root %u", target, rc, got, root);
		for (i = 0; rc == 1 && i < got; i++)
			tap_diag("  %u (edge %u)", path[i], i ? edges[i - 1] : HEAP_NONE);
	}
	tap_ok(!bad, "path: %s", what);
	free(path);
	free(edges);
}

static void paths(void)
{
	static const uint32_t p_t[] = { P_MODULES, P_APP, P_A, P_B, P_T };
	static const uint32_t p_w[] = { P_MODULES, P_APP, P_W2, P_W };
	static const uint32_t p_s[] = { P_MODULES, P_APP, P_A, P_S2, P_S };
	static const uint32_t p_sonly[] = { P_MODULES, P_APP, P_A, P_B, P_SONLY };
	static const uint32_t p_sboth[] = { P_MODULES, P_APP, P_A, P_B, P_SBOTH };
	static const uint32_t p_outonly[] = { P_OUT, P_OUTONLY };
	static const uint32_t p_out[] = { P_OUT };
	static const uint32_t p_local[] = { P_FRAME, P_LOCAL };
	static const uint32_t p_modules[] = { P_MODULES };
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	uint32_t t, nm, i, k;
	int bad = 0;

	heap_init(&h);
	t = heap_add_type(&h, 0x1000, str_of(&h, "object"));
	nm = name_of(&h, "x");
	for (i = 0; i < P_N; i++)
		bad += heap_add_obj(&h, 0x10000 + 32 * i, t, 32, 1, 0, &err) != i;
	for (k = 0; k < NPEDGE; k++) {
		bad += heap_begin_edges(&h, pedges[k].src, &err) != 0;
		bad += heap_add_edge(&h, pedges[k].dst, HEAP_EDGE(pedges[k].kind, HN_ATTR, nm),
				     &err) != 0;
	}
	/* roots: 0 sys.modules, 1 held from outside, 2 a frame's local */
	bad += heap_add_root(&h, P_MODULES, HR_MODULES, str_of(&h, "sys.modules"), 0, &err) != 0;
	bad += heap_add_root(&h, P_OUT, HR_OUTSIDE, str_of(&h, "held"), 0, &err) != 0;
	bad += heap_add_root(&h, P_FRAME, HR_FRAME, str_of(&h, "thread 1 frame f (a.py:3)"),
			     HEAP_EDGE(HE_STRONG, HN_LOCAL, name_of(&h, "self")), &err) != 0;
	bad += heap_finish(&h, &err) != 0;
	for (k = 0; k < NPEDGE && !bad; k++)
		bad += h.edge_dst[k] != pedges[k].dst || k < h.edge_start[pedges[k].src] ||
		       k >= h.edge_start[pedges[k].src + 1];
	tap_ok(!bad, "path graph: %zu objects, %zu edges, 3 roots", h.nobj, h.nedge);

	expect_path(&h, P_T, p_t, 5, 0,
		    "sys.modules (4 steps) is preferred to a closer outside holder (1 step)");
	expect_path(&h, P_W, p_w, 4, 0, "a weak edge is not followed, the longer strong way is");
	expect_path(&h, P_WEAKONLY, NULL, 0, 0, "held by a weak edge alone: unreachable (0)");
	expect_path(&h, P_LOST, NULL, 0, 0, "no way in (edges out only): unreachable (0)");
	expect_path(&h, P_S, p_s, 5, 0, "a scanned edge (1 step) loses to strong ones (4)");
	expect_path(&h, P_SONLY, p_sonly, 5, 0, "a scanned edge is used when it is the only way");
	expect_path(&h, P_OUTONLY, p_outonly, 2, 1, "held from outside only: that root");
	expect_path(&h, P_SBOTH, p_sboth, 5, 0,
		    "scanned both ways: sys.modules still beats the closer outside holder");
	expect_path(&h, P_OUT, p_out, 1, 1, "an outside root itself: a path of one");
	expect_path(&h, P_MODULES, p_modules, 1, 0, "sys.modules itself: a path of one");
	expect_path(&h, P_LOCAL, p_local, 2, 2, "a frame's local: from the frame root");
	heap_release(&h);
}

/* ---- type names ---- */

static const char *const names[] = {
	"app.models.User",
	"other.User",
	"x.user",
	"dict",
	"Session",
	"requests.sessions.Session",
	"app.web.SessionPool",
	"app.Dup",
	"app.Dup",
	"t.aa1",
	"t.aa2",
	"t.aa3",
	"t.aa4",
	"t.aa5",
	"t.aa6",
	"t.aa7",
};
#define NTYPES (sizeof(names) / sizeof(names[0]))

static struct heap th; /* the type table of names[] */

/* The names of the types query_types_named gives for name, comma
 * separated, in table order. */
static const char *named(const char *name)
{
	static char out[512];
	uint8_t match[NTYPES];
	size_t t, n;

	out[0] = '\0';
	n = query_types_named(&th, name, match);
	for (t = 0; t < NTYPES; t++)
		if (match[t]) {
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
				 out[0] ? "," : "", names[t]);
			n--;
		}
	return n ? "(the count returned differs)" : out;
}

static const char *near(const char *name, size_t max)
{
	static char out[512];
	uint32_t idx[16];
	size_t n = query_types_near(&th, name, idx, max), k;

	out[0] = '\0';
	for (k = 0; k < n; k++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", k ? "," : "",
			 heap_str(&th, th.types[idx[k]].name, NULL));
	return out;
}

static void is(const char *got, const char *want, const char *what)
{
	if (!tap_ok(!strcmp(got, want), "%s", what))
		tap_diag("got '%s', want '%s'", got, want);
}

static void type_names(void)
{
	struct hs_error err = HS_ERROR_INIT;
	size_t i;

	heap_init(&th);
	for (i = 0; i < NTYPES; i++)
		heap_add_type(&th, 0x1000 + 0x100 * i, str_of(&th, names[i]));
	if (!tap_ok(!heap_finish(&th, &err), "a type table of %zu types", NTYPES)) {
		heap_release(&th);
		return;
	}

	is(named("app.models.User"), "app.models.User", "the full name: that type alone");
	is(named("User"), "app.models.User,other.User",
	   "a last part: every type of that name, not one differing in case");
	is(named("user"), "x.user", "the exact last part first, before ignoring case");
	is(named("models.User"), "app.models.User", "dotted last parts");
	is(named("odels.User"), "", "an end that is not at a dot is no name");
	is(named("Session"), "Session", "the full name before the ends of others");
	is(named("session"), "Session,requests.sessions.Session",
	   "ignoring case: the full names and the ends");
	is(named("SESSIONS.SESSION"), "requests.sessions.Session", "dotted ends ignoring case");
	is(named(""), "", "an empty name is none");

	is(near("Sesion", 5), "Session,requests.sessions.Session",
	   "near Sesion: the two Sessions, nearest then by name");
	is(near("odels.User", 5), "app.models.User", "near a cut dotted end");
	is(near("dikt", 5), "dict", "near dikt: dict (one substitution)");
	is(near("dcit", 5), "dict", "a transposition is one edit");
	is(near("app.Dupe", 5), "app.Dup", "one name once, though two types have it");
	is(near("zzzzzz", 5), "", "nothing near");
	is(near("aa", 3), "t.aa1,t.aa2,t.aa3", "at most max, by name among equals");
	heap_release(&th);
}

int main(void)
{
	histogram();
	paths();
	type_names();
	return tap_done();
}
