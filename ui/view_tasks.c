/*
 * view_tasks.c - asyncio tasks (tasks.h) as heapscope tasks prints them:
 * per event loop, each task with the coroutines it is suspended in and
 * what it waits for, tasks waiting for others above them, indented.
 * Enter opens the task, the coroutine or what it waits for.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/tasks.h"
#include "ui_internal.h"

#define MAX_INDENT 32 /* tree levels indented; deeper ones flat */

enum row_kind { R_LOOP, R_TASK, R_CORO, R_WAITS };

struct task_row {
	uint8_t kind;	/* enum row_kind */
	uint8_t depth;	/* tree level, MAX_INDENT at most */
	uint32_t index; /* loop, task or coroutine index */
};

struct tasks_data {
	struct task_list l;
	struct task_row *rows;
	size_t n, cap;
};

static void add_row(struct tasks_data *d, enum row_kind k, size_t depth, size_t index)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->rows = xreallocarray(d->rows, d->cap, sizeof(*d->rows));
	}
	d->rows[d->n].kind = (uint8_t)k;
	d->rows[d->n].depth = (uint8_t)(depth < MAX_INDENT ? depth : MAX_INDENT);
	d->rows[d->n].index = (uint32_t)index;
	d->n++;
}

/* Task i and, under it, the tasks waiting for it: iteratively, as
 * deep as the tree goes (it has no cycles: tasks.c never links one). */
static void add_task_rows(struct tasks_data *d, long i, size_t depth)
{
	const struct task_list *l = &d->l;
	long t = i;
	size_t k;

	for (;;) {
		const struct task *tk = &l->tasks[t];

		add_row(d, R_TASK, depth, (size_t)t);
		for (k = 0; k < tk->ncoro; k++)
			add_row(d, R_CORO, depth, tk->coro + k);
		if (tk->awaits[0])
			add_row(d, R_WAITS, depth, (size_t)t);
		if (tk->first_child >= 0) {
			t = tk->first_child;
			depth++;
			continue;
		}
		/* the next sibling of t or of its nearest ancestor below i */
		while (t != i && l->tasks[t].next_sibling < 0 && l->tasks[t].parent >= 0) {
			t = l->tasks[t].parent;
			depth--;
		}
		if (t == i || l->tasks[t].next_sibling < 0)
			return;
		t = l->tasks[t].next_sibling;
	}
}

static size_t tasks_nrows(struct view *v)
{
	return ((struct tasks_data *)v->data)->n;
}

static void tasks_title(struct view *v, char *buf, size_t len)
{
	struct tasks_data *d = v->data;
	size_t i, pending = 0;

	for (i = 0; i < d->l.n; i++)
		pending += d->l.tasks[i].state == TASK_PENDING;
	snprintf(buf, len, "Tasks: %zu asyncio task%s (%zu pending) in %zu event loop%s%s", d->l.n,
		 d->l.n == 1 ? "" : "s", pending, d->l.nloops, d->l.nloops == 1 ? "" : "s",
		 d->l.cycles ? "; tasks await each other in a ring" : "");
}

static void tasks_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct tasks_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct task_row *r = &d->rows[i];
	int ind = 2 * r->depth;

	buf[0] = '\0';
	if (r->kind == R_LOOP) {
		if (r->index < d->l.nloops) {
			uint32_t lp = d->l.loops[r->index];

			snprintf(buf, len, "event loop %s 0x%llx", heap_type_name(h, lp),
				 (unsigned long long)h->obj[lp].addr);
		} else {
			snprintf(buf, len, "tasks of no known event loop");
		}
		*attr = ROW_HEADING;
	} else if (r->kind == R_TASK) {
		const struct task *t = &d->l.tasks[r->index];

		snprintf(buf, len, "%*sTask '%s' %s%s  0x%llx", ind, "", t->name,
			 task_state_name(t->state), t->running ? ", running now" : "",
			 (unsigned long long)h->obj[t->obj].addr);
	} else if (r->kind == R_CORO) {
		const struct task_coro *c = &d->l.coros[r->index];

		if (c->file)
			snprintf(buf, len, "%*s    %s (%.*s:%d)", ind, "", c->function, c->file_len,
				 c->file, c->line);
		else
			snprintf(buf, len, "%*s    %s (%s)", ind, "", c->function, c->state);
	} else {
		snprintf(buf, len, "%*s  waits for %s", ind, "", d->l.tasks[r->index].awaits);
	}
}

static uint32_t row_obj(struct view *v, size_t i)
{
	struct tasks_data *d = v->data;
	const struct task_row *r;

	if (i >= d->n)
		return HEAP_NONE;
	r = &d->rows[i];
	switch ((enum row_kind)r->kind) {
	case R_LOOP:
		return r->index < d->l.nloops ? d->l.loops[r->index] : HEAP_NONE;
	case R_TASK:
		return d->l.tasks[r->index].obj;
	case R_CORO:
		return d->l.coros[r->index].obj;
	default:
		return d->l.tasks[r->index].waiter;
	}
}

static unsigned tasks_enter(struct view *v, size_t i)
{
	uint32_t o = row_obj(v, i);

	return o == HEAP_NONE ? 0 : browser_push(v->b, view_object_new(v->b, o));
}

static uint32_t tasks_current(struct view *v)
{
	return row_obj(v, v->cursor);
}

static void tasks_free(struct view *v)
{
	struct tasks_data *d = v->data;

	tasks_release(&d->l);
	free(d->rows);
}

static const struct view_key tasks_keys[] = {
	{ CMD_ENTER, "open the task, the coroutine, or what the task waits for" },
	{ CMD_PATH, "path from a root to the row's object" },
	{ CMD_NONE },
};

static const struct view_ops tasks_ops = {
	.name = "tasks",
	.nrows = tasks_nrows,
	.title = tasks_title,
	.row = tasks_row,
	.enter = tasks_enter,
	.current = tasks_current,
	.free = tasks_free,
	.keys = tasks_keys,
};

struct view *view_tasks_new(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	struct view *v = view_new(b, &tasks_ops, sizeof(struct tasks_data));
	struct tasks_data *d = v->data;
	size_t k, i;

	if (tasks_find(b->h, -1, &d->l, &err)) {
		browser_message(b, "%s", err.msg);
		free(v->data);
		free(v);
		return NULL;
	}
	for (k = 0; k <= d->l.nloops; k++) {
		uint32_t lp = k < d->l.nloops ? d->l.loops[k] : HEAP_NONE;
		size_t first = d->n;

		add_row(d, R_LOOP, 0, k);
		for (i = 0; i < d->l.n; i++) {
			long t = d->l.by_name[i];

			if (d->l.tasks[t].loop == lp && d->l.tasks[t].parent < 0)
				add_task_rows(d, t, 1);
		}
		if (d->n == first + 1)
			d->n = first; /* a loop heading with no task under it */
	}
	if (!d->l.n)
		browser_message(b, "no asyncio tasks in this process");
	return v;
}
