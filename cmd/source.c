/*
 * source.c - a heap graph from a PID (capture now) or a snapshot FILE,
 * and the objects in it a command is pointed at.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "walk/capture.h"
#include "target/image.h"
#include "cmd.h"
#include "heap/heap.h"
#include "heap/snapshot.h"
#include "analysis/query.h"

struct progress {
	int on;
	struct timespec last;
	int shown;
	const struct cmd_opts *o;
	pid_t pid;
	double since; /* the phase's start, for HEAPSCOPE_TIMING */
};

/* The phase that ends now, timed (HEAPSCOPE_TIMING), and the next begun. */
static void phase_done(struct progress *pr, const char *phase)
{
	cmd_timing(phase, pr->since);
	pr->since = cmd_clock();
}

static void progress_cb(void *ctx, size_t done, size_t found)
{
	struct progress *pr = ctx;
	struct timespec now;

	if (!pr->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - pr->last.tv_sec + (now.tv_nsec - pr->last.tv_nsec) / 1e9 < 0.1 &&
	    done < found)
		return;
	pr->last = now;
	fprintf(stderr, "\rheapscope: walking the heap: %zu of %zu objects found so far ", done,
		found);
	pr->shown = 1;
}

static void attached_cb(void *ctx, const struct pyproc *p)
{
	struct progress *pr = ctx;

	phase_done(pr, "attach, find the interpreter");
	if (p->t->proc && p->t->proc->warning[0] && !pr->o->json)
		fprintf(stderr, "heapscope: warning: %s\n", p->t->proc->warning);
	if (p->warning[0] && pr->on)
		fprintf(stderr, "heapscope: warning: %s\n", p->warning);
}

static void phase_cb(void *ctx, enum capture_phase phase, uint64_t bytes)
{
	struct progress *pr = ctx;

	phase_done(pr, phase == CAPTURE_WALKING ? "freeze, copy, let go"
						: "plan the copy, prefault its memory");
	if (phase == CAPTURE_WALKING) {
		cmd_test_hook("walking");
		return;
	}
	/* a walk of the frozen process lasts as long as the walk: said
	 * before it starts, whatever stderr is */
	if (phase == CAPTURE_FROZEN_WALK) {
		struct capture_options co = { .max_copy = pr->o->max_copy,
					      .max_memory = pr->o->max_memory };
		uint64_t budget = capture_copy_budget(&co);
		int by_memory = pr->o->max_memory && budget == pr->o->max_memory / 2;
		uint64_t est = capture_frozen_walk_ns(bytes), cap = pr->o->max_pause_ns;
		char size[32], bsize[32], t[32], c[32];

		if (pr->o->json)
			return;
		heap_size_text(bytes, size, sizeof(size));
		heap_size_text(budget, bsize, sizeof(bsize));
		cmd_duration_text(est, t, sizeof(t));
		cmd_duration_text(cap, c, sizeof(c));
		if (pr->shown)
			fputs("\r\033[K", stderr);
		pr->shown = 0;
		fprintf(stderr,
			"heapscope: warning: %s to read is over the copy budget (%s, %s): "
			"process %d stays frozen while it is walked, about %s",
			size, bsize, by_memory ? "half of --max-memory" : "--max-copy",
			(int)pr->pid, t);
		if (cap)
			fprintf(stderr,
				"; at %s it is let go and the walk reads on as it runs "
				"(--max-pause)\n",
				c);
		else
			fputs(" (--max-pause=0: for as long as it takes)\n", stderr);
		return;
	}
	/* a copy of gigabytes takes a while: say what is going on */
	if (pr->on && bytes >= (256u << 20)) {
		char size[32];

		heap_size_text(bytes, size, sizeof(size));
		fprintf(stderr, "\rheapscope: copying %s of the process's memory ", size);
		pr->shown = 1;
	}
}

long cmd_pid_max(void)
{
	long v = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	/* pid_max is one more than the largest pid; without /proc, the
	 * kernel's limit (PID_MAX_LIMIT) */
	return v > 1 && v <= INT_MAX ? v - 1 : (4L << 20) - 1;
}

int cmd_pid_parse(const char *s, pid_t *pid)
{
	unsigned long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno || v < 1 || v > (unsigned long long)cmd_pid_max())
		return -1;
	*pid = (pid_t)v;
	return 1;
}

/* A PID: digits only, and no file of that name here. */
int source_is_pid(const char *s, pid_t *pid)
{
	struct stat sb;

	return cmd_pid_parse(s, pid) == 1 && stat(s, &sb);
}

int source_is_core(const char *s)
{
	pid_t pid;

	return !source_is_pid(s, &pid) && target_core_sniff(s) == 1;
}

void cmd_duration_text(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000000000ull)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f s", ns / 1e9);
}

