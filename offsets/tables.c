/* The built-in layout tables, one per supported minor version. */
#include "layout/layout.h"

extern const struct layout_table layout_table_py38, layout_table_py39, layout_table_py310,
	layout_table_py311, layout_table_py312, layout_table_py313, layout_table_py314,
	layout_table_py314t;

const struct layout_table *const layout_tables[] = {
	&layout_table_py38,  &layout_table_py39,   &layout_table_py310,
	&layout_table_py311, &layout_table_py312,  &layout_table_py313,
	&layout_table_py314, &layout_table_py314t, NULL,
};

/*
 * 3.14.0-3.14.4 shipped the incremental collector, whose state is 24
 * bytes smaller (_gc_runtime_state: young, old[2], permanent at the same
 * offsets, no generation0); everything after it in PyInterpreterState
 * sits 24 bytes lower, the static types' state 32 lower (CPython
 * v3.14.0 Include/internal/pycore_interp_structs.h).  The fields
 * _Py_DebugOffsets gives (sizes, sysdict, builtins, modules) come from
 * it at attach; these are the others the walk reads.
 */
const struct layout_patch layout_patches[] = {
	{ 3, 14, 0, 0, 4, LF_interp_types_builtins, 180208 },
	{ 3, 14, 0, 0, 4, LF_interp_types_for_extensions, 189824 },
	{ 3, 14, 0, 0, 4, LF_gcstate_generation0, -1 },
	{ 3, 14, 0, 0, 4, LF_gcstate_size, 240 },
	{ 3, 14, 0, 0, 4, LF_interp_sysdict, 7648 },
	{ 3, 14, 0, 0, 4, LF_interp_builtins, 7656 },
	{ 3, 14, 0, 0, 4, LF_interp_modules, 7664 },
	{ 3, 14, 0, 0, 4, LF_tstate_size, 824 },
	{ 0 },
};

/* What the checks of a patched table rest on, for "heapscope info". */
const char layout_patches_checked[] =
	"CPython 3.14.0-3.14.4 (the incremental collector) were checked on memory images "
	"built from their sources (tests/unit-walk.c), not on running processes";
