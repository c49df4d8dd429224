/*
 * browser.c - the main loop: keys in, commands out, one redraw per turn.
 */
#include "config.h"
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "analysis/diff.h"
#include "target/fatal.h"
#include "ui_internal.h"

#define LIST_TOP 2    /* title and column header above the list */
#define LIST_BOTTOM 2 /* status line and message line below */

void ui_die(const struct hs_error *err)
{
	endwin();
	fprintf(stderr, "heapscope: %s\n", err->msg);
	exit(hs_exit_status(err->code));
}

static void die_nomem(void)
{
	struct hs_error err = HS_ERROR_INIT;

	hs_error_set(&err, HS_ENOMEM, "out of memory");
	ui_die(&err);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_nomem();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (!q)
		die_nomem();
	return q;
}

struct view *view_new(struct browser *b, const struct view_ops *ops, size_t len)
{
	struct view *v = xcalloc(1, sizeof(*v));

	v->ops = ops;
	v->b = b;
	v->data = len ? xcalloc(1, len) : NULL;
	return v;
}

static void view_free(struct view *v)
{
	if (!v)
		return;
	if (v->ops->free)
		v->ops->free(v);
	free(v->data);
	free(v);
}

void browser_message(struct browser *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
	va_end(ap);
}

unsigned browser_push(struct browser *b, struct view *v)
{
	if (!v)
		return UI_REDRAW;
	if (b->depth == UI_HISTORY) {
		/* the history is full: forget its oldest view */
		view_free(b->stack[0]);
		memmove(b->stack, b->stack + 1, (UI_HISTORY - 1) * sizeof(b->stack[0]));
		b->depth--;
	}
	b->stack[b->depth++] = v;
	if (v->ops->resize)
		v->ops->resize(v, b->cols);
	return UI_REDRAW;
}

int browser_prepare(struct browser *b, unsigned need)
{
	struct hs_error err = HS_ERROR_INIT;

	if (heap_prepare(b->h, need, &err)) {
		browser_message(b, "%s", err.msg);
		return -1;
	}
	return 0;
}

static struct view *top_view(struct browser *b)
{
	return b->depth ? b->stack[b->depth - 1] : NULL;
}

static int list_rows(const struct browser *b)
{
	int n = b->rows - LIST_TOP - LIST_BOTTOM;

	return n > 1 ? n : 1;
}

/* Keep the cursor inside the list and on screen. */
static void clamp(struct browser *b, struct view *v)
{
	size_t n = v->ops->nrows(v), page = (size_t)list_rows(b);

	if (v->cursor >= n)
		v->cursor = n ? n - 1 : 0;
	if (v->top > v->cursor)
		v->top = v->cursor;
	if (v->cursor >= v->top + page)
		v->top = v->cursor - page + 1;
	if (n > page && v->top > n - page)
		v->top = n - page;
	if (n <= page)
		v->top = 0;
}

/* ---- drawing ---- */

static void draw_status(struct browser *b)
{
	const struct heap_meta *m = &b->h->meta;
	char line[512], when[32], total[32], count[32], pause[32];
	struct tm tm;
	time_t t = (time_t)m->capture_time;

	if (b->total_for != b->captures + 1) {
		b->total = heap_total_size(b->h);
		b->total_for = b->captures + 1;
	}
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	else
		snprintf(when, sizeof(when), "?");
	heap_size_text(b->total, total, sizeof(total));
	heap_count_text(b->h->nobj, count, sizeof(count));
	if (m->mode == HC_LIVE)
		snprintf(pause, sizeof(pause), "not stopped");
	else if (m->mode == HC_CORE)
		snprintf(pause, sizeof(pause), "core file");
	else
		snprintf(pause, sizeof(pause), "paused %.0f ms", m->pause_ns / 1e6);
	/* what matters most first: a narrow screen cuts the end */
	snprintf(line, sizeof(line), " pid %lld  Python %s  %s%s objects  %s  %s  %s",
		 (long long)m->pid, heap_str(b->h, m->version, NULL),
		 m->warnings ? "INCONSISTENT  " : "", count, total, pause, when);
	attron(A_REVERSE);
	move(b->rows - 2, 0);
	clrtoeol();
	mvhline(b->rows - 2, 0, ' ', b->cols);
	text_draw(b, b->rows - 2, 0, line, b->cols);
	attroff(A_REVERSE);
}

