/*
 * walk_refs.c - an object's referents, decoded per type from the layout.
 *
 * Each referent is emitted with the name of the edge that leads to it
 * ("[3]", "['key']", ".attr", "__dict__").  The decoders follow what
 * tp_traverse visits and a little more (str keys of dicts, names of code
 * objects), so their result is a superset of gc.get_referents().  An
 * unknown C type gets its T_OBJECT members by name and a conservative scan
 * of the rest of its body, edges marked "scanned".
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "python/pyobj.h"
#include "walk_internal.h"

#define CHUNK 512 /* words read at once from item arrays */
#define MAX_ITEMS (1ll << 31)
#define MAX_SCAN 4096		 /* bytes of an opaque object scanned */
#define MAX_STATE_SCAN (1 << 20) /* bytes of a module's state scanned */
#define METH_METHOD 0x0200
#define STATIC_BUILTIN (1ull << 1)
#define MAX_STATIC_TYPES 1024
#define BLOCK_WORDS 128 /* a deque block (66 words) fits */

static uint32_t field_name(struct walker *w, const char *name)
{
	return HEAP_EDGE(HE_STRONG, HN_FIELD, walk_field(w, name));
}

/* Emit the pointer at base+off (a layout offset, absent if negative). */
static void emit_field(struct walker *w, uint64_t base, int64_t off, const char *name)
{
	uint64_t v;

	if (off < 0)
		return;
	v = field64(w, base, off);
	if (v)
		walk_emit(w, v, field_name(w, name));
}

/* Emit n pointers at items as [0] ... [n-1]. */
static void emit_items(struct walker *w, uint64_t items, int64_t n)
{
	uint64_t buf[CHUNK];
	int64_t i, j;

	if (n < 0 || n > MAX_ITEMS) {
		walk_warn(w, "a container at 0x%llx claims %lld items", (unsigned long long)items,
			  (long long)n);
		return;
	}
	for (i = 0; i < n; i += CHUNK) {
		int64_t m = n - i < CHUNK ? n - i : CHUNK;

		if (wread(w, items + 8 * (uint64_t)i, buf, 8 * (size_t)m)) {
			walk_warn(w, "unreadable items at 0x%llx", (unsigned long long)items);
			return;
		}
		/* the items' headers are about to be read: fetch them together */
		for (j = 0; j < m; j++)
			wprefetch(w, buf[j]);
		for (j = 0; j < m; j++)
			if (buf[j])
				walk_emit(w, buf[j],
					  HEAP_EDGE(HE_STRONG, HN_INDEX,
						    i + j > HEAP_PAYLOAD_MAX ? HEAP_PAYLOAD_MAX
									     : i + j));
	}
}

static int64_t ob_size(struct walker *w, uint64_t obj)
{
	int64_t n = 0;

	if (wread(w, obj + LAY(w->l, varobject_ob_size), &n, 8))
		return -1;
	return n;
}

static int dict_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct walker *w = ctx;
	uint32_t name = walk_key_name(w, key);

	walk_emit(w, key, HEAP_EDGE(HE_STRONG, HN_KEY, name));
	walk_emit(w, value, HEAP_EDGE(HE_STRONG, HN_VALUE, name));
	return w->oom;
}

/* Attribute values laid out by a type's cached keys: key names become
 * ".name" edges. */
static int attr_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct walker *w = ctx;

	walk_emit(w, value, HEAP_EDGE(HE_STRONG, HN_ATTR, walk_key_name(w, key | 1)));
	return w->oom;
}

static void dict_refs(struct walker *w, uint64_t obj)
{
	struct hs_error err;

	/* not HS_ERROR_INIT: its 1 KiB of zeros for every dict was a
	 * capture's largest memset */
	hs_error_clear(&err);
	if (pydict_items(w->p, obj, dict_cb, w, &err))
		walk_warn(w, "dict at 0x%llx: %s", (unsigned long long)obj, err.msg);
}

static void set_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t table = field64(w, obj, LAY(l, set_table)),
		 mask = field64(w, obj, LAY(l, set_mask));
	int64_t es = LAY(l, setentry_size), i;
	uint64_t e[2];

	if (!table || mask >= (1ull << 31) || es != 16) {
		walk_warn(w, "set at 0x%llx looks corrupt", (unsigned long long)obj);
		return;
	}
	for (i = 0; i <= (int64_t)mask; i++) {
		if (wread(w, table + (uint64_t)(i * es), e, sizeof(e))) {
			walk_warn(w, "unreadable set table at 0x%llx", (unsigned long long)table);
			return;
		}
		/* a dummy (deleted) entry has hash -1, which no key has */
		if (e[LAY(l, setentry_key) / 8] && (int64_t)e[LAY(l, setentry_hash) / 8] != -1)
			walk_emit(w, e[LAY(l, setentry_key) / 8], field_name(w, "item"));
	}
}

