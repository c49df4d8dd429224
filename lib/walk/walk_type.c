/*
 * walk_type.c - type objects as the walk sees them.
 *
 * A type is trusted when its own type is PyType_Type or a metatype we
 * trust (a type with Py_TPFLAGS_TYPE_SUBCLASS), its sizes are sane and its
 * name reads.  Every address ever asked about is remembered, trusted or
 * not, so a pointer that is no type costs one look-up the next time.
 *
 * The kind of a type is the first builtin found on its tp_base chain,
 * matched by the tp_name of static types (a static type's tp_name is the
 * bare builtin name, an extension's is "module.Name").
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/pyobj.h"
#include "walk_internal.h"

#define MAX_BASES 64
#define MAX_MEMBERS 128
#define MAX_DEPTH 6
#define T_OBJECT 6
#define T_OBJECT_EX 16

static const char *const kind_names[K_COUNT] = {
#define WK_NAME(k, n) n,
	WALK_KINDS(WK_NAME)
#undef WK_NAME
};

static size_t ti_hash(uint64_t a)
{
	return heap_hash64(a);
}

static struct tinfo *ti_find(struct walker *w, uint64_t addr)
{
	size_t k;

	if (!w->ti_slots)
		return NULL;
	for (k = ti_hash(addr) & w->ti_mask; w->ti_slots[k]; k = (k + 1) & w->ti_mask)
		if (w->ti[w->ti_slots[k] - 1].addr == addr)
			return &w->ti[w->ti_slots[k] - 1];
	return NULL;
}

/* A new, untrusted entry for addr; NULL when out of memory. */
static struct tinfo *ti_new(struct walker *w, uint64_t addr)
{
	size_t k;

	if ((w->nti + 1) * 2 > w->ti_mask + 1) {
		size_t nslots = w->ti_mask ? 2 * (w->ti_mask + 1) : 4096, i;
		uint32_t *s = calloc(nslots, sizeof(*s));

		if (!s)
			return NULL;
		for (i = 0; i < w->nti; i++) {
			for (k = ti_hash(w->ti[i].addr) & (nslots - 1); s[k];
			     k = (k + 1) & (nslots - 1))
				;
			s[k] = (uint32_t)i + 1;
		}
		free(w->ti_slots);
		w->ti_slots = s;
		w->ti_mask = nslots - 1;
	}
	if (w->nti == w->capti) {
		size_t cap = w->capti ? 2 * w->capti : 1024;
		struct tinfo *n = realloc(w->ti, cap * sizeof(*n));

		if (!n)
			return NULL;
		w->ti = n;
		w->capti = cap;
	}
	for (k = ti_hash(addr) & w->ti_mask; w->ti_slots[k]; k = (k + 1) & w->ti_mask)
		;
	w->ti_slots[k] = (uint32_t)w->nti + 1;
	memset(&w->ti[w->nti], 0, sizeof(w->ti[0]));
	w->ti[w->nti].addr = addr;
	w->ti[w->nti].htype = HEAP_NONE;
	return &w->ti[w->nti++];
}

static enum walk_kind kind_by_name(const char *name)
{
	int k;

	for (k = 1; k < K_COUNT; k++)
		if (!strcmp(name, kind_names[k]))
			return (enum walk_kind)k;
	return K_OTHER;
}

/*
 * The kind of type t: along tp_base, the first static type decides; when
 * it is an unknown extension type, the builtin it derives from still
 * tells the layout of its start (an OrderedDict is a dict), but one that
 * derives from object alone is opaque.  -1 when the name of a static
 * type on the way cannot be read: nothing can be said of its objects.
 */
static int find_kind(struct walker *w, uint64_t t)
{
	const struct layout *l = w->l;
	int i, opaque = 0;
	char name[64];

	for (i = 0; t && i < MAX_BASES; i++) {
		uint64_t flags = field64(w, t, LAY(l, type_flags));

		uint64_t np = field64(w, t, LAY(l, type_name));

		/* a C type made from a spec (3.12+ deque) is a heap type
		 * with a dotted tp_name, which no class statement gives */
		if (flags & TPF_HEAPTYPE && np &&
		    target_read_cstr(w->t, np, name, sizeof(name), NULL) > 0 && strchr(name, '.')) {
			if (kind_by_name(name) != K_OTHER)
				return kind_by_name(name);
			opaque = 1; /* an extension's own layout */
		}
		if (!(flags & TPF_HEAPTYPE)) {
			enum walk_kind k;

			if (!np || target_read_cstr(w->t, np, name, sizeof(name), NULL) < 0)
				return -1;
			k = kind_by_name(name);
			if (k == K_OBJECT && opaque)
				return K_OTHER;
			if (k != K_OTHER)
				return k;
			opaque = 1;
		}
		t = field64(w, t, LAY(l, type_base));
	}
	return K_OTHER;
}

