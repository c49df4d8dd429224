/*
 * heap.c - building the heap graph and reading it.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "analysis/dominator.h"
#include "base/bigmem.h"
#include "base/decimal.h"
#include "heap.h"

static void vec_init(struct heap_vec *v, size_t elem)
{
	*v = (struct heap_vec){ .elem = elem };
}

/* Arrays from BIGMEM_BYTES on are mappings of their own, in huge pages
 * where the kernel has them (bigmem.h): growing one moves its pages
 * instead of copying them, and filling it faults once per 2 MiB, not
 * per 4 KiB. */

static void *vec_resize(struct heap_vec *v, size_t bytes)
{
	void *nv;

	if (bytes < BIGMEM_BYTES)
		return realloc(v->v, bytes);
	if (v->mapped) {
		big_populate_wait(); /* nothing of it populated while it moves */
		nv = mremap(v->v, v->cap * v->elem, bytes, MREMAP_MAYMOVE);
	} else {
		nv = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (nv != MAP_FAILED) {
			big_advise(nv, bytes);
			memcpy(nv, v->v, v->n * v->elem);
			free(v->v);
			v->mapped = 1;
			v->ahead = v->n * v->elem;
		}
	}
	return nv == MAP_FAILED ? NULL : nv;
}

static void vec_free(struct heap_vec *v)
{
	if (v->mapped) {
		big_populate_wait();
		munmap(v->v, v->cap * v->elem);
	} else {
		free(v->v);
	}
}

/* A mapped array's pages are populated on the other core ahead of its
 * end: once the end comes within VEC_AHEAD of what was queued, up to
 * 2 VEC_AHEAD past it is queued.  Filling it then finds pages already
 * there, and at most 2 VEC_AHEAD of it are populated and unused (4 MiB
 * ahead raised a capture's peak by 27 MB on 4.5M objects; 2 MiB is one
 * huge page). */
#define VEC_AHEAD (2u << 20)

static void vec_ahead(struct heap_vec *v, size_t end)
{
	size_t cap = v->cap * v->elem, to = end + 2 * VEC_AHEAD < cap ? end + 2 * VEC_AHEAD : cap;

	if (to > v->ahead) {
		big_populate_ahead((char *)v->v + v->ahead, to - v->ahead);
		v->ahead = to;
	}
}