/*
 * 3.12+: a static builtin type keeps its dict in the interpreter, in
 * the builtins' array of managed_static_type_state at tp_subclasses - 1;
 * 3.13+ keep the static types of extension modules (datetime's) in an
 * array of their own, at the same index: the entry whose type is the
 * type is the one (CPython's managed_static_type_state_get).
 */
static uint64_t static_type_dict(struct walker *w, uint64_t type, uint64_t flags)
{
	const struct layout *l = w->l;
	static const enum layout_field arrays[] = {
		LF_interp_types_builtins,
		LF_interp_types_for_extensions,
	};
	uint64_t idx;
	size_t i;

	if (!(flags & STATIC_BUILTIN) || !LAY_HAS(l, static_type_state_size) ||
	    !LAY_HAS(l, static_type_state_tp_dict))
		return 0;
	idx = field64(w, type, LAY(l, type_subclasses));
	if (idx < 1 || idx > MAX_STATIC_TYPES)
		return 0;
	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		uint64_t st;

		if (l->v[arrays[i]] < 0)
			continue;
		st = w->interp + (uint64_t)l->v[arrays[i]] +
		     (idx - 1) * (uint64_t)LAY(l, static_type_state_size);
		if (field64(w, st, 0) == type)
			return field64(w, st, LAY(l, static_type_state_tp_dict));
	}
	return 0;
}

static void type_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t flags = field64(w, obj, LAY(l, type_flags)), d;

	d = field64(w, obj, LAY(l, type_dict));
	if (!d && w->p->minor >= 12)
		d = static_type_dict(w, obj, flags);
	if (d)
		walk_emit(w, d, field_name(w, "__dict__"));
	emit_field(w, obj, LAY(l, type_mro), "__mro__");
	emit_field(w, obj, LAY(l, type_bases), "__bases__");
	emit_field(w, obj, LAY(l, type_base), "__base__");
	if (flags & TPF_HEAPTYPE || w->p->minor < 12)
		emit_field(w, obj, LAY(l, type_subclasses), "__subclasses__");
	if (flags & TPF_HEAPTYPE) {
		emit_field(w, obj, LAY(l, heaptype_name), "__name__");
		emit_field(w, obj, LAY(l, heaptype_qualname), "__qualname__");
		emit_field(w, obj, LAY(l, heaptype_slots), "__slots__");
		emit_field(w, obj, LAY(l, heaptype_module), "ht_module");
	}
}

/* The locals of a frame: co_varnames + co_cellvars + co_freevars. */
static uint64_t tuple_item(struct walker *w, uint64_t tuple, int64_t i)
{
	int64_t n = tuple ? ob_size(w, tuple) : -1;

	if (i < 0 || i >= n)
		return 0;
	return field64(w, tuple, LAY(w->l, tuple_item) + 8 * i);
}

static uint32_t local_name(struct walker *w, uint64_t names, int64_t i, int kind)
{
	uint64_t s = tuple_item(w, names, i);

	return s ? HEAP_EDGE(kind, HN_LOCAL, walk_key_name(w, s | 1))
		 : HEAP_EDGE(kind, HN_LOCAL, walk_field(w, "(local)"));
}

/*
 * A _PyStackRef (3.14+; before, a plain pointer): the object it refers
 * to, 0 for none (NULL is 1, a tagged int ends in binary 11).  Bit 0
 * says the slot owns no reference (an immortal object, a borrow, a
 * deferred reference): *kind is then HE_BORROWED.
 */
static uint64_t stackref(struct walker *w, uint64_t bits, int *kind)
{
	*kind = HE_STRONG;
	if (w->p->minor < 14)
		return bits;
	if ((bits & 3) == 3)
		return 0;
	if (bits & 1)
		*kind = HE_BORROWED;
	return bits & ~1ull;
}

/* Emit the _PyStackRef at base+off. */
static void emit_stackref(struct walker *w, uint64_t base, int64_t off, const char *name)
{
	uint64_t v;
	int kind;

	if (off < 0)
		return;
	v = stackref(w, field64(w, base, off), &kind);
	if (v)
		walk_emit(w, v, HEAP_EDGE(kind, HN_FIELD, walk_field(w, name)));
}

/* Emit the borrowed pointer at base+off. */
static void emit_borrowed(struct walker *w, uint64_t base, int64_t off, const char *name)
{
	uint64_t v;

	if (off < 0)
		return;
	v = field64(w, base, off);
	if (v)
		walk_emit(w, v, HEAP_EDGE(HE_BORROWED, HN_FIELD, walk_field(w, name)));
}

