/*
 * tasks.c - asyncio tasks, read from the heap graph (tasks.h).
 *
 * The walk names a C Task's fields as Python does (_coro, _fut_waiter,
 * _loop, _name), gives a Task the value "pending name='x'" and a
 * coroutine "suspended at FILE:LINE"; a Python-level Task (_PyTask) has
 * the same names as attributes.  A suspended coroutine's topmost value
 * stack slot ("(stack)", the last one the walk emits) is what it awaits:
 * the next coroutine of the chain, or the iterator of a Future.
 * Everything read here comes from a graph that may be damaged: every
 * chain is bounded, every index checked.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tasks.h"

const char *task_state_name(enum task_state s)
{
	switch (s) {
	case TASK_PENDING:
		return "pending";
	case TASK_DONE:
		return "done";
	case TASK_CANCELLED:
		return "cancelled";
	default:
		return "unknown";
	}
}

const char *task_link_name(enum task_link k)
{
	switch (k) {
	case TL_AWAIT:
		return "await";
	case TL_GATHER:
		return "gather";
	case TL_TASKGROUP:
		return "TaskGroup";
	default:
		return "";
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static const char *value_of(const struct heap *h, uint32_t i)
{
	if (i >= h->nobj || h->obj[i].value == HEAP_NONE)
		return NULL;
	return heap_str(h, h->obj[i].value, NULL);
}

/* A C field of that name, else an attribute (a Python-level class). */
static uint32_t member(const struct heap *h, uint32_t i, const char *name)
{
	uint32_t d = heap_field(h, i, name);

	return d != HEAP_NONE ? d : heap_attr(h, i, name);
}

/* The local variable name of frame (or 3.11+ generator) i; with name
 * "(stack)", its topmost value stack slot. */
static uint32_t local(const struct heap *h, uint32_t i, const char *name)
{
	uint32_t e, found = HEAP_NONE;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e];

		if (HEAP_NAME_KIND(n) == HN_LOCAL && HEAP_PAYLOAD(n) < h->nname &&
		    h->edge_dst[e] < h->nobj &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), name))
			found = h->edge_dst[e];
	}
	return found;
}

/* The items of a list, tuple or set (whose edges are named "item"). */
static size_t items(const struct heap *h, uint32_t c, uint32_t *out, size_t max)
{
	size_t n = 0;
	uint32_t e;

	if (c >= h->nobj)
		return 0;
	for (e = h->edge_start[c]; e < h->edge_start[c + 1]; e++) {
		uint32_t nm = h->edge_name[e];
		unsigned k = HEAP_NAME_KIND(nm);

		if ((k == HN_INDEX ||
		     (k == HN_FIELD && HEAP_PAYLOAD(nm) < h->nname &&
		      !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(nm)], NULL), "item"))) &&
		    h->edge_dst[e] < h->nobj) {
			if (out && n < max)
				out[n] = h->edge_dst[e];
			n++;
		}
	}
	return n;
}

static int is_coroutine(const struct heap *h, uint32_t i)
{
	const char *tn = heap_type_name(h, i);

	return !strcmp(tn, "coroutine") || !strcmp(tn, "generator") ||
	       !strcmp(tn, "async_generator");
}

/* "suspended at FILE:LINE" (the walk's value of a coroutine) into c. */
static void parse_where(const char *v, struct task_coro *c)
{
	static const char *const states[] = { "suspended", "running", "created", "finished" };
	const char *at, *colon;
	size_t k;

	c->state = "unknown";
	c->file = NULL;
	c->line = -1;
	if (!v)
		return;
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		if (!strncmp(v, states[k], strlen(states[k])))
			c->state = states[k];
	at = strstr(v, " at ");
	colon = strrchr(v, ':');
	if (!at || !colon || colon < at + 4)
		return;
	c->file = at + 4;
	c->file_len = (int)(colon - c->file);
	c->line = atoi(colon + 1);
}

/* The state and name of task t from its value ("pending name='x'") or,
 * for a Python-level Task, its _state and _name. */
