/*
 * image.c - copy a frozen process's writable memory (see image.h).
 */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "base/bigmem.h"
#include "base/task.h"
#include "image.h"
#include "maps.h"

#define CHUNK (64u << 20) /* bytes per process_vm_readv */

uint64_t image_default_budget(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? kb * 1024 / 2 : 1ull << 30;
}

void image_plan_release(struct image_plan *pl)
{
	size_t i;

	big_populate_wait(); /* none of the buffers is being populated */
	for (i = 0; i < pl->n; i++)
		if (pl->r[i].buf && !pl->r[i].packed)
			munmap(pl->r[i].buf, pl->r[i].len);
	if (pl->slab)
		munmap(pl->slab, pl->slab_len);
	free(pl->r);
	free(pl->seen);
	target_close(pl->files);
	memset(pl, 0, sizeof(*pl));
}

#define PAYLOAD_MIN (1u << 20) /* smaller mappings and chunks are copied whole */
#define CHUNK_MIN (128u << 10) /* glibc's smallest mmap threshold */
#define MAX_CHUNKS 65536       /* chunks looked at in one mapping */
#define REGIONS_PER_MAPPING 16 /* room planned per mapping */
#define GLIBC_IS_MMAPPED 2ull
#define RAW_SAMPLES 128 /* words of a large chunk looked at */
#define RAW_HEAD (64u << 10)
#define MAX_FILES 1024 /* files opened: past them, mappings are copied */

/* Room for n more regions.  0, or -1 out of memory. */
static int plan_room(struct image_plan *pl, size_t n)
{
	struct image_region *r;
	size_t cap = pl->cap ? pl->cap : 64;

	if (pl->n + n <= pl->cap)
		return 0;
	while (cap < pl->n + n)
		cap *= 2;
	r = realloc(pl->r, cap * sizeof(*r));
	if (!r)
		return -1;
	pl->r = r;
	pl->cap = cap;
	return 0;
}

/* Append [addr, addr+len) to the plan (the array has room). */
static void plan_add(struct image_plan *pl, uint64_t addr, uint64_t len, int sparse)
{
	if (!len)
		return;
	pl->r[pl->n] = (struct image_region){ .addr = addr, .len = len, .sparse = sparse };
	pl->n++;
}

/* Memory that is no file's: what the process never touched is zeros. */
static int anonymous(const struct map_entry *e)
{
	return !e->inode && (!e->path[0] || e->path[0] == '[');
}

static int count_run(void *ctx, uint64_t s, uint64_t e)
{
	*(uint64_t *)ctx += e - s;
	return 0;
}

/* Fault our copy of [s, e) of a region in now, before the freeze. */
/* The prefault: the copy's buffers populated before the freeze (the
 * kernel zeroing each page, a third of a capture's time on a virtual
 * machine), on both cores (bigmem.h). */
struct prefault {
	struct image_region *r;
};

static int prefault_run(void *ctx, uint64_t s, uint64_t e)
{
	struct image_region *r = ((struct prefault *)ctx)->r;

	big_populate_fresh((char *)r->buf + (s - r->addr), e - s);
	return 0;
}

/* A region all or most of whose pages are populated. */
static int dense(const struct image_region *r)
{
	return !r->sparse || r->populated / 8 * 9 >= r->len;
}

/* Copies of 2 MiB and more, all or most of them populated, in huge
 * pages where the kernel has them (transparent huge pages, "madvise"):
 * the kernel copies into 4 KiB pages several times slower, page by
 * page, and the walk's random reads miss the TLB less.  A sparse region
 * would be populated 2 MiB for every page copied, so it keeps small
 * pages (bigmem.h: from 2 MiB on). */
static void huge_pages(const struct image_region *r)
{
	if (dense(r))
		big_advise(r->buf, r->len);
}

/*
 * The slab: one mapping for the dense regions under BIGMEM_BYTES, laid
 * side by side from a 2 MiB boundary, in huge pages.  0, or -1 when it
 * cannot be mapped.
 */
