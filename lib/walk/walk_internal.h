/*
 * walk_internal.h - what the parts of the heap walk share.
 *
 * walk.c drives (seeds, closure, roots, refcount remainders), walk_type.c
 * knows types (kind, sizes, attribute slots), walk_refs.c finds an
 * object's referents, walk_value.c its size and display value.
 * Not for use outside lib/walk*.c.
 */
#ifndef HS_WALK_INTERNAL_H
#define HS_WALK_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include "heap/heap.h"
#include "python/pyproc.h"
#include "walk.h"

/* tp_flags bits (stable 3.8-3.13) */
#define TPF_INLINE_VALUES (1ull << 2)
#define TPF_MANAGED_WEAKREF (1ull << 3)
#define TPF_MANAGED_DICT (1ull << 4)
#define TPF_HEAPTYPE (1ull << 9)
#define TPF_HAVE_GC (1ull << 14)
#define TPF_TYPE_SUBCLASS (1ull << 31)

/* The builtin an object's type derives from ("solid base"), by tp_name
 * of the first static type on its tp_base chain.  X(kind, tp_name) */
/* clang-format off */
#define WALK_KINDS(X) \
	X(K_OTHER, "") \
	X(K_OBJECT, "object") \
	X(K_TYPE, "type") \
	X(K_LIST, "list") \
	X(K_TUPLE, "tuple") \
	X(K_DICT, "dict") \
	X(K_SET, "set") \
	X(K_FROZENSET, "frozenset") \
	X(K_STR, "str") \
	X(K_INT, "int") \
	X(K_BOOL, "bool") \
	X(K_FLOAT, "float") \
	X(K_BYTES, "bytes") \
	X(K_BYTEARRAY, "bytearray") \
	X(K_NONE, "NoneType") \
	X(K_FUNCTION, "function") \
	X(K_CELL, "cell") \
	X(K_METHOD, "method") \
	X(K_CFUNCTION, "builtin_function_or_method") \
	X(K_MODULE, "module") \
	X(K_CODE, "code") \
	X(K_FRAME, "frame") \
	X(K_GEN, "generator") \
	X(K_CORO, "coroutine") \
	X(K_ASYNCGEN, "async_generator") \
	X(K_METHODDESCR, "method_descriptor") \
	X(K_MEMBERDESCR, "member_descriptor") \
	X(K_GETSETDESCR, "getset_descriptor") \
	X(K_WRAPPERDESCR, "wrapper_descriptor") \
	X(K_CMDESCR, "classmethod_descriptor") \
	X(K_MAPPINGPROXY, "mappingproxy") \
	X(K_METHODWRAPPER, "method-wrapper") \
	X(K_WEAKREF, "weakref") \
	X(K_WEAKREF2, "weakref.ReferenceType") \
	X(K_WEAKPROXY, "weakproxy") \
	X(K_WEAKCPROXY, "weakcallableproxy") \
	X(K_WEAKPROXY2, "weakref.ProxyType") \
	X(K_WEAKCPROXY2, "weakref.CallableProxyType") \
	X(K_CLASSMETHOD, "classmethod") \
	X(K_STATICMETHOD, "staticmethod") \
	X(K_PROPERTY, "property") \
	X(K_EXC, "BaseException") \
	X(K_TRACEBACK, "traceback") \
	X(K_DEQUE, "collections.deque") \
	X(K_LOCK, "_thread.lock") \
	X(K_RLOCK, "_thread.RLock") \
	X(K_FUTURE, "_asyncio.Future") \
	X(K_TASK, "_asyncio.Task") \
	X(K_NDARRAY, "numpy.ndarray")
/* clang-format on */

/* clang-format off */
enum walk_kind {
#define WK_ENUM(k, n) k,
	WALK_KINDS(WK_ENUM)
#undef WK_ENUM
	K_COUNT
};
/* clang-format on */

/* Who answers sys.getsizeof for a type's objects: the type that defines
 * the __sizeof__ its MRO finds first (walk_sizeof.c). */
enum walk_sizer {
	SZ_UNKNOWN, /* another extension's or a class's own: an estimate */
	SZ_BUILTIN, /* object's or a builtin's, by kind (walk_size) */
	SZ_ODICT,
	SZ_BYTESIO,
	SZ_BUFFERED,
	SZ_PRODUCT,
	SZ_COMBINATIONS,
	SZ_CWR,
	SZ_PERMUTATIONS,
	SZ_ARRAY,
	SZ_STRUCT,
	SZ_DECIMAL,
	SZ_ELEMENT,
	SZ_NDARRAY,
};

