/*
 * print.c - what several commands print alike: an object in brief, its
 * value and flags as JSON, a path from a root, a time, wrapped text.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "heap/heap.h"
#include "json.h"

const char *const cmd_flag_names[8] = {
	"gc",	   "immortal",	      "root",	"held-from-outside", "size-estimated",
	"scanned", "value-truncated", "broken",
};

void cmd_json_value(struct json *j, const struct heap *h, uint32_t i)
{
	size_t len;
	const char *v;

	if (h->obj[i].value == HEAP_NONE) {
		json_null(j);
		return;
	}
	v = heap_str(h, h->obj[i].value, &len);
	if (!strcmp(heap_type_name(h, i), "bytes"))
		json_bytes(j, v, len);
	else
		json_strn(j, v, len);
}

void cmd_json_flags(struct json *j, const struct heap *h, uint32_t i)
{
	int b;

	json_key(j, "flags");
	json_begin_arr(j);
	for (b = 0; b < 8; b++)
		if (h->flags[i] & (1u << b))
			json_str(j, cmd_flag_names[b]);
	json_end_arr(j);
}

void cmd_json_obj_brief(struct json *j, const struct heap *h, uint32_t i)
{
	char sum[256];

	heap_summary(h, i, sum, sizeof(sum));
	json_key(j, "address");
	json_hex(j, h->obj[i].addr);
	json_key(j, "type");
	json_str(j, heap_type_name(h, i));
	json_key(j, "size");
	json_uint(j, heap_size(h, i));
	json_key(j, "summary");
	json_str(j, sum);
}

void cmd_json_path_fields(struct json *j, const struct heap *h, const uint32_t *path,
			  const uint32_t *edges, size_t n, uint32_t root)
{
	char name[300];
	size_t k;

	json_key(j, "root");
	json_begin_obj(j);
	json_key(j, "kind");
	json_str(j, heap_root_kind_name(h->roots[root].kind));
	json_key(j, "label");
	json_str(j, heap_str(h, h->roots[root].label, NULL));
	heap_edge_text(h, h->roots[root].name, name, sizeof(name));
	json_key(j, "edge");
	json_str(j, h->roots[root].name ? name : "");
	json_end_obj(j);
	json_key(j, "steps");
	json_begin_arr(j);
	for (k = 0; k < n; k++) {
		json_begin_obj(j);
		json_key(j, "edge");
		if (k) {
			heap_edge_text(h, h->edge_name[edges[k - 1]], name, sizeof(name));
			json_str(j, name);
		} else {
			json_str(j, "");
		}
		cmd_json_obj_brief(j, h, path[k]);
		json_end_obj(j);
	}
	json_end_arr(j);
}

void cmd_print_path(const struct heap *h, const char *indent, const uint32_t *path,
		    const uint32_t *edges, size_t n, uint32_t root)
{
	char name[300], sum[256];
	size_t k;

	heap_edge_text(h, h->roots[root].name, name, sizeof(name));
	printf("%sroot: %s%s%s\n", indent, heap_str(h, h->roots[root].label, NULL),
	       h->roots[root].name ? " " : "", h->roots[root].name ? name : "");
	for (k = 0; k < n; k++) {
		heap_summary(h, path[k], sum, sizeof(sum));
		if (k)
			heap_edge_text(h, h->edge_name[edges[k - 1]], name, sizeof(name));
		printf("%s%s%-20s 0x%-14llx %-16s %s\n", indent, k ? "  -> " : "     ",
		       k ? name : "", (unsigned long long)h->obj[path[k]].addr,
		       heap_type_name(h, path[k]), sum);
	}
}

void cmd_time_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

/* Print text wrapped at 78 columns, the first line already col wide. */
void cmd_print_wrapped(FILE *f, const char *text, size_t col)
{
	const char *p = text;

	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t w = sp ? (size_t)(sp - p) : strlen(p);

		if (col && col + 1 + w > 78) {
			fputc('\n', f);
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}
