/*
 * walk.c - the heap walk: seeds, breadth-first closure, roots.
 *
 * Objects get their index when first seen and are processed in index
 * order, so the queue is the object array itself and each object's edges
 * are appended in one run (CSR without a second pass).
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/bigmem.h"
#include "python/gcinfo.h"
#include "python/pyobj.h"
#include "walk_internal.h"

#define MAX_REFCNT (1ll << 40) /* beyond: not a live object's count */
#define PROGRESS_EVERY 65536   /* references followed (a power of 2) */
#define PREFETCH_AHEAD 16      /* objects */

void walk_warn(struct walker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->warnings++) {
		va_start(ap, fmt);
		vsnprintf(w->warning, sizeof(w->warning), fmt, ap);
		va_end(ap);
	}
}

int walk_read_slow(struct walker *w, uint64_t a, void *buf, size_t len)
{
	uint64_t lo;
	size_t n;
	unsigned char *data;

	if (w->image && !target_image_region(w->t, a, &lo, &n, &data) && len <= n - (a - lo)) {
		w->rlo = lo;
		w->rlen = n;
		w->rdata = data;
		memcpy(buf, data + (a - lo), len);
		return 0;
	}
	return target_read(w->t, a, buf, len, NULL);
}

uint32_t walk_name(struct walker *w, const char *s, size_t len)
{
	uint32_t n = heap_name(w->h, s, len);

	if (n == HEAP_NONE) {
		w->oom = 1;
		return 0;
	}
	return n;
}

/* Fixed field names are string literals: cache them by address. */
uint32_t walk_field(struct walker *w, const char *name)
{
	const char **keys = w->fkeys;
	uint32_t *vals = w->fvals;
	size_t k = ((uintptr_t)name >> 3) % FIELD_CACHE, i;

	for (i = 0; i < FIELD_CACHE; i++, k = (k + 1) % FIELD_CACHE) {
		if (keys[k] == name)
			return vals[k];
		if (!keys[k])
			break;
	}
	vals[k] = walk_name(w, name, strlen(name));
	keys[k] = name;
	return vals[k];
}

/*
 * Objects seen: in a copy of the target (capture) the walk marks each
 * object in place, replacing its ob_refcnt (kept in the graph) with a tag
 * and its index, so "seen?" costs no look-up beyond the read of the
 * header it needs anyway.  No refcount reaches the tag's range (we refuse
 * counts above 2^40 and 3.12+ immortal ones have a negative low half).
 * Objects outside the copy, and every object of a live or frozen walk, go
 * to a hash table.
 */
#define SEEN_TAG (0x4853ull << 48)
#define SEEN_MASK (0xffffull << 48)

/*
 * A tag is SEEN_TAG | 16 bits of the address's hash << 32 | the index.
 * The target's own memory may hold a word that looks like a tag (it is
 * no object then: no refcount is that big); the hash makes that unlikely
 * and the index is checked, so such a word can never index out of the
 * graph.
 */
static uint64_t tag_of(uint64_t addr, uint32_t idx)
{
	return SEEN_TAG | (heap_hash64(addr) & 0xffff) << 32 | idx;
}

/* 1 if word is the tag of an object at addr (its index in *idx), 0 if it
 * is no tag, -1 if it looks like one but is not ours. */
static int tag_check(struct walker *w, uint64_t word, uint64_t addr, uint32_t *idx)
{
	if ((word & SEEN_MASK) != SEEN_TAG)
		return 0;
	if (((word >> 32) & 0xffff) != (heap_hash64(addr) & 0xffff) || (uint32_t)word >= w->h->nobj)
		return -1;
	*idx = (uint32_t)word;
	return 1;
}

static uint32_t seen_find(struct walker *w, uint64_t addr)
{
	size_t k;

	if (!w->seen_slots)
		return HEAP_NONE;
	for (k = heap_hash64(addr) & w->seen_mask; w->seen_addr[k]; k = (k + 1) & w->seen_mask)
		if (w->seen_addr[k] == addr)
			return w->seen_idx[k];
	return HEAP_NONE;
}

static int seen_add(struct walker *w, uint64_t addr, uint32_t idx)
{
	size_t k;

	if ((w->nseen + 1) * 2 > w->seen_mask + 1) {
		size_t nslots = w->seen_mask ? 2 * (w->seen_mask + 1) : 1u << 12, i;
		uint64_t *a;
		uint32_t *x;

		size_t old = w->seen_slots ? w->seen_mask + 1 : 0;

		if (heap_build_reserve(w->h, (nslots - old) * (sizeof(*a) + sizeof(*x))))
			return -1;
		a = big_calloc(nslots, sizeof(*a));
		x = big_calloc(nslots, sizeof(*x));

		if (!a || !x) {
			free(a);
			free(x);
			return -1;
		}
		for (i = 0; w->seen_slots && i <= w->seen_mask; i++) {
			if (!w->seen_addr[i])
				continue;
			for (k = heap_hash64(w->seen_addr[i]) & (nslots - 1); a[k];
			     k = (k + 1) & (nslots - 1))
				;
			a[k] = w->seen_addr[i];
			x[k] = w->seen_idx[i];
		}
		free(w->seen_addr);
		free(w->seen_idx);
		w->seen_addr = a;
		w->seen_idx = x;
		w->seen_slots = 1;
		w->seen_mask = nslots - 1;
	}
	for (k = heap_hash64(addr) & w->seen_mask; w->seen_addr[k]; k = (k + 1) & w->seen_mask)
		;
	w->seen_addr[k] = addr;
	w->seen_idx[k] = idx;
	w->nseen++;
	return 0;
}