int heap_build_reserve(struct heap *h, uint64_t bytes)
{
	uint64_t had = __atomic_load_n(&h->build_bytes, __ATOMIC_RELAXED);

	/* analyses may run on two threads (the SQLite export's) */
	do {
		if (h->build_limit && (bytes > h->build_limit || had > h->build_limit - bytes)) {
			h->over_limit = 1;
			return -1;
		}
	} while (!__atomic_compare_exchange_n(&h->build_bytes, &had, had + bytes, 1,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

void heap_build_unreserve(struct heap *h, uint64_t bytes)
{
	__atomic_fetch_sub(&h->build_bytes, bytes, __ATOMIC_RELAXED);
}

/* Make room for n more elements of v (grown, its next pages queued to
 * be populated); -1 out of memory, or past h->build_limit. */
static int vec_room(struct heap *h, struct heap_vec *v, size_t n)
{
	if (v->n + n > v->cap) {
		size_t cap = v->cap ? v->cap : 1024;
		void *nv;

		while (cap < v->n + n)
			cap *= 2;
		if (heap_build_reserve(h, (cap - v->cap) * v->elem))
			return -1;
		nv = vec_resize(v, cap * v->elem);
		if (!nv)
			return -1;
		v->v = nv;
		v->cap = cap;
	}
	v->mark = v->cap;
	if (v->mapped) {
		vec_ahead(v, (v->n + n) * v->elem);
		if (v->ahead < v->cap * v->elem)
			v->mark = (v->ahead - VEC_AHEAD) / v->elem;
	}
	return 0;
}

/* Room for n more elements of one of h's arrays; returns the address of
 * the first, or NULL (out of memory, or past h->build_limit).  Below
 * v->mark there is nothing to do but that. */
static inline void *vec_grow(struct heap *h, struct heap_vec *v, size_t n)
{
	if (v->n + n > v->mark && vec_room(h, v, n))
		return NULL;
	return (char *)v->v + v->n * v->elem;
}

void heap_init(struct heap *h)
{
	memset(h, 0, sizeof(*h));
	vec_init(&h->vobj, sizeof(struct heap_obj));
	vec_init(&h->vflags, 1);
	vec_init(&h->vstart, sizeof(uint32_t));
	vec_init(&h->vdst, sizeof(uint32_t));
	vec_init(&h->vname, sizeof(uint32_t));
	vec_init(&h->vtype, sizeof(struct heap_type));
	vec_init(&h->vnames, sizeof(uint32_t));
	vec_init(&h->vroot, sizeof(struct heap_root));
	vec_init(&h->vbig, sizeof(struct heap_big));
	vec_init(&h->vthread, sizeof(struct heap_thread));
	vec_init(&h->vframe, sizeof(struct heap_frame));
	vec_init(&h->vwait, sizeof(struct heap_wait));
	vec_init(&h->vstr, 1);
	/* offset 0 is the empty string */
	heap_add_string(h, "", 0);
}

void heap_release(struct heap *h)
{
	struct heap_vec *v[] = { &h->vobj,   &h->vflags, &h->vstart, &h->vdst, &h->vname,
				 &h->vtype,  &h->vnames, &h->vroot,  &h->vbig, &h->vthread,
				 &h->vframe, &h->vwait,	 &h->vstr };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		vec_free(v[i]);
	free(h->addr_slots);
	free(h->str_slots);
	free(h->name_slots);
	free(h->rev_start);
	free(h->rev_src);
	free(h->rev_edge);
	free(h->type_objs);
	free(h->idom);
	free(h->retained);
	free(h->reach);
	free(h->mem_owned);
	if (h->mapping)
		munmap(h->mapping, h->mapping_len);
	memset(h, 0, sizeof(*h));
}

/* ---- address index ---- */

#define LOOKUP_AHEAD 16 /* objects indexed ahead of the one being indexed */

static size_t addr_hash(uint64_t a)
{
	return heap_hash64(a);
}

static int addr_rehash(struct heap *h, size_t nslots, struct hs_error *err)
{
	uint32_t *s = big_calloc(nslots, sizeof(*s));
	const struct heap_obj *o = h->obj;
	size_t i;

	if (!s)
		return hs_error_set(err, HS_ENOMEM, "out of memory for the object index");
	for (i = 0; i < h->nobj; i++) {
		size_t k = addr_hash(o[i].addr) & (nslots - 1);

		/* the slots are taken in no order: fetch a few ahead */
		if (i + LOOKUP_AHEAD < h->nobj)
			__builtin_prefetch(&s[addr_hash(o[i + LOOKUP_AHEAD].addr) & (nslots - 1)],
					   1);
		while (s[k])
			k = (k + 1) & (nslots - 1);
		s[k] = (uint32_t)i + 1;
	}
	free(h->addr_slots);
	h->addr_slots = s;
	h->addr_mask = nslots - 1;
	return 0;
}

/* Slots of the index of n objects: a power of 2, at least twice n. */
static size_t heap_index_slots(size_t n)
{
	size_t nslots = 1u << 16;

	while (nslots < 2 * n)
		nslots *= 2;
	return nslots;
}

int heap_build_index(struct heap *h, struct hs_error *err)
{
	return addr_rehash(h, heap_index_slots(h->nobj), err);
}

void heap_lookup_ahead(const struct heap *h, uint64_t addr, int stage)
{
	uint32_t slot;

	if (!h->addr_slots)
		return;
	if (!stage) {
		__builtin_prefetch(&h->addr_slots[addr_hash(addr) & h->addr_mask]);
		return;
	}
	slot = h->addr_slots[addr_hash(addr) & h->addr_mask];
	if (slot)
		__builtin_prefetch(&h->obj[slot - 1]);
}

uint32_t heap_lookup(const struct heap *h, uint64_t addr)
{
	const struct heap_obj *o = h->obj;
	size_t k;

	/* without the index, a scan: for one lookup, a read of the objects
	 * in order costs less than the index's random writes and memory */
	if (!h->addr_slots) {
		for (k = 0; k < h->nobj; k++)
			if (o[k].addr == addr)
				return (uint32_t)k;
		return HEAP_NONE;
	}
	for (k = addr_hash(addr) & h->addr_mask; h->addr_slots[k]; k = (k + 1) & h->addr_mask)
		if (o[h->addr_slots[k] - 1].addr == addr)
			return h->addr_slots[k] - 1;
	return HEAP_NONE;
}

uint32_t heap_add_obj(struct heap *h, uint64_t addr, uint32_t type, uint64_t size, int64_t refcnt,
		      unsigned flags, struct hs_error *err)
{
	struct heap_obj *o;
	uint8_t *f;
	uint32_t idx = (uint32_t)h->vobj.n;

	if (h->vobj.n >= HEAP_MAX_OBJECTS) {
		hs_error_set(err, HS_ENOMEM, "more than %u objects", HEAP_MAX_OBJECTS);
		return HEAP_NONE;
	}
	o = vec_grow(h, &h->vobj, 1);
	f = vec_grow(h, &h->vflags, 1);
	if (!o || !f) {
		hs_error_set(err, HS_ENOMEM, "out of memory for %zu objects", h->vobj.n);
		return HEAP_NONE;
	}
	o->addr = addr;
	o->type = type;
	o->refcnt = refcnt < 0 ? 0 : refcnt > UINT32_MAX ? UINT32_MAX : (uint32_t)refcnt;
	o->value = HEAP_NONE;
	o->size = 0;
	*f = (uint8_t)flags;
	h->vobj.n++;
	h->vflags.n++;
	h->obj = h->vobj.v;
	h->flags = h->vflags.v;
	h->nobj = h->vobj.n;
	if (size && heap_set_size(h, idx, size, err))
		return HEAP_NONE;
	return idx;
}

int heap_set_size(struct heap *h, uint32_t i, uint64_t size, struct hs_error *err)
{
	struct heap_big *b;

	if (size < HEAP_BIG_SIZE) {
		h->obj[i].size = (uint32_t)size;
		return 0;
	}
	/* set in index order, so big[] stays sorted */
	b = vec_grow(h, &h->vbig, 1);
	if (!b)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	b->obj = i;
	b->pad = 0;
	b->size = size;
	h->vbig.n++;
	h->big = h->vbig.v;
	h->nbig = h->vbig.n;
	h->obj[i].size = HEAP_BIG_SIZE;
	return 0;
}

int heap_begin_edges(struct heap *h, uint32_t i, struct hs_error *err)
{
	/* objects without edges before i get empty ranges */
	while (h->vstart.n <= i) {
		uint32_t *s = vec_grow(h, &h->vstart, 1);

		if (!s)
			return hs_error_set(err, HS_ENOMEM, "out of memory for edges");
		*s = (uint32_t)h->vdst.n;
		h->vstart.n++;
	}
	return 0;
}

int heap_add_edge(struct heap *h, uint32_t dst, uint32_t name, struct hs_error *err)
{
	uint32_t *d, *n;

	if (h->vdst.n >= HEAP_MAX_EDGES)
		return hs_error_set(err, HS_ENOMEM, "more than %u edges", HEAP_MAX_EDGES);
	d = vec_grow(h, &h->vdst, 1);
	n = vec_grow(h, &h->vname, 1);
	if (!d || !n)
		return hs_error_set(err, HS_ENOMEM, "out of memory for edges");
	*d = dst;
	*n = name;
	h->vdst.n++;
	h->vname.n++;
	return 0;
}

/* ---- strings ---- */

uint32_t heap_add_string(struct heap *h, const char *s, size_t len)
{
	size_t off = h->vstr.n;
	char *p;
	uint32_t l = (uint32_t)len;

	if (len > UINT32_MAX - 8 || off + len + 5 > UINT32_MAX - 1)
		return HEAP_NONE;
	p = vec_grow(h, &h->vstr, len + 5);
	if (!p)
		return HEAP_NONE;
	memcpy(p, &l, 4);
	memcpy(p + 4, s, len);
	p[4 + len] = '\0';
	h->vstr.n += len + 5;
	h->strings = h->vstr.v;
	h->strings_len = h->vstr.n;
	return (uint32_t)off;
}

static size_t str_hash(const char *s, size_t len)
{
	uint64_t x = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		x = (x ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return (size_t)(x ^ x >> 29);
}

static int str_rehash(struct heap *h)
{
	size_t nslots = h->str_mask ? 2 * (h->str_mask + 1) : 1024, i, len;
	uint32_t *s = big_calloc(nslots, sizeof(*s));

	if (!s)
		return -1;
	for (i = 0; h->str_slots && i <= h->str_mask; i++) {
		uint32_t off = h->str_slots[i];
		const char *t;
		size_t k;

		if (!off)
			continue;
		t = heap_str(h, off - 1, &len);
		for (k = str_hash(t, len) & (nslots - 1); s[k]; k = (k + 1) & (nslots - 1))
			;
		s[k] = off;
	}
	free(h->str_slots);
	h->str_slots = s;
	h->str_mask = nslots - 1;
	return 0;
}

uint32_t heap_intern(struct heap *h, const char *s, size_t len)
{
	size_t k, l;
	uint32_t off;

	if ((h->nstr_interned + 1) * 2 > h->str_mask + 1 && str_rehash(h))
		return HEAP_NONE;
	for (k = str_hash(s, len) & h->str_mask; h->str_slots[k]; k = (k + 1) & h->str_mask) {
		const char *t = heap_str(h, h->str_slots[k] - 1, &l);

		if (l == len && !memcmp(t, s, len))
			return h->str_slots[k] - 1;
	}
	off = heap_add_string(h, s, len);
	if (off == HEAP_NONE)
		return HEAP_NONE;
	h->str_slots[k] = off + 1;
	h->nstr_interned++;
	return off;
}

static int name_rehash(struct heap *h)
{
	size_t nslots = h->name_mask ? 2 * (h->name_mask + 1) : 1024, i, len;
	uint32_t *s = big_calloc(nslots, sizeof(*s));
	const uint32_t *names = h->vnames.v;

	if (!s)
		return -1;
	for (i = 0; i < h->vnames.n; i++) {
		const char *t = heap_str(h, names[i], &len);
		size_t k;

		for (k = str_hash(t, len) & (nslots - 1); s[k]; k = (k + 1) & (nslots - 1))
			;
		s[k] = (uint32_t)i + 1;
	}
	free(h->name_slots);
	h->name_slots = s;
	h->name_mask = nslots - 1;
	return 0;
}

uint32_t heap_name(struct heap *h, const char *s, size_t len)
{
	uint32_t off, *n;
	size_t k, l;

	if (h->vnames.n >= HEAP_PAYLOAD_MAX)
		return HEAP_NONE;
	if ((h->vnames.n + 1) * 2 > h->name_mask + 1 && name_rehash(h))
		return HEAP_NONE;
	n = h->vnames.v;
	for (k = str_hash(s, len) & h->name_mask; h->name_slots[k]; k = (k + 1) & h->name_mask) {
		const char *t = heap_str(h, n[h->name_slots[k] - 1], &l);

		if (l == len && !memcmp(t, s, len))
			return h->name_slots[k] - 1;
	}
	off = heap_intern(h, s, len);
	if (off == HEAP_NONE || !(n = vec_grow(h, &h->vnames, 1)))
		return HEAP_NONE;
	*n = off;
	h->name_slots[k] = (uint32_t)h->vnames.n + 1;
	h->names = h->vnames.v;
	h->nname = ++h->vnames.n;
	return (uint32_t)h->nname - 1;
}

uint32_t heap_add_type(struct heap *h, uint64_t addr, uint32_t name)
{
	struct heap_type *t = vec_grow(h, &h->vtype, 1);

	if (!t)
		return HEAP_NONE;
	t->addr = addr;
	t->name = name;
	t->obj = HEAP_NONE;
	h->types = h->vtype.v;
	h->ntype = ++h->vtype.n;
	return (uint32_t)h->ntype - 1;
}

int heap_add_root(struct heap *h, uint32_t obj, enum heap_root_kind kind, uint32_t label,
		  uint32_t name, struct hs_error *err)
{
	struct heap_root *r = vec_grow(h, &h->vroot, 1);

	if (!r)
		return hs_error_set(err, HS_ENOMEM, "out of memory for roots");
	r->obj = obj;
	r->kind = kind;
	r->label = label == HEAP_NONE ? 0 : label;
	r->name = name;
	h->roots = h->vroot.v;
	h->nroot = ++h->vroot.n;
	if (obj < h->nobj)
		h->flags[obj] |= HO_ROOT;
	return 0;
}

int heap_add_thread(struct heap *h, const struct heap_thread *t, struct hs_error *err)
{
	struct heap_thread *d = vec_grow(h, &h->vthread, 1);

	if (!d)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	*d = *t;
	h->threads = h->vthread.v;
	h->nthread = ++h->vthread.n;
	return 0;
}

int heap_add_frame(struct heap *h, const struct heap_frame *f, struct hs_error *err)
{
	struct heap_frame *d = vec_grow(h, &h->vframe, 1);

	if (!d)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	*d = *f;
	h->frames = h->vframe.v;
	h->nframe = ++h->vframe.n;
	return 0;
}

int heap_add_wait(struct heap *h, const struct heap_wait *wt, struct hs_error *err)
{
	struct heap_wait *d = vec_grow(h, &h->vwait, 1);

	if (!d)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	*d = *wt;
	h->waits = h->vwait.v;
	h->nwait = ++h->vwait.n;
	return 0;
}

int heap_finish(struct heap *h, struct hs_error *err)
{
	if (h->nobj && heap_begin_edges(h, (uint32_t)h->nobj - 1, err))
		return -1;
	/* the closing offset */
	{
		uint32_t *s = vec_grow(h, &h->vstart, 1);

		if (!s)
			return hs_error_set(err, HS_ENOMEM, "out of memory for edges");
		*s = (uint32_t)h->vdst.n;
		h->vstart.n++;
	}
	h->edge_start = h->vstart.v;
	h->edge_dst = h->vdst.v;
	h->edge_name = h->vname.v;
	h->nedge = h->vdst.n;
	h->big = h->vbig.v;
	h->nbig = h->vbig.n;
	h->types = h->vtype.v;
	h->names = h->vnames.v;
	h->roots = h->vroot.v;
	h->threads = h->vthread.v;
	h->frames = h->vframe.v;
	h->waits = h->vwait.v;
	h->strings = h->vstr.v;
	h->strings_len = h->vstr.n;
	free(h->str_slots);
	free(h->name_slots);
	h->str_slots = h->name_slots = NULL;
	h->str_mask = h->name_mask = 0;
	h->nstr_interned = 0;
	return heap_build_types(h, err);
}

/* Count what an analysis takes against h->build_limit (--max-memory):
 * 0, or -1 with err saying what it would have taken. */
static int analysis_room(struct heap *h, uint64_t bytes, const char *what, struct hs_error *err)
{
	char need[32], left[32];
	uint64_t used = __atomic_load_n(&h->build_bytes, __ATOMIC_RELAXED);

	if (!heap_build_reserve(h, bytes))
		return 0;
	heap_size_text(bytes, need, sizeof(need));
	heap_size_text(h->build_limit > used ? h->build_limit - used : 0, left, sizeof(left));
	hs_error_set(err, HS_ENOMEM, "%s of %zu objects take about %s, and --max-memory leaves %s",
		     what, h->nobj, need, left);
	hs_error_hint(err, "raise --max-memory, or leave it out");
	return -1;
}

/* The bytes a piece heap_prepare builds keeps (the dominators take more
 * while they are computed). */
static uint64_t kept_bytes(const struct heap *h, enum heap_need piece)
{
	uint64_t n = h->nobj, m = h->nedge;

	if (piece == HEAP_NEED_REVERSE)
		return 4 * (n + 1) + 8 * m;
	if (piece == HEAP_NEED_INDEX)
		return 4 * heap_index_slots(n);
	return 12 * n + n / 8 + 1;
}

int heap_prepare(struct heap *h, unsigned need, struct hs_error *err)
{
	uint64_t n = h->nobj, m = h->nedge;

	if (need & HEAP_NEED_REVERSE && !h->rev_start &&
	    (analysis_room(h, kept_bytes(h, HEAP_NEED_REVERSE), "the referrers", err) ||
	     heap_build_reverse(h, err)))
		return -1;
	if (need & HEAP_NEED_INDEX && !h->addr_slots &&
	    (analysis_room(h, kept_bytes(h, HEAP_NEED_INDEX), "the index by address", err) ||
	     heap_build_index(h, err)))
		return -1;
	if (need & HEAP_NEED_DOMINATORS && !h->idom) {
		/* dominator.h: 16 bytes an object and at most 4 a reference
		 * while they are computed */
		uint64_t peak = 16 * (n + 2) + n / 8 + 4 * m;

		if (analysis_room(h, peak, "retained sizes", err) || dominator_build(h, err))
			return -1;
		heap_build_unreserve(h, peak - kept_bytes(h, HEAP_NEED_DOMINATORS));
	}
	return 0;
}

void heap_forget_dominators(struct heap *h)
{
	if (!h->idom)
		return;
	dominator_release(h);
	heap_build_unreserve(h, kept_bytes(h, HEAP_NEED_DOMINATORS));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* (object << 32 | type) of every type object in the graph, sorted. */
int heap_build_types(struct heap *h, struct hs_error *err)
{
	size_t i, n = 0;
	uint64_t *v = malloc((h->ntype ? h->ntype : 1) * sizeof(*v));

	if (!v)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	for (i = 0; i < h->ntype; i++)
		if (h->types[i].obj != HEAP_NONE)
			v[n++] = (uint64_t)h->types[i].obj << 32 | i;
	qsort(v, n, sizeof(*v), cmp_u64);
	free(h->type_objs);
	h->type_objs = v;
	h->ntype_objs = n;
	return 0;
}

uint32_t heap_type_of_obj(const struct heap *h, uint32_t i)
{
	size_t lo = 0, hi = h->ntype_objs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((h->type_objs[mid] >> 32) < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->ntype_objs && (h->type_objs[lo] >> 32) == i)
		return (uint32_t)h->type_objs[lo];
	return HEAP_NONE;
}

int heap_build_reverse(struct heap *h, struct hs_error *err)
{
	uint32_t *start, *src, *eidx;
	size_t i, e;

	free(h->rev_start);
	free(h->rev_src);
	free(h->rev_edge);
	h->rev_start = h->rev_src = h->rev_edge = NULL;
	start = big_calloc(h->nobj + 1, sizeof(*start));
	src = big_malloc((h->nedge ? h->nedge : 1) * sizeof(*src));
	eidx = big_malloc((h->nedge ? h->nedge : 1) * sizeof(*eidx));
	if (!start || !src || !eidx) {
		free(start);
		free(src);
		free(eidx);
		return hs_error_set(err, HS_ENOMEM, "out of memory for reverse edges");
	}
	for (e = 0; e < h->nedge; e++)
		start[h->edge_dst[e] + 1]++;
	for (i = 0; i < h->nobj; i++)
		start[i + 1] += start[i];
	/* fill in order of source, using start[] as a cursor shifted by one */
	for (i = 0; i < h->nobj; i++)
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			uint32_t at = start[h->edge_dst[e]]++;

			src[at] = (uint32_t)i;
			eidx[at] = (uint32_t)e;
		}
	for (i = h->nobj; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	h->rev_start = start;
	h->rev_src = src;
	h->rev_edge = eidx;
	return 0;
}

/* ---- reading ---- */

const char *heap_str(const struct heap *h, uint32_t off, size_t *len)
{
	uint32_t l;

	if (off == HEAP_NONE || !h->strings || (size_t)off + 5 > h->strings_len) {
		if (len)
			*len = 0;
		return "";
	}
	memcpy(&l, h->strings + off, 4);
	/* a loaded blob is the file's: the length must fit and the text end
	 * in its NUL, or readers that take it as a C string run past it */
	if (l > h->strings_len - off - 5 || h->strings[off + 4 + l]) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = l;
	return h->strings + off + 4;
}

uint64_t heap_size(const struct heap *h, uint32_t i)
{
	size_t lo = 0, hi = h->nbig;

	if (h->obj[i].size != HEAP_BIG_SIZE)
		return h->obj[i].size;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->big[mid].obj < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nbig && h->big[lo].obj == i ? h->big[lo].size : HEAP_BIG_SIZE;
}

uint64_t heap_total_size(const struct heap *h)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < h->nobj; i++)
		sum += heap_size(h, (uint32_t)i);
	return sum;
}

const char *heap_type_name(const struct heap *h, uint32_t i)
{
	uint32_t t = h->obj[i].type;

	return t < h->ntype ? heap_str(h, h->types[t].name, NULL) : "?";
}

/* buf = pre, t, post, cut to len - 1 bytes as snprintf would: the
 * exports call this for every edge, where snprintf's parsing showed. */
static void join3(char *buf, size_t len, const char *pre, const char *t, const char *post)
{
	const char *part[3] = { pre, t, post };
	size_t at = 0, k;

	if (!len)
		return;
	for (k = 0; k < 3; k++) {
		size_t n = strlen(part[k]);

		if (n > len - 1 - at)
			n = len - 1 - at;
		memcpy(buf + at, part[k], n);
		at += n;
	}
	buf[at] = '\0';
}

void heap_edge_text(const struct heap *h, uint32_t name, char *buf, size_t len)
{
	uint32_t p = HEAP_PAYLOAD(name);
	const char *t = p < h->nname ? heap_str(h, h->names[p], NULL) : "?";
	char num[DEC_U64_MAX + 1];

	switch (HEAP_NAME_KIND(name)) {
	case HN_FIELD:
	case HN_LOCAL:
		join3(buf, len, "", t, "");
		break;
	case HN_ATTR:
		join3(buf, len, ".", t, "");
		break;
	case HN_INDEX:
		*dec_u64(num, p) = '\0';
		join3(buf, len, "[", num, "]");
		break;
	case HN_VALUE:
		join3(buf, len, "[", t, "]");
		break;
	case HN_KEY:
		join3(buf, len, "key ", t, "");
		break;
	default:
		join3(buf, len, "", HEAP_EDGE_KIND(name) == HE_SCANNED ? "(scanned)" : "?", "");
		break;
	}
}

uint32_t heap_field(const struct heap *h, uint32_t i, const char *field)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e];

		if (HEAP_NAME_KIND(n) == HN_FIELD && HEAP_PAYLOAD(n) < h->nname &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), field) &&
		    h->edge_dst[e] < h->nobj)
			return h->edge_dst[e];
	}
	return HEAP_NONE;
}

