/*
 * cmd_heap.c - snapshot, top, show, path, objects: the heap from the
 * command line.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "heap/heap.h"
#include "json.h"
#include "analysis/query.h"
#include "heap/snapshot.h"

#define SOURCE_HELP \
	"PID captures the running process now (it is frozen only while its memory\n" \
	"is copied); FILE reads a snapshot taken before.\n" \
	"\n" \
	CAPTURE_HELP

#define CAPTURE_HELP \
	"  --json             one JSON object on stdout\n" \
	CAPTURE_OPTIONS_HELP

const char cmd_usage_snapshot[] =
	"usage: heapscope snapshot [-o FILE] [--force] [--json] [--no-stop] PID\n"
	"\n"
	"Capture every object of process PID - type, size, value, references -\n"
	"and save them to a snapshot file to read later, here or elsewhere, with\n"
	"top, show, path and objects.  The file holds strings from the process's\n"
	"memory (possibly secrets): it is created readable by you only.\n"
	"\n"
	"  -o, --output=FILE  where to write (default heapscope-PID-TIME.hsnap)\n"
	"  --force            replace FILE if it exists\n"
	CAPTURE_HELP;

const char cmd_usage_top[] =
	"usage: heapscope top [--by count|size|retained] [-n N] [--json] PID|FILE\n"
	"\n"
	"Objects per type: count, total size (as sys.getsizeof), share of the\n"
	"heap, cumulative share, and the largest object of the type.  With\n"
	"--by retained, also at least what freeing all instances of the type\n"
	"would free (instances inside another instance of the type counted once;\n"
	"what only several instances share is left out) and its\n"
	"share; these overlap across types (a list's include its items), so the\n"
	"cumulative share is left out.\n"
	"\n"
	"  --by=count|size|retained\n"
	"                     sort by count (default), total size or retained size\n"
	"  -n N               show the first N types (default 20)\n"
	SOURCE_HELP;

const char cmd_usage_show[] =
	"usage: heapscope show [-n N] [--json] PID|FILE ADDRESS\n"
	"\n"
	"One object: type, size, refcount, value, why it is a root if it is one,\n"
	"its retained size (what would be freed with it) and its immediate\n"
	"dominator (the nearest object every chain from a root to it goes\n"
	"through; \"root\" when no single object keeps it alive),\n"
	"the objects it refers to and those that refer to it, each with the name\n"
	"of the reference ('.attr', \"['key']\", '[3]', '__dict__').\n"
	"\n"
	"  -n N               show at most N referents and N referrers (default 50)\n"
	SOURCE_HELP;

const char cmd_usage_path[] =
	"usage: heapscope path [--json] PID|FILE ADDRESS\n"
	"\n"
	"Why an object is alive: the shortest chain of references from a root\n"
	"(sys.modules, a thread's frame, an object held from C code) to it, each\n"
	"step with the name of the reference.\n"
	"\n"
	SOURCE_HELP;

const char cmd_usage_objects[] =
	"usage: heapscope objects --type NAME [-n N] [--json] PID|FILE\n"
	"\n"
	"Every object of a type: address, size and value or summary.  NAME is a\n"
	"type's full name (app.models.User); if no type has it, the types whose name\n"
	"ends in .NAME (User, models.User: every class of that name); if none, the\n"
	"same ignoring case (user).  No type of that name is an error that offers\n"
	"the nearest names.\n"
	"\n"
	"  --type=NAME        the type\n"
	"  -n N               show at most N objects (default all)\n"
	SOURCE_HELP;

static const char *flag_names[8] = {
	"gc", "immortal", "root", "held-from-outside", "size-estimated", "scanned",
	"value-truncated", "broken",
};

/* ---- snapshot ---- */

