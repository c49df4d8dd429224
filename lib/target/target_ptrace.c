/*
 * target_ptrace.c - the live-process target: freeze with ptrace, read
 * with process_vm_readv (or /proc/PID/mem), let go.
 *
 * The only file that includes <sys/ptrace.h>.  What it asks /proc (the
 * threads and their states) is in proc.c, the reasons for a refusal in
 * target_ptrace_diag.c.
 *
 * Why PTRACE_SEIZE + PTRACE_INTERRUPT and not PTRACE_ATTACH (SIGSTOP):
 * the interrupt stop is not a signal, so the target neither sees a
 * SIGSTOP nor a SIGCONT, its parent is not told it stopped, and if we die
 * (even by SIGKILL) the kernel detaches and the interrupted threads simply
 * run on.  A process that was in a group stop (SIGSTOP, ^Z) before we came
 * goes back to it on detach: the kernel keeps SIGNAL_STOP_STOPPED.
 *
 * Signals: a thread may report a signal-delivery-stop instead of our
 * interrupt (a signal dequeued between SEIZE and INTERRUPT).  That signal
 * has been taken off its queue; we hand it back with PTRACE_DETACH, so
 * the target neither loses nor gains a signal.
 *
 * Every attached target is linked into a registry that the fatal-signal
 * hook (fatal.h) walks; the registry and the thread arrays it points to
 * change only with those signals blocked.
 */
#include "config.h"
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "block_cache.h"
#include "fatal.h"
#include "proc.h"
#include "target.h"
#include "target_ptrace_diag.h"

/* Rounds of "list /proc/PID/task, seize what is new" before giving up on
 * a process that keeps spawning threads faster than we stop them. */
#define MAX_SCAN_ROUNDS 64
/* How long one thread may take to stop.  A thread in uninterruptible
 * sleep (state D) stops only when it wakes. */
#define STOP_TIMEOUT_NS (10ull * 1000000000ull)
/* After a failure, how long to wait for stops still due before detaching. */
#define CLEANUP_TIMEOUT_NS (200ull * 1000000ull)
/* Retries of a read that keeps returning short but making progress. */
#define MAX_READ_ROUNDS 64
/* Bound on the registry walk in the signal handler. */
#define MAX_LIVE_TARGETS 1024

enum thread_state {
	TH_SEIZED,  /* seized and interrupted, stop not yet seen */
	TH_STOPPED, /* in a ptrace stop: may be read, must be detached */
	TH_GONE,    /* exited (reaped, or a zombie we gave up on) */
	TH_DETACHED,
};

struct live_thread {
	pid_t tid;
	int state; /* enum thread_state */
	int sig;   /* signal to hand back on detach, 0 if none */
};

struct live {
	struct live *next; /* registry of attached targets */
	int registered;
	pid_t pid;
	int our_child; /* the target is our child (heapscope demo) */
	struct live_thread *th;
	size_t nth, cap;
	pid_t read_pid;	 /* the thread process_vm_readv names */
	int mem_fd;	 /* /proc/PID/mem, opened on first need */
	int no_vm_readv; /* process_vm_readv unavailable: use mem_fd */
	uint64_t t0;	 /* CLOCK_MONOTONIC of the first interrupt */
	struct block_cache cache;
};

static struct live *registry;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- registry (signals blocked by the caller) --------------------------- */

static void registry_add(struct live *l)
{
	if (l->registered)
		return;
	l->next = registry;
	registry = l;
	l->registered = 1;
}

static void registry_remove(struct live *l)
{
	struct live **pp;
	size_t n;

	if (!l->registered)
		return;
	for (pp = &registry, n = 0; *pp && n < MAX_LIVE_TARGETS; pp = &(*pp)->next, n++) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	l->registered = 0;
	l->next = NULL;
}

/*
 * The fatal-signal hook: detach every thread of every live target,
 * re-injecting pending signals.  Async-signal-safe: the registry and the
 * thread arrays change only with the fatal signals blocked.
 */
static void detach_all_async(void)
{
	struct live *l;
	size_t n, i;

	for (l = registry, n = 0; l && n < MAX_LIVE_TARGETS; l = l->next, n++) {
		for (i = 0; i < l->nth; i++) {
			if (l->th[i].state != TH_STOPPED)
				continue;
			/* raw syscall semantics suffice: errors are ignored */
			if (!ptrace(PTRACE_DETACH, l->th[i].tid, NULL, (void *)(long)l->th[i].sig))
				l->th[i].state = TH_DETACHED;
		}
	}
}

