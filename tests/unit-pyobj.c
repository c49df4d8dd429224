/*
 * unit-pyobj - the object decoders over synthetic memory images.
 *
 * For every built-in layout table (offsets/tables.c, 3.8-3.13 today),
 * objects are laid out in an image target with its offsets (str of
 * every kind, compact and legacy; int; dicts with 3.8-3.10 and 3.11+
 * keys, combined, unicode and split; instances with a __dict__ and,
 * from 3.11, with managed or inline values), then decoded and compared
 * with what they were built from.  Images of random bytes must decode
 * to errors, never to a crash.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "python/pyobj.h"
#include "tap.h"

#define STR_TYPE 0x100000ull /* a type with Py_TPFLAGS_UNICODE_SUBCLASS */
#define CLS_TYPE 0x110000ull /* a class for instances */
#define HEAP 0x200000ull
#define HEAP_SIZE (1u << 16)

struct img {
	struct pyproc p;
	unsigned char *heap; /* HEAP .. HEAP + HEAP_SIZE, added at the end */
	size_t used;
	unsigned char str_type[1024], cls_type[1024];
};

static int64_t L(struct img *m, enum layout_field f)
{
	return m->p.layout.v[f];
}

static void put(unsigned char *base, int64_t off, const void *v, size_t n)
{
	memcpy(base + off, v, n);
}

static void put64(unsigned char *base, int64_t off, uint64_t v)
{
	put(base, off, &v, 8);
}

/* Reserve n bytes of the heap (8-aligned); returns the target address. */
static uint64_t alloc(struct img *m, size_t n)
{
	uint64_t a = HEAP + m->used;

	m->used += (n + 7) & ~(size_t)7;
	return a;
}

static unsigned char *at(struct img *m, uint64_t addr)
{
	return m->heap + (addr - HEAP);
}

static void img_init(struct img *m, const struct layout_table *tb)
{
	int minor = tb->minor;

	memset(m, 0, sizeof(*m));
	m->heap = calloc(1, HEAP_SIZE);
	layout_init(&m->p.layout, tb->major, minor);
	layout_overlay(&m->p.layout, tb->v, LS_TABLE);
	m->p.major = tb->major;
	m->p.minor = minor;
	m->p.free_threaded = tb->free_threaded;
	m->p.managed_dict = tb->free_threaded ? 8 : 24;
	m->p.t = target_image_new();
	/* the str type: flags with UNICODE_SUBCLASS */
	put64(m->str_type, L(m, LF_type_flags), 1ull << 28);
	put64(m->cls_type, L(m, LF_type_flags), minor >= 11 ? 0 : (1ull << 9));
}

static void img_done(struct img *m)
{
	struct hs_error err = HS_ERROR_INIT;

	target_image_add(m->p.t, STR_TYPE, m->str_type, sizeof(m->str_type), &err);
	target_image_add(m->p.t, CLS_TYPE, m->cls_type, sizeof(m->cls_type), &err);
	target_image_add(m->p.t, HEAP, m->heap, HEAP_SIZE, &err);
}

static void img_free(struct img *m)
{
	target_close(m->p.t);
	free(m->heap);
}

/* A str object from code points: compact unless legacy, of the smallest
 * kind that holds them (as CPython makes them). */
static uint64_t make_str(struct img *m, const uint32_t *cp, size_t n, int legacy)
{
	uint32_t maxc = 0, state;
	unsigned kind;
	size_t i;
	uint64_t obj, data;
	int ascii;

	for (i = 0; i < n; i++)
		if (cp[i] > maxc)
			maxc = cp[i];
	kind = maxc < 256 ? 1 : maxc < 65536 ? 2 : 4;
	ascii = maxc < 128 && !legacy;
	obj = alloc(m, (size_t)(legacy	? L(m, LF_unicode_size)
				: ascii ? L(m, LF_ascii_size)
					: L(m, LF_compact_size)) +
			       (legacy ? 0 : (n + 1) * kind));
	/* free-threaded builds: interned a whole byte, the rest from bit 8 */
	state = ((kind << 2) | ((legacy ? 0u : 1u) << 5) | ((unsigned)ascii << 6))
		<< (m->p.free_threaded ? 6 : 0);
	put64(at(m, obj), L(m, LF_object_type), STR_TYPE);
	put64(at(m, obj), L(m, LF_ascii_length), n);
	put(at(m, obj), L(m, LF_ascii_state), &state, 4);
	if (legacy) {
		data = alloc(m, (n + 1) * kind);
		put64(at(m, obj), L(m, LF_unicode_data), data);
	} else {
		data = obj + (ascii ? L(m, LF_ascii_size) : L(m, LF_compact_size));
	}
	for (i = 0; i < n; i++) {
		uint16_t c2 = (uint16_t)cp[i];
		uint8_t c1 = (uint8_t)cp[i];

		if (kind == 1)
			put(at(m, data), (int64_t)i, &c1, 1);
		else if (kind == 2)
			put(at(m, data), (int64_t)(2 * i), &c2, 2);
		else
			put(at(m, data), (int64_t)(4 * i), &cp[i], 4);
	}
	return obj;
}

