/*
 * show.c - heapscope show: one object with its value, retained size and
 * dominator, referents and referrers.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "heap/heap.h"
#include "json.h"

static const char usage[] =
	"usage: heapscope show [-n N] [--json] PID|FILE ADDRESS\n"
	"\n"
	"One object: type, size, refcount, value, why it is a root if it is one,\n"
	"its retained size (what would be freed with it) and its immediate\n"
	"dominator (the nearest object every chain from a root to it goes\n"
	"through; \"root\" when no single object keeps it alive),\n"
	"the objects it refers to and those that refer to it, each with the name\n"
	"of the reference ('.attr', \"['key']\", '[3]', '__dict__').\n"
	"\n"
	"  -n N               show at most N referents and N referrers (default 50)\n" SOURCE_HELP;

/* One edge as {edge, kind, and the object at its other end}. */
static void json_edge(struct json *j, const struct heap *h, uint32_t edge, uint32_t other)
{
	char name[300];

	json_begin_obj(j);
	heap_edge_text(h, h->edge_name[edge], name, sizeof(name));
	json_key(j, "edge");
	json_str(j, name);
	json_key(j, "kind");
	json_str(j, heap_edge_kind_name(h->edge_name[edge]));
	cmd_json_obj_brief(j, h, other);
	json_end_obj(j);
}

/* "retained", "reachable" and "dominator": {object}, "root" (the
 * super-root: no single object keeps it alive) or null (unreachable). */
static void json_dominator(struct json *j, const struct heap *h, uint32_t i)
{
	json_key(j, "retained");
	json_uint(j, h->retained[i]);
	json_key(j, "reachable");
	json_bool(j, heap_reachable(h, i));
	json_key(j, "dominator");
	if (!heap_reachable(h, i)) {
		json_null(j);
	} else if (h->idom[i] == HEAP_NONE || h->idom[i] >= h->nobj) {
		json_str(j, "root");
	} else {
		json_begin_obj(j);
		cmd_json_obj_brief(j, h, h->idom[i]);
		json_end_obj(j);
	}
}

