/*
 * unit-mimalloc.c - the live blocks of mimalloc heaps built in memory.
 *
 * A world of a free-threaded 3.14 at made-up addresses, with the 3.14t
 * table's offsets: an interpreter, one thread state whose four heaps hold
 * pages of several block sizes in their queues (one in the full queue,
 * one huge page in a huge segment), free, local_free, xthread_free and
 * thread_delayed_free lists, and an abandoned pool with a segment on
 * each of its two lists.  Every page's free blocks are known, so the live
 * set is.  Then damaged copies: cycles, entries off their page, absurd
 * counts, broken segments and lists, and random writes; each walk must
 * end, count what it skipped, and never crash.
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "layout/layout.h"
#include "python/mimalloc.h"
#include "python/pyproc.h"
#include "tap.h"
#include "target/target.h"

#define RUNTIME 0x500000000000ULL
#define INTERP 0x500000100000ULL
#define TSTATE 0x500000200000ULL
#define SEG1 0x7f0000000000ULL /* the thread's segment */
#define SEG2 0x7f0002000000ULL /* a huge segment */
#define SEG3 0x7f0004000000ULL /* abandoned, on pool->abandoned */
#define SEG4 0x7f0006000000ULL /* abandoned, on pool->abandoned_visited */
#define TID 0x7f5555550740ULL
#define SMALL_SEG (1u << 20) /* what the image holds of SEG3 and SEG4 */

#define MAX_PAGES 16
#define MAX_CAP 256

/* A page of the world and its expected free blocks. */
struct tpage {
	const char *name;
	uint64_t addr, start, bsize;
	uint16_t capacity;
	uint32_t used;
	int tag;
	unsigned char isfree[MAX_CAP];
};

struct world {
	struct target *t;
	struct pyproc p;
	struct tpage pg[MAX_PAGES];
	int npg;
	struct tpage *A, *B, *C, *D, *E, *F, *H, *G, *Hb, *J;
};

#define O(name) ((uint64_t)LAY(&w->p.layout, name))

static unsigned char *at(struct world *w, uint64_t addr, size_t len)
{
	unsigned char *q = target_image_ptr(w->t, addr, len);

	if (!q) {
		fprintf(stderr, "unit-mimalloc: %#llx is not in the image\n",
			(unsigned long long)addr);
		abort();
	}
	return q;
}

static void put64(struct world *w, uint64_t a, uint64_t v)
{
	memcpy(at(w, a, 8), &v, 8);
}

static void put32(struct world *w, uint64_t a, uint32_t v)
{
	memcpy(at(w, a, 4), &v, 4);
}

static void put16(struct world *w, uint64_t a, uint16_t v)
{
	memcpy(at(w, a, 2), &v, 2);
}

static void put8(struct world *w, uint64_t a, uint8_t v)
{
	*at(w, a, 1) = v;
}

static uint64_t slice_addr(struct world *w, uint64_t seg, unsigned idx)
{
	return seg + O(misegment_slices) + idx * O(mipage_size);
}

/* The slice header of a span: count slices, block size xblock (0: free). */
static void mkslice(struct world *w, uint64_t seg, unsigned idx, uint32_t count, uint32_t xblock,
		    int tag)
{
	uint64_t s = slice_addr(w, seg, idx);

	put32(w, s + O(mipage_slice_count), count);
	put32(w, s + O(mipage_slice_offset), 0);
	put8(w, s + O(mipage_slice_offset) + 4, (uint8_t)(1 | tag << 3));
	put32(w, s + O(mipage_xblock_size), xblock);
}

static struct tpage *mkpage(struct world *w, const char *name, uint64_t seg, unsigned idx,
			    uint32_t count, uint32_t xblock, uint16_t capacity, uint16_t reserved,
			    int tag)
{
	struct tpage *pg = &w->pg[w->npg++];
	uint64_t off = xblock >= 8 && xblock <= 64 ? 3 * xblock : xblock <= 512 ? xblock : 0;

	memset(pg, 0, sizeof(*pg));
	pg->name = name;
	pg->addr = slice_addr(w, seg, idx);
	pg->bsize = xblock < 0x80000000u ? xblock : ((uint64_t)count << 16) - off;
	pg->start = seg + ((uint64_t)idx << 16) + off;
	pg->capacity = capacity;
	pg->used = capacity;
	pg->tag = tag;
	mkslice(w, seg, idx, count, xblock, tag);
	put16(w, pg->addr + O(mipage_capacity), capacity);
	put16(w, pg->addr + O(mipage_reserved), reserved);
	put32(w, pg->addr + O(mipage_used), capacity);
	return pg;
}

static uint64_t blk(const struct tpage *pg, unsigned i)
{
	return pg->start + i * pg->bsize;
}

/* Link blocks idx[0..n) of pg through word 0; mark them free.  The
 * address of the first, or 0. */