static void task_identity(const struct heap *h, struct task *t)
{
	const char *v = value_of(h, t->obj), *q, *e;

	t->state = TASK_UNKNOWN;
	if (v) {
		if (!strncmp(v, "pending", 7))
			t->state = TASK_PENDING;
		else if (!strncmp(v, "done", 4))
			t->state = TASK_DONE;
		else if (!strncmp(v, "cancelled", 9))
			t->state = TASK_CANCELLED;
		q = strstr(v, "name='");
		e = strrchr(v, '\'');
		if (q && e > q + 6)
			snprintf(t->name, sizeof(t->name), "%.*s", (int)(e - q - 6), q + 6);
		return;
	}
	v = value_of(h, heap_attr(h, t->obj, "_state"));
	if (v)
		t->state = !strcmp(v, "PENDING")     ? TASK_PENDING
			   : !strcmp(v, "FINISHED")  ? TASK_DONE
			   : !strcmp(v, "CANCELLED") ? TASK_CANCELLED
						     : TASK_UNKNOWN;
	v = value_of(h, heap_attr(h, t->obj, "_name"));
	if (v)
		snprintf(t->name, sizeof(t->name), "%s", v);
}

static int add_coro(struct task_list *l, size_t *cap, const struct task_coro *c)
{
	if (l->ncoros == *cap) {
		size_t ncap = *cap ? 2 * *cap : 256;
		struct task_coro *n = realloc(l->coros, ncap * sizeof(*n));

		if (!n)
			return -1;
		l->coros = n;
		*cap = ncap;
	}
	l->coros[l->ncoros++] = *c;
	return 0;
}

/* t's coroutine and those it awaits through, outermost first. */
static int read_chain(const struct heap *h, struct task_list *l, size_t *cap, struct task *t)
{
	uint32_t c = member(h, t->obj, "_coro");
	size_t k;

	t->coro = l->ncoros;
	for (k = 0; c != HEAP_NONE && k < TASKS_MAX_CHAIN && is_coroutine(h, c); k++) {
		struct task_coro tc = { .obj = c };
		const char *fn = value_of(h, heap_field(h, c, "__qualname__"));
		uint32_t fr;

		tc.function = fn ? fn : "?";
		parse_where(value_of(h, c), &tc);
		if (add_coro(l, cap, &tc))
			return -1;
		t->ncoro++;
		if (!k && !strcmp(tc.state, "running"))
			t->running = 1;
		if (strcmp(tc.state, "suspended"))
			break;
		/* up to 3.10 the value stack is the frame object's */
		fr = h->meta.py_minor <= 10 ? heap_field(h, c, "gi_frame") : c;
		c = fr == HEAP_NONE ? HEAP_NONE : local(h, fr, "(stack)");
	}
	return 0;
}

/* text + what object i is ("asyncio.queues.Queue 0x7f..."). */
static void obj_words(const struct heap *h, uint32_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s 0x%llx", heap_type_name(h, i), (unsigned long long)h->obj[i].addr);
}

/* What the innermost coroutine of t is doing, in words, for a Future
 * that is no task and no gather. */
static void future_words(const struct heap *h, const struct task_list *l, const struct task *t,
			 double now_mono, char *buf, size_t len)
{
	const struct task_coro *in = t->ncoro ? &l->coros[t->coro + t->ncoro - 1] : NULL;
	uint32_t fr, self, x;
	char what[200];
	const char *v;

	if (!in) {
		obj_words(h, t->waiter, buf, len);
		return;
	}
	fr = h->meta.py_minor <= 10 ? heap_field(h, in->obj, "gi_frame") : in->obj;
	obj_words(h, t->waiter, what, sizeof(what));
	if (fr == HEAP_NONE) {
		snprintf(buf, len, "%s in %s", what, in->function);
		return;
	}
	/* asyncio.sleep(delay): its TimerHandle h says when */
	if (!strcmp(in->function, "sleep") && (v = value_of(h, local(h, fr, "delay")))) {
		const char *when = value_of(h, heap_attr(h, local(h, fr, "h"), "_when"));
		int n = snprintf(buf, len, "sleep(%s)", v);

		if (when && n > 0 && (size_t)n < len) {
			if (now_mono >= 0)
				snprintf(buf + n, len - (size_t)n, ", due in %.1f s",
					 strtod(when, NULL) - now_mono);
			else
				snprintf(buf + n, len - (size_t)n, ", due at loop time %s", when);
		}
		return;
	}
	self = local(h, fr, "self");
	if (self == HEAP_NONE) {
		snprintf(buf, len, "%s in %s", what, in->function);
		return;
	}
	obj_words(h, self, what, sizeof(what));
	if ((x = heap_attr(h, self, "_queue")) != HEAP_NONE)
		snprintf(buf, len, "%s on %s (%zu items)", in->function, what,
			 items(h, x, NULL, 0));
	else if ((v = value_of(h, heap_attr(h, self, "_value"))) && !strcmp(v, "False"))
		snprintf(buf, len, "%s on %s (not set)", in->function, what);
	else if ((v = value_of(h, heap_attr(h, self, "_locked"))) && !strcmp(v, "True"))
		snprintf(buf, len, "%s on %s (locked)", in->function, what);
	else
		snprintf(buf, len, "%s on %s", in->function, what);
}