/* 3.8-3.10 frame objects. */
static void frame_refs_old(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t code = field64(w, obj, LAY(l, frameobj_code)), lp, vs, top = 0;
	uint64_t tuples[3];
	int64_t counts[3], i, k, n = 0;
	int32_t nlocals = 0, depth;

	emit_field(w, obj, LAY(l, frameobj_back), "f_back");
	emit_field(w, obj, LAY(l, frameobj_code), "f_code");
	emit_field(w, obj, LAY(l, frameobj_builtins), "f_builtins");
	emit_field(w, obj, LAY(l, frameobj_globals), "f_globals");
	emit_field(w, obj, LAY(l, frameobj_locals), "f_locals");
	emit_field(w, obj, LAY(l, frameobj_trace), "f_trace");
	if (!code || wread(w, code + LAY(l, code_nlocals), &nlocals, 4))
		return;
	tuples[0] = field64(w, code, LAY(l, code_varnames));
	tuples[1] = field64(w, code, LAY(l, code_cellvars));
	tuples[2] = field64(w, code, LAY(l, code_freevars));
	counts[0] = nlocals;
	counts[1] = tuples[1] ? ob_size(w, tuples[1]) : 0;
	counts[2] = tuples[2] ? ob_size(w, tuples[2]) : 0;
	lp = obj + (uint64_t)LAY(l, frameobj_localsplus);
	for (k = 0; k < 3; k++) {
		if (counts[k] < 0 || counts[k] > (1 << 16))
			return;
		for (i = 0; i < counts[k]; i++, n++) {
			uint64_t v = field64(w, lp, 8 * n);

			if (v)
				walk_emit(w, v, local_name(w, tuples[k], i, HE_STRONG));
		}
	}
	/* the value stack: f_stacktop (3.8/3.9; NULL while running) or
	 * f_stackdepth (3.10) */
	vs = field64(w, obj, LAY(l, frameobj_valuestack));
	if (LAY_HAS(l, frameobj_stacktop))
		top = field64(w, obj, LAY(l, frameobj_stacktop));
	else if (LAY_HAS(l, frameobj_stackdepth) &&
		 !wread(w, obj + LAY(l, frameobj_stackdepth), &depth, 4) && depth > 0)
		top = vs + 8 * (uint64_t)depth;
	if (vs && top > vs && top - vs <= 8 * (1 << 16))
		for (; vs < top; vs += 8) {
			uint64_t v = field64(w, vs, 0);

			if (v)
				walk_emit(w, v,
					  HEAP_EDGE(HE_STRONG, HN_LOCAL, walk_field(w, "(stack)")));
		}
}

/*
 * How many slots of the frame at fr hold something: its locals, cells
 * and free variables (nlp) and its value stack.  3.14 saves the stack
 * pointer (exact but for the innermost frame of a thread caught inside
 * bytecode, where it may lag: clamped to the code's stack size); 3.11-
 * 3.13 save stacktop, -1 while the frame executes, whose value stack is
 * then in the evaluation loop's registers but whose locals (set when
 * the frame was made) are all valid.
 */
static int64_t frame_slots(struct walker *w, uint64_t fr, uint64_t code, int32_t nlp)
{
	const struct layout *l = w->l;
	int32_t top = 0, stacksize = 0;

	if (LAY_HAS(l, iframe_stackpointer)) {
		uint64_t sp = field64(w, fr, LAY(l, iframe_stackpointer));
		uint64_t lp = fr + (uint64_t)LAY(l, iframe_localsplus);

		if (!code || !LAY_HAS(l, code_stacksize) ||
		    wread(w, code + LAY(l, code_stacksize), &stacksize, 4) || stacksize < 0)
			stacksize = 0;
		if (sp < lp || (sp - lp) % 8)
			return nlp;
		if ((sp - lp) / 8 > (uint64_t)nlp + (uint64_t)stacksize)
			return (int64_t)nlp + stacksize;
		return (int64_t)((sp - lp) / 8);
	}
	if (wread(w, fr + LAY(l, iframe_stacktop), &top, 4) || top <= 0)
		top = nlp;
	return top;
}

void walk_iframe(struct walker *w, uint64_t fr)
{
	const struct layout *l = w->l;
	uint64_t code, names = 0, lp;
	int32_t nlp = 0;
	int64_t i, top;
	int kind;

	code = stackref(w, field64(w, fr, LAY(l, iframe_code)), &kind);
	emit_stackref(w, fr, LAY(l, iframe_code), "f_code");
	emit_stackref(w, fr, LAY(l, iframe_func), "f_func");
	/* borrowed from the function since 3.11 */
	emit_borrowed(w, fr, LAY(l, iframe_globals), "f_globals");
	emit_borrowed(w, fr, LAY(l, iframe_builtins), "f_builtins");
	emit_field(w, fr, LAY(l, iframe_locals), "f_locals");
	emit_field(w, fr, LAY(l, iframe_frame_obj), "frame_obj");
	if (code && LAY_HAS(l, code_nlocalsplus) &&
	    wread(w, code + LAY(l, code_nlocalsplus), &nlp, 4))
		nlp = 0;
	if (nlp < 0)
		nlp = 0;
	top = frame_slots(w, fr, code, nlp);
	if (top <= 0)
		return;
	if (top > (1 << 16)) {
		walk_warn(w, "frame at 0x%llx claims %lld stack slots", (unsigned long long)fr,
			  (long long)top);
		return;
	}
	if (code)
		names = field64(w, code, LAY(l, code_localsplusnames));
	lp = fr + (uint64_t)LAY(l, iframe_localsplus);
	for (i = 0; i < top; i++) {
		uint64_t v = stackref(w, field64(w, lp, 8 * i), &kind);

		if (!v)
			continue;
		walk_emit(w, v,
			  i < nlp ? local_name(w, names, i, kind)
				  : HEAP_EDGE(kind, HN_LOCAL, walk_field(w, "(stack)")));
	}
}

