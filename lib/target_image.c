/*
 * target_image.c - a target over regions of memory we hold ourselves.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "target.h"

#define MAX_REGIONS 4096

struct region {
	uint64_t addr;
	size_t len;
	unsigned char *data;
};

struct image {
	struct region *r;
	size_t n, cap;
};

static int image_read(struct target *t, uint64_t addr, void *buf, size_t len,
		      struct hs_error *err)
{
	struct image *im = t->priv;
	size_t i;

	for (i = 0; i < im->n; i++) {
		struct region *r = &im->r[i];

		if (addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr)) {
			memcpy(buf, r->data + (addr - r->addr), len);
			return 0;
		}
	}
	return hs_error_set(err, HS_EREAD, "cannot read %zu bytes at 0x%llx: not in the image",
			    len, (unsigned long long)addr);
}

static void image_close(struct target *t)
{
	struct image *im = t->priv;
	size_t i;

	for (i = 0; i < im->n; i++)
		free(im->r[i].data);
	free(im->r);
	free(im);
	free(t);
}

static const struct target_ops image_ops = {
	.read = image_read,
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

int target_image_add(struct target *t, uint64_t addr, const void *data, size_t len,
		     struct hs_error *err)
{
	struct image *im = t->priv;
	size_t i;

	for (i = 0; i < im->n; i++)
		if (addr < im->r[i].addr + im->r[i].len && im->r[i].addr < addr + len)
			return hs_error_set(err, HS_EINTERNAL, "image regions overlap at 0x%llx",
					    (unsigned long long)addr);
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
	im->r[im->n].data = malloc(len ? len : 1);
	if (!im->r[im->n].data)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	memcpy(im->r[im->n].data, data, len);
	im->r[im->n].addr = addr;
	im->r[im->n].len = len;
	im->n++;
	return 0;
}
