/*
 * threads.h - the threads a heap graph keeps, as stacks.
 *
 * A capture records every thread with its Python frames and, from
 * snapshot version 2, what each thread blocked on a lock waits for and
 * who holds it.  Here they become a struct stacks again (python/
 * stacks.h), so that a snapshot's threads print, and their deadlocks are
 * found (waits_cycle), as a live process's are.
 */
#ifndef HS_THREADS_H
#define HS_THREADS_H

#include "base/error.h"
#include "heap/heap.h"
#include "python/stacks.h"

/* Fill st from h (Python frames only; frame lines as recorded).  0, or
 * -1 with err set (out of memory).  Free with stacks_release. */
int threads_from_heap(const struct heap *h, struct stacks *st, struct hs_error *err);

#endif
