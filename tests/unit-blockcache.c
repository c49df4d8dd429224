/*
 * unit-blockcache - the target's block cache (block_cache_read) over a
 * fill function that plays a process's memory.
 *
 * The memory is a region whose every byte has a known value (a function
 * of its address), with holes: whole pages, half pages, single bytes
 * that cannot be read.  The fill function reads as process_vm_readv
 * does (ranges in order, stopping at the first byte it cannot read) and
 * counts and checks what it is asked: never more than 64 blocks at once,
 * whole aligned blocks or one exact range (within one block, unless the
 * read goes past the cache), nothing outside the blocks of the read in
 * progress, each exact range landing at its place in the caller's
 * buffer.
 *
 * Checked: a miss fetches the block, a hit fetches nothing; a run of
 * missing blocks is one call, a cached block in the middle splits it;
 * a read over 64 KiB goes past the cache; a block that cannot be
 * fetched whole is read exactly for the part asked, and not cached; the
 * cache never holds more blocks than max_bytes, and when full it is
 * emptied and filled again; -ESRCH from the fill function comes back
 * with *bad set.  Then thousands of random reads against the model:
 * each succeeds with the model's bytes, or fails as an unreadable
 * address (-EFAULT, or the -EIO the fill function gave) with *bad the
 * first byte of the range the model cannot read.
 */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "target/block_cache.h"
#include "tap.h"

#define BLK TARGET_BLOCK_SIZE
#define BASE 0x10000000ull /* the region: NPAGES pages at BASE */
#define NPAGES 640u
#define MIB (1u << 20)

struct hole {
	uint64_t lo, hi;
};

/* Pages are numbered from BASE.  Page 601 can be read in its first half
 * only, page 602 but for one byte, page 603 in its second half only,
 * page 604 not at all, page 606 but for one byte; past the region
 * nothing can. */
static const struct hole holes[] = {
	{ BASE + 601 * BLK + 2048, BASE + 602 * BLK },
	{ BASE + 602 * BLK + 1000, BASE + 602 * BLK + 1001 },
	{ BASE + 603 * BLK, BASE + 603 * BLK + 2048 },
	{ BASE + 604 * BLK, BASE + 605 * BLK },
	{ BASE + 606 * BLK + 1000, BASE + 606 * BLK + 1001 },
};
#define NHOLES (sizeof(holes) / sizeof(holes[0]))

static unsigned char value(uint64_t addr)
{
	uint64_t x = addr * 0x9e3779b97f4a7c15ull;

	return (unsigned char)(x >> 56 ^ addr);
}

static uint64_t page(unsigned n)
{
	return BASE + (uint64_t)n * BLK;
}

/* The first byte of [a, a + n) that cannot be read, or a + n. */
static uint64_t first_bad(uint64_t a, uint64_t n)
{
	uint64_t end = a + n, bad = end;
	size_t i;

	if (a < BASE)
		return a;
	if (end > BASE + (uint64_t)NPAGES * BLK)
		bad = a > BASE + (uint64_t)NPAGES * BLK ? a : BASE + (uint64_t)NPAGES * BLK;
	for (i = 0; i < NHOLES; i++)
		if (holes[i].lo < end && holes[i].hi > a) {
			uint64_t b = holes[i].lo > a ? holes[i].lo : a;

			if (b < bad)
				bad = b;
		}
	return bad;
}

struct fake {
	int gone;	    /* answer -ESRCH */
	long gone_after;    /* calls answered before gone, -1 never */
	int nothing;	    /* what a call that reads nothing returns: 0,
			     * -EFAULT or -EIO (process_vm_readv: -EFAULT) */
	size_t calls;	    /* calls made */
	size_t last_n;	    /* iovecs of the last call */
	uint64_t last_addr; /* its first remote address */
	uint64_t last_len;  /* its first remote length */
	/* the read in progress: the caller's buffer and range */
	unsigned char *buf;
	uint64_t addr, len;
	size_t broken; /* requests against the contract */
};

