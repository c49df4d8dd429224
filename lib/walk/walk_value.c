/*
 * walk_value.c - sizes as sys.getsizeof gives them, and display values.
 *
 * sys.getsizeof(o) = o.__sizeof__() + the pre-header (the GC header, and
 * from 3.11 the managed dict/weakref words before the object).  Each
 * builtin's __sizeof__ is reproduced from its fields, those of the C
 * types that own memory outside themselves in walk_sizeof.c; any other
 * type's own __sizeof__ cannot be, so its size is basicsize + items and
 * flagged as an estimate.
 */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/decimal.h"
#include "python/pyobj.h"
#include "python/stacks.h"
#include "walk_internal.h"

#define MAX_INT_DIGITS 4096 /* 30-bit digits shown as decimal (~37,000 places) */
#define KEY_TEXT 120	    /* bytes of a dict key kept in an edge name */

static int64_t ob_size(struct walker *w, uint64_t obj)
{
	int64_t n = 0;

	if (wread(w, obj + LAY(w->l, varobject_ob_size), &n, 8))
		return 0;
	return n;
}

/* Number of 30-bit digits of an int and its sign (-1, 0, 1). */
static int64_t int_digits(struct walker *w, uint64_t obj, int *sign)
{
	const struct layout *l = w->l;
	int64_t n;

	if (LAY_HAS(l, long_lv_tag)) {
		uint64_t tag = field64(w, obj, LAY(l, long_lv_tag));

		*sign = 1 - (int)(tag & 3);
		return (int64_t)(tag >> 3);
	}
	n = ob_size(w, obj);
	*sign = n < 0 ? -1 : n > 0;
	/* -INT64_MIN does not exist: no int has that many digits anyway */
	return n == INT64_MIN ? INT64_MAX : n < 0 ? -n : n;
}

/* USABLE_FRACTION */
static uint64_t usable(uint64_t n)
{
	return (n << 1) / 3;
}

/* Bytes of a keys object (_PyDict_KeysSize), 0 if unreadable. */
static uint64_t keys_size(struct walker *w, uint64_t keys)
{
	const struct layout *l = w->l;

	if (LAY_HAS(l, dictkeys_dk_size)) {
		uint64_t size = field64(w, keys, LAY(l, dictkeys_dk_size));
		unsigned ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffull ? 4 : 8;

		if (size > (1ull << 40))
			return 0;
		return (uint64_t)LAY(l, dictkeys_size) + ix * size +
		       usable(size) * (uint64_t)LAY(l, dictentry_size);
	} else {
		uint8_t b[3];

		if (wread(w, keys + LAY(l, dictkeys_log2_size), b, 3) || b[0] > 40 || b[1] > 43)
			return 0;
		return (uint64_t)LAY(l, dictkeys_size) + (1ull << b[1]) +
		       usable(1ull << b[0]) * (uint64_t)(b[2] == 0 ? LAY(l, dictentry_size)
								   : LAY(l, dictuentry_size));
	}
}

uint64_t walk_dict_size(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	const struct layout *l = w->l;
	uint64_t keys = field64(w, obj, LAY(l, dict_keys));
	uint64_t values = field64(w, obj, LAY(l, dict_values));
	uint64_t res = (uint64_t)ti->basicsize;
	int64_t refcnt = 0;

	if (!keys)
		return res;
	if (values) {
		if (LAY_HAS(l, dictkeys_dk_size)) {
			res += usable(field64(w, keys, LAY(l, dictkeys_dk_size))) * 8;
		} else {
			uint64_t u = field64(w, keys, LAY(l, dictkeys_usable));
			uint64_t n = field64(w, keys, LAY(l, dictkeys_nentries));

			if (u < (1ull << 40) && n < (1ull << 40))
				res += (u + n) * 8;
		}
	}
	if (!wread(w, keys + LAY(l, dictkeys_refcnt), &refcnt, 8) && refcnt == 1)
		res += keys_size(w, keys);
	return res;
}

