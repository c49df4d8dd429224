/*
 * capture.c - freeze, copy, resume, walk (see capture.h).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"
#include "python/gcinfo.h"
#include "python/memory.h"
#include "python/stacks.h"
#include "python/waits.h"
#include "target/block_cache.h"
#include "target/image.h"
#include "target/proc.h"

/* The command line of the process in h's strings, 0 if unreadable. */
static uint32_t cmdline_intern(struct heap *h, struct target *t)
{
	char buf[4096];
	ssize_t n = target_cmdline(t, buf, sizeof(buf));

	return n < 0 ? 0 : heap_intern(h, buf, (size_t)n);
}

static void fill_meta(struct heap *h, struct target *t, const struct pyproc *p, int64_t when)
{
	struct heap_meta *m = &h->meta;

	m->pid = t->pid;
	m->capture_time = when;
	m->py_major = (uint32_t)p->major;
	m->py_minor = (uint32_t)p->minor;
	m->py_micro = (uint32_t)(p->micro < 0 ? 0 : p->micro);
	m->cmdline = cmdline_intern(h, t);
	m->exe = heap_intern(h, p->exe, strlen(p->exe));
	m->version = heap_intern(h, p->version, strlen(p->version));
}

/* While a collection runs, its flag is read (without stopping the
 * target) every 0.2 ms, for 5 s at most: a full collection of a big heap
 * takes seconds */
#define GC_POLL_US 200
#define GC_WAIT_TOTAL_NS 5000000000ll
#define GC_WAIT_STOPS 50 /* a collection that starts again each time */

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
/* 1 if a garbage collection is running in any interpreter: its lists are
 * being rewritten and _gc_prev holds refcounts, so they cannot be walked. */
static int collecting(struct pyproc *p)
{
	uint64_t interp;
	size_t n = 0;

	if (pyproc_first_interp(p, &interp, NULL))
		return 0;
	while (interp && n++ < PYPROC_MAX_INTERPS) {
		if (gcinfo_collecting(p, interp))
			return 1;
		if (pyproc_next_interp(p, interp, &interp, NULL))
			break;
	}
	return 0;
}

/* Freeze the target outside of a garbage collection: while one runs, let
 * it go on, watch the collector's flag from outside until it drops, and
 * freeze it again then; *paused adds up the time of the stops given up. */
static int freeze(pid_t pid, struct pyproc *py, struct target *live, struct target **frozen,
		  uint64_t *paused, struct hs_error *err)
{
	int64_t start = now_ns(), deadline = start + GC_WAIT_TOTAL_NS;
	int tries;

	for (tries = 1;; tries++) {
		int busy;

		if (target_attach(frozen, pid, 0, err))
			return -1;
		py->t = *frozen;
		if (!collecting(py))
			return 0;
		target_resume(*frozen);
		*paused += (*frozen)->pause_ns;
		target_close(*frozen);
		*frozen = NULL;
		py->t = live;
		while ((busy = collecting(py)) && now_ns() < deadline)
			usleep(GC_POLL_US);
		/* a collection that starts again each time between the
		 * flag's drop and the freeze ends the wait too */
		if (busy || now_ns() >= deadline || tries == GC_WAIT_STOPS) {
			hs_error_set(err, HS_EBUSY,
				     "process %d was inside a garbage collection "
				     "for the %.1f s heapscope waited (stopped %d time%s)",
				     (int)pid, (now_ns() - start) / 1e9, tries,
				     tries == 1 ? "" : "s");
			hs_error_hint(err, "try again; with --no-stop heapscope walks it anyway, "
					   "at the risk of an inconsistent result");
			return -1;
		}
	}
}

#define FROZEN_BYTES_PER_S (32ull << 20)

uint64_t capture_frozen_walk_ns(uint64_t bytes)
{
	return bytes / FROZEN_BYTES_PER_S * 1000000000ull +
	       bytes % FROZEN_BYTES_PER_S * 1000000000ull / FROZEN_BYTES_PER_S;
}

/* The walk's progress, passed on; on the way, a frozen process is let
 * go once it has been frozen for max_pause_ns. */