/* Link child under parent unless that closes a ring of awaits. */
static void link_task(struct task_list *l, long child, long parent, enum task_link how)
{
	long p = parent;
	size_t steps;

	if (child < 0 || parent < 0 || child == parent || l->tasks[child].parent >= 0)
		return;
	for (steps = 0; p >= 0 && steps <= l->n; steps++, p = l->tasks[p].parent)
		if (p == child) {
			l->cycles++;
			return;
		}
	l->tasks[child].parent = parent;
	l->tasks[child].link = how;
}

static int by_name(const void *a, const void *b, void *ctx)
{
	const struct task *t = ctx;
	long x = *(const long *)a, y = *(const long *)b;
	int c = strcmp(t[x].name, t[y].name);

	return c ? c : (t[x].obj > t[y].obj) - (t[x].obj < t[y].obj);
}

/* first_child/next_sibling, children by name; the order by name. */
static int make_tree(struct task_list *l)
{
	long *order = malloc((l->n ? l->n : 1) * sizeof(*order));
	size_t i;

	if (!order)
		return -1;
	l->by_name = order;
	for (i = 0; i < l->n; i++) {
		order[i] = (long)i;
		l->tasks[i].first_child = l->tasks[i].next_sibling = -1;
	}
	qsort_r(order, l->n, sizeof(*order), by_name, l->tasks);
	for (i = l->n; i-- > 0;) {
		struct task *t = &l->tasks[order[i]];

		if (t->parent >= 0) {
			t->next_sibling = l->tasks[t->parent].first_child;
			l->tasks[t->parent].first_child = order[i];
		}
	}
	return 0;
}