/*
 * One line of a view (a row or the column titles) on screen line y, from
 * column left of its text: '<' in the first column when the view is
 * scrolled sideways past some of it, '>' in the last when it goes on past
 * the screen.  Unscrolled, a heading too wide loses its middle instead
 * (its end says which); Right shows it whole.
 */
static void draw_line(struct browser *b, int y, const char *s, size_t left, int heading)
{
	size_t n = strlen(s);
	int w = text_width(b, s, n);

	if (!left && heading) {
		text_draw_elided(b, y, 0, s, b->cols);
		return;
	}
	text_draw(b, y, 0, s + text_fit(b, s, n, (int)left), b->cols);
	if (left && w)
		mvaddch(y, 0, '<');
	if ((size_t)w > left + (size_t)b->cols)
		mvaddch(y, b->cols - 1, '>');
}

/* The widest line on v's page (its rows on screen and column titles). */
static size_t page_width(struct browser *b, struct view *v)
{
	size_t n = v->ops->nrows(v), w = 0, i, x;
	char buf[1024];
	int attr, y;

	if (v->ops->header) {
		buf[0] = '\0';
		v->ops->header(v, buf, sizeof(buf));
		w = (size_t)text_width(b, buf, strlen(buf));
	}
	for (y = 0; y < list_rows(b) && v->top + (size_t)y < n; y++) {
		i = v->top + (size_t)y;
		buf[0] = '\0';
		attr = ROW_PLAIN;
		v->ops->row(v, i, buf, sizeof(buf), &attr);
		x = (size_t)text_width(b, buf, strlen(buf));
		if (x > w)
			w = x;
	}
	return w;
}

/* Left (dir -1) or Right (1): half a screen sideways, as far as the page
 * has text. */
static unsigned scroll_sideways(struct browser *b, struct view *v, int dir)
{
	size_t step = b->cols / 2 > 8 ? (size_t)b->cols / 2 : 8;

	if (dir < 0) {
		if (!v->left)
			browser_message(b,
					"at the left edge: Right scrolls to the rest of wide rows");
		v->left = v->left > step ? v->left - step : 0;
		return UI_REDRAW;
	}
	if (page_width(b, v) <= v->left + (size_t)b->cols) {
		browser_message(b, "no row on this page goes further right");
		return UI_REDRAW;
	}
	v->left += step;
	return UI_REDRAW;
}

static void draw(struct browser *b)
{
	struct view *v = top_view(b);
	char buf[1024], where[64];
	size_t n, i;
	int y, attr, page = list_rows(b);

	erase();
	if (!v)
		return;
	clamp(b, v);
	n = v->ops->nrows(v);

	/* title: the view and where the cursor is */
	snprintf(where, sizeof(where), "%zu/%zu  ? help", n ? v->cursor + 1 : 0, n);
	buf[0] = '\0';
	v->ops->title(v, buf, sizeof(buf));
	attron(A_BOLD | A_REVERSE);
	mvhline(0, 0, ' ', b->cols);
	if ((int)strlen(where) + 3 < b->cols) {
		text_draw_elided(b, 0, 1, buf, b->cols - (int)strlen(where) - 3);
		mvaddstr(0, b->cols - (int)strlen(where) - 1, where);
	} else {
		text_draw_elided(b, 0, 1, buf, b->cols - 1);
	}
	attroff(A_BOLD | A_REVERSE);

	if (v->ops->header) {
		buf[0] = '\0';
		v->ops->header(v, buf, sizeof(buf));
		attron(A_UNDERLINE);
		draw_line(b, 1, buf, v->left, 0);
		attroff(A_UNDERLINE);
	}
	for (y = 0; y < page && v->top + (size_t)y < n; y++) {
		i = v->top + (size_t)y;
		buf[0] = '\0';
		attr = ROW_PLAIN;
		v->ops->row(v, i, buf, sizeof(buf), &attr);
		if (i == v->cursor) {
			attron(A_REVERSE);
			mvhline(LIST_TOP + y, 0, ' ', b->cols);
		}
		if (attr == ROW_HEADING)
			attron(A_BOLD | (b->color ? COLOR_PAIR(1) : 0));
		if (attr == ROW_DIM)
			attron(A_DIM);
		draw_line(b, LIST_TOP + y, buf, v->left, attr == ROW_HEADING);
		attrset(A_NORMAL);
	}
	draw_status(b);
	if (b->msg[0]) {
		text_draw(b, b->rows - 1, 0, b->msg, b->cols);
		b->msg[0] = '\0';
	}
}

