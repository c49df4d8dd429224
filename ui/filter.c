/*
 * filter.c - rows that contain a text, narrowed as it grows, in steps
 * (filter.h).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"
#include "ui_internal.h"

void filter_init(struct ui_filter *f, const uint32_t *all, size_t nall,
		 int (*match)(void *ctx, uint32_t item, const char *text), void *ctx)
{
	memset(f, 0, sizeof(*f));
	f->all = all;
	f->nall = nall;
	f->match = match;
	f->ctx = ctx;
	f->rows = xcalloc(nall, sizeof(*f->rows));
	filter_restart(f, 0);
}

void filter_release(struct ui_filter *f)
{
	free(f->rows);
	f->rows = NULL;
}

static uint32_t item_at(const struct ui_filter *f, size_t i)
{
	return f->all[f->reverse ? f->nall - 1 - i : i];
}

void filter_restart(struct ui_filter *f, int reverse)
{
	size_t i;

	f->reverse = reverse;
	f->nrows = f->rd = f->rend = 0;
	f->pos = 0;
	if (!f->text[0]) {
		/* every item: nothing to look at */
		for (i = 0; i < f->nall; i++)
			f->rows[i] = item_at(f, i);
		f->nrows = f->pos = f->nall;
	}
	f->todo = f->nall - f->pos;
}

void filter_set(struct ui_filter *f, const char *text)
{
	size_t pending = f->rend - f->rd;
	int narrow = f->text[0] && text_contains(text, f->text);

	if (!strcmp(text, f->text))
		return;
	snprintf(f->text, sizeof(f->text), "%s", text);
	if (!narrow) {
		filter_restart(f, f->reverse);
		return;
	}
	/* what the old text kept, and what it had still to look at again,
	 * is all the new one can keep of them: look at it again, in order */
	memmove(f->rows + f->nrows, f->rows + f->rd, pending * sizeof(*f->rows));
	f->rd = 0;
	f->rend = f->nrows + pending;
	f->nrows = 0;
	f->todo = f->rend + (f->nall - f->pos);
}

int filter_done(const struct ui_filter *f)
{
	return f->rd == f->rend && f->pos == f->nall;
}

int filter_step(struct ui_filter *f, size_t budget)
{
	uint32_t it;

	/* rows[nrows] is written only once rows[rd] has been read, and
	 * nrows <= rd: in place */
	for (; budget && f->rd < f->rend; budget--) {
		it = f->rows[f->rd++];
		if (f->match(f->ctx, it, f->text))
			f->rows[f->nrows++] = it;
	}
	for (; budget && f->pos < f->nall; budget--) {
		it = item_at(f, f->pos++);
		if (f->match(f->ctx, it, f->text))
			f->rows[f->nrows++] = it;
	}
	return filter_done(f);
}

unsigned filter_progress(const struct ui_filter *f)
{
	size_t left = (f->rend - f->rd) + (f->nall - f->pos);

	if (!f->todo || left >= f->todo)
		return left ? 0 : 100;
	return (unsigned)(100 - (100 * (unsigned long long)left + f->todo - 1) / f->todo);
}

void filter_label(const struct ui_filter *f, char *buf, size_t len)
{
	if (filter_done(f))
		snprintf(buf, len, "%s", f->text);
	else
		snprintf(buf, len, "%s (filtering %u%%)", f->text, filter_progress(f));
}

void filter_finish(struct ui_filter *f)
{
	while (!filter_step(f, (size_t)1 << 16))
		;
}