/* ---- threads -------------------------------------------------------------- */

static struct live_thread *thread_add(struct live *l, pid_t tid)
{
	if (l->nth == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct live_thread *n = realloc(l->th, cap * sizeof(*n));

		if (!n)
			return NULL;
		l->th = n;
		l->cap = cap;
	}
	l->th[l->nth] = (struct live_thread){ .tid = tid, .state = TH_SEIZED };
	return &l->th[l->nth++];
}

static struct live_thread *thread_find(struct live *l, pid_t tid)
{
	size_t i;

	for (i = 0; i < l->nth; i++)
		if (l->th[i].tid == tid)
			return &l->th[i];
	return NULL;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * waitpid(tid, WNOHANG) for a thread we trace.  When the target is our
 * own child, its exit status belongs to the code that started it: peek
 * with WNOWAIT and leave an exit of the main thread unconsumed.
 */
static pid_t thread_wait(struct live *l, pid_t tid, int *status)
{
	if (l->our_child && tid == l->pid) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) <
		    0)
			return -1;
		if (!si.si_pid)
			return 0;
		if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
		    si.si_code == CLD_DUMPED) {
			*status = 0; /* WIFEXITED */
			return tid;
		}
	}
	return waitpid(tid, status, __WALL | WNOHANG);
}

/* Record the stop (or end) waitpid reported for th. */
static void thread_status(struct live_thread *th, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		th->state = TH_GONE;
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	th->state = TH_STOPPED;
	/* status >> 16 is the ptrace event: PTRACE_EVENT_STOP for our
	 * interrupt or a group stop, 0 for a signal-delivery-stop, whose
	 * signal we now hold and must give back */
	if ((status >> 16) == 0)
		th->sig = WSTOPSIG(status);
}

/*
 * Wait until every seized thread has stopped or gone.  Polls, so that no
 * wait can block forever and so that the fatal signals can be let in
 * between polls, when the thread table is consistent.
 */