static uint64_t str_size(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint32_t state = 0;
	uint64_t len = field64(w, obj, LAY(l, ascii_length)), size, data, wstr, utf8;
	unsigned kind, compact, ascii;
	struct str_state st;

	wread(w, obj + LAY(l, ascii_state), &state, 4);
	pyobj_str_state(w->p, state, &st);
	kind = st.kind;
	compact = st.compact;
	ascii = st.ascii;
	if (len > (1ull << 40))
		return 0;
	if (compact && ascii) {
		size = (uint64_t)LAY(l, ascii_size) + len + 1;
		data = obj + (uint64_t)LAY(l, ascii_size);
	} else if (compact) {
		size = (uint64_t)LAY(l, compact_size) + (len + 1) * kind;
		data = obj + (uint64_t)LAY(l, compact_size);
	} else {
		size = (uint64_t)LAY(l, unicode_size);
		data = field64(w, obj, LAY(l, unicode_data));
		if (data)
			size += (len + 1) * kind;
	}
	/* <=3.11: a wchar_t copy, unless it is the data itself */
	if (LAY_HAS(l, ascii_wstr)) {
		wstr = field64(w, obj, LAY(l, ascii_wstr));
		if (wstr && (!kind || wstr != data)) {
			uint64_t wlen = compact && ascii
						? len
						: field64(w, obj, LAY(l, compact_wstr_length));

			if (wlen < (1ull << 40))
				size += (wlen + 1) * 4;
		}
	}
	if (!(compact && ascii)) {
		utf8 = field64(w, obj, LAY(l, compact_utf8));
		if (utf8 && utf8 != data) {
			uint64_t ulen = field64(w, obj, LAY(l, compact_utf8_length));

			if (ulen < (1ull << 40))
				size += ulen + 1;
		}
	}
	return size;
}

static uint64_t code_size(struct walker *w, uint64_t obj, const struct tinfo *ti, unsigned *flags)
{
	const struct layout *l = w->l;
	uint64_t res = (uint64_t)ti->basicsize, extra;

	if (w->p->minor >= 11) {
		res += (uint64_t)ob_size(w, obj) * (uint64_t)ti->itemsize;
		res = (res + 7) & ~7ull;
	} else {
		uint64_t cells = field64(w, obj, LAY(l, code_cellvars));
		uint64_t opcache = field64(w, obj, LAY(l, code_opcache));

		if (LAY_HAS(l, code_cell2arg) && field64(w, obj, LAY(l, code_cell2arg)) && cells)
			res += (uint64_t)ob_size(w, cells) * 8;
		if (opcache) {
			int32_t n = 0;
			uint64_t code = field64(w, obj, LAY(l, code_code));

			if (!LAY_HAS(l, code_opcache_size) || !LAY_HAS(l, opcache_size)) {
				*flags |= HO_SIZE_EST;
			} else if (!wread(w, obj + LAY(l, code_opcache_size), &n, 1)) {
				/* co_opcache_size is an unsigned char */
				res += (uint64_t)(n & 0xff) * (uint64_t)LAY(l, opcache_size);
				if (code)
					res += (uint64_t)ob_size(w, code) / 2;
			}
		}
	}
	/* co_extra: _PyCodeObjectExtra { Py_ssize_t ce_size; void *ce_extras[1]; } */
	extra = field64(w, obj, LAY(l, code_extra));
	if (extra) {
		uint64_t n = field64(w, extra, 0);

		if (n >= 1 && n < (1u << 20))
			res += 16 + (n - 1) * 8;
	}
	return res;
}

/* A code object's int field, if sane (0 .. 2^20). */
static int code_int(struct walker *w, uint64_t code, int64_t off, int64_t *v)
{
	int32_t x = 0;

	if (off < 0 || wread(w, code + (uint64_t)off, &x, 4) || x < 0 || x > (1 << 20))
		return -1;
	*v = x;
	return 0;
}

/* Words of a frame running code: 3.12+ co_framesize; 3.11 co_nlocalsplus
 * + co_stacksize; 3.8-3.10 co_stacksize + co_nlocals + cells + frees.
 * -1 if the code object does not read right. */
