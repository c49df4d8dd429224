/*
 * json.h - a small streaming JSON writer for --json output.
 *
 * Commas and nesting are tracked by the writer; strings from the target
 * are escaped and invalid UTF-8 is replaced by U+FFFD, so the output is
 * always valid JSON whatever the target's memory holds.  One thread
 * writes a FILE through it at a time (stdio's unlocked calls).
 */
#ifndef HS_JSON_H
#define HS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	int count[JSON_MAX_DEPTH]; /* items written at each level */
	int after_key;
	int spaced; /* ", " and ": " between items, as Python writes */
};

void json_init(struct json *j, FILE *f);
/* The same, writing ", " and ": " (the layout meliae's loader matches). */
void json_init_spaced(struct json *j, FILE *f);
void json_begin_obj(struct json *j);
void json_end_obj(struct json *j);
void json_begin_arr(struct json *j);
void json_end_arr(struct json *j);
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
/* len bytes of UTF-8 (may hold NULs) */
void json_strn(struct json *j, const char *s, size_t len);
/* len raw bytes, each as \u00XX above 0x7f (decode with latin-1) */
void json_bytes(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
/* A number already written as decimal text (digits, an optional '-'). */
void json_number_text(struct json *j, const char *s, size_t len);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* A number with up to 6 significant digits; null if not finite. */
void json_double(struct json *j, double v);
/* "0x..." string */
void json_hex(struct json *j, uint64_t v);
/* A JSON string of len bytes straight to f, escaped as json_strn does,
 * for writers that handle their own commas (large exports). */
void json_put_strn(FILE *f, const char *s, size_t len);
/* Finish: newline and flush. */
void json_end(struct json *j);

#endif
