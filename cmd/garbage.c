/*
 * garbage.c - heapscope garbage: the unreachable cycles the next collection
 * would free, and what gc.garbage holds.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "analysis/garbage.h"
#include "heap/heap.h"
#include "json.h"

#define GARBAGE_ROWS 20	   /* islands and cycles shown (-n) */
#define GARBAGE_TYPES 4	   /* types named per group in text */
#define GC_GARBAGE_ROWS 50 /* gc.garbage items shown in text */

#define SOURCE_HELP_GARBAGE \
	"\n" \
	"PID captures the running process now (it is frozen only while its memory\n" \
	"is copied); FILE reads a snapshot taken before.\n" \
	"\n" \
	"  --json             one JSON object on stdout: every object of each group\n" CAPTURE_OPTIONS_HELP

static const char usage[] =
	"usage: heapscope garbage [-n N] [--json] PID|FILE\n"
	"\n"
	"Objects no root leads to - held only by each other, in reference cycles:\n"
	"what the next full collection (gc.collect()) would free, found without\n"
	"running the collector.  Reported as islands (groups freed together:\n"
	"cycles and what hangs off them, untracked objects such as str and int\n"
	"included) and as cycles (objects that all reach each other), biggest\n"
	"first, with their types and sizes; groups holding objects with\n"
	"finalizers (__del__, unfinished generators) are marked.  Then the\n"
	"contents of gc.garbage, which the collector keeps alive.\n"
	"\n"
	"  -n N               show the N biggest islands and cycles (default 20)\n" SOURCE_HELP_GARBAGE;

static const char finalizer_note[] =
	"Objects with finalizers (__del__, or a generator or coroutine not run to its "
	"end) do not stop a collection on Python 3.4+ (PEP 442): the collector calls "
	"each finalizer once, then frees the cycle unless a finalizer made one of its "
	"objects reachable again (resurrection). Only objects of C types with a legacy "
	"tp_del end up in gc.garbage.";

/* Objects and bytes per type of one group, most objects first. */
struct type_count {
	uint32_t type;
	uint32_t count;
	uint64_t size;
};

static int cmp_tc(const void *a, const void *b)
{
	const struct type_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/*
 * Tally the types of members[0..n) into out (the distinct types, sorted;
 * returns how many).  slot[] (h->ntype entries, all HEAP_NONE) maps a
 * type to its row and is left all HEAP_NONE again.
 */
static size_t tally_types(const struct heap *h, const uint32_t *members, size_t n, uint32_t *slot,
			  struct type_count *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint32_t t = h->obj[members[i]].type;

		if (t >= h->ntype)
			continue;
		if (slot[t] == HEAP_NONE) {
			slot[t] = (uint32_t)k;
			out[k++] = (struct type_count){ .type = t };
		}
		out[slot[t]].count++;
		out[slot[t]].size += heap_size(h, members[i]);
	}
	for (i = 0; i < k; i++)
		slot[out[i].type] = HEAP_NONE;
	qsort(out, k, sizeof(*out), cmp_tc);
	return k;
}

static const char *type_name(const struct heap *h, uint32_t t)
{
	return heap_str(h, h->types[t].name, NULL);
}