static ssize_t fake_fill(void *ctx, const struct iovec *local, const struct iovec *remote, size_t n)
{
	struct fake *f = ctx;
	uint64_t lo = f->addr & ~(uint64_t)(BLK - 1);
	uint64_t hi = (f->addr + f->len + BLK - 1) & ~(uint64_t)(BLK - 1);
	ssize_t done = 0;
	size_t i;

	f->calls++;
	f->last_n = n;
	f->last_addr = n ? (uint64_t)(uintptr_t)remote[0].iov_base : 0;
	f->last_len = n ? remote[0].iov_len : 0;
	if (f->gone_after >= 0 && f->calls > (size_t)f->gone_after)
		f->gone = 1;
	if (n == 0 || n > TARGET_CACHE_BATCH)
		f->broken++, tap_diag("a call for %zu ranges", n);
	for (i = 0; i < n; i++) {
		uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base, len = remote[i].iov_len;
		unsigned char *l = local[i].iov_base;

		if (local[i].iov_len != len)
			f->broken++, tap_diag("local and remote lengths differ");
		if (n > 1 && (a % BLK || len != BLK ||
			      (i && a != (uint64_t)(uintptr_t)remote[i - 1].iov_base + BLK)))
			f->broken++, tap_diag("a batch of other than whole blocks in a row");
		if (a < lo || a + len > hi)
			f->broken++, tap_diag("0x%llx+%llu: outside the blocks of the read",
					      (unsigned long long)a, (unsigned long long)len);
		if (l >= f->buf && l < f->buf + f->len && (uint64_t)(l - f->buf) != a - f->addr)
			f->broken++, tap_diag("an exact read lands at the wrong place");
		if (f->len <= TARGET_CACHE_BYPASS && len && a / BLK != (a + len - 1) / BLK)
			f->broken++, tap_diag("0x%llx+%llu: an exact read over more than a block",
					      (unsigned long long)a, (unsigned long long)len);
	}
	if (f->gone)
		return -ESRCH;
	for (i = 0; i < n; i++) {
		uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base, len = remote[i].iov_len;
		uint64_t bad = first_bad(a, len), k;
		unsigned char *l = local[i].iov_base;

		for (k = 0; k < bad - a; k++)
			l[k] = value(a + k);
		done += (ssize_t)(bad - a);
		if (bad < a + len)
			break;
	}
	return done ? done : f->nothing;
}

/* block_cache_read of [addr, addr + len) into buf, as the fake's read
 * in progress. */
static int cread(struct block_cache *c, struct fake *f, uint64_t addr, unsigned char *buf,
		 size_t len, uint64_t *bad)
{
	f->buf = buf;
	f->addr = addr;
	f->len = len;
	*bad = 0;
	return block_cache_read(c, addr, buf, len, fake_fill, f, bad);
}

/* buf holds the region's bytes of [addr, addr + len). */
static int same(const unsigned char *buf, uint64_t addr, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != value(addr + i))
			return 0;
	return 1;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->gone_after = -1;
	f->nothing = -EFAULT;
}

static unsigned char big[TARGET_CACHE_BYPASS + 2 * BLK];

static void hits_and_misses(void)
{
	struct block_cache c;
	struct fake f;
	uint64_t bad;
	size_t calls;
	int r;

	fake_init(&f);
	block_cache_init(&c, 4 * MIB);
	r = cread(&c, &f, page(3) + 100, big, 200, &bad);
	tap_ok(!r && same(big, page(3) + 100, 200) && f.calls == 1 && f.last_n == 1 &&
		       f.last_addr == page(3) && f.last_len == BLK && c.misses == 1 && c.hits == 0,
	       "a miss fetches its whole block in one call: %zu calls", f.calls);
	r = cread(&c, &f, page(3), big, BLK, &bad);
	r |= cread(&c, &f, page(3) + 4000, big + BLK, 96, &bad);
	tap_ok(!r && same(big, page(3), BLK) && same(big + BLK, page(3) + 4000, 96) &&
		       f.calls == 1 && c.hits == 2 && c.misses == 1,
	       "hits in that block fetch nothing: %zu calls, %llu hits", f.calls,
	       (unsigned long long)c.hits);
	/* 64 KiB (the most the cache takes) from the middle of a page: 17
	 * blocks, in one call */
	calls = f.calls;
	r = cread(&c, &f, page(10) + 5, big, TARGET_CACHE_BYPASS, &bad);
	tap_ok(!r && same(big, page(10) + 5, TARGET_CACHE_BYPASS) && f.calls == calls + 1 &&
		       f.last_n == 17 && f.last_addr == page(10),
	       "a run of 17 missing blocks is one call of 17: %zu calls, %zu ranges",
	       f.calls - calls, f.last_n);
	/* page 40 cached, then 38-42: two calls of two, one hit */
	r = cread(&c, &f, page(40) + 8, big, 8, &bad);
	calls = f.calls;
	r |= cread(&c, &f, page(38) + 1, big, 5 * BLK - 2, &bad);
	tap_ok(!r && same(big, page(38) + 1, 5 * BLK - 2) && f.calls == calls + 2 &&
		       f.last_n == 2 && f.last_addr == page(41),
	       "a cached block splits a run: %zu calls, the last from page 41 for %zu blocks",
	       f.calls - calls, f.last_n);
	/* one byte more than 64 KiB: exactly what is asked, nothing kept */
	calls = f.calls;
	r = cread(&c, &f, page(100) + 7, big, TARGET_CACHE_BYPASS + 1, &bad);
	tap_ok(!r && same(big, page(100) + 7, TARGET_CACHE_BYPASS + 1) && f.calls == calls + 1 &&
		       f.last_n == 1 && f.last_addr == page(100) + 7 &&
		       f.last_len == TARGET_CACHE_BYPASS + 1,
	       "a read over 64 KiB is one exact read past the cache");
	calls = f.calls;
	r = cread(&c, &f, page(101), big, 8, &bad);
	tap_ok(!r && same(big, page(101), 8) && f.calls == calls + 1,
	       "and leaves nothing in it: a read of its pages fetches them");
	tap_ok(!f.broken, "every request whole blocks in a row or one exact range, within "
			  "the read");
	block_cache_release(&c);
}

