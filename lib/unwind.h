/*
 * unwind.h - native stacks through libunwind-ptrace, merged with Python's.
 */
#ifndef HS_UNWIND_H
#define HS_UNWIND_H

#include "stacks.h"

/* For every thread of s with a native tid, unwind its native stack (the
 * target must be frozen) and merge: each native frame of the eval loop
 * (_PyEval_EvalFrameDefault / _PyEval_EvalFrame*) is replaced by the
 * Python frames it runs (up to and including the next entry frame); the
 * other native frames stay.  Python frames left over are appended.
 * Threads without a Python thread state get native frames only.
 * Returns 0, or -1 with err set; a thread that fails to unwind keeps its
 * Python frames and gets a warning. */
int unwind_merge(struct pyproc *p, struct stacks *s, struct hs_error *err);

#endif
