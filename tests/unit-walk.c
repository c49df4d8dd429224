/*
 * unit-walk.c - the heap walk over memory that lies.
 *
 * A target that changes under a --no-stop walk, or a corrupt one, looks
 * like this: type objects with random flags, sizes and bases whose names
 * are every builtin the walk decodes; objects of those types whose fields
 * point anywhere (other objects, the middle of objects, small numbers);
 * an interpreter state of random words.  For every layout of 3.8-3.13 the
 * walk must finish, say it met inconsistencies, and leave a graph whose
 * every index is in range and which writes and loads back as a snapshot.
 * (Its answers are checked against real interpreters in test_walk.py.)
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heap.h"
#include "layout.h"
#include "pyproc.h"
#include "snapshot.h"
#include "tap.h"
#include "target.h"
#include "walk.h"

#define BASE 0x100000ull
#define LEN (1u << 18)
#define OBJS (BASE + 65536)
#define NOBJ 4096
#define OSTRIDE 32
#define ROUNDS 12

static const char *const names[] = {
	"list", "tuple", "dict", "set", "frozenset", "str", "int", "bool", "float", "bytes",
	"bytearray", "NoneType", "function", "cell", "method", "builtin_function_or_method",
	"module", "code", "frame", "generator", "coroutine", "async_generator",
	"method_descriptor", "member_descriptor", "getset_descriptor", "wrapper_descriptor",
	"classmethod_descriptor", "mappingproxy", "method-wrapper", "weakref",
	"weakref.ReferenceType", "classmethod", "staticmethod", "property", "BaseException",
	"traceback", "collections.deque", "ext.Opaque", "object", "type",
};
#define NTYPES (sizeof(names) / sizeof(names[0]))
#define TYPE_TYPE (NTYPES - 1)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t some_object(uint64_t *s)
{
	return OBJS + rnd(s) % NOBJ * OSTRIDE;
}

/* Memory for one round: words that are mostly pointers to objects. */
static uint64_t *make_memory(const struct layout *l, uint64_t seed, uint64_t *s)
{
	uint64_t *m = malloc(LEN), strs = BASE + LEN - 4096;
	size_t i, k;

	*s = seed * 2654435761u + 1;
	for (i = 0; i < LEN / 8; i++)
		m[i] = rnd(s) % 2 ? some_object(s) : rnd(s) % 64;
	for (k = 0; k < NTYPES; k++)
		strcpy((char *)m + (strs - BASE) + k * 32, names[k]);
	for (k = 0; k < NTYPES; k++) {
		uint64_t *t = m + (4096 + k * 1024) / 8;

		t[0] = 1;
		t[1] = BASE + 4096 + TYPE_TYPE * 1024;
		t[LAY(l, type_name) / 8] = strs + k * 32;
		t[LAY(l, type_basicsize) / 8] = 16 + 8 * (rnd(s) % 16);
		t[LAY(l, type_itemsize) / 8] = rnd(s) % 3 ? 0 : 8;
		/* any flags but the heap-type bit */
		t[LAY(l, type_flags) / 8] = rnd(s) & ~(1ull << 9);
		t[LAY(l, type_base) / 8] = rnd(s) % 2 ? 0 : BASE + 4096 + (NTYPES - 2) * 1024;
		t[LAY(l, type_dictoffset) / 8] = rnd(s) % 4 ? 0 : 16 + 8 * (rnd(s) % 4);
	}
	for (k = 0; k < NOBJ; k++) {
		uint64_t *o = m + (OBJS - BASE) / 8 + k * (OSTRIDE / 8);

		o[0] = 1 + rnd(s) % 5;
		o[1] = BASE + 4096 + rnd(s) % NTYPES * 1024;
	}
	return m;
}

/* Every index a reader follows is in range. */
static int graph_ok(const struct heap *h)
{
	size_t i;

	if (h->edge_start[0] != 0 || h->edge_start[h->nobj] != h->nedge)
		return 0;
	for (i = 0; i < h->nobj; i++)
		if (h->edge_start[i + 1] < h->edge_start[i] || h->obj[i].type >= h->ntype)
			return 0;
	for (i = 0; i < h->nedge; i++)
		if (h->edge_dst[i] >= h->nobj)
			return 0;
	for (i = 0; i < h->nroot; i++)
		if (h->roots[i].obj >= h->nobj)
			return 0;
	return 1;
}

int main(void)
{
	char dir[] = "/tmp/hs-unit-walk-XXXXXX", path[64];
	int minor;

	if (!mkdtemp(dir)) {
		tap_ok(0, "temporary directory");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/g.hsnap", dir);
	for (minor = 8; minor <= 13; minor++) {
		const struct layout_table *tb = layout_table_find(3, minor);
		size_t done = 0, warned = 0, bad = 0, objects = 0, round;

		if (!tb) {
			tap_skip("no built-in layout table");
			continue;
		}
		for (round = 0; round < ROUNDS; round++) {
			struct hs_error err = HS_ERROR_INIT;
			struct pyproc p;
			struct heap h, back;
			uint64_t s, *mem;

			memset(&p, 0, sizeof(p));
			layout_init(&p.layout, 3, minor);
			layout_overlay(&p.layout, tb->v, LS_TABLE);
			p.major = 3;
			p.minor = minor;
			mem = make_memory(&p.layout, round * 16 + (uint64_t)minor, &s);
			p.type_type = BASE + 4096 + TYPE_TYPE * 1024;
			p.runtime = BASE + 512;
			p.interp = OBJS + 7 * OSTRIDE;
			mem[(p.runtime - BASE + (uint64_t)LAY(&p.layout, runtime_interpreters_head)) / 8] =
				p.interp;
			p.t = target_image_new();
			if (!p.t || target_image_add(p.t, BASE, mem, LEN, &err)) {
				bad++;
				free(mem);
				target_close(p.t);
				continue;
			}
			heap_init(&h);
			if (!walk_heap(&p, NULL, &h, NULL, &err)) {
				done++;
				objects += h.nobj;
				warned += h.meta.warnings > 0;
				heap_init(&back);
				if (!graph_ok(&h) || snapshot_write(&h, path, SNAP_FORCE, &err) ||
				    snapshot_load(&back, path, &err) || back.nobj != h.nobj)
					bad++;
				heap_release(&back);
			} else if (err.code != HS_ENOMEM && err.code != HS_EREAD) {
				bad++;
			}
			heap_release(&h);
			target_close(p.t);
			free(mem);
		}
		tap_ok(!bad && done == ROUNDS && warned == done && objects > ROUNDS * 100,
		       "3.%d: %d walks of garbage finish, warn, and leave sound graphs "
		       "(%zu objects in all)", minor, ROUNDS, objects);
	}
	unlink(path);
	rmdir(dir);
	return tap_done();
}