/* The terminal changed size: the view on screen lays itself out again
 * (the others do when they come back). */
static void resized(struct browser *b)
{
	struct view *v = top_view(b);

	getmaxyx(stdscr, b->rows, b->cols);
	if (v && v->ops->resize)
		v->ops->resize(v, b->cols);
}

/* ---- keys, and filters between them ---- */

#define FILTER_STEP 4096 /* items a filter looks at between two looks at the keys */
#define FILTER_DRAW 16	 /* steps between two redraws of a filter's progress */

static struct ui_filter *view_filter(struct view *v)
{
	return v && v->ops->filter ? v->ops->filter(v) : NULL;
}

static void draw_prompt(struct browser *b, const char *what, const char *text)
{
	move(b->rows - 1, 0);
	clrtoeol();
	mvaddstr(b->rows - 1, 0, what);
	text_draw(b, b->rows - 1, (int)strlen(what), text, b->cols - (int)strlen(what) - 1);
}

/*
 * The next key.  While the view on screen has a filter at work, it goes on
 * in steps between looks at the keyboard, so that typing never waits for
 * a long list; the screen (and the prompt what with text, if what) shows
 * its progress now and then.
 */
static int read_key(struct browser *b, const char *what, const char *text)
{
	struct ui_filter *f = view_filter(top_view(b));
	unsigned steps = 0;
	int c;

	while (f && !filter_done(f)) {
		nodelay(stdscr, TRUE);
		c = getch();
		nodelay(stdscr, FALSE);
		if (c != ERR)
			return c;
		if (filter_step(f, FILTER_STEP) || ++steps % FILTER_DRAW == 0) {
			draw(b);
			if (what)
				draw_prompt(b, what, text);
			refresh();
		}
	}
	return getch();
}

/* ---- prompts ---- */

/*
 * Read a line on the bottom row after prompt.  live, if set, is called
 * after each change (a filter as you type).  1 with the text, 0 cancelled
 * (Esc or ^G).
 */
static int prompt(struct browser *b, const char *what, char *out, size_t len,
		  void (*live)(struct browser *b, const char *text))
{
	size_t n = strlen(out);
	int c;

	curs_set(1);
	for (;;) {
		draw_prompt(b, what, out);
		refresh();
		c = read_key(b, what, out);
		if (c == '\n' || c == '\r' || c == KEY_ENTER) {
			curs_set(0);
			return 1;
		}
		if (c == 27 || c == 7 || c == 3) {
			curs_set(0);
			return 0;
		}
		if (c == KEY_RESIZE) {
			resized(b);
			draw(b);
			continue;
		}
		if (c == KEY_BACKSPACE || c == 127 || c == 8) {
			/* drop one whole UTF-8 character */
			while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0)
				n--;
		} else if (c == 21) {
			n = 0; /* ^U */
		} else if (c >= 0x20 && c < 0x100 && c != 0x7f && n + 1 < len) {
			out[n++] = (char)c;
		} else {
			continue;
		}
		out[n] = '\0';
		if (live) {
			live(b, out);
			draw(b);
		}
	}
}

/* The filter of the view on screen has a new text: it starts to work,
 * read_key goes on with it. */
static void live_filter(struct browser *b, const char *text)
{
	struct view *v = top_view(b);

	filter_set(view_filter(v), text);
	v->cursor = v->top = 0;
}

/* Move to the next row (dir 1) or previous (-1) containing b->search;
 * from the cursor's own row when from_here. */
static void search(struct browser *b, int dir, int from_here)
{
	struct view *v = top_view(b);
	size_t n = v->ops->nrows(v), k, i;
	char buf[1024];
	int attr;

	if (!b->search[0]) {
		browser_message(b, "no search yet: / to search");
		return;
	}
	for (k = from_here ? 0 : 1; k <= n && n; k++) {
		i = dir > 0 ? (v->cursor + k) % n : (v->cursor + n - k % n) % n;
		buf[0] = '\0';
		attr = ROW_PLAIN;
		v->ops->row(v, i, buf, sizeof(buf), &attr);
		if (text_contains(buf, b->search)) {
			if ((dir > 0 && i < v->cursor) || (dir < 0 && i > v->cursor))
				browser_message(b, "search wrapped");
			v->cursor = i;
			return;
		}
	}
	browser_message(b, "not found: %s", b->search);
}