static uint64_t chain(struct world *w, struct tpage *pg, const unsigned *idx, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		put64(w, blk(pg, idx[i]), i + 1 < n ? blk(pg, idx[i + 1]) : 0);
		pg->isfree[idx[i]] = 1;
	}
	return n ? blk(pg, idx[0]) : 0;
}

static void set_used(struct world *w, struct tpage *pg, uint32_t used)
{
	pg->used = used;
	put32(w, pg->addr + O(mipage_used), used);
}

static uint64_t heap_addr(struct world *w, int tag)
{
	return TSTATE + O(tstateimpl_mimalloc) + O(mts_heaps) + tag * O(miheap_size);
}

/* Put pages into queue q of heap tag, in this order. */
static void queue(struct world *w, int tag, int q, struct tpage **pages, int n)
{
	int i;

	put64(w, heap_addr(w, tag) + O(miheap_pages) + q * O(mipageq_size) + O(mipageq_first),
	      pages[0]->addr);
	for (i = 0; i < n; i++)
		put64(w, pages[i]->addr + O(mipage_next), i + 1 < n ? pages[i + 1]->addr : 0);
}

static int add_region(struct world *w, uint64_t addr, size_t len)
{
	struct hs_error err = HS_ERROR_INIT;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	if (target_image_adopt(w->t, addr, m, len, &err)) {
		munmap(m, len);
		return -1;
	}
	return 0;
}

static void segment(struct world *w, uint64_t seg, uint32_t kind, uint64_t entries, uint64_t tid)
{
	put32(w, seg + O(misegment_kind), kind);
	put64(w, seg + O(misegment_slice_entries), entries);
	put64(w, seg + O(misegment_thread_id), tid);
	/* slice 0: the segment's own pages (segment.c) */
	mkslice(w, seg, 0, 1, 1, 0);
}