static int plan_slab(struct image_plan *pl)
{
	size_t i, len = 0, off = 0;
	uintptr_t at;
	void *b;

	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];

		r->packed = r->len < BIGMEM_BYTES && dense(r);
		if (r->packed)
			len += r->len;
	}
	if (!len)
		return 0;
	/* room to start on a 2 MiB boundary */
	pl->slab_len = len + BIGMEM_BYTES;
	b = mmap(NULL, pl->slab_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b == MAP_FAILED) {
		for (i = 0; i < pl->n; i++)
			pl->r[i].packed = 0;
		pl->slab_len = 0;
		return -1;
	}
	pl->slab = b;
	at = ((uintptr_t)b + BIGMEM_BYTES - 1) & ~(uintptr_t)(BIGMEM_BYTES - 1);
	big_advise((void *)at, len);
	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];

		if (r->packed) {
			r->buf = (char *)at + off;
			off += r->len;
		}
	}
	return 0;
}

/* Could word v point into the process (a user address, 8-aligned, above
 * the first pages)? */
static int pointer_like(uint64_t v)
{
	return v >= 0x10000 && v < (1ull << 47) && !(v & 7);
}

/*
 * Whether the len bytes at addr, the memory of one large malloc'ed
 * block, hold raw data: numbers, pixels, text - a numpy array's data, a
 * bytearray's bytes - in which the walk looks for no object.  They do if
 * no word of a sample across them (their first words, where an object's
 * type would be, among them) could be a pointer, and most are not zero.
 * Every structure the walk reads in a block of its own has pointers all
 * through it - an object's header, a list's items, a set's or a dict's
 * entries - or, a dict emptied by deletions (which keeps its table),
 * mostly zeros where its entries were.
 */
static int raw_data(pid_t pid, uint64_t addr, uint64_t len)
{
	uint64_t w[RAW_SAMPLES], step = len / RAW_SAMPLES & ~7ull;
	struct iovec local = { w, sizeof(w) }, remote[RAW_SAMPLES];
	size_t i, nonzero = 0;

	for (i = 0; i < RAW_SAMPLES; i++) {
		/* the first four words, then evenly across */
		uint64_t off = i < 4 ? 8 * i : step * i;

		remote[i].iov_base = (void *)(uintptr_t)(addr + off);
		remote[i].iov_len = 8;
	}
	if (process_vm_readv(pid, &local, 1, remote, RAW_SAMPLES, 0) != (ssize_t)sizeof(w))
		return 0;
	for (i = 0; i < RAW_SAMPLES; i++) {
		if (pointer_like(w[i]))
			return 0;
		nonzero += w[i] != 0;
	}
	return nonzero > RAW_SAMPLES / 2;
}

/*
 * Plan an anonymous mapping.  glibc gives each large allocation a mapping
 * of its own, starting with the chunk header {prev_size 0, size |
 * IS_MMAPPED}, and the kernel merges neighbouring ones into one mapping.
 * Chunk by chunk: one that holds a str or bytes object (its type at +24
 * of the chunk) has its value in the rest, of which the walk reads only
 * the start; one of PAYLOAD_MIN bytes or more that holds raw data
 * (raw_chunk) is read only up to RAW_HEAD (a bytearray's value text).
 * Anything that does not read as such a chain of chunks is copied whole.  At most
 * REGIONS_PER_MAPPING regions are added (the array has room for them).
 */
/*
 * Whether mapping e is the rest of one large block whose chunk header is
 * on the page before it, in the mapping just before: numpy advises the
 * kernel to back an array's data with huge pages from the first page
 * boundary on, which splits the block's mapping there (and the kernel
 * may merge the first page with the mapping before).
 */
