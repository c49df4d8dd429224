/*
 * view_threads.c - every thread with its Python stack, and first every
 * deadlock the capture saw, in the words heapscope stacks uses; under a
 * thread blocked on a lock, what it waits for and who holds it; on a
 * live process, under each frame its source line as stacks prints it
 * (read when the view opens).  Enter
 * on a frame lists its local variables (the objects the frame holds),
 * on a thread the objects its thread state holds, on a wait the lock.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/threads.h"
#include "python/source.h"
#include "python/waits.h"
#include "ui_internal.h"

#define DEADLOCK_TEXT 4096

enum trow_kind { TR_DEADLOCK, TR_THREAD, TR_WAIT, TR_FRAME, TR_SOURCE };

struct trow {
	uint32_t thread;
	uint32_t frame; /* frames[] index (TR_FRAME, TR_SOURCE) */
	uint32_t kind;	/* enum trow_kind */
	uint32_t text;	/* TR_SOURCE: offset in texts */
};

struct threads_data {
	struct trow *rows;
	size_t n;
	struct stacks st; /* the threads with their waits */
	size_t ndeadlocks;
	char *texts; /* the source lines, NUL-ended one after the other */
	size_t ntexts, captexts;
};

static size_t threads_nrows(struct view *v)
{
	return ((struct threads_data *)v->data)->n;
}

static void threads_title(struct view *v, char *buf, size_t len)
{
	struct threads_data *d = v->data;

	snprintf(buf, len, "Threads: %zu, innermost frame first%s", v->b->h->nthread,
		 d->ndeadlocks ? (d->ndeadlocks == 1 ? "; 1 deadlock" : "; deadlocks") : "");
}

static void wait_row(const struct threads_data *d, const struct lock_wait *w, char *buf, size_t len)
{
	int n = snprintf(buf, len, "    waits for %s 0x%llx%s%s", waits_lock_kind(w),
			 (unsigned long long)w->lock, w->via[0] ? " in " : "", w->via);

	if (n < 0 || (size_t)n >= len)
		return;
	if (w->holder >= 0 && (size_t)w->holder < d->st.nthreads) {
		const struct stack_thread *h = &d->st.threads[w->holder];

		snprintf(buf + n, len - (size_t)n, "; held by thread %d \"%s\"%s%s (%s)",
			 (int)h->tid, h->name[0] ? h->name : "?", w->holder_at[0] ? " at " : "",
			 w->holder_at, w->how);
	} else {
		snprintf(buf + n, len - (size_t)n, "; %s", w->how);
	}
}

static void threads_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct threads_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct trow *r = &d->rows[i];
	const struct heap_thread *t = &h->threads[r->thread];
	char text[DEADLOCK_TEXT];

	switch ((enum trow_kind)r->kind) {
	case TR_DEADLOCK:
		waits_deadlock_words(&d->st, r->thread, text, sizeof(text));
		snprintf(buf, len, "deadlock: %s", text);
		*attr = ROW_HEADING;
		break;
	case TR_THREAD: {
		const char *name = heap_str(h, t->name, NULL);

		snprintf(buf, len, "thread %d%s%s%s%s, %u frame%s", t->tid, *name ? " " : "", name,
			 t->flags & 1 ? " (main)" : "", t->flags & 2 ? " holds the GIL" : "",
			 t->nframes, t->nframes == 1 ? "" : "s");
		*attr = ROW_HEADING;
		break;
	}
	case TR_WAIT:
		wait_row(d, &d->st.threads[r->thread].wait, buf, len);
		break;
	case TR_SOURCE:
		snprintf(buf, len, "        %s", d->texts + r->text);
		*attr = ROW_DIM;
		break;
	case TR_FRAME: {
		const struct heap_frame *f = &h->frames[r->frame];

		if (f->line >= 0)
			snprintf(buf, len, "    %s (%s:%d)", heap_str(h, f->function, NULL),
				 heap_str(h, f->file, NULL), f->line);
		else
			snprintf(buf, len, "    %s (%s)", heap_str(h, f->function, NULL),
				 heap_str(h, f->file, NULL));
		break;
	}
	}
}