struct pause_guard {
	const struct capture_options *o;
	struct walk_options *wo; /* the walk's: says when it was let go */
	struct target *frozen;
	int64_t deadline; /* 0: none */
	int released;
};

static void guard_progress(void *ctx, size_t done, size_t found)
{
	struct pause_guard *g = ctx;

	if (g->deadline && !g->released && now_ns() >= g->deadline) {
		target_resume(g->frozen);
		/* as --no-stop reads a process too big to copy */
		g->frozen->flags |= TARGET_CACHE_LIVE;
		g->released = 1;
		g->wo->warning = "the process was let go at --max-pause: the rest of the "
				 "walk read it as it ran";
	}
	if (g->o->walk.progress)
		g->o->walk.progress(g->o->walk.progress_ctx, done, found);
}

/* What to do when --max-memory is too small. */
#define MAX_MEMORY_HINT \
	"raise --max-memory: a capture takes the bytes it copies and some 60 more per object"

/* What the threads wait for (from the copy when there is one: no pause
 * for it), then the walk, which keeps both.  Whatever read found the
 * process gone first, it exited during the capture. */
static int walk_threads_heap(struct pyproc *py, struct stacks *st, struct heap *h,
			     const struct walk_options *wo, struct hs_error *err)
{
	if (!waits_read(py, st, err) && !walk_heap(py, st, h, wo, err))
		return 0;
	if (h->over_limit) {
		hs_error_clear(err);
		hs_error_set(err, HS_ENOMEM,
			     "the heap graph outgrew --max-memory after %zu objects: capture "
			     "given up",
			     h->nobj);
		hs_error_hint(err, MAX_MEMORY_HINT);
	} else if (err->code == HS_EGONE) {
		hs_error_clear(err);
		hs_error_set(err, HS_EGONE, "process %d exited during the capture", (int)py->pid);
	}
	return -1;
}

/* The threads' stack pointers, while frozen (for the breakdown). */
struct sp_list {
	uint64_t v[1024];
	size_t n;
};

/* The memory breakdown, after the walk: allocator state through py->t
 * (the copy, or the core), mappings from maps_of, resident bytes of the
 * live process pid (0: none), and the walk's totals. */
static void capture_memory(struct pyproc *py, struct target *maps_of, pid_t pid,
			   const struct sp_list *sps, struct heap *h)
{
	struct mem_breakdown *mb = calloc(1, sizeof(*mb));
	struct maps m = { 0 };
	size_t i;

	if (!mb)
		return;
	if (target_maps(maps_of, &m, NULL))
		memset(&m, 0, sizeof(m));
	memory_breakdown(py, &m, pid, sps->v, sps->n, mb);
	maps_release(&m);
	mb->objects = mb->estimated = 0;
	for (i = 0; i < h->nobj; i++) {
		uint64_t sz = heap_size(h, (uint32_t)i);

		mb->objects += sz;
		if (h->flags[i] & HO_SIZE_EST)
			mb->estimated += sz;
	}
	mb->buffers = h->buffer_bytes;
	mb->flags |= MEM_WALKED;
	h->mem = h->mem_owned = mb;
	h->mem_len = sizeof(*mb);
}

uint64_t capture_copy_budget(const struct capture_options *o)
{
	uint64_t b = o->max_copy ? o->max_copy : image_default_budget();

	return o->max_memory && o->max_memory / 2 < b ? o->max_memory / 2 : b;
}

uint64_t capture_self_rss(void)
{
	static const char *const keys[] = { "VmRSS" };
	long long kb[1];

	return proc_status_fields(getpid(), keys, kb, 1) == 1 && kb[0] > 0 ? (uint64_t)kb[0] * 1024
									   : 0;
}

/* Under --max-memory, what the graph may take: what is left of it now
 * (the copy made, or the block cache a walk of the process fills to
 * TARGET_CACHE_MAX).  At least a byte, so that a bound already passed
 * stops the walk at its first object. */