static int chunk_tail(pid_t pid, const struct map_entry *e, const struct image_plan *pl)
{
	const struct image_seen *prev = pl->nseen >= 2 ? &pl->seen[pl->nseen - 2] : NULL;
	uint64_t w[2], chunk = e->start - 4096;
	struct iovec local = { w, sizeof(w) };
	struct iovec remote = { (void *)(uintptr_t)chunk, sizeof(w) };

	if (!prev || prev->end != e->start || prev->start > chunk || prev->inode ||
	    !(prev->prot & MAP_W))
		return 0;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(w) && w[0] == 0 &&
	       w[1] & GLIBC_IS_MMAPPED && chunk + (w[1] & ~7ull) == e->end;
}

static void plan_mapping(pid_t pid, const struct map_entry *e, const uint64_t *types, size_t ntypes,
			 struct image_plan *pl)
{
	uint64_t at = e->start, whole = e->start, len = e->end - e->start;
	size_t i, chunks = 0, max = pl->n + REGIONS_PER_MAPPING;

	if (len < PAYLOAD_MIN || e->path[0] || !ntypes) {
		plan_add(pl, e->start, len, anonymous(e));
		return;
	}
	if (chunk_tail(pid, e, pl) && raw_data(pid, e->start, len)) {
		plan_add(pl, e->start, RAW_HEAD, 1);
		pl->skipped += len - RAW_HEAD;
		return;
	}
	while (at < e->end && chunks++ < MAX_CHUNKS && pl->n + 2 < max) {
		uint64_t w[4], size;
		struct iovec local = { w, sizeof(w) };
		struct iovec remote = { (void *)(uintptr_t)at, sizeof(w) };
		uint64_t head = 0;

		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(w) ||
		    w[0] != 0 || !(w[1] & GLIBC_IS_MMAPPED))
			break;
		size = w[1] & ~7ull;
		if (size < CHUNK_MIN || size > e->end - at || size % 4096)
			break;
		for (i = 0; i < ntypes; i++)
			if (types[i] && w[3] == types[i])
				head = IMAGE_PAYLOAD_HEAD;
		if (!head && size >= PAYLOAD_MIN && raw_data(pid, at + 16, size - 16))
			head = RAW_HEAD;
		if (head) {
			/* what came before in full, then the head of this one */
			plan_add(pl, whole, at - whole, 1);
			plan_add(pl, at, head < size ? head : size, 1);
			pl->skipped += size > head ? size - head : 0;
			whole = at + size;
		}
		at += size;
	}
	plan_add(pl, whole, e->end - whole, 1);
}

/* The files opened so far, one descriptor per file. */
struct opened {
	uint64_t dev[MAX_FILES], inode[MAX_FILES];
	int idx[MAX_FILES];
	size_t n;
};

/*
 * Serve mapping e from its file if the process's memory there is the
 * file's bytes: read-only, and shared or never written to.  1 if it is
 * now read from the file, 0 if it must be copied, -1 out of memory.
 */
static int from_file(pid_t pid, const struct map_entry *e, struct image_plan *pl, struct opened *o)
{
	struct hs_error err = HS_ERROR_INIT;
	size_t i;
	int file = -1;

	if (e->prot & MAP_W || !e->inode || e->path[0] != '/' ||
	    (!(e->prot & MAP_S) && maps_private_pages(pid, e) != 0))
		return 0;
	for (i = 0; i < o->n; i++)
		if (o->dev[i] == e->dev && o->inode[i] == e->inode)
			file = o->idx[i];
	if (file < 0) {
		int fd;

		if (o->n == MAX_FILES || (fd = maps_open_file(pid, e)) < 0)
			return 0;
		file = target_files_add_file(pl->files, fd, &err);
		if (file < 0)
			return err.code == HS_ENOMEM ? -1 : 0;
		o->dev[o->n] = e->dev;
		o->inode[o->n] = e->inode;
		o->idx[o->n++] = file;
	}
	if (target_files_add_map(pl->files, e->start, e->end, e->offset, file, &err))
		return err.code == HS_ENOMEM ? -1 : 0;
	pl->from_files += e->end - e->start;
	return 1;
}