int tasks_find(const struct heap *h, double now_mono, struct task_list *out, struct hs_error *err)
{
	uint8_t *cand = calloc(h->ntype ? h->ntype : 1, 1);
	uint32_t *idx = NULL, kids[64];
	size_t i, k, cap = 0, ccap = 0, lcap = 0;

	memset(out, 0, sizeof(*out));
	if (!cand)
		goto nomem;
	for (i = 0; i < h->ntype; i++) {
		const char *tn = heap_str(h, h->types[i].name, NULL);

		cand[i] = !strcmp(tn, "_asyncio.Task") ? 2 : ends_with(tn, "Task") ? 1 : 0;
	}
	idx = calloc(h->nobj ? h->nobj : 1, sizeof(*idx)); /* object -> task + 1 */
	if (!idx)
		goto nomem;
	for (i = 0; i < h->nobj; i++) {
		uint32_t ty = h->obj[i].type;
		struct task *t;

		if (ty >= h->ntype || !cand[ty] ||
		    (cand[ty] == 1 && member(h, (uint32_t)i, "_coro") == HEAP_NONE))
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct task *n = realloc(out->tasks, ncap * sizeof(*n));

			if (!n)
				goto nomem;
			out->tasks = n;
			cap = ncap;
		}
		t = &out->tasks[out->n];
		memset(t, 0, sizeof(*t));
		t->obj = (uint32_t)i;
		t->parent = -1;
		task_identity(h, t);
		t->loop = member(h, t->obj, "_loop");
		t->waiter = member(h, t->obj, "_fut_waiter");
		if (read_chain(h, out, &ccap, t))
			goto nomem;
		idx[i] = (uint32_t)++out->n;
	}
	/* event loops, in order of their first task */
	for (i = 0; i < out->n; i++) {
		uint32_t lp = out->tasks[i].loop;

		if (lp == HEAP_NONE)
			continue;
		for (k = 0; k < out->nloops && out->loops[k] != lp; k++)
			;
		if (k < out->nloops)
			continue;
		if (out->nloops == lcap) {
			size_t ncap = lcap ? 2 * lcap : 4;
			uint32_t *n = realloc(out->loops, ncap * sizeof(*n));

			if (!n)
				goto nomem;
			out->loops = n;
			lcap = ncap;
		}
		out->loops[out->nloops++] = lp;
	}
	/* TaskGroups: their parent task waits for their tasks */
	for (i = 0; i < h->nobj; i++) {
		uint32_t ty = h->obj[i].type, pt, set;
		size_t nk;

		if (ty >= h->ntype || !ends_with(heap_str(h, h->types[ty].name, NULL), "TaskGroup"))
			continue;
		pt = heap_attr(h, (uint32_t)i, "_parent_task");
		set = heap_attr(h, (uint32_t)i, "_tasks");
		if (pt == HEAP_NONE || !idx[pt] || set == HEAP_NONE)
			continue;
		nk = items(h, set, kids, 64);
		for (k = 0; k < nk && k < 64; k++)
			if (idx[kids[k]])
				link_task(out, (long)idx[kids[k]] - 1, (long)idx[pt] - 1,
					  TL_TASKGROUP);
		if (out->tasks[idx[pt] - 1].ncoro) {
			struct task *p = &out->tasks[idx[pt] - 1];
			const struct task_coro *in = &out->coros[p->coro + p->ncoro - 1];

			if (ends_with(in->function, "TaskGroup.__aexit__"))
				snprintf(p->awaits, sizeof(p->awaits),
					 "TaskGroup 0x%llx of %zu tasks",
					 (unsigned long long)h->obj[i].addr,
					 items(h, set, NULL, 0));
		}
	}
	/* what each task waits for */
	for (i = 0; i < out->n; i++) {
		struct task *t = &out->tasks[i];
		uint32_t wt = t->waiter;
		size_t nk;

		if (wt == HEAP_NONE || wt >= h->nobj) {
			if (t->running)
				snprintf(t->awaits, sizeof(t->awaits), "nothing: it runs now");
			else if (t->state == TASK_PENDING)
				snprintf(t->awaits, sizeof(t->awaits), "nothing: ready to run");
			continue;
		}
		if (idx[wt]) {
			snprintf(t->awaits, sizeof(t->awaits), "task '%s' 0x%llx",
				 out->tasks[idx[wt] - 1].name, (unsigned long long)h->obj[wt].addr);
			link_task(out, (long)idx[wt] - 1, (long)i, TL_AWAIT);
		} else if (ends_with(heap_type_name(h, wt), "_GatheringFuture")) {
			nk = items(h, heap_attr(h, wt, "_children"), kids, 64);
			snprintf(t->awaits, sizeof(t->awaits), "gather 0x%llx of %zu",
				 (unsigned long long)h->obj[wt].addr, nk);
			for (k = 0; k < nk && k < 64; k++)
				if (idx[kids[k]])
					link_task(out, (long)idx[kids[k]] - 1, (long)i, TL_GATHER);
		} else if (!t->awaits[0]) {
			future_words(h, out, t, now_mono, t->awaits, sizeof(t->awaits));
		}
	}
	if (make_tree(out))
		goto nomem;
	free(cand);
	free(idx);
	return 0;
nomem:
	free(cand);
	free(idx);
	tasks_release(out);
	return hs_error_set(err, HS_ENOMEM, "out of memory");
}

void tasks_release(struct task_list *l)
{
	free(l->tasks);
	free(l->coros);
	free(l->loops);
	free(l->by_name);
	memset(l, 0, sizeof(*l));
}