/* The name users know a type by: "module.Qualname" for classes outside
 * builtins, tp_name for the rest.  The name's index, HEAP_NONE when out
 * of memory, HEAP_NONE - 1 when it cannot be read. */
#define NAME_UNREADABLE (HEAP_NONE - 1)
static uint32_t type_name(struct walker *w, uint64_t t, uint64_t flags)
{
	const struct layout *l = w->l;
	char name[256], mod[128];
	uint64_t np, dict, m = 0;
	int n;

	if (flags & TPF_HEAPTYPE) {
		np = field64(w, t, LAY(l, heaptype_qualname));
		n = np ? pyobj_str(w->p, np, name, sizeof(name), NULL) : -1;
		dict = field64(w, t, LAY(l, type_dict));
		if (n >= 0 && dict && !pydict_get_str(w->p, dict, "__module__", &m, NULL) && m &&
		    pyobj_str(w->p, m, mod, sizeof(mod), NULL) > 0 && strcmp(mod, "builtins")) {
			char full[400];

			n = snprintf(full, sizeof(full), "%s.%s", mod, name);
			return heap_intern(w->h, full,
					   (size_t)n < sizeof(full) ? (size_t)n : sizeof(full) - 1);
		}
		if (n >= 0)
			return heap_intern(w->h, name, (size_t)n);
	}
	np = field64(w, t, LAY(l, type_name));
	n = np ? target_read_cstr(w->t, np, name, sizeof(name), NULL) : -1;
	if (n < 0)
		return NAME_UNREADABLE;
	return heap_intern(w->h, name, (size_t)n);
}

struct tinfo *walk_type(struct walker *w, uint64_t type)
{
	const struct layout *l = w->l;
	struct tinfo *ti, *meta;
	uint64_t mt;
	size_t idx;
	uint32_t name;
	int kind;

	/* objects come in runs of one type */
	if (w->last_ti && w->last_ti - 1 < w->nti && w->ti[w->last_ti - 1].addr == type)
		return &w->ti[w->last_ti - 1];
	ti = ti_find(w, type);
	if (ti) {
		if (!ti->valid)
			return NULL;
		w->last_ti = (size_t)(ti - w->ti) + 1;
		return ti;
	}
	if (!type || type & 7 || w->depth >= MAX_DEPTH)
		return NULL;
	ti = ti_new(w, type);
	if (!ti) {
		w->oom = 1;
		return NULL;
	}
	idx = (size_t)(ti - w->ti);
	if (wread(w, type + (uint64_t)LAY(l, object_type), &mt, 8))
		return NULL;
	if (mt != w->p->type_type) {
		uint64_t mflags;

		if (mt == type)
			return NULL;
		w->depth++;
		meta = walk_type(w, mt);
		w->depth--;
		ti = &w->ti[idx]; /* the table may have moved */
		mflags = meta ? meta->flags : 0;
		if (!meta || !(mflags & TPF_TYPE_SUBCLASS))
			return NULL;
	}
	ti->flags = field64(w, type, LAY(l, type_flags));
	ti->basicsize = (int64_t)field64(w, type, LAY(l, type_basicsize));
	ti->itemsize = (int64_t)field64(w, type, LAY(l, type_itemsize));
	ti->dictoffset = (int64_t)field64(w, type, LAY(l, type_dictoffset));
	if (ti->basicsize < 16 || ti->basicsize > (1 << 20) || ti->itemsize < 0 ||
	    ti->itemsize > (1 << 16) || ti->dictoffset < -(1 << 20) || ti->dictoffset > (1 << 20))
		return NULL;
	if (ti->flags & TPF_HEAPTYPE)
		ti->cached_keys = field64(w, type, LAY(l, heaptype_cached_keys));
	ti->is_type_type = type == w->p->type_type;
	w->depth++;
	kind = find_kind(w, type);
	name = kind < 0 ? NAME_UNREADABLE : type_name(w, type, ti->flags);
	w->depth--;
	ti = &w->ti[idx];
	/* a type is known by its name: without it, what its objects are
	 * (and their sizes and referents) would be guesses */
	if (name == NAME_UNREADABLE) {
		walk_warn(w,
			  "the name of the type at 0x%llx cannot be read: its objects are "
			  "left out",
			  (unsigned long long)type);
		return NULL;
	}
	ti->kind = (uint8_t)kind;
	walk_find_sizer(w, ti);
	if (name == HEAP_NONE || (ti->htype = heap_add_type(w->h, type, name)) == HEAP_NONE) {
		w->oom = 1;
		return NULL;
	}
	ti->valid = 1;
	/* the closure finds an object's type by its heap type index */
	if (ti->htype >= w->nht2ti) {
		size_t n = w->nht2ti ? 2 * w->nht2ti : 256;
		uint32_t *m;

		while (n <= ti->htype)
			n *= 2;
		m = realloc(w->ht2ti, n * sizeof(*m));
		if (!m) {
			w->oom = 1;
			return NULL;
		}
		memset(m + w->nht2ti, 0, (n - w->nht2ti) * sizeof(*m));
		w->ht2ti = m;
		w->nht2ti = n;
	}
	w->ht2ti[ti->htype] = (uint32_t)idx + 1;
	return ti;
}

