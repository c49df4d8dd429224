/*
 * cmd_export.c - a heap graph in other tools' formats.
 *
 * meliae: one JSON object per line per object, with the fields meliae's
 * loader reads: address, type, size, value (scalars), len (items of a
 * container - a dict's values -, characters of a str or bytes of a bytes
 * object whose value was kept whole, else the number of references), name
 * (types, functions, modules) and refs (addresses of referents).
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "heap.h"
#include "json.h"

const char cmd_usage_export[] =
	"usage: heapscope export --format meliae [--no-stop] PID|FILE\n"
	"\n"
	"Write the heap graph to stdout in another tool's format:\n"
	"  meliae    JSON lines as meliae's dump_all_objects writes them:\n"
	"            address, type, size, value, len, name, refs\n"
	"PID captures the running process now; FILE reads a snapshot.\n"
	"\n"
	"  --format=FORMAT    the format (meliae)\n"
	"  --no-stop          (PID) walk without freezing the target: it keeps\n"
	"                     running, the result may be inconsistent\n"
	"  --max-copy=SIZE    (PID) copy at most SIZE bytes of the target's memory\n"
	"                     (default half of the available RAM); past it, walk the\n"
	"                     target frozen\n"
	"  --layout=SOURCE    auto, debug-offsets, dwarf or table\n"
	"  --debug-dir=DIR    directory of separate debug files\n"
	"  --no-cache         do not use the layout cache\n";

/* The str value of i's edge named field, or NULL. */
static const char *named(const struct heap *h, uint32_t i, const char *field, size_t *len)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e], d = h->edge_dst[e];

		if (HEAP_NAME_KIND(n) == HN_FIELD && HEAP_PAYLOAD(n) < h->nname &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), field) &&
		    h->obj[d].value != HEAP_NONE)
			return heap_str(h, h->obj[d].value, len);
	}
	return NULL;
}

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
	if (h->obj[i].value != HEAP_NONE) {
		v = heap_str(h, h->obj[i].value, &len);
		json_key(j, "value");
		if (!strcmp(tn, "bytes"))
			json_bytes(j, v, len);
		else
			json_strn(j, v, len);
	}
	json_key(j, "len");
	json_uint(j, meliae_len(h, i, tn));
	t = heap_type_of_obj(h, i);
	if (t != HEAP_NONE) {
		json_key(j, "name");
		json_str(j, heap_str(h, h->types[t].name, NULL));
	} else if ((v = named(h, i, "__name__", &len)) || (v = named(h, i, "co_name", &len))) {
		json_key(j, "name");
		json_strn(j, v, len);
	}
	json_key(j, "refs");
	json_begin_arr(j);
	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
		json_uint(j, h->obj[h->edge_dst[e]].addr);
	json_end_arr(j);
	json_end_obj(j);
	json_end(j);
}

int cmd_export(int argc, char **argv)
{
	const struct command *c = cmd_find("export");
	struct cmd_opts o;
	struct heap h;
	struct json j;
	uint32_t i;
	int st;

	if (cmd_parse(c, OPT_SOURCE | OPT_CAPTURE | OPT_FORMAT, argc, argv, &o, &st))
		return st;
	if (!o.format || strcmp(o.format, "meliae"))
		return cmd_usage_error(c, "export: unknown or missing --format (meliae)");
	if ((st = source_open(&o, &h)))
		return st;
	for (i = 0; i < h.nobj; i++) {
		json_init(&j, stdout);
		meliae_line(&h, i, &j);
	}
	fflush(stdout);
	heap_release(&h);
	return ferror(stdout) ? hs_exit_status(HS_EFILE) : 0;
}