static void progress(struct walker *w, size_t done)
{
	if (w->o && w->o->progress)
		w->o->progress(w->o->progress_ctx, done, w->h->nobj);
}

/* _Py_REF_DEFERRED: the bias a deferred object's shared count carries
 * (pycore_object.h: PY_SSIZE_T_MAX / 8) */
#define REF_DEFERRED ((int64_t)(INT64_MAX / 8))
#define GC_BITS_TRACKED 0x01
#define GC_BITS_DEFERRED 0x40
#define GC_BITS_UNUSED 0x80
#define OB_FLAGS_KNOWN 0x5	 /* statically allocated 4, immortal 1 */
#define MUTEX_BITS 0x3		 /* PyMutex: locked 1, has parked 2 */
#define MAX_FT_COUNT (1ll << 31) /* beyond: not a live object's count */

/* The byte at off of an object header read into hdr (words). */
static uint64_t hdr_bytes(const uint64_t *hdr, int64_t off, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, (const unsigned char *)hdr + off, n);
	return v;
}

/*
 * The reference count an object header says, and whether it is
 * immortal; -1 when the header is no live object's.
 *   3.8-3.11: the word at 0.
 *   3.12-3.13: immortal when the low half is negative (the high half then
 *     0: increments stop at 2^32 - 1).
 *   3.14: the low half, then ob_overflow (0) and ob_flags (immortal 1,
 *     statically allocated 4); immortal when negative as 32 bits.
 *   free-threaded: ob_ref_local (UINT32_MAX: immortal) plus the shared
 *     count (ob_ref_shared >> 2, flags in its low bits), less the bias of
 *     a deferred object (the per-thread counts come later: thread_counts).
 */
static int header_count(struct walker *w, const uint64_t *hdr, int64_t *refcnt, unsigned *flags)
{
	const struct layout *l = w->l;
	int64_t c = (int64_t)hdr[0];

	if (w->p->free_threaded) {
		uint32_t local = (uint32_t)hdr_bytes(hdr, LAY(l, object_ref_local), 4);
		int64_t shared = (int64_t)hdr_bytes(hdr, LAY(l, object_ref_shared), 8);
		uint8_t bits = (uint8_t)hdr_bytes(hdr, LAY(l, object_gc_bits), 1);
		uint16_t oflags = (uint16_t)hdr_bytes(hdr, LAY(l, object_ob_flags), 2);
		uint8_t mutex = (uint8_t)hdr_bytes(hdr, LAY(l, object_ob_mutex), 1);

		/* what no object's header has: memory that is no object
		 * (mimalloc blocks hold other things too) */
		if (bits & GC_BITS_UNUSED || oflags & ~OB_FLAGS_KNOWN || mutex & ~MUTEX_BITS)
			return -1;
		if (local == UINT32_MAX) {
			*flags |= HO_IMMORTAL;
			*refcnt = (int64_t)local;
			return 0;
		}
		shared = (shared >> 2) - (bits & GC_BITS_DEFERRED ? REF_DEFERRED : 0);
		if (shared < -MAX_FT_COUNT || shared > MAX_FT_COUNT || local > INT32_MAX)
			return -1;
		c = (int64_t)local + shared;
		if (bits & GC_BITS_TRACKED)
			*flags |= HO_GC;
	} else if (w->p->minor >= 14) {
		uint32_t high = (uint32_t)(hdr[0] >> 32);

		c = (uint32_t)hdr[0];
		if ((int32_t)(uint32_t)hdr[0] < 0) {
			if (high & ~(5u << 16))
				return -1;
			*flags |= HO_IMMORTAL;
		} else if (high || !c) {
			return -1;
		}
	} else if (w->p->minor >= 12 && (int32_t)(uint32_t)hdr[0] < 0) {
		/* a word with bits in its high half is a pointer, the start
		 * of a C structure that is no object */
		if (hdr[0] >> 32)
			return -1;
		*flags |= HO_IMMORTAL;
	} else if (c <= 0 || c > MAX_REFCNT) {
		return -1;
	}
	*refcnt = c;
	return 0;
}

/*
 * Free-threaded builds count references to heap types, code objects and
 * module dicts in per-thread arrays, indexed by the object's unique id
 * (merged into the object only by a collection or the thread's exit):
 * what they hold for obj.
 */
static int64_t thread_counts(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	const struct layout *l = w->l;
	uint64_t id = 0;

	if (!w->nthread_refs)
		return 0;
	if (ti->kind == K_TYPE && field64(w, obj, LAY(l, type_flags)) & TPF_HEAPTYPE)
		id = field64(w, obj, LAY(l, heaptype_unique_id));
	else if (ti->kind == K_CODE)
		id = field64(w, obj, LAY(l, code_unique_id));
	else if (ti->kind == K_DICT)
		id = field64(w, obj, LAY(l, dict_watcher_tag)) >> 32;
	if (id < 1 || id > w->nthread_refs)
		return 0;
	return w->thread_refs[id - 1];
}

