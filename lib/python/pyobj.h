/*
 * pyobj.h - decode single Python objects from target memory.
 *
 * Every pointer is untrusted: lengths are bounded by the caller's limits
 * and kinds are checked; a malformed object yields HS_EREAD, never a crash.
 */
#ifndef HS_PYOBJ_H
#define HS_PYOBJ_H

#include <stddef.h>
#include <stdint.h>
#include "pyproc.h"

/* Address of the object's type, 0/-1 on failure. */
int pyobj_type(struct pyproc *p, uint64_t obj, uint64_t *type, struct hs_error *err);
/* tp_name of a type into buf (truncated, terminated). */
int pyobj_type_name(struct pyproc *p, uint64_t type, char *buf, size_t len, struct hs_error *err);
/* A str object as UTF-8 into buf (truncated at len-1 bytes on a character
 * boundary, terminated).  Handles compact ASCII, compact 1/2/4-byte kinds
 * and legacy strings, for 3.8-3.13.  Returns the number of bytes written. */
int pyobj_str(struct pyproc *p, uint64_t obj, char *buf, size_t len, struct hs_error *err);
/* A bytes object: its length into *n and up to max bytes into a malloc'd
 * *data (caller frees).  Objects longer than max are an error. */
int pyobj_bytes(struct pyproc *p, uint64_t obj, unsigned char **data, size_t *n, size_t max,
		struct hs_error *err);

/*
 * PyASCIIObject.state, decoded.  GIL builds: interned bits 0-1, kind
 * 2-4, compact 5, ascii 6; free-threaded builds (whose interned state
 * is a whole byte, read atomically): interned byte 0, kind bits 8-10,
 * compact 11, ascii 12.
 */
struct str_state {
	unsigned interned; /* 0 no, 1 mortal, 2 immortal, 3 static */
	unsigned kind;	   /* bytes a character: 1, 2, 4 (0: not ready) */
	unsigned compact, ascii;
};
void pyobj_str_state(const struct pyproc *p, uint32_t state, struct str_state *s);

/* Python's repr of a float v into buf: the shortest digits that read
 * back, fixed notation for exponents -4..15; its length. */
int pyobj_float_repr(double v, char *buf, size_t len);
/* A short repr of any object into buf: repr()'s text for None, bool,
 * int (up to 64 bits), float, str and bytes (their first 160 bytes,
 * "..." after the quote when cut); "list of N", "tuple of N", "{N
 * items}", "set of N" for containers, "<TYPE at 0x...>" for the rest.
 * Its length, or -1 when obj is unreadable. */
int pyobj_repr(struct pyproc *p, uint64_t obj, char *buf, size_t len);
/* An int object that fits 64 bits (sign in *neg). */
int pyobj_long(struct pyproc *p, uint64_t obj, uint64_t *v, int *neg, struct hs_error *err);
/* 1 if obj is a str equal to s (compares at most len(s)+1 characters). */
int pyobj_str_equals(struct pyproc *p, uint64_t obj, const char *s);

/*
 * Dicts (pydict.c).  pydict_items calls cb for every (key, value) of a
 * dict object, in entry order, until cb returns non-zero; at most
 * PYDICT_MAX_ENTRIES entries are visited.  Handles 3.8-3.10 and 3.11+
 * key layouts, combined and split tables.
 */
#define PYDICT_MAX_ENTRIES (1L << 26)
typedef int (*pydict_cb)(void *ctx, uint64_t key, uint64_t value);
int pydict_items(struct pyproc *p, uint64_t dict, pydict_cb cb, void *ctx, struct hs_error *err);
/* The order in which a split values block's values were set: *size
 * indexes into the values, into ord (room for 256).  3.13+ keep it after
 * the values, 3.11 and 3.12 before them.  -1 if it does not read (and
 * before 3.11, which keep none).  Read through read(ctx, ...) (0 or -1),
 * or the target when read is NULL (the walk passes its own, faster). */
typedef int (*pydict_reader)(void *ctx, uint64_t addr, void *buf, size_t len);
int pydict_values_order(struct pyproc *p, uint64_t values, uint8_t *ord, int *size,
			pydict_reader read, void *ctx);
/* Walk a keys object directly: values from its entries, or from a split
 * values block (as ma_values or an instance's managed values point to),
 * in the order they were set, as the dict iterates them (3.11+). */
int pydict_keys_walk(struct pyproc *p, uint64_t keys, uint64_t values, pydict_cb cb, void *ctx,
		     struct hs_error *err);
/* Value of str key in a dict, 0 if absent. */
int pydict_get_str(struct pyproc *p, uint64_t dict, const char *key, uint64_t *value,
		   struct hs_error *err);
/* Attribute name of an instance, from its __dict__ or its managed or
 * inline values (3.11+); 0 if absent. */
int pyobj_getattr(struct pyproc *p, uint64_t obj, const char *name, uint64_t *value,
		  struct hs_error *err);

#endif
