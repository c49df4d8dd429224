/*
 * stacks.c - heapscope stacks: the Python stack of every thread, with
 * --native its C frames too; from a snapshot, the stacks it keeps.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "analysis/threads.h"
#include "heap/heap.h"
#include "heap/snapshot.h"
#include "json.h"
#include "python/locals.h"
#include "python/source.h"
#include "python/stacks.h"
#include "python/unwind.h"
#include "python/waits.h"
#include "target/proc.h"

static const char usage[] =
	"usage: heapscope stacks [--native] [--locals] [--no-group] [--subprocesses]\n"
	"                        [--json] [--layout=SOURCE] [--debug-dir=DIR] PID|FILE\n"
	"\n"
	"Print the Python stack of every thread of process PID, innermost frame\n"
	"first: function, file and line; the thread's id and name, whether it holds\n"
	"the GIL, and the system call it waits in; for a thread blocked on a lock,\n"
	"the lock and who holds it, and every deadlock first.  The target is frozen\n"
	"only while its stacks are read.  From a snapshot FILE: the stacks it was\n"
	"taken with.\n"
	"\n"
	"  --native           merge each thread's native (C) frames with its Python\n"
	"                     frames (libunwind)\n"
	"  -l, --locals       each Python frame's arguments and local variables,\n"
	"                     with short values (read while the target is frozen)\n"
	"  --no-group         print each thread, also those whose stacks are alike\n"
	"                     (by default printed once, with the list of threads)\n"
	"  --subprocesses     also every Python descendant of PID (workers, reloader\n"
	"                     children), one after the other; the others are listed\n"
	"  --json             one JSON object on stdout\n"
	"  --layout=SOURCE    auto, debug-offsets, dwarf or table\n"
	"  --debug-dir=DIR    directory of separate debug files (default /usr/lib/debug)\n"
	"  --no-cache         do not use the layout cache\n";

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* What the printers say of where the stacks come from. */
struct stacks_origin {
	pid_t pid;
	const char *version;
	uint64_t pause_ns;
	const char *warning;  /* or "" */
	const char *snapshot; /* the file they were read from, or NULL */
	const char *core;     /* the core file they were read from, or NULL */
	struct sources *src;  /* the source lines, or NULL */
	int group;	      /* threads with alike stacks printed once */
};

#define SOURCE_TEXT 512 /* a source line shown */

#define MAX_CYCLE 64	   /* threads named in one deadlock */
#define DEADLOCK_TEXT 8192 /* one deadlock in words */

/* Each deadlock once (from its first thread), in words. */
static void print_deadlocks(FILE *f, const struct stacks *st)
{
	char text[DEADLOCK_TEXT];
	size_t i;

	for (i = 0; i < st->nthreads; i++)
		if (waits_deadlock_words(st, i, text, sizeof(text)))
			fprintf(f, "\ndeadlock: %s\n", text);
}

/* What a thread blocked on a lock waits for, and who holds it. */
static void print_wait(FILE *f, const struct stacks *st, const struct stack_thread *th)
{
	const struct lock_wait *w = &th->wait;

	if (!w->lock)
		return;
	fprintf(f, "    waits for %s 0x%llx", waits_lock_kind(w), (unsigned long long)w->lock);
	if (w->rlock)
		fprintf(f, " (count %llu)", (unsigned long long)w->count);
	if (w->via[0])
		fprintf(f, " in %s", w->via);
	fprintf(f, "\n");
	if (w->holder >= 0) {
		const struct stack_thread *h = &st->threads[w->holder];

		fprintf(f, "      held by thread %d \"%s\"%s%s: %s\n", (int)h->tid,
			h->name[0] ? h->name : "?", w->holder_at[0] ? " at " : "", w->holder_at,
			w->how);
	} else {
		fprintf(f, "      %s\n", w->how);
	}
}

/* A Python frame's source line, under it. */
static void print_source(FILE *f, const struct stacks_origin *s, const struct stack_frame *fr)
{
	char text[SOURCE_TEXT];
	int changed;

	if (s->src && !sources_line(s->src, fr->file, fr->line, text, sizeof(text), &changed))
		fprintf(f, "        %s%s\n", text,
			changed ? "    [the file changed since the process started]" : "");
}

/* --locals: a frame's arguments, then its other variables. */
static void print_vars(FILE *f, const struct stack_frame *fr)
{
	size_t i;
	int pass;

	for (pass = 1; pass >= 0; pass--) {
		int first = 1;

		for (i = 0; i < fr->nvars; i++) {
			if (fr->vars[i].arg != pass)
				continue;
			if (first)
				fprintf(f, "        %s:\n", pass ? "Arguments" : "Locals");
			first = 0;
			fprintf(f, "            %s = %s\n", fr->vars[i].name, fr->vars[i].value);
		}
	}
}

