/*
 * walk_ft.c - what a free-threaded build (3.14t) changes in the walk.
 *
 * Its collector keeps no lists: every object lives in a block of
 * mimalloc's heaps (python/mimalloc.h), the GC heaps holding what the
 * collector tracks and the object heap str, int, float and the other
 * non-GC objects, which nothing but reachability would find.  Every live
 * block of the three object heaps of every thread, and of the segments
 * of threads that exited, is a seed; blocks on CPython's own per-thread
 * freelists are allocated but hold no object and are left out.
 *
 * References are counted in several places (CPYTHON-3.14.md §B.1): the
 * header's local and shared counts (walk.c header_count), per-thread
 * arrays for heap types, code objects and module dicts (loaded here,
 * summed over threads), and each thread's biased-refcount queue, whose
 * entries hold a reference each: they are roots of their thread.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/mimalloc.h"
#include "walk_internal.h"

#define MAX_THREAD_REFS (1u << 22) /* unique ids in one interpreter */
#define MAX_THREADS 65536	   /* thread states of one interpreter */
#define MAX_QUEUE_CHUNKS 65536	   /* chunks of one biased-refcount queue */
#define QUEUE_CHUNK_OBJS 254	   /* _PyObjectStackChunk.objs */
#define MAX_CSTACK_REFS 65536

/* The per-thread counts of every thread state of interp, added up. */
static int load_thread_refs(struct walker *w, uint64_t interp)
{
	const struct layout *l = w->l;
	uint64_t ts;
	size_t n = 0;

	if (!LAY_HAS(l, tstateimpl_refcounts_values) || !LAY_HAS(l, tstateimpl_refcounts_size) ||
	    pyproc_first_tstate(w->p, interp, &ts, NULL))
		return 0;
	for (; ts && n++ < MAX_THREADS; ts = field64(w, ts, LAY(l, tstate_next))) {
		uint64_t values = field64(w, ts, LAY(l, tstateimpl_refcounts_values));
		uint64_t size = field64(w, ts, LAY(l, tstateimpl_refcounts_size));
		int64_t buf[512];
		uint64_t i, k;

		if (!values || !size)
			continue;
		if (size > MAX_THREAD_REFS) {
			walk_warn(w, "a thread claims %llu per-thread reference counts",
				  (unsigned long long)size);
			continue;
		}
		if (size > w->nthread_refs) {
			int64_t *t = realloc(w->thread_refs, size * sizeof(*t));

			if (!t) {
				w->oom = 1;
				return -1;
			}
			memset(t + w->nthread_refs, 0, (size - w->nthread_refs) * sizeof(*t));
			w->thread_refs = t;
			w->nthread_refs = size;
		}
		for (i = 0; i < size; i += 512) {
			uint64_t m = size - i < 512 ? size - i : 512;

			if (wread(w, values + 8 * i, buf, 8 * m)) {
				walk_warn(w, "unreadable per-thread reference counts at 0x%llx",
					  (unsigned long long)values);
				break;
			}
			for (k = 0; k < m; k++)
				w->thread_refs[i + k] += buf[k];
		}
	}
	return 0;
}

/* Objects on CPython's freelists: a set by address (open addressing). */
static int freelist_add(void *ctx, uint64_t block, int list)
{
	struct walker *w = ctx;
	size_t k;

	(void)list;
	if ((w->nfree + 1) * 2 > w->free_mask + 1) {
		size_t nslots = w->free_mask ? 2 * (w->free_mask + 1) : 1024, i;
		uint64_t *s = calloc(nslots, sizeof(*s));

		if (!s) {
			w->oom = 1;
			return -1;
		}
		for (i = 0; w->free_set && i <= w->free_mask; i++) {
			if (!w->free_set[i])
				continue;
			for (k = heap_hash64(w->free_set[i]) & (nslots - 1); s[k];
			     k = (k + 1) & (nslots - 1))
				;
			s[k] = w->free_set[i];
		}
		free(w->free_set);
		w->free_set = s;
		w->free_mask = nslots - 1;
	}
	for (k = heap_hash64(block) & w->free_mask; w->free_set[k]; k = (k + 1) & w->free_mask)
		if (w->free_set[k] == block)
			return 0;
	w->free_set[k] = block;
	w->nfree++;
	return 0;
}

static int on_freelist(const struct walker *w, uint64_t block)
{
	size_t k;

	if (!w->free_set)
		return 0;
	for (k = heap_hash64(block) & w->free_mask; w->free_set[k]; k = (k + 1) & w->free_mask)
		if (w->free_set[k] == block)
			return 1;
	return 0;
}

