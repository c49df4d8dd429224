/*
 * unwind.h - native stacks of a frozen target, merged with Python's.
 */
#ifndef HS_UNWIND_H
#define HS_UNWIND_H

#include "stacks.h"

struct native_stacks;

/* Unwind the native stack of every thread of s that has a native tid,
 * with libunwind over the target (unwind_target.h).  The target must be
 * frozen; only program counters are read, so the pause stays short.  A
 * thread that cannot be unwound is left for unwind_merge to warn of.
 * Caller frees *out with unwind_free (or passes it to unwind_merge). */
int unwind_read(struct pyproc *p, const struct stacks *s, struct native_stacks **out,
		struct hs_error *err);

/* Name the native frames (symbols from each module's .symtab or .dynsym,
 * or its separate debug file) and merge them into s: each native frame
 * of the eval loop (_PyEval_EvalFrameDefault) is replaced by the Python
 * frames it runs, up to and including the next entry frame; the other
 * native frames stay.  Needs no frozen target.  A thread that could not
 * be unwound keeps its Python frames and gets a warning; where the eval
 * loop has no symbol, Python frames come first, then native ones, with a
 * warning.  Returns 0, or -1 with err set. */
int unwind_merge(struct pyproc *p, struct stacks *s, struct native_stacks *ns,
		 struct hs_error *err);
void unwind_free(struct native_stacks *ns);

#endif