/* 3.12+: what a code object's co_code, co_varnames... made on demand
 * (a _PyCoCached it points to, allocated apart). */
static void code_cached_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t c = LAY_HAS(l, code_cached) ? field64(w, obj, LAY(l, code_cached)) : 0;

	if (!c)
		return;
	emit_field(w, c, LAY(l, cocached_code), "co_code");
	emit_field(w, c, LAY(l, cocached_varnames), "co_varnames");
	emit_field(w, c, LAY(l, cocached_cellvars), "co_cellvars");
	emit_field(w, c, LAY(l, cocached_freevars), "co_freevars");
}

static void frame_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t fr;

	if (w->p->minor <= 10) {
		frame_refs_old(w, obj);
		return;
	}
	emit_field(w, obj, LAY(l, frameobj_back), "f_back");
	emit_field(w, obj, LAY(l, frameobj_trace), "f_trace");
	emit_field(w, obj, LAY(l, frameobj_extra_locals), "f_extra_locals");
	emit_field(w, obj, LAY(l, frameobj_locals_cache), "f_locals_cache");
	emit_field(w, obj, LAY(l, frameobj_overwritten_fast_locals), "f_overwritten_fast_locals");
	/* a frame that outlived its call owns its data; one still running
	 * points into a thread's stack, whose slots are roots */
	fr = field64(w, obj, LAY(l, frameobj_frame));
	if (fr && LAY_HAS(l, frameobj_frame_data) &&
	    fr == obj + (uint64_t)LAY(l, frameobj_frame_data))
		walk_iframe(w, fr);
}

static void gen_refs(struct walker *w, uint64_t obj, enum walk_kind k)
{
	const struct layout *l = w->l;
	int8_t state = 0;
	uint64_t es;

	emit_field(w, obj, LAY(l, gen_frame), "gi_frame");
	emit_field(w, obj, LAY(l, gen_code), "gi_code");
	emit_field(w, obj, LAY(l, gen_name), "__name__");
	emit_field(w, obj, LAY(l, gen_qualname), "__qualname__");
	emit_field(w, obj, LAY(l, gen_origin_or_finalizer),
		   k == K_ASYNCGEN ? "ag_finalizer" : "cr_origin");
	if (LAY_HAS(l, gen_exc_state)) {
		es = obj + (uint64_t)LAY(l, gen_exc_state);
		if (w->p->minor <= 10) {
			emit_field(w, es, 0, "exc_type");
			emit_field(w, es, 8, "exc_value");
			emit_field(w, es, 16, "exc_traceback");
		} else {
			emit_field(w, es, 0, "exc_value");
		}
	}
	/* 3.11+: the frame lives inside the generator; while created or
	 * suspended (negative states) its slots are the generator's */
	if (LAY_HAS(l, gen_iframe) && LAY_HAS(l, gen_frame_state) &&
	    !wread(w, obj + LAY(l, gen_frame_state), &state, 1) && state < 0)
		walk_iframe(w, obj + (uint64_t)LAY(l, gen_iframe));
}

static void scan_refs(struct walker *w, uint64_t obj, const struct tinfo *ti);

/* _asyncio.Future and _asyncio.Task: their object fields under the
 * names Python gives them (Future._loop, Task._coro); their __dict__ is
 * the class's part.  Without their layout, a conservative scan. */
