/*
 * target.c - what every target backend shares: argument checks and
 * dispatch, typed and string reads.
 */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "block_cache.h"
#include "maps.h"
#include "proc.h"
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

void target_read_many(struct target *t, const uint64_t *addr, size_t n, size_t len, void *out,
		      uint8_t *ok)
{
	size_t i;

	if (t && t->ops->read_many && !t->gone && len && len <= 4096) {
		for (i = 0; i < n; i++)
			if (addr[i] >= TARGET_ADDR_MAX || len > TARGET_ADDR_MAX - addr[i])
				break;
		if (i == n) {
			t->ops->read_many(t, addr, n, len, out, ok);
			return;
		}
	}
	for (i = 0; i < n; i++)
		ok[i] = !target_read(t, addr[i], (char *)out + i * len, len, NULL);
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
	struct target_process *p;

	if (!t)
		return;
	p = t->proc;
	t->ops->close(t);
	if (p) {
		if (p->maps)
			maps_release(p->maps);
		free(p->maps);
		free(p->threads);
		for (size_t i = 0; i < p->nmismatch; i++)
			free(p->mismatch[i].path);
		free(p->mismatch);
		free(p);
	}
}

/* ---- the process: /proc for a live one, t->proc for the others -------- */

int target_maps(struct target *t, struct maps *m, struct hs_error *err)
{
	if (t->proc)
		return maps_copy(m, t->proc->maps, err);
	return maps_read(m, t->pid, err);
}

int target_exe(struct target *t, char *buf, size_t len, struct hs_error *err)
{
	char link[64];
	ssize_t n;

	if (t->proc) {
		if (!t->proc->exe[0])
			return hs_error_set(err, HS_EMISSING,
					    "the core file does not say which files the process "
					    "mapped (no NT_FILE note: a kernel older than 3.7?)");
		snprintf(buf, len, "%s", t->proc->exe);
		return 0;
	}
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)t->pid);
	n = readlink(link, buf, len - 1);
	if (n < 0) {
		int e = errno;

		if (proc_exited(t->pid))
			return hs_error_set(
				err, HS_EGONE,
				"target exited: process %d exited while heapscope read it",
				(int)t->pid);
		return hs_error_errno(err, HS_EFILE, e, "cannot read %s", link);
	}
	buf[n] = '\0';
	/* a replaced executable shows as "path (deleted)" */
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
		buf[n - 10] = '\0';
	return 0;
}

const char *target_root(struct target *t, char *buf, size_t len)
{
	if (t->proc)
		snprintf(buf, len, "%s", t->proc->root);
	else
		snprintf(buf, len, "/proc/%d/root", (int)t->pid);
	return buf;
}

ssize_t target_cmdline(struct target *t, char *buf, size_t len)
{
	size_t n;

	if (!t->proc)
		return proc_cmdline(t->pid, buf, len);
	if (!len)
		return -1;
	n = t->proc->cmdline_len < len - 1 ? t->proc->cmdline_len : len - 1;
	memcpy(buf, t->proc->cmdline, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	return (ssize_t)n;
}

static const struct target_thread *proc_thread(const struct target_process *p, pid_t tid)
{
	size_t i;

	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

void target_thread_name(struct target *t, pid_t tid, char *buf, size_t len)
{
	buf[0] = '\0';
	if (t->proc) {
		/* a core names the process, not its threads: the main
		 * thread's name is the process's */
		if (tid == t->pid)
			snprintf(buf, len, "%s", t->proc->comm);
		return;
	}
	if (proc_task_file(t->pid, tid, "comm", buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

long target_thread_syscall(struct target *t, pid_t tid)
{
	char line[256];
	long nr;

	if (t->proc) {
		const struct target_thread *th = proc_thread(t->proc, tid);

		return th ? th->syscall : -1;
	}
	/* the first field of /proc/PID/task/TID/syscall: a number, or
	 * "running"; a thread in a ptrace stop still shows the call it was
	 * interrupted in */
	if (proc_task_file(t->pid, tid, "syscall", line, sizeof(line)) < 0 ||
	    sscanf(line, "%ld", &nr) != 1 || nr < 0)
		return -1;
	return nr;
}

int target_exited(struct target *t)
{
	return t->proc ? 0 : proc_exited(t->pid);
}

int target_blame_exit(struct target *t, struct hs_error *err)
{
	return t->proc ? 0 : proc_blame_exit(t->pid, err);
}

long long target_start_time(struct target *t)
{
	return t->proc ? -1 : proc_start_time(t->pid);
}
