/*
 * walk_sizeof.c - the __sizeof__ of C types beyond the builtins.
 *
 * sys.getsizeof calls the __sizeof__ that the type's MRO finds first.
 * Which type defines it decides how heapscope sizes the object (its
 * "sizer"): object's and the builtins' are walk_size's own; the C types
 * below, which count memory they own outside the object (an array's
 * items, a buffer, an index table), are reproduced here from their
 * fields; any other __sizeof__ (another extension's, or one written in
 * Python) cannot be, and the size is flagged an estimate.
 *
 * The definer is found by reading method tables: a static type's
 * tp_methods (its tp_dict is not kept in the type from 3.12 on), a heap
 * type's dict.  Each formula is the one of CPython 3.8-3.14 and numpy
 * 1.x/2.x (docs/internals.md); where one of the fields it needs is not in
 * the layout, or a value read is not sane, the size is an estimate too.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "python/pyobj.h"
#include "walk_internal.h"

#define MAX_METHODS 512 /* entries of a method table read */
#define MAX_MRO 64
#define NPY_OWNDATA 0x4
#define NPY_MAXDIMS 64
#define NPY_OBJECT 17
#define MPD_DATAFLAGS 0xe0 /* static, shared or const data: not counted */

static const struct {
	const char *name;
	enum walk_sizer sizer;
} sizer_names[] = {
	{ "object", SZ_BUILTIN },
	{ "int", SZ_BUILTIN },
	{ "str", SZ_BUILTIN },
	{ "list", SZ_BUILTIN },
	{ "dict", SZ_BUILTIN },
	{ "set", SZ_BUILTIN },
	{ "frozenset", SZ_BUILTIN },
	{ "bytearray", SZ_BUILTIN },
	{ "type", SZ_BUILTIN },
	{ "code", SZ_BUILTIN },
	{ "frame", SZ_BUILTIN },
	{ "generator", SZ_BUILTIN },
	{ "coroutine", SZ_BUILTIN },
	{ "async_generator", SZ_BUILTIN },
	{ "collections.deque", SZ_BUILTIN },
	{ "collections.OrderedDict", SZ_ODICT },
	{ "_io.BytesIO", SZ_BYTESIO },
	{ "_io.BufferedReader", SZ_BUFFERED },
	{ "_io.BufferedWriter", SZ_BUFFERED },
	{ "_io.BufferedRandom", SZ_BUFFERED },
	{ "itertools.product", SZ_PRODUCT },
	{ "itertools.combinations", SZ_COMBINATIONS },
	{ "itertools.combinations_with_replacement", SZ_CWR },
	{ "itertools.permutations", SZ_PERMUTATIONS },
	{ "array.array", SZ_ARRAY },
	{ "_struct.Struct", SZ_STRUCT },
	{ "Struct", SZ_STRUCT }, /* 3.8 */
	{ "decimal.Decimal", SZ_DECIMAL },
	{ "xml.etree.ElementTree.Element", SZ_ELEMENT },
	{ "numpy.ndarray", SZ_NDARRAY },
};

/* Whether the layout has what the sizer reads. */
static int sizer_usable(const struct walker *w, enum walk_sizer s)
{
	const struct layout *l = w->l;

	switch (s) {
	case SZ_ODICT:
		return LAY_HAS(l, odict_first) && LAY_HAS(l, odict_fast_nodes_size) &&
		       LAY_HAS(l, odictnode_size);
	case SZ_BYTESIO:
		/* free-threaded: "uniquely referenced" is asked of the thread
		 * that calls getsizeof, which no reader from outside is */
		return LAY_HAS(l, bytesio_buf) && !w->p->free_threaded;
	case SZ_BUFFERED:
		return LAY_HAS(l, buffered_buffer) && LAY_HAS(l, buffered_buffer_size);
	case SZ_PRODUCT:
		return LAY_HAS(l, product_pools);
	case SZ_COMBINATIONS:
		return LAY_HAS(l, combinations_r);
	case SZ_CWR:
		return LAY_HAS(l, cwr_r);
	case SZ_PERMUTATIONS:
		return LAY_HAS(l, permutations_pool) && LAY_HAS(l, permutations_r);
	case SZ_ARRAY:
		return LAY_HAS(l, array_allocated) && LAY_HAS(l, array_descr) &&
		       LAY_HAS(l, arraydescr_itemsize);
	case SZ_STRUCT:
		return LAY_HAS(l, struct_codes) && LAY(l, formatcode_size) > 0 &&
		       LAY_HAS(l, formatcode_fmtdef);
	case SZ_DECIMAL:
		return LAY_HAS(l, decimal_flags) && LAY_HAS(l, decimal_alloc);
	case SZ_ELEMENT:
		return LAY_HAS(l, element_extra) && LAY_HAS(l, elementextra_size) &&
		       LAY_HAS(l, elementextra_allocated) && LAY_HAS(l, elementextra_children) &&
		       LAY_HAS(l, elementextra_inline);
	default:
		return 1;
	}
}

