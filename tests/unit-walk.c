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
		size_t rounds = tap_scale(ROUNDS, 6), done = 0, warned = 0, bad = 0, objects = 0, round;
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
				if (!walk_graph_ok(&h) || snapshot_write(&h, path, SNAP_FORCE, &err) ||
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
		       "(%zu objects in all)", (*tb)->major, minor,
		       (*tb)->free_threaded ? "t" : "", rounds, objects);
	}
	unlink(path);
	rmdir(dir);
	return tap_done();
}