static void limit_graph(const struct capture_options *o, struct heap *h, int cached)
{
	uint64_t used;

	if (!o->max_memory)
		return;
	used = capture_self_rss() + (cached ? TARGET_CACHE_MAX : 0);
	h->build_limit = o->max_memory > used + 1 ? o->max_memory - used : 1;
}

int capture_limit_analyses(struct heap *h, uint64_t max_memory, struct hs_error *err)
{
	uint64_t used;
	char a[32], b[32];

	if (!max_memory)
		return 0;
	if (h->mapping && h->mapping_len >= max_memory) {
		heap_size_text(h->mapping_len, a, sizeof(a));
		heap_size_text(max_memory, b, sizeof(b));
		hs_error_set(err, HS_ENOMEM, "the snapshot takes %s mapped, past --max-memory=%s",
			     a, b);
		hs_error_hint(err, "raise --max-memory above the file's size: it is mapped whole");
		return -1;
	}
	/* a capture kept to the bound may have passed it by a little (the
	 * allocator's own, a sanitizer's): then nothing more is built */
	used = capture_self_rss();
	h->build_limit = max_memory > used + 1 ? max_memory - used : 1;
	h->build_bytes = 0;
	h->over_limit = 0;
	return 0;
}

/* Before anything is frozen or copied: whether --max-memory leaves room
 * for the copy (or the block cache) and some graph; -1 with err if not. */
static int memory_room(const struct capture_options *o, int over, uint64_t copy,
		       struct hs_error *err)
{
	uint64_t used = capture_self_rss(), need = over ? TARGET_CACHE_MAX : copy;
	char a[32], b[32];

	if (!o->max_memory || used + need < o->max_memory)
		return 0;
	heap_size_text(used, a, sizeof(a));
	heap_size_text(need, b, sizeof(b));
	hs_error_set(err, HS_ENOMEM,
		     "--max-memory leaves nothing for the heap graph: heapscope takes %s already, "
		     "and %s %s",
		     a, over ? "reading the process through its cache" : "the copy", b);
	hs_error_hint(err, MAX_MEMORY_HINT);
	return -1;
}