/* Text of the str value of the edge named field of i, or NULL. */
static const char *field_value(const struct heap *h, uint32_t i, const char *field)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e], d = h->edge_dst[e];

		if (HEAP_NAME_KIND(n) == HN_FIELD && HEAP_PAYLOAD(n) < h->nname &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), field) && d < h->nobj &&
		    h->obj[d].value != HEAP_NONE)
			return heap_str(h, h->obj[d].value, NULL);
	}
	return NULL;
}

static size_t count_edges(const struct heap *h, uint32_t i, unsigned kind)
{
	size_t n = 0;
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
		if (HEAP_NAME_KIND(h->edge_name[e]) == kind)
			n++;
	return n;
}

size_t heap_items(const struct heap *h, uint32_t i)
{
	size_t n = 0;
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t name = h->edge_name[e];
		unsigned k = HEAP_NAME_KIND(name);

		if (k == HN_INDEX || k == HN_VALUE)
			n++;
		else if (k == HN_FIELD && HEAP_PAYLOAD(name) < h->nname &&
			 !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(name)], NULL), "item"))
			n++; /* a set's */
	}
	return n;
}

/* Append s to buf as printable text: control bytes and quotes escaped. */
static void put_escaped(char *buf, size_t len, const char *s, size_t n, char quote)
{
	size_t o = strlen(buf), i;

	if (o + 1 >= len)
		return; /* full: buf stays as it is */
	for (i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || (quote && c == (unsigned char)quote))
			o += (size_t)snprintf(buf + o, len - o, "\\%c", c);
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, len - o, "\\n");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
}