static int wait_stops(struct target *t, struct live *l, const sigset_t *unblocked,
		      uint64_t timeout_ns, struct hs_error *err)
{
	uint64_t start = now_ns();
	size_t round, max_rounds = timeout_ns / 1000000 + 64;
	long sleep_ns = 2000;

	/* sleeps grow to 1 ms: max_rounds outlasts timeout_ns */
	for (round = 0; round < max_rounds; round++) {
		size_t i, pending = 0;
		struct timespec ts;

		for (i = 0; i < l->nth; i++) {
			struct live_thread *th = &l->th[i];
			int status;
			pid_t r;

			if (th->state != TH_SEIZED)
				continue;
			r = thread_wait(l, th->tid, &status);
			if (r == th->tid) {
				thread_status(th, status);
			} else if (r < 0 && errno != EINTR) {
				/* ECHILD: not ours to wait for any more */
				th->state = TH_GONE;
			} else if (round >= 4 && proc_state_gone(proc_state(t->pid, th->tid))) {
				/* a zombie leader is reported only after every
				 * other thread is gone: do not wait for it */
				th->state = TH_GONE;
			} else {
				pending++;
			}
		}
		if (!pending)
			return 0;
		if (now_ns() - start > timeout_ns)
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = sleep_ns;
		sigprocmask(SIG_SETMASK, unblocked, NULL);
		nanosleep(&ts, NULL);
		fatal_block(NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
	for (round = 0; round < l->nth; round++) {
		const struct live_thread *th = &l->th[round];
		char st;

		if (th->state != TH_SEIZED)
			continue;
		st = proc_state(t->pid, th->tid);
		hs_error_set(err, HS_EINTERNAL,
			     "thread %d of process %d did not stop "
			     "within %.1f s (state %c)",
			     (int)th->tid, (int)t->pid, timeout_ns / 1e9, st ? st : '?');
		hs_error_hint(err, "a thread in state D waits for the kernel (disk, "
				   "network file system); try again later");
		break;
	}
	return -1;
}

/*
 * Reap threads that died while traced, so that the target's parent sees
 * its exit now rather than when we exit.  The leader is reported last,
 * after its threads: a few short retries, no more.
 */
static void reap_gone(struct live *l, pid_t pid)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
	int tries, left, status;
	size_t i;

	for (tries = 0; tries < 50; tries++) {
		left = 0;
		for (i = 0; i < l->nth; i++) {
			struct live_thread *th = &l->th[i];
			pid_t r;

			if (th->state != TH_GONE || !th->tid)
				continue;
			if (l->our_child && th->tid == pid) {
				th->tid = 0; /* our caller's to collect */
				continue;
			}
			r = waitpid(th->tid, &status, __WALL | WNOHANG);
			if (r == th->tid || (r < 0 && errno != EINTR))
				th->tid = 0; /* reaped, or not ours */
			else if (th->tid == pid && !proc_state_gone(proc_state(pid, pid)))
				th->tid = 0; /* leader alive after all */
			else
				left++;
		}
		if (!left)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Detach every stopped thread; signals blocked by the caller. */
static void detach_all(struct target *t, struct live *l)
{
	size_t i;
	int dead = 0;

	for (i = 0; i < l->nth; i++) {
		struct live_thread *th = &l->th[i];
		int status;

		if (th->state == TH_SEIZED) {
			/* stopped after a timeout gave up on it? */
			if (thread_wait(l, th->tid, &status) == th->tid)
				thread_status(th, status);
		}
		if (th->state != TH_STOPPED)
			continue;
		if (!ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)th->sig)) {
			th->state = TH_DETACHED;
			continue;
		}
		/* ESRCH: killed (SIGKILL wakes a traced thread) and now a
		 * zombie that only we can reap */
		th->state = TH_GONE;
		dead = 1;
	}
	if (l->t0)
		t->pause_ns = now_ns() - l->t0;
	t->frozen = 0;
	if (dead)
		reap_gone(l, t->pid);
}

/* ---- reads ---------------------------------------------------------------- */

/* /proc/PID/mem, for kernels or sandboxes without process_vm_readv. */
static ssize_t mem_fill(struct target *t, struct live *l, const struct iovec *local,
			const struct iovec *remote, size_t n)
{
	size_t i, total = 0;

	if (l->mem_fd < 0) {
		char fn[64];

		snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)l->read_pid);
		l->mem_fd = open(fn, O_RDONLY | O_CLOEXEC);
		if (l->mem_fd < 0)
			return errno == ENOENT ? -ESRCH : -errno;
	}
	for (i = 0; i < n; i++) {
		size_t done = 0;
		int rounds = 0;

		/* each round makes progress or returns: bounded */
		while (done < remote[i].iov_len && rounds++ < MAX_READ_ROUNDS) {
			uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base + done;
			ssize_t r = pread(l->mem_fd, (char *)local[i].iov_base + done,
					  remote[i].iov_len - done, (off_t)a);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* 0: the address space is gone (exited) */
				int e = r == 0 ? (proc_threads_gone(t->pid) ? ESRCH : EIO) : errno;

				if (total + done)
					return (ssize_t)(total + done);
				return -e;
			}
			done += (size_t)r;
		}
		total += done;
		if (done < remote[i].iov_len)
			return total ? (ssize_t)total : -EIO;
	}
	return (ssize_t)total;
}

/*
 * target_fill_fn for the live backend.  ESRCH from process_vm_readv may
 * only mean that the main thread has exited (pthread_exit) while the
 * others run on: any live thread names the same address space.
 */
static ssize_t live_fill(void *ctx, const struct iovec *local, const struct iovec *remote, size_t n)
{
	struct target *t = ctx;
	struct live *l = t->priv;
	size_t tries = 0;

	/* bounded: at most one try per known thread plus a few EINTR */
	while (!l->no_vm_readv && tries++ < l->nth + 8) {
		ssize_t r = process_vm_readv(l->read_pid, local, n, remote, n, 0);
		size_t i;

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == ENOSYS || errno == EPERM) {
			/* EPERM while we are its tracer: a seccomp filter
			 * (container) forbids the call, not the access */
			l->no_vm_readv = 1;
			break;
		}
		if (errno != ESRCH)
			return -errno;
		if (!proc_threads_gone(t->pid)) {
			for (i = 0; i < l->nth; i++) {
				if (l->th[i].tid != l->read_pid && l->th[i].tid > 0 &&
				    !proc_state_gone(proc_state(t->pid, l->th[i].tid))) {
					l->read_pid = l->th[i].tid;
					break;
				}
			}
			if (i < l->nth)
				continue;
		}
		return -ESRCH;
	}
	if (!l->no_vm_readv)
		return -EIO;
	return mem_fill(t, l, local, remote, n);
}

