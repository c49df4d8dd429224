/*
 * mksnap - write small snapshot files of synthetic heaps.
 *
 *   mksnap DIR
 *
 * Writes into DIR (which must exist) a handful of snapshots small enough
 * to damage at every byte: zoo.hsnap, a program's heap in miniature
 * (modules, a class with __del__ and its instances' dicts, a list, an
 * unreachable cycle, weak and scanned references, every kind of root, an
 * object over 4 GiB, values with control bytes and bad UTF-8, two threads
 * with frames); chain.hsnap, a linked list 50 deep; random-1..3.hsnap,
 * random graphs; empty.hsnap, no object at all.  They seed the snapshot
 * fuzzer (tests/fuzz/corpus/snapshot) and feed test_files.py.  The same
 * files on every run: nothing depends on time or on the machine.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "heap/heap.h"
#include "heap/snapshot.h"

struct b {
	struct heap *h;
	struct hs_error err;
	int failed;
	uint32_t nobj;
};

static uint32_t s(struct b *b, const char *text)
{
	return heap_intern(b->h, text, strlen(text));
}

static uint32_t nm(struct b *b, int kind, const char *text)
{
	return HEAP_EDGE(HE_STRONG, kind, heap_name(b->h, text, strlen(text)));
}

static uint32_t ty(struct b *b, uint64_t addr, const char *name)
{
	return heap_add_type(b->h, addr, s(b, name));
}

/* An object at the next address; value may be NULL. */
static uint32_t obj(struct b *b, uint32_t type, uint64_t size, const char *value, size_t vlen,
		    unsigned flags)
{
	uint32_t i = heap_add_obj(b->h, 0x7f0000100000ull + 0x40ull * b->nobj, type,
				  size > UINT32_MAX - 1 ? 0 : size, 1, flags, &b->err);

	if (i == HEAP_NONE) {
		b->failed = 1;
		return 0;
	}
	b->nobj++;
	if (size > UINT32_MAX - 1 && heap_set_size(b->h, i, size, &b->err))
		b->failed = 1;
	if (value)
		b->h->obj[i].value = heap_add_string(b->h, value, vlen);
	return i;
}

static void edges(struct b *b, uint32_t from)
{
	if (heap_begin_edges(b->h, from, &b->err))
		b->failed = 1;
}

static void edge(struct b *b, uint32_t to, uint32_t name)
{
	if (heap_add_edge(b->h, to, name, &b->err))
		b->failed = 1;
}

static void root(struct b *b, uint32_t o, enum heap_root_kind kind, const char *label)
{
	b->h->flags[o] |= HO_ROOT;
	if (heap_add_root(b->h, o, kind, s(b, label), 0, &b->err))
		b->failed = 1;
}

static void meta(struct b *b, const char *version, uint32_t minor)
{
	struct heap_meta *m = &b->h->meta;

	m->pid = 4242;
	m->capture_time = 1764000000;
	m->pause_ns = 1500000;
	m->py_major = 3;
	m->py_minor = minor;
	m->version = s(b, version);
	m->exe = s(b, "/usr/bin/python3");
	m->cmdline = s(b, "python3 app.py --serve");
	m->warning = s(b, "");
}

static void thread(struct b *b, int32_t tid, const char *name, unsigned flags,
		   const char *const *frames, size_t n)
{
	struct heap_thread t = { .thread_id = 0x7f00aa000000ull + (uint64_t)tid,
				 .tid = tid,
				 .name = s(b, name),
				 .flags = flags,
				 .first_frame = (uint32_t)b->h->nframe,
				 .nframes = (uint32_t)n };
	size_t i;

	for (i = 0; i < n; i++) {
		char label[128];
		struct heap_frame f = { .function = s(b, frames[i]),
					.file = s(b, "app.py"),
					.line = (int32_t)(10 * (i + 1)) };

		snprintf(label, sizeof(label), "thread %d frame %s (app.py:%zu)", tid, frames[i],
			 10 * (i + 1));
		f.root_label = s(b, label);
		if (heap_add_frame(b->h, &f, &b->err))
			b->failed = 1;
	}
	if (heap_add_thread(b->h, &t, &b->err))
		b->failed = 1;
}