/* 1 if the PyMethodDef array at defs has __sizeof__, 0 if not, -1 if it
 * cannot be read. */
static int has_sizeof(struct walker *w, uint64_t defs)
{
	const struct layout *l = w->l;
	int64_t esize = LAY(l, methoddef_size);
	char name[12];
	int i;

	if (esize <= 0 || !LAY_HAS(l, methoddef_name))
		return -1;
	for (i = 0; i < MAX_METHODS; i++) {
		uint64_t np;

		if (rd64(w, defs + (uint64_t)(i * esize) + (uint64_t)LAY(l, methoddef_name), &np))
			return -1;
		if (!np)
			return 0;
		if (target_read_cstr(w->t, np, name, sizeof(name), NULL) == 10 &&
		    !strcmp(name, "__sizeof__"))
			return 1;
	}
	return 0;
}

static enum walk_sizer sizer_of(struct walker *w, uint64_t t)
{
	char name[64];
	uint64_t np = field64(w, t, LAY(w->l, type_name));
	size_t i;

	if (!np || target_read_cstr(w->t, np, name, sizeof(name), NULL) <= 0)
		return SZ_UNKNOWN;
	for (i = 0; i < sizeof(sizer_names) / sizeof(sizer_names[0]); i++)
		if (!strcmp(name, sizer_names[i].name))
			return sizer_usable(w, sizer_names[i].sizer) ? sizer_names[i].sizer
								     : SZ_UNKNOWN;
	return SZ_UNKNOWN;
}

void walk_find_sizer(struct walker *w, struct tinfo *ti)
{
	const struct layout *l = w->l;
	uint64_t mro = field64(w, ti->addr, LAY(l, type_mro)), n = 0, i;

	ti->sizer = SZ_UNKNOWN;
	if (!mro || rd64(w, mro + (uint64_t)LAY(l, varobject_ob_size), &n) || n > MAX_MRO)
		return;
	for (i = 0; i < n; i++) {
		uint64_t t = field64(w, mro + (uint64_t)LAY(l, tuple_item), (int64_t)(8 * i));
		uint64_t methods = t ? field64(w, t, LAY(l, type_methods)) : 0, v = 0;
		int r;

		if (!t)
			return;
		if (methods) {
			r = has_sizeof(w, methods);
			if (r < 0)
				return;
			if (r) {
				ti->sizer = (uint8_t)sizer_of(w, t);
				return;
			}
		} else if (field64(w, t, LAY(l, type_flags)) & TPF_HEAPTYPE) {
			/* a class statement's type: its dict is its methods */
			uint64_t dict = field64(w, t, LAY(l, type_dict));

			if (!dict || pydict_get_str(w->p, dict, "__sizeof__", &v, NULL) || v)
				return;
		}
	}
}

/* 1 if the object at a has exactly one reference, as Py_REFCNT(a) == 1
 * (3.14: the low half of ob_refcnt).  A tag the walk wrote in place of
 * the count is no 1. */
static int referenced_once(struct walker *w, uint64_t a)
{
	uint64_t rc;

	if (rd64(w, a, &rc))
		return 0;
	return w->p->minor >= 14 ? (uint32_t)rc == 1 : rc == 1;
}

int64_t walk_sizeof_owned(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	uint64_t buf;

	if (ti->sizer != SZ_BYTESIO)
		return -1;
	buf = field64(w, obj, LAY(w->l, bytesio_buf));
	return buf && referenced_once(w, buf) ? LAY(w->l, bytesio_buf) : -1;
}

