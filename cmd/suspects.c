/*
 * suspects.c - heapscope suspects: what keeps most of the heap alive,
 * said where a developer can act on it.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "heap/heap.h"
#include "json.h"
#include "analysis/suspects.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char usage[] =
	"usage: heapscope suspects [--threshold PCT] [-n N] [--json] PID|FILE\n"
	"\n"
	"Leak suspects: the objects that keep more than PCT percent of the heap\n"
	"alive (their retained size: what would be freed with them).  Each is\n"
	"followed down to its accumulation point - the container that holds most\n"
	"of its mass, even when that alone is under PCT - and reported once, with\n"
	"the chain of references from a root to it, the type and number of the\n"
	"elements it holds, and one sentence saying where it is.  No suspect is\n"
	"not an error: the exit status is 0 either way.\n"
	"\n"
	"  --threshold=PCT    share of the heap a suspect retains (default " STR(
		SUSPECTS_DEFAULT_PCT) ")\n"
				      "  -n N               show at most N suspects (default 10)\n" SOURCE_HELP;

#define DEFAULT_ROWS 10

static void json_path(struct json *j, const struct heap *h, const uint32_t *path,
		      const uint32_t *edges, size_t n, uint32_t root)
{
	json_key(j, "path");
	json_begin_obj(j);
	cmd_json_path_fields(j, h, path, edges, n, root);
	json_end_obj(j);
}

static int suspects_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct suspect *sus = NULL;
	struct json j;
	struct suspect_names names = { 0 };
	uint64_t total = 0;
	size_t n = 0, i, rows;
	double threshold, t0;
	char tot[32];
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (o.by || o.type_name)
		return cmd_usage_error(c, "suspects: --by and --type are for top and objects");
	threshold = o.threshold > 0 ? o.threshold : SUSPECTS_DEFAULT_PCT;
	rows = o.limit >= 0 ? (size_t)o.limit : DEFAULT_ROWS;
	if ((st = source_open(&o, &h)))
		return st;
	t0 = cmd_clock();
	if (heap_prepare(&h, HEAP_NEED_DOMINATORS, &err))
		goto fail;
	cmd_timing("dominators", t0);
	total = heap_total_size(&h);
	t0 = cmd_clock();
	if (suspects_find(&h, threshold / 100.0, total, &sus, &n, &err))
		goto fail;
	cmd_timing("suspects", t0);
	if (suspect_names_build(&h, &names, &err))
		goto fail;
	heap_size_text(total, tot, sizeof(tot));
	if (o.json) {
		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "objects");
		json_uint(&j, h.nobj);
		json_key(&j, "size");
		json_uint(&j, total);
		json_key(&j, "threshold_pct");
		json_double(&j, threshold);
		json_key(&j, "suspects_total");
		json_uint(&j, n);
		json_key(&j, "suspects");
		json_begin_arr(&j);
	} else if (!n) {
		printf("no leak suspects: no object retains more than %g%% of the heap (%s in "
		       "%zu objects)\n",
		       threshold, tot, h.nobj);
	} else {
		printf("%zu leak suspect%s retaining more than %g%% of the heap (%s in %zu "
		       "objects):\n",
		       n, n == 1 ? "" : "s", threshold, tot, h.nobj);
	}
	for (i = 0; i < n && i < rows; i++) {
		const struct suspect *s = &sus[i];
		struct suspect_words w;
		char cnt[32], sum[256];

		if (suspect_explain(&h, &names, s, total, &w, &err)) {
			suspect_words_release(&w);
			goto fail;
		}
		if (o.json) {
			json_begin_obj(&j);
			json_key(&j, "sentence");
			json_str(&j, w.sentence);
			json_key(&j, "point");
			json_begin_obj(&j);
			cmd_json_obj_brief(&j, &h, s->point);
			json_end_obj(&j);
			json_key(&j, "retained");
			json_uint(&j, s->retained);
			json_key(&j, "share_pct");
			json_double(&j, w.pct);
			json_key(&j, "module");
			json_str(&j, w.module);
			json_key(&j, "attribute");
			json_str(&j, w.expr);
			json_key(&j, "where");
			json_str(&j, w.text);
			json_key(&j, "via");
			if (w.via == HEAP_NONE) {
				json_null(&j);
			} else {
				json_begin_obj(&j);
				cmd_json_obj_brief(&j, &h, w.via);
				json_end_obj(&j);
			}
			json_key(&j, "children");
			json_uint(&j, s->children);
			json_key(&j, "elements");
			if (s->elem_type == HEAP_NONE) {
				json_null(&j);
			} else {
				json_begin_obj(&j);
				json_key(&j, "type");
				json_str(&j, heap_str(&h, h.types[s->elem_type].name, NULL));
				json_key(&j, "count");
				json_uint(&j, s->elem_count);
				json_key(&j, "retained");
				json_uint(&j, s->elem_retained);
				json_end_obj(&j);
			}
			json_key(&j, "start");
			json_begin_obj(&j);
			cmd_json_obj_brief(&j, &h, s->start);
			json_key(&j, "retained");
			json_uint(&j, h.retained[s->start]);
			json_end_obj(&j);
			if (w.found)
				json_path(&j, &h, w.path, w.edges, w.npath, w.root);
			json_end_obj(&j);
		} else {
			printf("\n%zu. %s\n", i + 1, w.sentence);
			heap_summary(&h, s->point, sum, 100);
			printf("   accumulation point: 0x%llx %s %s, retains %llu bytes\n",
			       (unsigned long long)h.obj[s->point].addr,
			       heap_type_name(&h, s->point), sum, (unsigned long long)s->retained);
			if (s->elem_type != HEAP_NONE) {
				heap_count_text(s->elem_count, cnt, sizeof(cnt));
				printf("   elements: %s %s retaining %llu bytes (of its %u directly "
				       "dominated objects)\n",
				       cnt, heap_str(&h, h.types[s->elem_type].name, NULL),
				       (unsigned long long)s->elem_retained, s->children);
			}
			if (s->start != s->point) {
				heap_summary(&h, s->start, sum, 100);
				printf("   inside: 0x%llx %s %s, retains %llu bytes\n",
				       (unsigned long long)h.obj[s->start].addr,
				       heap_type_name(&h, s->start), sum,
				       (unsigned long long)h.retained[s->start]);
			}
			if (w.found)
				cmd_print_path(&h, "   ", w.path, w.edges, w.npath, w.root);
		}
		suspect_words_release(&w);
	}
	if (o.json) {
		json_end_arr(&j);
		json_end_obj(&j);
		json_end(&j);
	} else if (n > rows) {
		printf("\n... %zu more (-n)\n", n - rows);
	}
	suspect_names_release(&names);
	free(sus);
	heap_release(&h);
	return 0;
fail:
	suspect_names_release(&names);
	free(sus);
	heap_release(&h);
	return cmd_fail(&err);
}

const struct command command_suspects = {
	.name = "suspects",
	.run = suspects_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_QUERY | OPT_THRESHOLD,
	.summary = "leak suspects: what keeps most of the heap alive",
	.usage = usage,
};