static int read_error(struct target *t, uint64_t addr, size_t len, uint64_t bad, int e,
		      struct hs_error *err)
{
	if (e != -EFAULT && e != -EIO)
		t->lost_reads++;
	if (e == -ESRCH) {
		t->gone = 1;
		return hs_error_set(err, HS_EGONE, "target exited: process %d is gone",
				    (int)t->pid);
	}
	if (e == -ENOMEM)
		return hs_error_set(err, HS_ENOMEM, "out of memory reading the target");
	if (e == -EPERM || e == -EACCES)
		return ptrace_diagnose(t->pid, t->pid, -e, "reading the memory", err);
	if (bad > addr && bad < addr + len)
		return hs_error_errno(err, HS_EREAD, -e,
				      "cannot read %zu bytes at 0x%llx "
				      "(unreadable from 0x%llx)",
				      len, (unsigned long long)addr, (unsigned long long)bad);
	return hs_error_errno(err, HS_EREAD, -e, "cannot read %zu bytes at 0x%llx", len,
			      (unsigned long long)addr);
}

/* Uncached exact read: loops while a short read still makes progress. */
static int read_live(struct target *t, uint64_t addr, void *buf, size_t len, uint64_t *bad)
{
	size_t done = 0;
	int rounds = 0;

	while (done < len && rounds++ < MAX_READ_ROUNDS) {
		struct iovec lo = { .iov_base = (char *)buf + done, .iov_len = len - done };
		struct iovec re = { .iov_base = (void *)(uintptr_t)(addr + done),
				    .iov_len = len - done };
		ssize_t r = live_fill(t, &lo, &re, 1);

		if (r <= 0) {
			*bad = addr + done;
			return r < 0 ? (int)r : -EFAULT;
		}
		done += (size_t)r;
	}
	*bad = addr + done;
	return done == len ? 0 : -EFAULT;
}

static int live_read(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err)
{
	struct live *l = t->priv;
	uint64_t bad = addr;
	int r;

	/* a process does not come back: without this, each read of a walk
	 * of a dead process would ask the kernel and /proc again */
	if (t->gone)
		return read_error(t, addr, len, addr, -ESRCH, err);
	if (t->frozen || t->flags & TARGET_CACHE_LIVE)
		r = block_cache_read(&l->cache, addr, buf, len, live_fill, t, &bad);
	else
		r = read_live(t, addr, buf, len, &bad);
	if (!r)
		return 0;
	/* a partial block read already retried exactly: one more check
	 * tells a dead process from a bad address */
	if ((r == -EFAULT || r == -EIO) && proc_threads_gone(t->pid))
		r = -ESRCH;
	return read_error(t, addr, len, bad, r, err);
}

/* Batches of exact ranges: a failed one is skipped, the batch goes on
 * after it. */
#define READ_MANY_BATCH 512

static void live_read_many(struct target *t, const uint64_t *addr, size_t n, size_t len, void *out,
			   uint8_t *ok)
{
	struct iovec lo[READ_MANY_BATCH], re[READ_MANY_BATCH];
	size_t i = 0, k, m, done;
	ssize_t r;

	memset(ok, 0, n);
	while (i < n && !t->gone) {
		m = n - i < READ_MANY_BATCH ? n - i : READ_MANY_BATCH;
		for (k = 0; k < m; k++) {
			lo[k].iov_base = (char *)out + (i + k) * len;
			lo[k].iov_len = len;
			re[k].iov_base = (void *)(uintptr_t)addr[i + k];
			re[k].iov_len = len;
		}
		r = live_fill(t, lo, re, m);
		if (r == -ESRCH)
			t->gone = 1;
		done = r > 0 ? (size_t)r / len : 0;
		for (k = 0; k < done; k++)
			ok[i + k] = 1;
		/* the one that stopped the batch is unreadable */
		i += done < m ? done + 1 : m;
	}
}

/* ---- registers -------------------------------------------------------------- */

