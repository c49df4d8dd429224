/*
 * waits.h - what each thread blocked on a lock waits for, who holds that
 * lock, and the cycles among them: deadlocks.
 *
 * Read from a frozen target after stacks_read, from the object slots
 * (locals and value stack) of each thread's Python frames; see waits.c
 * for the rules and how sure each answer is.
 */
#ifndef HS_WAITS_H
#define HS_WAITS_H

#include <stddef.h>
#include <stdint.h>
#include "pyproc.h"
#include "stacks.h"

/* Fill every thread's wait (struct lock_wait in stacks.h).  Best effort:
 * what cannot be read is left unknown.  0, or -1 with err set (out of
 * memory only). */
int waits_read(struct pyproc *p, struct stacks *s, struct hs_error *err);

/* The deadlock cycle thread i is on: its threads in wait order, from i,
 * into out (at most max); their count, 0 when i is on no cycle. */
size_t waits_cycle(const struct stacks *s, size_t i, size_t *out, size_t max);

/* "_thread.lock" or "_thread.RLock": the kind of lock w waits for. */
const char *waits_lock_kind(const struct lock_wait *w);

/*
 * The deadlock thread i starts (each once: from its thread of lowest
 * index) in words, into buf: 'thread "A" (native id 1) waits for
 * _thread.lock 0x... held by thread "B" at f (x.py:3); thread "B" ...'.
 * Returns the number of threads in it, 0 (buf "") when i starts none.
 */
size_t waits_deadlock_words(const struct stacks *s, size_t i, char *buf, size_t len);

#endif