/* Whether threads a and b print alike: the same frames (kind, function,
 * file, line; a native frame's address) and system call, and neither
 * waits for a lock, has a warning or shows variables. */
static int alike(const struct stack_thread *a, const struct stack_thread *b)
{
	size_t k;

	if (a->nframes != b->nframes || strcmp(a->syscall, b->syscall) || a->wait.lock ||
	    b->wait.lock || a->warning[0] || b->warning[0])
		return 0;
	for (k = 0; k < a->nframes; k++) {
		const struct stack_frame *x = &a->frames[k], *y = &b->frames[k];

		if (x->kind != y->kind || x->line != y->line || x->vars || y->vars ||
		    strcmp(x->function, y->function) || strcmp(x->file, y->file) ||
		    (x->kind == FRAME_NATIVE && x->addr != y->addr))
			return 0;
	}
	return 1;
}

static void thread_line(FILE *f, const char *indent, const struct stack_thread *th)
{
	fprintf(f, "%sThread %d \"%s\" (%s) ident 0x%llx%s%s", indent, (int)th->tid,
		th->name[0] ? th->name : "?", th->os_name[0] ? th->os_name : "?",
		(unsigned long long)th->thread_id, th->main ? ", main thread" : "",
		th->gil == 1 ? ", holds the GIL" : "");
}

static void print_frames(FILE *f, const struct stacks_origin *s, const struct stack_thread *th)
{
	size_t k;

	for (k = 0; k < th->nframes; k++) {
		const struct stack_frame *fr = &th->frames[k];

		if (fr->kind == FRAME_NATIVE && strcmp(fr->function, "??")) {
			fprintf(f, "    %s+0x%llx (%s) [native]\n", fr->function,
				(unsigned long long)fr->offset, base_name(fr->file));
			continue;
		}
		if (fr->kind == FRAME_NATIVE) {
			fprintf(f, "    0x%llx (%s) [native]\n", (unsigned long long)fr->addr,
				base_name(fr->file));
			continue;
		}
		if (fr->line >= 0)
			fprintf(f, "    %s (%s, line %d)\n",
				fr->qualname[0] ? fr->qualname : fr->function, fr->file, fr->line);
		else
			fprintf(f, "    %s (%s)\n", fr->qualname[0] ? fr->qualname : fr->function,
				fr->file);
		print_source(f, s, fr);
		print_vars(f, fr);
	}
	if (th->warning[0])
		fprintf(f, "    warning: %s\n", th->warning);
}

static void print_text(FILE *f, const struct stacks_origin *s, const struct stacks *st)
{
	unsigned char *done = calloc(st->nthreads ? st->nthreads : 1, 1);
	size_t i, j, n;

	fprintf(f, "Process %d: Python %s\n", (int)s->pid, s->version);
	print_deadlocks(f, st);
	for (i = 0; i < st->nthreads; i++) {
		const struct stack_thread *th = &st->threads[i];

		if (done && done[i])
			continue;
		for (j = i + 1, n = 1; done && s->group && j < st->nthreads; j++)
			n += !done[j] && alike(th, &st->threads[j]);
		if (n > 1) {
			/* alike threads: listed, then their stack once */
			fprintf(f, "\n%zu threads with this stack%s%s:\n", n,
				th->syscall[0] ? ", waiting in " : "", th->syscall);
			for (j = i; j < st->nthreads; j++)
				if (j == i || (!done[j] && alike(th, &st->threads[j]))) {
					done[j] = 1;
					thread_line(f, "  ", &st->threads[j]);
					fprintf(f, "\n");
				}
			print_frames(f, s, th);
			continue;
		}
		fprintf(f, "\n");
		thread_line(f, "", th);
		fprintf(f, "%s%s%s\n", th->syscall[0] ? ", waiting in " : "", th->syscall,
			th->nframes ? "" : ", no Python frames");
		print_wait(f, st, th);
		print_frames(f, s, th);
	}
	free(done);
	if (s->snapshot)
		fprintf(f, "\nfrom snapshot %s (the target was paused %.3f ms)\n", s->snapshot,
			s->pause_ns / 1e6);
	else if (s->core)
		fprintf(f, "\nfrom core file %s\n", s->core);
	else
		fprintf(f, "\npaused the target for %.3f ms\n", s->pause_ns / 1e6);
}

