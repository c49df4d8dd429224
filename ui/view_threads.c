/*
 * view_threads.c - every thread with its Python stack; Enter on a frame
 * lists its local variables (the objects the frame holds), on a thread
 * the objects its thread state holds.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

struct trow {
	uint32_t thread;
	uint32_t frame; /* frames[] index, HEAP_NONE for the thread's row */
};

struct threads_data {
	struct trow *rows;
	size_t n;
};

static size_t threads_nrows(struct view *v)
{
	return ((struct threads_data *)v->data)->n;
}

static void threads_title(struct view *v, char *buf, size_t len)
{
	snprintf(buf, len, "Threads: %zu, innermost frame first", v->b->h->nthread);
}

static void threads_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct threads_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct heap_thread *t = &h->threads[d->rows[i].thread];

	if (d->rows[i].frame == HEAP_NONE) {
		const char *name = heap_str(h, t->name, NULL);

		snprintf(buf, len, "thread %d%s%s%s%s, %u frame%s", t->tid, *name ? " " : "", name,
			 t->flags & 1 ? " (main)" : "", t->flags & 2 ? " holds the GIL" : "",
			 t->nframes, t->nframes == 1 ? "" : "s");
		*attr = ROW_HEADING;
	} else {
		const struct heap_frame *f = &h->frames[d->rows[i].frame];

		if (f->line >= 0)
			snprintf(buf, len, "    %s (%s:%d)", heap_str(h, f->function, NULL),
				 heap_str(h, f->file, NULL), f->line);
		else
			snprintf(buf, len, "    %s (%s)", heap_str(h, f->function, NULL),
				 heap_str(h, f->file, NULL));
	}
}

static unsigned threads_enter(struct view *v, size_t i)
{
	struct threads_data *d = v->data;
	const struct heap *h = v->b->h;
	const struct heap_thread *t = &h->threads[d->rows[i].thread];
	char label[700];

	if (d->rows[i].frame != HEAP_NONE)
		return browser_push(
			v->b,
			view_locals_new(v->b,
					heap_str(h, h->frames[d->rows[i].frame].root_label, NULL)));
	/* a thread's own roots carry the label the walk gives them */
	snprintf(label, sizeof(label), "thread %d%s%s", t->tid,
		 *heap_str(h, t->name, NULL) ? " " : "", heap_str(h, t->name, NULL));
	return browser_push(v->b, view_locals_new(v->b, label));
}

static void threads_free(struct view *v)
{
	free(((struct threads_data *)v->data)->rows);
}

static const struct view_key threads_keys[] = {
	{ CMD_ENTER, "on a frame: its local variables; on a thread: what its state holds" },
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

struct view *view_threads_new(struct browser *b)
{
	const struct heap *h = b->h;
	struct view *v = view_new(b, &threads_ops, sizeof(struct threads_data));
	struct threads_data *d = v->data;
	size_t i, n = 0;
	uint32_t f;

	/* a snapshot's counts are bounded by what the file holds */
	for (i = 0; i < h->nthread; i++)
		n += 1 + (h->threads[i].nframes < h->nframe ? h->threads[i].nframes : h->nframe);
	d->rows = xcalloc(n, sizeof(*d->rows));
	for (i = 0; i < h->nthread; i++) {
		const struct heap_thread *t = &h->threads[i];

		d->rows[d->n++] = (struct trow){ (uint32_t)i, HEAP_NONE };
		for (f = 0; f < t->nframes && d->n < n; f++) {
			/* a loaded snapshot's thread may point past frames[] */
			if ((size_t)t->first_frame + f >= h->nframe)
				break;
			d->rows[d->n++] = (struct trow){ (uint32_t)i, t->first_frame + f };
		}
	}
	if (!d->n)
		browser_message(b, "no threads were recorded in this capture");
	return v;
}
