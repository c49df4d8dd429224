/*
 * unit-diff - per-type growth and new objects between two heap graphs
 * (lib/analysis/diff.c), on graphs built in memory whose answers are known.
 *
 * OLD and NEW have their own type tables, in different orders, and NEW
 * has two entries named app.Leaked (a class defined twice): types must be
 * matched by name.  Objects at the same address with a type of the same
 * name are old (also when their size changed or their type entry is the
 * other app.Leaked); one at an old address with another type, and those
 * at new addresses, are new.  Per type: counts, sizes and their changes;
 * the order by size and by count; the new objects grouped by type, most
 * new bytes first.  Then a diff from an empty graph (watch's first
 * capture): every type grew, and without DIFF_NEW_OBJECTS nothing is
 * looked up.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/diff.h"
#include "heap/heap.h"
#include "tap.h"

struct spec {
	uint64_t addr;
	int type; /* index into the graph's type list */
	uint64_t size;
};

/* A graph of objects (no edges) with types named names[0..ntypes). */
static int build(struct heap *h, const char *const *names, size_t ntypes, const struct spec *objs,
		 size_t nobj)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t t[8];
	size_t i;

	heap_init(h);
	for (i = 0; i < ntypes && i < 8; i++)
		t[i] = heap_add_type(h, 0x100 * (i + 1) + (uint64_t)ntypes,
				     heap_intern(h, names[i], strlen(names[i])));
	for (i = 0; i < nobj; i++)
		if (heap_add_obj(h, objs[i].addr, t[objs[i].type], objs[i].size, 1, HO_GC, &err) ==
		    HEAP_NONE)
			return -1;
	return heap_finish(h, &err);
}

static const struct diff_type *find(const struct heap_diff *d, const char *name)
{
	size_t k;

	for (k = 0; k < d->ntypes; k++)
		if (!strcmp(d->types[k].name, name))
			return &d->types[k];
	return NULL;
}

static int is(const struct diff_type *t, uint64_t oc, uint64_t nc, uint64_t os, uint64_t ns,
	      uint64_t nnew, uint64_t nnew_size)
{
	return t && t->old_count == oc && t->new_count == nc && t->old_size == os &&
	       t->new_size == ns && t->dcount == (int64_t)nc - (int64_t)oc &&
	       t->dsize == (int64_t)ns - (int64_t)os && t->nnew == nnew &&
	       t->nnew_size == nnew_size;
}

/* The addresses of type t's new objects, in order, into out. */
static size_t new_addrs(const struct heap *h, const struct heap_diff *d, const struct diff_type *t,
			uint64_t *out, size_t max)
{
	size_t i;

	for (i = 0; t && i < t->nnew && i < max; i++)
		out[i] = h->obj[d->new_objs[t->first_new + i]].addr;
	return t ? (size_t)t->nnew : 0;
}

static const char *const old_types[] = { "dict", "app.Leaked", "list" };
static const struct spec old_objs[] = {
	{ 0x1000, 0, 64 },  /* dict: stays */
	{ 0x1100, 1, 48 },  /* Leaked: stays (NEW's other app.Leaked) */
	{ 0x1200, 2, 56 },  /* list: stays, grows to 256 bytes */
	{ 0x1300, 1, 48 },  /* Leaked: freed, its address reused by a str */
	{ 0x1400, 0, 100 }, /* dict: freed */
};

static const char *const new_types[] = { "list", "str", "app.Leaked", "dict", "app.Leaked" };
static const struct spec new_objs[] = {
	{ 0x1000, 3, 64 },  /* old */
	{ 0x1100, 4, 48 },  /* old: same name, other type entry */
	{ 0x1200, 0, 256 }, /* old: same type, bigger */
	{ 0x1300, 1, 50 },  /* new: old address, other type */
	{ 0x1700, 2, 48 },  /* new */
	{ 0x1500, 2, 48 },  /* new */
	{ 0x1600, 4, 48 },  /* new, of the second app.Leaked */
};