uint32_t walk_obj(struct walker *w, uint64_t addr)
{
	uint64_t hdr[4] = { 0 }, *in = NULL;
	size_t hlen = w->hdr_len;
	struct tinfo *ti;
	int64_t refcnt = 0;
	unsigned flags = 0;
	uint32_t idx;

	/* every so many references, not objects: one dict of millions
	 * is as long as millions of small objects */
	if (!(++w->ticks & (PROGRESS_EVERY - 1)))
		progress(w, w->cur);

	if (!addr || addr & 7)
		return HEAP_NONE;
	if (addr - w->rlo < w->rlen && hlen <= w->rlen - (addr - w->rlo))
		in = (uint64_t *)(w->rdata + (addr - w->rlo));
	else if (w->image)
		in = target_image_ptr(w->t, addr, hlen);
	if (in) {
		int k = tag_check(w, in[0], addr, &idx);

		if (k)
			return k > 0 ? idx : HEAP_NONE;
		memcpy(hdr, in, hlen);
	} else {
		idx = seen_find(w, addr);
		if (idx != HEAP_NONE)
			return idx;
		if (wread(w, addr, hdr, hlen))
			return HEAP_NONE;
	}
	if (header_count(w, hdr, &refcnt, &flags))
		return HEAP_NONE;
	ti = walk_type(w, hdr[LAY(w->l, object_type) / 8]);
	if (!ti)
		return HEAP_NONE;
	if (w->p->free_threaded && !(flags & HO_IMMORTAL)) {
		refcnt += thread_counts(w, addr, ti);
		/* none owned: freed, or being freed */
		if (refcnt <= 0)
			return HEAP_NONE;
	}
	idx = heap_add_obj(w->h, addr, ti->htype, 0, refcnt, flags, w->err);
	if (idx == HEAP_NONE) {
		w->oom = 1;
		return HEAP_NONE;
	}
	if (in)
		in[0] = tag_of(addr, idx);
	else if (seen_add(w, addr, idx))
		w->oom = 1;
	return idx;
}

/* The index of an object the walk has seen at addr, or HEAP_NONE (never
 * adds one). */
static uint32_t walk_known(struct walker *w, uint64_t addr)
{
	uint64_t *in = NULL;
	uint32_t idx;

	if (!addr || addr & 7)
		return HEAP_NONE;
	if (w->image)
		in = target_image_ptr(w->t, addr, 8);
	if (in)
		return tag_check(w, in[0], addr, &idx) > 0 ? idx : HEAP_NONE;
	return seen_find(w, addr);
}

void walk_emit(struct walker *w, uint64_t addr, uint32_t name)
{
	uint32_t idx = walk_obj(w, addr);

	if (idx == HEAP_NONE || w->oom)
		return;
	if (w->root_mode) {
		if (heap_add_root(w->h, idx, w->root_kind, w->root_label, name, w->err))
			w->oom = 1;
	} else if (heap_add_edge(w->h, idx, name, w->err)) {
		w->oom = 1;
	}
}

static void root(struct walker *w, uint64_t addr, enum heap_root_kind kind, const char *label,
		 const char *name)
{
	w->root_mode = 1;
	w->root_kind = kind;
	w->root_label = heap_intern(w->h, label, strlen(label));
	walk_emit(w, addr, name ? HEAP_EDGE(HE_STRONG, HN_FIELD, walk_field(w, name)) : 0);
	w->root_mode = 0;
}

/* Seed the object of a PyGC_Head (tracked by the collector). */
static void seed_gc_obj(struct walker *w, uint64_t g)
{
	uint32_t idx = walk_obj(w, g + (uint64_t)LAY(w->l, gchead_size));

	if (idx != HEAP_NONE)
		w->h->flags[idx] |= HO_GC;
}

/*
 * Every object on one collector list, bounded and checked link by link.
 * A list caught in the middle of a change (a thread frozen while linking
 * an object, or --no-stop) breaks somewhere: the rest is then taken
 * backwards from the head, along the prev links, up to the break.
 */
static void seed_gc_list(struct walker *w, uint64_t head, const char *what)
{
	const struct layout *l = w->l;
	uint64_t g, prev = head, back, next;
	long n = 0, m = 0;

	if (rd64(w, head + LAY(l, gchead_next), &g)) {
		walk_warn(w, "unreadable %s list", what);
		return;
	}
	for (g &= ~3ull; g != head; g &= ~3ull) {
		if (n++ >= GCINFO_MAX_OBJECTS || !g || rd64(w, g + LAY(l, gchead_prev), &back) ||
		    (back & ~3ull) != prev)
			break;
		seed_gc_obj(w, g);
		if (w->oom)
			return;
		prev = g;
		if (rd64(w, g + LAY(l, gchead_next), &g))
			break;
	}
	if (g == head)
		return;
	/* from the head backwards until the links disagree again */
	next = head;
	if (rd64(w, head + LAY(l, gchead_prev), &g))
		g = 0;
	for (g &= ~3ull; g && g != head && g != prev; g &= ~3ull) {
		uint64_t fwd;

		if (m++ >= GCINFO_MAX_OBJECTS || rd64(w, g + LAY(l, gchead_next), &fwd) ||
		    (fwd & ~3ull) != next)
			break;
		seed_gc_obj(w, g);
		if (w->oom)
			return;
		next = g;
		if (rd64(w, g + LAY(l, gchead_prev), &g))
			break;
	}
	walk_warn(w,
		  "the %s list is broken after %ld objects (changing under us?); "
		  "%ld more taken from its end",
		  what, n - 1, m);
}