/* What a read that fails at an unreadable address returns: -EFAULT, or
 * the fill function's own answer for such an address. */
static int unreadable(int r, const struct fake *f)
{
	return r == -EFAULT || (f->nothing < 0 && r == f->nothing);
}

static void partial_pages(void)
{
	static const int codes[] = { -EFAULT, -EIO, 0 };
	static const char *const names[] = { "-EFAULT", "-EIO", "0" };
	struct block_cache c;
	struct fake f;
	uint64_t bad;
	size_t calls, k;
	int r, wrong;

	/* what a call that reads nothing returns: as process_vm_readv, as
	 * pread of /proc/PID/mem, or just nothing read */
	for (k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		fake_init(&f);
		f.nothing = codes[k];
		block_cache_init(&c, 4 * MIB);

		/* page 601, the first half: its block, then the part asked */
		r = cread(&c, &f, page(601) + 100, big, 100, &bad);
		wrong = r || !same(big, page(601) + 100, 100) || f.calls != 2 || f.last_n != 1 ||
			f.last_addr != page(601) + 100 || f.last_len != 100;
		r = cread(&c, &f, page(601) + 100, big, 100, &bad);
		wrong += r || f.calls != 4;
		tap_ok(!wrong,
		       "(%s for nothing read) a half page: the part asked read exactly, "
		       "the block not kept (%zu calls)",
		       names[k], f.calls);
		r = cread(&c, &f, page(601) + 2000, big, 100, &bad);
		tap_ok(unreadable(r, &f) && bad == page(601) + 2048,
		       "(%s for nothing read) into its second half: fails, *bad at 2048 (+%lld)",
		       names[k], (long long)(bad - page(601)));

		/* page 602: all but byte 1000 */
		wrong = 0;
		r = cread(&c, &f, page(602) + 1001, big, 3095, &bad);
		wrong += r || !same(big, page(602) + 1001, 3095);
		r = cread(&c, &f, page(602), big, 1000, &bad);
		wrong += r || !same(big, page(602), 1000);
		r = cread(&c, &f, page(602) + 10, big, 2000, &bad);
		wrong += !unreadable(r, &f) || bad != page(602) + 1000;
		tap_ok(!wrong,
		       "(%s for nothing read) a page but one byte: either side reads, a "
		       "read over it fails there",
		       names[k]);
		/* 606 but one byte, then 607: the part of 606 read exactly,
		 * 607 fetched and kept */
		calls = f.calls;
		r = cread(&c, &f, page(606) + 1001, big, 3095 + BLK, &bad);
		wrong = r || !same(big, page(606) + 1001, 3095 + BLK) || f.calls != calls + 3 ||
			f.last_addr != page(607) || f.last_len != BLK;
		calls = f.calls;
		r = cread(&c, &f, page(607) + 5, big, 10, &bad);
		wrong += r || f.calls != calls;
		tap_ok(!wrong,
		       "(%s for nothing read) after the part of a page read exactly, the "
		       "next block is fetched whole and kept",
		       names[k]);

		/* 599, 600 whole and 601's first half, in one run: the whole
		 * blocks kept, the part asked of 601 read exactly */
		calls = f.calls;
		r = cread(&c, &f, page(599) + 10, big, 2 * BLK - 10 + 100, &bad);
		wrong = r || !same(big, page(599) + 10, 2 * BLK - 10 + 100) ||
			f.calls != calls + 2 || f.last_addr != page(601) || f.last_len != 100;
		calls = f.calls;
		r = cread(&c, &f, page(599), big, 2 * BLK, &bad);
		wrong += r || !same(big, page(599), 2 * BLK) || f.calls != calls;
		tap_ok(!wrong,
		       "(%s for nothing read) a run into a half page: the whole blocks "
		       "kept, the rest read exactly",
		       names[k]);

		/* 603's second half, then 604 (none of it) and 605 */
		calls = f.calls;
		r = cread(&c, &f, page(603) + 2048, big, 2048, &bad);
		wrong = r || !same(big, page(603) + 2048, 2048) || f.calls != calls + 2;
		r = cread(&c, &f, page(603) + 2047, big, 2, &bad);
		wrong += !unreadable(r, &f) || bad != page(603) + 2047;
		r = cread(&c, &f, page(603) + 3000, big, BLK + 2000, &bad);
		wrong += !unreadable(r, &f) || bad != page(604);
		r = cread(&c, &f, page(604) + 8, big, 8, &bad);
		wrong += !unreadable(r, &f) || bad != page(604) + 8;
		tap_ok(!wrong,
		       "(%s for nothing read) a page readable from its middle, and one not "
		       "at all: *bad the first byte asked that cannot be read",
		       names[k]);
		/* past the end of the region */
		r = cread(&c, &f, page(NPAGES) - 8, big, 16, &bad);
		tap_ok(!f.broken && unreadable(r, &f) && bad == page(NPAGES) &&
			       same(big, page(NPAGES) - 8, 8),
		       "(%s for nothing read) a read past the last page fails where it ends; "
		       "every request was within the read",
		       names[k]);
		block_cache_release(&c);
	}
}

