/*
 * layout_cache.h - resolved DWARF layouts, cached per build-id.
 *
 * Reading DWARF costs 70-300 ms; a stack dump should take a few.  The
 * fields resolved from one build's DWARF are kept in one small text file
 * per build-id under $XDG_CACHE_HOME/heapscope (default
 * ~/.cache/heapscope): a header line "heapscope-layout 1 BUILD_ID FIELDS",
 * then "name value" lines.  Files are written atomically (temporary file
 * and rename) with mode 0600 in a 0700 directory.  Reading trusts
 * nothing: a malformed file, another build-id, or a different field count
 * is a miss.
 */
#ifndef HS_LAYOUT_CACHE_H
#define HS_LAYOUT_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

/* The cache directory into buf; NULL if no home can be found. */
const char *layout_cache_dir(char *buf, size_t len);
/* Fill v[LF_COUNT] from the cache: 0 on a hit, -1 on a miss. */
int layout_cache_load(const char *dir, const char *build_id, int64_t *v);
/* Store v; -1 with err set on failure (nothing partial is left). */
int layout_cache_store(const char *dir, const char *build_id, const int64_t *v,
		       struct hs_error *err);

/* The same for any set of fields (layout.h): files KIND-BUILD_ID, the
 * header "heapscope-KIND 1 BUILD_ID FIELDS". */
struct field_set;
int field_cache_load(const char *dir, const struct field_set *set, const char *build_id,
		     int64_t *v);
int field_cache_store(const char *dir, const struct field_set *set, const char *build_id,
		      const int64_t *v, struct hs_error *err);

#endif