static void seed_gc(struct walker *w, uint64_t interp, uint64_t *seen, size_t *nseen)
{
	const struct layout *l = w->l;
	uint64_t gcs = gcinfo_state_addr(w->p, interp);
	int32_t collecting = 0;
	size_t i;
	char what[32];

	if (!gcs)
		return;
	for (i = 0; i < *nseen; i++)
		if (seen[i] == gcs)
			return; /* 3.8: one state for all interpreters */
	seen[(*nseen)++] = gcs;
	if (LAY_HAS(l, gcstate_collecting) &&
	    !wread(w, gcs + LAY(l, gcstate_collecting), &collecting, 4) && collecting)
		walk_warn(w, "a garbage collection was running: its lists may be half rewritten");
	for (i = 0; i < 3 && LAY_HAS(l, gcstate_generations); i++) {
		snprintf(what, sizeof(what), "generation %zu", i);
		seed_gc_list(w,
			     gcs + (uint64_t)LAY(l, gcstate_generations) +
				     i * (uint64_t)LAY(l, gcgen_size) +
				     (uint64_t)LAY(l, gcgen_head),
			     what);
	}
	if (LAY_HAS(l, gcstate_permanent_generation))
		seed_gc_list(w,
			     gcs + (uint64_t)LAY(l, gcstate_permanent_generation) +
				     (uint64_t)LAY(l, gcgen_head),
			     "permanent generation");
}

static void seed_interp(struct walker *w, uint64_t interp)
{
	const struct layout *l = w->l;
	char pre[32] = "";

	/* the main interpreter's roots go unnamed; a subinterpreter's say
	 * which one (its id, as _interpreters.list_all() shows it) */
	if (interp != w->p->interp) {
		int64_t id = -1;

		if (LAY_HAS(l, interp_id))
			wread(w, interp + (uint64_t)LAY(l, interp_id), &id, 8);
		snprintf(pre, sizeof(pre), "interpreter %lld ", (long long)id);
	}
	w->interp = interp;
	{
		char lab[64];

		snprintf(lab, sizeof(lab), "%ssys.modules", pre);
		root(w, field64(w, interp, LAY(l, interp_modules)), HR_MODULES, lab, NULL);
		snprintf(lab, sizeof(lab), "%ssys.__dict__", pre);
		root(w, field64(w, interp, LAY(l, interp_sysdict)), HR_SYSDICT, lab, NULL);
		snprintf(lab, sizeof(lab), "%sbuiltins.__dict__", pre);
		root(w, field64(w, interp, LAY(l, interp_builtins)), HR_BUILTINS, lab, NULL);
	}
}

/*
 * gc.garbage: the list the collector keeps in its state (the interpreter's
 * from 3.9, _PyRuntime's, shared, on 3.8) is a root of its own, so that
 * what it holds is not taken for garbage or for held from outside.
 */
static void seed_gc_garbage(struct walker *w, uint64_t interp, uint64_t *seen, size_t *nseen)
{
	const struct layout *l = w->l;
	uint64_t gcs = gcinfo_state_addr(w->p, interp);
	char lab[64] = "gc.garbage";
	size_t i;

	if (!gcs || !LAY_HAS(l, gcstate_garbage))
		return;
	for (i = 0; i < *nseen; i++)
		if (seen[i] == gcs)
			return;
	seen[(*nseen)++] = gcs;
	if (interp != w->p->interp && LAY_HAS(l, interp_gc)) {
		int64_t id = -1;

		if (LAY_HAS(l, interp_id))
			wread(w, interp + (uint64_t)LAY(l, interp_id), &id, 8);
		snprintf(lab, sizeof(lab), "interpreter %lld gc.garbage", (long long)id);
	}
	root(w, field64(w, gcs, LAY(l, gcstate_garbage)), HR_GC_GARBAGE, lab, NULL);
}

/* The label of a running frame's roots, also kept with the thread's
 * frames so that readers can find a frame's locals. */
static const char *frame_name(const struct stack_frame *f)
{
	return f->qualname[0] ? f->qualname : f->function;
}

/* Frames of one recursion stopped at the same line get one label each:
 * the later (outer) ones say which repetition they are. */
static void frame_label(const struct stack_thread *th, size_t idx, char *lab, size_t len)
{
	const struct stack_frame *f = &th->frames[idx];
	size_t k, same = 0;

	for (k = 0; k < idx; k++) {
		const struct stack_frame *g = &th->frames[k];

		same += g->kind == FRAME_PYTHON && g->line == f->line &&
			!strcmp(frame_name(g), frame_name(f)) && !strcmp(g->file, f->file);
	}
	if (same)
		snprintf(lab, len, "thread %d frame %s (%s:%d) #%zu", th->tid, frame_name(f),
			 f->file, f->line, same + 1);
	else
		snprintf(lab, len, "thread %d frame %s (%s:%d)", th->tid, frame_name(f), f->file,
			 f->line);
}

