/*
 * target.h - the process (later: core file) heapscope reads.
 *
 * One interface, struct target_ops, with backends: what a backend must
 * provide is there (read memory; registers and resume where it has
 * them; close), and the callers reach a backend only through it.
 * Backends: the live process (target_ptrace.c, the only file that
 * includes <sys/ptrace.h>), memory we hold (target_image.c), the files a
 * process maps (target_files.c).
 *
 * Live process: target_attach() seizes every thread with PTRACE_SEIZE and
 * stops it with PTRACE_INTERRUPT (re-scanning /proc/PID/task until no new
 * thread appears), waiting with __WALL.  While attached the target is
 * frozen: reads are consistent and go through a block cache.
 * target_resume() detaches every thread (re-injecting any signal that
 * arrived while stopped) and the target runs again; reads still work
 * afterwards (uncached, live) until target_close().  What /proc says of
 * the process (its threads, whether it has exited) is in proc.h.
 *
 * Invariant: whatever ends heapscope - return, error, SIGINT, SIGTERM,
 * SIGHUP - every thread is detached: the live backend adds its detach to
 * the fatal-signal hooks (fatal.h) that cmd/ installs; the kernel
 * detaches on SIGKILL.
 */
#ifndef HS_TARGET_H
#define HS_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"

struct target;

/* The general registers of x86_64, numbered as DWARF numbers them (and
 * libunwind's UNW_X86_64_*): an unwinder indexes gpr[] by that number. */
enum target_gpr {
	TARGET_RAX,
	TARGET_RDX,
	TARGET_RCX,
	TARGET_RBX,
	TARGET_RSI,
	TARGET_RDI,
	TARGET_RBP,
	TARGET_RSP,
	TARGET_R8,
	TARGET_R9,
	TARGET_R10,
	TARGET_R11,
	TARGET_R12,
	TARGET_R13,
	TARGET_R14,
	TARGET_R15,
	TARGET_RIP,
	TARGET_NGPR
};

/* Registers of a stopped thread: ip, sp and bp repeat gpr[TARGET_RIP],
 * gpr[TARGET_RSP] and gpr[TARGET_RBP]. */
struct target_regs {
	uint64_t ip, sp, bp, fs_base;
	uint64_t gpr[TARGET_NGPR];
};

struct target_ops {
	/* Read exactly len bytes at addr.  0, or -1 with err set:
	 * HS_EGONE if the process is gone, HS_EREAD for a bad address. */
	int (*read)(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err);
	/* Registers of thread tid; NULL where there are none (images). */
	int (*regs)(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err);
	/* Let a frozen target run again (idempotent); NULL for targets
	 * that never run (images, mapped files, core files). */
	void (*resume)(struct target *t);
	/* Resume if needed, free everything. */
	void (*close)(struct target *t);
};

enum target_flags {
	TARGET_NO_STOP = 1 << 0,    /* read live, never freeze */
	TARGET_CACHE_LIVE = 1 << 1, /* cache reads even while it runs (they may
				     * be stale: for walks that accept that) */
};

struct target {
	const struct target_ops *ops;
	pid_t pid;
	unsigned flags;
	int frozen;  /* every thread is in a ptrace stop */
	pid_t *tids; /* threads found at attach, main thread first */
	size_t ntids;
	uint64_t pause_ns;   /* time frozen: first interrupt to last detach */
	uint64_t lost_reads; /* reads that failed for another reason than a
			      * bad address: the process gone, a file
			      * unreadable (through a fallback too) */
	void *priv;	     /* backend state (fds, block cache, ...) */
};

/* Attach to a live process.  On success *out owns the target (free with
 * target_close).  Errors: HS_ENOPROC (no such pid), HS_EPERM (ptrace
 * refused: message names the cause - yama ptrace_scope, missing
 * CAP_SYS_PTRACE, another tracer with its pid and name - and the hint what
 * to do), HS_EGONE (exited during attach).  Nothing is left attached on
 * failure. */
int target_attach(struct target **out, pid_t pid, unsigned flags, struct hs_error *err);

/* Read through the backend (cached while frozen). */
int target_read(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err);
int target_read_u64(struct target *t, uint64_t addr, uint64_t *v, struct hs_error *err);
int target_read_u32(struct target *t, uint64_t addr, uint32_t *v, struct hs_error *err);
/* Read a NUL-terminated string of at most len-1 bytes into buf (always
 * terminated).  Stops at page ends safely.  Returns the length or -1. */
int target_read_cstr(struct target *t, uint64_t addr, char *buf, size_t len, struct hs_error *err);
/* Registers of thread tid (one of t->tids).  0, or -1 with err:
 * HS_EUNSUPPORTED for a target without registers (an image), HS_EINTERNAL
 * for a live thread not stopped, HS_EGONE / HS_EREAD if it is gone. */
int target_regs(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err);

/* Let the target run again (a live one: detach every thread).
 * Idempotent; does nothing for a target that cannot run, or NULL. */
void target_resume(struct target *t);
/* Resume if needed, free everything.  NULL is fine. */
void target_close(struct target *t);

/*
 * A target over memory held in our own process: regions of bytes at
 * target addresses (copied in).  For unit tests of the decoders over
 * synthetic memory, and later for snapshots and core files.  Reads must
 * fall within one region; regs are not available.
 */
struct target *target_image_new(void);
/* Add a region; 0, or -1 with err (HS_ENOMEM, or HS_EINTERNAL when it
 * overlaps a region already there). */
int target_image_add(struct target *t, uint64_t addr, const void *data, size_t len,
		     struct hs_error *err);
/* Add a region over an mmap'ed buffer of len bytes, which the image then
 * owns (munmap on close; on failure the caller keeps it). */
int target_image_adopt(struct target *t, uint64_t addr, void *data, size_t len,
		       struct hs_error *err);
/* Our own writable copy of [addr, addr+len) when t is an image holding
 * it whole, else NULL.  Writing to it changes what later reads see. */
void *target_image_ptr(struct target *t, uint64_t addr, size_t len);
/* The region of an image holding addr: its start, length and our copy of
 * its bytes.  0, or -1 if t is no image or addr is outside its regions. */
int target_image_region(struct target *t, uint64_t addr, uint64_t *start, size_t *len,
			unsigned char **data);
/* Serve reads outside every region from fallback (not owned; must
 * outlive the image).  NULL: such reads fail. */
void target_image_set_fallback(struct target *t, struct target *fallback);

/*
 * A target over the files a process maps, read from the files
 * themselves: where a process's memory is its files' bytes (read-only
 * mappings it never wrote to: code, read-only data), a copy of its
 * writable memory needs the process no more, and a core file, which
 * leaves these out, gets them back.  Reads outside every mapping fail
 * with HS_EREAD; a file that cannot be read counts as a lost read.
 */
struct target *target_files_new(void);
/* Take fd (owned from now on, closed on failure too).  Its number for
 * target_files_add_map, or -1 with err. */
int target_files_add_file(struct target *t, int fd, struct hs_error *err);
/* Map [start, end) (page-aligned, not overlapping another mapping) to
 * file number file at offset.  0, or -1 with err. */
int target_files_add_map(struct target *t, uint64_t start, uint64_t end, uint64_t offset, int file,
			 struct hs_error *err);
/* 1 if t is a files target mapping addr. */
int target_files_has(struct target *t, uint64_t addr);

#endif
