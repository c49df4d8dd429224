/*
 * walkimage.c - an interpreter in memory that lies (walkimage.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "python/gcinfo.h"
#include "layout/layout.h"
#include "target/target.h"
#include "walkimage.h"

#define TYPES (WI_BASE + 4096)
#define TSTRIDE 1024
#define OBJS (WI_BASE + 65536)
#define OSTRIDE 32

static const char *const names[] = {
	"list",
	"tuple",
	"dict",
	"set",
	"frozenset",
	"str",
	"int",
	"bool",
	"float",
	"bytes",
	"bytearray",
	"NoneType",
	"function",
	"cell",
	"method",
	"builtin_function_or_method",
	"module",
	"code",
	"frame",
	"generator",
	"coroutine",
	"async_generator",
	"method_descriptor",
	"member_descriptor",
	"getset_descriptor",
	"wrapper_descriptor",
	"classmethod_descriptor",
	"mappingproxy",
	"method-wrapper",
	"weakref",
	"weakref.ReferenceType",
	"classmethod",
	"staticmethod",
	"property",
	"BaseException",
	"traceback",
	"collections.deque",
	"ext.Opaque",
	"object",
	"type",
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
	return OBJS + rnd(s) % WI_NOBJ * OSTRIDE;
}

static uint64_t *word(struct walk_image *wi, uint64_t addr)
{
	return wi->mem + (addr - WI_BASE) / 8;
}

/* Generation 0 through every other object (of the first n), linked both
 * ways. */
static void link_gc(struct walk_image *wi, size_t n, uint64_t space)
{
	const struct layout *l = &wi->p.layout;
	uint64_t gcs = gcinfo_state_addr(&wi->p, wi->p.interp), head, prev, g;
	size_t k;

	if (!gcs || !LAY_HAS(l, gcstate_generations) || gcs - WI_BASE >= WI_LEN - 64)
		return;
	head = gcs + (uint64_t)LAY(l, gcstate_generations) + (uint64_t)LAY(l, gcgen_head);
	prev = head;
	/* links as the incremental collector keeps them: bit 0 the space
	 * (old[0] or old[1]) the object is in */
	for (k = 2; k < n; k += 2) {
		g = OBJS + k * OSTRIDE - (uint64_t)LAY(l, gchead_size);
		if (g >= head && g < head + 16)
			continue;
		*word(wi, prev + (uint64_t)LAY(l, gchead_next)) = g | (prev == head ? 0 : space);
		*word(wi, g + (uint64_t)LAY(l, gchead_prev)) = prev;
		prev = g;
		wi->listed++;
	}
	*word(wi, prev + (uint64_t)LAY(l, gchead_next)) = head | space;
	*word(wi, head + (uint64_t)LAY(l, gchead_prev)) = prev;
}

/* An object header at word o: its type, and a reference count (in a
 * free-threaded build's owner-thread count, its shared count 0). */
static void header(struct walk_image *wi, uint64_t *o, uint64_t type, uint32_t refcnt)
{
	const struct layout *l = &wi->p.layout;

	if (wi->p.free_threaded) {
		memset(o, 0, (size_t)LAY(l, object_type));
		memcpy((char *)o + LAY(l, object_ref_local), &refcnt, 4);
	} else {
		o[0] = refcnt;
	}
	o[LAY(l, object_type) / 8] = type;
}

