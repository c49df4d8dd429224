/*
 * diff.c - heapscope diff: what grew between two snapshots of one
 * process (diff_heaps), and why its new objects are alive.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "analysis/diff.h"
#include "analysis/query.h"
#include "heap/heap.h"
#include "walk/capture.h"
#include "json.h"
#include "python/memory.h"

#define DIFF_ROWS 20	      /* types per table in text */
#define DIFF_PATHS 3	      /* new objects shown with their path (-n) */
#define DIFF_CONTAINER_ROWS 5 /* containers that grew shown with their path */

static const char usage[] =
	"usage: heapscope diff [--by size|count] [-n N] [--json] OLD NEW\n"
	"\n"
	"What grew between two snapshots of one process (OLD taken first): per\n"
	"type, the change in objects and bytes, biggest growth first (types that\n"
	"shrank come last); the RSS then and now and where it changed (when both\n"
	"snapshots hold a memory breakdown, see info); the containers in both that hold more - items and\n"
	"retained size then and now, most retained growth first, each with the\n"
	"chain of references from a root to it; then the objects that are new in\n"
	"NEW - no object of the same type at the same address in OLD - per type;\n"
	"and for a few of them (those a root reaches first) the chain that keeps\n"
	"them alive.\n"
	"NEW may also be the process's PID: it is captured now.  Snapshots of two\n"
	"different processes are refused: their addresses cannot be matched.\n"
	"\n"
	"  --by=size|count    sort by the change in bytes (default) or objects\n"
	"  -n N               show the path from a root of N new objects (default\n"
	"                     3), one per type in order, then more per type\n"
	"  --json             one JSON object with every changed type and the\n"
	"                     address of every new object\n";

/* 1 if s is all digits (a PID rather than a file name). */
static int pid_like(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* The breakdowns of both snapshots, when both have one with RSS. */
static int both_memory(const struct heap *old, const struct heap *new, struct mem_breakdown *a,
		       struct mem_breakdown *b)
{
	return !memory_from_bytes(old->mem, old->mem_len, a) &&
	       !memory_from_bytes(new->mem, new->mem_len, b) && (a->flags & MEM_RESIDENT) &&
	       (b->flags & MEM_RESIDENT);
}

/* "memory: RSS 57.0 MiB -> 90.1 MiB (+33.1 MiB): pymalloc +1.0 MiB, ..." */
static void memory_change_text(const struct heap *old, const struct heap *new)
{
	struct mem_breakdown a, b;
	char s0[32], s1[32], c[32], part[96], line[512];
	const struct {
		const char *name;
		const uint64_t *x, *y;
	} rows[] = {
		{ "pymalloc", &a.pymalloc, &b.pymalloc },
		{ "mimalloc", &a.mimalloc, &b.mimalloc },
		{ "C allocator", &a.cmalloc, &b.cmalloc },
		{ "thread stacks", &a.stacks, &b.stacks },
		{ "other anonymous", &a.other_anon, &b.other_anon },
		{ "files", &a.rss_file, &b.rss_file },
	};
	size_t i;
	int first = 1;

	if (!both_memory(old, new, &a, &b))
		return;
	heap_size_text(a.rss, s0, sizeof(s0));
	heap_size_text(b.rss, s1, sizeof(s1));
	heap_size_change_text((int64_t)b.rss - (int64_t)a.rss, c, sizeof(c));
	snprintf(line, sizeof(line), "memory: RSS %s -> %s (%s)", s0, s1, c);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (*rows[i].x == *rows[i].y)
			continue;
		heap_size_change_text((int64_t)*rows[i].y - (int64_t)*rows[i].x, c, sizeof(c));
		snprintf(part, sizeof(part), "%s %s %s", first ? ":" : ",", rows[i].name, c);
		first = 0;
		strncat(line, part, sizeof(line) - strlen(line) - 1);
	}
	printf("%s\n", line);
	if (memory_has_unaccounted(&a) && memory_has_unaccounted(&b)) {
		heap_size_change_text(memory_unaccounted(&b) - memory_unaccounted(&a), c,
				      sizeof(c));
		printf("        unaccounted (allocated, in no Python object) %s\n", c);
	}
}