static unsigned go_to(struct browser *b)
{
	char text[64] = "";
	uint64_t addr;
	uint32_t i;

	if (!prompt(b, "go to address: ", text, sizeof(text), NULL) || !text[0])
		return UI_REDRAW;
	if (query_parse_addr(text, &addr)) {
		browser_message(b, "'%s' is not an address (0x7f... or decimal)", text);
		return UI_REDRAW;
	}
	if (browser_prepare(b, HEAP_NEED_INDEX))
		return UI_REDRAW;
	i = heap_lookup(b->h, addr);
	if (i == HEAP_NONE) {
		browser_message(b, "no object at 0x%llx in this heap", (unsigned long long)addr);
		return UI_REDRAW;
	}
	return browser_push(b, view_object_new(b, i));
}

/* Retained sizes for every view: a fraction of a second for millions of
 * objects; without them (out of memory) the views do without. */
static void dominators(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;

	if (heap_prepare(b->h, HEAP_NEED_DOMINATORS, &err))
		browser_message(b, "no retained sizes: %s", err.msg);
}

/* ---- recapture and growth ---- */

/* Growth per type of nh since oh, from their diff: types are matched by
 * name, and two of one name (classes called alike) count together. */
static struct ui_growth *growth(struct heap *oh, const struct heap *nh)
{
	struct hs_error err = HS_ERROR_INIT;
	struct ui_growth *gr = xcalloc(nh->ntype, sizeof(*gr));
	struct heap_diff d;
	size_t i;

	if (diff_heaps(oh, nh, DIFF_BY_COUNT, 0, &d, &err))
		ui_die(&err);
	for (i = 0; i < nh->ntype; i++) {
		uint32_t r = d.new_rows[i];

		if (r == HEAP_NONE)
			continue;
		gr[i].count = d.types[r].dcount;
		gr[i].size = d.types[r].dsize;
	}
	diff_release(&d);
	return gr;
}

static unsigned recapture(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap nh;
	int ret;

	if (!b->src || !b->src->recapture) {
		browser_message(b, "R needs a running process: this is a snapshot file");
		return UI_REDRAW;
	}
	browser_message(b, "capturing process %lld again...", (long long)b->h->meta.pid);
	draw(b);
	refresh();
	heap_init(&nh);
	ret = b->src->recapture(b->src->ctx, &nh, &err);
	/* keys pressed while it ran (a q to cancel?) must not act now */
	flushinp();
	if (ret) {
		heap_release(&nh);
		browser_message(b, "capture failed: %s", err.msg);
		return UI_REDRAW;
	}
	while (b->depth)
		view_free(b->stack[--b->depth]);
	free(b->growth);
	b->growth = growth(b->h, &nh);
	heap_release(b->h);
	*b->h = nh;
	b->captures++;
	dominators(b);
	browser_message(b, "captured again: +count and +size are the change since the "
			   "previous capture; s sorts by them");
	return browser_push(b, view_types_new(b));
}

/* ---- the loop ---- */

static unsigned move_cursor(struct browser *b, struct view *v, long rows)
{
	size_t n = v->ops->nrows(v);

	if (!n)
		return 0;
	if (rows < 0)
		v->cursor = (size_t)-rows > v->cursor ? 0 : v->cursor - (size_t)-rows;
	else
		v->cursor = v->cursor + (size_t)rows >= n ? n - 1 : v->cursor + (size_t)rows;
	return UI_REDRAW;
}

static unsigned back(struct browser *b)
{
	if (b->depth <= 1) {
		browser_message(b, "this is the first view: q quits");
		return UI_REDRAW;
	}
	view_free(b->stack[--b->depth]);
	if (top_view(b)->ops->resize)
		top_view(b)->ops->resize(top_view(b), b->cols);
	return UI_REDRAW;
}

static unsigned mouse(struct browser *b, struct view *v)
{
	MEVENT ev;
	size_t row;

	if (getmouse(&ev) != OK)
		return 0;
	if (ev.bstate & BUTTON4_PRESSED)
		return move_cursor(b, v, -3);
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED)
		return move_cursor(b, v, 3);
