/*
 * pyobj.c - decode single objects: type names, str, bytes, small ints.
 *
 * str layouts (PyASCIIObject.state: pyobj_str_state): compact ASCII data follows the
 * PyASCIIObject, other compact data the PyCompactUnicodeObject, and a
 * legacy (non-compact) string points to its data.  The sizes differ
 * between <=3.11 (wstr fields) and 3.12+, so they come from the layout.
 */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyobj.h"

/* Longest str or bytes we decode in one go: display needs far less. */
#define PYOBJ_MAX_LEN (1ull << 36) /* a sanity bound; reads stop at the buffer */

void pyobj_str_state(const struct pyproc *p, uint32_t state, struct str_state *s)
{
	if (p->free_threaded) {
		s->interned = state & 0xff;
		s->kind = (state >> 8) & 7;
		s->compact = (state >> 11) & 1;
		s->ascii = (state >> 12) & 1;
	} else {
		s->interned = state & 3;
		s->kind = (state >> 2) & 7;
		s->compact = (state >> 5) & 1;
		s->ascii = (state >> 6) & 1;
	}
}

int pyobj_type(struct pyproc *p, uint64_t obj, uint64_t *type, struct hs_error *err)
{
	if (!obj)
		return hs_error_set(err, HS_EREAD, "NULL object");
	return target_read_u64(p->t, obj + LAY(&p->layout, object_type), type, err);
}

int pyobj_type_name(struct pyproc *p, uint64_t type, char *buf, size_t len, struct hs_error *err)
{
	uint64_t name;

	if (target_read_u64(p->t, type + LAY(&p->layout, type_name), &name, err))
		return -1;
	return target_read_cstr(p->t, name, buf, len, err) < 0 ? -1 : 0;
}

/* Append code point c as UTF-8 if it fits; returns bytes written or 0. */
static size_t put_utf8(char *out, size_t room, uint32_t c)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		if (room < 1)
			return 0;
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		if (room < 2)
			return 0;
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		if (room < 3)
			return 0;
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (room < 4)
		return 0;
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int pyobj_str(struct pyproc *p, uint64_t obj, char *buf, size_t len, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	uint32_t state;
	struct str_state st;
	uint64_t length, data, n, i;
	unsigned kind;
	unsigned char *raw;
	size_t w = 0, k;

	if (!len)
		return hs_error_set(err, HS_EINTERNAL, "no room for a string");
	buf[0] = '\0';
	if (!obj)
		return hs_error_set(err, HS_EREAD, "NULL str object");
	if (target_read_u64(p->t, obj + LAY(l, ascii_length), &length, err) ||
	    target_read_u32(p->t, obj + LAY(l, ascii_state), &state, err))
		return -1;
	pyobj_str_state(p, state, &st);
	kind = st.kind;
	/* a negative length reads as huge; ASCII is always one byte a
	 * character; kind 0 is a 3.8-3.11 legacy string not yet made ready,
	 * with only a wchar_t copy, which we do not decode */
	if (length > PYOBJ_MAX_LEN || (kind != 1 && kind != 2 && kind != 4) ||
	    (st.ascii && kind != 1))
		return hs_error_set(err, HS_EREAD, "malformed str object at 0x%llx",
				    (unsigned long long)obj);
	if (st.compact) {
		int64_t off = st.ascii ? LAY(l, ascii_size) : LAY(l, compact_size);

		if (off <= 0)
			return hs_error_set(err, HS_ELAYOUT, "the layout has no str sizes");
		data = obj + (uint64_t)off;
	} else if (!LAY_HAS(l, unicode_data)) {
		return hs_error_set(err, HS_ELAYOUT, "the layout has no str data pointer");
	} else if (target_read_u64(p->t, obj + LAY(l, unicode_data), &data, err)) {
		return -1;
	}
	/* only what can fit the output: at most len-1 code points */
	n = length < len - 1 ? length : len - 1;
	if (!n)
		return 0;
	raw = malloc(n * kind);
	if (!raw)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (target_read(p->t, data, raw, n * kind, err)) {
		free(raw);
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint32_t c;

		if (kind == 1) {
			c = raw[i];
		} else if (kind == 2) {
			uint16_t v;

			memcpy(&v, raw + 2 * i, 2);
			c = v;
		} else {
			memcpy(&c, raw + 4 * i, 4);
		}
		k = put_utf8(buf + w, len - 1 - w, c);
		if (!k)
			break;
		w += k;
	}
	buf[w] = '\0';
	free(raw);
	return (int)w;
}