int cmd_snapshot(int argc, char **argv)
{
	const struct command *c = cmd_find("snapshot");
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct snapshot_out out;
	char name[256], sz[32];
	const char *path;
	int st, writing;

	if (cmd_parse(c, OPT_SOURCE | OPT_CAPTURE | OPT_OUTPUT, argc, argv, &o, &st))
		return st;
	if (snapshot_is_file(o.source))
		return cmd_usage_error(c, "snapshot: '%s' is already a snapshot; give a PID",
				       o.source);
	path = o.output;
	if (!path) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		snprintf(name, sizeof(name), "heapscope-%s-%04d%02d%02d-%02d%02d%02d.hsnap",
			 o.source, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec);
		path = name;
	}
	/* a place we cannot write is found before the capture, not after */
	if (snapshot_begin(&out, path, o.force ? SNAP_FORCE : 0, &err))
		return cmd_fail(&err);
	if ((st = source_open(&o, &h))) {
		snapshot_abort(&out);
		return st;
	}
	writing = !o.json && isatty(2) && h.nobj + h.nedge >= (4u << 20);
	if (writing)
		fprintf(stderr, "heapscope: writing %s", path);
	st = snapshot_commit(&out, &h, &err);
	if (writing)
		fputs("\r\033[K", stderr);
	if (st) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "file");
		json_str(&j, path);
		json_key(&j, "pid");
		json_int(&j, h.meta.pid);
		json_key(&j, "objects");
		json_uint(&j, h.nobj);
		json_key(&j, "edges");
		json_uint(&j, h.nedge);
		json_key(&j, "types");
		json_uint(&j, h.ntype);
		json_key(&j, "roots");
		json_uint(&j, h.nroot);
		json_key(&j, "pause_ms");
		json_uint(&j, h.meta.pause_ns / 1000000);
		json_key(&j, "copy_ms");
		json_uint(&j, h.meta.copy_us / 1000);
		json_key(&j, "pause_us");
		json_uint(&j, h.meta.pause_ns / 1000);
		json_key(&j, "copy_us");
		json_uint(&j, h.meta.copy_us);
		json_key(&j, "walk_ms");
		json_uint(&j, h.meta.walk_ns / 1000000);
		json_key(&j, "copied_bytes");
		json_uint(&j, h.meta.copied_bytes);
		json_key(&j, "warnings");
		json_uint(&j, h.meta.warnings);
		json_end_obj(&j);
		json_end(&j);
	} else {
		heap_size_text(h.meta.copied_bytes, sz, sizeof(sz));
		printf("%s: %zu objects, %zu references, %zu types (Python %s, pid %lld)\n", path,
		       h.nobj, h.nedge, h.ntype, heap_str(&h, h.meta.version, NULL),
		       (long long)h.meta.pid);
	}
	heap_release(&h);
	return 0;
}

/* ---- top ---- */

/* The table by retained size: shares of retained sizes overlap, so no
 * cumulative column. */
static void top_retained(const struct heap *h, const struct type_stat *ts, size_t rows,
			 uint64_t count, uint64_t size)
{
	size_t i;

	printf("%10s %5s %12s %5s %12s %5s %9s  %s\n", "count", "%", "size", "%", "retained", "%",
	       "max", "type");
	for (i = 0; i < rows; i++)
		printf("%10llu %5.1f %12llu %5.1f %12llu %5.1f %9llu  %s\n",
		       (unsigned long long)ts[i].count, count ? 100.0 * ts[i].count / count : 0.0,
		       (unsigned long long)ts[i].size, size ? 100.0 * ts[i].size / size : 0.0,
		       (unsigned long long)ts[i].retained,
		       size ? 100.0 * ts[i].retained / size : 0.0, (unsigned long long)ts[i].max,
		       heap_str(h, h->types[ts[i].type].name, NULL));
}