static int live_regs(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err)
{
	struct live *l = t->priv;
	struct live_thread *th = thread_find(l, tid);
#if defined(__x86_64__)
	struct user_regs_struct r;

	if (!t->frozen || !th || th->state != TH_STOPPED)
		return hs_error_set(err, HS_EINTERNAL,
				    "thread %d of process %d is not "
				    "stopped: registers are read only while frozen",
				    (int)tid, (int)t->pid);
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r)) {
		int e = errno;

		if (e == ESRCH && proc_state_gone(proc_state(t->pid, tid)))
			return hs_error_set(err, proc_threads_gone(t->pid) ? HS_EGONE : HS_EREAD,
					    "target exited: thread %d of process %d is gone",
					    (int)tid, (int)t->pid);
		return hs_error_errno(err, HS_EREAD, e,
				      "cannot read the registers of "
				      "thread %d",
				      (int)tid);
	}
	regs->ip = r.rip;
	regs->sp = r.rsp;
	regs->bp = r.rbp;
	regs->fs_base = r.fs_base;
	regs->gpr[TARGET_RAX] = r.rax;
	regs->gpr[TARGET_RDX] = r.rdx;
	regs->gpr[TARGET_RCX] = r.rcx;
	regs->gpr[TARGET_RBX] = r.rbx;
	regs->gpr[TARGET_RSI] = r.rsi;
	regs->gpr[TARGET_RDI] = r.rdi;
	regs->gpr[TARGET_RBP] = r.rbp;
	regs->gpr[TARGET_RSP] = r.rsp;
	regs->gpr[TARGET_R8] = r.r8;
	regs->gpr[TARGET_R9] = r.r9;
	regs->gpr[TARGET_R10] = r.r10;
	regs->gpr[TARGET_R11] = r.r11;
	regs->gpr[TARGET_R12] = r.r12;
	regs->gpr[TARGET_R13] = r.r13;
	regs->gpr[TARGET_R14] = r.r14;
	regs->gpr[TARGET_R15] = r.r15;
	regs->gpr[TARGET_RIP] = r.rip;
	return 0;
#else
	(void)l;
	(void)th;
	(void)regs;
	return hs_error_set(err, HS_EUNSUPPORTED, "registers: only x86_64 is supported");
#endif
}

/* ---- attach, resume, close -------------------------------------------------- */

static void live_resume(struct target *t)
{
	struct live *l = t->priv;
	sigset_t old;

	if (!l || !t->frozen)
		return;
	fatal_block(&old);
	detach_all(t, l);
	registry_remove(l);
	fatal_restore(&old);
	/* from now on every read is live: nothing cached may be trusted */
	block_cache_release(&l->cache);
}

static void live_close(struct target *t)
{
	struct live *l = t->priv;

	live_resume(t);
	if (l) {
		if (l->mem_fd >= 0)
			close(l->mem_fd);
		block_cache_release(&l->cache);
		free(l->th);
		free(l);
	}
	free(t->tids);
	free(t);
}

static const struct target_ops live_ops = {
	.read = live_read,
	.read_many = live_read_many,
	.regs = live_regs,
	.resume = live_resume,
	.close = live_close,
};

/*
 * Seize and interrupt every thread not seen yet; *nnew counts those
 * seized.  Threads that exit under us are skipped; a refusal that is not
 * an exit is diagnosed.
 */
static int seize_new(struct target *t, struct live *l, const pid_t *tids, size_t n, size_t *nnew,
		     struct hs_error *err)
{
	pid_t *known;
	size_t i, nk = 0;