static int64_t frame_words(struct walker *w, uint64_t code)
{
	const struct layout *l = w->l;
	int64_t a, b;

	if (!code)
		return -1;
	if (w->p->minor >= 12)
		return code_int(w, code, LAY(l, code_framesize), &a) ? -1 : a;
	if (w->p->minor == 11)
		return code_int(w, code, LAY(l, code_nlocalsplus), &a) ||
				       code_int(w, code, LAY(l, code_stacksize), &b)
			       ? -1
			       : a + b;
	if (code_int(w, code, LAY(l, code_stacksize), &a) ||
	    code_int(w, code, LAY(l, code_nlocals), &b))
		return -1;
	{
		uint64_t cells = field64(w, code, LAY(l, code_cellvars));
		uint64_t frees = field64(w, code, LAY(l, code_freevars));
		int64_t nc = cells ? ob_size(w, cells) : 0, nf = frees ? ob_size(w, frees) : 0;

		if (nc < 0 || nc > (1 << 20) || nf < 0 || nf > (1 << 20))
			return -1;
		return a + b + nc + nf;
	}
}

/* The code object a _PyInterpreterFrame runs: 3.14's f_executable is a
 * _PyStackRef, whose low bits are tags. */
static uint64_t frame_code(struct walker *w, uint64_t fr)
{
	uint64_t code = field64(w, fr, LAY(w->l, iframe_code));

	return w->p->minor >= 14 ? code & ~3ull : code;
}

static uint64_t frame_size(struct walker *w, uint64_t obj, unsigned *flags)
{
	const struct layout *l = w->l;
	uint64_t code, fr;
	int64_t n;

	if (w->p->minor <= 10) {
		/* sizeof(PyFrameObject) holds one of the words already */
		n = frame_words(w, field64(w, obj, LAY(l, frameobj_code)));
		if (n < 1) {
			*flags |= HO_SIZE_EST;
			return (uint64_t)LAY(l, frameobj_size);
		}
		return (uint64_t)LAY(l, frameobj_size) + 8 * (uint64_t)(n - 1);
	}
	fr = field64(w, obj, LAY(l, frameobj_frame));
	code = fr ? frame_code(w, fr) : 0;
	n = frame_words(w, code);
	if (n < 0) {
		*flags |= HO_SIZE_EST;
		return (uint64_t)LAY(l, frameobj_size);
	}
	/* 3.11 counts from localsplus, 3.12+ co_framesize includes the
	 * frame's own header */
	return (uint64_t)LAY(l, frameobj_frame_data) +
	       (w->p->minor == 11 ? (uint64_t)LAY(l, iframe_localsplus) : 0) + 8 * (uint64_t)n;
}

static uint64_t gen_size(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	const struct layout *l = w->l;
	int64_t n;

	if (w->p->minor <= 10 || !LAY_HAS(l, gen_iframe))
		return (uint64_t)ti->basicsize;
	n = frame_words(w, frame_code(w, obj + (uint64_t)LAY(l, gen_iframe)));
	if (n < 0)
		return (uint64_t)ti->basicsize;
	return (uint64_t)LAY(l, gen_iframe) +
	       (w->p->minor == 11 ? (uint64_t)LAY(l, iframe_localsplus) : 0) + 8 * (uint64_t)n;
}

/* A list's capacity: its allocated field, or in free-threaded builds
 * the capacity of the _PyListArray its items are in, a word before them
 * (listobject.c list_capacity). */
static uint64_t list_capacity(struct walker *w, uint64_t obj)
{
	uint64_t items, n;

	if (!w->p->free_threaded)
		n = field64(w, obj, LAY(w->l, list_allocated));
	else if ((items = field64(w, obj, LAY(w->l, list_item))) != 0)
		n = field64(w, items - 8, 0);
	else
		n = 0;
	return n < (1ull << 40) ? n : 0;
}

/* What sys.getsizeof adds to __sizeof__: the GC head (none in
 * free-threaded builds) and the managed dict and weakref words. */
static uint64_t preheader(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	uint64_t gc = LAY_HAS(w->l, gchead_size) && !w->p->free_threaded
			      ? (uint64_t)LAY(w->l, gchead_size)
			      : 0;
	int heap_obj = ti->kind == K_TYPE && field64(w, obj, LAY(w->l, type_flags)) & TPF_HEAPTYPE;

	if (w->p->minor <= 10)
		return ti->flags & TPF_HAVE_GC && (ti->kind != K_TYPE || heap_obj) ? gc : 0;
	if (w->p->minor >= 13 && ti->is_type_type && !heap_obj)
		return 0;
	return (ti->flags & TPF_HAVE_GC ? gc : 0) +
	       (ti->flags & (TPF_MANAGED_DICT | (w->p->minor >= 12 ? TPF_MANAGED_WEAKREF : 0)) ? 16
											       : 0);
}