int capture_heap(pid_t pid, const struct capture_options *o, struct heap *h, struct hs_error *err)
{
	struct target *live = NULL, *frozen = NULL, *image = NULL;
	struct image_plan plan = { 0 };
	struct stacks st = { 0 };
	struct pyproc py;
	int have_py = 0, ret = -1, over = 0;
	uint64_t copied = 0, paused = 0;
	struct timespec t0, t1;
	int dead_in_copy = 0;
	uint64_t payload[2];
	static struct sp_list sps;

	if (target_attach(&live, pid, TARGET_NO_STOP, err))
		return -1;
	if (pyproc_open(&py, live, &o->py, err))
		goto out;
	have_py = 1;
	if (o->attached)
		o->attached(o->ctx, &py);
	fill_meta(h, live, &py, (int64_t)time(NULL));

	payload[0] = py.bytes_type;
	payload[1] = py.unicode_type;
	over = image_plan(pid, capture_copy_budget(o), payload, 2, &plan, err);
	if (over < 0 || memory_room(o, over, plan.total, err))
		goto out;
	if (o->phase && !over)
		o->phase(o->ctx, CAPTURE_COPYING, plan.total);
	else if (o->phase && !o->no_stop)
		o->phase(o->ctx, CAPTURE_FROZEN_WALK, plan.total);
	if (o->no_stop) {
		/* never stopped: copy what we can as it runs (the copy is then
		 * as inconsistent as the target changes in those milliseconds,
		 * but the walk reads it millions of times faster than the live
		 * process) */
		h->meta.mode = HC_LIVE;
		if (stacks_read(&py, &st, err))
			goto out;
		if (!over) {
			if (image_copy(pid, &plan, &image, &copied, err))
				goto out;
			dead_in_copy = proc_exited(pid);
			h->meta.copied_bytes = copied;
			py.t = image;
		} else {
			/* too big to copy: read it live, a page at a time */
			live->flags |= TARGET_CACHE_LIVE;
		}
		if (o->phase)
			o->phase(o->ctx, CAPTURE_WALKING, 0);
		limit_graph(o, h, over);
		ret = walk_threads_heap(&py, &st, h, &o->walk, err);
		if (!ret)
			capture_memory(&py, live, pid, &(struct sp_list){ .n = 0 }, h);
		goto out;
	}
	if (freeze(pid, &py, live, &frozen, &paused, err))
		goto out;
	if (stacks_read(&py, &st, err))
		goto out;
	sps.n = memory_stack_pointers(frozen, sps.v, sizeof(sps.v) / sizeof(sps.v[0]));
	if (over) {
		/* too big to copy: walk while frozen, through the block
		 * cache, for max_pause_ns at most */
		struct walk_options wo = o->walk;
		struct pause_guard g = { .o = o, .wo = &wo, .frozen = frozen };

		if (o->max_pause_ns)
			g.deadline = now_ns() + (int64_t)o->max_pause_ns;
		wo.progress = guard_progress;
		wo.progress_ctx = &g;
		h->meta.mode = HC_FROZEN;
		if (o->phase)
			o->phase(o->ctx, CAPTURE_WALKING, 0);
		limit_graph(o, h, 1);
		ret = walk_threads_heap(&py, &st, h, &wo, err);
		if (!ret)
			capture_memory(&py, live, pid, &sps, h);
		target_resume(frozen);
		h->meta.pause_ns = paused + frozen->pause_ns;
		if (g.released)
			h->meta.mode = HC_LIVE;
		goto out;
	}
	h->meta.mode = HC_COPY;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (image_copy(pid, &plan, &image, &copied, err))
		goto out;
	dead_in_copy = proc_exited(pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	h->meta.copy_us =
		(uint32_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
	target_resume(frozen);
	h->meta.pause_ns = paused + frozen->pause_ns;
	h->meta.copied_bytes = copied;
	py.t = image;
	if (o->phase)
		o->phase(o->ctx, CAPTURE_WALKING, 0);
	limit_graph(o, h, 0);
	ret = walk_threads_heap(&py, &st, h, &o->walk, err);
	if (!ret)
		capture_memory(&py, live, pid, &sps, h);
out:
	/* a process that died while it was read (walked frozen or live, or
	 * during the copy) leaves reads that failed: say so rather than
	 * show a part of its heap */
	if (!ret && (image ? dead_in_copy : proc_exited(pid)))
		ret = hs_error_set(err, HS_EGONE, "process %d exited during the capture", (int)pid);
	else if (ret)
		proc_blame_exit(pid, err);
	if (have_py) {
		py.t = live;
		pyproc_release(&py);
	}
	stacks_release(&st);
	image_plan_release(&plan);
	target_close(image);
	target_close(frozen);
	target_close(live);
	return ret;
}

int capture_core(const char *path, const struct capture_options *o, struct heap *h,
		 struct hs_error *err)
{
	struct target *core = NULL;
	struct stacks st = { 0 };
	struct pyproc py;
	struct stat sb;
	int ret = -1;

	if (target_core_open(&core, path, o->sysroot, err))
		return -1;
	if (pyproc_open(&py, core, &o->py, err))
		goto out;
	if (o->attached)
		o->attached(o->ctx, &py);
	/* when the process was as the core shows it: when the core was
	 * written */
	fill_meta(h, core, &py, stat(path, &sb) ? (int64_t)time(NULL) : (int64_t)sb.st_mtime);
	h->meta.mode = HC_CORE;
	if (stacks_read(&py, &st, err))
		goto out_py;
	if (o->phase)
		o->phase(o->ctx, CAPTURE_WALKING, 0);
	ret = walk_threads_heap(&py, &st, h, &o->walk, err);
	if (ret) {
		target_core_explain(core, err);
	} else {
		static struct sp_list sps;

		sps.n = memory_stack_pointers(core, sps.v, sizeof(sps.v) / sizeof(sps.v[0]));
		capture_memory(&py, core, 0, &sps, h);
	}
out_py:
	pyproc_release(&py);
out:
	stacks_release(&st);
	target_close(core);
	return ret;
}
