/*
 * info.c - heapscope info: what heapscope found in a process (version,
 * build, layout sources, interpreters, GC), or what a snapshot holds.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include "cmd.h"
#include "python/gcinfo.h"
#include "heap/heap.h"
#include "json.h"
#include "heap/snapshot.h"
#include "python/memory.h"
#include "python/mimalloc.h"

static const char usage[] =
	"usage: heapscope info [--json] [--layout=SOURCE] [--debug-dir=DIR] [--no-cache] PID|FILE\n"
	"\n"
	"Show what heapscope found in process PID: Python version and build kind,\n"
	"executable and libpython, build-id, the debug information used, where each\n"
	"group of structure offsets came from, the _PyRuntime and interpreter\n"
	"addresses, threads, and each GC generation (counter, threshold, objects on\n"
	"its list).  The target is frozen while it is read.\n"
	"\n"
	"For a snapshot FILE: the process it was taken from (pid, command line,\n"
	"executable, Python version), when, how (copy, frozen or --no-stop), the\n"
	"target's pause, and what it holds (objects, references, types, roots,\n"
	"threads, inconsistencies met).\n"
	"\n"
	"For both, where the memory goes: the RSS by owner (pymalloc's arenas,\n"
	"the C allocator's heaps and mmapped chunks, thread stacks, other\n"
	"anonymous memory, files), with pymalloc's and glibc's own figures; a\n"
	"snapshot adds the Python objects' sizes and what the allocators hold\n"
	"for no Python object (unaccounted).  A core file has no RSS: its\n"
	"figures are the bytes mapped.\n"
	"\n"
	"  --json             one JSON object on stdout\n"
	"  --layout=SOURCE    auto, debug-offsets, dwarf or table\n"
	"  --debug-dir=DIR    directory of separate debug files (default /usr/lib/debug)\n"
	"  --no-cache         do not use the layout cache\n";

#define MAX_INTERPS_SHOWN 64

struct interp_info {
	uint64_t addr;
	int64_t id;
	long threads;
	int have_gc;
	struct gc_info gc;
};

struct info {
	struct interp_info in[MAX_INTERPS_SHOWN];
	int ninterp;
	long threads;
	char warning[256];
	struct mem_breakdown mem;
};

/* The layout groups that apply to p's build: the free-threaded group is
 * the last one, and only a free-threaded build's. */
static int layout_groups(const struct pyproc *p)
{
	return p->free_threaded ? LG_COUNT : LG_FT;
}
static const char *build_kind(const struct pyproc *p)
{
	return (p->build & PYBUILD_SHARED) ? "shared" : "static";
}

static long count_threads(struct pyproc *p, uint64_t interp)
{
	uint64_t ts;
	long n = 0;

	if (pyproc_first_tstate(p, interp, &ts, NULL))
		return -1;
	while (ts && n < PYPROC_MAX_THREADS) {
		n++;
		if (pyproc_next_tstate(p, ts, &ts, NULL))
			return -1;
	}
	return n;
}

/* The memory breakdown, while the target is frozen: the threads' stack
 * pointers are read from their registers. */
static void gather_memory(struct session *s, struct info *inf)
{
	struct target *t = s->t;
	struct hs_error err = HS_ERROR_INIT;
	uint64_t *sps = calloc(t->ntids ? t->ntids : 1, sizeof(*sps));
	struct maps m = { 0 };
	size_t n;

	if (!sps || target_maps(t, &m, &err)) {
		free(sps);
		memory_breakdown(&s->py, &m, 0, NULL, 0, &inf->mem);
		return;
	}
	n = memory_stack_pointers(t, sps, t->ntids);
	memory_breakdown(&s->py, &m, s->core ? 0 : s->py.pid, sps, n, &inf->mem);
	maps_release(&m);
	free(sps);
}