/* Thread state roots and, from the stacks, every running frame. */
static void seed_thread(struct walker *w, const struct stack_thread *th)
{
	const struct layout *l = w->l;
	uint64_t ts = th->tstate, ei;
	char lab[700];
	size_t i;
	const char *who = th->name[0] ? th->name : "";

	snprintf(lab, sizeof(lab), "thread %d%s%s", th->tid, *who ? " " : "", who);
	root(w, field64(w, ts, LAY(l, tstate_dict)), HR_THREAD, lab, "dict");
	root(w, field64(w, ts, LAY(l, tstate_curexc_value)), HR_THREAD, lab, "curexc_value");
	root(w, field64(w, ts, LAY(l, tstate_current_exception)), HR_THREAD, lab,
	     "current_exception");
	root(w, field64(w, ts, LAY(l, tstate_context)), HR_THREAD, lab, "context");
	ei = field64(w, ts, LAY(l, tstate_exc_info));
	if (ei)
		root(w, field64(w, ei, w->p->minor <= 10 ? 8 : 0), HR_THREAD, lab, "exc_info");
	if (w->p->free_threaded) {
		w->root_mode = 1;
		w->root_kind = HR_THREAD;
		w->root_label = heap_intern(w->h, lab, strlen(lab));
		walk_ft_thread_roots(w, ts);
		w->root_mode = 0;
	}
	for (i = 0; i < th->nframes; i++) {
		const struct stack_frame *f = &th->frames[i];

		if (f->kind != FRAME_PYTHON || !f->frame)
			continue;
		frame_label(th, i, lab, sizeof(lab));
		if (w->p->minor <= 10) {
			root(w, f->frame, HR_FRAME, lab, NULL);
		} else {
			w->root_mode = 1;
			w->root_kind = HR_FRAME;
			w->root_label = heap_intern(w->h, lab, strlen(lab));
			walk_iframe(w, f->frame);
			w->root_mode = 0;
		}
	}
}

#define MAX_STACK_SLOTS (1 << 16)

/* The slots of frame f's value stack whose depth the frame does not say,
 * as [*at, *at + 8 * *n); 0 when there are none to scan. */
static int unsaid_stack(struct walker *w, const struct stack_frame *f, uint64_t *at, size_t *n)
{
	const struct layout *l = w->l;
	int32_t nlp = 0, ss = 0;

	if (f->kind != FRAME_PYTHON || !f->frame || !f->addr || w->p->minor >= 14 ||
	    wread(w, f->addr + LAY(l, code_stacksize), &ss, 4) || ss <= 0 || ss > MAX_STACK_SLOTS)
		return 0;
	if (w->p->minor >= 11) {
		/* the innermost frame's stacktop is stale; another's says
		 * its depth when it called a Python function, not a C one:
		 * all are scanned */
		if (wread(w, f->addr + LAY(l, code_nlocalsplus), &nlp, 4) || nlp < 0 ||
		    nlp > MAX_STACK_SLOTS)
			return 0;
		*at = f->frame + (uint64_t)LAY(l, iframe_localsplus) + 8 * (uint64_t)nlp;
	} else {
		/* a running frame object keeps no f_stacktop */
		if (LAY_HAS(l, frameobj_stacktop) &&
		    field64(w, f->frame, LAY(l, frameobj_stacktop)))
			return 0;
		*at = field64(w, f->frame, LAY(l, frameobj_valuestack));
		if (!*at)
			return 0;
	}
	*n = (size_t)ss;
	return 1;
}

#define MAX_STACK_CANDS (1u << 20)
#define MAX_EXC_TABLE 8192 /* bytes of an exception table read */

/* An exception table varint (6 bits a byte, 0x40: more follow). */
static int exc_varint(const uint8_t *p, size_t n, size_t *i, uint32_t *out)
{
	uint32_t v;
	uint8_t b;

	if (*i >= n)
		return -1;
	b = p[(*i)++];
	v = b & 63;
	while (b & 64) {
		if (*i >= n || v >= (1u << 25))
			return -1;
		b = p[(*i)++];
		v = (v << 6) | (b & 63);
	}
	*out = v;
	return 0;
}

/*
 * 3.11-3.13: the value stack slots of frame f that are live for sure:
 * the depth its code's exception table gives the handler of the current
 * instruction (what the try and with statements around it keep below:
 * a with statement's bound __exit__ among them), 0 when none; *known
 * says whether the table was read (else every slot is a guess).  Entries
 * are (start, size, target, depth << 1 | lasti) in code units, varints,
 * one entry for each instruction a handler covers.
 */
static uint32_t live_depth(struct walker *w, const struct stack_frame *f, int *known)
{
	const struct layout *l = w->l;
	uint64_t instr, tab, code0;
	uint8_t buf[MAX_EXC_TABLE];
	uint32_t start, size, target, dl;
	int64_t len = 0;
	size_t i = 0;

	*known = 0;
	if (w->p->minor < 11 || w->p->minor >= 14 || !LAY_HAS(l, code_exceptiontable) ||
	    !LAY_HAS(l, code_code_adaptive) || rd64(w, f->frame + LAY(l, iframe_instr), &instr))
		return 0;
	code0 = f->addr + (uint64_t)LAY(l, code_code_adaptive);
	tab = field64(w, f->addr, LAY(l, code_exceptiontable));
	if (instr < code0 || instr - code0 > (1u << 28) || !tab ||
	    wread(w, tab + LAY(l, varobject_ob_size), &len, 8) || len <= 0)
		return 0;
	if (len > MAX_EXC_TABLE)
		len = MAX_EXC_TABLE;
	if (wread(w, tab + LAY(l, bytes_sval), buf, (size_t)len))
		return 0;
	instr = (instr - code0) / 2;
	*known = 1; /* no entry: no slot is kept for a handler */
	while (i < (size_t)len) {
		if (exc_varint(buf, (size_t)len, &i, &start) ||
		    exc_varint(buf, (size_t)len, &i, &size) ||
		    exc_varint(buf, (size_t)len, &i, &target) ||
		    exc_varint(buf, (size_t)len, &i, &dl)) {
			*known = 0;
			return 0;
		}
		if (instr >= start && instr < (uint64_t)start + size)
			return dl >> 1;
	}
	return 0;
}

struct stack_cand {
	uint32_t idx;	 /* the object */
	uint32_t depth;	 /* its slot, from the stack's bottom */
	uint32_t thread; /* index in the stacks */
	uint32_t frame;	 /* index in the thread's frames */
};

