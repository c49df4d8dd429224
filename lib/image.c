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
#include "image.h"
#include "maps.h"

#define CHUNK (64u << 20)	/* bytes per process_vm_readv */

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

	for (i = 0; i < pl->n; i++)
		if (pl->r[i].buf)
			munmap(pl->r[i].buf, pl->r[i].len);
	free(pl->r);
	memset(pl, 0, sizeof(*pl));
}

#define PAYLOAD_MIN (1u << 20)	/* smaller mappings and chunks are copied whole */
#define CHUNK_MIN (128u << 10)	/* glibc's smallest mmap threshold */
#define MAX_CHUNKS 65536		/* chunks looked at in one mapping */
#define REGIONS_PER_MAPPING 16	/* room planned per mapping */
#define GLIBC_IS_MMAPPED 2ull

/* Append [addr, addr+len) to the plan (the array has room). */
static void plan_add(struct image_plan *pl, uint64_t addr, uint64_t len)
{
	if (!len)
		return;
	pl->r[pl->n].addr = addr;
	pl->r[pl->n].len = len;
	pl->total += len;
	pl->n++;
}

/*
 * Plan an anonymous mapping.  glibc gives each large allocation a mapping
 * of its own, starting with the chunk header {prev_size 0, size |
 * IS_MMAPPED}, and the kernel merges neighbouring ones into one mapping.
 * Chunk by chunk: one that holds a str or bytes object (its type at +24
 * of the chunk) has its value in the rest, of which the walk reads only
 * the start.  Anything that does not read as such a chain of chunks is
 * copied whole.  At most max regions are added.
 */
static void plan_mapping(pid_t pid, const struct map_entry *e, const uint64_t *types,
			 size_t ntypes, struct image_plan *pl, size_t max)
{
	uint64_t at = e->start, whole = e->start;
	size_t i, chunks = 0;

	if (e->end - e->start < PAYLOAD_MIN || e->path[0] || !ntypes) {
		plan_add(pl, e->start, e->end - e->start);
		return;
	}
	while (at < e->end && chunks++ < MAX_CHUNKS && pl->n + 2 < max) {
		uint64_t w[4], size;
		struct iovec local = { w, sizeof(w) };
		struct iovec remote = { (void *)(uintptr_t)at, sizeof(w) };
		int payload = 0;

		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(w) ||
		    w[0] != 0 || !(w[1] & GLIBC_IS_MMAPPED))
			break;
		size = w[1] & ~7ull;
		if (size < CHUNK_MIN || size > e->end - at || size % 4096)
			break;
		for (i = 0; i < ntypes; i++)
			if (types[i] && w[3] == types[i])
				payload = 1;
		if (payload) {
			/* what came before in full, then the head of this one */
			plan_add(pl, whole, at - whole);
			plan_add(pl, at, IMAGE_PAYLOAD_HEAD < size ? IMAGE_PAYLOAD_HEAD : size);
			pl->skipped += size > IMAGE_PAYLOAD_HEAD ? size - IMAGE_PAYLOAD_HEAD : 0;
			whole = at + size;
		}
		at += size;
	}
	plan_add(pl, whole, e->end - whole);
}

int image_plan(pid_t pid, uint64_t budget, const uint64_t *payload_types, size_t ntypes,
	       struct image_plan *pl, struct hs_error *err)
{
	struct maps m;
	size_t i;

	memset(pl, 0, sizeof(*pl));
	if (maps_read(&m, pid, err))
		return -1;
	pl->r = calloc(m.n ? m.n * REGIONS_PER_MAPPING : 1, sizeof(*pl->r));
	if (!pl->r) {
		maps_release(&m);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	for (i = 0; i < m.n; i++) {
		const struct map_entry *e = &m.v[i];

		/* the kernel's own pages are not the process's data */
		if ((e->prot & (MAP_R | MAP_W)) != (MAP_R | MAP_W) || !strcmp(e->path, "[vvar]") ||
		    !strcmp(e->path, "[vsyscall]") || e->end <= e->start)
			continue;
		plan_mapping(pid, e, payload_types, ntypes, pl,
			     pl->n + REGIONS_PER_MAPPING);
	}
	maps_release(&m);
	if (pl->total > budget) {
		free(pl->r);
		pl->r = NULL;
		pl->n = 0;
		return 1;
	}
	for (i = 0; i < pl->n; i++) {
		void *b = mmap(NULL, pl->r[i].len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_NORESERVE, -1, 0);

		if (b == MAP_FAILED) {
			int e = errno;

			image_plan_release(pl);
			return hs_error_errno(err, HS_ENOMEM, e, "cannot reserve memory for the copy");
		}
		pl->r[i].buf = b;
	}
	return 0;
}

/* Copy one region in chunks; returns the bytes copied (a prefix). */
static size_t copy_region(pid_t pid, struct image_region *r)
{
	size_t done = 0;

	while (done < r->len) {
		size_t n = r->len - done < CHUNK ? r->len - done : CHUNK;
		struct iovec local = { (char *)r->buf + done, n };
		struct iovec remote = { (void *)(uintptr_t)(r->addr + done), n };
		ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return done;
}

int image_copy(pid_t pid, struct image_plan *pl, struct target *fallback,
	       struct target **out, uint64_t *copied, struct hs_error *err)
{
	struct target *t = target_image_new();
	size_t i;

	*copied = 0;
	if (!t)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	t->pid = pid;
	target_image_set_fallback(t, fallback);
	for (i = 0; i < pl->n; i++) {
		struct image_region *r = &pl->r[i];
		size_t got = copy_region(pid, r);

		if (!got)
			continue;
		/* keep only the readable prefix (whole pages) */
		if (got < r->len) {
			size_t keep = (got + 4095) & ~(size_t)4095;

			if (keep < r->len)
				munmap((char *)r->buf + keep, r->len - keep);
			r->len = got;
		}
		if (target_image_adopt(t, r->addr, r->buf, r->len, err)) {
			target_close(t);
			return -1;
		}
		r->buf = NULL;
		*copied += got;
	}
	*out = t;
	return 0;
}