int cmd_top(int argc, char **argv)
{
	const struct command *c = cmd_find("top");
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct type_stat *ts;
	size_t n, i, rows;
	uint64_t count, size, cum = 0;
	enum hist_order by = HIST_BY_COUNT;
	char sz[32];
	double t0;
	int st;

	if (cmd_parse(c, OPT_SOURCE | OPT_CAPTURE | OPT_QUERY, argc, argv, &o, &st))
		return st;
	if (o.by && !strcmp(o.by, "size"))
		by = HIST_BY_SIZE;
	else if (o.by && !strcmp(o.by, "retained"))
		by = HIST_BY_RETAINED;
	else if (o.by && strcmp(o.by, "count"))
		return cmd_usage_error(c, "top: --by wants count, size or retained, not '%s'",
				       o.by);
	t0 = cmd_clock();
	if ((st = source_open(&o, &h)))
		return st;
	cmd_timing("load", t0);
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
		json_key(&j, "types_total");
		json_uint(&j, n);
		json_key(&j, "mode");
		json_str(&j, h.meta.mode == HC_LIVE ? "live" : h.meta.mode == HC_FROZEN ? "frozen"
								     : "copy");
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
		printf("%llu objects, %zu types, %s (%llu bytes)\n", (unsigned long long)count, n, sz,
		       (unsigned long long)size);
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
			printf("%10llu %5.1f %12llu %5.1f %5.1f %9llu  %s\n",
			       (unsigned long long)ts[i].count,
			       count ? 100.0 * ts[i].count / count : 0.0,
			       (unsigned long long)ts[i].size, size ? 100.0 * ts[i].size / size : 0.0,
			       tot ? 100.0 * cum / tot : 0.0, (unsigned long long)ts[i].max,
			       heap_str(&h, h.types[ts[i].type].name, NULL));
		}
	}
	free(ts);
	heap_release(&h);
	return 0;
}

/* ---- show ---- */

uint32_t cmd_find_object(struct heap *h, uint64_t addr, unsigned need, int *st)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t i;

	if (heap_prepare(h, HEAP_NEED_INDEX | need, &err)) {
		*st = cmd_fail(&err);
		return HEAP_NONE;
	}
	i = heap_lookup(h, addr);
	if (i == HEAP_NONE) {
		hs_error_set(&err, HS_EUSAGE, "no object at 0x%llx in this heap",
			     (unsigned long long)addr);
		hs_error_hint(&err, "addresses come from 'heapscope objects' or 'heapscope show'");
		*st = cmd_fail(&err);
	}
	return i;
}

static uint32_t find_obj(const struct command *c, struct heap *h, const char *s, int *st)
{
	uint64_t addr;

	if (query_parse_addr(s, &addr)) {
		*st = cmd_usage_error(c, "%s: '%s' is not an address", c->name, s);
		return HEAP_NONE;
	}
	/* show lists referrers and the dominator: it needs the reverse edges
	 * and the dominator tree too */
	return cmd_find_object(h, addr,
			       c->run == cmd_show ? HEAP_NEED_REVERSE | HEAP_NEED_DOMINATORS : 0, st);
}

static void json_value(struct json *j, const struct heap *h, uint32_t i)
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

static void json_flags(struct json *j, const struct heap *h, uint32_t i)
{
	int b;

	json_key(j, "flags");
	json_begin_arr(j);
	for (b = 0; b < 8; b++)
		if (h->flags[i] & (1u << b))
			json_str(j, flag_names[b]);
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
	json_value(&j, h, i);
	json_flags(&j, h, i);
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
	printf("0x%llx  %s  %llu bytes  refcount %u\n", (unsigned long long)h->obj[i].addr,
	       heap_type_name(h, i), (unsigned long long)heap_size(h, i), h->obj[i].refcnt);
	printf("  %s\n", sum);
	printf("  flags:");
	for (b = 0; b < 8; b++)
		if (h->flags[i] & (1u << b))
			printf(" %s", flag_names[b]);
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

int cmd_show(int argc, char **argv)
{
	const struct command *c = cmd_find("show");
	struct cmd_opts o;
	struct heap h;
	uint32_t i;
	int st;

	if (cmd_parse(c, OPT_SOURCE | OPT_ADDR | OPT_CAPTURE | OPT_QUERY, argc, argv, &o, &st))
		return st;
	if ((st = source_open(&o, &h)))
		return st;
	i = find_obj(c, &h, o.addr, &st);
	if (i != HEAP_NONE) {
		if (o.json)
			show_json(&h, i, o.limit >= 0 ? (size_t)o.limit : 50);
		else
			show_text(&h, i, o.limit >= 0 ? (size_t)o.limit : 50);
	}
	heap_release(&h);
	return i == HEAP_NONE ? st : 0;
}

/* ---- path ---- */

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

int cmd_path(int argc, char **argv)
{
	const struct command *c = cmd_find("path");
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	uint32_t i, *path, *edges, root;
	size_t n;
	int st, found;

	if (cmd_parse(c, OPT_SOURCE | OPT_ADDR | OPT_CAPTURE, argc, argv, &o, &st))
		return st;
	if ((st = source_open(&o, &h)))
		return st;
	i = find_obj(c, &h, o.addr, &st);
	if (i == HEAP_NONE) {
		heap_release(&h);
		return st;
	}
	found = query_path(&h, i, &path, &edges, &n, &root, &err);
	if (found < 0) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "address");
		json_hex(&j, h.obj[i].addr);
		json_key(&j, "found");
		json_bool(&j, found);
		if (found)
			cmd_json_path_fields(&j, &h, path, edges, n, root);
		json_end_obj(&j);
		json_end(&j);
	} else if (!found) {
		printf("0x%llx is not reachable from any root (garbage the next collection "
		       "may free)\n", (unsigned long long)h.obj[i].addr);
	} else {
		cmd_print_path(&h, "", path, edges, n, root);
	}
	free(path);
	free(edges);
	heap_release(&h);
	return 0;
}

