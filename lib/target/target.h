/*
 * target.h - the process (later: core file) heapscope reads.
 *
 * One interface, struct target_ops, with backends: what a backend must
 * provide is there (read memory; registers and resume where it has
 * them; close), and the callers reach a backend only through it.
 * Backends: the live process (target_ptrace.c, the only file that
 * includes <sys/ptrace.h>), memory we hold (target_image.c), the files a
 * process maps (target_files.c), a core file (target_core.c: memory we
 * hold, with the process's threads, registers and mappings).
 *
 * What is known of the process besides its memory - its mappings, its
 * executable, its command line, the root its files are found under, the
 * names of its threads - is asked of /proc for a live target, and of
 * t->proc for a target that carries it (a core file): the target_maps,
 * target_exe ... functions below hide which.
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
	/* Read n ranges of len bytes (addr[i] into out + i * len) without
	 * caching them, setting ok[i]; NULL: target_read_many reads them
	 * one by one. */
	void (*read_many)(struct target *t, const uint64_t *addr, size_t n, size_t len, void *out,
			  uint8_t *ok);
	/* Registers of thread tid; NULL where there are none (images). */
	int (*regs)(struct target *t, pid_t tid, struct target_regs *regs, struct hs_error *err);
	/* Let a frozen target run again (idempotent); NULL for targets
	 * that never run (images, mapped files, core files). */
	void (*resume)(struct target *t);
	/* Resume if needed, free everything. */
	void (*close)(struct target *t);
};

/* One thread of a process that is no longer live (a core file's). */
struct target_thread {
	pid_t tid;
	long syscall; /* the call it was in (orig_rax), -1 none */
	struct target_regs regs;
};

struct maps;

/* What a target that is no process (a core file) says of the process. */
struct target_process {
	struct maps *maps;
	char exe[4096];
	char root[4096]; /* where its files are found: "" for our own root */
	char comm[17];
	char cmdline[4096]; /* its arguments, each NUL-terminated */
	size_t cmdline_len;
	struct target_thread *threads;
	size_t nthreads;
	char warning[512];	  /* what the reader met: a truncated file ... */
	uint64_t lost;		  /* bytes of memory the file should hold, cut off */
	uint64_t size, file_size; /* what the file should be, and is */
	char missing[1024];	  /* mapped files not found, ", "-separated */
	unsigned nmissing;
	/* mapped ELF files whose build-id is not the one the core recorded:
	 * never read */
	struct target_mismatch {
		char *path;
		char want[64], have[64];
	} * mismatch;
	size_t nmismatch;
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
	uint64_t pause_ns;	     /* time frozen: first interrupt to last detach */
	uint64_t lost_reads;	     /* reads that failed for another reason than a
				      * bad address: the process gone, a file
				      * unreadable (through a fallback too) */
	int gone;		     /* a read found the process gone (through a
				      * fallback too): every read fails from then
				      * on, at once */
	void *priv;		     /* backend state (fds, block cache, ...) */
	struct target_process *proc; /* NULL: a live process, ask /proc */
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
/* Many small scattered reads (headers, one per page) at once: addr[i]
 * into out + i * len, ok[i] 1 where read.  A live frozen process reads
 * them with a few system calls and none through the block cache, which
 * would fetch a whole block for each. */
void target_read_many(struct target *t, const uint64_t *addr, size_t n, size_t len, void *out,
		      uint8_t *ok);
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

/* The process's mappings, into m (maps_release it).  0, or -1 with err
 * (HS_ENOPROC, HS_EGONE for a process gone). */
int target_maps(struct target *t, struct maps *m, struct hs_error *err);
/* Its executable's path as the process sees it.  0, or -1 with err. */
int target_exe(struct target *t, char *buf, size_t len, struct hs_error *err);
/* The prefix under which the process's files are opened ("/proc/PID/root",
 * a core's --sysroot, or ""): always terminated, into buf. */
const char *target_root(struct target *t, char *buf, size_t len);
/* Its command line, arguments separated by spaces, into buf (always
 * terminated); its length, or -1. */
ssize_t target_cmdline(struct target *t, char *buf, size_t len);
/* The name of thread tid ("" if unknown) into buf. */
void target_thread_name(struct target *t, pid_t tid, char *buf, size_t len);
/* The system call thread tid is in, its number, or -1 (none, unknown). */
long target_thread_syscall(struct target *t, pid_t tid);
/* 1 if the process has exited (never, for a core file). */
int target_exited(struct target *t);
/* A failure met while the process died is its death: err says so then. */
int target_blame_exit(struct target *t, struct hs_error *err);
/* When the process started (epoch seconds), -1 unknown. */
long long target_start_time(struct target *t);

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
/* Add a region over bytes the image does not own (they must outlive it:
 * a view into a buffer given to target_image_hold). */
int target_image_add_view(struct target *t, uint64_t addr, void *data, size_t len,
			  struct hs_error *err);
/* The image munmaps [map, map + len) when it is closed. */
void target_image_hold(struct target *t, void *map, size_t len);
/* Serve reads outside every region from fallback (not owned; must
 * outlive the image).  NULL: such reads fail. */
void target_image_set_fallback(struct target *t, struct target *fallback);
/* The same, and the image closes it when it is closed. */
void target_image_own_fallback(struct target *t, struct target *fallback);

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

/*
 * A target over a core file: ELF, or compressed by zstd, lz4 or xz (as
 * systemd-coredump keeps them).  root: where the files the process
 * mapped are found ("" or NULL: here; else a container's root, or files
 * copied from the machine the core comes from).  What the core lacks is
 * read from those files; what neither has fails to read.  Errors:
 * HS_ENOTCORE, HS_ETRUNCATED (too little to know its threads),
 * HS_EMISMATCH (a file's build-id is not the one the core recorded),
 * HS_ENOTDUMPED (none of its writable memory is there), HS_EFILE,
 * HS_ENOMEM.  t->proc->warning says what was found amiss but allowed.
 */
int target_core_open(struct target **out, const char *path, const char *root, struct hs_error *err);
/* 1 if the file at path starts as a core file does (or as a compressed
 * file), 0 if not, -1 if it cannot be read. */
int target_core_sniff(const char *path);
/* 0 if the file path (as the process named it) may be read for t: any
 * file for a live target; for a core, one whose build-id is the one the
 * core recorded.  -1 with err (HS_EMISMATCH, naming it) if not. */
int target_file_check(struct target *t, const char *path, struct hs_error *err);
/* An error met reading a core, said as its cause where that is the
 * core's: a truncated file, mapped files missing.  Returns -1. */
int target_core_explain(struct target *t, struct hs_error *err);

#endif
