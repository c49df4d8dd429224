/*
 * block_cache.c - blocks of a target's memory, fetched in runs and kept
 * in an open-addressing table (see block_cache.h).
 *
 * Storage comes in chunks of CHUNK_BLOCKS blocks, allocated as the cache
 * fills: a short walk costs little memory, a long one no more than its
 * cap, and no block is ever malloc'ed alone.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "block_cache.h"

#define CHUNK_BLOCKS 256u /* 1 MiB of storage per allocation */

struct block_slot {
	uint64_t key; /* block address | 1; 0 = empty */
	uint32_t idx; /* index of the block in the storage */
};

void block_cache_init(struct block_cache *c, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->maxblocks = max_bytes / TARGET_BLOCK_SIZE;
	if (c->maxblocks < TARGET_CACHE_BATCH)
		c->maxblocks = TARGET_CACHE_BATCH;
	/* round up to whole chunks, so a chunk is never half usable */
	c->maxblocks = (c->maxblocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS * CHUNK_BLOCKS;
	/* at most half full: probe sequences stay short and always end */
	c->nslots = 1;
	while (c->nslots < 2 * c->maxblocks)
		c->nslots <<= 1;
}

void block_cache_release(struct block_cache *c)
{
	size_t i;

	for (i = 0; i < c->nchunks; i++)
		free(c->chunks[i]);
	free(c->chunks);
	free(c->slots);
	c->chunks = NULL;
	c->slots = NULL;
	c->nchunks = c->nblocks = 0;
}

static size_t slot_hash(const struct block_cache *c, uint64_t block)
{
	return (size_t)(((block / TARGET_BLOCK_SIZE) * 0x9e3779b97f4a7c15ull) >> 17) &
	       (c->nslots - 1);
}

static unsigned char *block_data(const struct block_cache *c, uint32_t idx)
{
	return c->chunks[idx / CHUNK_BLOCKS] + (size_t)(idx % CHUNK_BLOCKS) * TARGET_BLOCK_SIZE;
}

static unsigned char *cache_lookup(struct block_cache *c, uint64_t block)
{
	size_t i, n;

	if (!c->slots)
		return NULL;
	/* the table is never more than half full: an empty slot ends the probe */
	for (i = slot_hash(c, block), n = 0; n < c->nslots; n++, i = (i + 1) & (c->nslots - 1)) {
		if (!c->slots[i].key)
			return NULL;
		if (c->slots[i].key == (block | 1))
			return block_data(c, c->slots[i].idx);
	}
	return NULL;
}

static void cache_insert(struct block_cache *c, uint64_t block, uint32_t idx)
{
	size_t i, n;

	for (i = slot_hash(c, block), n = 0; n < c->nslots; n++, i = (i + 1) & (c->nslots - 1)) {
		if (!c->slots[i].key || c->slots[i].key == (block | 1)) {
			c->slots[i].key = block | 1;
			c->slots[i].idx = idx;
			return;
		}
	}
}

/*
 * Storage for n more blocks, contiguous in index (one chunk may not hold
 * them all, so the caller asks per block with block_data).  Empties the
 * cache when it is full: everything was read while frozen, so dropping
 * loses only time.  Returns the first index, or -1 (cache unusable).
 */
static long cache_reserve(struct block_cache *c, size_t n)
{
	size_t need;

	if (c->disabled || n > c->maxblocks)
		return -1;
	if (!c->slots) {
		c->slots = calloc(c->nslots, sizeof(*c->slots));
		c->chunks = calloc(c->maxblocks / CHUNK_BLOCKS, sizeof(*c->chunks));
		if (!c->slots || !c->chunks)
			goto disable;
	}
	if (c->nblocks + n > c->maxblocks) {
		memset(c->slots, 0, c->nslots * sizeof(*c->slots));
		c->nblocks = 0;
		c->flushes++;
	}
	need = (c->nblocks + n + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
	while (c->nchunks < need) {
		c->chunks[c->nchunks] = malloc((size_t)CHUNK_BLOCKS * TARGET_BLOCK_SIZE);
		if (!c->chunks[c->nchunks])
			goto disable;
		c->nchunks++;
	}
	return (long)c->nblocks;
disable:
	/* out of memory is no reason to fail a read: go on uncached */
	block_cache_release(c);
	c->disabled = 1;
	return -1;
}

void block_cache_prefault(struct block_cache *c)
{
	if (cache_reserve(c, 1) < 0)
		return;
	memset(c->slots, 0, c->nslots * sizeof(*c->slots));
	memset(c->chunks[0], 0, (size_t)CHUNK_BLOCKS * TARGET_BLOCK_SIZE);
}

/* Exact read of one range, for what the cache cannot hold. */
static int read_exact(uint64_t addr, void *buf, size_t len, target_fill_fn fill, void *ctx,
		      uint64_t *bad)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t got = fill(ctx, &l, &r, 1);

	if (got == (ssize_t)len)
		return 0;
	*bad = addr + (got > 0 ? (uint64_t)got : 0);
	return got < 0 ? (int)got : -EFAULT;
}

int block_cache_read(struct block_cache *c, uint64_t addr, void *buf, size_t len,
		     target_fill_fn fill, void *ctx, uint64_t *bad)
{
	unsigned char *out = buf;
	uint64_t pos = addr, end = addr + len;

	if (len > TARGET_CACHE_BYPASS || c->disabled)
		return read_exact(addr, buf, len, fill, ctx, bad);
	/* every round advances pos by at least one block: bounded by len */
	while (pos < end) {
		uint64_t block = pos & ~(uint64_t)(TARGET_BLOCK_SIZE - 1);
		struct iovec l[TARGET_CACHE_BATCH], r[TARGET_CACHE_BATCH];
		size_t n, k, i, off, take;
		unsigned char *d = cache_lookup(c, block);
		ssize_t got;
		long first;
		int ret;

		off = (size_t)(pos - block);
		take = TARGET_BLOCK_SIZE - off;
		if (take > end - pos)
			take = (size_t)(end - pos);
		if (d) {
			c->hits++;
			memcpy(out + (pos - addr), d + off, take);
			pos += take;
			continue;
		}
		/* fetch the run of missing blocks that starts here in one call */
		for (n = 1; n < TARGET_CACHE_BATCH; n++) {
			uint64_t b = block + (uint64_t)n * TARGET_BLOCK_SIZE;

			if (b >= end || cache_lookup(c, b))
				break;
		}
		first = cache_reserve(c, n);
		if (first < 0)
			return read_exact(pos, out + (pos - addr), (size_t)(end - pos), fill, ctx,
					  bad);
		c->misses += n;
		for (i = 0; i < n; i++) {
			l[i].iov_base = block_data(c, (uint32_t)(first + i));
			l[i].iov_len = TARGET_BLOCK_SIZE;
			r[i].iov_base = (void *)(uintptr_t)(block + i * TARGET_BLOCK_SIZE);
			r[i].iov_len = TARGET_BLOCK_SIZE;
		}
		got = fill(ctx, l, r, n);
		if (got < 0 && got != -EFAULT && got != -EIO) {
			*bad = pos;
			return (int)got;
		}
		k = got > 0 ? (size_t)got / TARGET_BLOCK_SIZE : 0;
		for (i = 0; i < k; i++) {
			uint64_t b = block + i * TARGET_BLOCK_SIZE;

			cache_insert(c, b, (uint32_t)(first + i));
			off = (size_t)(pos - b);
			take = TARGET_BLOCK_SIZE - off;
			if (take > end - pos)
				take = (size_t)(end - pos);
			memcpy(out + (pos - addr), block_data(c, (uint32_t)(first + i)) + off,
			       take);
			pos += take;
		}
		c->nblocks += k;
		if (k == n)
			continue;
		/* block k could not be read whole: read just what was asked of it */
		off = (size_t)(pos & (TARGET_BLOCK_SIZE - 1));
		take = TARGET_BLOCK_SIZE - off;
		if (take > end - pos)
			take = (size_t)(end - pos);
		ret = read_exact(pos, out + (pos - addr), take, fill, ctx, bad);
		if (ret)
			return ret;
		pos += take;
	}
	return 0;
}
