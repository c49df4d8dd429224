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
 * referents).  Lines are formatted in pieces on every core and written
 * in order (pieces.h).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"
#include "json.h"
#include "pieces.h"

#define MELIAE_PIECE 8192 /* objects a piece: lines of about 110 bytes */
#define MELIAE_REFS 65536 /* references a piece, about 17 bytes each */

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

/* The lines of pc's objects to f. */
static int lines(const struct heap *h, const struct piece *pc, FILE *f)
{
	struct json j;
	size_t i;

	for (i = pc->from; i < pc->to; i++) {
		json_init_spaced(&j, f);
		meliae_line(h, (uint32_t)i, &j);
	}
	return 0;
}

static int format_lines(void *ctx, const struct piece *pc, struct outbuf *out)
{
	FILE *f = outbuf_open(out);

	if (!f)
		return -1;
	lines(((struct export *)ctx)->h, pc, f);
	return fclose(f) ? -1 : 0;
}

static int stream_lines(void *ctx, const struct piece *pc, FILE *f)
{
	return lines(((struct export *)ctx)->h, pc, f);
}

static void lines_written(void *ctx, const struct piece *pc, size_t k, size_t n)
{
	(void)pc;
	export_progress(ctx, "objects", k, n);
}

/* Pieces of at most MELIAE_PIECE objects and about MELIAE_REFS
 * references; an object with more has a piece of its own, streamed.
 * With p NULL, only counted.  Returns how many. */
static size_t cut_lines(const struct heap *h, struct piece *p)
{
	size_t n = 0, i, from = 0, refs = 0;

	for (i = 0; i < h->nobj; i++) {
		size_t r = h->edge_start[i + 1] - h->edge_start[i];

		if (i > from && (i - from >= MELIAE_PIECE || refs + r > MELIAE_REFS)) {
			if (p)
				p[n] = (struct piece){ .from = from, .to = i };
			n++;
			from = i;
			refs = 0;
		}
		if (r > MELIAE_REFS) {
			if (p)
				p[n] = (struct piece){ .from = i, .to = i + 1, .direct = 1 };
			n++;
			from = i + 1;
			continue;
		}
		refs += r;
	}
	if (from < h->nobj) {
		if (p)
			p[n] = (struct piece){ .from = from, .to = h->nobj };
		n++;
	}
	return n;
}

int export_meliae(struct export *x)
{
	const struct heap *h = x->h;
	size_t n = cut_lines(h, NULL);
	struct piece *p = calloc(n + 1, sizeof(*p));
	struct pieces job = { .f = x->f,
			      .p = p,
			      .ctx = x,
			      .format = format_lines,
			      .stream = stream_lines,
			      .written = lines_written };

	if (p) {
		job.n = cut_lines(h, p); /* n again */
		if (!pieces_write(&job)) {
			free(p);
			return 0;
		}
		free(p);
	}
	export_progress_end(x);
	fputs("heapscope: out of memory for the meliae export\n", stderr);
	return hs_exit_status(HS_ENOMEM);
}