/* ob_size of the variable-size object at t (a tuple's items, a bytes
 * object's bytes), -1 if unreadable. */
static int64_t var_size(struct walker *w, uint64_t t)
{
	int64_t n;

	if (!t || wread(w, t + (uint64_t)LAY(w->l, varobject_ob_size), &n, 8) || n < 0 ||
	    n > (1ll << 40))
		return -1;
	return n;
}

/* A count read from a field: -1 if out of any sane range. */
static int64_t count_at(struct walker *w, uint64_t obj, int64_t off)
{
	int64_t v = (int64_t)field64(w, obj, off);

	return v < 0 || v > (1ll << 40) ? -1 : v;
}

/* ---- numpy ---- */

/* numpy's dtype layout: 1 (elsize an int at 32), 2 (an npy_intp at 40),
 * by the size of numpy.dtype at the root of the descriptor's type (96 in
 * 1.x, 88 in 2.x); 0 unknown.  The last few answers are kept. */
static int dtype_version(struct walker *w, uint64_t descr)
{
	const struct layout *l = w->l;
	uint64_t t = field64(w, descr, LAY(l, object_type)), t0 = t;
	char name[16];
	int i, v = 0;

	for (i = 0; i < NPY_DTYPE_CACHE; i++)
		if (w->np_dtype[i] && w->np_dtype[i] == t0)
			return w->np_version[i];
	for (i = 0; t && i < 16; i++) {
		uint64_t np = field64(w, t, LAY(l, type_name));

		if (np && target_read_cstr(w->t, np, name, sizeof(name), NULL) == 11 &&
		    !strcmp(name, "numpy.dtype")) {
			int64_t b = (int64_t)field64(w, t, LAY(l, type_basicsize));

			v = b == 96 ? 1 : b == 88 ? 2 : 0;
			break;
		}
		t = field64(w, t, LAY(l, type_base));
	}
	w->np_dtype[w->np_next] = t0;
	w->np_version[w->np_next] = v;
	w->np_next = (w->np_next + 1) % NPY_DTYPE_CACHE;
	return v;
}

int walk_ndarray(struct walker *w, uint64_t obj, struct ndarray *a)
{
	int64_t dims[NPY_MAXDIMS], n = 1;
	int32_t nd, flags, type_num, esize32;
	int i, v;

	memset(a, 0, sizeof(*a));
	if (wread(w, obj + 24, &nd, 4) || wread(w, obj + 64, &flags, 4) || nd < 0 ||
	    nd > NPY_MAXDIMS || rd64(w, obj + 16, &a->data) ||
	    rd64(w, obj + NDARRAY_DESCR, &a->descr) || !a->descr)
		return -1;
	a->nd = nd;
	a->owns = !!(flags & NPY_OWNDATA);
	if (nd) {
		uint64_t dp = field64(w, obj, 32);

		if (!dp || wread(w, dp, dims, (size_t)nd * 8))
			return -1;
	}
	for (i = 0; i < nd; i++) {
		if (dims[i] < 0 || dims[i] > (1ll << 48))
			return -1;
		n = dims[i] && n > (1ll << 48) / dims[i] ? -1 : n * dims[i];
		if (n < 0)
			return -1;
	}
	a->items = n;
	v = dtype_version(w, a->descr);
	if (wread(w, a->descr + 28, &type_num, 4))
		return -1;
	if (v == 1 && !wread(w, a->descr + 32, &esize32, 4))
		a->elsize = esize32;
	else if (v == 2)
		a->elsize = (int64_t)field64(w, a->descr, 40);
	else
		return -1;
	if (a->elsize < 0 || a->elsize > (1ll << 30))
		return -1;
	a->objects = type_num == NPY_OBJECT && a->elsize == 8;
	return 0;
}

/* ---- sizes ---- */

