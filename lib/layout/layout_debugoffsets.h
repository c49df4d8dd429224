/*
 * layout_debugoffsets.h - read _Py_DebugOffsets (CPython 3.13+).
 *
 * CPython 3.13 puts a table of offsets, starting with the cookie
 * "xdebugpy", at the start of _PyRuntime so that tools can find the
 * runtime, interpreter, thread and frame structures without DWARF.
 */
#ifndef HS_LAYOUT_DEBUGOFFSETS_H
#define HS_LAYOUT_DEBUGOFFSETS_H

#include <stdint.h>
#include "base/error.h"
#include "layout.h"
#include "target/target.h"

struct debug_offsets {
	uint64_t version; /* PY_VERSION_HEX */
	uint64_t free_threaded;
	int64_t v[LF_COUNT]; /* fields it gives, -1 for the rest */
};

/* Read the table at runtime_addr.  Returns 1 if present and sane, 0 if
 * there is no cookie (before 3.13), -1 with err on a read error.  A table
 * with the cookie but absurd values is rejected (returns 0). */
int layout_debugoffsets_read(struct target *t, uint64_t runtime_addr, struct debug_offsets *d,
			     struct hs_error *err);

#endif