static void future_refs(struct walker *w, uint64_t obj, struct tinfo *ti)
{
	const struct layout *l = w->l;

	if (!LAY_HAS(l, future_loop) || !LAY_HAS(l, task_coro)) {
		scan_refs(w, obj, ti);
		return;
	}
	emit_field(w, obj, LAY(l, future_loop), "_loop");
	emit_field(w, obj, LAY(l, future_callback0), "_callback0");
	emit_field(w, obj, LAY(l, future_context0), "_context0");
	emit_field(w, obj, LAY(l, future_callbacks), "_callbacks");
	emit_field(w, obj, LAY(l, future_exception), "_exception");
	emit_field(w, obj, LAY(l, future_exception_tb), "_exception_tb");
	emit_field(w, obj, LAY(l, future_result), "_result");
	emit_field(w, obj, LAY(l, future_source_tb), "_source_traceback");
	emit_field(w, obj, LAY(l, future_cancel_msg), "_cancel_message");
	emit_field(w, obj, LAY(l, future_cancelled_exc), "_cancelled_exc");
	emit_field(w, obj, LAY(l, future_awaited_by), "_awaited_by");
	if (ti->kind != K_TASK)
		return;
	emit_field(w, obj, LAY(l, task_fut_waiter), "_fut_waiter");
	emit_field(w, obj, LAY(l, task_coro), "_coro");
	emit_field(w, obj, LAY(l, task_name), "_name");
	emit_field(w, obj, LAY(l, task_context), "_context");
}

/* collections.deque: ob_size items in a chain of blocks, starting at
 * leftindex of leftblock. */
static void deque_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t b = field64(w, obj, LAY(l, deque_leftblock)), blk[BLOCK_WORDS];
	int64_t n = ob_size(w, obj), idx = (int64_t)field64(w, obj, LAY(l, deque_leftindex)), i;
	int64_t len = LAY(l, block_size), data = LAY(l, block_data),
		right = LAY(l, block_rightlink);
	int64_t per = (len - 16) / 8;

	if (len <= 0 || len > (int64_t)sizeof(blk) || data != 8 || right != len - 8 || per < 1)
		return;
	if (n < 0 || n > MAX_ITEMS || idx < 0 || idx >= per) {
		walk_warn(w, "deque at 0x%llx looks corrupt", (unsigned long long)obj);
		return;
	}
	for (i = 0; i < n;) {
		if (!b || wread(w, b, blk, (size_t)len)) {
			walk_warn(w, "deque at 0x%llx: unreadable block", (unsigned long long)obj);
			return;
		}
		for (; idx < per && i < n; idx++, i++)
			if (blk[1 + idx])
				walk_emit(w, blk[1 + idx],
					  HEAP_EDGE(HE_STRONG, HN_INDEX,
						    i > HEAP_PAYLOAD_MAX ? HEAP_PAYLOAD_MAX : i));
		b = blk[right / 8];
		idx = 0;
	}
}

static void cfunc_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t ml = field64(w, obj, LAY(l, cfunc_ml));
	int32_t mflags = 0;

	emit_field(w, obj, LAY(l, cfunc_self), "__self__");
	emit_field(w, obj, LAY(l, cfunc_module), "__module__");
	/* PyMethodDef.ml_flags at 16 (3.8-3.13) */
	if (ml && !wread(w, ml + 16, &mflags, 4) && mflags & METH_METHOD)
		emit_field(w, obj, LAY(l, cmethod_class), "__objclass__");
}

/* The instance dict of a type without managed storage. */
static void dictoffset_refs(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	int64_t off = ti->dictoffset;

	if (!off)
		return;
	if (off < 0) {
		int64_t n = ti->itemsize ? ob_size(w, obj) : 0;
		uint64_t size;

		if (n < 0)
			n = -n;
		if (n > (1ll << 40))
			return;
		size = ((uint64_t)ti->basicsize + (uint64_t)n * (uint64_t)ti->itemsize + 7) & ~7ull;
		off += (int64_t)size;
		if (off < 16)
			return;
	}
	emit_field(w, obj, off, "__dict__");
}

/* 3.11+ managed dict, or the values without a dict. */
#define MAX_ATTRS 4096

/*
 * The names of a class's shared (cached) keys, entry by entry: every
 * instance without a dict lays its values out in that order.  Read once
 * per class when walking a copy, which cannot change; -1 if they cannot be.
 */
static int attr_names_load(struct walker *w, struct tinfo *ti)
{
	const struct layout *l = w->l;
	uint64_t keys = ti->cached_keys, entries, key;
	int64_t n = 0, i, esize = LAY(l, dictuentry_size);
	uint8_t log2_index = 0;
	uint32_t *names;

	if (ti->attr_keys == keys)
		return ti->nattr < 0 ? -1 : 0;
	free(ti->attr_names);
	ti->attr_names = NULL;
	ti->attr_keys = keys;
	ti->nattr = -1;
	if (!keys || esize != 16 || !LAY_HAS(l, dictkeys_log2_index_bytes) ||
	    wread(w, keys + LAY(l, dictkeys_nentries), &n, 8) ||
	    wread(w, keys + LAY(l, dictkeys_log2_index_bytes), &log2_index, 1) || n < 0 ||
	    n > MAX_ATTRS || log2_index > 32)
		return -1;
	names = calloc(n ? (size_t)n : 1, sizeof(*names));
	if (!names)
		return -1;
	entries = keys + (uint64_t)LAY(l, dictkeys_indices) + (1ull << log2_index);
	for (i = 0; i < n; i++) {
		names[i] = HEAP_NONE;
		if (!rd64(w, entries + (uint64_t)(i * esize), &key) && key)
			names[i] = walk_key_name(w, key | 1);
	}
	ti->attr_names = names;
	ti->nattr = n;
	return 0;
}

