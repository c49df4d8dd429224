/*
 * filter.h - keep the rows of a view that contain a text, as it is typed.
 *
 * A view's rows are items (object or type indexes) in an order the view
 * keeps; the filter keeps those whose text contains the filter's text,
 * ignoring case, in that order.  Two things keep typing responsive over
 * millions of rows:
 *   - narrowing: what "abc" keeps is among what "ab" kept (any text that
 *     contains the new one contains the old one), so a text that grows
 *     looks only at the rows the previous one kept, and at the items that
 *     one had not looked at yet;
 *   - steps: the work is done a bounded number of items at a time
 *     (filter_step), and the browser reads keys between steps, so a key
 *     never waits for the whole list.
 * rows[0..nrows) are always items that match the text, in order; while
 * the filter is not done they are the matches found so far.
 *
 * Invariant between steps: rows[0..nrows) match text; rows[rd..rend)
 * (rd >= nrows) matched a shorter text and are to be looked at again;
 * then the items of all[] from pos on (in reading order), not looked at.
 */
#ifndef HS_UI_FILTER_H
#define HS_UI_FILTER_H

#include <stddef.h>
#include <stdint.h>

struct ui_filter {
	const uint32_t *all; /* the view's items, in its order (the view's) */
	size_t nall;
	int reverse;	/* read all[] from its end */
	uint32_t *rows; /* nall items: the kept ones first */
	size_t nrows;
	size_t rd, rend; /* kept for a shorter text, to look at again */
	size_t pos;	 /* all[] read up to here */
	size_t todo;	 /* items to look at when the text was set */
	char text[128];
	/* 1 if item's text contains text (not ""), ignoring case */
	int (*match)(void *ctx, uint32_t item, const char *text);
	void *ctx;
};

/* Over the nall items of all (kept by the caller, who may reorder them
 * and then calls filter_restart), with text "": every item.  rows is
 * allocated (ui's x-allocation: dies on OOM); filter_release frees it. */
void filter_init(struct ui_filter *f, const uint32_t *all, size_t nall,
		 int (*match)(void *ctx, uint32_t item, const char *text), void *ctx);
void filter_release(struct ui_filter *f);
/* Keep the items that contain text: narrowing what the current text kept
 * when text contains it, else from the start.  Done at once for "";
 * else filter_step does the work. */
void filter_set(struct ui_filter *f, const char *text);
/* all[] was reordered, or reverse changed: filter again from the start. */
void filter_restart(struct ui_filter *f, int reverse);
/* Look at up to budget items; 1 when the filter is done. */
int filter_step(struct ui_filter *f, size_t budget);
int filter_done(const struct ui_filter *f);
/* What is done, in percent of what the last filter_set left to do. */
unsigned filter_progress(const struct ui_filter *f);
/* Step until done. */
void filter_finish(struct ui_filter *f);
/* The filter as a title says it: its text, and while it is not done
 * "(filtering N%)". */
void filter_label(const struct ui_filter *f, char *buf, size_t len);

#endif