static int cand_cmp(const void *a, const void *b)
{
	const struct stack_cand *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/*
 * What running frames keep on a value stack whose depth they do not
 * say (3.8-3.10 frame objects, 3.11-3.13 interpreter frames): their
 * slots up to co_stacksize are scanned, where stale entries can be left.
 * A slot holding an object the walk found otherwise, that is no root,
 * and whose reference count leaves a reference unexplained by the graph
 * (indeg), is taken for that reference: the object becomes a root of
 * the frame (edge scanned), so that what a with statement keeps there
 * (its bound __exit__) is not "held from outside".  On 3.11-3.13 only
 * the slots live for sure (below the depth the exception table gives);
 * before, lower slots first, across all frames: the real stack lies
 * below the stale part.  These slots never add objects: a stale one may
 * point to a freed one.
 */
static int stack_roots(struct walker *w, uint32_t *indeg)
{
	const struct stacks *st = w->st;
	uint32_t name = HEAP_EDGE(HE_SCANNED, HN_LOCAL, walk_field(w, "(stack)"));
	struct stack_cand *c = NULL;
	size_t nc = 0, cap = 0, i, k, n, j, take;
	uint64_t slots[256], at;
	int ranked = 0;
	char lab[700];
	int ret = -1;

	for (i = 0; st && i < st->nthreads; i++) {
		const struct stack_thread *th = &st->threads[i];

		for (k = 0; k < th->nframes; k++) {
			uint32_t live;

			if (!unsaid_stack(w, &th->frames[k], &at, &n))
				continue;
			live = live_depth(w, &th->frames[k], &ranked);
			for (j = 0; j < n; j += take) {
				size_t m;

				take = n - j < 256 ? n - j : 256;
				if (wread(w, at + 8 * j, slots, 8 * take))
					break;
				for (m = 0; m < take && nc < MAX_STACK_CANDS; m++) {
					uint32_t idx = walk_known(w, slots[m]);

					/* 3.11-3.13 say which slots are live: a
					 * stale one above may point to an object
					 * held elsewhere (a C variable) */
					if (j + m >= live && ranked)
						continue;
					if (idx == HEAP_NONE ||
					    w->h->flags[idx] & (HO_ROOT | HO_IMMORTAL))
						continue;
					if (nc == cap) {
						size_t ncap = cap ? 2 * cap : 256;
						struct stack_cand *nv =
							realloc(c, ncap * sizeof(*nv));

						if (!nv) {
							hs_error_set(w->err, HS_ENOMEM,
								     "out of memory");
							goto out;
						}
						c = nv;
						cap = ncap;
					}
					c[nc++] = (struct stack_cand){ idx, (uint32_t)(j + m),
								       (uint32_t)i, (uint32_t)k };
				}
			}
		}
	}
	if (nc)
		qsort(c, nc, sizeof(*c), cand_cmp);
	for (i = 0; i < nc; i++) {
		uint32_t idx = c[i].idx, label;

		if (w->h->obj[idx].refcnt <= indeg[idx])
			continue;
		frame_label(&st->threads[c[i].thread], c[i].frame, lab, sizeof(lab));
		label = heap_intern(w->h, lab, strlen(lab));
		if (heap_add_root(w->h, idx, HR_FRAME, label, name, w->err))
			goto out;
		indeg[idx]++;
	}
	ret = 0;
out:
	free(c);
	return ret;
}

/* Process objects in index order until none is left. */
static int closure(struct walker *w)
{
	struct heap *h = w->h;
	size_t i;

	for (i = 0; i < h->nobj; i++) {
		uint64_t addr = h->obj[i].addr, size;
		uint32_t k = h->obj[i].type < w->nht2ti ? w->ht2ti[h->obj[i].type] : 0;
		struct tinfo *ti = k ? &w->ti[k - 1] : NULL;
		unsigned flags = 0;
		uint32_t t = h->obj[i].type, v;

		/* the queue is known ahead: start fetching an object a few
		 * places on, so that its header is in cache when its turn comes */
		if (w->image && i + PREFETCH_AHEAD < h->nobj) {
			void *ahead = target_image_ptr(w->t, h->obj[i + PREFETCH_AHEAD].addr, 16);

			if (ahead)
				__builtin_prefetch(ahead);
		}
		if (heap_begin_edges(h, (uint32_t)i, w->err))
			return -1;
		/* every read of a process that has exited fails: what is left
		 * of the walk would be objects without sizes or referents */
		if (w->t->gone)
			return hs_error_set(w->err, HS_EGONE,
					    "process %d exited during the capture", (int)w->p->pid);
		if (!ti)
			continue;
		size = walk_size(w, addr, ti, &flags);
		v = walk_value(w, addr, ti, &flags);
		h->obj[i].value = v;
		if (heap_set_size(h, (uint32_t)i, size, w->err))
			return -1;
		h->flags[i] |= (uint8_t)flags;
		w->cur = (uint32_t)i;
		walk_refs(w, addr, ti);
		/* the type object itself is part of the heap */
		if (h->types[t].obj == HEAP_NONE)
			h->types[t].obj = walk_obj(w, h->types[t].addr);
		if (w->oom)
			return -1;
	}
	progress(w, h->nobj);
	return 0;
}

#define STATE_CHUNK 4096

/* Mark the objects that words of [addr, addr+len) point to. */
static void mark_words(struct walker *w, uint8_t *inner, uint64_t addr, uint64_t len)
{
	uint64_t buf[STATE_CHUNK / 8], off;

	for (off = 0; off + 8 <= len; off += STATE_CHUNK) {
		uint64_t n = len - off < STATE_CHUNK ? (len - off) & ~7ull : STATE_CHUNK, k;

		if (wread(w, addr + off, buf, (size_t)n))
			continue;
		for (k = 0; k < n / 8; k++) {
			uint32_t i = walk_known(w, buf[k]);

			if (i != HEAP_NONE)
				inner[i] = 1;
		}
	}
}

/*
 * Which objects the interpreter's own C structures point to: _PyRuntime
 * and every interpreter state (3.12+ keep type caches, the ast state and
 * more there).  What they hold is labelled so instead of "outside".
 */
static void mark_state_refs(struct walker *w, uint8_t *inner, uint64_t runtime)
{
	const struct layout *l = w->l;
	uint64_t interp;
	size_t n = 0;

	if (LAY(l, runtime_size) > 0 && LAY(l, runtime_size) < (64 << 20))
		mark_words(w, inner, runtime, (uint64_t)LAY(l, runtime_size));
	if (LAY(l, interp_size) <= 0 || LAY(l, interp_size) > (64 << 20) ||
	    pyproc_first_interp(w->p, &interp, NULL))
		return;
	while (interp && n++ < PYPROC_MAX_INTERPS) {
		mark_words(w, inner, interp, (uint64_t)LAY(l, interp_size));
		if (pyproc_next_interp(w->p, interp, &interp, NULL))
			break;
	}
}

static uint32_t intern_text(struct heap *h, const char *s)
{
	return heap_intern(h, s, strlen(s));
}

/*
 * References from outside the graph: refcount minus references found.  An
 * object with a remainder becomes a root, named by what it is.
 */
static int outside_roots(struct walker *w)
{
	struct heap *h = w->h;
	int room = !heap_build_reserve(h, (h->nobj + 1) * (sizeof(uint32_t) + 1));
	uint32_t *indeg = room ? big_calloc(h->nobj ? h->nobj : 1, sizeof(*indeg)) : NULL;
	uint32_t lab_outside, lab_interned, lab_immortal, lab_static, lab_interp;
	uint8_t *inner = room ? big_calloc(h->nobj ? h->nobj : 1, 1) : NULL;
	/* the graph is not finished yet: its edges are still in the vectors */
	const uint32_t *dst = h->vdst.v, *nm = h->vname.v;
	size_t i, e;

	if (!indeg || !inner) {
		free(indeg);
		free(inner);
		return hs_error_set(w->err, HS_ENOMEM, "out of memory");
	}
	/* a scanned word is counted as the reference it most likely is (a
	 * C object's or module state's field): not counting it would call
	 * what it holds held from outside */
	for (e = 0; e < h->vdst.n; e++)
		if (HEAP_EDGE_KIND(nm[e]) != HE_WEAK && HEAP_EDGE_KIND(nm[e]) != HE_BORROWED)
			indeg[dst[e]]++;
	for (i = 0; i < h->nroot; i++)
		if (HEAP_EDGE_KIND(h->roots[i].name) != HE_BORROWED)
			indeg[h->roots[i].obj]++;
	if (stack_roots(w, indeg)) {
		free(indeg);
		free(inner);
		return -1;
	}
	lab_outside = intern_text(h, "held from outside the heap (C code or statics)");
	lab_interp = intern_text(h, "held by the interpreter's own state (C)");
	mark_state_refs(w, inner, w->p->runtime);
	lab_interned = intern_text(h, "interned string");
	lab_immortal = intern_text(h, "immortal object");
	lab_static = intern_text(h, "static type");
	for (i = 0; i < h->ntype; i++) {
		uint32_t o = h->types[i].obj;
		if (o != HEAP_NONE &&
		    !(field64(w, h->types[i].addr, LAY(w->l, type_flags)) & TPF_HEAPTYPE) &&
		    !(h->flags[o] & HO_ROOT) &&
		    heap_add_root(h, o, HR_STATIC_TYPE, lab_static, 0, w->err))
			goto fail;
	}
	for (i = 0; i < h->nobj; i++) {
		enum heap_root_kind kind;
		uint32_t label;
		uint32_t state;

		if (h->flags[i] & HO_ROOT)
			continue;
		if (h->flags[i] & HO_IMMORTAL) {
			kind = HR_IMMORTAL;
			label = lab_immortal;
		} else if (h->obj[i].refcnt > indeg[i]) {
			kind = HR_OUTSIDE;
			label = inner[i] ? lab_interp : lab_outside;
			h->flags[i] |= HO_OUTSIDE;
			/* str: interned (the interned dict's references are
			 * not counted) */
			if (!strcmp(heap_type_name(h, (uint32_t)i), "str") &&
			    !wread(w, h->obj[i].addr + LAY(w->l, ascii_state), &state, 4)) {
				struct str_state st;

				pyobj_str_state(w->p, state, &st);
				if (st.interned) {
					kind = HR_INTERNED;
					label = lab_interned;
				}
			}
		} else {
			continue;
		}
		if (heap_add_root(h, (uint32_t)i, kind, label, 0, w->err))
			goto fail;
	}
	free(indeg);
	free(inner);
	return 0;
fail:
	free(indeg);
	free(inner);
	return -1;
}

static int add_threads(struct walker *w, const struct stacks *st)
{
	struct heap *h = w->h;
	size_t i, j;

	for (i = 0; st && i < st->nthreads; i++) {
		const struct stack_thread *th = &st->threads[i];
		struct heap_thread ht = {
			.thread_id = th->thread_id,
			.tid = th->tid,
			.name = heap_intern(h, th->name, strlen(th->name)),
			.flags = (th->main ? 1u : 0u) | (th->gil == 1 ? 2u : 0u),
			.first_frame = (uint32_t)h->nframe,
		};

		for (j = 0; j < th->nframes; j++) {
			const struct stack_frame *f = &th->frames[j];
			const char *fn = f->qualname[0] ? f->qualname : f->function;
			char lab[700];
			struct heap_frame hf = { .line = f->line };

			if (f->kind != FRAME_PYTHON)
				continue;
			frame_label(th, j, lab, sizeof(lab));
			hf.function = heap_intern(h, fn, strlen(fn));
			hf.file = heap_intern(h, f->file, strlen(f->file));
			hf.root_label = heap_intern(h, lab, strlen(lab));
			if (heap_add_frame(h, &hf, w->err))
				return -1;
			ht.nframes++;
		}
		if (heap_add_thread(h, &ht, w->err))
			return -1;
	}
	/* the locks the threads wait for, by the threads' indexes */
	for (i = 0; st && i < st->nthreads; i++) {
		const struct lock_wait *lw = &st->threads[i].wait;
		struct heap_wait hw = {
			.lock = lw->lock,
			.count = lw->count,
			.owner = lw->owner,
			.thread = (uint32_t)i,
			.holder = lw->holder >= 0 && (size_t)lw->holder < st->nthreads
					  ? (uint32_t)lw->holder
					  : HEAP_NONE,
			.flags = lw->rlock ? 1u : 0u,
			.frame = (uint32_t)lw->frame,
			.via = heap_intern(h, lw->via, strlen(lw->via)),
			.held_at = heap_intern(h, lw->holder_at, strlen(lw->holder_at)),
			.how = heap_intern(h, lw->how, strlen(lw->how)),
		};

		if (lw->lock && heap_add_wait(h, &hw, w->err))
			return -1;
	}
	return 0;
}

int walk_heap(struct pyproc *p, const struct stacks *st, struct heap *h,
	      const struct walk_options *o, struct hs_error *err)
{
	struct walker w = {
		.p = p, .t = p->t, .l = &p->layout, .h = h, .o = o, .st = st, .err = err
	};
	uint64_t interp, gcs[PYPROC_MAX_INTERPS], garbages[PYPROC_MAX_INTERPS];
	size_t ngcs = 0, ngarbages = 0, ninterp = 0, i;
	struct timespec t0, t1;
	uint64_t lost = p->t->lost_reads;
	int ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w.image = target_image_ptr(p->t, p->runtime, 8) != NULL;
	/* the header up to and with ob_type: 16 bytes, 32 free-threaded */
	w.hdr_len = (size_t)LAY(&p->layout, object_type) + 8;
	if (w.hdr_len < 16 || w.hdr_len > 32)
		return hs_error_set(err, HS_ELAYOUT, "ob_type at %lld: not a layout the walk knows",
				    (long long)LAY(&p->layout, object_type));
	w.buflen = o && o->max_value ? o->max_value : 1024;
	w.buf = malloc(w.buflen + 1);
	if (!w.buf)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (pyproc_first_interp(p, &interp, err))
		goto out;
	while (interp && ninterp < PYPROC_MAX_INTERPS) {
		/* a free-threaded collector keeps no lists: its objects are
		 * in mimalloc's heaps */
		if (p->free_threaded) {
			w.interp = interp;
			if (walk_ft_prepare(&w, interp))
				goto oom;
			walk_ft_seed(&w, interp);
		} else {
			seed_gc(&w, interp, gcs, &ngcs);
		}
		seed_interp(&w, interp);
		seed_gc_garbage(&w, interp, garbages, &ngarbages);
		if (w.oom)
			goto oom;
		ninterp++;
		if (pyproc_next_interp(p, interp, &interp, NULL))
			break;
	}
	w.interp = p->interp;
	for (i = 0; st && i < st->nthreads; i++)
		seed_thread(&w, &st->threads[i]);
	if (w.oom || closure(&w) || outside_roots(&w) || add_threads(&w, st))
		goto oom;
	/* each read that failed for want of the process or a file is an
	 * object, a name or a reference missing */
	lost = p->t->lost_reads - lost;
	if (lost) {
		walk_warn(&w,
			  "%llu read%s of the process's memory failed (it exited, or a file "
			  "it maps could not be read)",
			  (unsigned long long)lost, lost == 1 ? "" : "s");
		w.warnings += lost - 1;
	}
	if (o && o->warning)
		walk_warn(&w, "%s", o->warning);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	h->meta.walk_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
			  (uint64_t)(t1.tv_nsec - t0.tv_nsec);
	h->meta.warnings = (uint32_t)(w.warnings > UINT32_MAX ? UINT32_MAX : w.warnings);
	h->meta.warning = heap_intern(h, w.warning, strlen(w.warning));
	ret = heap_finish(h, err);
	goto out;
oom:
	if (err && err->code == HS_OK)
		hs_error_set(err, HS_ENOMEM, "out of memory after %zu objects", h->nobj);
out:
	walk_types_release(&w);
	walk_ft_release(&w);
	frame_reader_free(w.frames);
	free(w.key_slots);
	free(w.key_addr);
	free(w.seen_addr);
	free(w.seen_idx);
	free(w.buf);
	return ret;
}