static void gather(struct session *s, struct info *inf)
{
	struct pyproc *p = &s->py;
	uint64_t in = p->interp;
	int i;

	memset(inf, 0, sizeof(*inf));
	gather_memory(s, inf);
	for (i = 0; in && i < MAX_INTERPS_SHOWN; i++) {
		struct interp_info *ii = &inf->in[i];
		struct hs_error err = HS_ERROR_INIT;

		ii->addr = in;
		ii->id = -1;
		if (LAY_HAS(&p->layout, interp_id))
			target_read(p->t, in + LAY(&p->layout, interp_id), &ii->id, sizeof(ii->id),
				    NULL);
		ii->threads = count_threads(p, in);
		if (ii->threads > 0)
			inf->threads += ii->threads;
		ii->have_gc = !gcinfo_read(p, in, &ii->gc, &err);
		if (!ii->have_gc)
			snprintf(inf->warning, sizeof(inf->warning), "%s", err.msg);
		inf->ninterp++;
		if (pyproc_next_interp(p, in, &in, NULL))
			break;
	}
}

static void json_mem(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (v == MEM_UNKNOWN)
		json_null(j);
	else
		json_uint(j, v);
}

/* "memory": the breakdown, bytes; null where unknown. */
static void print_memory_json(struct json *j, const struct mem_breakdown *mb)
{
	int res = !!(mb->flags & MEM_RESIDENT);

	json_key(j, "memory");
	json_begin_obj(j);
	json_key(j, "resident");
	json_bool(j, res);
	json_mem(j, "rss", mb->rss);
	json_mem(j, "anonymous", mb->rss_anon);
	json_mem(j, "files", mb->rss_file);
	json_key(j, "pymalloc");
	if (mb->flags & MEM_PYMALLOC) {
		json_begin_obj(j);
		json_mem(j, "bytes", mb->pymalloc);
		json_mem(j, "arenas", mb->pm_arenas);
		json_mem(j, "arena_size", mb->pm_arena_size);
		json_mem(j, "pool_size", mb->pm_pool_size);
		json_mem(j, "live", mb->pm_live);
		json_mem(j, "free_in_used_pools", mb->pm_free_in_pools);
		json_mem(j, "used_pools", mb->pm_used_pools);
		json_mem(j, "free_pools", mb->pm_free_pools);
		json_mem(j, "empty_arenas", mb->pm_empty_arenas);
		json_mem(j, "overhead", mb->pm_overhead);
		json_key(j, "complete");
		json_bool(j, !(mb->flags & MEM_PYMALLOC_PARTIAL));
		json_end_obj(j);
	} else {
		json_null(j);
		if (!(mb->flags & MEM_MIMALLOC)) {
			json_key(j, "pymalloc_unknown");
			json_str(j, mb->pymalloc_why);
		}
	}
	json_key(j, "mimalloc");
	if (mb->flags & MEM_MIMALLOC) {
		json_begin_obj(j);
		json_mem(j, "bytes", mb->mimalloc);
		json_mem(j, "segments", mb->mi_segments);
		json_mem(j, "segment_size", MIMALLOC_SEGMENT_SIZE);
		json_mem(j, "pages", mb->mi_pages);
		json_mem(j, "live_blocks", mb->mi_live_blocks);
		json_mem(j, "live", mb->mi_live);
		json_mem(j, "free", mb->mi_free);
		json_mem(j, "uncarved", mb->mi_uncarved);
		json_end_obj(j);
	} else {
		json_null(j);
	}
	json_key(j, "c_allocator");
	if (mb->flags & MEM_CMALLOC) {
		json_begin_obj(j);
		json_key(j, "name");
		json_str(j, "glibc");
		json_key(j, "version");
		json_str(j, mb->libc_version);
		json_key(j, "main_arena");
		json_str(j, mb->flags & MEM_BY_SYMBOL ? "symbol" : "search");
		json_key(j, "layout");
		json_str(j, mb->flags & MEM_C_DWARF ? "dwarf" : "table");
		json_mem(j, "bytes", mb->cmalloc);
		json_mem(j, "arenas", mb->c_arenas);
		json_mem(j, "system", mb->c_system);
		json_mem(j, "in_use", mb->c_in_use);
		json_mem(j, "free", mb->c_free);
		json_mem(j, "free_chunks", mb->c_free_chunks);
		json_mem(j, "top", mb->c_top);
		json_mem(j, "mmapped", mb->c_mmapped);
		json_mem(j, "mmapped_chunks", mb->c_mmapped_chunks);
		json_key(j, "complete");
		json_bool(j, !(mb->flags & MEM_CMALLOC_PARTIAL));
		json_end_obj(j);
	} else {
		json_null(j);
		json_key(j, "c_allocator_unknown");
		json_str(j, mb->cmalloc_why);
	}
	json_mem(j, "thread_stacks", mb->stacks);
	json_mem(j, "threads", mb->threads);
	json_mem(j, "other_anonymous", mb->other_anon);
	json_mem(j, "python_objects", mb->objects);
	json_mem(j, "estimated", mb->estimated);
	json_mem(j, "buffers", mb->buffers);
	json_key(j, "unaccounted");
	if (memory_has_unaccounted(mb))
		json_int(j, memory_unaccounted(mb));
	else
		json_null(j);
	json_end_obj(j);
}