/* A program's heap in miniature. */
static void zoo(struct b *b)
{
	static const char *const main_frames[] = { "serve", "<module>" };
	static const char *const worker_frames[] = { "Worker.run", "Thread._bootstrap" };
	uint32_t t_type = ty(b, 0x900000, "type"), t_dict = ty(b, 0x900100, "dict");
	uint32_t t_str = ty(b, 0x900200, "str"), t_list = ty(b, 0x900300, "list");
	uint32_t t_tuple = ty(b, 0x900400, "tuple"), t_int = ty(b, 0x900500, "int");
	uint32_t t_mod = ty(b, 0x900600, "module"), t_none = ty(b, 0x900700, "NoneType");
	uint32_t t_ref = ty(b, 0x900800, "weakref.ReferenceType");
	uint32_t t_bytes = ty(b, 0x900900, "bytes"), t_ext = ty(b, 0x900a00, "ext.Opaque");
	uint32_t t_w = ty(b, 0x7f0000100000ull + 0x40ull * 7, "app.Widget");
	uint32_t modules, sys_mod, sys_dict, app, app_dict, reg, widget_cls, cls_dict, mro;
	uint32_t name_s, del_s, ints[3], w[4], wd[4], cyc[3], none, ref, blob, ext, big;
	int i;

	modules = obj(b, t_dict, 1184, NULL, 0, HO_GC);	   /* 0 */
	sys_mod = obj(b, t_mod, 72, NULL, 0, HO_GC);	   /* 1 */
	sys_dict = obj(b, t_dict, 4696, NULL, 0, HO_GC);   /* 2 */
	app = obj(b, t_mod, 72, NULL, 0, HO_GC);	   /* 3 */
	app_dict = obj(b, t_dict, 1184, NULL, 0, HO_GC);   /* 4 */
	reg = obj(b, t_list, 120, NULL, 0, HO_GC);	   /* 5 */
	cls_dict = obj(b, t_dict, 288, NULL, 0, HO_GC);	   /* 6 */
	widget_cls = obj(b, t_type, 1064, NULL, 0, HO_GC); /* 7: the class */
	mro = obj(b, t_tuple, 56, NULL, 0, HO_GC);	   /* 8 */
	name_s = obj(b, t_str, 55, "name\x1b[31m\xff\xfe", 10, HO_IMMORTAL);
	del_s = obj(b, t_str, 56, "__del__", 7, 0);
	for (i = 0; i < 3; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i * 1000 - 1);
		ints[i] = obj(b, t_int, 28, v, strlen(v), 0);
	}
	for (i = 0; i < 4; i++) {
		w[i] = obj(b, t_w, 48, NULL, 0, HO_GC);
		wd[i] = obj(b, t_dict, 104, NULL, 0, HO_GC);
	}
	for (i = 0; i < 3; i++)
		cyc[i] = obj(b, i ? t_list : t_w, 64, NULL, 0, HO_GC);
	none = obj(b, t_none, 16, NULL, 0, HO_IMMORTAL);
	ref = obj(b, t_ref, 80, NULL, 0, HO_GC);
	blob = obj(b, t_bytes, 70, "a\0b\nc\"\\", 8, HO_TRUNC);
	ext = obj(b, t_ext, 4096, NULL, 0, HO_GC | HO_SCANNED | HO_SIZE_EST);
	big = obj(b, t_bytes, 6ull << 30, "xxxx", 4, HO_TRUNC);
	b->h->types[t_w].obj = widget_cls;
	b->h->types[t_w].name = s(b, "app.Widget");

	edges(b, modules);
	edge(b, sys_mod, nm(b, HN_VALUE, "'sys'"));
	edge(b, app, nm(b, HN_VALUE, "'app'"));
	edges(b, sys_mod);
	edge(b, sys_dict, nm(b, HN_FIELD, "__dict__"));
	edges(b, sys_dict);
	edge(b, modules, nm(b, HN_VALUE, "'modules'"));
	edges(b, app);
	edge(b, app_dict, nm(b, HN_FIELD, "__dict__"));
	edges(b, app_dict);
	edge(b, reg, nm(b, HN_VALUE, "'registry'"));
	edge(b, widget_cls, nm(b, HN_VALUE, "'Widget'"));
	edge(b, big, nm(b, HN_VALUE, "'cache'"));
	edges(b, reg);
	for (i = 0; i < 4; i++)
		edge(b, w[i], HEAP_EDGE(HE_STRONG, HN_INDEX, i));
	edges(b, cls_dict);
	edge(b, del_s, nm(b, HN_KEY, "'__del__'"));
	edge(b, ints[0], nm(b, HN_VALUE, "'__del__'"));
	edges(b, widget_cls);
	edge(b, cls_dict, nm(b, HN_FIELD, "__dict__"));
	edge(b, mro, nm(b, HN_FIELD, "__mro__"));
	edges(b, mro);
	edge(b, widget_cls, HEAP_EDGE(HE_STRONG, HN_INDEX, 0));
	for (i = 0; i < 4; i++) {
		edges(b, w[i]);
		edge(b, wd[i], nm(b, HN_FIELD, "__dict__"));
		edge(b, widget_cls, nm(b, HN_FIELD, "ob_type"));
		edges(b, wd[i]);
		edge(b, name_s, nm(b, HN_KEY, "'name'"));
		edge(b, ints[i % 3], nm(b, HN_VALUE, "'name'"));
	}
	/* an unreachable cycle through a Widget (a finalizer) */
	edges(b, cyc[0]);
	edge(b, cyc[1], nm(b, HN_ATTR, "next"));
	edges(b, cyc[1]);
	edge(b, cyc[2], HEAP_EDGE(HE_STRONG, HN_INDEX, 0));
	edges(b, cyc[2]);
	edge(b, cyc[0], HEAP_EDGE(HE_STRONG, HN_INDEX, 0));
	edges(b, ref);
	edge(b, w[0], HEAP_EDGE(HE_WEAK, HN_NONE, 0));
	edges(b, ext);
	edge(b, blob, HEAP_EDGE(HE_SCANNED, HN_NONE, 0));
	edge(b, w[3], HEAP_EDGE(HE_SCANNED, HN_NONE, 0));

	root(b, modules, HR_MODULES, "sys.modules");
	root(b, sys_dict, HR_SYSDICT, "the sys module's dict");
	root(b, app_dict, HR_BUILTINS, "builtins");
	root(b, ref, HR_THREAD, "thread 101 state");
	root(b, w[1], HR_FRAME, "thread 100 frame serve (app.py:10)");
	root(b, none, HR_IMMORTAL, "immortal object");
	root(b, name_s, HR_INTERNED, "interned string");
	root(b, ext, HR_OUTSIDE, "held from outside the heap (C code or statics)");
	root(b, blob, HR_GC_GARBAGE, "gc.garbage");
	meta(b, "3.12.1", 12);
	b->h->meta.warnings = 2;
	b->h->meta.warning = s(b, "the generation 0 list is broken after 3 objects");
	thread(b, 100, "MainThread", 3, main_frames, 2);
	thread(b, 101, "worker-\xc3\xa9", 0, worker_frames, 2);
}