static void cap(void)
{
	static const size_t caps[] = { 1, 2 };
	struct block_cache c;
	struct fake f;
	uint64_t bad, flushes;
	size_t k, i, maxb, over = 0, calls;
	int r, wrong;

	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		size_t max = caps[k] * MIB;

		fake_init(&f);
		block_cache_init(&c, max);
		maxb = max / BLK;
		wrong = 0;
		/* as many blocks as max_bytes holds, one read each */
		for (i = 0; i < maxb; i++) {
			r = cread(&c, &f, BASE + i * BLK + i % 7, big, 8, &bad);
			wrong += r || !same(big, BASE + i * BLK + i % 7, 8);
			over += c.nblocks * BLK > max;
		}
		/* all still there */
		calls = f.calls;
		for (i = 0; i < maxb; i++) {
			r = cread(&c, &f, BASE + i * BLK + 100, big, 8, &bad);
			wrong += r || !same(big, BASE + i * BLK + 100, 8);
		}
		tap_ok(!wrong && f.calls == maxb && calls == maxb && c.flushes == 0,
		       "%zu MiB: %zu blocks fetched once each, all kept (%zu calls)", caps[k], maxb,
		       f.calls);
		/* one more: emptied, then filled again */
		r = cread(&c, &f, BASE + maxb * BLK, big, 8, &bad);
		over += c.nblocks * BLK > max;
		calls = f.calls;
		r |= cread(&c, &f, BASE + maxb * BLK + 8, big, 8, &bad);
		tap_ok(!r && c.flushes == 1 && c.nblocks == 1 && f.calls == calls,
		       "%zu MiB: block %zu empties the cache and is kept", caps[k], maxb + 1);
		r = cread(&c, &f, BASE, big, 8, &bad);
		tap_ok(!r && f.calls == calls + 1 && same(big, BASE, 8),
		       "%zu MiB: the first block is fetched again", caps[k]);
		/* full but for three, then a run of five from two cached
		 * blocks on: emptied in the middle of a read, bytes right */
		block_cache_release(&c);
		flushes = c.flushes;
		for (i = 0; i < maxb - 3; i++) {
			r = cread(&c, &f, BASE + i * BLK, big, 1, &bad);
			over += c.nblocks * BLK > max;
		}
		calls = f.calls;
		r = cread(&c, &f, BASE + (maxb - 5) * BLK + 1, big, 7 * BLK - 2, &bad);
		over += c.nblocks * BLK > max;
		tap_ok(!r && same(big, BASE + (maxb - 5) * BLK + 1, 7 * BLK - 2) &&
			       c.flushes == flushes + 1 && c.nblocks == 5 && f.calls == calls + 1,
		       "%zu MiB: a run that does not fit empties the cache in the middle of a "
		       "read; the bytes are right",
		       caps[k]);
		block_cache_release(&c);
	}
	tap_ok(!over, "the cache never held more blocks than max_bytes");
}