	*nnew = 0;
	known = malloc((l->nth + 1) * sizeof(*known));
	if (!known)
		return hs_error_set(err, HS_ENOMEM, "out of memory attaching");
	for (i = 0; i < l->nth; i++)
		if (l->th[i].state != TH_GONE)
			known[nk++] = l->th[i].tid;
	qsort(known, nk, sizeof(*known), cmp_pid);
	for (i = 0; i < n; i++) {
		struct live_thread *th;
		int e;

		if (bsearch(&tids[i], known, nk, sizeof(*known), cmp_pid))
			continue;
		if (!l->t0)
			l->t0 = now_ns();
		if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL)) {
			e = errno;
			/* ESRCH: gone; EPERM on an exiting thread (a zombie
			 * cannot be traced): gone too */
			if (e == ESRCH ||
			    (e == EPERM && proc_state_gone(proc_state(t->pid, tids[i]))))
				continue;
			free(known);
			if (e == EPERM)
				return ptrace_diagnose(t->pid, tids[i], e, "ptrace(PTRACE_SEIZE)",
						       err);
			return hs_error_errno(err, HS_EINTERNAL, e, "ptrace(PTRACE_SEIZE, %d)",
					      (int)tids[i]);
		}
		th = thread_add(l, tids[i]);
		if (!th) {
			/* not in the table: the signal handler and detach
			 * would not know it, so let it go right now */
			ptrace(PTRACE_DETACH, tids[i], NULL, NULL);
			free(known);
			return hs_error_set(err, HS_ENOMEM, "out of memory attaching");
		}
		/* ESRCH here: it is exiting, and waitpid will say so */
		ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
		(*nnew)++;
	}
	free(known);
	return 0;
}

static int freeze(struct target *t, struct live *l, struct hs_error *err)
{
	sigset_t old;
	size_t nnew, i, nstopped = 0;
	int round, ret = -1;
	pid_t *tids = NULL;
	long n;

	/* before any thread is ours: a fatal signal lets go of them all */
	if (fatal_add_hook(detach_all_async))
		return hs_error_set(err, HS_EINTERNAL,
				    "no room for the fatal-signal hook "
				    "that detaches the target");
	fatal_block(&old);
	registry_add(l);
	for (round = 0; round < MAX_SCAN_ROUNDS; round++) {
		n = proc_tasks(t->pid, &tids);
		if (n == -ENOENT || n == -ESRCH || n == 0)
			break; /* gone: decided below */
		if (n < 0) {
			if (n == -E2BIG)
				hs_error_set(err, HS_EINTERNAL,
					     "process %d has more than %d "
					     "threads",
					     (int)t->pid, PROC_MAX_THREADS);
			else
				hs_error_errno(err, n == -ENOMEM ? HS_ENOMEM : HS_EINTERNAL,
					       (int)-n, "cannot list /proc/%d/task", (int)t->pid);
			goto fail;
		}
		if (seize_new(t, l, tids, (size_t)n, &nnew, err))
			goto fail;
		free(tids);
		tids = NULL;
		/* threads we stopped cannot start new ones: once a listing
		 * shows nothing new, every thread is ours */
		if (!nnew)
			break;
		if (wait_stops(t, l, &old, STOP_TIMEOUT_NS, err))
			goto fail;
	}
	free(tids);
	tids = NULL;
	if (round == MAX_SCAN_ROUNDS) {
		hs_error_set(err, HS_EINTERNAL,
			     "process %d keeps starting threads: not "
			     "all stopped after %d rounds",
			     (int)t->pid, MAX_SCAN_ROUNDS);
		goto fail;
	}
	for (i = 0; i < l->nth; i++)
		if (l->th[i].state == TH_STOPPED)
			nstopped++;
	if (!nstopped) {
		hs_error_set(err, HS_EGONE, "target exited: process %d exited during attach",
			     (int)t->pid);
		goto fail;
	}
	t->tids = malloc(nstopped * sizeof(*t->tids));
	if (!t->tids) {
		hs_error_set(err, HS_ENOMEM, "out of memory attaching");
		goto fail;
	}
	/* l->th starts with the main thread when it was listed first */
	for (i = 0; i < l->nth; i++)
		if (l->th[i].state == TH_STOPPED)
			t->tids[t->ntids++] = l->th[i].tid;
	/* a thread we hold names the address space even if the main
	 * thread has exited (see live_fill) */
	l->read_pid = t->tids[0];
	t->frozen = 1;
	ret = 0;
	goto out;
fail:
	free(tids);
	/*
	 * Nothing stays attached: wait for the stops still due, then
	 * detach.  A thread that does not stop even now (state D) stays
	 * seized until it stops or we exit, when the kernel lets it go.
	 */
	wait_stops(t, l, &old, CLEANUP_TIMEOUT_NS, NULL);
	detach_all(t, l);
	registry_remove(l);
out:
	fatal_restore(&old);
	return ret;
}

