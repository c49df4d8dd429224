/*
 * target.c - what every target backend shares: argument checks and
 * dispatch, typed and string reads.
 */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "block_cache.h"
#include "target.h"

/* x86_64 user space ends below 2^47; anything above cannot be a valid
 * target address (and would turn negative as a /proc/PID/mem offset). */
#define TARGET_ADDR_MAX (1ull << 56)

int target_read(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err)
{
	if (!len)
		return 0;
	if (!t || !buf)
		return hs_error_set(err, HS_EINTERNAL, "target_read: no target");
	/* a pointer from the target may be anything: refuse wrap-around
	 * before any backend computes with it */
	if (addr >= TARGET_ADDR_MAX || len > TARGET_ADDR_MAX - addr)
		return hs_error_set(err, HS_EREAD,
				    "cannot read %zu bytes at 0x%llx: not a user address", len,
				    (unsigned long long)addr);
	return t->ops->read(t, addr, buf, len, err);
}

int target_read_u64(struct target *t, uint64_t addr, uint64_t *v, struct hs_error *err)
{
	return target_read(t, addr, v, sizeof(*v), err);
}

int target_read_u32(struct target *t, uint64_t addr, uint32_t *v, struct hs_error *err)
{
	return target_read(t, addr, v, sizeof(*v), err);
}

/*
 * Read page by page: a short string at the end of the last mapped page
 * must not fail because the bytes after it are unmapped, so no read
 * crosses a page boundary before a NUL has been looked for.
 */
int target_read_cstr(struct target *t, uint64_t addr, char *buf, size_t len, struct hs_error *err)
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

int target_regs(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err)
{
	if (!t || !regs)
		return hs_error_set(err, HS_EINTERNAL, "target_regs: no target");
	if (!t->ops->regs)
		return hs_error_set(err, HS_EUNSUPPORTED, "this target has no registers");
	return t->ops->regs(t, tid, regs, err);
}

void target_resume(struct target *t)
{
	if (t && t->ops->resume)
		t->ops->resume(t);
}

void target_close(struct target *t)
{
	if (t)
		t->ops->close(t);
}
