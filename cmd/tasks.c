/*
 * tasks.c - heapscope tasks: every asyncio task, where its coroutines are
 * suspended, what it waits for, as a tree of who waits for whom.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "analysis/tasks.h"
#include "heap/heap.h"
#include "json.h"

#define MAX_DEPTH 64 /* tree levels printed; deeper ones flat */

static const char usage[] =
	"usage: heapscope tasks [--json] PID|FILE\n"
	"\n"
	"Every asyncio task of every event loop: its name and state (pending, done,\n"
	"cancelled), the line each coroutine of its await chain is suspended at,\n"
	"and what it waits for (another task, a gather, a TaskGroup, a sleep and\n"
	"when it ends, a Queue, an Event, a lock, a Future).  A task that waits for\n"
	"others has them under it, like 'python -m asyncio pstree' (3.14) but from\n"
	"outside and on every version.  Tasks are the Task objects of the heap, so\n"
	"a finished task still referenced is listed too.\n"
	"\n" SOURCE_HELP;

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_task(const struct heap *h, const struct task_list *l, long i, int depth)
{
	const struct task *t = &l->tasks[i];
	int ind = 2 * (depth < MAX_DEPTH ? depth : MAX_DEPTH);
	size_t k;
	long c;

	printf("\n%*sTask '%s' %s%s (0x%llx)\n", ind, "", t->name, task_state_name(t->state),
	       t->running ? ", running now" : "", (unsigned long long)h->obj[t->obj].addr);
	for (k = 0; k < t->ncoro; k++) {
		const struct task_coro *co = &l->coros[t->coro + k];

		if (co->file)
			printf("%*s    %s (%.*s, line %d)\n", ind, "", co->function, co->file_len,
			       co->file, co->line);
		else
			printf("%*s    %s (%s)\n", ind, "", co->function, co->state);
	}
	if (t->awaits[0])
		printf("%*s  waits for %s\n", ind, "", t->awaits);
	for (c = t->first_child; c >= 0; c = l->tasks[c].next_sibling)
		print_task(h, l, c, depth + 1);
}

static void tasks_text(const struct heap *h, const struct task_list *l)
{
	size_t i, k, st[4];
	long r;

	if (!l->n) {
		printf("no asyncio tasks in this process\n");
		return;
	}
	for (k = 0; k <= l->nloops; k++) {
		uint32_t lp = k < l->nloops ? l->loops[k] : HEAP_NONE;
		size_t n = 0;

		memset(st, 0, sizeof(st));
		for (i = 0; i < l->n; i++)
			if (l->tasks[i].loop == lp) {
				n++;
				st[l->tasks[i].state]++;
			}
		if (!n)
			continue;
		if (lp != HEAP_NONE)
			printf("%sevent loop %s (0x%llx): %zu tasks", k ? "\n" : "",
			       heap_type_name(h, lp), (unsigned long long)h->obj[lp].addr, n);
		else
			printf("%stasks of no known loop: %zu", k ? "\n" : "", n);
		printf(" (%zu pending, %zu done, %zu cancelled)\n", st[TASK_PENDING], st[TASK_DONE],
		       st[TASK_CANCELLED]);
		for (i = 0; i < l->n; i++) {
			r = l->by_name[i];
			if (l->tasks[r].loop == lp && l->tasks[r].parent < 0)
				print_task(h, l, r, 0);
		}
	}
	if (l->cycles)
		printf("\n%zu tasks await each other in a ring: a deadlock among tasks\n",
		       l->cycles);
}

static void tasks_json(const struct heap *h, const struct task_list *l)
{
	struct json j;
	size_t i, k;
	long c;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_key(&j, "loops");
	json_begin_arr(&j);
	for (k = 0; k < l->nloops; k++) {
		json_begin_obj(&j);
		json_key(&j, "address");
		json_hex(&j, h->obj[l->loops[k]].addr);
		json_key(&j, "type");
		json_str(&j, heap_type_name(h, l->loops[k]));
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_key(&j, "tasks");
	json_begin_arr(&j);
	for (i = 0; i < l->n; i++) {
		const struct task *t = &l->tasks[i];

		json_begin_obj(&j);
		json_key(&j, "address");
		json_hex(&j, h->obj[t->obj].addr);
		json_key(&j, "name");
		json_str(&j, t->name);
		json_key(&j, "state");
		json_str(&j, task_state_name(t->state));
		json_key(&j, "running");
		json_bool(&j, t->running);
		json_key(&j, "loop");
		if (t->loop != HEAP_NONE)
			json_hex(&j, h->obj[t->loop].addr);
		else
			json_null(&j);
		json_key(&j, "coroutines");
		json_begin_arr(&j);
		for (k = 0; k < t->ncoro; k++) {
			const struct task_coro *co = &l->coros[t->coro + k];

			json_begin_obj(&j);
			json_key(&j, "address");
			json_hex(&j, h->obj[co->obj].addr);
			json_key(&j, "function");
			json_str(&j, co->function);
			json_key(&j, "state");
			json_str(&j, co->state);
			json_key(&j, "file");
			if (co->file)
				json_strn(&j, co->file, (size_t)co->file_len);
			else
				json_null(&j);
			json_key(&j, "line");
			if (co->line >= 0)
				json_int(&j, co->line);
			else
				json_null(&j);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_key(&j, "waits_for");
		if (t->waiter != HEAP_NONE)
			json_hex(&j, h->obj[t->waiter].addr);
		else
			json_null(&j);
		json_key(&j, "waits_for_text");
		json_str(&j, t->awaits);
		json_key(&j, "parent");
		if (t->parent >= 0)
			json_hex(&j, h->obj[l->tasks[t->parent].obj].addr);
		else
			json_null(&j);
		json_key(&j, "parent_link");
		if (t->parent >= 0)
			json_str(&j, task_link_name(t->link));
		else
			json_null(&j);
		json_key(&j, "children");
		json_begin_arr(&j);
		for (c = t->first_child; c >= 0; c = l->tasks[c].next_sibling)
			json_hex(&j, h->obj[l->tasks[c].obj].addr);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_key(&j, "await_cycles");
	json_uint(&j, l->cycles);
	json_end_obj(&j);
	json_end(&j);
}

static int tasks_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct task_list l;
	struct heap h;
	pid_t pid;
	double now = -1;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if ((st = source_open(&o, &h)))
		return st;
	/* a live target's loop.time() is this machine's monotonic clock */
	if (source_is_pid(o.source, &pid))
		now = monotonic_now();
	if (tasks_find(&h, now, &l, &err)) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (o.json)
		tasks_json(&h, &l);
	else
		tasks_text(&h, &l);
	tasks_release(&l);
	heap_release(&h);
	return 0;
}

const struct command command_tasks = {
	.name = "tasks",
	.run = tasks_main,
	.opts = OPT_SOURCE | OPT_CAPTURE,
	.summary = "asyncio tasks: where each is suspended, what it waits for",
	.usage = usage,
};