/* Append s to buf (len bytes in all) as far as it fits. */
static void put_str(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	while (*s && o + 1 < len)
		buf[o++] = *s++;
	buf[o] = '\0';
}

uint32_t heap_attr(const struct heap *h, uint32_t i, const char *name)
{
	char key[80];
	uint32_t e, d = HEAP_NONE;
	int pass;

	snprintf(key, sizeof(key), "'%s'", name);
	for (pass = 0; pass < 2; pass++) {
		uint32_t at = pass ? d : i;

		if (at == HEAP_NONE)
			break;
		for (e = h->edge_start[at]; e < h->edge_start[at + 1]; e++) {
			uint32_t n = h->edge_name[e];
			const char *t;

			if (HEAP_PAYLOAD(n) >= h->nname || h->edge_dst[e] >= h->nobj)
				continue;
			t = heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL);
			if ((!pass && HEAP_NAME_KIND(n) == HN_ATTR && !strcmp(t, name)) ||
			    (pass && HEAP_NAME_KIND(n) == HN_VALUE && !strcmp(t, key)))
				return h->edge_dst[e];
			if (!pass && HEAP_NAME_KIND(n) == HN_FIELD && !strcmp(t, "__dict__"))
				d = h->edge_dst[e];
		}
	}
	return HEAP_NONE;
}