static void show_json(const struct heap *h, uint32_t i, size_t limit)
{
	struct json j;
	char name[300];
	uint32_t e, k;

	json_init(&j, stdout);
	json_begin_obj(&j);
	cmd_json_obj_brief(&j, h, i);
	json_key(&j, "refcount");
	json_uint(&j, h->obj[i].refcnt);
	json_key(&j, "value");
	cmd_json_value(&j, h, i);
	cmd_json_flags(&j, h, i);
	json_dominator(&j, h, i);
	json_key(&j, "roots");
	json_begin_arr(&j);
	for (k = 0; k < h->nroot; k++) {
		if (h->roots[k].obj != i)
			continue;
		json_begin_obj(&j);
		json_key(&j, "kind");
		json_str(&j, heap_root_kind_name(h->roots[k].kind));
		json_key(&j, "label");
		json_str(&j, heap_str(h, h->roots[k].label, NULL));
		heap_edge_text(h, h->roots[k].name, name, sizeof(name));
		json_key(&j, "edge");
		json_str(&j, h->roots[k].name ? name : "");
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_key(&j, "referents_total");
	json_uint(&j, h->edge_start[i + 1] - h->edge_start[i]);
	json_key(&j, "referents");
	json_begin_arr(&j);
	for (e = h->edge_start[i]; e < h->edge_start[i + 1] && e - h->edge_start[i] < limit; e++)
		json_edge(&j, h, e, h->edge_dst[e]);
	json_end_arr(&j);
	json_key(&j, "referrers_total");
	json_uint(&j, h->rev_start[i + 1] - h->rev_start[i]);
	json_key(&j, "referrers");
	json_begin_arr(&j);
	for (e = h->rev_start[i]; e < h->rev_start[i + 1] && e - h->rev_start[i] < limit; e++)
		json_edge(&j, h, h->rev_edge[e], h->rev_src[e]);
	json_end_arr(&j);
	json_end_obj(&j);
	json_end(&j);
}

static void show_dominator(const struct heap *h, uint32_t i)
{
	uint64_t total = heap_total_size(h);
	uint32_t d = h->idom[i];
	char sum[256], sz[32];

	if (!heap_reachable(h, i)) {
		printf("  retained: 0 bytes (not reachable from any root: garbage the next "
		       "collection may free)\n");
		return;
	}
	sz[0] = '\0';
	if (h->retained[i] >= 10240) {
		heap_size_text(h->retained[i], sz, sizeof(sz) - 2);
		strcat(sz, ", ");
	}
	printf("  retained: %llu bytes (%s%.1f%% of the heap)\n",
	       (unsigned long long)h->retained[i], sz,
	       total ? 100.0 * h->retained[i] / total : 0.0);
	if (d == HEAP_NONE || d >= h->nobj) {
		printf("  dominator: root (no single object keeps it alive)\n");
		return;
	}
	heap_summary(h, d, sum, 120);
	printf("  dominator: 0x%llx  %s  %s\n", (unsigned long long)h->obj[d].addr,
	       heap_type_name(h, d), sum);
}

static void show_text(const struct heap *h, uint32_t i, size_t limit)
{
	char sum[512], name[300];
	uint32_t e, k, n;
	int b;

	heap_summary(h, i, sum, sizeof(sum));
	printf("0x%llx  %s  %llu bytes%s  refcount %u\n", (unsigned long long)h->obj[i].addr,
	       heap_type_name(h, i), (unsigned long long)heap_size(h, i),
	       h->flags[i] & HO_SIZE_EST ? " (an estimate)" : "", h->obj[i].refcnt);
	printf("  %s\n", sum);
	printf("  flags:");
	for (b = 0; b < 8; b++)
		if (h->flags[i] & (1u << b))
			printf(" %s", cmd_flag_names[b]);
	putchar('\n');
	show_dominator(h, i);
	for (k = 0; k < h->nroot; k++)
		if (h->roots[k].obj == i) {
			heap_edge_text(h, h->roots[k].name, name, sizeof(name));
			printf("  root: %s%s%s\n", heap_str(h, h->roots[k].label, NULL),
			       h->roots[k].name ? " " : "", h->roots[k].name ? name : "");
		}
	n = h->edge_start[i + 1] - h->edge_start[i];
	printf("referents (%u):\n", n);
	for (e = h->edge_start[i]; e < h->edge_start[i + 1] && e - h->edge_start[i] < limit; e++) {
		heap_edge_text(h, h->edge_name[e], name, sizeof(name));
		heap_summary(h, h->edge_dst[e], sum, 120);
		printf("  %-24s 0x%-14llx %-16s %s%s\n", name,
		       (unsigned long long)h->obj[h->edge_dst[e]].addr,
		       heap_type_name(h, h->edge_dst[e]), sum,
		       HEAP_EDGE_KIND(h->edge_name[e]) == HE_WEAK ? " (weak)" : "");
	}
	if (n > limit)
		printf("  ... %u more\n", n - (uint32_t)limit);
	n = h->rev_start[i + 1] - h->rev_start[i];
	printf("referrers (%u):\n", n);
	for (e = h->rev_start[i]; e < h->rev_start[i + 1] && e - h->rev_start[i] < limit; e++) {
		uint32_t s = h->rev_src[e];

		heap_edge_text(h, h->edge_name[h->rev_edge[e]], name, sizeof(name));
		heap_summary(h, s, sum, 120);
		printf("  0x%-14llx %-16s %-24s %s\n", (unsigned long long)h->obj[s].addr,
		       heap_type_name(h, s), name, sum);
	}
	if (n > limit)
		printf("  ... %u more\n", n - (uint32_t)limit);
}

static int show_main(const struct command *c, int argc, char **argv)
{
	struct cmd_opts o;
	struct heap h;
	uint32_t i;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if ((st = source_open(&o, &h)))
		return st;
	/* referrers and the dominator: the reverse edges and the dominator
	 * tree too */
	i = cmd_object_arg(c, &h, o.addr, HEAP_NEED_REVERSE | HEAP_NEED_DOMINATORS, &st);
	if (i != HEAP_NONE) {
		if (o.json)
			show_json(&h, i, o.limit >= 0 ? (size_t)o.limit : 50);
		else
			show_text(&h, i, o.limit >= 0 ? (size_t)o.limit : 50);
	}
	heap_release(&h);
	return i == HEAP_NONE ? st : 0;
}

const struct command command_show = {
	.name = "show",
	.run = show_main,
	.opts = OPT_SOURCE | OPT_ADDR | OPT_CAPTURE | OPT_QUERY,
	.summary = "one object: value, referents and referrers",
	.usage = usage,
};