int pyobj_bytes(struct pyproc *p, uint64_t obj, unsigned char **data, size_t *n, size_t max,
		struct hs_error *err)
{
	const struct layout *l = &p->layout;
	int64_t size;

	*data = NULL;
	*n = 0;
	if (!obj)
		return hs_error_set(err, HS_EREAD, "NULL bytes object");
	if (target_read(p->t, obj + LAY(l, varobject_ob_size), &size, sizeof(size), err))
		return -1;
	if (size < 0 || (uint64_t)size > max || (uint64_t)size > PYOBJ_MAX_LEN)
		return hs_error_set(err, HS_EREAD, "bytes object at 0x%llx has a bad size %lld",
				    (unsigned long long)obj, (long long)size);
	*data = malloc(size ? (size_t)size : 1);
	if (!*data)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (size && target_read(p->t, obj + LAY(l, bytes_sval), *data, (size_t)size, err)) {
		free(*data);
		*data = NULL;
		return -1;
	}
	*n = (size_t)size;
	return 0;
}

int pyobj_long(struct pyproc *p, uint64_t obj, uint64_t *v, int *neg, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	uint32_t d[3] = { 0 };
	int64_t size;
	uint64_t n, x = 0;
	int i;

	if (LAY_HAS(l, long_lv_tag)) {
		uint64_t tag;

		/* 3.12+: digit count above 3 flag bits; sign 0 +, 1 zero, 2 - */
		if (target_read_u64(p->t, obj + LAY(l, long_lv_tag), &tag, err))
			return -1;
		n = tag >> 3;
		*neg = (tag & 3) == 2;
	} else {
		if (target_read(p->t, obj + LAY(l, varobject_ob_size), &size, 8, err))
			return -1;
		*neg = size < 0;
		n = size < 0 ? (uint64_t)-size : (uint64_t)size;
	}
	/* 30-bit digits: three hold any 64-bit value we need */
	if (n > 3)
		return hs_error_set(err, HS_EREAD, "int at 0x%llx does not fit 64 bits",
				    (unsigned long long)obj);
	if (n && target_read(p->t, obj + LAY(l, long_digit), d, 4 * n, err))
		return -1;
	/* three digits are 90 bits: the top one may add 4 to the 60 below */
	if (n == 3 && (d[2] & 0x3fffffff) >= 16)
		return hs_error_set(err, HS_EREAD, "int at 0x%llx does not fit 64 bits",
				    (unsigned long long)obj);
	for (i = (int)n - 1; i >= 0; i--)
		x = (x << 30) | (d[i] & 0x3fffffff);
	*v = x;
	return 0;
}

#define TPFLAGS_UNICODE_SUBCLASS (1ul << 28)

int pyobj_str_equals(struct pyproc *p, uint64_t obj, const char *s)
{
	char buf[256];
	size_t n = strlen(s);
	uint64_t type, flags;

	if (n + 2 > sizeof(buf) || pyobj_type(p, obj, &type, NULL) ||
	    target_read_u64(p->t, type + LAY(&p->layout, type_flags), &flags, NULL) ||
	    !(flags & TPFLAGS_UNICODE_SUBCLASS))
		return 0;
	/* room for one more character than s: a longer str differs */
	if (pyobj_str(p, obj, buf, n + 2, NULL) < 0)
		return 0;
	return !strcmp(buf, s);
}

/* Python's repr of a float: the shortest digits that read back, fixed
 * notation for exponents -4..15. */
int pyobj_float_repr(double v, char *buf, size_t len)
{
	char tmp[40], digits[24];
	int prec, exp, nd = 0, i, o = 0;
	const char *p;

	if (isnan(v))
		return snprintf(buf, len, "nan");
	if (isinf(v))
		return snprintf(buf, len, v < 0 ? "-inf" : "inf");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	p = tmp;
	if (*p == '-') {
		o += snprintf(buf + o, len - (size_t)o, "-");
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < 20)
			digits[nd++] = *p;
	exp = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (exp < -4 || exp >= 16) {
		o += snprintf(buf + o, len - (size_t)o, "%c", digits[0]);
		if (nd > 1)
			o += snprintf(buf + o, len - (size_t)o, ".%s", digits + 1);
		return o + snprintf(buf + o, len - (size_t)o, "e%c%02d", exp < 0 ? '-' : '+',
				    exp < 0 ? -exp : exp);
	}
	if (exp < 0) {
		o += snprintf(buf + o, len - (size_t)o, "0.");
		for (i = 0; i < -exp - 1; i++)
			o += snprintf(buf + o, len - (size_t)o, "0");
		return o + snprintf(buf + o, len - (size_t)o, "%s", digits);
	}
	for (i = 0; i <= exp; i++)
		o += snprintf(buf + o, len - (size_t)o, "%c", i < nd ? digits[i] : '0');
	o += snprintf(buf + o, len - (size_t)o, ".");
	if (nd > exp + 1)
		return o + snprintf(buf + o, len - (size_t)o, "%s", digits + exp + 1);
	return o + snprintf(buf + o, len - (size_t)o, "0");
}