static void json_source(struct json *j, const struct stacks_origin *s, const struct stack_frame *fr)
{
	char text[SOURCE_TEXT];
	int changed = 0, ok;

	ok = s->src && !sources_line(s->src, fr->file, fr->line, text, sizeof(text), &changed);
	json_key(j, "source");
	if (ok)
		json_str(j, text);
	else
		json_null(j);
	json_key(j, "source_changed");
	json_bool(j, changed);
}

static void json_vars(struct json *j, const struct stack_frame *fr)
{
	size_t i;

	json_key(j, "locals");
	json_begin_arr(j);
	for (i = 0; i < fr->nvars; i++) {
		json_begin_obj(j);
		json_key(j, "name");
		json_str(j, fr->vars[i].name);
		json_key(j, "value");
		json_str(j, fr->vars[i].value);
		json_key(j, "address");
		json_hex(j, fr->vars[i].addr);
		json_key(j, "arg");
		json_bool(j, fr->vars[i].arg);
		json_end_obj(j);
	}
	json_end_arr(j);
}

static void json_thread_ref(struct json *j, const struct stack_thread *th)
{
	json_begin_obj(j);
	json_key(j, "native_id");
	json_int(j, th->tid);
	json_key(j, "name");
	if (th->name[0])
		json_str(j, th->name);
	else
		json_null(j);
	json_end_obj(j);
}

static void json_wait(struct json *j, const struct stacks *st, const struct stack_thread *th)
{
	const struct lock_wait *w = &th->wait;

	if (!w->lock) {
		json_null(j);
		return;
	}
	json_begin_obj(j);
	json_key(j, "address");
	json_hex(j, w->lock);
	json_key(j, "type");
	json_str(j, waits_lock_kind(w));
	if (w->rlock) {
		json_key(j, "count");
		json_uint(j, w->count);
		json_key(j, "owner_ident");
		json_uint(j, w->owner);
	}
	json_key(j, "via");
	if (w->via[0])
		json_str(j, w->via);
	else
		json_null(j);
	json_key(j, "holder");
	if (w->holder >= 0)
		json_thread_ref(j, &st->threads[w->holder]);
	else
		json_null(j);
	json_key(j, "held_at");
	if (w->holder_at[0])
		json_str(j, w->holder_at);
	else
		json_null(j);
	json_key(j, "how");
	json_str(j, w->how);
	json_end_obj(j);
}

/* Every deadlock once: its threads in wait order. */
static void json_deadlocks(struct json *j, const struct stacks *st)
{
	size_t cyc[MAX_CYCLE], i, k, n, m;

	json_begin_arr(j);
	for (i = 0; i < st->nthreads; i++) {
		n = waits_cycle(st, i, cyc, MAX_CYCLE);
		for (m = 1; m < n && cyc[m] > i; m++)
			;
		if (!n || m < n)
			continue;
		json_begin_arr(j);
		for (k = 0; k < n; k++)
			json_thread_ref(j, &st->threads[cyc[k]]);
		json_end_arr(j);
	}
	json_end_arr(j);
}

static void print_json(const struct stacks_origin *s, const struct stacks *st)
{
	struct json j;
	size_t i, k;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_key(&j, "pid");
	json_int(&j, s->pid);
	json_key(&j, "python");
	json_str(&j, s->version);
	json_key(&j, "pause_us");
	json_uint(&j, s->pause_ns / 1000);
	if (s->core) {
		json_key(&j, "core");
		json_str(&j, s->core);
	}
	if (s->snapshot) {
		json_key(&j, "snapshot");
		json_str(&j, s->snapshot);
	}
	json_key(&j, "deadlocks");
	json_deadlocks(&j, st);
	json_key(&j, "threads");
	json_begin_arr(&j);
	for (i = 0; i < st->nthreads; i++) {
		const struct stack_thread *th = &st->threads[i];

		json_begin_obj(&j);
		json_key(&j, "thread_id");
		json_uint(&j, th->thread_id);
		json_key(&j, "native_id");
		json_int(&j, th->tid);
		json_key(&j, "name");
		if (th->name[0])
			json_str(&j, th->name);
		else
			json_null(&j);
		json_key(&j, "os_name");
		json_str(&j, th->os_name);
		json_key(&j, "main");
		json_bool(&j, th->main);
		json_key(&j, "gil");
		if (th->gil < 0)
			json_null(&j);
		else
			json_bool(&j, th->gil);
		json_key(&j, "syscall");
		if (th->syscall[0])
			json_str(&j, th->syscall);
		else
			json_null(&j);
		json_key(&j, "waits_for");
		json_wait(&j, st, th);
		json_key(&j, "frames");
		json_begin_arr(&j);
		for (k = 0; k < th->nframes; k++) {
			const struct stack_frame *fr = &th->frames[k];

			json_begin_obj(&j);
			json_key(&j, "kind");
			json_str(&j, fr->kind == FRAME_NATIVE ? "native" : "python");
			json_key(&j, "function");
			json_str(&j, fr->function);
			if (fr->kind == FRAME_NATIVE) {
				json_key(&j, "file");
				json_str(&j, fr->file);
				json_key(&j, "address");
				json_hex(&j, fr->addr);
				json_key(&j, "offset");
				json_uint(&j, fr->offset);
			} else {
				json_key(&j, "qualname");
				json_str(&j, fr->qualname[0] ? fr->qualname : fr->function);
				json_key(&j, "file");
				json_str(&j, fr->file);
				json_key(&j, "line");
				json_int(&j, fr->line);
				json_source(&j, s, fr);
				if (fr->vars)
					json_vars(&j, fr);
			}
			json_end_obj(&j);
		}
		json_end_arr(&j);
		if (th->warning[0]) {
			json_key(&j, "warning");
			json_str(&j, th->warning);
		}
		json_end_obj(&j);
	}
	json_end_arr(&j);
	if (s->warning[0]) {
		json_key(&j, "warning");
		json_str(&j, s->warning);
	}
	json_end_obj(&j);
	json_end(&j);
}

