/*
 * pydict.c - dicts and instance attributes, read from the target.
 *
 * Keys objects: 3.8-3.10 have dk_size and 24-byte entries; 3.11+ have
 * dk_log2_size/dk_log2_index_bytes/dk_kind with 24-byte general entries
 * or 16-byte unicode entries.  Split dicts keep values apart (ma_values);
 * from 3.11 an instance may have no dict at all, only values laid out by
 * its type's cached keys (3.11/3.12 behind the object, 3.13 inline).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "pyobj.h"

#define TPFLAGS_INLINE_VALUES (1ul << 2)
#define TPFLAGS_MANAGED_DICT (1ul << 4)
#define DICT_KIND_GENERAL 0
#define MAX_LOG2_SIZE 40

struct keys {
	uint64_t entries;    /* address of entry 0 */
	uint64_t n;	     /* dk_nentries */
	unsigned esize;	     /* entry size */
	unsigned koff, voff; /* key and value offsets within an entry */
};

static int read_keys(struct pyproc *p, uint64_t k, struct keys *out, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	int64_t nentries;

	if (target_read(p->t, k + LAY(l, dictkeys_nentries), &nentries, 8, err))
		return -1;
	if (nentries < 0 || nentries > PYDICT_MAX_ENTRIES)
		return hs_error_set(err, HS_EREAD, "dict keys at 0x%llx look corrupt",
				    (unsigned long long)k);
	out->n = (uint64_t)nentries;
	if (LAY_HAS(l, dictkeys_dk_size)) {
		/* 3.8-3.10: index width follows dk_size */
		uint64_t size;
		unsigned w;

		if (target_read_u64(p->t, k + LAY(l, dictkeys_dk_size), &size, err))
			return -1;
		if (size > ((uint64_t)1 << MAX_LOG2_SIZE) || out->n > size)
			return hs_error_set(err, HS_EREAD, "dict keys at 0x%llx look corrupt",
					    (unsigned long long)k);
		w = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffull ? 4 : 8;
		out->entries = k + LAY(l, dictkeys_indices) + size * w;
		out->esize = (unsigned)LAY(l, dictentry_size);
		out->koff = (unsigned)LAY(l, dictentry_key);
		out->voff = (unsigned)LAY(l, dictentry_value);
	} else {
		uint8_t b[3]; /* log2_size, log2_index_bytes, kind */

		if (target_read(p->t, k + LAY(l, dictkeys_log2_size), b, 3, err))
			return -1;
		if (b[0] > MAX_LOG2_SIZE || b[1] > MAX_LOG2_SIZE + 3 ||
		    out->n > ((uint64_t)1 << b[0]))
			return hs_error_set(err, HS_EREAD, "dict keys at 0x%llx look corrupt",
					    (unsigned long long)k);
		out->entries = k + LAY(l, dictkeys_indices) + ((uint64_t)1 << b[1]);
		if (b[2] == DICT_KIND_GENERAL) {
			out->esize = (unsigned)LAY(l, dictentry_size);
			out->koff = (unsigned)LAY(l, dictentry_key);
			out->voff = (unsigned)LAY(l, dictentry_value);
		} else {
			out->esize = (unsigned)LAY(l, dictuentry_size);
			out->koff = 0;
			out->voff = 8;
		}
	}
	return 0;
}

/* Where split values start: 3.13's PyDictValues has a header. */
static uint64_t values_start(struct pyproc *p, uint64_t values)
{
	int64_t off = LAY(&p->layout, dictvalues_values);

	return values + (off > 0 ? (uint64_t)off : 0);
}

static int target_reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return target_read(ctx, addr, buf, len, NULL);
}

int pydict_values_order(struct pyproc *p, uint64_t values, uint8_t *ord, int *size,
			pydict_reader read, void *ctx)
{
	const struct layout *l = &p->layout;
	uint8_t cap, sz, back[256];
	int k;

	if (!read) {
		read = target_reader;
		ctx = p->t;
	}
	if (p->minor >= 13) {
		if (!LAY_HAS(l, dictvalues_capacity) || !LAY_HAS(l, dictvalues_used) ||
		    read(ctx, values + (uint64_t)LAY(l, dictvalues_capacity), &cap, 1) ||
		    read(ctx, values + (uint64_t)LAY(l, dictvalues_used), &sz, 1) || sz > cap ||
		    read(ctx, values_start(p, values) + 8 * (uint64_t)cap, ord, sz))
			return -1;
	} else if (p->minor >= 11) {
		/* [-1] the prefix's size, [-2] how many, [-3 - k] the k-th */
		if (read(ctx, values - 2, &sz, 1) || sz > 253 ||
		    read(ctx, values - 2 - sz, back, sz))
			return -1;
		for (k = 0; k < sz; k++)
			ord[k] = back[sz - 1 - k];
	} else {
		return -1;
	}
	*size = sz;
	return 0;
}

/* Walk keys k; values from the entries, or from the split values (a
 * PyDictValues) when values is non-zero, in the order they were set. */
static int walk(struct pyproc *p, uint64_t k, uint64_t values, pydict_cb cb, void *ctx,
		struct hs_error *err)
{
	struct keys ks = { 0 };
	uint64_t i, e[3], first = values ? values_start(p, values) : 0;
	uint8_t ord[256], done[256];
	int size = 0;
	int64_t j;