/* Whether mapping e holds the process's data: readable, and not the
 * kernel's own pages. */
static int wanted(const struct map_entry *e)
{
	return e->prot & MAP_R && e->end > e->start && strcmp(e->path, "[vvar]") &&
	       strcmp(e->path, "[vsyscall]");
}

int image_plan(pid_t pid, uint64_t budget, const uint64_t *payload_types, size_t ntypes,
	       struct image_plan *pl, struct hs_error *err)
{
	struct opened *o = NULL;
	struct prefault pf = { NULL };
	struct maps m;
	size_t i;
	int ret = -1, pagemap = -1;

	memset(pl, 0, sizeof(*pl));
	pl->budget = budget;
	if (maps_read(&m, pid, err))
		return -1;
	pl->seen = calloc(m.n, sizeof(*pl->seen));
	pl->files = target_files_new();
	o = calloc(1, sizeof(*o));
	if (!pl->seen || !pl->files || !o)
		goto nomem;
	for (i = 0; i < m.n; i++) {
		const struct map_entry *e = &m.v[i];
		int f;

		if (!wanted(e))
			continue;
		pl->seen[pl->nseen++] = (struct image_seen){
			.start = e->start,
			.end = e->end,
			.inode = e->inode,
			.prot = e->prot,
		};
		f = from_file(pid, e, pl, o);
		if (f < 0 || plan_room(pl, REGIONS_PER_MAPPING))
			goto nomem;
		if (f)
			continue;
		if (e->prot & MAP_W)
			plan_mapping(pid, e, payload_types, ntypes, pl);
		else
			plan_add(pl, e->start, e->end - e->start, anonymous(e));
	}
	/* what will be copied: the populated part of anonymous memory */
	pagemap = maps_pagemap_open(pid);
	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];

		if (r->sparse && (pagemap < 0 || maps_populated(pagemap, r->addr, r->addr + r->len,
								count_run, &r->populated)))
			r->sparse = 0;
		pl->total += r->sparse ? r->populated : r->len;
	}
	if (pl->total > budget) {
		ret = 1;
		goto out;
	}
	if (plan_slab(pl)) {
		int e = errno;

		image_plan_release(pl);
		hs_error_errno(err, HS_ENOMEM, e, "cannot reserve memory for the copy");
		goto out;
	}
	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];

		if (!r->packed) {
			void *b = mmap(NULL, r->len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (b == MAP_FAILED) {
				int e = errno;

				image_plan_release(pl);
				hs_error_errno(err, HS_ENOMEM, e,
					       "cannot reserve memory for the copy");
				goto out;
			}
			r->buf = b;
			huge_pages(r);
		}
		pf.r = r;
		if (r->sparse)
			maps_populated(pagemap, r->addr, r->addr + r->len, prefault_run, &pf);
		else
			prefault_run(&pf, r->addr, r->addr + r->len);
	}
	big_populate_wait();
	ret = 0;
	goto out;
nomem:
	image_plan_release(pl);
	hs_error_set(err, HS_ENOMEM, "out of memory");
out:
	if (pagemap >= 0)
		close(pagemap);
	free(o);
	maps_release(&m);
	return ret;
}

/* Add [start, end), which the plan did not see, to be copied now. */
static int add_late(struct image_plan *pl, uint64_t start, uint64_t end, int sparse)
{
	void *b;

	if (start >= end)
		return 0;
	if (pl->total + pl->late + (end - start) > pl->budget) {
		pl->missed += end - start;
		return 0;
	}
	if (plan_room(pl, 1))
		return -1;
	b = mmap(NULL, end - start, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b == MAP_FAILED)
		return -1;
	pl->r[pl->n++] = (struct image_region){
		.addr = start, .len = end - start, .buf = b, .sparse = sparse
	};
	pl->late += end - start;
	return 0;
}

/*
 * While frozen: what the process mapped, or grew, since the plan (a
 * [heap] grown by brk, a new arena, a library loaded) is added: copied
 * into fresh memory, or read from its file.  Parts the plan saw with the
 * same file and writability are left as planned.
 */