static void check_two(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap old, new;
	struct heap_diff d;
	const struct diff_type *lk, *str, *lst, *dict;
	uint64_t a[8];
	size_t n;

	if (build(&old, old_types, 3, old_objs, 5) || build(&new, new_types, 5, new_objs, 7) ||
	    diff_heaps(&old, &new, DIFF_BY_SIZE, DIFF_NEW_OBJECTS, &d, &err)) {
		tap_ok(0, "graphs built and compared: %s", err.msg);
		heap_release(&old);
		heap_release(&new);
		return;
	}
	lk = find(&d, "app.Leaked");
	str = find(&d, "str");
	lst = find(&d, "list");
	dict = find(&d, "dict");
	tap_ok(d.ntypes == 4, "types matched by name across two type tables: 4 names (%zu)",
	       d.ntypes);
	tap_ok(is(lk, 2, 4, 96, 192, 3, 144),
	       "app.Leaked, defined twice in NEW, counts as one: 2 -> 4 objects, +96 B, 3 new");
	tap_ok(is(str, 0, 1, 0, 50, 1, 50),
	       "an old address reused by another type is a new object (str +1, +50 B)");
	tap_ok(is(lst, 1, 1, 56, 256, 0, 0),
	       "same address, same type, bigger: not new, +0 objects, +200 B");
	tap_ok(is(dict, 2, 1, 164, 64, 0, 0), "a freed dict: -1 object, -100 B, nothing new");
	tap_ok(d.old_count == 5 && d.new_count == 7 && d.old_size == 316 && d.new_size == 562 &&
		       d.nnew == 4 && d.nnew_size == 194,
	       "totals: 5 -> 7 objects, 316 -> 562 B, 4 new of 194 B");
	tap_ok(d.types[0].name == lst->name && d.types[1].name == lk->name &&
		       d.types[2].name == str->name && d.types[3].name == dict->name,
	       "by size: list, app.Leaked, str, dict (shrunk last)");
	n = new_addrs(&new, &d, lk, a, 8);
	tap_ok(d.nby_new == 2 && &d.types[d.by_new[0]] == lk && &d.types[d.by_new[1]] == str &&
		       n == 3 && a[0] == 0x1700 && a[1] == 0x1500 && a[2] == 0x1600,
	       "new objects: app.Leaked's three (in index order), then str's");
	n = new_addrs(&new, &d, str, a, 8);
	tap_ok(n == 1 && a[0] == 0x1300, "str's new object is the one at the reused address");
	diff_release(&d);

	if (diff_heaps(&old, &new, DIFF_BY_COUNT, 0, &d, &err)) {
		tap_ok(0, "compared by count: %s", err.msg);
	} else {
		tap_ok(d.ntypes == 4 && !strcmp(d.types[0].name, "app.Leaked") &&
			       !strcmp(d.types[1].name, "str") &&
			       !strcmp(d.types[2].name, "list") &&
			       !strcmp(d.types[3].name, "dict") && d.nnew == 0 && !d.nby_new &&
			       find(&d, "app.Leaked")->nnew == 0,
		       "by count: app.Leaked +2, str +1, list 0, dict -1; no new objects unless "
		       "asked for");
		diff_release(&d);
	}
	heap_release(&old);
	heap_release(&new);
}

/* watch's first capture: compared with an empty graph. */
static void check_from_empty(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap old, new;
	struct heap_diff d;
	size_t k;
	int ok = 1;

	heap_init(&old);
	if (build(&new, new_types, 5, new_objs, 7) ||
	    diff_heaps(&old, &new, DIFF_BY_COUNT, DIFF_NEW_OBJECTS, &d, &err)) {
		tap_ok(0, "compared with an empty graph: %s", err.msg);
		heap_release(&old);
		heap_release(&new);
		return;
	}
	for (k = 0; k < d.ntypes; k++)
		ok = ok && d.types[k].old_count == 0 &&
		     d.types[k].dcount == (int64_t)d.types[k].new_count &&
		     d.types[k].nnew == d.types[k].new_count;
	tap_ok(ok && d.ntypes == 4 && d.old_count == 0 && d.new_count == 7 && d.nnew == 7,
	       "from an empty graph: every type grew by all its objects, all new");
	diff_release(&d);
	heap_release(&old);
	heap_release(&new);
}

int main(void)
{
	check_two();
	check_from_empty();
	return tap_done();
}
