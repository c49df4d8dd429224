/*
 * json.c - the streaming JSON writer (json.h).
 *
 * Each FILE has one writer: stdio's unlocked calls, since with a helper
 * thread about (the syncer, the populator) every locked one takes a
 * lock, and the meliae export spent three fifths of its time in them.
 */
#include "config.h"
#include <math.h>
#include <string.h>
#include "base/decimal.h"
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void json_init_spaced(struct json *j, FILE *f)
{
	json_init(j, f);
	j->spaced = 1;
}

static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth]++)
		fputs_unlocked(j->spaced ? ", " : ",", j->f);
}

static void open_level(struct json *j, int c)
{
	sep(j);
	fputc_unlocked(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->count[j->depth] = 0;
}

static void close_level(struct json *j, int c)
{
	if (j->depth > 0)
		j->depth--;
	fputc_unlocked(c, j->f);
}

void json_begin_obj(struct json *j)
{
	open_level(j, '{');
}
void json_end_obj(struct json *j)
{
	close_level(j, '}');
}
void json_begin_arr(struct json *j)
{
	open_level(j, '[');
}
void json_end_arr(struct json *j)
{
	close_level(j, ']');
}

/* Length of the valid UTF-8 sequence at s, or 0 if invalid. */
static int utf8_len(const unsigned char *s, size_t avail)
{
	int n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string of len bytes of UTF-8 (invalid sequences become U+FFFD),
 * or with bytes set, of len raw bytes each as the code point of its value. */
static void put_stringn(FILE *f, const char *str, size_t len, int bytes)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	int n;

	/* exports write millions of these: plain text in one piece, and no
	 * lock taken per character (a stream is written by one thread) */
	fputc_unlocked('"', f);
	while (s < end) {
		const unsigned char *plain = s;

		while (s < end && *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			s++;
		if (s > plain)
			fwrite_unlocked(plain, 1, (size_t)(s - plain), f);
		if (s == end)
			break;
		if (*s == '"' || *s == '\\') {
			fputc_unlocked('\\', f);
			fputc_unlocked(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f || (bytes && *s >= 0x80)) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s, (size_t)(end - s))) > 0) {
			fwrite_unlocked(s, 1, (size_t)n, f);
			s += n;
		} else {
			fputs_unlocked("\\ufffd", f);
			s++;
		}
	}
	fputc_unlocked('"', f);
}

static void put_string(FILE *f, const char *str)
{
	put_stringn(f, str, strlen(str), 0);
}

void json_put_strn(FILE *f, const char *s, size_t len)
{
	put_stringn(f, s, len, 0);
}

void json_strn(struct json *j, const char *s, size_t len)
{
	sep(j);
	put_stringn(j->f, s, len, 0);
}

void json_bytes(struct json *j, const char *s, size_t len)
{
	sep(j);
	put_stringn(j->f, s, len, 1);
}

void json_key(struct json *j, const char *k)
{
	sep(j);
	put_string(j->f, k);
	fputs_unlocked(j->spaced ? ": " : ":", j->f);
	j->after_key = 1;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	put_string(j->f, s ? s : "");
}

void json_int(struct json *j, long long v)
{
	char buf[DEC_U64_MAX + 1], *p = buf;

	sep(j);
	if (v < 0)
		*p++ = '-';
	p = dec_u64(p, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
	fwrite_unlocked(buf, 1, (size_t)(p - buf), j->f);
}

void json_uint(struct json *j, unsigned long long v)
{
	char buf[DEC_U64_MAX];

	/* not fprintf: exports write millions of these */
	sep(j);
	fwrite_unlocked(buf, 1, (size_t)(dec_u64(buf, v) - buf), j->f);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	fputs_unlocked(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	sep(j);
	fputs_unlocked("null", j->f);
}

void json_hex(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void json_end(struct json *j)
{
	fputc_unlocked('\n', j->f);
	fflush(j->f);
}

void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	sep(j);
	fprintf(j->f, "%.6g", v);
}

void json_number_text(struct json *j, const char *s, size_t len)
{
	sep(j);
	fwrite_unlocked(s, 1, len, j->f);
}