static void gone(void)
{
	struct block_cache c;
	struct fake f;
	uint64_t bad;
	int r;

	fake_init(&f);
	block_cache_init(&c, 4 * MIB);
	f.gone = 1;
	r = cread(&c, &f, page(5) + 30, big, 100, &bad);
	tap_ok(r == -ESRCH && bad == page(5) + 30 && f.calls == 1,
	       "gone: -ESRCH at once, *bad the address asked");
	r = cread(&c, &f, page(5) + 30, big, TARGET_CACHE_BYPASS + 1, &bad);
	tap_ok(r == -ESRCH && bad == page(5) + 30, "gone, a read past the cache: the same");
	f.gone = 0;
	r = cread(&c, &f, page(5), big, 16, &bad);
	f.gone = 1;
	r |= cread(&c, &f, page(5) + 100, big, BLK, &bad) != -ESRCH;
	tap_ok(!r && bad == page(6), "gone after a cached block: *bad where the cache ends");
	/* gone between the batch and the exact read of a half page */
	fake_init(&f);
	f.gone_after = 1;
	r = cread(&c, &f, page(601) + 10, big, 20, &bad);
	tap_ok(r == -ESRCH && bad == page(601) + 10 && f.calls == 2,
	       "gone during the exact read of a half page: -ESRCH at its address");
	block_cache_release(&c);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random reads against the model, with a cache that fills up. */
static void model(void)
{
	size_t rounds = tap_scale(20000, 20), i, wrong = 0, over = 0;
	struct block_cache c;
	struct fake f;
	int r;

	fake_init(&f);
	block_cache_init(&c, MIB);
	for (i = 0; i < rounds; i++) {
		uint64_t addr, len, want, bad;

		/* mostly near the holes and the end, small; some long */
		addr = BASE + (rnd() % 2 ? 590 * BLK + rnd() % (60 * BLK)
					 : rnd() % ((uint64_t)NPAGES * BLK));
		switch (rnd() % 4) {
		case 0:
			len = 1 + rnd() % 16;
			break;
		case 1:
			len = 1 + rnd() % (2 * BLK);
			break;
		case 2:
			len = 1 + rnd() % (TARGET_CACHE_BYPASS + BLK);
			break;
		default:
			len = BLK;
			addr &= ~(uint64_t)(BLK - 1);
			break;
		}
		f.nothing = (int[]){ -EFAULT, -EIO, 0 }[rnd() % 3];
		want = first_bad(addr, len);
		r = cread(&c, &f, addr, big, (size_t)len, &bad);
		if (want == addr + len ? r || !same(big, addr, (size_t)len)
				       : !unreadable(r, &f) || bad != want) {
			if (wrong++ < 5)
				tap_diag("read 0x%llx+%llu: rc %d bad 0x%llx, model 0x%llx",
					 (unsigned long long)addr, (unsigned long long)len, r,
					 (unsigned long long)bad, (unsigned long long)want);
		}
		over += c.nblocks * BLK > MIB;
	}
	tap_ok(!wrong && !over && !f.broken && c.flushes > 0 && c.hits > 0,
	       "%zu random reads agree with the model (%llu hits, %llu misses, %llu times "
	       "emptied)",
	       rounds, (unsigned long long)c.hits, (unsigned long long)c.misses,
	       (unsigned long long)c.flushes);
	block_cache_release(&c);
}

int main(void)
{
	hits_and_misses();
	partial_pages();
	cap();
	gone();
	model();
	return tap_done();
}