/* The text value of attribute name, or NULL. */
static const char *attr_value(const struct heap *h, uint32_t i, const char *name)
{
	uint32_t a = heap_attr(h, i, name);

	return a != HEAP_NONE && h->obj[a].value != HEAP_NONE ? heap_str(h, h->obj[a].value, NULL)
							      : NULL;
}

/* Items of a container (a deque or a list): its edges but the fields. */
static long items_of(const struct heap *h, uint32_t c)
{
	return c == HEAP_NONE ? -1 : (long)heap_items(h, c);
}

/* Threads waiting on a threading.Condition: its _waiters deque. */
static long cond_waiters(const struct heap *h, uint32_t cond)
{
	return cond == HEAP_NONE ? -1 : items_of(h, heap_attr(h, cond, "_waiters"));
}

/*
 * What threading's and queue's synchronisation objects hold, as their
 * attributes say: a Condition its lock's state and its waiters, a
 * Semaphore its value, an Event whether it is set, a Queue its items
 * and the threads waiting to get and to put.  0 when i is none of them.
 */
static int sync_summary(const struct heap *h, uint32_t i, const char *tn, char *buf, size_t len)
{
	const char *v;
	uint32_t c;

	if (!strcmp(tn, "threading.Condition")) {
		c = heap_attr(h, i, "_lock");
		snprintf(buf, len, "<Condition: its lock %s, %ld waiting>",
			 c != HEAP_NONE && h->obj[c].value != HEAP_NONE
				 ? heap_str(h, h->obj[c].value, NULL)
				 : "?",
			 cond_waiters(h, i));
		return 1;
	}
	if (!strcmp(tn, "threading.Semaphore") || !strcmp(tn, "threading.BoundedSemaphore")) {
		v = attr_value(h, i, "_value");
		snprintf(buf, len, "<%s: value %s, %ld waiting>", tn + 10, v ? v : "?",
			 cond_waiters(h, heap_attr(h, i, "_cond")));
		return 1;
	}
	if (!strcmp(tn, "threading.Event")) {
		v = attr_value(h, i, "_flag");
		snprintf(buf, len, "<Event: %s, %ld waiting>",
			 !v		      ? "?"
			 : !strcmp(v, "True") ? "set"
					      : "not set",
			 cond_waiters(h, heap_attr(h, i, "_cond")));
		return 1;
	}
	if (!strcmp(tn, "queue.Queue") || !strcmp(tn, "queue.LifoQueue") ||
	    !strcmp(tn, "queue.PriorityQueue")) {
		v = attr_value(h, i, "maxsize");
		snprintf(buf, len, "<%s: %ld items, maxsize %s, %ld getting, %ld putting>", tn + 6,
			 items_of(h, heap_attr(h, i, "queue")), v ? v : "?",
			 cond_waiters(h, heap_attr(h, i, "not_empty")),
			 cond_waiters(h, heap_attr(h, i, "not_full")));
		return 1;
	}
	return 0;
}