#endif
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED)))
		return 0;
	if (ev.y < LIST_TOP || ev.y >= LIST_TOP + list_rows(b))
		return 0;
	row = v->top + (size_t)(ev.y - LIST_TOP);
	if (row >= v->ops->nrows(v))
		return 0;
	/* a click on the selected row, or a double click, opens it */
	if (row == v->cursor || ev.bstate & BUTTON1_DOUBLE_CLICKED)
		return v->ops->enter ? v->ops->enter(v, row) : 0;
	v->cursor = row;
	return UI_REDRAW;
}

static unsigned command(struct browser *b, enum ui_cmd c)
{
	struct view *v = top_view(b);
	uint32_t obj;

	switch (c) {
	case CMD_UP:
		return move_cursor(b, v, -1);
	case CMD_DOWN:
		return move_cursor(b, v, 1);
	case CMD_PGUP:
		return move_cursor(b, v, -list_rows(b));
	case CMD_PGDN:
		return move_cursor(b, v, list_rows(b));
	case CMD_FIRST:
		v->cursor = 0;
		return UI_REDRAW;
	case CMD_LAST:
		return move_cursor(b, v, (long)v->ops->nrows(v));
	case CMD_ENTER:
		if (v->ops->enter && v->ops->nrows(v))
			return v->ops->enter(v, v->cursor);
		return 0;
	case CMD_BACK:
		return back(b);
	case CMD_LEFT:
	case CMD_RIGHT:
		return scroll_sideways(b, v, c == CMD_LEFT ? -1 : 1);
	case CMD_SEARCH: {
		char text[sizeof(b->search)] = "";

		if (prompt(b, "/", text, sizeof(text), NULL) && text[0]) {
			memcpy(b->search, text, sizeof(text));
			search(b, 1, 1);
		}
		return UI_REDRAW;
	}
	case CMD_NEXT:
	case CMD_PREV:
		search(b, c == CMD_NEXT ? 1 : -1, 0);
		return UI_REDRAW;
	case CMD_FILTER: {
		struct ui_filter *f = view_filter(v);
		char old[sizeof(f->text)], text[sizeof(f->text)];

		if (!f) {
			browser_message(b, "this view has no filter");
			return UI_REDRAW;
		}
		memcpy(old, f->text, sizeof(old));
		memcpy(text, f->text, sizeof(text));
		if (!prompt(b, "filter: ", text, sizeof(text), live_filter))
			live_filter(b, old);
		return UI_REDRAW;
	}
	case CMD_SORT:
	case CMD_REVERSE:
		if (!v->ops->sort) {
			browser_message(b, "this view has no columns to sort");
			return UI_REDRAW;
		}
		v->cursor = v->top = 0;
		return v->ops->sort(v, c == CMD_REVERSE);
	case CMD_GOTO:
		return go_to(b);
	case CMD_TYPES:
		return browser_push(b, view_types_new(b));
	case CMD_THREADS:
		return browser_push(b, view_threads_new(b));
	case CMD_GARBAGE:
		return browser_push(b, view_garbage_new(b));
	case CMD_TASKS:
		return browser_push(b, view_tasks_new(b));
	case CMD_MEMORY:
		return browser_push(b, view_memory_new(b));
	case CMD_SUSPECTS:
		return browser_push(b, view_suspects_new(b));
	case CMD_DOMTREE:
		obj = v->ops->current ? v->ops->current(v) : HEAP_NONE;
		return browser_push(b, view_domtree_new(b, obj));
	case CMD_PATH:
	case CMD_INSTANCES:
	case CMD_OPEN:
		obj = v->ops->current ? v->ops->current(v) : HEAP_NONE;
		if (obj == HEAP_NONE) {
			browser_message(b, "no object here");
			return UI_REDRAW;
		}
		if (c == CMD_PATH)
			return browser_push(b, view_path_new(b, obj));
		if (c == CMD_OPEN)
			return browser_push(b, view_object_new(b, obj));
		return browser_push(b, view_instances_new(b, b->h->obj[obj].type));
	case CMD_RECAPTURE:
		return recapture(b);
	case CMD_REDRAW:
		clearok(curscr, TRUE);
		return UI_REDRAW;
	case CMD_HELP:
		return browser_push(b, view_help_new(b, v));
	case CMD_QUIT:
		/* q on the help screen closes it, as in less and man */
		if (!strcmp(v->ops->name, "help") && b->depth > 1)
			return back(b);
		return UI_QUIT;
	default:
		return 0;
	}
}