static void json_side(struct json *j, const char *key, const char *src, const struct heap *h,
		      uint64_t size)
{
	struct mem_breakdown mb;
	int have = !memory_from_bytes(h->mem, h->mem_len, &mb);

	json_key(j, key);
	json_begin_obj(j);
	json_key(j, "source");
	json_str(j, src);
	json_key(j, "pid");
	json_int(j, h->meta.pid);
	json_key(j, "time");
	json_int(j, h->meta.capture_time);
	json_key(j, "objects");
	json_uint(j, h->nobj);
	json_key(j, "size");
	json_uint(j, size);
	json_key(j, "rss");
	if (have && (mb.flags & MEM_RESIDENT))
		json_uint(j, mb.rss);
	else
		json_null(j);
	json_key(j, "unaccounted");
	if (have && memory_has_unaccounted(&mb))
		json_int(j, memory_unaccounted(&mb));
	else
		json_null(j);
	json_end_obj(j);
}

/* The objects whose paths are shown: one per type in by_new order, then a
 * second of each, and so on, n in all. */
static size_t pick_samples(const struct heap_diff *d, size_t n, uint32_t *out)
{
	size_t k = 0, round, t;
	int more = 1;

	for (round = 0; k < n && more; round++) {
		more = 0;
		for (t = 0; t < d->nby_new && k < n; t++) {
			const struct diff_type *dt = &d->types[d->by_new[t]];

			if (round < dt->nnew) {
				out[k++] = d->new_objs[dt->first_new + round];
				more = 1;
			}
		}
	}
	return k;
}

static void json_path(struct json *j, const struct heap *h, uint32_t obj, int found,
		      const uint32_t *path, const uint32_t *edges, size_t n, uint32_t root)
{
	json_begin_obj(j);
	json_key(j, "address");
	json_hex(j, h->obj[obj].addr);
	json_key(j, "type");
	json_str(j, heap_type_name(h, obj));
	json_key(j, "found");
	json_bool(j, found);
	if (found)
		cmd_json_path_fields(j, h, path, edges, n, root);
	json_end_obj(j);
}

static void text_path(const struct heap *h, uint32_t obj, int found, const uint32_t *path,
		      const uint32_t *edges, size_t n, uint32_t root)
{
	char sum[256];

	heap_summary(h, obj, sum, sizeof(sum));
	printf("0x%llx %s  %s\n", (unsigned long long)h->obj[obj].addr, heap_type_name(h, obj),
	       sum);
	if (!found) {
		printf("  not reachable from any root (garbage the next collection may free)\n");
		return;
	}
	cmd_print_path(h, "  ", path, edges, n, root);
}

/* The containers that grew, printed (the first DIFF_CONTAINER_ROWS, with
 * their paths) or as a "containers" array (all, the first with paths).
 * 0 or exit status. */
static int print_containers(struct json *j, const struct heap *h, const struct heap_diff *d)
{
	struct hs_error err = HS_ERROR_INIT;
	char ds[32], sum[256];
	size_t k;

	if (j) {
		json_key(j, "containers");
		json_begin_arr(j);
	} else if (d->ncontainers) {
		printf("\ncontainers that grew (in both, holding more; most retained growth "
		       "first):\n");
	}
	for (k = 0; k < d->ncontainers && (j || k < DIFF_CONTAINER_ROWS); k++) {
		const struct diff_container *c = &d->containers[k];
		uint32_t *path = NULL, *edges = NULL, root = 0;
		size_t len = 0;
		int found = 0;

		if (k < DIFF_CONTAINER_ROWS &&
		    (found = query_path(h, c->new_obj, &path, &edges, &len, &root, &err)) < 0)
			return cmd_fail(&err);
		heap_summary(h, c->new_obj, sum, sizeof(sum));
		if (j) {
			json_begin_obj(j);
			json_key(j, "address");
			json_hex(j, h->obj[c->new_obj].addr);
			json_key(j, "type");
			json_str(j, heap_type_name(h, c->new_obj));
			json_key(j, "summary");
			json_str(j, sum);
			json_key(j, "old_items");
			json_uint(j, c->old_items);
			json_key(j, "new_items");
			json_uint(j, c->new_items);
			json_key(j, "old_size");
			json_uint(j, c->old_size);
			json_key(j, "new_size");
			json_uint(j, c->new_size);
			json_key(j, "old_retained");
			json_uint(j, c->old_retained);
			json_key(j, "new_retained");
			json_uint(j, c->new_retained);
			if (k < DIFF_CONTAINER_ROWS) {
				json_key(j, "path");
				json_path(j, h, c->new_obj, found, path, edges, len, root);
			}
			json_end_obj(j);
		} else {
			heap_size_change_text((int64_t)c->new_retained - (int64_t)c->old_retained,
					      ds, sizeof(ds));
			printf("%s retained, %llu -> %llu items: 0x%llx %s  %s\n", ds,
			       (unsigned long long)c->old_items, (unsigned long long)c->new_items,
			       (unsigned long long)h->obj[c->new_obj].addr,
			       heap_type_name(h, c->new_obj), sum);
			if (found)
				cmd_print_path(h, "  ", path, edges, len, root);
			else
				printf("  not reachable from any root\n");
		}
		free(path);
		free(edges);
	}
	if (j)
		json_end_arr(j);
	else if (d->ncontainers > DIFF_CONTAINER_ROWS)
		printf("  ... %zu more containers grew (--json lists %d)\n",
		       d->ncontainers - DIFF_CONTAINER_ROWS, DIFF_MAX_CONTAINERS);
	return 0;
}