/* A linked list n deep from one root: deep paths and dominator chains. */
static void chain(struct b *b, uint32_t n)
{
	uint32_t t_node = ty(b, 0x900000, "app.Node"), t_str = ty(b, 0x900100, "str");
	uint32_t i, next = nm(b, HN_ATTR, "next"), label = nm(b, HN_ATTR, "label");

	for (i = 0; i < n; i++)
		obj(b, i % 2 ? t_str : t_node, 56, i % 2 ? "n" : NULL, 1, HO_GC);
	for (i = 0; i + 2 < n; i += 2) {
		edges(b, i);
		edge(b, i + 2, next);
		edge(b, i + 1, label);
	}
	root(b, 0, HR_MODULES, "sys.modules");
	meta(b, "3.8.18", 8);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A random graph: 20-80 objects of a few types, edges of every kind. */
static void random_graph(struct b *b, uint64_t seed)
{
	static const char *const names[] = { "dict",	 "list",     "str",   "tuple",
					     "app.User", "function", "frame", "set" };
	uint32_t types[8], n, i, k, e;

	for (i = 0; i < 8; i++)
		types[i] = ty(b, 0x900000 + 0x100 * i, names[i]);
	n = 20 + (uint32_t)(rnd(&seed) % 61);
	for (i = 0; i < n; i++) {
		char v[16];

		/* one draw a statement: the order of a call's arguments is the
		 * compiler's, and the files must not depend on it */
		uint32_t t = types[rnd(&seed) % 8];
		uint64_t size = rnd(&seed) % 3 ? 16 + rnd(&seed) % 500 : 0;
		int valued = rnd(&seed) % 2;
		unsigned flags = (unsigned)(rnd(&seed) & 0xff);

		snprintf(v, sizeof(v), "v%u", i);
		obj(b, t, size, valued ? v : NULL, strlen(v), flags);
	}
	for (i = 0; i < n; i++) {
		edges(b, i);
		for (e = (uint32_t)(rnd(&seed) % 4); e; e--) {
			uint32_t to, index;

			k = (uint32_t)(rnd(&seed) % 3);
			to = (uint32_t)(rnd(&seed) % n);
			index = k == 0 ? (uint32_t)(rnd(&seed) % 9) : 0;
			edge(b, to,
			     k == 0   ? HEAP_EDGE(HE_STRONG, HN_INDEX, index)
			     : k == 1 ? nm(b, HN_ATTR, "x")
				      : HEAP_EDGE(HE_WEAK, HN_NONE, 0));
		}
	}
	for (i = 0; i < 3; i++)
		root(b, (uint32_t)(rnd(&seed) % n), (enum heap_root_kind)(1 + i * 3), "root");
	meta(b, "3.13.0", 13);
}

static int write_one(const char *dir, const char *name, void (*fill)(struct b *, uint64_t),
		     uint64_t arg)
{
	struct heap h;
	struct b b = { .h = &h, .err = HS_ERROR_INIT };
	char path[4096];

	heap_init(&h);
	fill(&b, arg);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (b.failed || heap_finish(&h, &b.err) || snapshot_write(&h, path, SNAP_FORCE, &b.err)) {
		fprintf(stderr, "mksnap: %s: %s\n", path, b.err.msg);
		heap_release(&h);
		return 1;
	}
	heap_release(&h);
	return 0;
}

static void fill_zoo(struct b *b, uint64_t arg)
{
	(void)arg;
	zoo(b);
}

static void fill_chain(struct b *b, uint64_t n)
{
	chain(b, (uint32_t)n);
}

static void fill_empty(struct b *b, uint64_t arg)
{
	(void)arg;
	meta(b, "3.11.2", 11);
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mksnap DIR\n");
		return 2;
	}
	bad += write_one(argv[1], "zoo.hsnap", fill_zoo, 0);
	bad += write_one(argv[1], "chain.hsnap", fill_chain, 101);
	bad += write_one(argv[1], "random-1.hsnap", random_graph, 0x1234567);
	bad += write_one(argv[1], "random-2.hsnap", random_graph, 0xabcdef1);
	bad += write_one(argv[1], "random-3.hsnap", random_graph, 0x5eed5eed);
	bad += write_one(argv[1], "empty.hsnap", fill_empty, 0);
	return bad ? 1 : 0;
}
