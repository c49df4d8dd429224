/*
 * mimalloc.c - the live blocks of a free-threaded CPython's mimalloc heaps.
 *
 * Follows CPYTHON-3.14.md Part C steps 3-5: thread heaps (75 page queues
 * each, the full queue included), each heap's thread_delayed_free list,
 * the interpreter's abandoned pool (both of its lists), and per page the
 * union of its four free lists.  Offsets come from the layout (group FT);
 * mimalloc's compile-time constants from mimalloc.h.
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mimalloc.h"

/* A page's capacity is a uint16_t (types.h:318): one bit per block. */
#define MAX_CAPACITY 65536
#define MAX_PAGE_STRUCT 256 /* sizeof(mi_page_t) is 96 (112 in Py_DEBUG) */
#define FREELIST_ENTRY 16   /* struct _Py_freelist: {void *; Py_ssize_t} */
#define MAX_FREELISTS 64    /* 3.14 has 39 */

/* ---- a set of addresses (open addressing; 0 is never stored) ---------- */

struct addrset {
	uint64_t *slot;
	size_t cap, n; /* cap: a power of two, or 0 */
};

static size_t addrset_hash(uint64_t a, size_t cap)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return (size_t)a & (cap - 1);
}

static int addrset_grow(struct addrset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256, i, j;
	uint64_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		for (j = addrset_hash(s->slot[i], cap); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

/* 0 if a was added, 1 if it was there, -1 when out of memory. */
static int addrset_add(struct addrset *s, uint64_t a)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap && addrset_grow(s))
		return -1;
	for (j = addrset_hash(a, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == a)
			return 1;
	s->slot[j] = a;
	s->n++;
	return 0;
}

static void addrset_clear(struct addrset *s)
{
	if (s->slot)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
}

static void addrset_release(struct addrset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- the walk's state -------------------------------------------------- */

struct mw {
	struct pyproc *p;
	const struct layout *l;
	struct mimalloc_stats *st;
	struct hs_error *err;
	int fatal;   /* err set: the walk ends */
	int stopped; /* the callback said stop */
	unsigned tag_mask;
	mimalloc_block_fn fn;
	mimalloc_page_fn page_fn; /* pages alone, no block lists */
	void *ctx;
	struct addrset pages;  /* every page met, so each is walked once */
	struct addrset seen;   /* thread states, segments, or one freelist */
	uint64_t *bits;	       /* one page's free blocks, MAX_CAPACITY bits */
	unsigned char *slices; /* one segment's slice array */
	uint64_t *delayed;     /* one heap's thread_delayed_free, sorted */
	size_t ndelayed, delayed_cap, delayed_matched;
	uint64_t seg; /* segment whose header is cached, or 0 */
	uint64_t seg_entries;
	uint32_t seg_kind;
	int seg_ok;
};

static void warn(struct mw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct mw *w, const char *fmt, ...)
{
	va_list ap;

	if (w->st->warnings++)
		return;
	va_start(ap, fmt);
	vsnprintf(w->st->warning, sizeof(w->st->warning), fmt, ap);
	va_end(ap);
}

static int fail(struct mw *w, enum hs_code code, const char *msg)
{
	hs_error_set(w->err, code, "%s", msg);
	w->fatal = 1;
	return -1;
}

/*
 * Read from the target.  A bad address (HS_EREAD) is the target's
 * inconsistency, for the caller to count; anything else (the process
 * gone) ends the walk with err.
 */
static int rd(struct mw *w, uint64_t addr, void *buf, size_t len)
{
	struct hs_error e = HS_ERROR_INIT;

	if (!target_read(w->p->t, addr, buf, len, &e))
		return 0;
	if (e.code != HS_EREAD && !w->fatal) {
		if (w->err && w->err->code == HS_OK)
			*w->err = e;
		w->fatal = 1;
	}
	return -1;
}

static int rd64(struct mw *w, uint64_t addr, uint64_t *v)
{
	return rd(w, addr, v, sizeof(*v));
}

static int done(const struct mw *w)
{
	return w->fatal || w->stopped;
}

static uint64_t get64(const unsigned char *b, int64_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t get32(const unsigned char *b, int64_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint16_t get16(const unsigned char *b, int64_t off)
{
	uint16_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* The byte after slice_offset holds is_committed:1 is_zero_init:1
 * use_qsbr:1 tag:4 (types.h:312-315); DWARF gives bitfields no byte
 * offset of their own. */
static int page_tag(const struct layout *l, const unsigned char *raw)
{
	return (raw[LAY(l, mipage_slice_offset) + 4] >> 3) & 15;
}

/* ---- the layout -------------------------------------------------------- */

/* clang-format off */
#define NEEDED_FIELDS(X) \
	X(tstate_next) X(tstate_thread_id) X(interp_threads_head) \
	X(tstateimpl_mimalloc) X(mts_heaps) X(mts_tld) X(mts_initialized) \
	X(miheap_size) X(miheap_tld) X(miheap_pages) X(miheap_thread_delayed_free) \
	X(miheap_thread_id) X(miheap_tag) X(mipageq_size) X(mipageq_first) \
	X(mipage_size) X(mipage_slice_count) X(mipage_slice_offset) X(mipage_capacity) \
	X(mipage_reserved) X(mipage_free) X(mipage_used) X(mipage_xblock_size) \
	X(mipage_local_free) X(mipage_xthread_free) X(mipage_next) \
	X(misegment_abandoned_next) X(misegment_kind) X(misegment_slice_entries) \
	X(misegment_slices) X(interp_mimalloc_pool) X(mipool_abandoned_visited) \
	X(mipool_abandoned)
/* clang-format on */

static int check_layout(struct pyproc *p, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	int64_t ps = LAY(l, mipage_size);

	if (!p->free_threaded)
		return hs_error_set(err, HS_EUNSUPPORTED,
				    "Python %s is not a free-threaded build: "
				    "its objects are not found through mimalloc",
				    p->version);
	if (p->build & PYBUILD_DEBUG)
		return hs_error_set(err, HS_EUNSUPPORTED,
				    "the mimalloc heaps of a Py_DEBUG "
				    "free-threaded Python (%s) encode their free lists: not "
				    "supported",
				    p->version);
#define CHECK(f) \
	if (!LAY_HAS(l, f)) \
		return hs_error_set(err, HS_ELAYOUT, \
				    "the mimalloc layout of Python %s " \
				    "lacks %s", \
				    p->version, #f);
	NEEDED_FIELDS(CHECK)
#undef CHECK
	/* every page field read from a copy of mi_page_t must lie in it */
	if (ps < 64 || ps > MAX_PAGE_STRUCT || LAY(l, mipage_next) + 8 > ps ||
	    LAY(l, mipage_xthread_free) + 8 > ps || LAY(l, mipage_local_free) + 8 > ps ||
	    LAY(l, mipage_free) + 8 > ps || LAY(l, mipage_used) + 4 > ps ||
	    LAY(l, mipage_xblock_size) + 4 > ps || LAY(l, mipage_capacity) + 2 > ps ||
	    LAY(l, mipage_reserved) + 2 > ps || LAY(l, mipage_slice_count) + 4 > ps ||
	    LAY(l, mipage_slice_offset) + 5 > ps || LAY(l, mipageq_size) < 8 ||
	    LAY(l, mipageq_first) + 8 > LAY(l, mipageq_size) || LAY(l, miheap_size) <= 0)
		return hs_error_set(err, HS_ELAYOUT,
				    "the mimalloc layout of Python %s is "
				    "implausible (mi_page_t of %lld bytes)",
				    p->version, (long long)ps);
	return 0;
}

/* ---- one page ---------------------------------------------------------- */

struct page {
	uint64_t addr, start, bsize;
	uint64_t free, local_free, xthread_free;
	uint32_t used;
	uint16_t capacity, reserved;
	int tag;
};

/* The kind and slice count of the segment at seg (cached). */
static int segment_header(struct mw *w, uint64_t seg)
{
	const struct layout *l = w->l;

	if (seg == w->seg)
		return w->seg_ok ? 0 : -1;
	w->seg = seg;
	w->seg_ok = !rd(w, seg + LAY(l, misegment_kind), &w->seg_kind, sizeof(w->seg_kind)) &&
		    !rd64(w, seg + LAY(l, misegment_slice_entries), &w->seg_entries) &&
		    w->seg_entries >= 1 && w->seg_entries <= MIMALLOC_SLICE_ENTRIES_MAX &&
		    w->seg_kind <= 1;
	return w->seg_ok ? 0 : -1;
}

/*
 * Decode and check the mi_page_t at addr (its bytes in raw).  Returns 0,
 * or -1 with a reason in why for a page that cannot be one.
 */
static int page_decode(struct mw *w, uint64_t addr, const unsigned char *raw, struct page *pg,
		       const char **why)
{
	const struct layout *l = w->l;
	uint64_t seg = addr & ~MIMALLOC_SEGMENT_MASK;
	uint64_t first = seg + (uint64_t)LAY(l, misegment_slices), idx, span, start_off = 0;
	uint64_t psize = (uint64_t)LAY(l, mipage_size);
	uint32_t slice_count = get32(raw, LAY(l, mipage_slice_count));
	uint32_t xblock = get32(raw, LAY(l, mipage_xblock_size));
	uint16_t reserved = get16(raw, LAY(l, mipage_reserved));

	memset(pg, 0, sizeof(*pg));
	pg->addr = addr;
	if (addr < first || (addr - first) % psize) {
		*why = "not a slice of its segment";
		return -1;
	}
	/* slice 0 holds the segment's own header */
	idx = (addr - first) / psize;
	if (idx < 1 || idx >= MIMALLOC_SLICE_ENTRIES_MAX) {
		*why = "not a slice of its segment";
		return -1;
	}
	if (segment_header(w, seg) || idx >= w->seg_entries) {
		*why = "its segment is unreadable or implausible";
		return -1;
	}
	if (!slice_count || get32(raw, LAY(l, mipage_slice_offset)) || !xblock) {
		*why = "not the first slice of a page in use";
		return -1;
	}
	/* pages of normal segments end in them; a huge segment's one page
	 * runs past its slice array */
	if (w->seg_kind == 0 && idx + slice_count > w->seg_entries) {
		*why = "runs past its segment";
		return -1;
	}
	pg->capacity = get16(raw, LAY(l, mipage_capacity));
	pg->reserved = reserved;
	if (pg->capacity > reserved) {
		*why = "capacity exceeds reserved";
		return -1;
	}
	/* segment.c:314-329 (_mi_segment_page_start_from_slice) */
	if (xblock >= 8 && xblock <= 64)
		start_off = 3 * (uint64_t)xblock;
	else if (xblock >= 8 && xblock <= 512)
		start_off = xblock;
	span = (uint64_t)slice_count << MIMALLOC_SLICE_SHIFT;
	if (start_off >= span) {
		*why = "smaller than its first block";
		return -1;
	}
	pg->bsize = xblock < MIMALLOC_HUGE_BLOCK_SIZE ? xblock : span - start_off;
	if (reserved > (span - start_off) / pg->bsize) {
		*why = "reserves more blocks than it holds";
		return -1;
	}
	pg->start = seg + (idx << MIMALLOC_SLICE_SHIFT) + start_off;
	pg->free = get64(raw, LAY(l, mipage_free));
	pg->local_free = get64(raw, LAY(l, mipage_local_free));
	pg->xthread_free = get64(raw, LAY(l, mipage_xthread_free)) & ~MIMALLOC_TF_FLAGS;
	pg->used = get32(raw, LAY(l, mipage_used));
	pg->tag = page_tag(l, raw);
	return 0;
}

/* Mark block b of pg free; 0, or -1 (counted and warned) if it is off
 * the page, misaligned, or marked already. */
static int mark_free(struct mw *w, const struct page *pg, uint64_t b, const char *list)
{
	uint64_t idx;

	if (b < pg->start || (b - pg->start) % pg->bsize ||
	    (idx = (b - pg->start) / pg->bsize) >= pg->capacity) {
		w->st->entries_skipped++;
		warn(w, "page %#llx: %s entry %#llx lies outside its blocks",
		     (unsigned long long)pg->addr, list, (unsigned long long)b);
		return -1;
	}
	if (w->bits[idx / 64] & (1ULL << (idx % 64))) {
		/* a cycle, or a block on two lists */
		w->st->lists_cut++;
		warn(w, "page %#llx: %s entry %#llx met twice", (unsigned long long)pg->addr, list,
		     (unsigned long long)b);
		return -1;
	}
	w->bits[idx / 64] |= 1ULL << (idx % 64);
	return 0;
}

/* Follow a free list through word 0 of its blocks; the number marked.
 * The bitmap bounds it: no more than capacity distinct blocks. */
static uint64_t follow_list(struct mw *w, const struct page *pg, uint64_t head, const char *list)
{
	uint64_t cur = head, n = 0;

	while (cur && !w->fatal) {
		if (mark_free(w, pg, cur, list))
			break;
		n++;
		if (rd64(w, cur, &cur)) {
			w->st->lists_cut++;
			warn(w, "page %#llx: %s list unreadable", (unsigned long long)pg->addr,
			     list);
			break;
		}
	}
	return n;
}

/* Mark the delayed blocks of the heap (sorted) that fall in pg. */
static uint64_t mark_delayed(struct mw *w, const struct page *pg)
{
	uint64_t end = pg->start + (uint64_t)pg->capacity * pg->bsize, n = 0;
	size_t lo = 0, hi = w->ndelayed;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->delayed[mid] < pg->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->ndelayed && w->delayed[lo] < end; lo++) {
		w->delayed_matched++;
		if (!mark_free(w, pg, w->delayed[lo], "thread_delayed_free"))
			n++;
	}
	return n;
}

/* Report the live blocks of the page at addr (bytes in raw) of heap tag
 * tag (-1: abandoned, tag from the page). */
static void walk_page(struct mw *w, uint64_t addr, const unsigned char *raw, int heap_tag)
{
	struct mimalloc_stats *st = w->st;
	const char *why = "";
	struct page pg;
	uint64_t nfree, nlocal, nx, nd = 0, i;

	if (page_decode(w, addr, raw, &pg, &why)) {
		st->pages_skipped++;
		warn(w, "page %#llx skipped: %s", (unsigned long long)addr, why);
		return;
	}
	if (heap_tag >= 0 && pg.tag != heap_tag) {
		st->pages_skipped++;
		warn(w, "page %#llx skipped: its tag %d is not its heap's %d",
		     (unsigned long long)addr, pg.tag, heap_tag);
		return;
	}
	if (w->page_fn) {
		struct mimalloc_page info = {
			.segment = addr & ~MIMALLOC_SEGMENT_MASK,
			.start = pg.start,
			.bsize = pg.bsize,
			.capacity = pg.capacity,
			.reserved = pg.reserved,
			.used = pg.used,
			.tag = pg.tag,
		};

		if (pg.used)
			st->pages++;
		else
			st->pages_empty++;
		if (w->page_fn(w->ctx, &info))
			w->stopped = 1;
		return;
	}
	if (!pg.used) {
		st->pages_empty++;
		return;
	}
	st->pages++;
	if (heap_tag < 0)
		st->abandoned_pages++;
	memset(w->bits, 0, ((size_t)pg.capacity + 63) / 64 * sizeof(*w->bits));
	nfree = follow_list(w, &pg, pg.free, "free");
	nlocal = follow_list(w, &pg, pg.local_free, "local_free");
	nx = follow_list(w, &pg, pg.xthread_free, "xthread_free");
	if (heap_tag >= 0)
		nd = mark_delayed(w, &pg);
	if (w->fatal)
		return;
	st->free_blocks += nfree + nlocal + nx + nd;
	st->xthread_blocks += nx;
	st->delayed_blocks += nd;
	/* page.c:182-222 and alloc.c: local frees decrement used,
	 * cross-thread ones only when collected */
	if ((uint64_t)pg.capacity != pg.used + nfree + nlocal || pg.used < nx + nd) {
		st->pages_inconsistent++;
		warn(w,
		     "page %#llx: capacity %u, used %u, free %llu + local %llu, "
		     "xthread %llu, delayed %llu do not add up",
		     (unsigned long long)addr, pg.capacity, pg.used, (unsigned long long)nfree,
		     (unsigned long long)nlocal, (unsigned long long)nx, (unsigned long long)nd);
	}
	for (i = 0; i < pg.capacity && !w->stopped; i++) {
		if (w->bits[i / 64] & (1ULL << (i % 64)))
			continue;
		st->live_blocks++;
		st->live_by_tag[pg.tag]++;
		if (w->fn && w->fn(w->ctx, pg.start + i * pg.bsize, pg.bsize, pg.tag))
			w->stopped = 1;
	}
}

/* ---- thread heaps ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Collect the heap's thread_delayed_free list (blocks other threads freed
 * from its full pages, alloc.c mi_free_block_mt), sorted.  Brent's cycle
 * check and MIMALLOC_MAX_DELAYED bound it.
 */
static int collect_delayed(struct mw *w, uint64_t heap)
{
	uint64_t cur, mark = 0;
	size_t power = 1, lam = 0;

	w->ndelayed = 0;
	w->delayed_matched = 0;
	if (rd64(w, heap + LAY(w->l, miheap_thread_delayed_free), &cur)) {
		w->st->lists_cut++;
		warn(w, "heap %#llx: thread_delayed_free unreadable", (unsigned long long)heap);
		return 0;
	}
	while (cur) {
		if (cur == mark || w->ndelayed >= MIMALLOC_MAX_DELAYED || (cur & 7)) {
			w->st->lists_cut++;
			warn(w, "heap %#llx: thread_delayed_free cut (%s)",
			     (unsigned long long)heap,
			     cur == mark ? "a cycle"
			     : cur & 7	 ? "a misaligned block"
					 : "too long");
			break;
		}
		if (w->ndelayed == w->delayed_cap) {
			size_t cap = w->delayed_cap ? w->delayed_cap * 2 : 64;
			uint64_t *d = realloc(w->delayed, cap * sizeof(*d));

			if (!d)
				return fail(w, HS_ENOMEM, "out of memory");
			w->delayed = d;
			w->delayed_cap = cap;
		}
		w->delayed[w->ndelayed++] = cur;
		if (power == lam) {
			mark = cur;
			power *= 2;
			lam = 0;
		}
		lam++;
		if (rd64(w, cur, &cur)) {
			if (w->fatal)
				return -1;
			w->st->lists_cut++;
			warn(w, "heap %#llx: thread_delayed_free unreadable",
			     (unsigned long long)heap);
			break;
		}
	}
	if (w->ndelayed > 1)
		qsort(w->delayed, w->ndelayed, sizeof(*w->delayed), cmp_u64);
	return 0;
}

static void walk_heap(struct mw *w, uint64_t mts, uint64_t thread_id, int tag)
{
	const struct layout *l = w->l;
	uint64_t heap = mts + LAY(l, mts_heaps) + (uint64_t)tag * LAY(l, miheap_size);
	uint64_t htld, htid, qsize = (uint64_t)LAY(l, mipageq_size);
	unsigned char htag, queues[MIMALLOC_QUEUES * 64], raw[MAX_PAGE_STRUCT];
	int q;

	if (qsize * MIMALLOC_QUEUES > sizeof(queues) ||
	    rd(w, heap + LAY(l, miheap_tag), &htag, 1) ||
	    rd64(w, heap + LAY(l, miheap_tld), &htld) ||
	    rd64(w, heap + LAY(l, miheap_thread_id), &htid) ||
	    rd(w, heap + LAY(l, miheap_pages), queues, qsize * MIMALLOC_QUEUES)) {
		w->st->heaps_skipped++;
		warn(w, "heap %d at %#llx unreadable", tag, (unsigned long long)heap);
		return;
	}
	/* pystate.c:3160-3209 (tstate_mimalloc_bind) */
	if (htag != tag || htld != mts + LAY(l, mts_tld) || htid != thread_id) {
		w->st->heaps_skipped++;
		warn(w,
		     "heap %d at %#llx skipped: tag %d, tld %#llx, thread %#llx are not its "
		     "thread state's",
		     tag, (unsigned long long)heap, htag, (unsigned long long)htld,
		     (unsigned long long)htid);
		return;
	}
	w->st->heaps++;
	if (collect_delayed(w, heap))
		return;
	/* heap.c:27-52 (mi_heap_visit_pages): every queue, MI_BIN_FULL too */
	for (q = 0; q < MIMALLOC_QUEUES && !done(w); q++) {
		uint64_t page = get64(queues, q * qsize + LAY(l, mipageq_first));

		while (page && !done(w)) {
			int seen = addrset_add(&w->pages, page);

			if (seen < 0) {
				fail(w, HS_ENOMEM, "out of memory");
				return;
			}
			if (seen || w->pages.n > MIMALLOC_MAX_PAGES) {
				w->st->lists_cut++;
				warn(w, "heap %d at %#llx: page queue %d cut at page %#llx (%s)",
				     tag, (unsigned long long)heap, q, (unsigned long long)page,
				     seen ? "met before" : "too many pages");
				break;
			}
			if (rd(w, page, raw, (size_t)LAY(l, mipage_size))) {
				w->st->pages_skipped++;
				w->st->lists_cut++;
				warn(w, "heap %d at %#llx: page %#llx unreadable", tag,
				     (unsigned long long)heap, (unsigned long long)page);
				break;
			}
			walk_page(w, page, raw, tag);
			page = get64(raw, LAY(l, mipage_next));
		}
	}
	if (!done(w) && w->delayed_matched < w->ndelayed) {
		w->st->entries_skipped += w->ndelayed - w->delayed_matched;
		warn(w, "heap %d at %#llx: %zu thread_delayed_free blocks in none of its pages",
		     tag, (unsigned long long)heap, w->ndelayed - w->delayed_matched);
	}
}

/* ---- the abandoned pool ------------------------------------------------ */

/*
 * The pages of an abandoned segment: its slices from the end of the
 * segment's own first page to slice_entries, stepping by slice_count; a
 * slice with a block size is a page in use (segment.c:1258-1264,
 * 1634-1680).
 */
static void walk_segment(struct mw *w, uint64_t seg)
{
	const struct layout *l = w->l;
	uint64_t psize = (uint64_t)LAY(l, mipage_size), first = seg + LAY(l, misegment_slices);
	uint64_t i;

	if (segment_header(w, seg) || rd(w, first, w->slices, (size_t)(w->seg_entries * psize))) {
		w->st->segments_skipped++;
		warn(w, "abandoned segment %#llx unreadable or implausible",
		     (unsigned long long)seg);
		return;
	}
	w->st->abandoned_segments++;
	for (i = get32(w->slices, LAY(l, mipage_slice_count)); i < w->seg_entries && !done(w);) {
		const unsigned char *raw = w->slices + i * psize;
		uint32_t count = get32(raw, LAY(l, mipage_slice_count));
		uint64_t page = first + i * psize;
		int tag = page_tag(l, raw), seen;

		if (!count) {
			w->st->segments_skipped++;
			warn(w, "abandoned segment %#llx: slice %llu has no length",
			     (unsigned long long)seg, (unsigned long long)i);
			return;
		}
		i += count;
		if (!get32(raw, LAY(l, mipage_xblock_size)) || tag >= MIMALLOC_TAGS ||
		    !(w->tag_mask & (1u << tag)))
			continue;
		seen = addrset_add(&w->pages, page);
		if (seen < 0) {
			fail(w, HS_ENOMEM, "out of memory");
			return;
		}
		/* a segment reclaimed while we read: its pages are in a heap */
		if (!seen)
			walk_page(w, page, raw, -1);
	}
}

/* Both lists of the pool (segment.c:1653-1672): abandoned (tagged: the
 * low bits count updates, segment.c:1069-1075) and abandoned_visited. */
static void walk_pool(struct mw *w, uint64_t interp)
{
	const struct layout *l = w->l;
	uint64_t pool = interp + LAY(l, interp_mimalloc_pool), heads[2];
	int k;

	if (rd64(w, pool + LAY(l, mipool_abandoned), &heads[0]) ||
	    rd64(w, pool + LAY(l, mipool_abandoned_visited), &heads[1])) {
		w->st->lists_cut++;
		warn(w, "abandoned pool %#llx unreadable", (unsigned long long)pool);
		return;
	}
	heads[0] &= ~MIMALLOC_SEGMENT_MASK;
	addrset_clear(&w->seen);
	for (k = 0; k < 2; k++) {
		uint64_t seg = heads[k];

		while (seg && !done(w)) {
			int seen;

			if (seg & MIMALLOC_SEGMENT_MASK) {
				w->st->segments_skipped++;
				warn(w, "abandoned pool: %#llx is no segment",
				     (unsigned long long)seg);
				break;
			}
			seen = addrset_add(&w->seen, seg);
			if (seen < 0) {
				fail(w, HS_ENOMEM, "out of memory");
				return;
			}
			if (seen || w->seen.n > MIMALLOC_MAX_SEGMENTS) {
				w->st->lists_cut++;
				warn(w, "abandoned pool: list cut at segment %#llx (%s)",
				     (unsigned long long)seg, seen ? "met before" : "too many");
				break;
			}
			walk_segment(w, seg);
			if (rd64(w, seg + LAY(l, misegment_abandoned_next), &seg)) {
				w->st->lists_cut++;
				break;
			}
		}
	}
}

/* ---- thread states ----------------------------------------------------- */

/* The next thread state after ts (first: ts 0), bounded and cycle-checked
 * with w->seen; 0 at the end, a broken list being counted. */
static uint64_t next_tstate(struct mw *w, uint64_t interp, uint64_t ts)
{
	uint64_t next;
	int seen;

	if (!ts) {
		if (rd64(w, interp + LAY(w->l, interp_threads_head), &next)) {
			if (!w->fatal)
				hs_error_set(w->err, HS_EREAD,
					     "the thread states of interpreter "
					     "%#llx cannot be read",
					     (unsigned long long)interp);
			w->fatal = 1;
			return 0;
		}
	} else if (rd64(w, ts + LAY(w->l, tstate_next), &next)) {
		w->st->lists_cut++;
		warn(w, "thread state %#llx: next unreadable", (unsigned long long)ts);
		return 0;
	}
	if (!next)
		return 0;
	seen = addrset_add(&w->seen, next);
	if (seen < 0) {
		fail(w, HS_ENOMEM, "out of memory");
		return 0;
	}
	if (seen || w->seen.n > PYPROC_MAX_THREADS) {
		w->st->lists_cut++;
		warn(w, "thread list cut at %#llx (%s)", (unsigned long long)next,
		     seen ? "met before" : "too many");
		return 0;
	}
	return next;
}

static int walk_init(struct mw *w, struct pyproc *p, struct mimalloc_stats *st,
		     struct mimalloc_stats *own, struct hs_error *err)
{
	memset(w, 0, sizeof(*w));
	w->st = st ? st : own;
	memset(w->st, 0, sizeof(*w->st));
	w->p = p;
	w->l = &p->layout;
	w->err = err;
	return check_layout(p, err);
}

static void walk_release(struct mw *w)
{
	addrset_release(&w->pages);
	addrset_release(&w->seen);
	free(w->bits);
	free(w->slices);
	free(w->delayed);
}

static int walk_result(struct mw *w)
{
	if (w->fatal)
		return -1;
	return w->stopped ? 1 : 0;
}

/* Every heap of interp's thread states, then its abandoned pool. */
static int walk_all(struct mw *w, uint64_t interp)
{
	const struct layout *l = &w->p->layout;
	uint64_t ts, pool_seen = 0;
	int tag, ret;

	w->bits = malloc(MAX_CAPACITY / 8);
	w->slices = malloc(MIMALLOC_SLICE_ENTRIES_MAX * (size_t)LAY(l, mipage_size));
	if (!w->bits || !w->slices) {
		fail(w, HS_ENOMEM, "out of memory");
		goto out;
	}
	for (ts = next_tstate(w, interp, 0); ts && !done(w); ts = next_tstate(w, interp, ts)) {
		uint64_t mts = ts + LAY(l, tstateimpl_mimalloc), tid, pool;
		uint32_t initialized;

		if (rd(w, mts + LAY(l, mts_initialized), &initialized, sizeof(initialized)) ||
		    rd64(w, ts + LAY(l, tstate_thread_id), &tid)) {
			w->st->lists_cut++;
			warn(w, "thread state %#llx unreadable", (unsigned long long)ts);
			break;
		}
		if (!initialized)
			continue;
		w->st->threads++;
		/* the heaps' tld points at the interpreter's pool (B.5): a
		 * cross-check of the layout */
		if (LAY_HAS(l, mitld_segments_abandoned) && !pool_seen &&
		    !rd64(w, mts + LAY(l, mts_tld) + LAY(l, mitld_segments_abandoned), &pool)) {
			pool_seen = 1;
			if (pool != interp + LAY(l, interp_mimalloc_pool))
				warn(w,
				     "thread state %#llx: its abandoned pool %#llx is not "
				     "its interpreter's",
				     (unsigned long long)ts, (unsigned long long)pool);
		}
		for (tag = 0; tag < MIMALLOC_TAGS && !done(w); tag++)
			if (w->tag_mask & (1u << tag))
				walk_heap(w, mts, tid, tag);
	}
	if (!done(w))
		walk_pool(w, interp);
out:
	ret = walk_result(w);
	walk_release(w);
	return ret;
}

int mimalloc_blocks(struct pyproc *p, uint64_t interp, unsigned tag_mask, mimalloc_block_fn fn,
		    void *ctx, struct mimalloc_stats *st, struct hs_error *err)
{
	struct mimalloc_stats own;
	struct mw w;

	if (walk_init(&w, p, st, &own, err))
		return -1;
	w.tag_mask = tag_mask & MIMALLOC_TAG_ALL;
	w.fn = fn;
	w.ctx = ctx;
	return walk_all(&w, interp);
}

int mimalloc_pages(struct pyproc *p, uint64_t interp, mimalloc_page_fn fn, void *ctx,
		   struct mimalloc_stats *st, struct hs_error *err)
{
	struct mimalloc_stats own;
	struct mw w;

	if (walk_init(&w, p, st, &own, err))
		return -1;
	w.tag_mask = MIMALLOC_TAG_ALL;
	w.page_fn = fn;
	w.ctx = ctx;
	return walk_all(&w, interp);
}

/* ---- CPython's freelists ------------------------------------------------- */

int mimalloc_freelist_blocks(struct pyproc *p, uint64_t interp, mimalloc_freelist_fn fn, void *ctx,
			     struct mimalloc_stats *st, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	struct mimalloc_stats own;
	struct addrset chain = { 0 };
	unsigned char lists[MAX_FREELISTS * FREELIST_ENTRY];
	struct mw w;
	uint64_t ts;
	size_t nlists;
	int ret;

	if (walk_init(&w, p, st, &own, err))
		return -1;
	if (!LAY_HAS(l, tstateimpl_freelists) || !LAY_HAS(l, freelists_size) ||
	    LAY(l, freelists_size) % FREELIST_ENTRY ||
	    LAY(l, freelists_size) > (int64_t)sizeof(lists)) {
		hs_error_set(err, HS_ELAYOUT, "the freelists of Python %s are unknown", p->version);
		return -1;
	}
	nlists = (size_t)LAY(l, freelists_size) / FREELIST_ENTRY;
	for (ts = next_tstate(&w, interp, 0); ts && !done(&w); ts = next_tstate(&w, interp, ts)) {
		size_t i;

		if (rd(&w, ts + LAY(l, tstateimpl_freelists), lists, nlists * FREELIST_ENTRY)) {
			w.st->lists_cut++;
			warn(&w, "thread state %#llx: freelists unreadable",
			     (unsigned long long)ts);
			continue;
		}
		for (i = 0; i < nlists && !done(&w); i++) {
			/* pycore_freelist_state.h:33-42: size -1 when disabled */
			uint64_t cur = get64(lists, (int64_t)(i * FREELIST_ENTRY));
			int64_t size = (int64_t)get64(lists, (int64_t)(i * FREELIST_ENTRY + 8));
			int64_t n = 0, bound = size < 0 ? 0
					       : size > MIMALLOC_FREELIST_MAX
						       ? MIMALLOC_FREELIST_MAX
						       : size;
			int seen;

			addrset_clear(&chain);
			while (cur && !done(&w)) {
				const char *why = NULL;

				seen = addrset_add(&chain, cur);
				if (seen < 0) {
					fail(&w, HS_ENOMEM, "out of memory");
					break;
				}
				if (seen)
					why = "a cycle";
				else if (n >= bound)
					why = "longer than its size";
				else if (cur & 7)
					why = "a misaligned entry";
				else if (w.st->freelist_blocks >= MIMALLOC_FREELISTS_MAX)
					why = "too many entries in all";
				if (why) {
					w.st->lists_cut++;
					warn(&w, "thread state %#llx: freelist %zu cut (%s)",
					     (unsigned long long)ts, i, why);
					break;
				}
				n++;
				w.st->freelist_blocks++;
				if (fn && fn(ctx, cur, (int)i))
					w.stopped = 1;
				if (rd64(&w, cur, &cur)) {
					w.st->lists_cut++;
					warn(&w, "thread state %#llx: freelist %zu unreadable",
					     (unsigned long long)ts, i);
					break;
				}
			}
			if (!done(&w) && !cur && n != size && size >= 0)
				warn(&w,
				     "thread state %#llx: freelist %zu holds %lld entries, its "
				     "size says %lld",
				     (unsigned long long)ts, i, (long long)n, (long long)size);
		}
	}
	addrset_release(&chain);
	ret = walk_result(&w);
	walk_release(&w);
	return ret;
}

/* ---- the debug allocator ------------------------------------------------- */

int mimalloc_debug_allocator(struct pyproc *p, struct hs_error *err)
{
	uint32_t on;

	/* _PyRuntime.allocators.is_debug_enabled: an int (DWARF of 3.14.7t),
	 * obmalloc.c:809-812 */
	if (!LAY_HAS(&p->layout, runtime_allocators_debug))
		return hs_error_set(err, HS_ELAYOUT,
				    "Python %s: where the debug allocator's "
				    "flag lives is unknown",
				    p->version);
	if (target_read_u32(p->t, p->runtime + LAY(&p->layout, runtime_allocators_debug), &on, err))
		return -1;
	return on != 0;
}

uint64_t mimalloc_object_offset(struct pyproc *p, int tag)
{
	/* gc_free_threading.c:395-402: the pre-header is two words, the
	 * debug allocator's header two more (its size and API id,
	 * obmalloc.c:2833-2842) */
	uint64_t off = tag == MIMALLOC_TAG_GC_PRE ? 16 : 0;

	if (mimalloc_debug_allocator(p, NULL) == 1)
		off += 16;
	return off;
}