static uint64_t make_ascii(struct img *m, const char *s)
{
	uint32_t cp[64];
	size_t i, n = strlen(s);

	for (i = 0; i < n && i < 64; i++)
		cp[i] = (unsigned char)s[i];
	return make_str(m, cp, n, 0);
}

static uint64_t make_int(struct img *m, uint64_t v, int neg)
{
	uint32_t d[3];
	int n = 0;
	uint64_t obj = alloc(m, 48);

	while (v && n < 3) {
		d[n++] = (uint32_t)(v & 0x3fffffff);
		v >>= 30;
	}
	put64(at(m, obj), L(m, LF_object_type), 0x1234);
	if (L(m, LF_long_lv_tag) >= 0) {
		put64(at(m, obj), L(m, LF_long_lv_tag),
		      ((uint64_t)n << 3) | (n == 0 ? 1u
					    : neg  ? 2u
						   : 0u));
	} else {
		int64_t size = neg ? -n : n;

		put(at(m, obj), L(m, LF_varobject_ob_size), &size, 8);
	}
	put(at(m, obj), L(m, LF_long_digit), d, 4 * (size_t)n);
	return obj;
}

/*
 * Keys object with the given str keys (NULL: a deleted entry); values go
 * in the entries unless split.  unicode: 3.11+ 16-byte entries.
 */
static uint64_t make_keys(struct img *m, uint64_t *keys, uint64_t *vals, int n, int unicode,
			  int split)
{
	int64_t esize = unicode ? L(m, LF_dictuentry_size) : L(m, LF_dictentry_size);
	uint64_t k, entries;
	int64_t nentries = n;
	int i;

	k = alloc(m, (size_t)(L(m, LF_dictkeys_indices) + 8 + n * esize));
	if (L(m, LF_dictkeys_dk_size) >= 0) {
		put64(at(m, k), L(m, LF_dictkeys_dk_size), 8); /* 1-byte indices */
		entries = k + L(m, LF_dictkeys_indices) + 8;
	} else {
		uint8_t b[3] = { 3, 3, (uint8_t)(split ? 2 : unicode ? 1 : 0) };

		put(at(m, k), L(m, LF_dictkeys_log2_size), b, 3);
		entries = k + L(m, LF_dictkeys_indices) + 8;
	}
	put(at(m, k), L(m, LF_dictkeys_nentries), &nentries, 8);
	for (i = 0; i < n; i++) {
		uint64_t e = entries + (uint64_t)(i * esize);

		if (unicode) {
			put64(at(m, e), 0, keys[i]);
			put64(at(m, e), 8, split ? 0 : vals[i]);
		} else {
			put64(at(m, e), L(m, LF_dictentry_key), keys[i]);
			put64(at(m, e), L(m, LF_dictentry_value), split ? 0 : vals[i]);
		}
	}
	return k;
}

/* A values array (split tables, managed and inline values). */
static uint64_t make_values(struct img *m, uint64_t *vals, int n)
{
	int64_t off = L(m, LF_dictvalues_values) > 0 ? L(m, LF_dictvalues_values) : 0;
	uint64_t v = alloc(m, (size_t)off + 8 * (size_t)n);
	uint8_t valid = 1;
	int i;

	if (off)
		put(at(m, v), 3, &valid, 1); /* 3.13: the valid byte */
	for (i = 0; i < n; i++)
		put64(at(m, v), off + 8 * i, vals[i]);
	return v;
}

static uint64_t make_dict(struct img *m, uint64_t keys, uint64_t values)
{
	uint64_t d = alloc(m, (size_t)L(m, LF_dict_size));

	put64(at(m, d), L(m, LF_object_type), 0x5678);
	put64(at(m, d), L(m, LF_dict_keys), keys);
	put64(at(m, d), L(m, LF_dict_values), values);
	return d;
}

