/*
 * target_ptrace_diag.h - why the kernel refused to let us trace a
 * process, for the live backend's error messages.
 *
 * Best effort from what /proc shows: nothing here changes the process
 * or needs it to be traced.
 */
#ifndef HS_TARGET_PTRACE_DIAG_H
#define HS_TARGET_PTRACE_DIAG_H

#include <sys/types.h>
#include "base/error.h"

/*
 * Explain why ptrace (or /proc/PID/mem) was refused for thread tid of
 * process pid with errno e, while doing what: sets err to HS_EPERM with
 * the actual cause (another tracer, yama ptrace_scope, missing
 * CAP_SYS_PTRACE, another user, undumpable target, seccomp ...) and a
 * hint.  Returns -1.
 */
int ptrace_diagnose(pid_t pid, pid_t tid, int e, const char *what, struct hs_error *err);

#endif
