/*
 * task.c - helper threads, where there is a core for them.
 */
#include "config.h"
#include <sched.h>
#include "task.h"

int task_cores(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? 2 : CPU_COUNT(&set);
}

int task_thread(pthread_t *thread, void *(*run)(void *), void *arg)
{
	return task_cores() > 1 && !pthread_create(thread, NULL, run, arg);
}

void task_start(struct task *t, void *(*run)(void *), void *arg)
{
	t->started = task_thread(&t->thread, run, arg);
	if (!t->started)
		run(arg);
}

void task_wait(struct task *t)
{
	if (t->started)
		pthread_join(t->thread, NULL);
	t->started = 0;
}