uint64_t walk_size(struct walker *w, uint64_t obj, struct tinfo *ti, unsigned *flags)
{
	const struct layout *l = w->l;
	uint64_t size = (uint64_t)ti->basicsize, table, mask, md;

	int64_t n;
	int sign;

	if (ti->sizer > SZ_BUILTIN)
		return walk_sizeof(w, obj, ti, flags) + preheader(w, obj, ti);
	if (ti->sizer == SZ_UNKNOWN)
		*flags |= HO_SIZE_EST;
	switch ((enum walk_kind)ti->kind) {
	case K_INT:
	case K_BOOL:
		n = int_digits(w, obj, &sign);
		if (w->p->minor >= 11 && n < 1)
			n = 1;
		/* 3.14's int.__sizeof__ takes the sizes of the object's type */
		if (w->p->minor >= 14)
			size = (uint64_t)ti->basicsize + (uint64_t)ti->itemsize * (uint64_t)n;
		else
			size = (uint64_t)LAY(l, long_digit) + 4 * (uint64_t)n;
		break;
	case K_STR:
		size = str_size(w, obj);
		break;
	case K_LIST:
		size += 8 * list_capacity(w, obj);
		break;
	case K_DICT:
		size = walk_dict_size(w, obj, ti);
		break;
	case K_SET:
	case K_FROZENSET:
		table = field64(w, obj, LAY(l, set_table));
		mask = field64(w, obj, LAY(l, set_mask));
		if (table != obj + (uint64_t)LAY(l, set_smalltable) && mask < (1ull << 40))
			size += (mask + 1) * (uint64_t)LAY(l, setentry_size);
		break;
	case K_BYTEARRAY:
		size += field64(w, obj, LAY(l, bytearray_alloc));
		break;
	case K_TYPE:
		if (field64(w, obj, LAY(l, type_flags)) & TPF_HEAPTYPE) {
			uint64_t keys = field64(w, obj, LAY(l, heaptype_cached_keys));

			size = (uint64_t)LAY(l, heaptype_size) + (keys ? keys_size(w, keys) : 0);
		} else {
			size = (uint64_t)LAY(l, type_size);
		}
		break;
	case K_CODE:
		size = code_size(w, obj, ti, flags);
		break;
	case K_FRAME:
		size = frame_size(w, obj, flags);
		break;
	case K_GEN:
	case K_CORO:
	case K_ASYNCGEN:
		size = gen_size(w, obj, ti);
		break;
	case K_DEQUE:
		/* whole blocks from the one holding item 0 */
		n = ob_size(w, obj);
		md = field64(w, obj, LAY(l, deque_leftindex));
		if (LAY(l, block_size) > 16 && n >= 0 && n < (1ll << 40) && md < 4096) {
			uint64_t per = (uint64_t)(LAY(l, block_size) - 16) / 8;

			size += (md + (uint64_t)n + per - 1) / per * (uint64_t)LAY(l, block_size);
		}
		break;
	default:
		if (ti->itemsize) {
			n = ob_size(w, obj);
			if (n < 0)
				n = -n;
			if (n < (1ll << 40))
				size += (uint64_t)n * (uint64_t)ti->itemsize;
		}
		break;
	}
	return size + preheader(w, obj, ti);
}

/* ---- values ---- */

/* v as decimal (with a minus sign if neg) into buf; returns the length. */
static int u64_text(char *buf, size_t len, uint64_t v, int neg)
{
	char tmp[DEC_U64_MAX + 1], *end;
	size_t n;

	tmp[0] = '-';
	end = dec_u64(tmp + 1, v);
	n = (size_t)(end - tmp) - !neg;
	if (n >= len)
		n = len ? len - 1 : 0;
	memcpy(buf, tmp + !neg, n);
	if (len)
		buf[n] = '\0';
	return (int)n;
}

