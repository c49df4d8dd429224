/*
 * mimalloc.h - the live blocks of a free-threaded CPython's mimalloc heaps.
 *
 * A free-threaded CPython (3.13t+) keeps no list of its objects: the
 * collector visits mimalloc's heaps.  Every thread state owns four heaps,
 * one per tag (0 PyMem_Malloc, 1 non-GC objects, 2 GC objects, 3 GC
 * objects with a pre-header); the segments of threads that exited sit in
 * the interpreter's abandoned pool.  This module enumerates, from outside,
 * the blocks of those heaps that are in use, as CPython's
 * gc_visit_heaps_lock_held and sys.getallocatedblocks() see them, without
 * writing to the target (CPython's own visitor first collects the
 * cross-thread free lists; a reader computes their union instead).
 * (CPYTHON-3.14.md Part B.4-B.7 and Part C steps 3-5.)
 *
 * A page's blocks are start + i * bsize for i < capacity; a block is free
 * iff it is on the page's free, local_free or xthread_free list or on its
 * heap's thread_delayed_free list; every other block is live.  Two counts
 * must agree: capacity == used + |free| + |local_free| and live == used -
 * |xthread_free| - |delayed|.  A page where they do not is counted as
 * inconsistent; its blocks (those on no free list) are reported anyway.
 *
 * Everything read from the target is untrusted: every loop is bounded
 * (threads, pages per heap, segments in the pool, slices per segment, list
 * lengths by the page's capacity), cycles end a list, and entries outside
 * their page are dropped.  What was skipped is counted in struct
 * mimalloc_stats; only a missing layout, a vanished target or running out
 * of memory make the walk fail.
 *
 * Release builds only: a Py_DEBUG build encodes its free lists (and its
 * structures differ) and is refused.
 */
#ifndef HS_MIMALLOC_H
#define HS_MIMALLOC_H

#include <stdint.h>
#include "base/error.h"
#include "pyproc.h"

/*
 * mimalloc's compile-time configuration as CPython 3.14 builds it on
 * 64-bit (Include/internal/mimalloc/mimalloc/types.h of CPython 3.14.7;
 * MI_INTPTR_SHIFT is 3).  No DWARF carries these.
 */
/* types.h:180,190,192: MI_SEGMENT_SHIFT = 9 + 16, segments are 32 MiB and
 * aligned to their size */
#define MIMALLOC_SEGMENT_SHIFT 25
#define MIMALLOC_SEGMENT_SIZE (1ULL << MIMALLOC_SEGMENT_SHIFT)
#define MIMALLOC_SEGMENT_MASK (MIMALLOC_SEGMENT_SIZE - 1)
/* types.h:177,193: MI_SEGMENT_SLICE_SHIFT = 13 + 3, slices of 64 KiB */
#define MIMALLOC_SLICE_SHIFT 16
#define MIMALLOC_SLICE_SIZE (1ULL << MIMALLOC_SLICE_SHIFT)
/* types.h:194,470: MI_SLICES_PER_SEGMENT (512; its comment's 1024 is
 * stale) and slices[MI_SLICES_PER_SEGMENT + 1] */
#define MIMALLOC_SLICES_PER_SEGMENT (MIMALLOC_SEGMENT_SIZE / MIMALLOC_SLICE_SIZE)
#define MIMALLOC_SLICE_ENTRIES_MAX (MIMALLOC_SLICES_PER_SEGMENT + 1)
/* types.h:206,519,550: MI_BIN_HUGE 73, MI_BIN_FULL 74, pages[MI_BIN_FULL + 1] */
#define MIMALLOC_BIN_HUGE 73
#define MIMALLOC_BIN_FULL 74
#define MIMALLOC_QUEUES (MIMALLOC_BIN_FULL + 1)
/* types.h:216: xblock_size at or above this means "the page span"
 * (internal.h:455-467, mi_page_block_size) */
#define MIMALLOC_HUGE_BLOCK_SIZE 0x80000000ULL
/* internal.h:507-509 (mi_tf_block): xthread_free's low bits are the
 * delayed-free state */
#define MIMALLOC_TF_FLAGS 3ULL

/* Heap tags: pycore_mimalloc.h:12-18 (_Py_mimalloc_heap_id). */
enum mimalloc_tag {
	MIMALLOC_TAG_MEM = 0,	 /* PyMem_Malloc */
	MIMALLOC_TAG_OBJECT = 1, /* non-GC objects */
	MIMALLOC_TAG_GC = 2,	 /* GC objects, object at the block */
	MIMALLOC_TAG_GC_PRE = 3, /* GC objects after a 16-byte pre-header */
	MIMALLOC_TAGS = 4
};
#define MIMALLOC_TAG_ALL ((1u << MIMALLOC_TAGS) - 1)

/* Bounds on what the target claims (each a count of things a real
 * process cannot exceed by far). */
#define MIMALLOC_MAX_PAGES (1UL << 22)	   /* pages in one walk: 256 GiB of small pages */
#define MIMALLOC_MAX_SEGMENTS (1UL << 16)  /* abandoned segments: 2 TiB */
#define MIMALLOC_MAX_DELAYED (1UL << 22)   /* one heap's thread_delayed_free */
#define MIMALLOC_FREELIST_MAX 4096	   /* one CPython freelist (largest limit: 2000) */
#define MIMALLOC_FREELISTS_MAX (1UL << 20) /* all CPython freelists of one walk */