/* What a capture did to the process: how long it was frozen, and why. */
static void say_capture(const struct heap *h)
{
	const struct heap_meta *m = &h->meta;
	char pause[32], walk[32], size[32];

	cmd_duration_text(m->pause_ns, pause, sizeof(pause));
	cmd_duration_text(m->walk_ns, walk, sizeof(walk));
	heap_size_text(m->copied_bytes, size, sizeof(size));
	fprintf(stderr, "heapscope: capture: process %lld ", (long long)m->pid);
	if (m->mode == HC_CORE)
		fprintf(stderr, "read from its core file, walked in %s\n", walk);
	else if (m->mode == HC_COPY)
		fprintf(stderr, "paused %s to copy %s, walked in %s\n", pause, size, walk);
	else if (m->mode == HC_FROZEN)
		fprintf(stderr, "paused %s: walked frozen, over the copy budget\n", pause);
	else if (m->pause_ns)
		fprintf(stderr,
			"paused %s, then let go (--max-pause) and read running; walked "
			"in %s\n",
			pause, walk);
	else
		fprintf(stderr, "never paused (--no-stop), walked in %s\n", walk);
}

int source_open(const struct cmd_opts *o, struct heap *h)
{
	struct hs_error err = HS_ERROR_INIT;
	struct progress pr = { .on = !o->json && isatty(2), .o = o, .since = cmd_clock() };
	struct capture_options co = {
		.no_stop = o->no_stop,
		.max_copy = o->max_copy,
		.max_memory = o->max_memory,
		.max_pause_ns = o->max_pause_ns,
		.py = o->py,
		.walk = { .progress = progress_cb, .progress_ctx = &pr, .max_value = 64 << 10 },
		.attached = attached_cb,
		.phase = phase_cb,
		.ctx = &pr,
	};
	pid_t pid;
	int ret;

	heap_init(h);
	if (source_is_pid(o->source, &pid)) {
		clock_gettime(CLOCK_MONOTONIC, &pr.last);
		pr.pid = pid;
		cmd_test_hook("capturing");
		ret = capture_heap(pid, &co, h, &err);
		if (pr.shown)
			fputs("\r\033[K", stderr);
	} else if (source_is_core(o->source)) {
		co.sysroot = o->sysroot;
		clock_gettime(CLOCK_MONOTONIC, &pr.last);
		ret = capture_core(o->source, &co, h, &err);
		if (pr.shown)
			fputs("\r\033[K", stderr);
	} else {
		ret = snapshot_load(h, o->source, &err);
	}
	phase_done(&pr, source_is_pid(o->source, &pid) || source_is_core(o->source)
				? "walk, memory breakdown"
				: "load the file");
	if (!ret)
		ret = capture_limit_analyses(h, o->max_memory, &err);
	if (ret) {
		heap_release(h);
		return cmd_fail(&err);
	}
	if (!o->json && (source_is_pid(o->source, &pid) || h->meta.mode == HC_CORE))
		say_capture(h);
	if (!o->json && h->meta.mode == HC_LIVE && !h->meta.pause_ns)
		fprintf(stderr, "heapscope: warning: --no-stop: the target ran during the walk, "
				"so what follows may be inconsistent\n");
	if (!o->json && h->meta.warnings)
		fprintf(stderr,
			"heapscope: warning: %u inconsistenc%s met during the walk "
			"(first: %s)\n",
			h->meta.warnings, h->meta.warnings == 1 ? "y" : "ies",
			heap_str(h, h->meta.warning, NULL));
	return 0;
}

int source_recapture(const struct cmd_opts *o, struct heap *h, struct hs_error *err)
{
	struct capture_options co = {
		.no_stop = o->no_stop,
		.max_copy = o->max_copy,
		.max_memory = o->max_memory,
		.max_pause_ns = o->max_pause_ns,
		.py = o->py,
		.walk = { .max_value = 64 << 10 },
	};
	pid_t pid;

	if (!source_is_pid(o->source, &pid)) {
		hs_error_set(err, HS_EUSAGE, "'%s' is not a process", o->source);
		return -1;
	}
	return capture_heap(pid, &co, h, err);
}

uint32_t cmd_find_object(struct heap *h, uint64_t addr, unsigned need, int *st)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t i;

	/* one lookup: a scan, no index built */
	if (heap_prepare(h, need, &err)) {
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

uint32_t cmd_object_arg(const struct command *c, struct heap *h, const char *s, unsigned need,
			int *st)
{
	uint64_t addr;

	if (query_parse_addr(s, &addr)) {
		*st = cmd_usage_error(c, "%s: '%s' is not an address", c->name, s);
		return HEAP_NONE;
	}
	return cmd_find_object(h, addr, need, st);
}
