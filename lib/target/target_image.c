/*
 * target_image.c - a target over regions of memory we hold ourselves.
 *
 * Regions are kept sorted by address; a read is served from the region
 * that holds it whole (the last one used is tried first), else from the
 * fallback target if there is one (a capture falls back to the files the
 * process maps, for what it did not copy: code, read-only data).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "target.h"

#define MAX_REGIONS 65536

struct region {
	uint64_t addr;
	size_t len;
	unsigned char *data;
	int mapped; /* data is an mmap of len bytes (else malloc) */
	int view;   /* data is not ours */
};

struct image {
	struct region *r;
	size_t n, cap, last;
	struct target *fallback;
	int own_fallback;
	void *hold; /* an mmap to drop on close: what views look into */
	size_t hold_len;
};

/* The region holding addr (the last one used is tried first), or NULL. */
static struct region *find_region(struct image *im, uint64_t addr)
{
	size_t lo = 0, hi = im->n;
	struct region *r;

	if (im->n) {
		r = &im->r[im->last];
		if (addr >= r->addr && addr - r->addr < r->len)
			return r;
	}
	/* the last region starting at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (im->r[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	r = &im->r[lo - 1];
	if (addr - r->addr >= r->len)
		return NULL;
	im->last = lo - 1;
	return r;
}

static int image_read(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err)
{
	struct image *im = t->priv;
	struct region *r = find_region(im, addr);

	if (r && len <= r->len - (addr - r->addr)) {
		memcpy(buf, r->data + (addr - r->addr), len);
		return 0;
	}
	if (im->fallback) {
		uint64_t lost = im->fallback->lost_reads;
		int ret = target_read(im->fallback, addr, buf, len, err);

		if (im->fallback->lost_reads != lost)
			t->lost_reads++;
		t->gone = im->fallback->gone;
		return ret;
	}
	return hs_error_set(err, HS_EREAD, "cannot read %zu bytes at 0x%llx: not in the image", len,
			    (unsigned long long)addr);
}

static void image_close(struct target *t)
{
	struct image *im = t->priv;
	size_t i;

	for (i = 0; i < im->n; i++) {
		if (im->r[i].view)
			continue;
		if (im->r[i].mapped)
			munmap(im->r[i].data, im->r[i].len);
		else
			free(im->r[i].data);
	}
	if (im->hold)
		munmap(im->hold, im->hold_len);
	if (im->own_fallback)
		target_close(im->fallback);
	free(im->r);
	free(im);
	free(t);
}

/* Registers are those a process that is no longer live left (a core
 * file's threads); memory we hold never runs: no resume. */
static int image_regs(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err)
{
	size_t i;

	for (i = 0; t->proc && i < t->proc->nthreads; i++)
		if (t->proc->threads[i].tid == tid) {
			*regs = t->proc->threads[i].regs;
			return 0;
		}
	return hs_error_set(err, t->proc ? HS_EREAD : HS_EUNSUPPORTED,
			    t->proc ? "no thread %d in the core file"
				    : "no registers of thread %d here",
			    (int)tid);
}

static const struct target_ops image_ops = {
	.read = image_read,
	.regs = image_regs,
	.close = image_close,
};

struct target *target_image_new(void)
{
	struct target *t = calloc(1, sizeof(*t));
	struct image *im = calloc(1, sizeof(*im));

	if (!t || !im) {
		free(t);
		free(im);
		return NULL;
	}
	t->ops = &image_ops;
	t->priv = im;
	return t;
}

int target_image_region(struct target *t, uint64_t addr, uint64_t *start, size_t *len,
			unsigned char **data)
{
	struct region *r;

	if (!t || t->ops != &image_ops || !(r = find_region(t->priv, addr)))
		return -1;
	*start = r->addr;
	*len = r->len;
	*data = r->data;
	return 0;
}

void *target_image_ptr(struct target *t, uint64_t addr, size_t len)
{
	struct region *r;

	if (!t || t->ops != &image_ops || !(r = find_region(t->priv, addr)) ||
	    len > r->len - (addr - r->addr))
		return NULL;
	return r->data + (addr - r->addr);
}

void target_image_set_fallback(struct target *t, struct target *fallback)
{
	((struct image *)t->priv)->fallback = fallback;
}

void target_image_own_fallback(struct target *t, struct target *fallback)
{
	struct image *im = t->priv;

	im->fallback = fallback;
	im->own_fallback = 1;
}

void target_image_hold(struct target *t, void *map, size_t len)
{
	struct image *im = t->priv;

	im->hold = map;
	im->hold_len = len;
}

/* Insert a region in address order; the data is already ours. */
static int insert(struct image *im, uint64_t addr, unsigned char *data, size_t len, int mapped,
		  struct hs_error *err)
{
	size_t i, at = 0;

	if (addr + len < addr)
		return hs_error_set(err, HS_EINTERNAL, "image region wraps around");
	/* regions come in address order (a copy's, a core's): appended */
	if (im->n && addr >= im->r[im->n - 1].addr + im->r[im->n - 1].len)
		i = at = im->n;
	else
		i = 0;
	for (; i < im->n; i++) {
		if (addr < im->r[i].addr + im->r[i].len && im->r[i].addr < addr + len)
			return hs_error_set(err, HS_EINTERNAL, "image regions overlap at 0x%llx",
					    (unsigned long long)addr);
		if (im->r[i].addr < addr)
			at = i + 1;
	}
	if (im->n == MAX_REGIONS)
		return hs_error_set(err, HS_ENOMEM, "too many image regions");
	if (im->n == im->cap) {
		size_t cap = im->cap ? 2 * im->cap : 16;
		struct region *nr = realloc(im->r, cap * sizeof(*nr));

		if (!nr)
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		im->r = nr;
		im->cap = cap;
	}
	memmove(&im->r[at + 1], &im->r[at], (im->n - at) * sizeof(im->r[0]));
	im->r[at] = (struct region){
		.addr = addr, .len = len, .data = data, .mapped = mapped == 1, .view = mapped == 2
	};
	im->n++;
	im->last = 0;
	return 0;
}

int target_image_add(struct target *t, uint64_t addr, const void *data, size_t len,
		     struct hs_error *err)
{
	unsigned char *copy = malloc(len ? len : 1);

	if (!copy)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	memcpy(copy, data, len);
	if (insert(t->priv, addr, copy, len, 0, err)) {
		free(copy);
		return -1;
	}
	return 0;
}

int target_image_add_view(struct target *t, uint64_t addr, void *data, size_t len,
			  struct hs_error *err)
{
	return insert(t->priv, addr, data, len, 2, err);
}

int target_image_adopt(struct target *t, uint64_t addr, void *data, size_t len,
		       struct hs_error *err)
{
	return insert(t->priv, addr, data, len, 1, err);
}