static const uint32_t s_latin1[] = { 'w', 0xf6, 'r', 'k', 'e', 'r' };
static const char u_latin1[] = "w\xc3\xb6rker";
static const uint32_t s_ucs2[] = { 0x7761, 0x7720, '-', 'x' };
static const char u_ucs2[] = "\xe7\x9d\xa1\xe7\x9c\xa0-x";
static const uint32_t s_ucs4[] = { 'p', 'y', 0x1f40d };
static const char u_ucs4[] = "py\xf0\x9f\x90\x8d";

static void strings(const struct layout_table *tb)
{
	int minor = tb->minor;
	static struct img m;
	char buf[64];
	uint64_t a, b, c, d, e;
	int bad = 0;

	img_init(&m, tb);
	a = make_ascii(&m, "MainThread");
	b = make_str(&m, s_latin1, 6, 0);
	c = make_str(&m, s_ucs2, 4, 0);
	d = make_str(&m, s_ucs4, 3, 0);
	e = make_str(&m, s_ucs2, 4, 1);
	img_done(&m);
	bad += pyobj_str(&m.p, a, buf, sizeof(buf), NULL) < 0 || strcmp(buf, "MainThread");
	bad += pyobj_str(&m.p, b, buf, sizeof(buf), NULL) < 0 || strcmp(buf, u_latin1);
	bad += pyobj_str(&m.p, c, buf, sizeof(buf), NULL) < 0 || strcmp(buf, u_ucs2);
	bad += pyobj_str(&m.p, d, buf, sizeof(buf), NULL) < 0 || strcmp(buf, u_ucs4);
	bad += pyobj_str(&m.p, e, buf, sizeof(buf), NULL) < 0 || strcmp(buf, u_ucs2);
	tap_ok(!bad, "%d.%d%s: str of every kind, compact and legacy, to UTF-8", tb->major, minor,
	       tb->free_threaded ? "t" : "");
	/* a buffer too small: cut on a character boundary, terminated */
	bad = pyobj_str(&m.p, d, buf, 5, NULL) < 0 || strcmp(buf, "py");
	bad += pyobj_str(&m.p, c, buf, 4, NULL) < 0 || strcmp(buf, "\xe7\x9d\xa1");
	tap_ok(!bad, "%d.%d%s: truncation keeps whole characters", tb->major, minor,
	       tb->free_threaded ? "t" : "");
	bad = !pyobj_str_equals(&m.p, a, "MainThread") + pyobj_str_equals(&m.p, a, "Main") +
	      pyobj_str_equals(&m.p, a, "MainThreadX") + pyobj_str_equals(&m.p, 0x1234, "x");
	tap_ok(!bad, "%d.%d%s: str comparison is exact and needs a str", tb->major, minor,
	       tb->free_threaded ? "t" : "");
	img_free(&m);
}

static void ints(const struct layout_table *tb)
{
	int minor = tb->minor;
	static struct img m;
	uint64_t vals[] = {
		0, 1, 1073741823, 1073741824, 140737488355327ull, 0xfedcba9876543210ull
	};
	uint64_t objs[6], v;
	int i, neg, bad = 0;

	img_init(&m, tb);
	for (i = 0; i < 6; i++)
		objs[i] = make_int(&m, vals[i], i == 3);
	img_done(&m);
	for (i = 0; i < 6; i++)
		if (pyobj_long(&m.p, objs[i], &v, &neg, NULL) || v != vals[i] || neg != (i == 3))
			bad++;
	tap_ok(!bad, "%d.%d%s: ints of 0 to 3 digits, with sign", tb->major, minor,
	       tb->free_threaded ? "t" : "");
	img_free(&m);
}