static void json_group(struct json *j, const struct heap *h, const struct garbage_group *g,
		       const uint32_t *members, int island, uint32_t *slot, struct type_count *tc)
{
	size_t nt = tally_types(h, members + g->first, g->n, slot, tc), i;

	json_begin_obj(j);
	json_key(j, "objects");
	json_uint(j, g->n);
	json_key(j, "tracked");
	json_uint(j, g->ngc);
	json_key(j, "size");
	json_uint(j, g->size);
	json_key(j, "finalizers");
	json_uint(j, g->nfinal);
	if (island) {
		json_key(j, "cycles");
		json_uint(j, g->ncycles);
	}
	json_key(j, "types");
	json_begin_arr(j);
	for (i = 0; i < nt; i++) {
		json_begin_obj(j);
		json_key(j, "type");
		json_str(j, type_name(h, tc[i].type));
		json_key(j, "count");
		json_uint(j, tc[i].count);
		json_key(j, "size");
		json_uint(j, tc[i].size);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_key(j, "members");
	json_begin_arr(j);
	for (i = 0; i < g->n; i++) {
		uint32_t o = members[g->first + i];

		json_begin_obj(j);
		json_key(j, "address");
		json_hex(j, h->obj[o].addr);
		json_key(j, "type");
		json_str(j, heap_type_name(h, o));
		json_key(j, "size");
		json_uint(j, heap_size(h, o));
		json_key(j, "tracked");
		json_bool(j, (h->flags[o] & HO_GC) != 0);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_end_obj(j);
}

static void json_item(struct json *j, const struct heap *h, uint32_t o)
{
	json_begin_obj(j);
	cmd_json_obj_brief(j, h, o);
	json_end_obj(j);
}

/* The list of a gc.garbage root and its label. */
static const char *gc_list_label(const struct heap *h, uint32_t list)
{
	size_t i;

	for (i = 0; i < h->nroot; i++)
		if (h->roots[i].obj == list && h->roots[i].kind == HR_GC_GARBAGE)
			return heap_str(h, h->roots[i].label, NULL);
	return "gc.garbage";
}

static void garbage_json(const struct heap *h, const struct garbage *g, size_t rows, uint32_t *slot,
			 struct type_count *tc)
{
	struct json j;
	size_t k;
	uint32_t e;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_key(&j, "objects");
	json_uint(&j, g->nobj);
	json_key(&j, "tracked");
	json_uint(&j, g->ngc);
	json_key(&j, "size");
	json_uint(&j, g->size);
	json_key(&j, "finalizers");
	json_uint(&j, g->nfinal);
	json_key(&j, "islands_total");
	json_uint(&j, g->nislands);
	json_key(&j, "cycles_total");
	json_uint(&j, g->ncycles);
	json_key(&j, "islands");
	json_begin_arr(&j);
	for (k = 0; k < g->nislands && k < rows; k++)
		json_group(&j, h, &g->islands[k], g->island_members, 1, slot, tc);
	json_end_arr(&j);
	json_key(&j, "cycles");
	json_begin_arr(&j);
	for (k = 0; k < g->ncycles && k < rows; k++)
		json_group(&j, h, &g->cycles[k], g->cycle_members, 0, slot, tc);
	json_end_arr(&j);
	json_key(&j, "gc_garbage");
	json_begin_arr(&j);
	for (k = 0; k < g->ngc_lists; k++) {
		uint32_t l = g->gc_lists[k];

		json_begin_obj(&j);
		json_key(&j, "label");
		json_str(&j, gc_list_label(h, l));
		json_key(&j, "address");
		json_hex(&j, h->obj[l].addr);
		json_key(&j, "objects");
		json_begin_arr(&j);
		for (e = h->edge_start[l]; e < h->edge_start[l + 1]; e++)
			if (HEAP_NAME_KIND(h->edge_name[e]) == HN_INDEX && h->edge_dst[e] < h->nobj)
				json_item(&j, h, h->edge_dst[e]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_key(&j, "note");
	json_str(&j, finalizer_note);
	json_end_obj(&j);
	json_end(&j);
}

static void text_group(const struct heap *h, const struct garbage_group *g, const uint32_t *members,
		       int island, uint32_t *slot, struct type_count *tc)
{
	size_t nt = tally_types(h, members + g->first, g->n, slot, tc), i;
	char sz[32], types[512], sum[160];
	size_t off = 0;

	types[0] = '\0';
	for (i = 0; i < nt && i < GARBAGE_TYPES && off < sizeof(types); i++)
		off += (size_t)snprintf(types + off, sizeof(types) - off, "%s%u %s", i ? ", " : "",
					tc[i].count, type_name(h, tc[i].type));
	if (nt > GARBAGE_TYPES && off < sizeof(types))
		snprintf(types + off, sizeof(types) - off, ", ... (%zu types)", nt);
	heap_size_text(g->size, sz, sizeof(sz));
	if (island)
		printf("%9u %8u %10s %6u  %s%s\n", g->n, g->ngc, sz, g->ncycles, types,
		       g->nfinal ? "  [finalizers]" : "");
	else
		printf("%9u %8u %10s  %s%s\n", g->n, g->ngc, sz, types,
		       g->nfinal ? "  [finalizers]" : "");
	heap_summary(h, members[g->first], sum, sizeof(sum));
	printf("%9s e.g. 0x%llx %s %s\n", "", (unsigned long long)h->obj[members[g->first]].addr,
	       heap_type_name(h, members[g->first]), sum);
}

static void garbage_text(const struct heap *h, const struct garbage *g, size_t rows, uint32_t *slot,
			 struct type_count *tc)
{
	char sz[32], sum[200];
	size_t k, items;
	uint32_t e;

	heap_size_text(g->size, sz, sizeof(sz));
	printf("garbage: %zu objects (%llu tracked by the collector), %s, in %zu islands "
	       "with %zu cycles\n",
	       g->nobj, (unsigned long long)g->ngc, sz, g->nislands, g->ncycles);
	printf("(held only by each other: what the next full collection would free; found "
	       "without running it)\n");
	if (g->nislands) {
		printf("\nislands (freed together), biggest first:\n");
		printf("%9s %8s %10s %6s  %s\n", "objects", "tracked", "size", "cycles", "types");
		for (k = 0; k < g->nislands && k < rows; k++)
			text_group(h, &g->islands[k], g->island_members, 1, slot, tc);
		if (g->nislands > rows)
			printf("  ... %zu more islands (-n)\n", g->nislands - rows);
	}
	if (g->ncycles) {
		printf("\ncycles (objects that all reach each other), biggest first:\n");
		printf("%9s %8s %10s  %s\n", "objects", "tracked", "size", "types");
		for (k = 0; k < g->ncycles && k < rows; k++)
			text_group(h, &g->cycles[k], g->cycle_members, 0, slot, tc);
		if (g->ncycles > rows)
			printf("  ... %zu more cycles (-n)\n", g->ncycles - rows);
	}
	for (k = 0; k < g->ngc_lists; k++) {
		uint32_t l = g->gc_lists[k];

		items = 0;
		for (e = h->edge_start[l]; e < h->edge_start[l + 1]; e++)
			items += HEAP_NAME_KIND(h->edge_name[e]) == HN_INDEX;
		printf("\n%s: %zu objects (0x%llx)%s\n", gc_list_label(h, l), items,
		       (unsigned long long)h->obj[l].addr,
		       items ? ", kept alive by the collector (uncollectable, saved by "
			       "gc.DEBUG_SAVEALL, or put there by the program)"
			     : "");
		for (e = h->edge_start[l], items = 0; e < h->edge_start[l + 1]; e++) {
			uint32_t d = h->edge_dst[e];

			if (HEAP_NAME_KIND(h->edge_name[e]) != HN_INDEX || d >= h->nobj)
				continue;
			if (items++ >= GC_GARBAGE_ROWS)
				continue;
			heap_summary(h, d, sum, sizeof(sum));
			printf("  0x%-14llx %8llu  %-20s %s\n", (unsigned long long)h->obj[d].addr,
			       (unsigned long long)heap_size(h, d), heap_type_name(h, d), sum);
		}
		if (items > GC_GARBAGE_ROWS)
			printf("  ... %zu more\n", items - GC_GARBAGE_ROWS);
	}
	if (g->nfinal) {
		int w;

		putchar('\n');
		w = printf("%llu of these objects %s finalizers.", (unsigned long long)g->nfinal,
			   g->nfinal == 1 ? "has" : "have");
		cmd_print_wrapped(stdout, finalizer_note, w > 0 ? (size_t)w : 0);
	}
}

static int garbage_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct garbage g;
	struct type_count *tc;
	uint32_t *slot;
	size_t rows, i;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	/* OPT_QUERY brings -n, which garbage uses, and --by and --type,
	 * which it has no use for: refuse them rather than ignore them */
	if (o.by || o.type_name)
		return cmd_usage_error(c,
				       "garbage: %s is not an option of garbage (it reports "
				       "every type, biggest group first)",
				       o.by ? "--by" : "--type");
	if ((st = source_open(&o, &h)))
		return st;
	if (garbage_find(&h, &g, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	rows = o.limit >= 0 ? (size_t)o.limit : GARBAGE_ROWS;
	slot = malloc((h.ntype ? h.ntype : 1) * sizeof(*slot));
	tc = malloc((h.ntype ? h.ntype : 1) * sizeof(*tc));
	if (!slot || !tc) {
		free(slot);
		free(tc);
		garbage_release(&g);
		heap_release(&h);
		hs_error_set(&err, HS_ENOMEM, "out of memory");
		return cmd_fail(&err);
	}
	for (i = 0; i < h.ntype; i++)
		slot[i] = HEAP_NONE;
	if (o.json)
		garbage_json(&h, &g, rows, slot, tc);
	else
		garbage_text(&h, &g, rows, slot, tc);
	free(slot);
	free(tc);
	garbage_release(&g);
	heap_release(&h);
	return 0;
}

const struct command command_garbage = {
	.name = "garbage",
	.run = garbage_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_QUERY,
	.summary = "unreachable cycles the next collection would free, gc.garbage",
	.usage = usage,
};
