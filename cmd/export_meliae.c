/*
 * export_meliae.c - heapscope export --format meliae.
 *
 * meliae: one JSON object per line per object, laid out as meliae's own
 * dumper writes them - its loader matches lines with a regular expression
 * before it parses them: ", " and ": " between items, and the fields in
 * its order: address, type, size, name (types, functions, modules), len
 * (items of a container - a dict's values -, characters of a str or bytes
 * of a bytes object whose value was kept whole, else the number of
 * references), value (scalars; an int as a number) and refs (addresses of
 * referents).
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "export.h"
#include "heap/heap.h"
#include "json.h"

static uint64_t meliae_len(const struct heap *h, uint32_t i, const char *tn)
{
	uint64_t n = 0;
	size_t len, k;
	const char *v;
	uint32_t e;

	if (h->obj[i].value != HEAP_NONE && !(h->flags[i] & HO_TRUNC)) {
		v = heap_str(h, h->obj[i].value, &len);
		if (!strcmp(tn, "bytes"))
			return len;
		if (!strcmp(tn, "str")) {
			for (k = 0; k < len; k++)
				n += ((unsigned char)v[k] & 0xc0) != 0x80;
			return n;
		}
	}
	if (!strcmp(tn, "dict")) {
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
			n += HEAP_NAME_KIND(h->edge_name[e]) == HN_VALUE;
		return n;
	}
	return h->edge_start[i + 1] - h->edge_start[i];
}

/* An int's value as heapscope writes it: decimal digits, maybe a '-'. */
static int is_decimal(const char *s, size_t len)
{
	size_t k = len && s[0] == '-';

	if (k == len)
		return 0;
	for (; k < len; k++)
		if (s[k] < '0' || s[k] > '9')
			return 0;
	return 1;
}

static void meliae_line(const struct heap *h, uint32_t i, struct json *j)
{
	const char *tn = heap_type_name(h, i), *v;
	uint32_t e, t;
	size_t len;

	json_begin_obj(j);
	json_key(j, "address");
	json_uint(j, h->obj[i].addr);
	json_key(j, "type");
	json_str(j, tn);
	json_key(j, "size");
	json_uint(j, heap_size(h, i));
	t = heap_type_of_obj(h, i);
	if (t != HEAP_NONE) {
		json_key(j, "name");
		json_str(j, heap_str(h, h->types[t].name, NULL));
	} else if ((v = export_field_value(h, i, "__name__", &len)) ||
		   (v = export_field_value(h, i, "co_name", &len))) {
		json_key(j, "name");
		json_strn(j, v, len);
	}
	json_key(j, "len");
	json_uint(j, meliae_len(h, i, tn));
	if (h->obj[i].value != HEAP_NONE) {
		v = heap_str(h, h->obj[i].value, &len);
		json_key(j, "value");
		if (!strcmp(tn, "bytes"))
			json_bytes(j, v, len);
		else if (!strcmp(tn, "int") && is_decimal(v, len))
			json_number_text(j, v, len);
		else
			json_strn(j, v, len);
	}
	json_key(j, "refs");
	json_begin_arr(j);
	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
		json_uint(j, h->obj[h->edge_dst[e]].addr);
	json_end_arr(j);
	json_end_obj(j);
	fputc_unlocked('\n', j->f); /* no flush per line: the caller flushes */
}

int export_meliae(struct export *x)
{
	const struct heap *h = x->h;
	struct json j;
	uint32_t i;

	for (i = 0; i < h->nobj; i++) {
		json_init_spaced(&j, x->f);
		meliae_line(h, i, &j);
		if (!(i & 0xffff))
			export_progress(x, "objects", i, h->nobj);
	}
	return 0;
}
