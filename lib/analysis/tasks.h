/*
 * tasks.h - asyncio tasks, read from the heap graph.
 *
 * Every Task object the walk found (a type named _asyncio.Task, or any
 * type whose name ends in "Task" and whose objects have a _coro), live
 * or from a snapshot: its name and state, the chain of coroutines it is
 * suspended in (a coroutine's topmost value stack slot is what it
 * awaits), what it waits for (its _fut_waiter: a task, a gather, a
 * TaskGroup, a sleep, a Queue, an Event, a lock...) and the task that
 * waits for it, which makes the tasks a forest per event loop.
 */
#ifndef HS_TASKS_H
#define HS_TASKS_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "heap/heap.h"

#define TASKS_MAX_CHAIN 64 /* coroutines followed per task */

enum task_state {
	TASK_UNKNOWN,
	TASK_PENDING,
	TASK_DONE,
	TASK_CANCELLED,
};

/* How a task came to wait for another. */
enum task_link {
	TL_NONE,
	TL_AWAIT,     /* awaits the task itself */
	TL_GATHER,    /* awaits a gather of it */
	TL_TASKGROUP, /* its TaskGroup's parent task */
};

/* One coroutine (or generator) of a task's chain. */
struct task_coro {
	uint32_t obj;
	const char *function; /* __qualname__, "?" unknown */
	const char *state;    /* "suspended", "running", "created", "finished" */
	const char *file;     /* not NUL-ended: file_len bytes; NULL unknown */
	int file_len;
	int line; /* -1 unknown */
};

struct task {
	uint32_t obj;
	char name[128];
	enum task_state state;
	int running;			/* its coroutine runs now: the loop's current task */
	uint32_t loop;			/* its event loop object, HEAP_NONE unknown */
	size_t coro, ncoro;		/* its chain: coros[coro .. coro + ncoro) */
	uint32_t waiter;		/* what it waits for (_fut_waiter), HEAP_NONE */
	char awaits[320];		/* that, in words; "" when it waits for nothing */
	long parent;			/* the task waiting for this one, -1 none */
	enum task_link link;		/* how */
	long first_child, next_sibling; /* the tree, children by name */
};

struct task_list {
	struct task *tasks;
	size_t n;
	struct task_coro *coros;
	size_t ncoros;
	uint32_t *loops; /* distinct event loops, in order of first task */
	size_t nloops;
	long *by_name; /* every task, by name (then address) */
	size_t cycles; /* tasks awaiting each other in a ring (not linked) */
};

/*
 * Find every task of h.  now_mono is the target's CLOCK_MONOTONIC now in
 * seconds (a sleep's deadline is said as "due in N s"), or negative when
 * unknown (a snapshot: "due at loop time T").  0, or -1 with err set
 * (out of memory).  Free with tasks_release.
 */
int tasks_find(const struct heap *h, double now_mono, struct task_list *out, struct hs_error *err);
void tasks_release(struct task_list *l);

/* The word for a state: "pending", "done", "cancelled", "unknown". */
const char *task_state_name(enum task_state s);
const char *task_link_name(enum task_link k);

#endif