/* ---- short reprs ---- */

#define REPR_TEXT 160 /* bytes of a str or bytes value shown */

/* Append c to buf at *o (keeping room for the end). */
static void put(char *buf, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > len)
		n = *o + 1 < len ? len - *o - 1 : 0;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

/* s[0, n) quoted and escaped as repr() does a str (bytes: as bytes,
 * where every byte past ASCII is escaped too), "..." after the quote
 * when cut. */
static void quote(const char *s, size_t n, int bytes, int cut, char *buf, size_t len)
{
	char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
	char esc[8];
	size_t o = 0, i;

	buf[0] = '\0';
	if (bytes)
		put(buf, len, &o, "b", 1);
	put(buf, len, &o, &q, 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == (unsigned char)q)
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else if (!bytes && c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			 (unsigned char)s[i + 1] <= 0x9f)
			/* U+0080-U+009F, C1 controls: escaped */
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[++i]);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		put(buf, len, &o, esc, strlen(esc));
	}
	put(buf, len, &o, &q, 1);
	if (cut)
		put(buf, len, &o, "...", 3);
}

int pyobj_repr(struct pyproc *p, uint64_t obj, char *buf, size_t len)
{
	const struct layout *l = &p->layout;
	char tn[64], text[REPR_TEXT + 8];
	uint64_t type, v;
	int64_t size;
	int neg, n;
	double f;

	if (!len)
		return -1;
	buf[0] = '\0';
	if (!obj || pyobj_type(p, obj, &type, NULL) ||
	    pyobj_type_name(p, type, tn, sizeof(tn), NULL))
		return -1;
	if (!strcmp(tn, "NoneType"))
		return snprintf(buf, len, "None");
	if (!strcmp(tn, "bool") && !pyobj_long(p, obj, &v, &neg, NULL))
		return snprintf(buf, len, v ? "True" : "False");
	if (!strcmp(tn, "int") && !pyobj_long(p, obj, &v, &neg, NULL))
		return snprintf(buf, len, "%s%llu", neg ? "-" : "", (unsigned long long)v);
	if (!strcmp(tn, "float") && !target_read(p->t, obj + LAY(l, float_fval), &f, 8, NULL))
		return pyobj_float_repr(f, buf, len);
	if (!strcmp(tn, "str") && (n = pyobj_str(p, obj, text, REPR_TEXT + 1, NULL)) >= 0) {
		uint64_t chars = 0, total = 0;
		int i;

		for (i = 0; i < n; i++)
			chars += ((unsigned char)text[i] & 0xc0) != 0x80;
		target_read_u64(p->t, obj + LAY(l, ascii_length), &total, NULL);
		quote(text, (size_t)n, 0, chars < total, buf, len);
		return (int)strlen(buf);
	}
	if (!strcmp(tn, "bytes") &&
	    !target_read(p->t, obj + LAY(l, varobject_ob_size), &size, 8, NULL) && size >= 0) {
		size_t take = size > REPR_TEXT ? REPR_TEXT : (size_t)size;

		if (!target_read(p->t, obj + LAY(l, bytes_sval), text, take, NULL)) {
			quote(text, take, 1, (size_t)size > take, buf, len);
			return (int)strlen(buf);
		}
	}
	if ((!strcmp(tn, "list") || !strcmp(tn, "tuple")) &&
	    !target_read(p->t, obj + LAY(l, varobject_ob_size), &size, 8, NULL))
		return snprintf(buf, len, "%s of %lld", tn, (long long)size);
	if (!strcmp(tn, "dict") && !target_read(p->t, obj + LAY(l, dict_used), &size, 8, NULL))
		return snprintf(buf, len, "{%lld items}", (long long)size);
	if ((!strcmp(tn, "set") || !strcmp(tn, "frozenset")) &&
	    !target_read(p->t, obj + LAY(l, set_used), &size, 8, NULL))
		return snprintf(buf, len, "%s of %lld", tn, (long long)size);
	return snprintf(buf, len, "<%s at 0x%llx>", tn, (unsigned long long)obj);
}
