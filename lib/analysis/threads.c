/*
 * threads.c - the threads a heap graph keeps, as stacks (threads.h).
 * Every index read from a loaded file was checked when it loaded
 * (snapshot.c); frames are still bounded by what the file holds.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "threads.h"

int threads_from_heap(const struct heap *h, struct stacks *st, struct hs_error *err)
{
	size_t i, k;

	memset(st, 0, sizeof(*st));
	st->threads = calloc(h->nthread ? h->nthread : 1, sizeof(*st->threads));
	if (!st->threads)
		goto nomem;
	for (i = 0; i < h->nthread; i++) {
		const struct heap_thread *ht = &h->threads[i];
		struct stack_thread *th = &st->threads[st->nthreads++];

		th->thread_id = ht->thread_id;
		th->tid = ht->tid;
		th->main = ht->flags & 1;
		th->gil = ht->flags & 2 ? 1 : 0;
		th->wait.holder = -1;
		snprintf(th->name, sizeof(th->name), "%s", heap_str(h, ht->name, NULL));
		th->frames = calloc(ht->nframes ? ht->nframes : 1, sizeof(*th->frames));
		if (!th->frames)
			goto nomem;
		for (k = 0; k < ht->nframes && ht->first_frame + k < h->nframe; k++) {
			const struct heap_frame *hf = &h->frames[ht->first_frame + k];
			struct stack_frame *f = &th->frames[th->nframes++];

			f->kind = FRAME_PYTHON;
			snprintf(f->function, sizeof(f->function), "%s",
				 heap_str(h, hf->function, NULL));
			snprintf(f->qualname, sizeof(f->qualname), "%s", f->function);
			snprintf(f->file, sizeof(f->file), "%s", heap_str(h, hf->file, NULL));
			f->line = hf->line;
		}
	}
	for (i = 0; i < h->nwait; i++) {
		const struct heap_wait *hw = &h->waits[i];
		struct lock_wait *w;

		if (hw->thread >= st->nthreads)
			continue;
		w = &st->threads[hw->thread].wait;
		w->lock = hw->lock;
		w->rlock = hw->flags & 1;
		w->owner = hw->owner;
		w->count = hw->count;
		w->frame = hw->frame;
		w->holder = hw->holder < st->nthreads ? (long)hw->holder : -1;
		snprintf(w->via, sizeof(w->via), "%s", heap_str(h, hw->via, NULL));
		snprintf(w->holder_at, sizeof(w->holder_at), "%s", heap_str(h, hw->held_at, NULL));
		snprintf(w->how, sizeof(w->how), "%s", heap_str(h, hw->how, NULL));
	}
	return 0;
nomem:
	stacks_release(st);
	return hs_error_set(err, HS_ENOMEM, "out of memory");
}
