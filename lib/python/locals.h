/*
 * locals.h - the arguments and local variables of a Python frame, with
 * short reprs, read from the target (stacks --locals).
 */
#ifndef HS_LOCALS_H
#define HS_LOCALS_H

#include <stddef.h>
#include <stdint.h>
#include "pyproc.h"
#include "stacks.h"

struct frame_var {
	char name[64];
	char value[200]; /* pyobj_repr's */
	uint64_t addr;
	int arg; /* an argument (positional, keyword-only, *args, **kwargs) */
};

/* The bound variables of Python frame f (from stacks_read), arguments
 * first, into a malloc'd *out (caller frees); cells are shown by what
 * they hold, unbound names not at all.  0, or -1 when the frame or its
 * code cannot be read (then *n is 0). */
int frame_vars(struct pyproc *p, const struct stack_frame *f, struct frame_var **out, size_t *n);

#endif