/* An int of any size as decimal text into buf; -1 if unreadable. */
static int int_text(struct walker *w, uint64_t obj, char *buf, size_t len)
{
	int sign, o = 0;
	int64_t nd = int_digits(w, obj, &sign), i, top;
	uint32_t *d;
	char *dec;
	size_t nd10 = 0, cap;

	if (nd < 0)
		return -1;
	if (nd > MAX_INT_DIGITS)
		return nd > (INT64_MAX >> 8)
			       ? -1
			       : snprintf(buf, len, "<int of %lld bits>", (long long)nd * 30);
	if (nd == 0)
		return snprintf(buf, len, "0");
	if (nd <= 2) {
		/* most ints: two digits hold 60 bits */
		uint32_t v2[2] = { 0, 0 };
		uint64_t v;

		if (wread(w, obj + LAY(w->l, long_digit), v2, (size_t)nd * 4))
			return -1;
		v = (uint64_t)(v2[0] & 0x3fffffff) | (uint64_t)(v2[1] & 0x3fffffff) << 30;
		return u64_text(buf, len, v, sign < 0);
	}
	d = malloc((size_t)nd * 4);
	cap = (size_t)nd * 10 + 2;
	dec = malloc(cap);
	if (!d || !dec || wread(w, obj + LAY(w->l, long_digit), d, (size_t)nd * 4)) {
		free(d);
		free(dec);
		return -1;
	}
	/* divide by 10^9 until zero; remainders are base-1e9 digits */
	top = nd;
	while (top > 0) {
		uint64_t rem = 0;

		for (i = top - 1; i >= 0; i--) {
			uint64_t cur = rem << 30 | (d[i] & 0x3fffffff);

			d[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (top > 0 && !d[top - 1])
			top--;
		for (i = 0; i < 9 && nd10 < cap; i++) {
			dec[nd10++] = (char)('0' + rem % 10);
			rem /= 10;
			if (!top && !rem)
				break;
		}
	}
	while (nd10 > 1 && dec[nd10 - 1] == '0')
		nd10--;
	if (sign < 0 && (size_t)o + 1 < len)
		buf[o++] = '-';
	while (nd10 && (size_t)o + 1 < len)
		buf[o++] = dec[--nd10];
	buf[o] = '\0';
	free(d);
	free(dec);
	return o;
}

/* Code points in UTF-8 text. */
static uint64_t utf8_chars(const char *s, size_t n)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* ---- locks ---- */

#define MUTEX_LOCKED 1 /* PyMutex bits (pycore_lock.h) */
#define MUTEX_PARKED 2 /* a thread sleeps waiting for it */

/* A _thread.lock: "locked" or "unlocked", from its locked byte (3.8 to
 * 3.13) or its PyMutex (3.14+, which also says when threads wait). */
static uint32_t lock_value(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	const char *text;
	uint8_t b;

	if (LAY_HAS(l, lock_mutex)) {
		if (wread(w, obj + LAY(l, lock_mutex), &b, 1))
			return HEAP_NONE;
		text = !(b & MUTEX_LOCKED) ? "unlocked"
		       : b & MUTEX_PARKED  ? "locked, threads wait for it"
					   : "locked";
	} else if (LAY_HAS(l, lock_locked)) {
		if (wread(w, obj + LAY(l, lock_locked), &b, 1))
			return HEAP_NONE;
		text = b ? "locked" : "unlocked";
	} else {
		return HEAP_NONE;
	}
	return heap_intern(w->h, text, strlen(text));
}

/* A _thread.RLock: "unlocked", or "locked by thread NAME (native id
 * N), count C" with its owner found among the threads by its ident
 * (threading.get_ident()), as repr(rlock) tells owner and count: an
 * owner and a count up to 3.13, an _PyRecursiveMutex from 3.14. */
static uint32_t rlock_value(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	uint64_t owner, count;
	const char *wait = "";
	char text[160];
	size_t i;
	int n;

	if (!LAY_HAS(l, rlock_owner) || !LAY_HAS(l, rlock_count) ||
	    wread(w, obj + LAY(l, rlock_owner), &owner, 8) ||
	    wread(w, obj + LAY(l, rlock_count), &count, 8))
		return HEAP_NONE;
	if (LAY_HAS(l, rlock_mutex)) {
		/* 3.14+: the mutex says locked; level counts the acquisitions
		 * after the first */
		uint8_t b;

		if (wread(w, obj + LAY(l, rlock_mutex), &b, 1))
			return HEAP_NONE;
		if (b & MUTEX_PARKED)
			wait = ", threads wait for it";
		count = b & MUTEX_LOCKED ? count + 1 : 0;
	}
	if (!count)
		return heap_intern(w->h, "unlocked", 8);
	for (i = 0; w->st && i < w->st->nthreads; i++)
		if (w->st->threads[i].thread_id == owner)
			break;
	if (w->st && i < w->st->nthreads) {
		const struct stack_thread *th = &w->st->threads[i];

		n = snprintf(text, sizeof(text),
			     "locked by thread %s%s(native id %d), count %llu%s", th->name,
			     th->name[0] ? " " : "", (int)th->tid, (unsigned long long)count, wait);
	} else {
		n = snprintf(text, sizeof(text),
			     "locked by thread ident %llu (not running now), count %llu%s",
			     (unsigned long long)owner, (unsigned long long)count, wait);
	}
	if (n < 0)
		return HEAP_NONE;
	return heap_add_string(w->h, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

/* ---- asyncio ---- */

/* fut_state (Modules/_asynciomodule.c), as the tasks command words it */
static const char *const future_states[] = { "pending", "cancelled", "done" };

/*
 * A Future's state; a Task's with its name as repr() shows it
 * ("pending name='worker-1'").  3.13+ keeps an unnamed task's number
 * and makes "Task-N" of it when asked.
 */
static uint32_t future_value(struct walker *w, uint64_t obj, const struct tinfo *ti)
{
	const struct layout *l = w->l;
	uint64_t np, type;
	struct tinfo *nti;
	char text[200], name[128];
	int32_t state;
	int n = -1;

	if (!LAY_HAS(l, future_state) || wread(w, obj + LAY(l, future_state), &state, 4) ||
	    state < 0 || state > 2)
		return HEAP_NONE;
	if (ti->kind != K_TASK || !LAY_HAS(l, task_name) ||
	    !(np = field64(w, obj, LAY(l, task_name))) ||
	    rd64(w, np + (uint64_t)LAY(l, object_type), &type) || !(nti = walk_type(w, type)))
		return heap_intern(w->h, future_states[state], strlen(future_states[state]));
	if (nti->kind == K_STR && pyobj_str(w->p, np, name, sizeof(name), NULL) >= 0)
		n = snprintf(text, sizeof(text), "%s name='%s'", future_states[state], name);
	else if (nti->kind == K_INT && int_text(w, np, name, sizeof(name)) > 0)
		n = snprintf(text, sizeof(text), "%s name='Task-%s'", future_states[state], name);
	if (n < 0)
		return heap_intern(w->h, future_states[state], strlen(future_states[state]));
	return heap_add_string(w->h, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

/* gi_frame_state (3.11+), pycore_frame.h */
#define GEN_CREATED_311 (-2) /* 3.11, 3.12 */
#define GEN_CREATED_313 (-3) /* 3.13+ */
#define GEN_EXECUTING 0
/* PyFrameObject.f_state (3.10) */
#define FRAME310_CREATED (-2)
#define FRAME310_EXECUTING 0

/*
 * Where a generator, coroutine or async generator is: "suspended at
 * FILE:LINE", "running at FILE:LINE", "created" (not started) or
 * "finished", as its gi_frame and gi_running tell.  The line is the
 * one its frame's f_lineno gives.
 */
static uint32_t gen_value(struct walker *w, uint64_t obj)
{
	const struct layout *l = w->l;
	const char *how = "suspended";
	struct stack_frame f;
	uint64_t fr;
	char text[600];
	int n;

	if (LAY_HAS(l, gen_iframe)) {
		int8_t state;

		if (!LAY_HAS(l, gen_frame_state) ||
		    wread(w, obj + LAY(l, gen_frame_state), &state, 1))
			return HEAP_NONE;
		if (state == (w->p->minor >= 13 ? GEN_CREATED_313 : GEN_CREATED_311))
			return heap_intern(w->h, "created", 7);
		if (state > GEN_EXECUTING)
			return heap_intern(w->h, "finished", 8);
		if (state == GEN_EXECUTING)
			how = "running";
		fr = obj + (uint64_t)LAY(l, gen_iframe);
	} else {
		int32_t lasti;
		int8_t fstate; /* PyFrameState, a signed char */
		uint64_t top;

		fr = field64(w, obj, LAY(l, gen_frame));
		if (!fr)
			return heap_intern(w->h, "finished", 8);
		if (wread(w, fr + LAY(l, frameobj_lasti), &lasti, 4))
			return HEAP_NONE;
		if (LAY_HAS(l, frameobj_state)) {
			if (wread(w, fr + LAY(l, frameobj_state), &fstate, 1))
				return HEAP_NONE;
			if (fstate == FRAME310_CREATED)
				return heap_intern(w->h, "created", 7);
			if (fstate > FRAME310_EXECUTING)
				return heap_intern(w->h, "finished", 8);
			if (fstate == FRAME310_EXECUTING)
				how = "running";
		} else {
			/* 3.8, 3.9: f_stacktop is NULL while the frame runs */
			if (lasti < 0)
				return heap_intern(w->h, "created", 7);
			if (LAY_HAS(l, frameobj_stacktop) &&
			    !rd64(w, fr + LAY(l, frameobj_stacktop), &top) && !top)
				how = "running";
		}
	}
	if (!w->frames && !(w->frames = frame_reader_new(w->p))) {
		w->oom = 1;
		return HEAP_NONE;
	}
	if (frame_reader_read(w->frames, fr, &f) || f.line < 0)
		return heap_intern(w->h, how, strlen(how));
	n = snprintf(text, sizeof(text), "%s at %s:%d", how, f.file, f.line);
	return heap_intern(w->h, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

/* A builtin function's or method's name: its PyMethodDef's ml_name (the
 * first field, in the stable ABI), which heap_summary makes
 * "<built-in method NAME of TYPE object at 0x...>" as its repr does. */
static uint32_t cfunc_name(struct walker *w, uint64_t obj)
{
	uint64_t ml = field64(w, obj, LAY(w->l, cfunc_ml)), np;
	char name[128];
	int n;

	if (!ml || wread(w, ml, &np, 8) || !np)
		return HEAP_NONE;
	n = target_read_cstr(w->t, np, name, sizeof(name), NULL);
	if (n <= 0)
		return HEAP_NONE;
	return heap_intern(w->h, name, (size_t)n);
}

uint32_t walk_value(struct walker *w, uint64_t obj, struct tinfo *ti, unsigned *flags)
{
	const struct layout *l = w->l;
	char num[64];
	int n, sign;
	int64_t size;
	double f;

	switch ((enum walk_kind)ti->kind) {
	case K_STR:
		n = pyobj_str(w->p, obj, w->buf, w->buflen + 1, NULL); /* buflen bytes and a NUL */
		if (n < 0) {
			*flags |= HO_BROKEN;
			return HEAP_NONE;
		}
		if (utf8_chars(w->buf, (size_t)n) < field64(w, obj, LAY(l, ascii_length)))
			*flags |= HO_TRUNC;
		return heap_add_string(w->h, w->buf, (size_t)n);
	case K_BYTES:
		size = ob_size(w, obj);
		if (size < 0)
			return HEAP_NONE;
		if ((size_t)size > w->buflen) {
			*flags |= HO_TRUNC;
			size = (int64_t)w->buflen;
		}
		if (wread(w, obj + LAY(l, bytes_sval), w->buf, (size_t)size))
			return HEAP_NONE;
		return heap_add_string(w->h, w->buf, (size_t)size);
	case K_BOOL:
		int_digits(w, obj, &sign);
		return heap_intern(w->h, sign ? "True" : "False", sign ? 4 : 5);
	case K_INT:
		n = int_text(w, obj, w->buf, w->buflen);
		return n < 0 ? HEAP_NONE : heap_add_string(w->h, w->buf, (size_t)n);
	case K_FLOAT:
		if (wread(w, obj + LAY(l, float_fval), &f, 8))
			return HEAP_NONE;
		n = pyobj_float_repr(f, num, sizeof(num));
		return heap_add_string(w->h, num, (size_t)n);
	case K_NONE:
		return heap_intern(w->h, "None", 4);
	case K_CFUNCTION:
		return cfunc_name(w, obj);
	case K_LOCK:
		return lock_value(w, obj);
	case K_RLOCK:
		return rlock_value(w, obj);
	case K_FUTURE:
	case K_TASK:
		return future_value(w, obj, ti);
	case K_GEN:
	case K_CORO:
	case K_ASYNCGEN:
		return gen_value(w, obj);
	default:
		return HEAP_NONE;
	}
}

/* ---- dict key names ---- */

static size_t key_hash(uint64_t a)
{
	return heap_hash64(a);
}

/* The text a key gives its edge name: quoted for dict values ('x'),
 * bare for attributes and locals (addr | 1). */
static uint32_t key_text(struct walker *w, uint64_t key, int bare)
{
	uint64_t type;
	struct tinfo *ti;
	char buf[KEY_TEXT + 8];
	int n;
	unsigned fl = 0;

	if (rd64(w, key + (uint64_t)LAY(w->l, object_type), &type) || !(ti = walk_type(w, type)))
		return walk_name(w, "?", 1);
	switch ((enum walk_kind)ti->kind) {
	case K_STR:
		n = pyobj_str(w->p, key, buf + 1, KEY_TEXT, NULL);
		if (n < 0)
			return walk_name(w, "?", 1);
		if (bare)
			return walk_name(w, buf + 1, (size_t)n);
		buf[0] = '\'';
		buf[n + 1] = '\'';
		return walk_name(w, buf, (size_t)n + 2);
	case K_INT:
	case K_BOOL:
	case K_FLOAT:
	case K_NONE: {
		uint32_t v;
		size_t len;
		const char *s;

		/* small values: the same text as the object's own value */
		v = walk_value(w, key, ti, &fl);
		if (v == HEAP_NONE)
			return walk_name(w, "?", 1);
		s = heap_str(w->h, v, &len);
		memcpy(buf, s, len < KEY_TEXT ? len : KEY_TEXT);
		return walk_name(w, buf, len < KEY_TEXT ? len : KEY_TEXT);
	}
	default:
		n = snprintf(buf, sizeof(buf), "<%s at 0x%llx>",
			     heap_str(w->h, w->h->types[ti->htype].name, NULL),
			     (unsigned long long)key);
		return walk_name(w, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
}

uint32_t walk_key_name(struct walker *w, uint64_t key)
{
	size_t k;
	uint32_t name;

	if ((w->nkeys + 1) * 2 > w->key_mask + 1) {
		size_t nslots = w->key_mask ? 2 * (w->key_mask + 1) : 1u << 14, i;
		uint32_t *s = calloc(nslots, sizeof(*s));
		uint64_t *a = calloc(nslots, sizeof(*a));

		if (!s || !a) {
			free(s);
			free(a);
			w->oom = 1;
			return 0;
		}
		for (i = 0; w->key_slots && i <= w->key_mask; i++) {
			if (!w->key_slots[i])
				continue;
			for (k = key_hash(w->key_addr[i]) & (nslots - 1); s[k];
			     k = (k + 1) & (nslots - 1))
				;
			s[k] = w->key_slots[i];
			a[k] = w->key_addr[i];
		}
		free(w->key_slots);
		free(w->key_addr);
		w->key_slots = s;
		w->key_addr = a;
		w->key_mask = nslots - 1;
	}
	for (k = key_hash(key) & w->key_mask; w->key_slots[k]; k = (k + 1) & w->key_mask)
		if (w->key_addr[k] == key)
			return w->key_slots[k] - 1;
	name = key_text(w, key & ~1ull, (int)(key & 1));
	if (name == HEAP_NONE) {
		w->oom = 1;
		return 0;
	}
	/* key_text may have grown the table: find the slot again */
	for (k = key_hash(key) & w->key_mask; w->key_slots[k]; k = (k + 1) & w->key_mask)
		;
	w->key_slots[k] = name + 1;
	w->key_addr[k] = key;
	w->nkeys++;
	return name;
}
