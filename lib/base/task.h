/*
 * task.h - the one way heapscope starts a helper thread: a second core's
 * share of the work (the checksum of a snapshot being written, the
 * exports' formatting and sorting, the SQLite writer, the populating of
 * fresh memory).
 *
 * Every helper's work is such that the caller can do it itself, by
 * turns, with the same result: where the process may run on one core
 * only (taskset, a cgroup's cpuset) no helper starts, since it could
 * only take turns with the caller, and the output is the same bytes.
 */
#ifndef HS_TASK_H
#define HS_TASK_H

#include <pthread.h>

/* The cores this process may run on (2 when it cannot tell). */
int task_cores(void);

/* Start run(arg) on a new thread in *thread: 1, or 0 when there is one
 * core or no thread can start (the caller then does the work itself). */
int task_thread(pthread_t *thread, void *(*run)(void *), void *arg);

/* One piece of work the caller waits for later: run(arg) on a helper
 * thread as task_thread starts one, or else here and now. */
struct task {
	pthread_t thread;
	int started;
};
void task_start(struct task *t, void *(*run)(void *), void *arg);
/* Wait for it (at once when it ran in task_start). */
void task_wait(struct task *t);

#endif