struct mimalloc_stats {
	uint64_t threads;	     /* thread states whose heaps were read */
	uint64_t heaps;		     /* heaps walked */
	uint64_t heaps_skipped;	     /* failed the tag/tld/thread_id checks */
	uint64_t pages;		     /* pages with blocks in use, walked */
	uint64_t pages_empty;	     /* used == 0: nothing in use */
	uint64_t pages_skipped;	     /* unreadable or implausible */
	uint64_t pages_inconsistent; /* counts did not add up */
	uint64_t abandoned_segments; /* segments walked in the abandoned pool */
	uint64_t abandoned_pages;    /* of pages, those found there */
	uint64_t segments_skipped;   /* misaligned, unreadable or implausible */
	uint64_t live_blocks;	     /* reported as live */
	uint64_t live_by_tag[MIMALLOC_TAGS];
	uint64_t free_blocks;	  /* on any of the four free lists */
	uint64_t xthread_blocks;  /* of those, on xthread_free */
	uint64_t delayed_blocks;  /* of those, on thread_delayed_free */
	uint64_t entries_skipped; /* list entries off their page, misaligned,
				   * twice on lists, or delayed blocks of
				   * no page of their heap */
	uint64_t lists_cut;	  /* lists ended at a bound, a cycle or a
				   * failed read */
	uint64_t freelist_blocks; /* CPython freelist entries reported */
	uint64_t warnings;	  /* all of the above that is not normal */
	char warning[256];	  /* the first warning, or "" */
};

/* Called for each live block: its address, its size (mimalloc's block
 * size, which may exceed what was asked for) and its heap tag.  Return 0
 * to go on, nonzero to stop the walk. */
typedef int (*mimalloc_block_fn)(void *ctx, uint64_t block, uint64_t bsize, int tag);

/*
 * Enumerate the live blocks of interpreter interp (an address in p->t):
 * the heaps of its thread states whose mimalloc state is initialized, then
 * its abandoned pool, keeping the tags in tag_mask (bit t for tag t).  A
 * page is visited once even if the target lists it twice.
 *
 * Returns 0 when done, 1 when fn stopped the walk, -1 with err set when
 * the build has no mimalloc layout (HS_EUNSUPPORTED: not free-threaded,
 * or Py_DEBUG; HS_ELAYOUT: fields missing), when the interpreter's thread
 * list cannot be read, when the target is gone (HS_EGONE) or on HS_ENOMEM.
 * st (may be NULL) is zeroed first and filled even on failure.
 */
int mimalloc_blocks(struct pyproc *p, uint64_t interp, unsigned tag_mask, mimalloc_block_fn fn,
		    void *ctx, struct mimalloc_stats *st, struct hs_error *err);

/* A page of a heap, as mimalloc_pages reports it: its segment, where
 * its blocks start, their size, how many it has carved (capacity), can
 * hold (reserved) and has in use (used, cross-thread frees not yet
 * collected among them). */
struct mimalloc_page {
	uint64_t segment, start, bsize;
	uint32_t capacity, reserved, used;
	int tag;
};
typedef int (*mimalloc_page_fn)(void *ctx, const struct mimalloc_page *pg);

/* The pages of the same heaps as mimalloc_blocks, every tag, empty ones
 * too, without following their free lists (fast: one read per page).
 * Returns as mimalloc_blocks. */
int mimalloc_pages(struct pyproc *p, uint64_t interp, mimalloc_page_fn fn, void *ctx,
		   struct mimalloc_stats *st, struct hs_error *err);

/* Called for each entry of one of CPython's per-thread freelists: the
 * address on the list (the object's, i.e. block + the object offset of
 * its heap), and the index of its list in struct _Py_freelists (0 floats,
 * 1 ints, 2-21 tuples by size, ...).  Return nonzero to stop. */
typedef int (*mimalloc_freelist_fn)(void *ctx, uint64_t addr, int list);

/*
 * Enumerate the entries of the freelists of every thread state of interp
 * (_PyThreadStateImpl.freelists, pycore_freelist_state.h): memory that
 * mimalloc counts as allocated but that holds no live object, which a
 * caller excludes from the blocks of mimalloc_blocks (one list,
 * object_stack_chunks, holds PyMem_RawMalloc memory instead, outside
 * mimalloc: Python/object_stack.c:14-22).  Each list is
 * bounded by its size field and MIMALLOC_FREELIST_MAX, all of them by
 * MIMALLOC_FREELISTS_MAX; a cycle or a bad link ends a list.
 *
 * Returns 0, 1 when fn stopped, or -1 with err as mimalloc_blocks.  st
 * (may be NULL) is zeroed first; freelist_blocks counts the entries.
 */
int mimalloc_freelist_blocks(struct pyproc *p, uint64_t interp, mimalloc_freelist_fn fn, void *ctx,
			     struct mimalloc_stats *st, struct hs_error *err);

/*
 * 1 if the debug allocator (PYTHONMALLOC=debug) is on: then every block
 * starts with 16 bytes of the debug allocator's header.  0 if off, -1
 * with err if the flag cannot be read.
 */
int mimalloc_debug_allocator(struct pyproc *p, struct hs_error *err);

/*
 * Where the object of a block of heap tag starts, from the block's
 * address: 16 for tag 3 (the pre-header: managed weakref list and dict),
 * plus 16 when the debug allocator is on (read from the target at each
 * call: call it once per tag and keep the value; an unreadable flag
 * counts as off).
 */
uint64_t mimalloc_object_offset(struct pyproc *p, int tag);

#endif
