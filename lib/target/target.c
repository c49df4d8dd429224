/*
 * target.c - what every target backend shares: argument checks and
 * dispatch, typed and string reads, the block cache, and the signal
 * handlers that detach live targets when heapscope is killed.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target.h"
#include "target_internal.h"

/* x86_64 user space ends below 2^47; anything above cannot be a valid
 * target address (and would turn negative as a /proc/PID/mem offset). */
#define TARGET_ADDR_MAX		(1ull << 56)

int target_read(struct target *t, uint64_t addr, void *buf, size_t len,
		struct hs_error *err)
{
	if (!len)
		return 0;
	if (!t || !buf)
		return hs_error_set(err, HS_EINTERNAL, "target_read: no target");
	/* a pointer from the target may be anything: refuse wrap-around
	 * before any backend computes with it */
	if (addr >= TARGET_ADDR_MAX || len > TARGET_ADDR_MAX - addr)
		return hs_error_set(err, HS_EREAD,
				    "cannot read %zu bytes at 0x%llx: not a user address",
				    len, (unsigned long long)addr);
	return t->ops->read(t, addr, buf, len, err);
}

int target_read_u64(struct target *t, uint64_t addr, uint64_t *v,
		    struct hs_error *err)
{
	return target_read(t, addr, v, sizeof(*v), err);
}

int target_read_u32(struct target *t, uint64_t addr, uint32_t *v,
		    struct hs_error *err)
{
	return target_read(t, addr, v, sizeof(*v), err);
}

/*
 * Read page by page: a short string at the end of the last mapped page
 * must not fail because the bytes after it are unmapped, so no read
 * crosses a page boundary before a NUL has been looked for.
 */
int target_read_cstr(struct target *t, uint64_t addr, char *buf, size_t len,
		     struct hs_error *err)
{
	size_t got = 0, want, n;
	char *nul;

	if (!buf || !len)
		return hs_error_set(err, HS_EINTERNAL, "target_read_cstr: no buffer");
	buf[0] = '\0';
	/* each round consumes at least one byte of buf: bounded by len */
	while (got < len - 1) {
		uint64_t a = addr + got;

		n = TARGET_BLOCK_SIZE - (size_t)(a % TARGET_BLOCK_SIZE);
		want = len - 1 - got;
		if (n > want)
			n = want;
		if (target_read(t, a, buf + got, n, err)) {
			buf[got] = '\0';
			return -1;
		}
		nul = memchr(buf + got, '\0', n);
		if (nul)
			return (int)(nul - buf);
		got += n;
	}
	buf[got] = '\0';
	return (int)got;
}

int target_regs(struct target *t, pid_t tid, struct target_regs *regs,
		struct hs_error *err)
{
	if (!t || !regs)
		return hs_error_set(err, HS_EINTERNAL, "target_regs: no target");
	if (!t->ops->regs)
		return hs_error_set(err, HS_EUNSUPPORTED,
				    "this target has no registers");
	return t->ops->regs(t, tid, regs, err);
}

void target_close(struct target *t)
{
	if (t)
		t->ops->close(t);
}

char target_proc_state(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid == tid)
		snprintf(fn, sizeof(fn), "/proc/%d/stat", (int)pid);
	else
		snprintf(fn, sizeof(fn), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '\0';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '\0';
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the state follows the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return '\0';
	return p[2];
}

/* 1 if process pid has no memory left: killed, it drops its memory
 * first and is a zombie only some time later (still 'R' meanwhile). */
static int memory_gone(pid_t pid)
{
	char fn[64], buf[128];
	ssize_t n;
	int fd;

	snprintf(fn, sizeof(fn), "/proc/%d/statm", (int)pid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n <= 0 || buf[0] == '0';
}

int target_exited(pid_t pid)
{
	char st = target_proc_state(pid, pid);

	return st == '\0' || st == 'Z' || st == 'X' || memory_gone(pid);
}

int target_blame_exit(pid_t pid, struct hs_error *err)
{
	if (!err || err->code == HS_EGONE || err->code == HS_ENOPROC || !target_exited(pid))
		return 0;
	hs_error_clear(err);
	hs_error_set(err, HS_EGONE, "target exited: process %d exited while heapscope read it",
		     (int)pid);
	return 1;
}

/* ---- block cache ------------------------------------------------------ */

#define CHUNK_BLOCKS	256u	/* 1 MiB of storage per allocation */

struct block_slot {
	uint64_t key;		/* block address | 1; 0 = empty */
	uint32_t idx;		/* index of the block in the storage */
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

/* Exact read of one range, for what the cache cannot hold. */
static int read_exact(uint64_t addr, void *buf, size_t len, target_fill_fn fill,
		      void *ctx, uint64_t *bad)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t got = fill(ctx, &l, &r, 1);

	if (got == (ssize_t)len)
		return 0;
	*bad = addr + (got > 0 ? (uint64_t)got : 0);
	return got < 0 ? (int)got : -EFAULT;
}

int block_cache_read(struct block_cache *c, uint64_t addr, void *buf,
		     size_t len, target_fill_fn fill, void *ctx, uint64_t *bad)
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
			return read_exact(pos, out + (pos - addr), (size_t)(end - pos),
					  fill, ctx, bad);
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

/* ---- signals ---------------------------------------------------------- */

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

static void fatal_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaddset(set, fatal_signals[i]);
}

void target_signals_block(sigset_t *old)
{
	sigset_t set;

	fatal_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void target_signals_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/*
 * Let the target go before we die: detach everything, then die of the
 * same signal with its default action, so our parent sees the real cause.
 * sig is blocked while we run, so the raise() takes effect on return.
 */
/* A file to remove if a fatal signal ends us (one at a time). */
static char cleanup_path[4096];
static volatile sig_atomic_t cleanup_set;

void target_cleanup_on_signal(const char *path)
{
	sigset_t old;

	target_signals_block(&old);
	cleanup_set = 0;
	if (path && strlen(path) < sizeof(cleanup_path)) {
		memcpy(cleanup_path, path, strlen(path) + 1);
		cleanup_set = 1;
	}
	target_signals_restore(&old);
}

static void (*volatile fatal_hook)(void);

void target_on_fatal_signal(void (*fn)(void))
{
	sigset_t old;

	target_signals_block(&old);
	fatal_hook = fn;
	target_signals_restore(&old);
}

static void on_fatal_signal(int sig)
{
	int saved = errno;
	void (*hook)(void) = fatal_hook;

	ptrace_detach_all_async();
	if (cleanup_set)
		unlink(cleanup_path);
	if (hook)
		hook();
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void target_install_signal_handlers(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	/* no second fatal signal may interrupt a detach half done */
	fatal_set(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old;

		/* a signal ignored by whoever started us (nohup) stays ignored */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
