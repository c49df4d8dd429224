/*
 * layout.h - where every field of CPython's structures lives in one target.
 *
 * A struct layout holds one value per field of layout_fields.h (an offset
 * or a size in bytes, or -1 when the field does not exist in that build)
 * and the source each value came from.  It is filled, in increasing order
 * of trust, from a built-in per-minor-version table (offsets/), from DWARF
 * of the target's exact build (layout_dwarf.c, possibly through the layout
 * cache), and from _Py_DebugOffsets (3.13+, layout_debugoffsets.c).  Later
 * sources overwrite earlier ones.
 *
 * Readers use LAY(l, name) and must treat a negative value as "absent".
 */
#ifndef HS_LAYOUT_H
#define HS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "layout_fields.h"

/* clang-format off */
enum layout_field {
#define LF_ENUM(g, n, s, m) LF_##n,
	LAYOUT_FIELDS(LF_ENUM)
#undef LF_ENUM
	LF_COUNT
};
/* clang-format on */

/* clang-format off */
enum layout_group {
#define LG_ENUM(g, name) LG_##g,
	LAYOUT_GROUPS(LG_ENUM)
#undef LG_ENUM
	LG_COUNT
};
/* clang-format on */

/* X(enum, name used in --layout= and in "info") */
/* clang-format off */
#define LAYOUT_SOURCES(X) \
	X(LS_NONE, "none") \
	X(LS_TABLE, "table") \
	X(LS_DWARF, "dwarf") \
	X(LS_DEBUG_OFFSETS, "debug-offsets")
/* clang-format on */

/* clang-format off */
enum layout_source {
#define LS_ENUM(e, n) e,
	LAYOUT_SOURCES(LS_ENUM)
#undef LS_ENUM
	LS_COUNT
};
/* clang-format on */

struct layout_field_info {
	enum layout_group group;
	const char *name;    /* e.g. "tstate_next" */
	const char *structs; /* "PyThreadState|_ts" */
	const char *members; /* "next" or "#size" */
};

extern const struct layout_field_info layout_field_info[LF_COUNT];

/* A list of fields to read from DWARF and keep in the layout cache:
 * CPython's (layout_fields) or another library's (glibc's malloc_state).
 * kind names its cache files ("layout", "glibc"); n <= LF_COUNT. */
struct field_set {
	const char *kind;
	const struct layout_field_info *fields;
	int n;
};

extern const struct field_set layout_fields;
extern const char *const layout_group_names[LG_COUNT];
extern const char *const layout_source_names[LS_COUNT];

/* A generated per-minor-version table (offsets/py3*.c). */
struct layout_table {
	int major, minor;
	int free_threaded;     /* a 3.13t+ build's (every object offset moves) */
	const char *reference; /* the build it was generated from */
	int64_t v[LF_COUNT];
};

/* NULL-terminated list of all built-in tables (offsets/tables.c). */
extern const struct layout_table *const layout_tables[];

/*
 * What moved inside a minor version: a table's value for a range of
 * patch releases (offsets/tables.c).  A table is generated from one
 * reference build; these say where other patch releases differ, from
 * their sources.  _Py_DebugOffsets and the checks at attach confirm them.
 */
struct layout_patch {
	int major, minor, free_threaded, micro_lo, micro_hi;
	enum layout_field field;
	int64_t value;
};

/* Terminated by an entry with major 0. */
extern const struct layout_patch layout_patches[];
/* How the patches were verified, one sentence. */
extern const char layout_patches_checked[];

struct layout {
	int64_t v[LF_COUNT];
	uint8_t src[LF_COUNT]; /* enum layout_source */
	int major, minor;
};

#define LAY(l, name) ((l)->v[LF_##name])
#define LAY_HAS(l, name) ((l)->v[LF_##name] >= 0)

/* Set every field to -1, source none. */
void layout_init(struct layout *l, int major, int minor);
/* The built-in table for major.minor (free-threaded or not), or NULL. */
const struct layout_table *layout_table_find(int major, int minor, int free_threaded);
/* A table's values for patch release micro (-1: unknown, none applied):
 * copies tab's into v, then applies layout_patches.  Returns how many
 * patches applied. */
int layout_table_values(const struct layout_table *tab, int micro, int64_t *v);
/* Overlay values (-1 entries are skipped) from a source.  Returns the
 * number of fields set. */
int layout_overlay(struct layout *l, const int64_t *v, enum layout_source src);
/* Look a field up by name; returns the field index or -1. */
int layout_field_by_name(const char *name);
/* enum layout_source for a --layout= word ("auto" is LS_NONE), -1 if bad. */
int layout_source_by_name(const char *name);
/* Summarise the sources of a group as text ("dwarf", "debug-offsets+table",
 * "none") into buf. */
void layout_group_sources(const struct layout *l, enum layout_group g, char *buf, size_t len);

#endif