/* What the reads made while the target is frozen allocate (a stack
 * dump's code cache and frames: a few MiB at most) comes from memory of
 * ours already touched: allocations up to WARM_MMAP come from the heap,
 * what is freed stays there, and WARM_BYTES of it are touched now.  A
 * page fault costs some 10 us in a virtual machine: dozens of them were
 * half of a stack dump's pause. */
#define WARM_BYTES (2u << 20)
#define WARM_MMAP (8 << 20)
static void warm_heap(void)
{
	static int done;
	void *p;

	if (done++)
		return;
	mallopt(M_MMAP_THRESHOLD, WARM_MMAP);
	mallopt(M_TRIM_THRESHOLD, 4 * WARM_MMAP);
	p = malloc(WARM_BYTES);
	/* explicit_bzero: a memset before free is a dead store the compiler
	 * may drop */
	if (p)
		explicit_bzero(p, WARM_BYTES);
	free(p);
}

int target_attach(struct target **out, pid_t pid, unsigned flags, struct hs_error *err)
{
	struct target *t;
	struct live *l;
	pid_t tgid;
	char st;

	*out = NULL;
	st = pid > 0 ? proc_state(pid, pid) : '\0';
	/* the user may have named a thread: take its process */
	tgid = st ? proc_status_pid(pid, "Tgid") : 0;
	if (!st || tgid <= 0) {
		hs_error_set(err, HS_ENOPROC, "no process with pid %d", (int)pid);
		hs_error_hint(err, "check the pid: ps -eo pid,comm | grep python");
		return -1;
	}
	if (tgid != pid) {
		pid = tgid;
		st = proc_state(pid, pid);
	}
	if (pid == getpid())
		return hs_error_set(err, HS_EUSAGE, "process %d is heapscope itself", (int)pid);
	/* kernel threads have no memory of their own to read */
	if (pid == 2 || proc_status_pid(pid, "PPid") == 2 || proc_status_pid(pid, "Kthread") == 1) {
		hs_error_set(err, HS_ENOTPYTHON,
			     "process %d is a kernel thread, not a Python "
			     "process",
			     (int)pid);
		hs_error_hint(err,
			      "give the pid of a Python process: ps -eo pid,comm | grep python");
		return -1;
	}
	if (proc_state_gone(st) && proc_threads_gone(pid)) {
		hs_error_set(err, HS_EGONE, "target exited: process %d is a zombie", (int)pid);
		hs_error_hint(err, "it has exited; its parent has not collected it yet");
		return -1;
	}
	t = calloc(1, sizeof(*t));
	l = calloc(1, sizeof(*l));
	if (!t || !l) {
		free(t);
		free(l);
		return hs_error_set(err, HS_ENOMEM, "out of memory attaching");
	}
	t->ops = &live_ops;
	t->pid = pid;
	t->flags = flags;
	t->priv = l;
	l->pid = pid;
	l->our_child = proc_status_pid(pid, "PPid") == getpid();
	l->mem_fd = -1;
	l->read_pid = pid;
	block_cache_init(&l->cache, TARGET_CACHE_MAX);

	if (flags & TARGET_NO_STOP) {
		char fn[64];
		long n, i;

		n = proc_tasks(pid, &t->tids);
		if (n <= 0) {
			hs_error_set(err, HS_EGONE, "target exited: process %d is gone", (int)pid);
			goto fail;
		}
		t->ntids = (size_t)n;
		/* name the memory through a live thread (see live_fill) */
		for (i = 0; i < n; i++) {
			if (!proc_state_gone(proc_state(pid, t->tids[i]))) {
				l->read_pid = t->tids[i];
				break;
			}
		}
		/* the same permission check ptrace makes, without stopping */
		snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)l->read_pid);
		l->mem_fd = open(fn, O_RDONLY | O_CLOEXEC);
		if (l->mem_fd < 0) {
			int e = errno;

			if (e == ENOENT || e == ESRCH)
				hs_error_set(err, HS_EGONE, "target exited: process %d is gone",
					     (int)pid);
			else
				ptrace_diagnose(pid, pid, e, "opening /proc/PID/mem", err);
			goto fail;
		}
		*out = t;
		return 0;
	}
	block_cache_prefault(&l->cache);
	warm_heap();
	if (freeze(t, l, err))
		goto fail;
	*out = t;
	return 0;
fail:
	live_close(t);
	return -1;
}