/* Build the world; 0 or -1. */
static int world_init(struct world *w, int free_threaded)
{
	const struct layout_table *tb = layout_table_find(3, 14, free_threaded);
	uint64_t mts, h, fl;
	int tag;

	memset(w, 0, sizeof(*w));
	if (!tb)
		return -1;
	w->t = target_image_new();
	if (!w->t)
		return -1;
	layout_init(&w->p.layout, 3, 14);
	layout_overlay(&w->p.layout, tb->v, LS_TABLE);
	w->p.t = w->t;
	w->p.major = 3;
	w->p.minor = 14;
	w->p.micro = 7;
	w->p.free_threaded = free_threaded;
	w->p.runtime = RUNTIME;
	w->p.interp = INTERP;
	snprintf(w->p.version, sizeof(w->p.version), "3.14.7%s", free_threaded ? "t" : "");
	if (add_region(w, RUNTIME, 4096) || add_region(w, INTERP, 16384) ||
	    add_region(w, TSTATE, 16384) || add_region(w, SEG1, 1u << 25) ||
	    add_region(w, SEG2, 1u << 16) || add_region(w, SEG3, SMALL_SEG) ||
	    add_region(w, SEG4, SMALL_SEG))
		return -1;
	if (!free_threaded)
		return 0;

	/* the interpreter, its thread, its heaps */
	put64(w, INTERP + O(interp_threads_head), TSTATE);
	put64(w, TSTATE + O(tstate_interp), INTERP);
	put64(w, TSTATE + O(tstate_thread_id), TID);
	mts = TSTATE + O(tstateimpl_mimalloc);
	put32(w, mts + O(mts_initialized), 1);
	put64(w, mts + O(mts_tld) + O(mitld_segments_abandoned), INTERP + O(interp_mimalloc_pool));
	for (tag = 0; tag < 4; tag++) {
		h = heap_addr(w, tag);
		put8(w, h + O(miheap_tag), (uint8_t)tag);
		put64(w, h + O(miheap_tld), mts + O(mts_tld));
		put64(w, h + O(miheap_thread_id), TID);
	}

	/* the thread's segment: small, medium and an empty page */
	segment(w, SEG1, 0, 512, TID);
	w->A = mkpage(w, "A", SEG1, 1, 1, 32, 100, 2045, 2);
	{
		static const unsigned fr[] = { 90, 91, 92, 93, 94, 95, 96, 97, 98, 99 };
		static const unsigned lf[] = { 10, 20, 30, 40, 50 };
		static const unsigned xt[] = { 11, 21, 31 };

		put64(w, w->A->addr + O(mipage_free), chain(w, w->A, fr, 10));
		put64(w, w->A->addr + O(mipage_local_free), chain(w, w->A, lf, 5));
		/* low bits: the delayed-free state */
		put64(w, w->A->addr + O(mipage_xthread_free), chain(w, w->A, xt, 3) | 1);
		set_used(w, w->A, 100 - 15);
	}
	w->B = mkpage(w, "B", SEG1, 2, 1, 48, 64, 1362, 2);
	{
		static const unsigned fr[] = { 63, 5, 0 };

		put64(w, w->B->addr + O(mipage_free), chain(w, w->B, fr, 3));
		set_used(w, w->B, 61);
	}
	/* a medium page, full: in the full queue, one block freed by
	 * another thread on the heap's delayed list */
	w->C = mkpage(w, "C", SEG1, 3, 8, 4096, 128, 128, 3);
	for (tag = 4; tag < 11; tag++)
		put32(w, slice_addr(w, SEG1, (unsigned)tag) + O(mipage_slice_offset),
		      (uint32_t)((tag - 3) * O(mipage_size)));
	w->D = mkpage(w, "D", SEG1, 11, 1, 8, 50, 8189, 0);
	set_used(w, w->D, 0);
	w->E = mkpage(w, "E", SEG1, 12, 1, 640, 100, 102, 0);
	w->F = mkpage(w, "F", SEG1, 13, 1, 256, 200, 255, 1);
	{
		static const unsigned fr[] = { 190, 191, 192, 193, 194, 195, 196, 197, 198, 199 };

		put64(w, w->F->addr + O(mipage_free), chain(w, w->F, fr, 10));
		set_used(w, w->F, 190);
	}
	mkslice(w, SEG1, 14, 512 - 14, 0, 0);
	/* delayed: A 12 -> C 7 -> A 22 (heap 2 gets A's, heap 3 C's) */
	put64(w, heap_addr(w, 2) + O(miheap_thread_delayed_free), blk(w->A, 12));
	put64(w, blk(w->A, 12), blk(w->A, 22));
	put64(w, blk(w->A, 22), 0);
	w->A->isfree[12] = w->A->isfree[22] = 1;
	put64(w, heap_addr(w, 3) + O(miheap_thread_delayed_free), blk(w->C, 7));
	put64(w, blk(w->C, 7), 0);
	w->C->isfree[7] = 1;

	/* a huge segment: one block of 39999 slices, its size from the span */
	segment(w, SEG2, 1, 512, TID);
	w->H = mkpage(w, "huge", SEG2, 1, 39999, 0x80000000u, 1, 1, 1);

	{
		struct tpage *q2[] = { w->A, w->B }, *q74[] = { w->C }, *q1[] = { w->D, w->E },
			     *q20[] = { w->F }, *q73[] = { w->H };

		queue(w, 2, 3, q2, 2);
		queue(w, 3, 74, q74, 1);
		queue(w, 0, 1, q1, 2);
		queue(w, 1, 20, q20, 1);
		queue(w, 1, 73, q73, 1);
	}

	/* the abandoned pool: SEG3 on abandoned (tagged), SEG4 on visited */
	segment(w, SEG3, 0, 512, 0);
	w->G = mkpage(w, "G", SEG3, 1, 1, 64, 64, 1021, 2);
	{
		static const unsigned xt[] = { 3, 9, 27, 63 };

		put64(w, w->G->addr + O(mipage_xthread_free), chain(w, w->G, xt, 4));
	}
	mkslice(w, SEG3, 2, 2, 0, 0);
	w->Hb = mkpage(w, "H", SEG3, 4, 1, 1024, 60, 64, 1);
	{
		static const unsigned fr[] = { 50, 51, 52, 53, 54, 55, 56, 57, 58, 59 };

		put64(w, w->Hb->addr + O(mipage_free), chain(w, w->Hb, fr, 10));
		set_used(w, w->Hb, 50);
	}
	mkslice(w, SEG3, 5, 507, 0, 0);
	segment(w, SEG4, 0, 512, 0);
	w->J = mkpage(w, "J", SEG4, 1, 1, 128, 10, 510, 3);
	set_used(w, mkpage(w, "J-empty", SEG4, 2, 1, 16, 8, 4090, 3), 0);
	mkslice(w, SEG4, 3, 509, 0, 0);
	put64(w, INTERP + O(interp_mimalloc_pool) + O(mipool_abandoned), SEG3 | 0x801);
	put64(w, INTERP + O(interp_mimalloc_pool) + O(mipool_abandoned_visited), SEG4);

	/* CPython's freelists: floats (list 0) in F, tuples of 1 (list 3) in A */
	fl = TSTATE + O(tstateimpl_freelists);
	put64(w, fl + 0, blk(w->F, 100));
	put64(w, fl + 8, 3);
	put64(w, blk(w->F, 100), blk(w->F, 101));
	put64(w, blk(w->F, 101), blk(w->F, 102));
	put64(w, blk(w->F, 102), 0);
	put64(w, fl + 3 * 16, blk(w->A, 0));
	put64(w, fl + 3 * 16 + 8, 2);
	put64(w, blk(w->A, 0), blk(w->A, 1));
	put64(w, blk(w->A, 1), 0);
	return 0;
}

static void world_release(struct world *w)
{
	target_close(w->t);
}

/* ---- collecting what the walk reports ------------------------------------ */

struct got {
	uint64_t *block;
	uint64_t *bsize;
	int *tag;
	size_t n, cap;
	size_t stop_after; /* 0: never stop */
	int oom;
};

