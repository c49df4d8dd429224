/*
 * proc.h - what /proc says of a live process: its state and its
 * threads', its threads, fields of its status, its command line, and
 * whether it has exited.
 *
 * The live backend (target_ptrace.c) asks these while it attaches,
 * reads and lets go; a capture asks whether the process it read has
 * exited meanwhile.  Everything here is a snapshot of a process that
 * keeps running: an answer may be stale by the time it is used, and a
 * /proc file that cannot be read counts as the process (or thread)
 * being gone.  Nothing here needs the process to be traced.
 */
#ifndef HS_PROC_H
#define HS_PROC_H

#include <stddef.h>
#include <sys/types.h>
#include "base/error.h"

/* Most threads proc_tasks() lists. */
#define PROC_MAX_THREADS 65536

/* State letter of process (or thread) tid of pid ('R', 'S', 'D', 'Z',
 * 't' ...), '\0' when it does not exist.  pid == tid for the process
 * itself. */
char proc_state(pid_t pid, pid_t tid);
/* /proc/PID/task/TID/NAME (a small file: "comm", "syscall") into buf,
 * terminated: its length, or -1 when it cannot be read.  One open and
 * one read: cheap enough for every thread of a frozen target. */
ssize_t proc_task_file(pid_t pid, pid_t tid, const char *name, char *buf, size_t len);
/* 1 if state letter st is that of a thread that is gone (or was never
 * there): none, a zombie, dead. */
int proc_state_gone(char st);
/*
 * List /proc/PID/task into *out (malloc'd, the caller frees it; pid
 * first if listed).  Returns the count, or -errno with *out NULL:
 * -ENOENT when the process is gone, -E2BIG past PROC_MAX_THREADS,
 * -ENOMEM.
 */
long proc_tasks(pid_t pid, pid_t **out);
/* 1 if no thread of pid is left.  The main thread alone does not tell:
 * after pthread_exit() it is a zombie while the others run on. */
int proc_threads_gone(pid_t pid);
/* A number field ("Tgid", "PPid", "Kthread") of /proc/PID/status, 0 if
 * there is none or it cannot be read. */
pid_t proc_status_pid(pid_t pid, const char *key);
/* The number fields keys[i] of /proc/PID/status ("VmRSS": kB) into
 * vals[i], 0 for one not there: how many were found, -1 if the file
 * cannot be read. */
int proc_status_fields(pid_t pid, const char *const *keys, long long *vals, size_t n);
/* /proc/PID/cmdline into buf (len > 0, always terminated), its NULs
 * between arguments as spaces and none at the end.  Returns the length,
 * or -1 if there is none (unreadable, or a kernel thread's). */
ssize_t proc_cmdline(pid_t pid, char *buf, size_t len);

/* 1 if process pid has exited: no such process, a zombie, or exiting
 * (its memory already dropped). */
int proc_exited(pid_t pid);
/* A failure met while process pid died is its death, whatever read or
 * decoding failed first: if it has exited and err (set) says something
 * else, err says it exited instead.  Returns 1 if it did. */
int proc_blame_exit(pid_t pid, struct hs_error *err);

/* Most processes proc_descendants() lists. */
#define PROC_MAX_DESCENDANTS 4096
/*
 * The descendants of pid (children, their children...) into *out
 * (malloc'd, the caller frees it), parents before their children, each
 * with its parent in *parents (malloc'd too).  From the PPid of every
 * process in /proc: a process that forks or exits meanwhile may be
 * missed.  Returns the count (at most PROC_MAX_DESCENDANTS), or -errno
 * with both NULL (-ENOMEM, or /proc unreadable).
 */
long proc_descendants(pid_t pid, pid_t **out, pid_t **parents);

/* When the process started, in seconds since the epoch (from its stat
 * starttime and the boot time); -1 unknown. */
long long proc_start_time(pid_t pid);

#endif