/* Values laid out by the class's cached keys, named by them. */
static int walk_reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return wread(ctx, addr, buf, len);
}

static void named_values(struct walker *w, uint64_t values, const struct tinfo *ti)
{
	uint64_t v[256], first;
	int64_t n = ti->nattr, i;
	uint8_t cap = 255, ord[256], done[256];
	int size = 0, k;

	/* 3.13: a header (capacity, size, embedded, valid) before the values */
	if (w->p->minor >= 13 && wread(w, values, &cap, 1))
		return;
	if (n > cap)
		n = cap;
	first = values +
		(LAY_HAS(w->l, dictvalues_values) ? (uint64_t)LAY(w->l, dictvalues_values) : 0);
	if (n <= 0 || wread(w, first, v, 8 * (size_t)n))
		return;
	memset(done, 0, (size_t)n);
	/* in the order they were set (as vars() gives them), then any the
	 * order missed */
	if (pydict_values_order(w->p, values, ord, &size, walk_reader, w))
		size = 0;
	for (k = 0; k < size + n; k++) {
		i = k < size ? ord[k] : k - size;
		if (i >= n || done[i])
			continue;
		done[i] = 1;
		if (v[i] && ti->attr_names[i] != HEAP_NONE)
			walk_emit(w, v[i], HEAP_EDGE(HE_STRONG, HN_ATTR, ti->attr_names[i]));
	}
}

static void managed_refs(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	struct hs_error err;
	uint64_t dict = 0, values = 0, word;
	uint8_t valid = 0;

	if (w->p->minor == 11) {
		dict = field64(w, obj - 24, 0);
		values = field64(w, obj - 32, 0);
	} else if (w->p->minor == 12) {
		word = field64(w, obj - 24, 0);
		if (word & 1)
			values = word + 1;
		else
			dict = word;
	} else {
		dict = field64(w, obj - w->p->managed_dict, 0);
		if (ti->flags & TPF_INLINE_VALUES &&
		    !wread(w, obj + (uint64_t)ti->basicsize + 3, &valid, 1) && valid)
			values = obj + (uint64_t)ti->basicsize;
	}
	if (dict)
		walk_emit(w, dict, field_name(w, "__dict__"));
	if (!values || !ti->cached_keys)
		return;
	if (w->image && ti->attr_keys == ti->cached_keys && ti->nattr >= 0) {
		named_values(w, values, ti);
		return;
	}
	hs_error_clear(&err); /* as dict_refs */
	if (pydict_keys_walk(w->p, ti->cached_keys, values, attr_cb, w, &err))
		walk_warn(w, "attributes of 0x%llx: %s", (unsigned long long)obj, err.msg);
}

/* A C module's state (md_def->m_size bytes at md_state) is opaque: the
 * words in it that point to objects are its references, edges marked
 * scanned. */
static void module_state_refs(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t def = field64(w, obj, LAY(l, module_def)),
		 st = field64(w, obj, LAY(l, module_state));
	uint64_t buf[MAX_SCAN / 8];
	int64_t size, off, k;

	if (!def || !st || !LAY_HAS(l, moduledef_m_size))
		return;
	size = (int64_t)field64(w, def, LAY(l, moduledef_m_size));
	if (size <= 0)
		return;
	/* some states are large (_ast holds hundreds of types and names) */
	if (size > MAX_STATE_SCAN)
		size = MAX_STATE_SCAN;
	size &= ~7;
	w->h->flags[w->cur] |= HO_SCANNED;
	for (off = 0; off < size; off += MAX_SCAN) {
		int64_t n = size - off < MAX_SCAN ? size - off : MAX_SCAN;

		if (wread(w, st + (uint64_t)off, buf, (size_t)n))
			return;
		for (k = 0; k < n / 8; k++)
			if (buf[k] && !(buf[k] & 7))
				walk_emit(w, buf[k], HEAP_EDGE(HE_SCANNED, HN_NONE, 0));
	}
}

/* An opaque C object: named members, then any word that points to an
 * object. */