static int collect(void *ctx, uint64_t block, uint64_t bsize, int tag)
{
	struct got *g = ctx;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 1024;
		uint64_t *b = realloc(g->block, cap * sizeof(*b));
		uint64_t *s = b ? realloc(g->bsize, cap * sizeof(*s)) : NULL;
		int *t;

		if (b)
			g->block = b;
		if (s)
			g->bsize = s;
		t = s ? realloc(g->tag, cap * sizeof(*t)) : NULL;
		if (!t) {
			g->oom = 1;
			return 1;
		}
		g->tag = t;
		g->cap = cap;
	}
	g->block[g->n] = block;
	g->bsize[g->n] = bsize;
	g->tag[g->n] = tag;
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static void got_release(struct got *g)
{
	free(g->block);
	free(g->bsize);
	free(g->tag);
	memset(g, 0, sizeof(*g));
}

/* 1 if what was reported is exactly the live blocks of the world's pages
 * with a tag in mask (each once, with its page's size and tag). */
static int got_expected(struct world *w, struct got *g, unsigned mask, size_t *expected)
{
	size_t n = 0, i;
	int k, ok = 1;

	for (k = 0; k < w->npg; k++) {
		struct tpage *pg = &w->pg[k];
		unsigned b;

		if (!pg->used || !(mask & (1u << pg->tag)))
			continue;
		for (b = 0; b < pg->capacity; b++) {
			if (pg->isfree[b])
				continue;
			n++;
			for (i = 0; i < g->n; i++)
				if (g->block[i] == blk(pg, b))
					break;
			if (i == g->n || g->bsize[i] != pg->bsize || g->tag[i] != pg->tag) {
				if (ok)
					tap_diag("page %s block %u (%#llx) %s", pg->name, b,
						 (unsigned long long)blk(pg, b),
						 i == g->n ? "missing"
							   : "with a wrong size or tag");
				ok = 0;
			}
		}
	}
	*expected = n;
	return ok && n == g->n;
}

static int walk(struct world *w, unsigned mask, struct got *g, struct mimalloc_stats *st,
		struct hs_error *err)
{
	got_release(g);
	hs_error_clear(err);
	return mimalloc_blocks(&w->p, INTERP, mask, collect, g, st, err);
}

/* ---- the cases ------------------------------------------------------------ */

static void test_intact(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct mimalloc_stats st;
	struct world ws, *w = &ws;
	struct got g = { 0 };
	size_t expected = 0;
	int ret, ok;

	if (world_init(w, 1)) {
		tap_ok(0, "world built");
		return;
	}
	ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
	ok = got_expected(w, &g, MIMALLOC_TAG_ALL, &expected);
	tap_ok(ret == 0 && ok && expected == 679,
	       "every live block, each once, with its size and tag (%zu of %zu; %s)", g.n, expected,
	       err.msg);
	tap_ok(st.threads == 1 && st.heaps == 4 && st.pages == 9 && st.pages_empty == 2 &&
		       st.abandoned_segments == 2 && st.abandoned_pages == 3 &&
		       st.live_blocks == 679 && st.live_by_tag[0] == 100 &&
		       st.live_by_tag[1] == 241 && st.live_by_tag[2] == 201 &&
		       st.live_by_tag[3] == 137,
	       "stats: %llu pages (+%llu empty), %llu abandoned segments, live by tag "
	       "%llu/%llu/%llu/%llu",
	       (unsigned long long)st.pages, (unsigned long long)st.pages_empty,
	       (unsigned long long)st.abandoned_segments, (unsigned long long)st.live_by_tag[0],
	       (unsigned long long)st.live_by_tag[1], (unsigned long long)st.live_by_tag[2],
	       (unsigned long long)st.live_by_tag[3]);
	tap_ok(st.free_blocks == 48 && st.xthread_blocks == 7 && st.delayed_blocks == 3,
	       "free blocks 48 (%llu), on xthread_free 7 (%llu), delayed 3 (%llu)",
	       (unsigned long long)st.free_blocks, (unsigned long long)st.xthread_blocks,
	       (unsigned long long)st.delayed_blocks);
	tap_ok(!st.warnings && !st.pages_inconsistent && !st.pages_skipped && !st.heaps_skipped &&
		       !st.segments_skipped && !st.entries_skipped && !st.lists_cut,
	       "nothing skipped or warned in an intact world (%s)", st.warning);

	ret = walk(w, 1u << 2 | 1u << 3, &g, &st, &err);
	ok = got_expected(w, &g, 1u << 2 | 1u << 3, &expected);
	tap_ok(ret == 0 && ok && expected == 338 && st.heaps == 2,
	       "tags 2 and 3 only: %zu blocks of %zu, %llu heaps", g.n, expected,
	       (unsigned long long)st.heaps);

	got_release(&g);
	g.stop_after = 5;
	ret = mimalloc_blocks(&w->p, INTERP, MIMALLOC_TAG_ALL, collect, &g, &st, &err);
	tap_ok(ret == 1 && g.n == 5 && st.live_blocks == 5,
	       "the callback stops the walk (returned %d after %zu blocks)", ret, g.n);
	got_release(&g);
	world_release(w);
}