static void dicts(const struct layout_table *tb)
{
	int minor = tb->minor;
	static struct img m;
	uint64_t k[4], v[4], kk[4], d1, d2, d3, inst, got;
	int bad = 0, i;
	const char *names[] = { "alpha", "_name", "gamma" };

	img_init(&m, tb);
	for (i = 0; i < 3; i++) {
		k[i] = make_ascii(&m, names[i]);
		v[i] = make_int(&m, 100 + (uint64_t)i, 0);
	}
	/* combined table with a deleted entry in the middle */
	kk[0] = k[0];
	kk[1] = 0;
	kk[2] = k[1];
	kk[3] = k[2];
	{
		uint64_t vv[4] = { v[0], 0, v[1], v[2] };

		d1 = make_dict(&m, make_keys(&m, kk, vv, 4, 0, 0), 0);
		/* 3.11+: unicode keys with 16-byte entries */
		d2 = minor >= 11 ? make_dict(&m, make_keys(&m, kk, vv, 4, 1, 0), 0) : d1;
		/* split: keys shared, values apart */
		d3 = make_dict(&m, make_keys(&m, k, v, 3, minor >= 11, 1), make_values(&m, v, 3));
	}
	/* an instance: __dict__ (3.8-3.10), managed values (3.11, 3.12) or
	 * inline values (3.13) laid out by the class's cached keys */
	inst = alloc(&m, 128) + 32; /* room for the pre-header and inline values */
	put64(at(&m, inst), L(&m, LF_object_type), CLS_TYPE);
	if (minor <= 10) {
		int64_t off = 16;

		put(m.cls_type, L(&m, LF_type_dictoffset), &off, 8);
		put64(at(&m, inst), 16, d1);
	} else {
		uint64_t keys = make_keys(&m, k, v, 3, 1, 1), vals = make_values(&m, v, 3);
		uint64_t flags = (1ull << 4) | (minor >= 13 ? 1ull << 2 : 0);

		put64(m.cls_type, L(&m, LF_type_flags), flags | (1ull << 9));
		put64(m.cls_type, L(&m, LF_heaptype_cached_keys), keys);
		if (minor == 11) {
			put64(at(&m, inst), -32, vals);
		} else if (minor == 12) {
			put64(at(&m, inst), -24, vals - 1);
		} else {
			/* inline values right after the object (its header:
			 * 16 bytes, 32 free-threaded) */
			int64_t basic = L(&m, LF_object_size);
			uint8_t hdr[4] = { 3, 3, 1, 1 };

			put(m.cls_type, L(&m, LF_type_basicsize), &basic, 8);
			put(at(&m, inst), basic, hdr, 4);
			for (i = 0; i < 3; i++)
				put64(at(&m, inst), basic + 8 + 8 * i, v[i]);
		}
	}
	img_done(&m);
	for (i = 0; i < 3; i++) {
		if (pydict_get_str(&m.p, d1, names[i], &got, NULL) || got != v[i])
			bad++, tap_diag("combined dict: %s", names[i]);
		if (pydict_get_str(&m.p, d2, names[i], &got, NULL) || got != v[i])
			bad++, tap_diag("unicode-keys dict: %s", names[i]);
		if (pydict_get_str(&m.p, d3, names[i], &got, NULL) || got != v[i])
			bad++, tap_diag("split dict: %s", names[i]);
		if (pyobj_getattr(&m.p, inst, names[i], &got, NULL) || got != v[i])
			bad++, tap_diag("instance attribute: %s", names[i]);
	}
	if (pydict_get_str(&m.p, d1, "missing", &got, NULL) || got)
		bad++;
	tap_ok(!bad, "%d.%d%s: dicts (combined, %s, split) and instance attributes", tb->major,
	       minor, tb->free_threaded ? "t" : "", minor >= 11 ? "unicode keys" : "deleted entry");
	img_free(&m);
}

/* Random bytes everywhere: every decoder must fail or answer, quickly. */
static void garbage(const struct layout_table *tb)
{
	int minor = tb->minor;
	static struct img m;
	char buf[64];
	uint64_t v;
	int i, neg, calls = 0;
	uint32_t x = 12345u + (uint32_t)minor;

	img_init(&m, tb);
	for (i = 0; i < HEAP_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		m.heap[i] = (unsigned char)(x >> 16);
	}
	/* make some words point back into the heap */
	for (i = 0; i + 8 <= HEAP_SIZE; i += 64)
		put64(m.heap, i, HEAP + (uint64_t)((i * 7919) % (HEAP_SIZE - 64)));
	m.used = HEAP_SIZE;
	img_done(&m);
	for (i = 0; i < 4000; i++) {
		uint64_t a = HEAP + (uint64_t)((i * 2654435761u) % HEAP_SIZE);

		pyobj_str(&m.p, a, buf, sizeof(buf), NULL);
		pyobj_long(&m.p, a, &v, &neg, NULL);
		pydict_get_str(&m.p, a, "x", &v, NULL);
		pyobj_getattr(&m.p, a, "_name", &v, NULL);
		calls += 4;
	}
	tap_ok(1, "%d.%d%s: %d decodes of random memory ended without a crash", tb->major, minor,
	       tb->free_threaded ? "t" : "", calls);
	img_free(&m);
}

int main(void)
{
	const struct layout_table *const *tb;

	for (tb = layout_tables; *tb; tb++) {
		strings(*tb);
		ints(*tb);
		dicts(*tb);
		garbage(*tb);
	}
	return tap_done();
}
