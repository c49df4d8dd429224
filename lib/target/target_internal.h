/*
 * target_internal.h - what the target backends share: the block cache,
 * signal masking around state the signal handlers read, and the hooks
 * target.c calls into the live backend.
 *
 * Not for use outside lib/target*.c.
 *
 * Block cache invariants: blocks are TARGET_BLOCK_SIZE bytes at addresses
 * aligned to it, filled only while the target is frozen (so never stale)
 * or when its owner asked for stale reads (TARGET_CACHE_LIVE),
 * and the cache never holds more than its max_bytes; when full it is
 * emptied and refilled rather than grown.
 */
#ifndef HS_TARGET_INTERNAL_H
#define HS_TARGET_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "base/error.h"
#include "target.h"

/* One page: a block is then either wholly readable or not at all. */
#define TARGET_BLOCK_SIZE	4096u
/* Default cap of the block cache. */
#define TARGET_CACHE_MAX	(64u << 20)
/* Reads larger than this bypass the cache: they are bulk copies that
 * would only evict what the small reads of a walk keep coming back to. */
#define TARGET_CACHE_BYPASS	(64u << 10)
/* Blocks fetched with one process_vm_readv (well under IOV_MAX). */
#define TARGET_CACHE_BATCH	64u

/*
 * Reads n remote ranges into n local buffers of the same lengths, in
 * order, and stops at the first byte it cannot read.  Returns how many
 * bytes it read in total (short when a range failed), or -errno when not
 * a single byte could be read and the reason is more than a bad address
 * (-ESRCH: the process is gone).
 */
typedef ssize_t (*target_fill_fn)(void *ctx, const struct iovec *local,
				  const struct iovec *remote, size_t n);

struct block_cache {
	struct block_slot *slots;	/* open addressing, nslots a power of 2 */
	size_t nslots;
	unsigned char **chunks;		/* block storage, allocated on demand */
	size_t nchunks;
	size_t nblocks, maxblocks;
	uint64_t hits, misses, flushes;
	int disabled;			/* allocation failed: read uncached */
};

/* Prepare an empty cache of at most max_bytes; allocates nothing yet. */
void block_cache_init(struct block_cache *c, size_t max_bytes);
/* Forget every block and free the memory (the cache stays usable). */
void block_cache_release(struct block_cache *c);
/*
 * Copy [addr, addr+len) into buf, from cached blocks or by fetching whole
 * blocks through fill (batched); a block that cannot be fetched whole is
 * read exactly for the part asked.  Returns 0, or -errno with *bad set to
 * the first address that could not be read (-EFAULT for an unreadable
 * address, -ESRCH when the process is gone).
 */
int block_cache_read(struct block_cache *c, uint64_t addr, void *buf,
		     size_t len, target_fill_fn fill, void *ctx, uint64_t *bad);

/*
 * The signals target_install_signal_handlers() catches.  State those
 * handlers read (the registry of attached threads) is changed only with
 * these blocked.
 */
void target_signals_block(sigset_t *old);
void target_signals_restore(const sigset_t *old);

/*
 * From a signal handler: detach every thread of every live target,
 * re-injecting pending signals.  Async-signal-safe.
 */
void ptrace_detach_all_async(void);

/*
 * Explain why ptrace (or /proc/PID/mem) was refused for thread tid of
 * process pid with errno e: sets err to HS_EPERM with the actual cause
 * (another tracer, yama ptrace_scope, missing CAP_SYS_PTRACE, another
 * user, undumpable target, seccomp ...) and a hint.  Returns -1.
 */
int ptrace_diagnose(pid_t pid, pid_t tid, int e, const char *what,
		    struct hs_error *err);

/*
 * State letter of process (or thread) tid of pid from /proc, '\0' when
 * it does not exist.  pid == tid for the process itself.
 */
char target_proc_state(pid_t pid, pid_t tid);

#endif
