/*
 * ui.h - the terminal browser over a heap graph.
 *
 * ui_browse() takes over the terminal (ncurses, wide characters) until the
 * user quits, then leaves it as it was.  The graph is read, never changed,
 * except that reverse edges and the address index are built on demand
 * (heap_prepare).  When the graph comes from a live process, src->recapture
 * takes a new one; the browser then replaces its graph and shows the growth
 * per type since the previous one.
 */
#ifndef HS_UI_H
#define HS_UI_H

#include "base/error.h"
#include "heap/heap.h"

struct ui_source {
	/* Capture the process again into out (heap_init'ed by the caller).
	 * 0, or -1 with err.  NULL: the graph cannot be taken again (a
	 * snapshot file). */
	int (*recapture)(void *ctx, struct heap *out, struct hs_error *err);
	void *ctx;
};

/* Browse h until the user quits.  h stays the caller's unless a recapture
 * replaced it: then *h is the newest graph (the old one released).
 * 0, or -1 with err (the terminal cannot be used). */
int ui_browse(struct heap *h, const struct ui_source *src, struct hs_error *err);

#endif