static void scan_refs(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	uint64_t buf[MAX_SCAN / 8];
	int64_t size = ti->basicsize, n, off, owned = walk_sizeof_owned(w, obj, ti);
	uint32_t i;

	if (ti->itemsize && (n = ob_size(w, obj)) > 0 && n < (1 << 20))
		size += n * ti->itemsize;
	if (size > MAX_SCAN)
		size = MAX_SCAN;
	size &= ~7;
	if (size <= 16 || wread(w, obj, buf, (size_t)size))
		return;
	w->h->flags[w->cur] |= HO_SCANNED;
	for (off = 16; off < size; off += 8) {
		uint64_t v = buf[off / 8];
		int named = 0;

		if (!v || v & 7 || off == ti->dictoffset || off == owned)
			continue;
		for (i = 0; i < ti->nslots; i++)
			if (ti->slots[i].off == off)
				named = 1;
		if (!named)
			walk_emit(w, v, HEAP_EDGE(HE_SCANNED, HN_NONE, 0));
	}
}

/* A numpy array: its base (what owns the data of a view), its dtype, and
 * the items of an object array that owns its data (a view's are its
 * base's).  ndarray has no tp_traverse: these are numpy's own fields. */
static void ndarray_refs(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	struct ndarray a;

	emit_field(w, obj, NDARRAY_BASE, "base");
	emit_field(w, obj, NDARRAY_DESCR, "dtype");
	if (ti->basicsize >= NDARRAY_MEM_HANDLER + 8)
		emit_field(w, obj, NDARRAY_MEM_HANDLER, "mem_handler");
	if (!walk_ndarray(w, obj, &a) && a.objects && a.owns && a.data)
		emit_items(w, a.data, a.items);
}

/*
 * Kinds whose referents are plain pointer fields, with the names Python
 * gives them: for each kind, {layout field, bytes past it, edge name},
 * until a NULL name.  A field the build lacks (-1) is skipped.
 */
struct field_ref {
	uint16_t field; /* enum layout_field */
	uint8_t add;
	const char *name;
};

#define FIELD_REFS_MAX 14
#define DESCR_FIELDS \
	{ LF_descr_type, 0, "__objclass__" }, { LF_descr_name, 0, "__name__" }, \
	{ \
		LF_descr_qualname, 0, "__qualname__" \
	}

static const struct field_ref field_refs[K_COUNT][FIELD_REFS_MAX] = {
	[K_FUNCTION] = {
		{ LF_func_code, 0, "__code__" }, { LF_func_globals, 0, "__globals__" },
		{ LF_func_builtins, 0, "__builtins__" }, { LF_func_name, 0, "__name__" },
		{ LF_func_qualname, 0, "__qualname__" }, { LF_func_defaults, 0, "__defaults__" },
		{ LF_func_kwdefaults, 0, "__kwdefaults__" }, { LF_func_closure, 0, "__closure__" },
		{ LF_func_doc, 0, "__doc__" }, { LF_func_dict, 0, "__dict__" },
		{ LF_func_module, 0, "__module__" }, { LF_func_annotations, 0, "__annotations__" },
		{ LF_func_typeparams, 0, "__type_params__" }, { LF_func_annotate, 0, "__annotate__" },
	},
	[K_CELL] = { { LF_cell_ref, 0, "cell_contents" } },
	[K_METHOD] = { { LF_method_func, 0, "__func__" }, { LF_method_self, 0, "__self__" } },
	[K_MODULE] = { { LF_module_dict, 0, "__dict__" }, { LF_module_name, 0, "__name__" } },
	[K_CODE] = {
		{ LF_code_consts, 0, "co_consts" }, { LF_code_names, 0, "co_names" },
		{ LF_code_varnames, 0, "co_varnames" }, { LF_code_freevars, 0, "co_freevars" },
		{ LF_code_cellvars, 0, "co_cellvars" },
		{ LF_code_localsplusnames, 0, "co_localsplusnames" },
		{ LF_code_localspluskinds, 0, "co_localspluskinds" },
		{ LF_code_filename, 0, "co_filename" }, { LF_code_name, 0, "co_name" },
		{ LF_code_qualname, 0, "co_qualname" }, { LF_code_linetable, 0, "co_linetable" },
		{ LF_code_exceptiontable, 0, "co_exceptiontable" }, { LF_code_code, 0, "co_code" },
	},
	[K_METHODDESCR] = { DESCR_FIELDS },
	[K_MEMBERDESCR] = { DESCR_FIELDS },
	[K_GETSETDESCR] = { DESCR_FIELDS },
	[K_WRAPPERDESCR] = { DESCR_FIELDS },
	[K_CMDESCR] = { DESCR_FIELDS },
	/* mappingproxy, method-wrapper and traceback fields follow the header */
	[K_MAPPINGPROXY] = { { LF_object_size, 0, "mapping" } },
	[K_METHODWRAPPER] = { { LF_object_size, 0, "descr" }, { LF_object_size, 8, "__self__" } },
	[K_TRACEBACK] = { { LF_object_size, 0, "tb_next" }, { LF_object_size, 8, "tb_frame" } },
	[K_CLASSMETHOD] = {
		{ LF_classmethod_callable, 0, "__func__" }, { LF_classmethod_dict, 0, "__dict__" },
	},
	[K_STATICMETHOD] = {
		{ LF_staticmethod_callable, 0, "__func__" }, { LF_staticmethod_dict, 0, "__dict__" },
	},
	[K_PROPERTY] = {
		{ LF_property_get, 0, "fget" }, { LF_property_set, 0, "fset" },
		{ LF_property_del, 0, "fdel" }, { LF_property_doc, 0, "__doc__" },
		{ LF_property_name, 0, "__name__" },
	},
	[K_EXC] = {
		{ LF_exc_dict, 0, "__dict__" }, { LF_exc_args, 0, "args" },
		{ LF_exc_notes, 0, "__notes__" }, { LF_exc_traceback, 0, "__traceback__" },
		{ LF_exc_context, 0, "__context__" }, { LF_exc_cause, 0, "__cause__" },
	},
};