struct fl {
	uint64_t addr[16];
	int list[16];
	int n;
};

static int collect_fl(void *ctx, uint64_t addr, int list)
{
	struct fl *f = ctx;

	if (f->n < 16) {
		f->addr[f->n] = addr;
		f->list[f->n] = list;
	}
	f->n++;
	return 0;
}

static void test_freelists_and_offsets(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct mimalloc_stats st;
	struct world ws, *w = &ws;
	struct fl f = { 0 };
	int ret;

	if (world_init(w, 1)) {
		tap_ok(0, "world built");
		return;
	}
	ret = mimalloc_freelist_blocks(&w->p, INTERP, collect_fl, &f, &st, &err);
	tap_ok(ret == 0 && f.n == 5 && st.freelist_blocks == 5 && !st.warnings &&
		       f.addr[0] == blk(w->F, 100) && f.list[0] == 0 &&
		       f.addr[2] == blk(w->F, 102) && f.addr[3] == blk(w->A, 0) && f.list[3] == 3 &&
		       f.addr[4] == blk(w->A, 1),
	       "freelists: 3 floats and 2 tuples (%d entries, %s)", f.n, st.warning);

	/* a cycle, a size that lies, a misaligned link */
	put64(w, blk(w->F, 102), blk(w->F, 100));
	put64(w, TSTATE + O(tstateimpl_freelists) + 8, 1ULL << 40);
	put64(w, blk(w->A, 1), blk(w->A, 2) + 3);
	memset(&f, 0, sizeof(f));
	ret = mimalloc_freelist_blocks(&w->p, INTERP, collect_fl, &f, &st, &err);
	tap_ok(ret == 0 && f.n == 5 && st.lists_cut == 2 && st.warnings >= 2,
	       "freelists: a cycle and a misaligned link end their lists (%d entries, %llu cut)",
	       f.n, (unsigned long long)st.lists_cut);
	put64(w, TSTATE + O(tstateimpl_freelists) + 8, 2);
	memset(&f, 0, sizeof(f));
	mimalloc_freelist_blocks(&w->p, INTERP, collect_fl, &f, &st, &err);
	tap_ok(f.n == 4 && st.lists_cut == 2,
	       "freelists: a list is no longer than its size says (%d entries)", f.n);

	tap_ok(mimalloc_debug_allocator(&w->p, &err) == 0 &&
		       mimalloc_object_offset(&w->p, 2) == 0 &&
		       mimalloc_object_offset(&w->p, 3) == 16 &&
		       mimalloc_object_offset(&w->p, 1) == 0,
	       "object offsets 0 / 16 (pre-header) without the debug allocator");
	put32(w, RUNTIME + O(runtime_allocators_debug), 1);
	tap_ok(mimalloc_debug_allocator(&w->p, &err) == 1 &&
		       mimalloc_object_offset(&w->p, 2) == 16 &&
		       mimalloc_object_offset(&w->p, 3) == 32 &&
		       mimalloc_object_offset(&w->p, 0) == 16,
	       "object offsets 16 / 32 with PYTHONMALLOC=debug");
	world_release(w);
}

static void test_refusals(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct mimalloc_stats st;
	struct world ws, *w = &ws;
	struct got g = { 0 };
	int ret;

	if (world_init(w, 0)) {
		tap_ok(0, "GIL world built");
	} else {
		ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
		tap_ok(ret == -1 && err.code == HS_EUNSUPPORTED && !g.n,
		       "a GIL build is refused (%s)", err.msg);
		hs_error_clear(&err);
		tap_ok(mimalloc_freelist_blocks(&w->p, INTERP, collect_fl, NULL, NULL, &err) ==
				       -1 &&
			       err.code == HS_EUNSUPPORTED,
		       "and its freelists too");
	}
	world_release(w);
	if (world_init(w, 1)) {
		tap_ok(0, "world built");
		return;
	}
	w->p.build |= PYBUILD_DEBUG;
	ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
	tap_ok(ret == -1 && err.code == HS_EUNSUPPORTED, "a Py_DEBUG build is refused (%s)",
	       err.msg);
	w->p.build = 0;
	w->p.layout.v[LF_mipage_xthread_free] = -1;
	ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
	tap_ok(ret == -1 && err.code == HS_ELAYOUT,
	       "a layout without mi_page_t.xthread_free is "
	       "refused (%s)",
	       err.msg);
	w->p.layout.v[LF_mipage_xthread_free] = 40;
	hs_error_clear(&err);
	ret = mimalloc_blocks(&w->p, 0x123400000000ULL, MIMALLOC_TAG_ALL, collect, &g, &st, &err);
	tap_ok(ret == -1 && err.code == HS_EREAD, "an interpreter that cannot be read fails (%s)",
	       err.msg);
	got_release(&g);
	world_release(w);
}