/* Print the stacks of a live process, with its source lines (read once
 * it runs again). */
void stacks_print(const struct session *s, const struct cmd_opts *o, const struct stacks *st)
{
	struct sources src;
	struct stacks_origin og = { .pid = s->py.pid,
				    .version = s->py.version,
				    .pause_ns = s->t->pause_ns,
				    .warning = s->py.warning,
				    .core = s->core,
				    .src = &src,
				    .group = !o->no_group };

	sources_init(&src, s->py.pid, s->t->proc ? s->t->proc->root : NULL);
	if (o->json)
		print_json(&og, st);
	else
		print_text(stdout, &og, st);
	sources_release(&src);
}

/* The threads a snapshot keeps, as stacks (Python frames only), with
 * what they wait for (a snapshot of version 2). */
static int from_snapshot(const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;
	struct stacks st = { 0 };
	struct heap h;
	char version[32];
	int ret = 0;

	heap_init(&h);
	if (snapshot_load(&h, o->source, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (threads_from_heap(&h, &st, &err)) {
		ret = cmd_fail(&err);
	} else {
		struct stacks_origin og = { .pid = (pid_t)h.meta.pid,
					    .version = version,
					    .pause_ns = h.meta.pause_ns,
					    .warning = "",
					    .snapshot = o->source,
					    .group = !o->no_group };

		snprintf(version, sizeof(version), "%s", heap_str(&h, h.meta.version, NULL));
		if (o->json)
			print_json(&og, &st);
		else
			print_text(stdout, &og, &st);
	}
	stacks_release(&st);
	heap_release(&h);
	return ret;
}

/* --locals: every Python frame's variables, while frozen.  A frame
 * whose code cannot be read (or no memory for its variables) shows
 * none. */
static void read_vars(struct session *s, struct stacks *st)
{
	size_t i, k;

	for (i = 0; i < st->nthreads; i++)
		for (k = 0; k < st->threads[i].nframes; k++) {
			struct stack_frame *fr = &st->threads[i].frames[k];

			if (fr->kind == FRAME_PYTHON)
				frame_vars(&s->py, fr, &fr->vars, &fr->nvars);
		}
}

/* Read (and with --native unwind) while frozen, resume, then print. */
int stacks_run(struct session *s, const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;
	struct native_stacks *ns = NULL;
	struct stacks st;

	double t0 = cmd_clock();

	memset(&st, 0, sizeof(st));
	if (stacks_read(&s->py, &st, &err)) {
		target_core_explain(s->t, &err);
		return cmd_fail(&err);
	}
	cmd_timing("stacks read (frozen)", t0);
	t0 = cmd_clock();
	if (waits_read(&s->py, &st, &err)) {
		stacks_release(&st);
		return cmd_fail(&err);
	}
	cmd_timing("waits read (frozen)", t0);
	if (o->locals)
		read_vars(s, &st);
	if (o->native && unwind_read(&s->py, &st, &ns, &err)) {
		stacks_release(&st);
		return cmd_fail(&err);
	}
	/* symbols and merging need the target no longer */
	target_resume(s->t);
	if (ns) {
		int r = unwind_merge(&s->py, &st, ns, &err);

		unwind_free(ns);
		if (r) {
			stacks_release(&st);
			return cmd_fail(&err);
		}
	}
	stacks_print(s, o, &st);
	stacks_release(&st);
	return 0;
}

/* A descendant that gave no stacks, and why. */
struct skipped {
	pid_t pid, parent;
	char why[200];
};

static void skip_note(struct skipped *sk, size_t *n, pid_t pid, pid_t parent, const char *why)
{
	sk[*n].pid = pid;
	sk[*n].parent = parent;
	snprintf(sk[*n].why, sizeof(sk[*n].why), "%s", why);
	(*n)++;
}

/*
 * --subprocesses: PID, then each of its descendants, parents first;
 * those that are no Python (a shell between), or cannot be read, are
 * listed at the end with why.  JSON: {"processes": [stacks of each],
 * "skipped": [...]}.  Exit status 0 when one process at least was
 * read, else what PID itself failed with.
 */
static int with_subprocesses(struct cmd_opts *o)
{
	pid_t *kids = NULL, *parents = NULL, root = o->pid;
	long n = proc_descendants(root, &kids, &parents), k;
	struct skipped *sk;
	size_t nsk = 0, done = 0;
	int first_st = 0;

	if (n < 0)
		n = 0;
	sk = calloc((size_t)n + 1, sizeof(*sk));
	if (!sk) {
		free(kids);
		free(parents);
		fputs("heapscope: out of memory\n", stderr);
		return hs_exit_status(HS_ENOMEM);
	}
	if (o->json)
		fputs("{\"processes\": [", stdout);
	for (k = -1; k < n; k++) {
		struct hs_error err = HS_ERROR_INIT;
		pid_t pid = k < 0 ? root : kids[k], parent = k < 0 ? 0 : parents[k];
		struct session s;

		o->pid = pid;
		if (session_try(&s, o, &err)) {
			if (k < 0)
				first_st = hs_exit_status(err.code);
			skip_note(sk, &nsk, pid, parent,
				  err.code == HS_ENOTPYTHON ? "not Python" : err.msg);
			continue;
		}
		if (s.py.warning[0] && !o->json)
			fprintf(stderr, "heapscope: warning: process %d: %s\n", (int)pid,
				s.py.warning);
		fflush(stdout);
		if (o->json && done)
			fputs(",", stdout);
		else if (!o->json && k >= 0)
			printf("\n======== process %d, child of %d\n", (int)pid, (int)parent);
		if (!stacks_run(&s, o))
			done++;
		session_close(&s);
	}
	if (o->json) {
		size_t i;

		fputs("], \"skipped\": [", stdout);
		for (i = 0; i < nsk; i++) {
			printf("%s{\"pid\": %d, \"parent\": %d, \"why\": ", i ? ", " : "",
			       (int)sk[i].pid, (int)sk[i].parent);
			json_put_strn(stdout, sk[i].why, strlen(sk[i].why));
			fputs("}", stdout);
		}
		fputs("]}\n", stdout);
	} else if (nsk) {
		size_t i;

		printf("\n%zu process%s without Python stacks:\n", nsk, nsk == 1 ? "" : "es");
		for (i = 0; i < nsk; i++) {
			char cmd[120];

			if (proc_cmdline(sk[i].pid, cmd, sizeof(cmd)) < 0)
				snprintf(cmd, sizeof(cmd), "?");
			printf("  %d (%s): %s\n", (int)sk[i].pid, cmd, sk[i].why);
		}
	}
	free(sk);
	free(kids);
	free(parents);
	return done ? 0 : first_st ? first_st : 1;
}

static int stacks_main(const struct command *c, int argc, char **argv)
{
	struct cmd_opts o;
	struct session s;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	o.core = source_is_core(o.source);
	if (o.core && o.subprocesses)
		return cmd_usage_error(c, "stacks: --subprocesses needs a running process");
	if (!o.core && !source_is_pid(o.source, &o.pid)) {
		if (o.native || o.locals || o.subprocesses)
			return cmd_usage_error(c,
					       "stacks: %s needs a running process, not a snapshot",
					       o.native	  ? "--native"
					       : o.locals ? "--locals"
							  : "--subprocesses");
		return from_snapshot(&o);
	}
	if (!o.core && cmd_source_pid(c, &o, &st))
		return st;
	if (o.subprocesses)
		return with_subprocesses(&o);
	st = session_open(&s, &o);
	if (st)
		return st;
	st = stacks_run(&s, &o);
	session_close(&s);
	return st;
}

const struct command command_stacks = {
	.name = "stacks",
	.run = stacks_main,
	.opts = OPT_SOURCE | OPT_NATIVE | OPT_STACKS,
	.summary = "Python stack of every thread (--native: with C frames)",
	.usage = usage,
};