void walk_refs(struct walker *w, uint64_t obj, struct tinfo *tip)
{
	const struct layout *l = w->l;
	struct tinfo copy, *ti = &copy;
	const struct field_ref *f;
	uint32_t i;

	/* emitting discovers objects of new types, which may move the type
	 * table: work on a copy (slots are allocated apart and stay) */
	if (!tip->members_done)
		walk_type_members(w, tip);
	if (w->image && w->p->minor >= 11 && tip->flags & TPF_MANAGED_DICT && tip->cached_keys)
		attr_names_load(w, tip);
	copy = *tip;
	for (f = field_refs[ti->kind]; f < field_refs[ti->kind] + FIELD_REFS_MAX && f->name; f++)
		if (l->v[f->field] >= 0)
			emit_field(w, obj, l->v[f->field] + f->add, f->name);

	switch ((enum walk_kind)ti->kind) {
	case K_LIST:
		emit_items(w, field64(w, obj, LAY(l, list_item)), ob_size(w, obj));
		break;
	case K_TUPLE:
		emit_items(w, obj + (uint64_t)LAY(l, tuple_item), ob_size(w, obj));
		break;
	case K_DICT:
		dict_refs(w, obj);
		break;
	case K_SET:
	case K_FROZENSET:
		set_refs(w, obj);
		break;
	case K_TYPE:
		type_refs(w, obj);
		break;
	case K_CFUNCTION:
		cfunc_refs(w, obj);
		break;
	case K_MODULE:
		module_state_refs(w, obj);
		break;
	case K_FRAME:
		frame_refs(w, obj);
		break;
	case K_CODE:
		code_cached_refs(w, obj);
		break;
	case K_GEN:
	case K_CORO:
	case K_ASYNCGEN:
		gen_refs(w, obj, (enum walk_kind)ti->kind);
		break;
	case K_WEAKREF:
	case K_WEAKREF2:
	case K_WEAKPROXY:
	case K_WEAKCPROXY:
	case K_WEAKPROXY2:
	case K_WEAKCPROXY2: {
		uint64_t v = field64(w, obj, LAY(l, weakref_object));

		if (v)
			walk_emit(w, v,
				  HEAP_EDGE(HE_WEAK, HN_FIELD, walk_field(w, "__referent__")));
		emit_field(w, obj, LAY(l, weakref_callback), "__callback__");
		break;
	}
	case K_DEQUE:
		deque_refs(w, obj);
		break;
	case K_FUTURE:
	case K_TASK:
		future_refs(w, obj, ti);
		break;
	case K_NDARRAY:
		ndarray_refs(w, obj, ti);
		break;
	default:
		break;
	}

	/* what classes add to any kind: the class itself, __dict__,
	 * __slots__ and members of extension bases */
	if (ti->flags & TPF_HEAPTYPE)
		walk_emit(w, ti->addr, field_name(w, "__class__"));
	if (w->p->minor >= 11 && ti->flags & TPF_MANAGED_DICT)
		managed_refs(w, obj, ti);
	else if (ti->kind != K_TYPE && ti->kind != K_FUNCTION && ti->kind != K_EXC &&
		 ti->kind != K_MODULE && ti->kind != K_CLASSMETHOD && ti->kind != K_STATICMETHOD)
		dictoffset_refs(w, obj, ti);
	else if (ti->flags & TPF_HEAPTYPE && ti->dictoffset &&
		 ti->dictoffset != LAY(l, func_dict) && ti->dictoffset != LAY(l, exc_dict) &&
		 ti->dictoffset != LAY(l, module_dict) && ti->dictoffset != LAY(l, type_dict))
		dictoffset_refs(w, obj, ti);
	for (i = 0; i < ti->nslots; i++) {
		uint64_t v = field64(w, obj, ti->slots[i].off);

		if (v)
			walk_emit(w, v, HEAP_EDGE(HE_STRONG, HN_ATTR, ti->slots[i].name));
	}
	if (ti->kind == K_OTHER)
		scan_refs(w, obj, ti);
}