#define PREVIEW_ATTRS 3	 /* attributes an instance's summary shows */
#define PREVIEW_VALUE 24 /* characters of each value */

/* Append an attribute's value to a preview: a scalar's text (a str
 * quoted), cut at PREVIEW_VALUE characters; any other object's type. */
static void preview_value(const struct heap *h, uint32_t d, char *buf, size_t len)
{
	const char *tn = heap_type_name(h, d), *v;
	size_t n;
	int str;

	if (h->obj[d].value == HEAP_NONE) {
		put_str(buf, len, tn);
		return;
	}
	v = heap_str(h, h->obj[d].value, &n);
	str = !strcmp(tn, "str");
	if (str)
		put_str(buf, len, "'");
	put_escaped(buf, len - 1, v, n < PREVIEW_VALUE ? n : PREVIEW_VALUE, str ? '\'' : 0);
	if (n > PREVIEW_VALUE || h->flags[d] & HO_TRUNC)
		put_str(buf, len, "...");
	if (str)
		put_str(buf, len, "'");
}

/*
 * A class instance as its first attributes: "<Session id=42 user='bob'
 * cart=list ...>", in the order of its attribute edges (its slots and
 * inline values, else its __dict__'s keys that are names).  0 when it
 * has no attribute to show.
 */
static int preview(const struct heap *h, uint32_t i, const char *tn, char *buf, size_t len)
{
	uint32_t src = i, e, kind = HN_ATTR;
	size_t shown = 0;

	if (!count_edges(h, i, HN_ATTR)) {
		src = heap_field(h, i, "__dict__");
		kind = HN_VALUE;
		if (src == HEAP_NONE)
			return 0;
	}
	snprintf(buf, len, "<%s", tn);
	for (e = h->edge_start[src]; e < h->edge_start[src + 1]; e++) {
		uint32_t n = h->edge_name[e], d = h->edge_dst[e];
		const char *t;
		size_t tl;

		if (HEAP_NAME_KIND(n) != kind || HEAP_PAYLOAD(n) >= h->nname || d >= h->nobj)
			continue;
		t = heap_str(h, h->names[HEAP_PAYLOAD(n)], &tl);
		/* a dict key shows as its repr: names only, unquoted */
		if (kind == HN_VALUE) {
			if (tl < 3 || t[0] != '\'' || t[tl - 1] != '\'' ||
			    memchr(t + 1, '\\', tl - 2) || memchr(t + 1, '\'', tl - 2))
				continue;
			t++;
			tl -= 2;
		}
		if (shown++ == PREVIEW_ATTRS) {
			put_str(buf, len, " ...");
			break;
		}
		put_str(buf, len, " ");
		put_escaped(buf, len - 1, t, tl, 0);
		put_str(buf, len, "=");
		preview_value(h, d, buf, len);
	}
	if (!shown)
		return 0;
	put_str(buf, len, ">");
	return 1;
}