static unsigned threads_enter(struct view *v, size_t i)
{
	struct threads_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct trow *r = &d->rows[i];
	const struct heap_thread *t = &h->threads[r->thread];
	char label[700];
	uint32_t o;

	switch ((enum trow_kind)r->kind) {
	case TR_FRAME:
	case TR_SOURCE:
		return browser_push(
			v->b,
			view_locals_new(v->b, heap_str(h, h->frames[r->frame].root_label, NULL)));
	case TR_WAIT:
		if (browser_prepare(v->b, HEAP_NEED_INDEX))
			return UI_REDRAW;
		o = heap_lookup(h, d->st.threads[r->thread].wait.lock);
		if (o == HEAP_NONE) {
			browser_message(v->b, "the lock is not in this heap");
			return UI_REDRAW;
		}
		return browser_push(v->b, view_object_new(v->b, o));
	default:
		break;
	}
	/* a thread's own roots carry the label the walk gives them */
	snprintf(label, sizeof(label), "thread %d%s%s", t->tid,
		 *heap_str(h, t->name, NULL) ? " " : "", heap_str(h, t->name, NULL));
	return browser_push(v->b, view_locals_new(v->b, label));
}

static void threads_free(struct view *v)
{
	struct threads_data *d = v->data;

	free(d->rows);
	free(d->texts);
	stacks_release(&d->st);
}

/* Keep a source line; its offset in d->texts. */
static uint32_t add_text(struct threads_data *d, const char *t)
{
	size_t n = strlen(t) + 1, at = d->ntexts;

	if (d->ntexts + n > d->captexts) {
		d->captexts = 2 * (d->ntexts + n) + 4096;
		d->texts = xreallocarray(d->texts, d->captexts, 1);
	}
	memcpy(d->texts + at, t, n);
	d->ntexts += n;
	return (uint32_t)at;
}

static const struct view_key threads_keys[] = {
	{ CMD_ENTER, "on a frame (or its source line): its local variables; on a thread: what "
		     "its state holds; "
		     "on a wait: the lock" },
	{ CMD_NONE },
};

static const struct view_ops threads_ops = {
	.name = "threads",
	.nrows = threads_nrows,
	.title = threads_title,
	.row = threads_row,
	.enter = threads_enter,
	.free = threads_free,
	.keys = threads_keys,
};

/* Under frame f of thread i, its source line, when it reads. */
static void source_row(struct threads_data *d, struct sources *src, const struct heap *h,
		       uint32_t i, uint32_t f)
{
	const struct heap_frame *fr = &h->frames[f];
	char text[600];
	int changed = 0;

	if (fr->line <= 0 || sources_line(src, heap_str(h, fr->file, NULL), fr->line, text,
					  sizeof(text) - 32, &changed))
		return;
	if (changed)
		strcat(text, "  (file changed since)");
	d->rows[d->n++] = (struct trow){ i, f, TR_SOURCE, add_text(d, text) };
}

struct view *view_threads_new(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	const struct heap *h = b->h;
	struct view *v = view_new(b, &threads_ops, sizeof(struct threads_data));
	struct threads_data *d = v->data;
	char text[DEADLOCK_TEXT];
	struct sources src;
	size_t i, n = 0;
	uint32_t f;
	/* only the process captured now: a snapshot's pid may be another's */
	int live = b->src && b->src->recapture;

	if (threads_from_heap(h, &d->st, &err))
		ui_die(&err);
	/* a snapshot's counts are bounded by what the file holds */
	for (i = 0; i < h->nthread; i++)
		n += 3 +
		     2 * (h->threads[i].nframes < h->nframe ? h->threads[i].nframes : h->nframe);
	if (live)
		sources_init(&src, (pid_t)h->meta.pid, NULL);
	d->rows = xcalloc(n, sizeof(*d->rows));
	for (i = 0; i < d->st.nthreads && d->n < n; i++)
		if (waits_deadlock_words(&d->st, i, text, sizeof(text))) {
			d->rows[d->n++] = (struct trow){ (uint32_t)i, 0, TR_DEADLOCK, 0 };
			d->ndeadlocks++;
		}
	for (i = 0; i < h->nthread; i++) {
		const struct heap_thread *t = &h->threads[i];

		d->rows[d->n++] = (struct trow){ (uint32_t)i, 0, TR_THREAD, 0 };
		if (i < d->st.nthreads && d->st.threads[i].wait.lock)
			d->rows[d->n++] = (struct trow){ (uint32_t)i, 0, TR_WAIT, 0 };
		for (f = 0; f < t->nframes && d->n < n; f++) {
			/* a loaded snapshot's thread may point past frames[] */
			if ((size_t)t->first_frame + f >= h->nframe)
				break;
			d->rows[d->n++] =
				(struct trow){ (uint32_t)i, t->first_frame + f, TR_FRAME, 0 };
			if (live && d->n < n)
				source_row(d, &src, h, (uint32_t)i, t->first_frame + f);
		}
	}
	if (live)
		sources_release(&src);
	if (!d->n)
		browser_message(b, "no threads were recorded in this capture");
	return v;
}
