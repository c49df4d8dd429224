/*
 * error.h - how lib/ reports failure to cmd/.
 *
 * lib/ never prints and never exits.  A function that can fail takes a
 * struct hs_error * and returns 0 on success or -1 on failure after
 * filling it with hs_error_set().  cmd/ prints the message once, followed
 * by the hint, and exits with hs_exit_status(code).
 *
 * Invariants: err->code is HS_OK when err->msg is empty; the first error
 * set wins (later hs_error_set() calls on an already failed context are
 * ignored), so the innermost, most precise reason reaches the user.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include <stdarg.h>

/*
 * X(code, exit status, short name, what the status says in the list
 * heapscope --help prints).  No code exits with 12: a signal that ends
 * heapscope ends it by that signal, once the target is let go.
 */
/* clang-format off */
#define HS_ERROR_CODES(X) \
	X(HS_OK,           0, "ok",                   "ok") \
	X(HS_EUSAGE,       2, "usage",                "usage") \
	X(HS_ENOPROC,      3, "no such process",      "no such process") \
	X(HS_ENOTPYTHON,   4, "not a Python process", "not Python") \
	X(HS_EUNSUPPORTED, 5, "unsupported Python",   "unsupported Python") \
	X(HS_EPERM,        6, "permission denied",    "ptrace refused") \
	X(HS_EGONE,        7, "target exited",        "target exited") \
	X(HS_ELAYOUT,      8, "layout unavailable",   "layout unavailable") \
	X(HS_EREAD,        9, "bad read from target", "bad read") \
	X(HS_EFILE,       10, "file error",           "file error") \
	X(HS_ENOMEM,      11, "out of memory",        "out of memory") \
	X(HS_EINTERNAL,   13, "internal error",       "internal error") \
	X(HS_EBUSY,       14, "target busy", \
	  "target busy (always inside a garbage collection)") \
	X(HS_ENOTCORE,    15, "not a core file",      "not a core file") \
	X(HS_ETRUNCATED,  16, "truncated core",       "core file truncated") \
	X(HS_EMISSING,    17, "missing file", \
	  "a file the core's process mapped is missing (--sysroot)") \
	X(HS_EMISMATCH,   18, "build-id mismatch", \
	  "a file differs from the one the core's process mapped") \
	X(HS_ENOTDUMPED,  19, "memory not dumped", \
	  "the core lacks the process's memory (coredump_filter)")
/* clang-format on */

/* clang-format off */
enum hs_code {
#define HS_X(c, s, n, w) c,
	HS_ERROR_CODES(HS_X)
#undef HS_X
	HS_NCODES
};
/* clang-format on */

struct hs_error {
	enum hs_code code;
	int sys_errno;	/* errno at the failure, 0 if none */
	char msg[512];	/* one line: what went wrong */
	char hint[512]; /* one line: what the user can do, may be empty */
};

/* clang-format off */
#define HS_ERROR_INIT { .code = HS_OK }
/* clang-format on */

/* Set err (unless already set) and return -1, so callers can write
 * "return hs_error_set(err, ...)".  err may be NULL. */
int hs_error_set(struct hs_error *err, enum hs_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, also recording errno value e (appended as ": strerror(e)"). */
int hs_error_errno(struct hs_error *err, enum hs_code code, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Set the hint line of an error already set (overwrites). */
void hs_error_hint(struct hs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hs_error_clear(struct hs_error *err);

int hs_exit_status(enum hs_code code);
const char *hs_code_name(enum hs_code code);

#endif