void heap_summary(const struct heap *h, uint32_t i, char *buf, size_t len)
{
	const char *tn = heap_type_name(h, i), *v;
	size_t n;
	uint32_t t;

	buf[0] = '\0';
	if (h->obj[i].value != HEAP_NONE &&
	    (!strcmp(tn, "builtin_function_or_method") || !strcmp(tn, "builtin_method"))) {
		/* its value is its name; the rest as its repr says it */
		v = heap_str(h, h->obj[i].value, &n);
		t = heap_field(h, i, "__self__");
		if (t == HEAP_NONE || !strcmp(heap_type_name(h, t), "module"))
			snprintf(buf, len, "<built-in function %.*s>", (int)n, v);
		else
			snprintf(buf, len, "<built-in method %.*s of %s object at 0x%llx>", (int)n,
				 v, heap_type_name(h, t), (unsigned long long)h->obj[t].addr);
		return;
	}
	if (h->obj[i].value != HEAP_NONE) {
		v = heap_str(h, h->obj[i].value, &n);
		if (!strcmp(tn, "str")) {
			snprintf(buf, len, "'");
			put_escaped(buf, len - 1, v, n, '\'');
			put_str(buf, len, "'");
		} else if (!strcmp(tn, "bytes")) {
			snprintf(buf, len, "b'");
			put_escaped(buf, len - 1, v, n, '\'');
			put_str(buf, len, "'");
		} else {
			put_escaped(buf, len, v, n, 0);
		}
		if (h->flags[i] & HO_TRUNC && strlen(buf) + 4 < len)
			strcat(buf, "...");
		return;
	}
	t = heap_type_of_obj(h, i);
	if (t != HEAP_NONE) {
		snprintf(buf, len, "<class '%s'>", heap_str(h, h->types[t].name, NULL));
		return;
	}
	if (sync_summary(h, i, tn, buf, len))
		return;
	if (!strcmp(tn, "dict"))
		snprintf(buf, len, "{%zu items}", count_edges(h, i, HN_VALUE));
	else if (!strcmp(tn, "list") || !strcmp(tn, "tuple") || !strcmp(tn, "set") ||
		 !strcmp(tn, "frozenset") || !strcmp(tn, "collections.deque"))
		snprintf(buf, len, "%s of %zu", tn, heap_items(h, i));
	else if (!strcmp(tn, "cell") && (t = heap_field(h, i, "cell_contents")) != HEAP_NONE)
		snprintf(buf, len, "<cell: %s object at 0x%llx>", heap_type_name(h, t),
			 (unsigned long long)h->obj[t].addr);
	else if (!strcmp(tn, "frame") && (t = heap_field(h, i, "f_code")) != HEAP_NONE &&
		 ((v = field_value(h, t, "co_qualname")) || (v = field_value(h, t, "co_name"))))
		snprintf(buf, len, "<frame of %s>", v);
	else if (!strcmp(tn, "method") && (t = heap_field(h, i, "__func__")) != HEAP_NONE &&
		 ((v = field_value(h, t, "__qualname__")) || (v = field_value(h, t, "__name__"))))
		snprintf(buf, len, "<bound method %s>", v);
	else if (!strcmp(tn, "type") &&
		 ((v = field_value(h, i, "__qualname__")) || (v = field_value(h, i, "__name__"))))
		snprintf(buf, len, "<class '%s'>", v);
	else if ((v = field_value(h, i, "__qualname__")) ||
		 (v = field_value(h, i, "co_qualname")) || (v = field_value(h, i, "__name__")) ||
		 (v = field_value(h, i, "co_name")))
		snprintf(buf, len, "<%s %s>", tn, v);
	else if (!preview(h, i, tn, buf, len))
		snprintf(buf, len, "<%s at 0x%llx>", tn, (unsigned long long)h->obj[i].addr);
}