#define TINFO_MAX_SLOTS 256
#define NPY_DTYPE_CACHE 8
#define FIELD_CACHE 512

struct slot {
	int64_t off;
	uint32_t name; /* heap name index */
};

/* What the walk knows of one type object. */
struct tinfo {
	uint64_t addr;
	uint64_t flags;
	int64_t basicsize, itemsize, dictoffset;
	uint64_t cached_keys; /* heap types: ht_cached_keys */
	uint32_t htype;	      /* heap type index */
	uint32_t nslots;
	struct slot *slots;   /* __slots__ and T_OBJECT members along the MRO */
	uint64_t attr_keys;   /* the cached keys attr_names was read from */
	uint32_t *attr_names; /* their key names, entry by entry (3.11+) */
	int64_t nattr;
	uint8_t kind;	      /* enum walk_kind */
	uint8_t sizer;	      /* enum walk_sizer */
	uint8_t valid;	      /* a type object we trust */
	uint8_t is_type_type; /* exactly PyType_Type */
	uint8_t members_done;
};

struct walker {
	struct pyproc *p;
	struct target *t;
	const struct layout *l;
	struct heap *h;
	const struct walk_options *o;
	const struct stacks *st;     /* the threads, by ident (lock owners) */
	struct frame_reader *frames; /* generators' lines, made when needed */

	struct tinfo *ti; /* all types seen, valid or not */
	size_t nti, capti;
	uint32_t *ti_slots; /* type address -> ti index + 1 */
	size_t last_ti;	    /* the valid type found last, index + 1 */
	size_t ti_mask;

	int image;    /* p->t is our copy: objects are tagged in place */
	uint64_t rlo; /* the region of the copy last read */
	size_t rlen;
	unsigned char *rdata;
	uint32_t *ht2ti; /* heap type index -> ti index + 1 */
	size_t nht2ti;
	uint64_t *seen_addr; /* objects not tagged: address -> index */
	uint32_t *seen_idx;
	size_t seen_mask, nseen;
	int seen_slots;

	uint32_t *key_slots; /* dict key object -> name index + 1 (hash by addr) */
	uint64_t *key_addr;
	size_t key_mask, nkeys;

	/* where referents go: edges of cur, or roots */
	uint32_t cur;
	uint64_t ticks; /* references followed, for progress */
	int root_mode;
	uint32_t root_kind, root_label;

	size_t hdr_len;	      /* bytes of an object header read (to ob_type) */
	int64_t *thread_refs; /* free-threaded: per-thread counts by unique id */
	size_t nthread_refs;
	uint64_t *free_set; /* free-threaded: objects on CPython's freelists */
	size_t free_mask, nfree;
	uint64_t ft_offset[4]; /* from a block of each heap tag to its object */

	uint64_t np_dtype[NPY_DTYPE_CACHE]; /* numpy descriptor types seen last */
	int np_version[NPY_DTYPE_CACHE];    /* and their numpy's (1, 2; 0 unknown) */
	int np_next;

	uint64_t set_dummy; /* _PySet_Dummy, 0 unknown */
	uint64_t interp;
	size_t warnings;
	char warning[256];
	char *buf; /* scratch for value text */
	size_t buflen;
	int oom;
	int depth; /* walk_type recursion through metatypes */
	struct hs_error *err;
	const char *fkeys[FIELD_CACHE]; /* fixed field names by address */
	uint32_t fvals[FIELD_CACHE];
};