	if (read_keys(p, k, &ks, err))
		return -1;
	if (ks.esize > sizeof(e) || ks.koff + 8 > ks.esize || ks.voff + 8 > ks.esize)
		return hs_error_set(err, HS_ELAYOUT, "unexpected dict entry layout");
	if (!values || ks.n > 255 || pydict_values_order(p, values, ord, &size, NULL, NULL))
		size = 0;
	if (size)
		memset(done, 0, ks.n); /* ks.n <= 255 then */
	/* the split values in their order, then the entries in theirs */
	for (j = 0; j < size + (int64_t)ks.n; j++) {
		uint64_t key, val;

		i = j < size ? ord[j] : (uint64_t)(j - size);
		if (i >= ks.n || (size && done[i]))
			continue;
		if (size)
			done[i] = 1;
		if (target_read(p->t, ks.entries + i * ks.esize, e, ks.esize, err))
			return -1;
		memcpy(&key, (char *)e + ks.koff, 8);
		if (values) {
			if (target_read_u64(p->t, first + 8 * i, &val, err))
				return -1;
		} else {
			memcpy(&val, (char *)e + ks.voff, 8);
		}
		if (key && val && cb(ctx, key, val))
			return 0;
	}
	return 0;
}

int pydict_keys_walk(struct pyproc *p, uint64_t keys, uint64_t values, pydict_cb cb, void *ctx,
		     struct hs_error *err)
{
	return walk(p, keys, values, cb, ctx, err);
}

int pydict_items(struct pyproc *p, uint64_t dict, pydict_cb cb, void *ctx, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	uint64_t keys, values;

	if (!dict)
		return hs_error_set(err, HS_EREAD, "NULL dict");
	if (target_read_u64(p->t, dict + LAY(l, dict_keys), &keys, err) ||
	    target_read_u64(p->t, dict + LAY(l, dict_values), &values, err))
		return -1;
	if (!keys)
		return hs_error_set(err, HS_EREAD, "dict at 0x%llx has no keys",
				    (unsigned long long)dict);
	return walk(p, keys, values, cb, ctx, err);
}

struct find {
	struct pyproc *p;
	const char *key;
	uint64_t value;
};

static int find_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct find *f = ctx;

	if (!pyobj_str_equals(f->p, key, f->key))
		return 0;
	f->value = value;
	return 1;
}

int pydict_get_str(struct pyproc *p, uint64_t dict, const char *key, uint64_t *value,
		   struct hs_error *err)
{
	struct find f = { .p = p, .key = key };

	if (pydict_items(p, dict, find_cb, &f, err))
		return -1;
	*value = f.value;
	return 0;
}

int pyobj_getattr(struct pyproc *p, uint64_t obj, const char *name, uint64_t *value,
		  struct hs_error *err)
{
	const struct layout *l = &p->layout;
	struct find f = { .p = p, .key = name };
	uint64_t type, flags, dict = 0, values = 0, keys = 0, w;
	int64_t off;

	*value = 0;
	if (pyobj_type(p, obj, &type, err) ||
	    target_read_u64(p->t, type + LAY(l, type_flags), &flags, err))
		return -1;
	if (p->minor >= 11 && (flags & TPFLAGS_MANAGED_DICT)) {
		if (p->minor == 11) {
			/* dict pointer at -24, values pointer at -32 */
			if (target_read_u64(p->t, obj - 24, &dict, err) ||
			    target_read_u64(p->t, obj - 32, &values, err))
				return -1;
		} else if (p->minor == 12) {
			/* one word at -24: a dict, or values tagged with bit 0 */
			if (target_read_u64(p->t, obj - 24, &w, err))
				return -1;
			if (w & 1)
				values = w + 1;
			else
				dict = w;
		} else {
			if (target_read_u64(p->t, obj - p->managed_dict, &dict, err))
				return -1;
			if (!dict && (flags & TPFLAGS_INLINE_VALUES)) {
				uint64_t basic;
				uint8_t valid;

				if (target_read_u64(p->t, type + LAY(l, type_basicsize), &basic,
						    err))
					return -1;
				values = obj + basic;
				/* byte 3 of the header: the values are valid */
				if (target_read(p->t, values + 3, &valid, 1, err))
					return -1;
				if (!valid)
					values = 0;
			}
		}
		if (!dict && values) {
			if (target_read_u64(p->t, type + LAY(l, heaptype_cached_keys), &keys, err))
				return -1;
			if (!keys)
				return 0;
			if (walk(p, keys, values, find_cb, &f, err))
				return -1;
			*value = f.value;
			return 0;
		}
	} else {
		if (target_read(p->t, type + LAY(l, type_dictoffset), &off, 8, err))
			return -1;
		/* a negative offset counts from the end of a variable-size
		 * object; instances of the classes we read are not */
		if (off <= 0 || off > (1 << 20))
			return 0;
		if (target_read_u64(p->t, obj + (uint64_t)off, &dict, err))
			return -1;
	}
	if (!dict)
		return 0;
	return pydict_get_str(p, dict, name, value, err);
}