/* Paths of the samples, printed or as a "paths" array.  0 or exit status. */
static int print_paths(struct json *j, const struct heap *h, const struct heap_diff *d, size_t want)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t *pick;
	size_t n, k;

	/* no more samples than new objects, whatever -n asked for */
	if (want > d->nnew)
		want = d->nnew;
	pick = malloc((want ? want : 1) * sizeof(*pick));
	if (!pick) {
		hs_error_set(&err, HS_ENOMEM, "out of memory");
		return cmd_fail(&err);
	}
	n = pick_samples(d, want, pick);
	if (j) {
		json_key(j, "paths");
		json_begin_arr(j);
	} else if (n) {
		printf("\nwhy new objects are alive (path from a root):\n");
	}
	for (k = 0; k < n; k++) {
		uint32_t *path = NULL, *edges = NULL, root = 0;
		size_t len = 0;
		int found = query_path(h, pick[k], &path, &edges, &len, &root, &err);

		if (found < 0) {
			free(pick);
			if (j)
				json_end(j);
			return cmd_fail(&err);
		}
		if (j)
			json_path(j, h, pick[k], found, path, edges, len, root);
		else
			text_path(h, pick[k], found, path, edges, len, root);
		free(path);
		free(edges);
	}
	if (j)
		json_end_arr(j);
	free(pick);
	return 0;
}