/* ---- damaged worlds ----------------------------------------------------- */

enum expect {
	X_CUT = 1 << 0,	       /* lists_cut > 0 */
	X_SKIP_ENTRY = 1 << 1, /* entries_skipped > 0 */
	X_INCONS = 1 << 2,     /* pages_inconsistent > 0 */
	X_SKIP_PAGE = 1 << 3,  /* pages_skipped > 0 */
	X_SKIP_SEG = 1 << 4,   /* segments_skipped > 0 */
	X_SKIP_HEAP = 1 << 5,  /* heaps_skipped > 0 */
	X_WARN = 1 << 6,       /* warnings > 0 */
};

struct damage {
	const char *what;
	void (*apply)(struct world *w);
	unsigned expect;
	long live; /* live blocks expected, -1: don't check */
};

static void d_free_cycle(struct world *w)
{
	put64(w, blk(w->A, 99), blk(w->A, 90));
}

static void d_local_outside(struct world *w)
{
	put64(w, w->A->addr + O(mipage_local_free), blk(w->B, 3));
}

static void d_misaligned(struct world *w)
{
	put64(w, w->B->addr + O(mipage_free), blk(w->B, 63) + 5);
}

static void d_used_absurd(struct world *w)
{
	put32(w, w->A->addr + O(mipage_used), 0xffffffffu);
}

static void d_capacity_span(struct world *w)
{
	put16(w, w->E->addr + O(mipage_capacity), 65535);
	put16(w, w->E->addr + O(mipage_reserved), 65535);
}

static void d_capacity_reserved(struct world *w)
{
	put16(w, w->B->addr + O(mipage_capacity), 2000);
}

static void d_queue_cycle(struct world *w)
{
	put64(w, w->B->addr + O(mipage_next), w->A->addr);
}

static void d_page_unmapped(struct world *w)
{
	put64(w, w->B->addr + O(mipage_next), 0x123456789000ULL);
}

static void d_page_misaligned(struct world *w)
{
	put64(w, w->B->addr + O(mipage_next), SEG1 + 12345);
}

static void d_page_slice0(struct world *w)
{
	put64(w, w->B->addr + O(mipage_next), SEG1 + O(misegment_slices));
}

static void d_page_tail_slice(struct world *w)
{
	/* a slice inside C's span: slice_offset != 0 */
	put64(w, w->B->addr + O(mipage_next), slice_addr(w, SEG1, 5));
}

static void d_delayed_cycle(struct world *w)
{
	put64(w, blk(w->A, 22), blk(w->A, 12));
}

static void d_delayed_orphan(struct world *w)
{
	/* a block of C (heap 3) on heap 2's delayed list */
	put64(w, blk(w->A, 22), blk(w->C, 9));
	put64(w, blk(w->C, 9), 0);
}

static void d_delayed_wild(struct world *w)
{
	put64(w, blk(w->A, 22), 0xdeadbeef0000ULL);
}

static void d_xthread_cycle(struct world *w)
{
	put64(w, blk(w->G, 63), blk(w->G, 3));
}

static void d_xthread_foreign(struct world *w)
{
	/* an entry on another page's blocks */
	put64(w, blk(w->G, 27), blk(w->Hb, 2));
}

static void d_thread_cycle(struct world *w)
{
	put64(w, TSTATE + O(tstate_next), TSTATE);
}

static void d_thread_wild(struct world *w)
{
	put64(w, TSTATE + O(tstate_next), 0x10);
}

static void d_pool_cycle(struct world *w)
{
	put64(w, SEG3 + O(misegment_abandoned_next), SEG3);
	put64(w, SEG4 + O(misegment_abandoned_next), SEG3);
}

static void d_slice_zero(struct world *w)
{
	put32(w, slice_addr(w, SEG3, 2) + O(mipage_slice_count), 0);
}

static void d_slice_entries(struct world *w)
{
	put64(w, SEG4 + O(misegment_slice_entries), 100000);
}

static void d_pool_misaligned(struct world *w)
{
	put64(w, INTERP + O(interp_mimalloc_pool) + O(mipool_abandoned_visited), SEG4 + 8);
}

static void d_pool_unmapped(struct world *w)
{
	put64(w, SEG3 + O(misegment_abandoned_next), 0x200000000000ULL);
}

static void d_heap_tag(struct world *w)
{
	put8(w, heap_addr(w, 1) + O(miheap_tag), 7);
}

static void d_heap_thread(struct world *w)
{
	put64(w, heap_addr(w, 0) + O(miheap_thread_id), TID + 8);
}

static void d_page_tag(struct world *w)
{
	put8(w, w->B->addr + O(mipage_slice_offset) + 4, 1 | 1 << 3);
}