static int plan_late(pid_t pid, struct image_plan *pl, struct hs_error *err)
{
	struct opened *o = calloc(1, sizeof(*o));
	struct maps m;
	size_t i, k = 0;
	int ret = -1;

	if (!o)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (maps_read(&m, pid, err)) {
		free(o);
		return -1;
	}
	for (i = 0; i < m.n; i++) {
		const struct map_entry *e = &m.v[i];
		uint64_t at = e->start;
		size_t j;
		int whole = 1;

		if (!wanted(e))
			continue;
		/* seen is sorted: skip what ends before e, then subtract */
		while (k < pl->nseen && pl->seen[k].end <= e->start)
			k++;
		for (j = k; j < pl->nseen && pl->seen[j].start < e->end; j++) {
			const struct image_seen *s = &pl->seen[j];

			if (s->inode != e->inode || (s->prot & MAP_W) != (e->prot & MAP_W))
				continue;
			whole = 0;
			if (s->start > at && add_late(pl, at, s->start, anonymous(e)))
				goto nomem;
			if (s->end > at)
				at = s->end;
		}
		if (whole) {
			int f = from_file(pid, e, pl, o);

			if (f < 0)
				goto nomem;
			if (f)
				continue;
		}
		if (at < e->end && add_late(pl, at, e->end, anonymous(e)))
			goto nomem;
	}
	ret = 0;
	goto out;
nomem:
	hs_error_set(err, HS_ENOMEM, "out of memory");
out:
	free(o);
	maps_release(&m);
	return ret;
}
/* Copy [addr, addr+len) of the process into buf in chunks; returns the
 * bytes copied (a prefix), and sets *gone when the process has lost its
 * memory (it is exiting). */
static size_t copy_range(pid_t pid, uint64_t addr, size_t len, char *buf, int *gone)
{
	size_t done = 0;

	while (done < len && !__atomic_load_n(gone, __ATOMIC_RELAXED)) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;
		struct iovec local = { buf + done, n };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), n };
		ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (got < 0 && errno == ESRCH)
			__atomic_store_n(gone, 1, __ATOMIC_RELAXED);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return done;
}

struct sparse_copy {
	pid_t pid;
	struct image_region *r;
	size_t copied;
	int *gone;
};

static int copy_run(void *ctx, uint64_t s, uint64_t e)
{
	struct sparse_copy *c = ctx;

	c->copied += copy_range(c->pid, s, (size_t)(e - s), (char *)c->r->buf + (s - c->r->addr),
				c->gone);
	return __atomic_load_n(c->gone, __ATOMIC_RELAXED);
}

/*
 * The copy on both cores: one core's process_vm_readv ran at 6 GB/s
 * here, two at 11 GB/s, and the copy is the target's pause.  The work
 * is cut into units: a sparse region whole (its populated pages as the
 * pagemap says now, while frozen: the plan's view may be older), a whole
 * one in pieces of COPY_UNIT.  Both threads take units in turn; a whole
 * region keeps the prefix up to its first piece cut short (got[], the
 * least such end), as one thread copying it in order would.
 */
#define COPY_UNIT (2u << 20) /* a huge page */

struct copy_unit {
	size_t region;
	uint64_t off, len;
};

struct copy_work {
	pid_t pid;
	int pagemap;
	struct image_region *r;
	uint64_t *got; /* per region: its readable prefix, or a sparse
			* one's bytes copied */
	struct copy_unit *unit;
	size_t nunit, next; /* next: taken by both threads */
	int gone;
};