static void diff_json(const struct cmd_opts *o, const struct heap *old, const struct heap *new,
		      const struct heap_diff *d, enum diff_order by, int *st)
{
	struct json j;
	size_t k, i;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_side(&j, "old", o->source, old, d->old_size);
	json_side(&j, "new", o->source2, new, d->new_size);
	json_key(&j, "by");
	json_str(&j, by == DIFF_BY_SIZE ? "size" : "count");
	json_key(&j, "count_change");
	json_int(&j, (long long)d->new_count - (long long)d->old_count);
	json_key(&j, "size_change");
	json_int(&j, (long long)d->new_size - (long long)d->old_size);
	json_key(&j, "types");
	json_begin_arr(&j);
	for (k = 0; k < d->ntypes; k++) {
		const struct diff_type *t = &d->types[k];

		if (!t->dcount && !t->dsize && !t->nnew)
			continue;
		json_begin_obj(&j);
		json_key(&j, "type");
		json_str(&j, t->name);
		json_key(&j, "old_count");
		json_uint(&j, t->old_count);
		json_key(&j, "new_count");
		json_uint(&j, t->new_count);
		json_key(&j, "count_change");
		json_int(&j, t->dcount);
		json_key(&j, "old_size");
		json_uint(&j, t->old_size);
		json_key(&j, "new_size");
		json_uint(&j, t->new_size);
		json_key(&j, "size_change");
		json_int(&j, t->dsize);
		json_key(&j, "new_objects");
		json_uint(&j, t->nnew);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	*st = print_containers(&j, new, d);
	if (*st) {
		json_end(&j);
		return;
	}
	json_key(&j, "new_objects");
	json_begin_obj(&j);
	json_key(&j, "count");
	json_uint(&j, d->nnew);
	json_key(&j, "size");
	json_uint(&j, d->nnew_size);
	json_key(&j, "types");
	json_begin_arr(&j);
	for (k = 0; k < d->nby_new; k++) {
		const struct diff_type *t = &d->types[d->by_new[k]];

		json_begin_obj(&j);
		json_key(&j, "type");
		json_str(&j, t->name);
		json_key(&j, "count");
		json_uint(&j, t->nnew);
		json_key(&j, "size");
		json_uint(&j, t->nnew_size);
		json_key(&j, "addresses");
		json_begin_arr(&j);
		for (i = 0; i < t->nnew; i++)
			json_hex(&j, new->obj[d->new_objs[t->first_new + i]].addr);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	*st = print_paths(&j, new, d, o->limit >= 0 ? (size_t)o->limit : DIFF_PATHS);
	if (*st)
		return;
	json_end_obj(&j);
	json_end(&j);
}

static void diff_row(const struct diff_type *t)
{
	char ds[32], sz[32];

	heap_size_change_text(t->dsize, ds, sizeof(ds));
	heap_size_text(t->new_size, sz, sizeof(sz));
	printf("%+10lld %12s %10llu %12s  %s\n", (long long)t->dcount, ds,
	       (unsigned long long)t->new_count, sz, t->name);
}

static void diff_text(const struct cmd_opts *o, const struct heap *old, const struct heap *new,
		      const struct heap_diff *d, enum diff_order by, int *st)
{
	char t0[64], t1[64], s0[32], s1[32], dc[32];
	size_t k, grew = 0, shrank = 0, shown;

	cmd_time_text(old->meta.capture_time, t0, sizeof(t0));
	cmd_time_text(new->meta.capture_time, t1, sizeof(t1));
	heap_size_text(d->old_size, s0, sizeof(s0));
	heap_size_text(d->new_size, s1, sizeof(s1));
	printf("old: %s  pid %lld, %s, %zu objects, %s\n", o->source, (long long)old->meta.pid, t0,
	       old->nobj, s0);
	printf("new: %s  pid %lld, %s (%+llds), %zu objects, %s\n", o->source2,
	       (long long)new->meta.pid, t1,
	       (long long)(new->meta.capture_time - old->meta.capture_time), new->nobj, s1);
	heap_size_change_text((int64_t)d->new_size - (int64_t)d->old_size, dc, sizeof(dc));
	printf("change: %+lld objects, %s\n", (long long)d->new_count - (long long)d->old_count,
	       dc);
	memory_change_text(old, new);
	putchar('\n');
	for (k = 0; k < d->ntypes; k++) {
		int64_t key = by == DIFF_BY_SIZE ? d->types[k].dsize : d->types[k].dcount;

		grew += key > 0;
		shrank += key < 0;
	}
	printf("grew (by %s):\n%10s %12s %10s %12s  %s\n", by == DIFF_BY_SIZE ? "size" : "count",
	       "+count", "+size", "count", "size", "type");
	for (k = 0, shown = 0; k < d->ntypes && shown < DIFF_ROWS; k++) {
		int64_t key = by == DIFF_BY_SIZE ? d->types[k].dsize : d->types[k].dcount;

		if (key <= 0)
			break;
		diff_row(&d->types[k]);
		shown++;
	}
	if (!grew)
		printf("  (no type grew)\n");
	else if (grew > shown)
		printf("  ... %zu more types grew (--json lists all)\n", grew - shown);
	if (shrank) {
		printf("\nshrank:\n");
		for (k = d->ntypes, shown = 0; k > 0 && shown < DIFF_ROWS / 2; k--, shown++) {
			int64_t key =
				by == DIFF_BY_SIZE ? d->types[k - 1].dsize : d->types[k - 1].dcount;

			if (key >= 0)
				break;
			diff_row(&d->types[k - 1]);
		}
		if (shrank > shown)
			printf("  ... %zu more types shrank\n", shrank - shown);
	}
	if ((*st = print_containers(NULL, new, d)))
		return;
	heap_size_text(d->nnew_size, s0, sizeof(s0));
	printf("\nnew objects (not in OLD at the same address with the same type): %zu, %s\n",
	       d->nnew, s0);
	if (d->nby_new)
		printf("%10s %12s  %s\n", "count", "size", "type");
	for (k = 0; k < d->nby_new && k < DIFF_ROWS; k++) {
		const struct diff_type *t = &d->types[d->by_new[k]];

		heap_size_text(t->nnew_size, s1, sizeof(s1));
		printf("%10llu %12s  %s\n", (unsigned long long)t->nnew, s1, t->name);
	}
	if (d->nby_new > DIFF_ROWS)
		printf("  ... %zu more types\n", d->nby_new - DIFF_ROWS);
	*st = print_paths(NULL, new, d, o->limit >= 0 ? (size_t)o->limit : DIFF_PATHS);
}

/* 1 if the strings at offsets a in ha and b in hb are equal. */
static int same_str(const struct heap *ha, uint32_t a, const struct heap *hb, uint32_t b)
{
	size_t la, lb;
	const char *sa = heap_str(ha, a, &la), *sb = heap_str(hb, b, &lb);

	return la == lb && !memcmp(sa, sb, la);
}

/*
 * Same pid, but maybe not the same process: a pid is reused after a
 * restart, and exec keeps it.  Warn rather than refuse (a program may
 * rewrite its own command line, as setproctitle does), and say which.
 */
static void same_program(const struct cmd_opts *o, const struct heap *old, const struct heap *new)
{
	int exe = !same_str(old, old->meta.exe, new, new->meta.exe);
	int cmdline = !same_str(old, old->meta.cmdline, new, new->meta.cmdline);

	if (!exe && !cmdline)
		return;
	fprintf(stderr,
		"heapscope: warning: %s and %s are both of pid %lld but of different "
		"%s: the process may have been restarted or have exec'd, and then objects at "
		"one address are not the same\n",
		o->source, o->source2, (long long)old->meta.pid,
		exe && cmdline ? "executables and command lines"
		: exe	       ? "executables"
			       : "command lines");
	if (exe)
		fprintf(stderr, "  old executable: %s\n  new executable: %s\n",
			heap_str(old, old->meta.exe, NULL), heap_str(new, new->meta.exe, NULL));
	if (cmdline)
		fprintf(stderr, "  old command line: %s\n  new command line: %s\n",
			heap_str(old, old->meta.cmdline, NULL),
			heap_str(new, new->meta.cmdline, NULL));
}

static int diff_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o, o2;
	struct heap old, new;
	struct heap_diff d;
	enum diff_order by = DIFF_BY_SIZE;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (o.type_name)
		return cmd_usage_error(c, "diff: --type is not an option of diff (it compares "
					  "every type)");
	if (o.by && !strcmp(o.by, "count"))
		by = DIFF_BY_COUNT;
	else if (o.by && strcmp(o.by, "size"))
		return cmd_usage_error(c, "diff: --by wants size or count, not '%s'", o.by);
	if (pid_like(o.source) && access(o.source, F_OK))
		return cmd_usage_error(c,
				       "diff: OLD must be a snapshot file, not '%s' (only NEW "
				       "may be a PID)",
				       o.source);
	if ((st = source_open(&o, &old)))
		return st;
	o2 = o;
	o2.source = o.source2;
	if ((st = source_open(&o2, &new))) {
		heap_release(&old);
		return st;
	}
	if (old.meta.pid != new.meta.pid) {
		hs_error_set(&err, HS_EUSAGE,
			     "%s is of process %lld and %s of process %lld: "
			     "diff compares two captures of one process",
			     o.source, (long long)old.meta.pid, o.source2, (long long)new.meta.pid);
		hs_error_hint(&err, "addresses of different processes cannot be matched; "
				    "compare their 'heapscope top' instead");
		st = cmd_fail(&err);
		goto out;
	}
	same_program(&o, &old, &new);
	if (new.meta.capture_time < old.meta.capture_time)
		fprintf(stderr,
			"heapscope: warning: %s was captured before %s: growth is "
			"shown from OLD to NEW as given (swap them?)\n",
			o.source2, o.source);
	/* retained sizes rank the containers that grew, and say which new
	 * objects a root reaches; under --max-memory each heap gets what
	 * is left once the other's are built */
	if (capture_limit_analyses(&old, o.max_memory, &err) ||
	    heap_prepare(&old, HEAP_NEED_DOMINATORS | HEAP_NEED_INDEX, &err) ||
	    capture_limit_analyses(&new, o.max_memory, &err) ||
	    heap_prepare(&new, HEAP_NEED_DOMINATORS, &err) ||
	    diff_heaps(&old, &new, by, DIFF_NEW_OBJECTS | DIFF_CONTAINERS, &d, &err)) {
		st = cmd_fail(&err);
		goto out;
	}
	if (o.json)
		diff_json(&o, &old, &new, &d, by, &st);
	else
		diff_text(&o, &old, &new, &d, by, &st);
	diff_release(&d);
out:
	heap_release(&new);
	heap_release(&old);
	return st;
}

const struct command command_diff = {
	.name = "diff",
	.run = diff_main,
	.opts = OPT_SOURCE | OPT_SOURCE2 | OPT_CAPTURE | OPT_QUERY,
	.summary = "what grew between two snapshots: per type, new objects, paths",
	.usage = usage,
};