static void d_huge_span(struct world *w)
{
	put32(w, w->H->addr + O(mipage_slice_count), 0xffffffffu);
}

static void d_zero_bsize(struct world *w)
{
	put32(w, w->F->addr + O(mipage_xblock_size), 0);
}

static void d_segment_kind(struct world *w)
{
	put32(w, SEG1 + O(misegment_kind), 77);
}

static const struct damage damages[] = {
	{ "a cycle in a free list", d_free_cycle, X_CUT | X_WARN, 679 },
	{ "local_free on another page", d_local_outside, X_SKIP_ENTRY | X_INCONS, 684 },
	{ "a misaligned free entry", d_misaligned, X_SKIP_ENTRY | X_INCONS, 682 },
	{ "used of 2^32-1", d_used_absurd, X_INCONS, 679 },
	{ "capacity beyond the page", d_capacity_span, X_SKIP_PAGE, 579 },
	{ "capacity > reserved", d_capacity_reserved, X_SKIP_PAGE, 618 },
	{ "a cycle in a page queue", d_queue_cycle, X_CUT, 679 },
	{ "a page queue into unmapped memory", d_page_unmapped, X_CUT | X_SKIP_PAGE, 679 },
	{ "a page pointer inside a slice", d_page_misaligned, X_SKIP_PAGE, 679 },
	{ "a page pointer at the segment's slice 0", d_page_slice0, X_SKIP_PAGE, 679 },
	{ "a page pointer at a page's tail slice", d_page_tail_slice, X_SKIP_PAGE, 679 },
	{ "a cycle in thread_delayed_free", d_delayed_cycle, X_CUT, 679 },
	{ "a delayed block of another heap", d_delayed_orphan, X_SKIP_ENTRY, 679 },
	{ "a delayed list into unmapped memory", d_delayed_wild, X_CUT | X_SKIP_ENTRY, 679 },
	{ "a cycle in xthread_free", d_xthread_cycle, X_CUT, 679 },
	{ "xthread_free into another page", d_xthread_foreign, X_SKIP_ENTRY, 680 },
	{ "a cycle of thread states", d_thread_cycle, X_CUT, 679 },
	{ "a thread state at an absurd address", d_thread_wild, X_CUT, 679 },
	{ "a cycle of abandoned segments", d_pool_cycle, X_CUT, 679 },
	{ "a slice of length 0", d_slice_zero, X_SKIP_SEG, 629 },
	{ "a segment of 100000 slices", d_slice_entries, X_SKIP_SEG, 669 },
	{ "a misaligned abandoned segment", d_pool_misaligned, X_SKIP_SEG, 669 },
	{ "an abandoned list into unmapped memory", d_pool_unmapped, X_SKIP_SEG, 679 },
	{ "a heap with another tag", d_heap_tag, X_SKIP_HEAP, 679 - 191 },
	{ "a heap of another thread", d_heap_thread, X_SKIP_HEAP, 579 },
	{ "a page tagged for another heap", d_page_tag, X_SKIP_PAGE, 618 },
	{ "a huge page of 2^32-1 slices", d_huge_span, 0, 679 },
	{ "a page of block size 0", d_zero_bsize, X_SKIP_PAGE, 489 },
	{ "a segment of an unknown kind", d_segment_kind, X_SKIP_PAGE,
	  679 - 80 - 61 - 127 - 100 - 190 },
};

static int expect_met(const struct mimalloc_stats *st, unsigned x)
{
	return (!(x & X_CUT) || st->lists_cut) && (!(x & X_SKIP_ENTRY) || st->entries_skipped) &&
	       (!(x & X_INCONS) || st->pages_inconsistent) &&
	       (!(x & X_SKIP_PAGE) || st->pages_skipped) &&
	       (!(x & X_SKIP_SEG) || st->segments_skipped) &&
	       (!(x & X_SKIP_HEAP) || st->heaps_skipped) && (!x || st->warnings);
}

static void test_damaged(void)
{
	size_t i;

	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *d = &damages[i];
		struct hs_error err = HS_ERROR_INIT;
		struct mimalloc_stats st;
		struct world ws, *w = &ws;
		struct got g = { 0 };
		int ret;

		if (world_init(w, 1)) {
			tap_ok(0, "world built");
			continue;
		}
		d->apply(w);
		ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
		tap_ok(ret == 0 && g.n == st.live_blocks && expect_met(&st, d->expect) &&
			       (d->live < 0 || st.live_blocks == (uint64_t)d->live),
		       "%s: %llu live, %llu cut, %llu entries / %llu pages / %llu segments / "
		       "%llu heaps skipped, %llu inconsistent (%s)",
		       d->what, (unsigned long long)st.live_blocks,
		       (unsigned long long)st.lists_cut, (unsigned long long)st.entries_skipped,
		       (unsigned long long)st.pages_skipped,
		       (unsigned long long)st.segments_skipped,
		       (unsigned long long)st.heaps_skipped,
		       (unsigned long long)st.pages_inconsistent,
		       st.warning[0] ? st.warning : err.msg);
		got_release(&g);
		world_release(w);
	}
}