const char *heap_edge_kind_name(uint32_t name)
{
	switch (HEAP_EDGE_KIND(name)) {
	case HE_WEAK:
		return "weak";
	case HE_SCANNED:
		return "scanned";
	case HE_BORROWED:
		return "borrowed";
	default:
		return "strong";
	}
}

void heap_size_text(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n / 1024;
	int u = 0;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* at most "1023.9 GiB": 10 characters */
	snprintf(buf, len, "%.1f %s", v >= 1023.95 && u < 5 ? 1023.9 : v, units[u]);
}

void heap_count_text(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, i, o = 0;

	if (!len)
		return;
	nd = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	for (i = 0; i < nd && o + 1 < len; i++) {
		if (i && (nd - i) % 3 == 0) {
			if (o + 2 >= len)
				break;
			buf[o++] = ',';
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void heap_size_change_text(int64_t bytes, char *buf, size_t len)
{
	char t[32];
	uint64_t mag = bytes < 0 ? -(uint64_t)bytes : (uint64_t)bytes;

	heap_size_text(mag, t, sizeof(t));
	snprintf(buf, len, "%s%s", bytes < 0 ? "-" : bytes > 0 ? "+" : "", t);
}

const char *heap_mode_name(unsigned mode)
{
	static const char *const names[] = {
		[HC_COPY] = "copy",
		[HC_FROZEN] = "frozen",
		[HC_LIVE] = "live",
		[HC_CORE] = "core",
	};

	return mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
}

const char *heap_root_kind_name(unsigned kind)
{
	static const char *const names[] = {
		[HR_MODULES] = "sys.modules",
		[HR_SYSDICT] = "sys.__dict__",
		[HR_BUILTINS] = "builtins",
		[HR_THREAD] = "thread state",
		[HR_FRAME] = "frame",
		[HR_STATIC_TYPE] = "static type",
		[HR_INTERNED] = "interned string",
		[HR_IMMORTAL] = "immortal",
		[HR_OUTSIDE] = "held from outside",
		[HR_GC_GARBAGE] = "gc.garbage",
	};

	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "root";
}
