/*
 * target.c - what every target backend shares: argument checks and
 * dispatch, typed and string reads, and the signal handlers that detach
 * live targets when heapscope is killed.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block_cache.h"
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