/* ---- random writes -------------------------------------------------------- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A value a damaged or changing target might hold: a real address of the
 * world, shifted a little, or noise. */
static uint64_t wild(struct world *w)
{
	const struct tpage *pg = &w->pg[rnd() % (uint64_t)w->npg];

	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return pg->addr;
	case 2:
		return blk(pg, (unsigned)(rnd() % (pg->capacity + 2u)));
	case 3:
		return blk(pg, (unsigned)(rnd() % pg->capacity)) + rnd() % 16;
	case 4:
		return (rnd() % 4 ? SEG1 : SEG3) + (rnd() % 0x200000);
	case 5:
		return rnd() % 0x100000;
	case 6:
		return rnd() & 0xffff;
	default:
		return rnd();
	}
}

static void scramble(struct world *w, int writes)
{
	int k;

	for (k = 0; k < writes; k++) {
		const struct tpage *pg = &w->pg[rnd() % (uint64_t)w->npg];
		uint64_t a, seg;
		unsigned width = 8;

		switch (rnd() % 8) {
		case 0: /* a field of a page */
		case 1:
			a = pg->addr + (rnd() % (O(mipage_size) / 2)) * 2;
			width = 1u << (rnd() % 4);
			if (a % width)
				a -= a % width;
			break;
		case 2: /* a slice header anywhere in a segment */
			seg = rnd() % 2 ? SEG1 : rnd() % 2 ? SEG3 : SEG4;
			a = slice_addr(w, seg, (unsigned)(rnd() % 20)) + (rnd() % 4) * 4;
			width = 4;
			break;
		case 3: /* a page queue */
			a = heap_addr(w, (int)(rnd() % 4)) + O(miheap_pages) +
			    (rnd() % 75) * O(mipageq_size);
			break;
		case 4: /* a block's link word */
			/* the huge block is not in the image */
			if ((pg->addr & ~MIMALLOC_SEGMENT_MASK) == SEG2)
				continue;
			a = blk(pg, (unsigned)(rnd() % pg->capacity));
			break;
		case 5: /* a heap's header or delayed list */
			a = heap_addr(w, (int)(rnd() % 4)) +
			    (rnd() % 2 ? O(miheap_thread_delayed_free) : O(miheap_tld));
			break;
		case 6: /* the pool */
			a = INTERP + O(interp_mimalloc_pool) +
			    (rnd() % 2 ? O(mipool_abandoned) : O(mipool_abandoned_visited));
			break;
		default: /* a segment header */
			seg = rnd() % 2 ? SEG3 : SEG4;
			a = seg +
			    (rnd() % 2 ? O(misegment_slice_entries) : O(misegment_abandoned_next));
			break;
		}
		switch (width) {
		case 1:
			put8(w, a, (uint8_t)rnd());
			break;
		case 2:
			put16(w, a, (uint16_t)(rnd() % 3 ? rnd() % 300 : rnd()));
			break;
		case 4:
			put32(w, a, (uint32_t)(rnd() % 3 ? rnd() % 600 : rnd()));
			break;
		default:
			put64(w, a, wild(w));
		}
	}
}

static void test_random(void)
{
	unsigned long rounds = tap_scale(400, 20), r;
	unsigned long finished = 0, warned = 0, stopped_ok = 0;
	uint64_t live = 0;

	for (r = 0; r < rounds; r++) {
		struct hs_error err = HS_ERROR_INIT;
		struct mimalloc_stats st;
		struct world ws, *w = &ws;
		struct got g = { 0 };
		struct fl f = { 0 };
		int ret;

		if (world_init(w, 1))
			break;
		scramble(w, 1 + (int)(rnd() % 12));
		ret = walk(w, MIMALLOC_TAG_ALL, &g, &st, &err);
		if (ret == 0 && g.n == st.live_blocks && !g.oom)
			finished++;
		else
			tap_diag("round %lu: returned %d, %zu reported, %llu live (%s)", r, ret,
				 g.n, (unsigned long long)st.live_blocks, err.msg);
		warned += st.warnings > 0;
		live += st.live_blocks;
		ret = mimalloc_freelist_blocks(&w->p, INTERP, collect_fl, &f, &st, &err);
		if (ret == 0)
			stopped_ok++;
		got_release(&g);
		world_release(w);
	}
	tap_ok(finished == rounds && stopped_ok == rounds,
	       "%lu walks of randomly damaged heaps finish (%lu warned, %llu live blocks in all)",
	       rounds, warned, (unsigned long long)live);
}

int main(void)
{
	if (!layout_table_find(3, 14, 1)) {
		tap_skip("no built-in 3.14t layout table");
		return tap_done();
	}
	test_intact();
	test_freelists_and_offsets();
	test_refusals();
	test_damaged();
	test_random();
	return tap_done();
}
