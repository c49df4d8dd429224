/*
 * top.c - heapscope top: objects per type, by count, size or retained
 * size (query_histogram).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "analysis/query.h"
#include "heap/heap.h"
#include "json.h"

static const char usage[] =
	"usage: heapscope top [--by count|size|retained] [-n N] [--json] PID|FILE\n"
	"\n"
	"Objects per type: count, total size (as sys.getsizeof), share of the\n"
	"heap, cumulative share, and the largest object of the type.  A size\n"
	"that is an estimate (a C type whose __sizeof__ heapscope cannot\n"
	"reproduce) is marked, and the total says how much is.  With\n"
	"--by retained, also at least what freeing all instances of the type\n"
	"would free (instances inside another instance of the type counted once;\n"
	"what only several instances share is left out) and its\n"
	"share; these overlap across types (a list's include its items), so the\n"
	"cumulative share is left out.\n"
	"\n"
	"  --by=count|size|retained\n"
	"                     sort by count (default), total size or retained size\n"
	"  -n N               show the first N types (default 20)\n" SOURCE_HELP;

/* After a type's name: how much of its size is an estimate (objects of
 * C types whose __sizeof__ heapscope cannot reproduce), if any. */
static const char *est_note(const struct type_stat *t, char *buf, size_t len)
{
	char sz[32];

	if (!t->estimated)
		return "";
	if (t->estimated == t->size)
		return "  (size estimated)";
	heap_size_text(t->estimated, sz, sizeof(sz));
	snprintf(buf, len, "  (%s of it estimated)", sz);
	return buf;
}

/* The table by retained size: shares of retained sizes overlap, so no
 * cumulative column. */
static void top_retained(const struct heap *h, const struct type_stat *ts, size_t rows,
			 uint64_t count, uint64_t size)
{
	size_t i;
	char note[64];

	printf("%10s %5s %12s %5s %12s %5s %9s  %s\n", "count", "%", "size", "%", "retained", "%",
	       "max", "type");
	for (i = 0; i < rows; i++)
		printf("%10llu %5.1f %12llu %5.1f %12llu %5.1f %9llu  %s%s\n",
		       (unsigned long long)ts[i].count, count ? 100.0 * ts[i].count / count : 0.0,
		       (unsigned long long)ts[i].size, size ? 100.0 * ts[i].size / size : 0.0,
		       (unsigned long long)ts[i].retained,
		       size ? 100.0 * ts[i].retained / size : 0.0, (unsigned long long)ts[i].max,
		       heap_str(h, h->types[ts[i].type].name, NULL),
		       est_note(&ts[i], note, sizeof(note)));
}

static int top_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct type_stat *ts;
	size_t n, i, rows;
	uint64_t count, size, cum = 0, est = 0;
	enum hist_order by = HIST_BY_COUNT;
	char sz[32], note[64];
	double t0;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (o.by && !strcmp(o.by, "size"))
		by = HIST_BY_SIZE;
	else if (o.by && !strcmp(o.by, "retained"))
		by = HIST_BY_RETAINED;
	else if (o.by && strcmp(o.by, "count"))
		return cmd_usage_error(c, "top: --by wants count, size or retained, not '%s'",
				       o.by);
	if ((st = source_open(&o, &h)))
		return st;
	/* dominators cost a pass over the whole graph: only when asked */
	t0 = cmd_clock();
	if (by == HIST_BY_RETAINED && heap_prepare(&h, HEAP_NEED_DOMINATORS, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (by == HIST_BY_RETAINED)
		cmd_timing("dominators", t0);
	t0 = cmd_clock();
	if (query_histogram(&h, by, &ts, &n, &count, &size, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	cmd_timing("histogram", t0);
	for (i = 0; i < n; i++)
		est += ts[i].estimated;
	rows = o.limit >= 0 ? (size_t)o.limit : 20;
	if (rows > n)
		rows = n;
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "objects");
		json_uint(&j, count);
		json_key(&j, "size");
		json_uint(&j, size);
		json_key(&j, "size_estimated");
		json_uint(&j, est);
		json_key(&j, "types_total");
		json_uint(&j, n);
		json_key(&j, "mode");
		json_str(&j, heap_mode_name(h.meta.mode));
		json_key(&j, "pause_ms");
		json_uint(&j, h.meta.pause_ns / 1000000);
		json_key(&j, "copied_bytes");
		json_uint(&j, h.meta.copied_bytes);
		json_key(&j, "warnings");
		json_uint(&j, h.meta.warnings);
		json_key(&j, "types");
		json_begin_arr(&j);
		for (i = 0; i < rows; i++) {
			cum += by == HIST_BY_SIZE ? ts[i].size : ts[i].count;
			json_begin_obj(&j);
			json_key(&j, "type");
			json_str(&j, heap_str(&h, h.types[ts[i].type].name, NULL));
			json_key(&j, "count");
			json_uint(&j, ts[i].count);
			json_key(&j, "size");
			json_uint(&j, ts[i].size);
			json_key(&j, "size_estimated");
			json_uint(&j, ts[i].estimated);
			json_key(&j, "max");
			json_uint(&j, ts[i].max);
			if (by == HIST_BY_RETAINED) {
				json_key(&j, "retained");
				json_uint(&j, ts[i].retained);
			}
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
		json_end(&j);
	} else {
		heap_size_text(size, sz, sizeof(sz));
		printf("%llu objects, %zu types, %s (%llu bytes)", (unsigned long long)count, n, sz,
		       (unsigned long long)size);
		if (est) {
			heap_size_text(est, sz, sizeof(sz));
			printf(", of which %s estimated (C types whose __sizeof__ heapscope "
			       "cannot reproduce)",
			       sz);
		}
		putchar('\n');
		if (by == HIST_BY_RETAINED) {
			top_retained(&h, ts, rows, count, size);
			rows = 0;
		} else {
			printf("%10s %5s %12s %5s %5s %9s  %s\n", "count", "%", "size", "%", "cum%",
			       "max", "type");
		}
		for (i = 0; i < rows; i++) {
			uint64_t key = by == HIST_BY_SIZE ? ts[i].size : ts[i].count;
			uint64_t tot = by == HIST_BY_SIZE ? size : count;

			cum += key;
			printf("%10llu %5.1f %12llu %5.1f %5.1f %9llu  %s%s\n",
			       (unsigned long long)ts[i].count,
			       count ? 100.0 * ts[i].count / count : 0.0,
			       (unsigned long long)ts[i].size,
			       size ? 100.0 * ts[i].size / size : 0.0,
			       tot ? 100.0 * cum / tot : 0.0, (unsigned long long)ts[i].max,
			       heap_str(&h, h.types[ts[i].type].name, NULL),
			       est_note(&ts[i], note, sizeof(note)));
		}
	}
	free(ts);
	heap_release(&h);
	return 0;
}

const struct command command_top = {
	.name = "top",
	.run = top_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_QUERY,
	.summary = "objects per type: count, size, share (PID or snapshot)",
	.usage = usage,
};
