/*
 * block_cache.h - a cache of fixed-size blocks of a target's memory, in
 * front of whatever fetches them (process_vm_readv for a live process).
 *
 * A walk reads millions of small fields, most of them near one another:
 * reading whole blocks, a run of missing ones per call, turns them into
 * a few large reads.  The cache knows nothing of targets: its owner
 * passes the function that fetches, and decides when what it holds may
 * be trusted.
 *
 * Invariants: blocks are TARGET_BLOCK_SIZE bytes at addresses aligned to
 * it; the owner fills the cache only while the target is frozen (so it
 * is never stale) or when it accepts stale reads (TARGET_CACHE_LIVE), and
 * releases it when the target runs again; the cache never holds more
 * than its max_bytes, and when full it is emptied and refilled rather
 * than grown.  Running out of memory is no error: reads then go uncached.
 */
#ifndef HS_BLOCK_CACHE_H
#define HS_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* One page: a block is then either wholly readable or not at all. */
#define TARGET_BLOCK_SIZE 4096u
/* Default cap of the block cache. */
#define TARGET_CACHE_MAX (64u << 20)
/* Reads larger than this bypass the cache: they are bulk copies that
 * would only evict what the small reads of a walk keep coming back to. */
#define TARGET_CACHE_BYPASS (64u << 10)
/* Blocks fetched with one call of the fill function (well under IOV_MAX). */
#define TARGET_CACHE_BATCH 64u

/*
 * Reads n remote ranges into n local buffers of the same lengths, in
 * order, and stops at the first byte it cannot read.  Returns how many
 * bytes it read in total (short when a range failed), or -errno when not
 * a single byte could be read and the reason is more than a bad address
 * (-ESRCH: the process is gone).
 */
typedef ssize_t (*target_fill_fn)(void *ctx, const struct iovec *local, const struct iovec *remote,
				  size_t n);

struct block_cache {
	struct block_slot *slots; /* open addressing, nslots a power of 2 */
	size_t nslots;
	unsigned char **chunks; /* block storage, allocated on demand */
	size_t nchunks;
	size_t nblocks, maxblocks;
	uint64_t hits, misses, flushes;
	int disabled; /* allocation failed: read uncached */
};

/* Prepare an empty cache of at most max_bytes (at least one batch of
 * blocks); allocates nothing yet. */
void block_cache_init(struct block_cache *c, size_t max_bytes);
/* Forget every block and free the memory (the cache stays usable). */
/* Allocate the table and the first chunk of storage and touch them, so
 * that the reads made while the target is frozen take no page faults
 * of ours (costly in a virtual machine): called before it stops.  Out of
 * memory only leaves them to be allocated when needed. */
void block_cache_prefault(struct block_cache *c);
void block_cache_release(struct block_cache *c);
/*
 * Copy [addr, addr+len) into buf, from cached blocks or by fetching whole
 * blocks through fill(ctx, ...) (batched); a block that cannot be fetched
 * whole is read exactly for the part asked.  Returns 0, or -errno with
 * *bad set to the first address that could not be read (-EFAULT for an
 * unreadable address, -ESRCH when the process is gone).
 */
int block_cache_read(struct block_cache *c, uint64_t addr, void *buf, size_t len,
		     target_fill_fn fill, void *ctx, uint64_t *bad);

#endif