/* walk.c */
void walk_warn(struct walker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The object at addr (validated; added and queued if new), or HEAP_NONE. */
uint32_t walk_obj(struct walker *w, uint64_t addr);
/* A referent of the current object (or a root in root mode). */
void walk_emit(struct walker *w, uint64_t addr, uint32_t name);
/* Name index of a fixed field name (cached by pointer identity). */
uint32_t walk_field(struct walker *w, const char *name);
uint32_t walk_name(struct walker *w, const char *s, size_t len);

/* walk_type.c */
struct tinfo *walk_type(struct walker *w, uint64_t type);
void walk_type_members(struct walker *w, struct tinfo *ti);
void walk_types_release(struct walker *w);

/* walk_refs.c */
void walk_refs(struct walker *w, uint64_t obj, struct tinfo *ti);
/* Referents of an interpreter frame (3.11+), named by local names. */
void walk_iframe(struct walker *w, uint64_t fr);

/* walk_ft.c: free-threaded builds */
/* Per-thread reference counts and freelists of interp; -1 out of memory. */
int walk_ft_prepare(struct walker *w, uint64_t interp);
/* Every object in interp's mimalloc heaps, as seeds. */
void walk_ft_seed(struct walker *w, uint64_t interp);
/* A thread state's biased-refcount queues and C stack references, as
 * roots (in root mode: the caller sets kind and label). */
void walk_ft_thread_roots(struct walker *w, uint64_t tstate);
void walk_ft_release(struct walker *w);

/* walk_sizeof.c */
/* Set ti->sizer from the type's MRO. */
void walk_find_sizer(struct walker *w, struct tinfo *ti);
/* __sizeof__ of obj by its C type's model (ti->sizer above SZ_BUILTIN),
 * without the pre-header; basicsize and HO_SIZE_EST when unreadable. */
uint64_t walk_sizeof(struct walker *w, uint64_t obj, const struct tinfo *ti, unsigned *flags);
/* The offset of a field of obj holding an object its size counts (a
 * BytesIO's unshared buffer): no referent of its own.  -1 if none. */
int64_t walk_sizeof_owned(struct walker *w, uint64_t obj, const struct tinfo *ti);

/* A numpy array, as read (numpy 1.x and 2.x: the same array fields). */
struct ndarray {
	uint64_t data, descr;
	int64_t items;	/* product of the dimensions */
	int64_t elsize; /* bytes per item */
	int nd;
	int owns;    /* NPY_ARRAY_OWNDATA */
	int objects; /* dtype object: data holds object pointers */
};
#define NDARRAY_BASE 48	       /* PyArrayObject_fields.base */
#define NDARRAY_DESCR 56       /* .descr */
#define NDARRAY_MEM_HANDLER 88 /* .mem_handler (numpy 1.22+, basicsize 96) */
/* Read the array at obj; -1 if any field is not sane. */
int walk_ndarray(struct walker *w, uint64_t obj, struct ndarray *a);

/* walk_value.c */
/* dict.__sizeof__ (with the type's basicsize, as for a subclass). */
uint64_t walk_dict_size(struct walker *w, uint64_t obj, const struct tinfo *ti);
uint64_t walk_size(struct walker *w, uint64_t obj, struct tinfo *ti, unsigned *flags);
/* Value text of obj into the heap, or HEAP_NONE. */
uint32_t walk_value(struct walker *w, uint64_t obj, struct tinfo *ti, unsigned *flags);
/* The name a dict key object gives its value's edge: 'text', 42, ... */
uint32_t walk_key_name(struct walker *w, uint64_t key);

/*
 * Reads.  Most of a walk's millions of small reads fall in the region of
 * the copy the previous one hit: that test is inlined, the rest goes
 * through walk_read_slow (another region, or the target itself).
 */
int walk_read_slow(struct walker *w, uint64_t a, void *buf, size_t len);

static inline int wread(struct walker *w, uint64_t a, void *buf, size_t len)
{
	if (a - w->rlo < w->rlen && len <= w->rlen - (a - w->rlo)) {
		memcpy(buf, w->rdata + (a - w->rlo), len);
		return 0;
	}
	return walk_read_slow(w, a, buf, len);
}

/* Start fetching the header of the object at a, if it is in the region
 * of the copy read last (a binary search for the others would cost about
 * what the prefetch saves). */
static inline void wprefetch(struct walker *w, uint64_t a)
{
	if (a - w->rlo < w->rlen)
		__builtin_prefetch(w->rdata + (a - w->rlo));
}

static inline int rd64(struct walker *w, uint64_t a, uint64_t *v)
{
	return wread(w, a, v, 8);
}

static inline uint64_t field64(struct walker *w, uint64_t base, int64_t off)
{
	uint64_t v = 0;

	if (off < 0 || wread(w, base + (uint64_t)off, &v, 8))
		return 0;
	return v;
}

#endif