static int add_slot(struct walker *w, struct tinfo *ti, size_t *cap, int64_t off, uint64_t name_ptr)
{
	char name[128];
	int n;
	uint32_t i;

	if (off < 16 || off + 8 > ti->basicsize || ti->nslots >= TINFO_MAX_SLOTS)
		return 0;
	for (i = 0; i < ti->nslots; i++)
		if (ti->slots[i].off == off)
			return 0;
	n = name_ptr ? target_read_cstr(w->t, name_ptr, name, sizeof(name), NULL) : -1;
	if (n < 0)
		n = snprintf(name, sizeof(name), "+%lld", (long long)off);
	if (ti->nslots == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct slot *s = realloc(ti->slots, nc * sizeof(*s));

		if (!s)
			return -1;
		ti->slots = s;
		*cap = nc;
	}
	ti->slots[ti->nslots].off = off;
	ti->slots[ti->nslots].name = walk_name(w, name, (size_t)n);
	ti->nslots++;
	return 0;
}

/* Read a PyMemberDef array of at most n entries (n < 0: until a NULL
 * name) and keep its object members. */
static int add_members(struct walker *w, struct tinfo *ti, size_t *cap, uint64_t defs, long n)
{
	const struct layout *l = w->l;
	int64_t esize = LAY(l, memberdef_size);
	long i, max = n < 0 ? MAX_MEMBERS : n > MAX_MEMBERS ? MAX_MEMBERS : n;

	if (esize <= 0 || !defs)
		return 0;
	for (i = 0; i < max; i++) {
		uint64_t m = defs + (uint64_t)(i * esize), name;
		int32_t type;
		int64_t off;

		if (rd64(w, m + LAY(l, memberdef_name), &name) ||
		    wread(w, m + LAY(l, memberdef_type), &type, 4) ||
		    wread(w, m + LAY(l, memberdef_offset), &off, 8))
			break;
		if (!name && n < 0)
			break;
		if ((type == T_OBJECT || type == T_OBJECT_EX) && add_slot(w, ti, cap, off, name))
			return -1;
	}
	return 0;
}

/*
 * Named object fields of instances beyond what their kind decodes: the
 * __slots__ of every class on the tp_base chain (a PyMemberDef array after
 * the heap type, Py_SIZE(type) entries) and the T_OBJECT members of
 * static extension types on it (all but the builtin that gives the kind).
 */
void walk_type_members(struct walker *w, struct tinfo *ti)
{
	const struct layout *l = w->l;
	size_t cap = 0, idx = (size_t)(ti - w->ti);
	uint64_t t = ti->addr;
	int i;
	char name[64];

	if (ti->members_done)
		return;
	for (i = 0; t && i < MAX_BASES; i++) {
		uint64_t flags = field64(w, t, LAY(l, type_flags)), meta;
		int64_t nslots = 0, mbasic = 0;

		ti = &w->ti[idx];
		if (flags & TPF_HEAPTYPE) {
			meta = field64(w, t, LAY(l, object_type));
			mbasic = (int64_t)field64(w, meta, LAY(l, type_basicsize));
			if (wread(w, t + LAY(l, varobject_ob_size), &nslots, 8))
				nslots = 0;
			if (nslots > 0 && mbasic > 0 &&
			    add_members(w, ti, &cap, t + (uint64_t)mbasic, (long)nslots))
				break;
		} else {
			uint64_t np = field64(w, t, LAY(l, type_name));

			if (!np || target_read_cstr(w->t, np, name, sizeof(name), NULL) < 0 ||
			    kind_by_name(name) != K_OTHER)
				break;
			if (add_members(w, ti, &cap, field64(w, t, LAY(l, type_members)), -1))
				break;
		}
		t = field64(w, t, LAY(l, type_base));
	}
	w->ti[idx].members_done = 1;
}

void walk_types_release(struct walker *w)
{
	size_t i;

	for (i = 0; i < w->nti; i++) {
		free(w->ti[i].slots);
		free(w->ti[i].attr_names);
	}
	free(w->ti);
	free(w->ti_slots);
	free(w->ht2ti);
	w->ht2ti = NULL;
	w->nht2ti = 0;
	w->ti = NULL;
	w->ti_slots = NULL;
	w->nti = w->capti = 0;
}