int walk_ft_prepare(struct walker *w, uint64_t interp)
{
	struct hs_error err = HS_ERROR_INIT;

	int tag;

	if (load_thread_refs(w, interp))
		return -1;
	if (mimalloc_freelist_blocks(w->p, interp, freelist_add, w, NULL, &err) < 0 && !w->oom)
		walk_warn(w, "CPython's freelists could not be read: %s", err.msg);
	for (tag = 0; tag < 4; tag++)
		w->ft_offset[tag] = mimalloc_object_offset(w->p, tag);
	return w->oom ? -1 : 0;
}

/*
 * A block is an object's when its type fits the heap it was allocated
 * from (pycore_object_alloc.h _PyObject_GetAllocationHeap): GC types in
 * the GC heaps, those with a pre-header (managed dict or weakref) in
 * heap 3 only, the rest in the object heap, which other allocations of
 * PyObject_Malloc share.
 */
static int fits_heap(struct walker *w, uint64_t obj, int tag)
{
	uint64_t type = field64(w, obj, LAY(w->l, object_type));
	struct tinfo *ti = type ? walk_type(w, type) : NULL;
	int gc, pre;

	if (!ti)
		return 0;
	gc = !!(ti->flags & TPF_HAVE_GC);
	pre = !!(ti->flags & (TPF_MANAGED_DICT | TPF_MANAGED_WEAKREF));
	return tag == 1 ? !gc : tag == 2 ? gc && !pre : gc && pre;
}

static int seed_block(void *ctx, uint64_t block, uint64_t bsize, int tag)
{
	struct walker *w = ctx;
	uint64_t obj = block + w->ft_offset[tag & 3];

	(void)bsize;
	if (on_freelist(w, obj) || !fits_heap(w, obj, tag))
		return 0;
	walk_obj(w, obj);
	return w->oom;
}

void walk_ft_seed(struct walker *w, uint64_t interp)
{
	struct mimalloc_stats st = { 0 };
	struct hs_error err = HS_ERROR_INIT;

	/* the object heap and both GC heaps (with and without pre-header) */
	if (mimalloc_blocks(w->p, interp, 1u << 1 | 1u << 2 | 1u << 3, seed_block, w, &st, &err) <
		    0 &&
	    !w->oom)
		walk_warn(w, "mimalloc's heaps could not be walked: %s", err.msg);
	if (st.warning[0])
		walk_warn(w, "%s", st.warning);
}

/* Each object on a _PyObjectStack (a chain of chunks from head), as a
 * root of the thread labelled lab. */
static void queue_roots(struct walker *w, uint64_t head, const char *name)
{
	const struct layout *l = w->l;
	uint64_t chunk = head, objs[QUEUE_CHUNK_OBJS];
	size_t nchunks = 0;

	for (; chunk && nchunks++ < MAX_QUEUE_CHUNKS;
	     chunk = field64(w, chunk, LAY(l, objstack_prev))) {
		int64_t n = (int64_t)field64(w, chunk, LAY(l, objstack_n)), i;

		if (n < 0 || n > QUEUE_CHUNK_OBJS ||
		    wread(w, chunk + LAY(l, objstack_objs), objs, 8 * (size_t)n)) {
			walk_warn(w, "a biased-refcount queue chunk at 0x%llx is damaged",
				  (unsigned long long)chunk);
			return;
		}
		for (i = 0; i < n; i++)
			walk_emit(w, objs[i], HEAP_EDGE(HE_STRONG, HN_FIELD, walk_field(w, name)));
	}
}

void walk_ft_thread_roots(struct walker *w, uint64_t tstate)
{
	const struct layout *l = w->l;
	uint64_t r;
	size_t n = 0;

	if (LAY_HAS(l, tstateimpl_brc_objects))
		queue_roots(w, field64(w, tstate, LAY(l, tstateimpl_brc_objects)),
			    "biased-refcount queue");
	if (LAY_HAS(l, tstateimpl_brc_local_objects))
		queue_roots(w, field64(w, tstate, LAY(l, tstateimpl_brc_local_objects)),
			    "biased-refcount queue");
	/* C code's stack references: _PyCStackRef {ref; next} */
	if (!LAY_HAS(l, tstateimpl_c_stack_refs))
		return;
	for (r = field64(w, tstate, LAY(l, tstateimpl_c_stack_refs)); r && n++ < MAX_CSTACK_REFS;
	     r = field64(w, r, 8)) {
		uint64_t v = field64(w, r, 0);

		/* a stack reference: bit 0 a deferred one, 3 a tagged int */
		if ((v & 3) == 3 || !(v & ~1ull))
			continue;
		walk_emit(w, v & ~1ull,
			  HEAP_EDGE(v & 1 ? HE_BORROWED : HE_STRONG, HN_FIELD,
				    walk_field(w, "C stack reference")));
	}
}

void walk_ft_release(struct walker *w)
{
	free(w->thread_refs);
	free(w->free_set);
	w->thread_refs = NULL;
	w->free_set = NULL;
	w->nthread_refs = w->nfree = 0;
	w->free_mask = 0;
}