int walk_image_init(struct walk_image *wi, const struct layout_table *tb, uint64_t seed,
		    unsigned flags)
{
	const struct layout *l = &wi->p.layout;
	uint64_t strs = WI_BASE + WI_LEN - 4096, s = seed * 2654435761u + 1, *m;
	size_t i, k;

	memset(wi, 0, sizeof(*wi));
	m = wi->mem = malloc(WI_LEN);
	if (!m)
		return -1;
	layout_init(&wi->p.layout, tb->major, tb->minor);
	if (flags & WI_INCREMENTAL) {
		int64_t v[LF_COUNT];

		wi->p.micro = 2;
		layout_table_values(tb, wi->p.micro, v);
		layout_overlay(&wi->p.layout, v, LS_TABLE);
	} else {
		layout_overlay(&wi->p.layout, tb->v, LS_TABLE);
	}
	wi->p.major = tb->major;
	wi->p.minor = tb->minor;
	wi->p.free_threaded = tb->free_threaded;
	wi->p.managed_dict = tb->free_threaded ? 8 : 24;
	wi->p.type_type = TYPES + TYPE_TYPE * TSTRIDE;
	wi->p.runtime = WI_BASE + 512;
	wi->p.interp = OBJS + 7 * OSTRIDE;
	for (i = 0; i < WI_LEN / 8; i++)
		m[i] = flags & WI_CLEAN ? 0 : rnd(&s) % 2 ? some_object(&s) : rnd(&s) % 64;
	for (k = 0; k < NTYPES; k++)
		strcpy((char *)m + (strs - WI_BASE) + k * 32, names[k]);
	for (k = 0; k < NTYPES; k++) {
		uint64_t *t = word(wi, TYPES + k * TSTRIDE);

		header(wi, t, wi->p.type_type, 1);
		t[LAY(l, type_name) / 8] = strs + k * 32;
		t[LAY(l, type_basicsize) / 8] = 16 + 8 * (rnd(&s) % 16);
		t[LAY(l, type_itemsize) / 8] = rnd(&s) % 3 ? 0 : 8;
		/* any flags but the heap-type bit */
		t[LAY(l, type_flags) / 8] = rnd(&s) & ~(1ull << 9);
		t[LAY(l, type_base) / 8] = rnd(&s) % 2 ? 0 : TYPES + (NTYPES - 2) * TSTRIDE;
		t[LAY(l, type_dictoffset) / 8] = rnd(&s) % 4 ? 0 : 16 + 8 * (rnd(&s) % 4);
	}
	for (k = 0; k < WI_NOBJ; k++) {
		uint64_t *o = word(wi, OBJS + k * OSTRIDE);

		header(wi, o, TYPES + rnd(&s) % NTYPES * TSTRIDE, (uint32_t)(1 + rnd(&s) % 5));
	}
	*word(wi, wi->p.runtime + (uint64_t)LAY(l, runtime_interpreters_head)) = wi->p.interp;
	if (flags & WI_CLEAN) {
		/* the interpreter's roots and one thread, for the fuzzer to
		 * start from */
		static const enum layout_field roots[] = { LF_interp_modules, LF_interp_sysdict,
							   LF_interp_builtins };
		uint64_t ts = OBJS + 1000 * OSTRIDE;

		for (k = 0; k < sizeof(roots) / sizeof(roots[0]); k++)
			if (l->v[roots[k]] >= 0)
				*word(wi, wi->p.interp + (uint64_t)l->v[roots[k]]) =
					OBJS + (3 + 2 * k) * OSTRIDE;
		if (LAY_HAS(l, interp_threads_head) && LAY_HAS(l, tstate_interp)) {
			*word(wi, wi->p.interp + (uint64_t)LAY(l, interp_threads_head)) = ts;
			*word(wi, ts + (uint64_t)LAY(l, tstate_interp)) = wi->p.interp;
		}
	}
	/* a free-threaded collector keeps no lists */
	if (flags & WI_GC_LIST && !wi->p.free_threaded)
		link_gc(wi, flags & WI_CLEAN ? 256 : WI_NOBJ, flags & WI_OLD_SPACE ? 1 : 0);
	return 0;
}

int walk_image_attach(struct walk_image *wi, unsigned flags, struct hs_error *err)
{
	wi->image = target_image_new();
	if (!wi->image || target_image_add(wi->image, WI_BASE, wi->mem, WI_LEN, err))
		return -1;
	if (!(flags & WI_LIVE)) {
		wi->p.t = wi->image;
		return 0;
	}
	/* an image that holds nothing and reads through to the memory: the
	 * walk cannot mark objects in place, as in a live process */
	wi->p.t = target_image_new();
	if (!wi->p.t)
		return -1;
	target_image_set_fallback(wi->p.t, wi->image);
	return 0;
}

void walk_image_release(struct walk_image *wi)
{
	if (wi->p.t != wi->image)
		target_close(wi->p.t);
	target_close(wi->image);
	free(wi->mem);
	memset(wi, 0, sizeof(*wi));
}

int walk_graph_ok(const struct heap *h)
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
