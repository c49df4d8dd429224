/*
 * bigmem.c - large arrays in transparent huge pages (see bigmem.h).
 */
#include "config.h"
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "bigmem.h"
#include "task.h"

__attribute__((constructor)) static void bigmem_threshold(void)
{
	/* fixed, so that a freed big array does not raise it and send the
	 * next one into the heap, where it cannot be advised alone */
	mallopt(M_MMAP_THRESHOLD, BIGMEM_BYTES);
}

/* With glibc a big block is its own mapping (the threshold above); the
 * page before its first whole one is left out, as a separate mapping,
 * which free() unmaps with the rest. */
void *big_advise(void *p, size_t n)
{
	uintptr_t start = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (p && n >= BIGMEM_BYTES && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
	return p;
}

void *big_malloc(size_t n)
{
	return big_advise(malloc(n), n);
}

void *big_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return big_advise(calloc(nmemb, size), nmemb * size);
}

/* ---- populating on the other core ---- */

#define PIECE (32u << 20) /* populated at a time */

struct piece {
	char *p;
	size_t len;
	int zero; /* not in use yet: may be written where madvise cannot */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct piece *q; /* pieces to populate, [head, tail) */
	size_t head, tail, cap;
	unsigned busy; /* pieces being populated */
	int started;   /* 1 the helper runs, -1 it could not start */
	int stop;      /* exiting: the helper returns */
	pthread_t thread;
} pop = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void populate_piece(const struct piece *c)
{
	size_t i;

	if (!madvise(c->p, c->len, MADV_POPULATE_WRITE) || !c->zero)
		return;
	/* a kernel before 5.14: touch the pages of memory nobody uses yet */
	for (i = 0; i < c->len; i += 4096)
		c->p[i] = 0;
}

/* With pop.lock held: populate the next piece queued, the lock let go
 * meanwhile; 0 if none was queued. */
static int populate_next(void)
{
	struct piece c;

	if (pop.head == pop.tail)
		return 0;
	c = pop.q[pop.head++ % pop.cap];
	pop.busy++;
	pthread_mutex_unlock(&pop.lock);
	populate_piece(&c);
	pthread_mutex_lock(&pop.lock);
	pop.busy--;
	pthread_cond_broadcast(&pop.cond);
	return 1;
}

static void *populator(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&pop.lock);
	while (!pop.stop)
		if (!populate_next())
			pthread_cond_wait(&pop.cond, &pop.lock);
	pthread_mutex_unlock(&pop.lock);
	return NULL;
}

/* At exit: the helper ends and is joined, so that nothing of it is left
 * (valgrind counts a running thread's memory as possibly lost). */
static void stop_populator(void)
{
	pthread_mutex_lock(&pop.lock);
	pop.stop = 1;
	pthread_cond_broadcast(&pop.cond);
	pthread_mutex_unlock(&pop.lock);
	pthread_join(pop.thread, NULL);
}

/* Queue [p, p + n)'s whole pages in pieces; populate them here if the
 * helper cannot run or the queue cannot grow. */
static void post(void *p, size_t n, int zero)
{
	uintptr_t s = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	pthread_mutex_lock(&pop.lock);
	if (!pop.started) {
		pop.started = task_thread(&pop.thread, populator, NULL) ? 1 : -1;
		if (pop.started > 0 && atexit(stop_populator))
			pthread_detach(pop.thread);
	}
	for (; s < e; s += PIECE) {
		struct piece c = { (char *)s, e - s < PIECE ? e - s : PIECE, zero };

		if (pop.tail - pop.head == pop.cap) {
			size_t cap = pop.cap ? 2 * pop.cap : 64, k;
			struct piece *q = malloc(cap * sizeof(*q));

			if (!q || pop.started < 0) {
				free(q);
				pthread_mutex_unlock(&pop.lock);
				populate_piece(&c);
				pthread_mutex_lock(&pop.lock);
				continue;
			}
			for (k = pop.head; k < pop.tail; k++)
				q[k - pop.head] = pop.q[k % pop.cap];
			free(pop.q);
			pop.q = q;
			pop.tail -= pop.head;
			pop.head = 0;
			pop.cap = cap;
		}
		pop.q[pop.tail++ % pop.cap] = c;
	}
	pthread_cond_broadcast(&pop.cond);
	pthread_mutex_unlock(&pop.lock);
}

void big_populate_ahead(void *p, size_t n)
{
	post(p, n, 0);
}

void big_populate_fresh(void *p, size_t n)
{
	post(p, n, 1);
}

void big_populate_wait(void)
{
	pthread_mutex_lock(&pop.lock);
	while (populate_next())
		;
	while (pop.busy)
		pthread_cond_wait(&pop.cond, &pop.lock);
	pthread_mutex_unlock(&pop.lock);
}
