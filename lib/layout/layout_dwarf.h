/*
 * layout_dwarf.h - resolve layout fields from DWARF with libdwarf.
 *
 * One pass over the compilation units of a file, looking only at the
 * structure, union and typedef types that layout_fields.h names, stopping
 * as soon as every requested struct is found.
 */
#ifndef HS_LAYOUT_DWARF_H
#define HS_LAYOUT_DWARF_H

#include <stdint.h>
#include "base/error.h"
#include "layout.h"

/* Fill v[LF_COUNT] from the DWARF in path: every field that resolves gets
 * its offset or size, the rest -1.  Returns the number of fields resolved,
 * or -1 with err set (HS_ELAYOUT: no DWARF or unreadable). */
int layout_dwarf_fill(const char *path, int64_t *v, struct hs_error *err);
/* The same with a deadline in milliseconds (layout_dwarf_fill: 30 s),
 * past which the reading is abandoned with an error. */
int layout_dwarf_fill_within(const char *path, int64_t *v, int timeout_ms, struct hs_error *err);
/* The reading in this process, which a damaged file can hang (inside
 * libdwarf): for the fuzzer, after layout_dwarf_fill_within came back. */
int layout_dwarf_fill_unguarded(const char *path, int64_t *v, struct hs_error *err);

/* The same for any set of fields (set->n of them into v). */
int dwarf_fields_fill_within(const char *path, const struct field_set *set, int64_t *v,
			     int timeout_ms, struct hs_error *err);
int dwarf_fields_fill_unguarded(const char *path, const struct field_set *set, int64_t *v,
				struct hs_error *err);

#endif