/* ---- objects ---- */

/* No type has the name the user gave: say so, with the nearest names. */
static int no_type(const struct heap *h, const char *name)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t near[5];
	size_t n = query_types_near(h, name, near, 5), k;
	char list[400] = "";

	for (k = 0; k < n; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.120s",
			 k ? ", " : "", heap_str(h, h->types[near[k]].name, NULL));
	if (n)
		hs_error_set(&err, HS_EUSAGE, "no type %.100s; did you mean %s?", name, list);
	else
		hs_error_set(&err, HS_EUSAGE, "no type %.100s in this heap", name);
	hs_error_hint(&err, "'heapscope top' lists the types; a name matches exactly, then "
		      "by its last dotted parts, then ignoring case");
	return cmd_fail(&err);
}

int cmd_objects(int argc, char **argv)
{
	const struct command *c = cmd_find("objects");
	struct cmd_opts o;
	struct heap h;
	struct json j;
	char sum[512];
	uint8_t *match;
	size_t i, shown = 0, total = 0;
	int st;

	if (cmd_parse(c, OPT_SOURCE | OPT_CAPTURE | OPT_QUERY, argc, argv, &o, &st))
		return st;
	if (!o.type_name)
		return cmd_usage_error(c, "objects: which type? (--type NAME)");
	if ((st = source_open(&o, &h)))
		return st;
	match = calloc(h.ntype ? h.ntype : 1, 1);
	if (!match) {
		heap_release(&h);
		fputs("heapscope: out of memory\n", stderr);
		return hs_exit_status(HS_ENOMEM);
	}
	if (!query_types_named(&h, o.type_name, match)) {
		st = no_type(&h, o.type_name);
		free(match);
		heap_release(&h);
		return st;
	}
	if (o.json) {
		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "type");
		json_str(&j, o.type_name);
		json_key(&j, "types");
		json_begin_arr(&j);
		for (i = 0; i < h.ntype; i++)
			if (match[i])
				json_str(&j, heap_str(&h, h.types[i].name, NULL));
		json_end_arr(&j);
		json_key(&j, "objects");
		json_begin_arr(&j);
	}
	for (i = 0; i < h.nobj; i++) {
		if (!match[h.obj[i].type])
			continue;
		total++;
		if (o.limit >= 0 && shown >= (size_t)o.limit)
			continue;
		shown++;
		if (o.json) {
			json_begin_obj(&j);
			cmd_json_obj_brief(&j, &h, (uint32_t)i);
			json_key(&j, "value");
			json_value(&j, &h, (uint32_t)i);
			json_flags(&j, &h, (uint32_t)i);
			json_end_obj(&j);
		} else {
			heap_summary(&h, (uint32_t)i, sum, sizeof(sum));
			printf("0x%-14llx %8llu  %-20s %s\n", (unsigned long long)h.obj[i].addr,
			       (unsigned long long)heap_size(&h, (uint32_t)i), heap_type_name(&h, (uint32_t)i),
			       sum);
		}
	}
	if (o.json) {
		json_end_arr(&j);
		json_key(&j, "total");
		json_uint(&j, total);
		json_end_obj(&j);
		json_end(&j);
	} else if (!total) {
		fprintf(stderr, "heapscope: no object of type '%s'\n", o.type_name);
	} else if (shown < total) {
		printf("... %zu more\n", total - shown);
	}
	free(match);
	heap_release(&h);
	return 0;
}