/* __sizeof__ by the type's own C model; -1 where a field reads wrong. */
static int64_t model_size(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	const struct layout *l = w->l;
	int64_t base = ti->basicsize, n, r;
	uint64_t p, q;

	switch ((enum walk_sizer)ti->sizer) {
	case SZ_ODICT:
		/* dict's own size with the type's basicsize, the fast-nodes
		 * table and a node per item */
		n = count_at(w, obj, LAY(l, odict_fast_nodes_size));
		r = count_at(w, obj, LAY(l, dict_used));
		if (n < 0 || r < 0)
			return -1;
		return (int64_t)walk_dict_size(w, obj, ti) + 8 * n +
		       (field64(w, obj, LAY(l, odict_first)) ? LAY(l, odictnode_size) * r : 0);
	case SZ_BYTESIO:
		/* its bytes buffer while no one else holds it */
		if (walk_sizeof_owned(w, obj, ti) < 0)
			return base;
		p = field64(w, obj, LAY(l, bytesio_buf));
		n = var_size(w, p);
		return n < 0 ? -1 : base + LAY(l, bytes_sval) + 1 + n;
	case SZ_BUFFERED:
		if (!field64(w, obj, LAY(l, buffered_buffer)))
			return base;
		n = count_at(w, obj, LAY(l, buffered_buffer_size));
		return n < 0 ? -1 : base + n;
	case SZ_PRODUCT:
		n = var_size(w, field64(w, obj, LAY(l, product_pools)));
		return n < 0 ? -1 : base + 8 * n;
	case SZ_COMBINATIONS:
	case SZ_CWR:
		n = count_at(w, obj, ti->sizer == SZ_CWR ? LAY(l, cwr_r) : LAY(l, combinations_r));
		return n < 0 ? -1 : base + 8 * n;
	case SZ_PERMUTATIONS:
		n = var_size(w, field64(w, obj, LAY(l, permutations_pool)));
		r = count_at(w, obj, LAY(l, permutations_r));
		return n < 0 || r < 0 ? -1 : base + 8 * (n + r);
	case SZ_ARRAY: {
		int32_t isz;

		n = count_at(w, obj, LAY(l, array_allocated));
		p = field64(w, obj, LAY(l, array_descr));
		if (n < 0 || !p || wread(w, p + (uint64_t)LAY(l, arraydescr_itemsize), &isz, 4) ||
		    isz < 1 || isz > 16)
			return -1;
		return base + n * isz;
	}
	case SZ_STRUCT:
		/* the format codes up to the one with no fmtdef, and it */
		p = field64(w, obj, LAY(l, struct_codes));
		if (!p)
			return -1;
		for (n = 0; n < (1 << 20); n++) {
			if (rd64(w,
				 p + (uint64_t)(n * LAY(l, formatcode_size) +
						LAY(l, formatcode_fmtdef)),
				 &q))
				return -1;
			if (!q)
				return base + (n + 1) * LAY(l, formatcode_size);
		}
		return -1;
	case SZ_DECIMAL: {
		uint8_t f;

		if (wread(w, obj + (uint64_t)LAY(l, decimal_flags), &f, 1))
			return -1;
		if (f & MPD_DATAFLAGS)
			return base;
		n = count_at(w, obj, LAY(l, decimal_alloc));
		return n < 0 ? -1 : base + 8 * n;
	}
	case SZ_ELEMENT:
		p = field64(w, obj, LAY(l, element_extra));
		if (!p)
			return base;
		q = field64(w, p, LAY(l, elementextra_children));
		n = count_at(w, p, LAY(l, elementextra_allocated));
		if (n < 0)
			return -1;
		return base + LAY(l, elementextra_size) +
		       (q != p + (uint64_t)LAY(l, elementextra_inline) ? 8 * n : 0);
	case SZ_NDARRAY: {
		struct ndarray a;

		if (walk_ndarray(w, obj, &a))
			return -1;
		return base + 16 * a.nd + (a.owns ? a.elsize * a.items : 0);
	}
	default:
		return -1;
	}
}

uint64_t walk_sizeof(struct walker *w, uint64_t obj, const struct tinfo *ti, unsigned *flags)
{
	int64_t s = model_size(w, obj, ti);

	if (s >= 0) {
		/* what the object's size counts outside its own block */
		if (s > ti->basicsize)
			w->h->buffer_bytes += (uint64_t)(s - ti->basicsize);
		return (uint64_t)s;
	}
	*flags |= HO_SIZE_EST;
	return (uint64_t)ti->basicsize;
}
