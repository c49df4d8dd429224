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