static void print_line(void *ctx, const char *text)
{
	printf("%s%s\n", (const char *)ctx, text);
}

/* The breakdown under a "memory" heading. */
static void print_memory_text(const struct mem_breakdown *mb)
{
	printf("memory\n");
	memory_text(mb, print_line, "  ");
}

static void print_json(const struct session *s, const struct info *inf)
{
	const struct pyproc *p = &s->py;
	struct json j;
	char buf[64];
	int g, i, k;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_key(&j, "pid");
	json_int(&j, p->pid);
	json_key(&j, "python");
	json_str(&j, p->version);
	json_key(&j, "version_hex");
	if (p->version_hex) {
		snprintf(buf, sizeof(buf), "0x%x", p->version_hex);
		json_str(&j, buf);
	} else {
		json_null(&j);
	}
	json_key(&j, "build");
	json_str(&j, build_kind(p));
	json_key(&j, "debug");
	json_bool(&j, !!(p->build & PYBUILD_DEBUG));
	json_key(&j, "stripped");
	json_bool(&j, !!(p->build & PYBUILD_STRIPPED));
	json_key(&j, "executable");
	json_str(&j, p->exe);
	json_key(&j, "libpython");
	if (p->libpython[0])
		json_str(&j, p->libpython);
	else
		json_null(&j);
	json_key(&j, "module");
	json_str(&j, p->module);
	json_key(&j, "build_id");
	if (p->build_id[0])
		json_str(&j, p->build_id);
	else
		json_null(&j);
	json_key(&j, "debug_file");
	if (p->debug_file[0])
		json_str(&j, p->debug_file);
	else
		json_null(&j);
	json_key(&j, "layout_cached");
	json_bool(&j, p->layout_cached);
	json_key(&j, "free_threaded");
	json_bool(&j, p->free_threaded);
	json_key(&j, "layout_verified");
	if (p->layout_patched)
		json_str(&j, layout_patches_checked);
	else
		json_null(&j);
	json_key(&j, "layout");
	json_begin_obj(&j);
	for (g = 0; g < layout_groups(p); g++) {
		layout_group_sources(&p->layout, g, buf, sizeof(buf));
		json_key(&j, layout_group_names[g]);
		json_str(&j, buf);
	}
	json_end_obj(&j);
	json_key(&j, "runtime");
	json_hex(&j, p->runtime);
	json_key(&j, "threads");
	json_int(&j, inf->threads);
	json_key(&j, "interpreters");
	json_begin_arr(&j);
	for (i = 0; i < inf->ninterp; i++) {
		const struct interp_info *ii = &inf->in[i];

		json_begin_obj(&j);
		json_key(&j, "address");
		json_hex(&j, ii->addr);
		json_key(&j, "id");
		json_int(&j, ii->id);
		json_key(&j, "threads");
		json_int(&j, ii->threads);
		json_key(&j, "gc");
		if (!ii->have_gc) {
			json_null(&j);
			json_end_obj(&j);
			continue;
		}
		json_begin_obj(&j);
		json_key(&j, "enabled");
		json_bool(&j, ii->gc.enabled);
		json_key(&j, "collecting");
		json_bool(&j, ii->gc.collecting);
		json_key(&j, "generations");
		json_begin_arr(&j);
		for (k = 0; k < 3; k++) {
			json_begin_obj(&j);
			json_key(&j, "count");
			json_int(&j, ii->gc.gen[k].count);
			json_key(&j, "threshold");
			json_int(&j, ii->gc.gen[k].threshold);
			json_key(&j, "objects");
			if (ii->gc.gen[k].objects >= 0)
				json_int(&j, ii->gc.gen[k].objects);
			else
				json_null(&j);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_key(&j, "permanent");
		if (ii->gc.permanent >= 0)
			json_int(&j, ii->gc.permanent);
		else
			json_null(&j);
		if (ii->gc.warning[0]) {
			json_key(&j, "warning");
			json_str(&j, ii->gc.warning);
		}
		json_end_obj(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	print_memory_json(&j, &inf->mem);
	json_key(&j, "pause_us");
	json_uint(&j, s->t->pause_ns / 1000);
	if (s->core) {
		json_key(&j, "core");
		json_str(&j, s->core);
	}
	if (p->warning[0] || inf->warning[0]) {
		json_key(&j, "warning");
		json_str(&j, p->warning[0] ? p->warning : inf->warning);
	}
	json_end_obj(&j);
	json_end(&j);
}

/* One word when every group came from the same sources, else a line per
 * group. */
static void print_layout_sources(const struct pyproc *p)
{
	char first[64], buf[64];
	int g, same = 1;

	layout_group_sources(&p->layout, 0, first, sizeof(first));
	for (g = 1; g < layout_groups(p) && same; g++) {
		layout_group_sources(&p->layout, g, buf, sizeof(buf));
		same = !strcmp(buf, first);
	}
	if (same) {
		printf("layout       %s (every group)\n", first);
		return;
	}
	for (g = 0; g < layout_groups(p); g++) {
		layout_group_sources(&p->layout, g, buf, sizeof(buf));
		printf("%s %-22s %s\n", g ? "            " : "layout      ", layout_group_names[g],
		       buf);
	}
}

static void print_text(const struct session *s, const struct info *inf)
{
	const struct pyproc *p = &s->py;
	int i, k;

	printf("pid          %d\n", (int)p->pid);
	printf("python       %s (%s build%s%s%s)\n", p->version, build_kind(p),
	       p->free_threaded ? ", free-threaded" : "",
	       (p->build & PYBUILD_DEBUG) ? ", debug" : "",
	       (p->build & PYBUILD_STRIPPED) ? ", stripped" : "");
	printf("executable   %s\n", p->exe);
	printf("libpython    %s\n", p->libpython[0] ? p->libpython : "-");
	printf("build-id     %s\n", p->build_id[0] ? p->build_id : "-");
	printf("debug info   %s%s\n", p->debug_file[0] ? p->debug_file : "-",
	       p->layout_cached ? " (layout cached)" : "");
	print_layout_sources(p);
	if (p->layout_patched)
		printf("verified     %s\n", layout_patches_checked);
	printf("_PyRuntime   0x%llx\n", (unsigned long long)p->runtime);
	for (i = 0; i < inf->ninterp; i++) {
		const struct interp_info *ii = &inf->in[i];

		printf("interpreter  %lld at 0x%llx: %ld thread%s\n", (long long)ii->id,
		       (unsigned long long)ii->addr, ii->threads, ii->threads == 1 ? "" : "s");
		if (!ii->have_gc)
			continue;
		printf("  gc         %s%s\n", ii->gc.enabled ? "enabled" : "disabled",
		       ii->gc.collecting ? ", collecting now" : "");
		for (k = 0; k < 3; k++) {
			printf("  gen%d       count %d / threshold %d", k, ii->gc.gen[k].count,
			       ii->gc.gen[k].threshold);
			if (ii->gc.gen[k].objects >= 0)
				printf(", %ld objects", ii->gc.gen[k].objects);
			putchar('\n');
		}
		if (ii->gc.permanent >= 0)
			printf("  permanent  %ld objects\n", ii->gc.permanent);
		if (ii->gc.warning[0])
			printf("  warning    %s\n", ii->gc.warning);
	}
	if (s->core)
		printf("core file    %s\n", s->core);
	else
		printf("pause        %.3f ms\n", s->t->pause_ns / 1e6);
	print_memory_text(&inf->mem);
	if (inf->warning[0])
		fprintf(stderr, "heapscope: warning: %s\n", inf->warning);
}

int info_print(struct session *s, const struct cmd_opts *o)
{
	struct info *inf = calloc(1, sizeof(*inf));

	if (!inf) {
		fputs("heapscope: out of memory\n", stderr);
		return hs_exit_status(HS_ENOMEM);
	}
	gather(s, inf);
	target_resume(s->t);
	if (o->json)
		print_json(s, inf);
	else
		print_text(s, inf);
	free(inf);
	return 0;
}

static const char *const mode_names[] = { "copy", "frozen", "live (--no-stop)", "core file" };

static int snapshot_info(const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;
	struct mem_breakdown mem;
	int have_mem;
	struct heap h;
	struct json j;
	const struct heap_meta *m;
	const char *mode;
	uint64_t total;
	char when[64];
	time_t t;
	struct tm tm;

	heap_init(&h);
	if (snapshot_load(&h, o->source, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	have_mem = !memory_from_bytes(h.mem, h.mem_len, &mem);
	m = &h.meta;
	mode = m->mode < 4 ? mode_names[m->mode] : "?";
	total = heap_total_size(&h);
	t = (time_t)m->capture_time;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	if (o->json) {
		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "snapshot");
		json_str(&j, o->source);
		json_key(&j, "pid");
		json_int(&j, m->pid);
		json_key(&j, "cmdline");
		json_str(&j, heap_str(&h, m->cmdline, NULL));
		json_key(&j, "exe");
		json_str(&j, heap_str(&h, m->exe, NULL));
		json_key(&j, "python");
		json_str(&j, heap_str(&h, m->version, NULL));
		json_key(&j, "capture_time");
		json_int(&j, m->capture_time);
		json_key(&j, "mode");
		json_str(&j, mode);
		json_key(&j, "pause_us");
		json_uint(&j, m->pause_ns / 1000);
		json_key(&j, "walk_us");
		json_uint(&j, m->walk_ns / 1000);
		json_key(&j, "copied_bytes");
		json_uint(&j, m->copied_bytes);
		json_key(&j, "objects");
		json_uint(&j, h.nobj);
		json_key(&j, "size");
		json_uint(&j, total);
		json_key(&j, "edges");
		json_uint(&j, h.nedge);
		json_key(&j, "types");
		json_uint(&j, h.ntype);
		json_key(&j, "roots");
		json_uint(&j, h.nroot);
		json_key(&j, "threads");
		json_uint(&j, h.nthread);
		json_key(&j, "warnings");
		json_uint(&j, m->warnings);
		json_key(&j, "first_warning");
		json_str(&j, heap_str(&h, m->warning, NULL));
		if (have_mem) {
			print_memory_json(&j, &mem);
		} else {
			json_key(&j, "memory");
			json_null(&j);
		}
		json_end_obj(&j);
		json_end(&j);
	} else {
		printf("Snapshot %s\n", o->source);
		printf("  process    %lld: %s\n", (long long)m->pid,
		       heap_str(&h, m->cmdline, NULL));
		printf("  executable %s\n", heap_str(&h, m->exe, NULL));
		printf("  python     %s\n", heap_str(&h, m->version, NULL));
		printf("  taken      %s, %s; target paused %.1f ms, walk %.1f ms\n", when, mode,
		       m->pause_ns / 1e6, m->walk_ns / 1e6);
		printf("  holds      %zu objects (%llu bytes), %zu references, %zu types, %zu roots, "
		       "%zu threads\n",
		       h.nobj, (unsigned long long)total, h.nedge, h.ntype, h.nroot, h.nthread);
		if (m->warnings)
			printf("  warnings   %u inconsistencies met (first: %s)\n", m->warnings,
			       heap_str(&h, m->warning, NULL));
		if (have_mem)
			print_memory_text(&mem);
		else
			printf("memory\n  not in this snapshot (format version 2 or older: no breakdown)\n");
	}
	heap_release(&h);
	return 0;
}

static int info_main(const struct command *c, int argc, char **argv)
{
	struct cmd_opts o;
	struct session s;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	/* not a process id: a file, refused as top refuses it if it is no
	 * snapshot */
	o.core = source_is_core(o.source);
	if (!o.core && !source_is_pid(o.source, &o.pid))
		return snapshot_info(&o);
	if (!o.core && cmd_source_pid(c, &o, &st))
		return st;
	st = session_open(&s, &o);
	if (st)
		return st;
	st = info_print(&s, &o);
	session_close(&s);
	return st;
}

const struct command command_info = {
	.name = "info",
	.run = info_main,
	.opts = OPT_SOURCE,
	.summary = "Python version, build, layout sources, interpreters, GC",
	.usage = usage,
};
