/*
 * target_internal.h - what the target backends share: the /proc state
 * of a process, and why ptrace was refused.
 *
 * Not for use outside lib/target*.c.
 */
#ifndef HS_TARGET_INTERNAL_H
#define HS_TARGET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "target.h"

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
