/*
 * mimalloc-dump - what lib/python/mimalloc.c finds in a live 3.14t.
 *
 *   mimalloc-dump [--no-stop] PID
 *
 * Attaches (freezing the process, unless --no-stop: then it reads the
 * process as it runs, and the walk must cope with heaps that change under
 * it), opens the free-threaded interpreter,
 * walks the mimalloc heaps of its main interpreter and prints, one
 * "key value" a line: the walk's time (with the GC bits read for every
 * block of heaps 2 and 3) and the pause, the live blocks (all four heaps, and by heap), the
 * walk's counters, its first warning, the largest block, the entries of
 * CPython's float freelist and how many of them are live blocks of heap
 * 1, then one "gc ADDR" line per object of heaps 2 and 3 that
 * gc.get_objects() would return (ob_gc_bits TRACKED and not FROZEN,
 * gc_free_threading.c:2515-2552).  For test_mimalloc.py, which compares
 * these with what the target said about itself.  Exits 1 with a message
 * on stderr when it cannot attach or walk.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "python/mimalloc.h"
#include "python/pyproc.h"
#include "target/fatal.h"
#include "target/target.h"

#define GC_TRACKED 0x01 /* pycore_gc.h:38-46 */
#define GC_FROZEN 0x08

struct dump {
	struct pyproc *p;
	uint64_t off[MIMALLOC_TAGS]; /* object offset of each heap */
	uint64_t *gc, *blocks1;	     /* GC objects; heap 1's live blocks */
	size_t ngc, nblocks1, capgc, capblocks1;
	uint64_t max_bsize, unreadable;
	int oom;
};

static int push(uint64_t **a, size_t *n, size_t *cap, uint64_t v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		uint64_t *x = realloc(*a, c * sizeof(*x));

		if (!x)
			return -1;
		*a = x;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int on_block(void *ctx, uint64_t block, uint64_t bsize, int tag)
{
	struct dump *d = ctx;
	const struct layout *l = &d->p->layout;
	uint64_t obj = block + d->off[tag];
	unsigned char bits;

	if (bsize > d->max_bsize)
		d->max_bsize = bsize;
	if (tag == MIMALLOC_TAG_OBJECT && push(&d->blocks1, &d->nblocks1, &d->capblocks1, block))
		goto oom;
	if (tag != MIMALLOC_TAG_GC && tag != MIMALLOC_TAG_GC_PRE)
		return 0;
	if (target_read(d->p->t, obj + LAY(l, object_gc_bits), &bits, 1, NULL)) {
		d->unreadable++;
		return 0;
	}
	if ((bits & GC_TRACKED) && !(bits & GC_FROZEN) && push(&d->gc, &d->ngc, &d->capgc, obj))
		goto oom;
	return 0;
oom:
	d->oom = 1;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct floats {
	struct dump *d;
	unsigned long n, live;
};

static int on_freelist(void *ctx, uint64_t addr, int list)
{
	struct floats *f = ctx;
	uint64_t block = addr - f->d->off[MIMALLOC_TAG_OBJECT];

	if (list != 0) /* struct _Py_freelists: floats first */
		return 0;
	f->n++;
	if (f->d->nblocks1 &&
	    bsearch(&block, f->d->blocks1, f->d->nblocks1, sizeof(block), cmp_u64))
		f->live++;
	return 0;
}

int main(int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct pyproc_options opt = { 0 };
	struct mimalloc_stats st, fst;
	struct target *t = NULL;
	struct floats fl = { 0 };
	struct dump d = { 0 };
	struct timespec t0, t1;
	struct pyproc p;
	unsigned flags = 0;
	int tag, ret = 1, debug;
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "--no-stop")) {
		flags = TARGET_NO_STOP;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: mimalloc-dump [--no-stop] PID\n");
		return 2;
	}
	fatal_install();
	if (target_attach(&t, (pid_t)atoi(argv[1]), flags, &err) || pyproc_open(&p, t, &opt, &err))
		goto out;
	d.p = &p;
	debug = mimalloc_debug_allocator(&p, &err);
	if (debug < 0)
		goto out_py;
	for (tag = 0; tag < MIMALLOC_TAGS; tag++)
		d.off[tag] = mimalloc_object_offset(&p, tag);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mimalloc_blocks(&p, p.interp, MIMALLOC_TAG_ALL, on_block, &d, &st, &err) || d.oom)
		goto out_py;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (d.nblocks1)
		qsort(d.blocks1, d.nblocks1, sizeof(*d.blocks1), cmp_u64);
	fl.d = &d;
	if (mimalloc_freelist_blocks(&p, p.interp, on_freelist, &fl, &fst, &err))
		goto out_py;
	/* let the target go before printing */
	target_resume(t);
	printf("version %s\n", p.version);
	printf("debug_allocator %d\n", debug);
	printf("walk_ms %.1f\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	printf("pause_ms %.1f\n", t->pause_ns / 1e6);
	printf("live %llu\n", (unsigned long long)st.live_blocks);
	for (tag = 0; tag < MIMALLOC_TAGS; tag++)
		printf("live_tag%d %llu\n", tag, (unsigned long long)st.live_by_tag[tag]);
#define S(f) printf(#f " %llu\n", (unsigned long long)st.f)
	S(threads);
	S(heaps);
	S(heaps_skipped);
	S(pages);
	S(pages_empty);
	S(pages_skipped);
	S(pages_inconsistent);
	S(abandoned_segments);
	S(abandoned_pages);
	S(segments_skipped);
	S(free_blocks);
	S(xthread_blocks);
	S(delayed_blocks);
	S(entries_skipped);
	S(lists_cut);
	S(warnings);
#undef S
	printf("warning %s\n", st.warning);
	printf("max_bsize %llu\n", (unsigned long long)d.max_bsize);
	printf("gc_bits_unreadable %llu\n", (unsigned long long)d.unreadable);
	printf("freelist_entries %llu\n", (unsigned long long)fst.freelist_blocks);
	printf("freelist_warnings %llu\n", (unsigned long long)fst.warnings);
	printf("float_freelist %lu\n", fl.n);
	printf("float_freelist_live %lu\n", fl.live);
	printf("gc_objects %zu\n", d.ngc);
	for (i = 0; i < d.ngc; i++)
		printf("gc %#llx\n", (unsigned long long)d.gc[i]);
	ret = 0;
out_py:
	pyproc_release(&p);
out:
	target_close(t);
	if (ret)
		fprintf(stderr, "mimalloc-dump: %s%s%s\n", err.msg[0] ? err.msg : "out of memory",
			err.hint[0] ? "; " : "", err.hint);
	free(d.gc);
	free(d.blocks1);
	return ret;
}
