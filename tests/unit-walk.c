/*
 * unit-walk.c - the heap walk over memory that lies.
 *
 * A target that changes under a --no-stop walk, or a corrupt one, looks
 * like the images of walkimage.h: type objects with random flags, sizes
 * and bases whose names are every builtin the walk decodes; objects of
 * those types whose fields point anywhere; an interpreter state of
 * random words.  Walked as a copy and as a live process would be read,
 * with and without a collector list to follow.  For every built-in layout
 * table (offsets/tables.c: a new version is tested once it has one) the
 * walk must finish, say it met inconsistencies, and leave a graph whose
 * every index is in range and which writes and loads back as a snapshot.
 * (Its answers are checked against real interpreters in test_walk.py.)
 *
 * CPython 3.14.0-3.14.4 (the incremental collector) are checked here
 * only: no such build runs on our machines.  A clean image laid out with
 * the 3.14 table as corrected for 3.14.2 (the interpreter's fields moved
 * by the collector's smaller state) and whose collector list carries the
 * old-space bit in every object's _gc_next must give every listed object,
 * tracked, and the three roots at their 3.14.2 places; the same image
 * read with the 3.14.5+ layout must not find those roots (the
 * correction matters).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heap/heap.h"
#include "layout/layout.h"
#include "python/pyproc.h"
#include "heap/snapshot.h"
#include "tap.h"
#include "target/target.h"
#include "walk/walk.h"
#include "walkimage.h"

#define ROUNDS 12

/* Walk a clean image of the 3.14 table with a collector list (read as
 * patch release micro's layout says, unless -1); count the objects found
 * tracked and the sys.modules/sys/builtins roots; *listed: the objects
 * the image put on the list. */
static int walk_listed(const struct layout_table *tb, unsigned flags, int micro, size_t *listed,
		       size_t *tracked, size_t *roots)
{
	struct hs_error err = HS_ERROR_INIT;
	struct walk_image wi;
	struct heap h;
	size_t i;
	int ret = -1;

	*listed = *tracked = *roots = 0;
	if (walk_image_init(&wi, tb, 1, flags) || walk_image_attach(&wi, 0, &err)) {
		tap_diag("image: %s", err.msg);
		goto out;
	}
	*listed = wi.listed;
	if (micro >= 0 && micro != wi.p.micro) {
		int64_t v[LF_COUNT];

		layout_init(&wi.p.layout, tb->major, tb->minor);
		layout_table_values(tb, micro, v);
		layout_overlay(&wi.p.layout, v, LS_TABLE);
	}
	heap_init(&h);
	if (!walk_heap(&wi.p, NULL, &h, NULL, &err)) {
		for (i = 0; i < h.nobj; i++)
			*tracked += (h.flags[i] & HO_GC) != 0;
		for (i = 0; i < h.nroot; i++)
			*roots += h.roots[i].kind == HR_MODULES || h.roots[i].kind == HR_SYSDICT ||
				  h.roots[i].kind == HR_BUILTINS;
		ret = 0;
	} else {
		tap_diag("walk: %s", err.msg);
	}
	heap_release(&h);
out:
	walk_image_release(&wi);
	return ret;
}

static void incremental(void)
{
	const struct layout_table *tb = layout_table_find(3, 14, 0);
	const unsigned inc = WI_CLEAN | WI_GC_LIST | WI_INCREMENTAL;
	size_t listed, tracked, roots, plain;
	int r;

	if (!tb) {
		tap_skip("no 3.14 table");
		return;
	}
	/* the same image without the bits: what the list gives unmarked
	 * (objects the interpreter's own fields overwrite in these images
	 * are lost either way) */
	r = walk_listed(tb, inc, -1, &listed, &plain, &roots);
	r |= walk_listed(tb, inc | WI_OLD_SPACE, -1, &listed, &tracked, &roots);
	tap_ok(!r && listed > 100 && tracked + 2 >= listed && tracked == plain && roots == 3,
	       "3.14.0-3.14.4: the incremental collector's list, old-space bits set, gives its "
	       "objects tracked (%zu of %zu listed, %zu without the bits), and the roots at "
	       "their 3.14.2 places (%zu of 3)",
	       tracked, listed, plain, roots);
	r = walk_listed(tb, inc | WI_OLD_SPACE, 7, &listed, &tracked, &roots);
	tap_ok(!r && roots < 3,
	       "the same memory read with the 3.14.5+ layout misses roots "
	       "(%zu of 3): the correction is what finds them",
	       roots);
	r = walk_listed(tb, WI_CLEAN | WI_GC_LIST, -1, &listed, &tracked, &roots);
	tap_ok(!r && listed > 100 && tracked + 2 >= listed && roots == 3,
	       "3.14.5+: the generational collector's list gives its objects tracked (%zu of "
	       "%zu) and the roots (%zu of 3)",
	       tracked, listed, roots);
}

int main(void)
{
	const struct layout_table *const *tb;
	char dir[] = "/tmp/hs-unit-walk-XXXXXX", path[64];

	if (!mkdtemp(dir)) {
		tap_ok(0, "temporary directory");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/g.hsnap", dir);
	for (tb = layout_tables; *tb; tb++) {
		size_t rounds = tap_scale(ROUNDS, 6), done = 0, warned = 0, bad = 0, objects = 0,
		       round;
		int minor = (*tb)->minor;

		for (round = 0; round < rounds; round++) {
			struct hs_error err = HS_ERROR_INIT;
			/* a copy, as captures walk; half the rounds as a live
			 * process reads, with a collector list to follow */
			unsigned flags = round % 2 ? WI_LIVE | WI_GC_LIST : 0;
			struct walk_image wi;
			struct heap h, back;

			if (walk_image_init(&wi, *tb, round * 16 + (uint64_t)minor, flags) ||
			    walk_image_attach(&wi, flags, &err)) {
				bad++;
				walk_image_release(&wi);
				continue;
			}
			heap_init(&h);
			if (!walk_heap(&wi.p, NULL, &h, NULL, &err)) {
				done++;
				objects += h.nobj;
				warned += h.meta.warnings > 0;
				heap_init(&back);
				if (!walk_graph_ok(&h) ||
				    snapshot_write(&h, path, SNAP_FORCE, &err) ||
				    snapshot_load(&back, path, &err) || back.nobj != h.nobj)
					bad++;
				heap_release(&back);
			} else if (err.code != HS_ENOMEM && err.code != HS_EREAD) {
				bad++;
			}
			heap_release(&h);
			walk_image_release(&wi);
		}
		/* a free-threaded walk takes no collector list, and its
		 * stricter headers refuse more of the garbage */
		tap_ok(!bad && done == rounds && warned == done &&
			       objects > rounds * ((*tb)->free_threaded ? 50 : 100),
		       "%d.%d%s: %zu walks of garbage finish, warn, and leave sound graphs "
		       "(%zu objects in all)",
		       (*tb)->major, minor, (*tb)->free_threaded ? "t" : "", rounds, objects);
	}
	incremental();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