static void copy_unit(struct copy_work *w, const struct copy_unit *u)
{
	struct image_region *r = &w->r[u->region];
	uint64_t *got = &w->got[u->region], had, end;
	size_t n;

	if (r->sparse) {
		struct sparse_copy c = { w->pid, r, 0, &w->gone };

		if (w->pagemap >= 0 &&
		    !maps_populated(w->pagemap, r->addr, r->addr + r->len, copy_run, &c)) {
			*got = c.copied;
			return;
		}
		r->sparse = 0; /* its unit is the whole region */
		*got = copy_range(w->pid, r->addr, r->len, r->buf, &w->gone);
		return;
	}
	n = copy_range(w->pid, r->addr + u->off, u->len, (char *)r->buf + u->off, &w->gone);
	if (n == u->len)
		return;
	/* cut short: the prefix ends here at most */
	end = u->off + n;
	had = __atomic_load_n(got, __ATOMIC_RELAXED);
	while (end < had &&
	       !__atomic_compare_exchange_n(got, &had, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void *copy_units(void *arg)
{
	struct copy_work *w = arg;
	size_t k;

	while (!__atomic_load_n(&w->gone, __ATOMIC_RELAXED) &&
	       (k = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->nunit)
		copy_unit(w, &w->unit[k]);
	return NULL;
}

/* Copy every region of pl on both cores, into w->got; -1 out of memory. */
static int copy_all(struct copy_work *w, struct image_plan *pl)
{
	struct task helper;
	size_t i, n = 0;

	for (i = 0; i < pl->n; i++)
		n += pl->r[i].sparse ? 1 : (pl->r[i].len + COPY_UNIT - 1) / COPY_UNIT;
	w->r = pl->r;
	w->got = calloc(pl->n ? pl->n : 1, sizeof(*w->got));
	w->unit = calloc(n ? n : 1, sizeof(*w->unit));
	if (!w->got || !w->unit)
		return -1;
	for (i = 0; i < pl->n; i++) {
		const struct image_region *r = &pl->r[i];
		uint64_t off = 0;

		w->got[i] = r->len;
		do {
			uint64_t len =
				r->sparse || r->len - off < COPY_UNIT ? r->len - off : COPY_UNIT;

			w->unit[w->nunit++] = (struct copy_unit){ i, off, len };
			off += len;
		} while (off < r->len);
	}
	task_start(&helper, copy_units, w);
	copy_units(w);
	task_wait(&helper);
	return 0;
}

int image_copy(pid_t pid, struct image_plan *pl, struct target **out, uint64_t *copied,
	       struct hs_error *err)
{
	struct copy_work w = { .pid = pid };
	struct target *t = NULL;
	size_t i;
	int ret = -1;

	*copied = 0;
	if (plan_late(pid, pl, err))
		return -1;
	w.pagemap = maps_pagemap_open(pid);
	if (copy_all(&w, pl) || !(t = target_image_new())) {
		hs_error_set(err, HS_ENOMEM, "out of memory");
		goto out;
	}
	/* a copy that lost the process is not the memory it had */
	if (w.gone) {
		hs_error_set(err, HS_EGONE, "process %d exited during the capture", (int)pid);
		goto out;
	}
	t->pid = pid;
	target_image_set_fallback(t, pl->files);
	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];
		size_t got = (size_t)w.got[i];

		if (!got && !r->sparse)
			continue;
		/* keep only the readable prefix (whole pages) */
		if (!r->sparse && got < r->len) {
			size_t keep = (got + 4095) & ~(size_t)4095;

			if (keep < r->len && !r->packed)
				munmap((char *)r->buf + keep, r->len - keep);
			r->len = got;
		}
		if (r->packed ? target_image_add_view(t, r->addr, r->buf, r->len, err)
			      : target_image_adopt(t, r->addr, r->buf, r->len, err))
			goto out;
		r->buf = NULL;
		*copied += got;
	}
	if (pl->slab) {
		target_image_hold(t, pl->slab, pl->slab_len);
		pl->slab = NULL;
	}
	*out = t;
	t = NULL;
	ret = 0;
out:
	if (t)
		target_close(t);
	if (w.pagemap >= 0)
		close(w.pagemap);
	free(w.got);
	free(w.unit);
	return ret;
}