/* ---- the terminal, and leaving it as it was ---- */

static struct termios saved_tio;
static int saved_tio_ok;
static char reset_seq[128];
static size_t reset_len;

/* From the fatal-signal handler: only async-signal-safe calls. */
static void restore_terminal(void)
{
	if (reset_len && write(STDOUT_FILENO, reset_seq, reset_len) < 0)
		return;
	if (saved_tio_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void add_bytes(const char *s);

static void add_reset(const char *cap)
{
	char *s = tigetstr((char *)cap);

	if (s && s != (char *)-1)
		add_bytes(s);
}

static void add_bytes(const char *s)
{
	size_t n = strlen(s);

	if (reset_len + n < sizeof(reset_seq)) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

/* The mouse reports ncurses turned on, off: its XM capability with 0,
 * or xterm's modes. */
static void add_mouse_off(void)
{
	char *xm = tigetstr((char *)"XM");

	if (xm && xm != (char *)-1)
		add_bytes(tiparm(xm, 0));
	else
		add_bytes("\033[?1006l\033[?1000l\033[?1002l\033[?1003l");
}

/* A crash (a bug of ours) must not leave the terminal unusable either:
 * put it back, then die of the same signal (the handler is one-shot). */
static void on_crash(int sig)
{
	restore_terminal();
	raise(sig);
}

static void crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;
	size_t i;

#ifdef __SANITIZE_ADDRESS__
	return; /* the sanitizer's own handlers report the crash */
#endif
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void crash_handlers_off(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

static int screen_open(struct browser *b, struct hs_error *err)
{
	const char *cs;

	setlocale(LC_ALL, "");
	/* the locale's characters, but numbers written as everywhere else
	 * in heapscope (1.5 MiB, not 1,5 MiB) */
	setlocale(LC_NUMERIC, "C");
	cs = nl_langinfo(CODESET);
	b->utf8 = cs && !strcmp(cs, "UTF-8");
	saved_tio_ok = !tcgetattr(STDIN_FILENO, &saved_tio);
	if (!newterm(NULL, stdout, stdin)) {
		hs_error_set(err, HS_EUSAGE, "cannot use this terminal (TERM=%s)",
			     getenv("TERM") ? getenv("TERM") : "");
		hs_error_hint(err, "set TERM to your terminal's type, e.g. TERM=xterm");
		return -1;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	b->color = has_colors() && !getenv("NO_COLOR");
	if (b->color) {
		start_color();
		/* the terminal's own background and foreground; headings
		 * in its cyan */
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
	}
	b->mouse = mousemask(ALL_MOUSE_EVENTS, NULL) != 0;
	mouseinterval(0);
	getmaxyx(stdscr, b->rows, b->cols);
	/* what endwin() would undo, ready for a fatal signal: attributes,
	 * cursor, keypad mode, mouse reports, the alternate screen */
	reset_len = 0;
	add_reset("sgr0");
	add_reset("cnorm");
	add_reset("rmkx");
	if (b->mouse)
		add_mouse_off();
	add_reset("rmcup");
	if (fatal_add_hook(restore_terminal)) {
		endwin();
		return hs_error_set(err, HS_EINTERNAL,
				    "no room for the fatal-signal hook "
				    "that restores the terminal");
	}
	crash_handlers();
	return 0;
}

static void screen_close(void)
{
	endwin();
	fatal_remove_hook(restore_terminal);
	crash_handlers_off();
}

int ui_browse(struct heap *h, const struct ui_source *src, struct hs_error *err)
{
	struct browser b = { .h = h, .src = src };
	unsigned r = UI_REDRAW;
	int key;

	if (screen_open(&b, err))
		return -1;
	dominators(&b);
	browser_push(&b, view_types_new(&b));
	findings_say(&b);
	for (;;) {
		if (r & UI_QUIT)
			break;
		if (r & UI_REDRAW) {
			draw(&b);
			refresh();
		}
		key = read_key(&b, NULL, NULL);
		if (key == KEY_RESIZE) {
			resized(&b);
			r = UI_REDRAW;
			continue;
		}
		if (key == KEY_MOUSE) {
			r = mouse(&b, top_view(&b));
			continue;
		}
		r = command(&b, keys_command(key));
		if (!r && key != ERR)
			r = 0;
	}
	while (b.depth)
		view_free(b.stack[--b.depth]);
	free(b.growth);
	screen_close();
	return 0;
}
