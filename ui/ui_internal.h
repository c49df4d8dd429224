/*
 * ui_internal.h - what the browser's pieces share.
 *
 * The browser is a stack of views (the history); the top one is on
 * screen.  A view is a list of rows with a cursor: its ops say how many
 * rows there are and format one row on demand, so a list of a million
 * objects costs nothing until it is drawn.  Keys map to commands through
 * one table (keys.c); a command either moves the cursor (browser.c) or
 * goes to the view's ops.  Handlers return reaction flags; only the main
 * loop draws.
 */
#ifndef HS_UI_INTERNAL_H
#define HS_UI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "filter.h"
#include "heap/heap.h"
#include "analysis/query.h"
#include "ui.h"

/* Every command: name, the keys that give it (for help), what it does. */
/* clang-format off */
#define UI_COMMANDS(X)                                                          \
	X(UP, "k Up", "move up")                                                \
	X(DOWN, "j Down", "move down")                                          \
	X(PGUP, "PgUp ^B", "page up")                                           \
	X(PGDN, "PgDn ^F Space", "page down")                                   \
	X(FIRST, "g Home", "first row")                                         \
	X(LAST, "G End", "last row")                                            \
	X(ENTER, "Enter l", "open what the row shows")                          \
	X(BACK, "Backspace h", "back to the previous view")                     \
	X(LEFT, "Left", "scroll left (< marks a row scrolled)")                 \
	X(RIGHT, "Right", "scroll right: the rest of rows wider than the screen (> marks them)") \
	X(SEARCH, "/", "search the rows for text")                              \
	X(NEXT, "n", "next match")                                              \
	X(PREV, "N", "previous match")                                          \
	X(FILTER, "f", "keep only rows containing text (as you type)")          \
	X(SORT, "s", "sort by the next column")                                 \
	X(REVERSE, "S", "reverse the order")                                    \
	X(GOTO, ":", "go to the object at an address")                          \
	X(TYPES, "t", "types view")                                             \
	X(THREADS, "T", "threads and their stacks")                             \
	X(TASKS, "a", "asyncio tasks: where each is suspended, what it waits for") \
	X(PATH, "p", "path from a root to this object")                         \
	X(INSTANCES, "i", "all instances of this object's type")                \
	X(OPEN, "o", "open the object on this row")                            \
	X(DOMTREE, "D", "dominator tree: what keeps what alive, biggest first") \
	X(SUSPECTS, "L", "leak suspects: what keeps most of the heap alive")    \
	X(GARBAGE, "u", "unreachable objects: what the next collection frees")  \
	X(MEMORY, "M", "memory: where the process's RSS goes, by owner")       \
	X(RECAPTURE, "R", "capture the process again, show growth per type")    \
	X(REDRAW, "^L", "redraw the screen")                                    \
	X(HELP, "?", "keys of this view")                                       \
	X(QUIT, "q ^C", "quit")
/* clang-format on */

/* clang-format off */
enum ui_cmd {
	CMD_NONE = 0,
#define X(c, k, d) CMD_##c,
	UI_COMMANDS(X)
#undef X
	CMD_COUNT
};
/* clang-format on */

/* Reaction flags: what a handler wants the loop to do. */
enum ui_react {
	UI_REDRAW = 1 << 0,
	UI_QUIT = 1 << 1,
	UI_CLOSED = 1 << 2, /* the view popped itself: it is gone */
};

/* Row looks. */
enum ui_row_attr {
	ROW_PLAIN = 0,
	ROW_HEADING = 1, /* a section title: bold */
	ROW_DIM = 2,	 /* an explanation, nothing to open */
};

struct view;
struct browser;

/* A command of one view and what it does there; help NULL: the
 * command's own words (UI_COMMANDS). */
struct view_key {
	enum ui_cmd cmd;
	const char *help;
};

struct view_ops {
	const char *name;
	size_t (*nrows)(struct view *v);
	void (*title)(struct view *v, char *buf, size_t len);
	/* column titles, or NULL */
	void (*header)(struct view *v, char *buf, size_t len);
	/* row i as one line of UTF-8 (sanitised when drawn) */
	void (*row)(struct view *v, size_t i, char *buf, size_t len, int *attr);
	unsigned (*enter)(struct view *v, size_t i);
	/* next sort column (or reverse); NULL: not sortable */
	unsigned (*sort)(struct view *v, int reverse);
	/* the view's filter (filter.h), which the browser sets as the
	 * user types and steps between keys; NULL: no filter */
	struct ui_filter *(*filter)(struct view *v);
	/* the screen got wider or narrower (rows that wrap); may be NULL */
	void (*resize)(struct view *v, int cols);
	/* the object the cursor is on (for p, i), HEAP_NONE if none */
	uint32_t (*current)(struct view *v);
	void (*free)(struct view *v);
	const struct view_key *keys; /* its own commands, CMD_NONE ended */
};

struct view {
	const struct view_ops *ops;
	struct browser *b;
	size_t cursor, top;
	size_t left; /* columns scrolled sideways */
	void *data;
};

#define UI_HISTORY 64

/* Change of one type between two captures. */
struct ui_growth {
	int64_t count, size;
};

struct browser {
	struct heap *h;
	const struct ui_source *src;
	struct view *stack[UI_HISTORY];
	size_t depth;
	int rows, cols;
	int utf8; /* the terminal takes UTF-8 */
	int color;
	int mouse;
	char search[128];
	int search_dir;
	char msg[256];		  /* shown once on the status line */
	struct ui_growth *growth; /* per types[] index, NULL before R */
	unsigned captures;	  /* recaptures done */
	uint64_t total;		  /* bytes of all objects */
	unsigned total_for;	  /* captures + 1 when total was summed */
};

/* ---- browser.c ---- */
/* Put v on top of the history (it becomes the view on screen).  v NULL
 * (out of memory): a message, nothing else. */
unsigned browser_push(struct browser *b, struct view *v);
void browser_message(struct browser *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Allocate a view with data of size len (zeroed); dies on OOM like
 * every x-allocation in ui/. */
struct view *view_new(struct browser *b, const struct view_ops *ops, size_t len);
void *xcalloc(size_t n, size_t size);
/* Leave the terminal as it was, print err's message and exit with its
 * status: for what the browser cannot go on without (memory). */
void ui_die(const struct hs_error *err) __attribute__((noreturn));
void *xreallocarray(void *p, size_t n, size_t size);
/* The graph with its reverse edges and index (built on first use). */
int browser_prepare(struct browser *b, unsigned need);

/* ---- findings.c ---- */
/* Say on the status line what wants a look first (deadlocks, the first
 * leak suspect, asyncio tasks), each with its key; nothing if none. */
void findings_say(struct browser *b);

/* ---- keys.c ---- */
enum ui_cmd keys_command(int key);
const char *keys_text(enum ui_cmd c);
const char *keys_help(enum ui_cmd c);

/* ---- text.c ---- */
/* Draw s (UTF-8, untrusted) at y,x in at most width columns; control
 * characters and what the terminal cannot show become '?'.  Returns the
 * columns used. */
int text_draw(struct browser *b, int y, int x, const char *s, int width);
/* The same, but a text too wide loses its middle ("..."), not its end:
 * for titles and headings, whose ends say which. */
int text_draw_elided(struct browser *b, int y, int x, const char *s, int width);
/* Display width of s, as text_draw would draw it. */
int text_width(const struct browser *b, const char *s, size_t n);
/* Append s to buf padded to at least width columns: never cut (a longer
 * s pushes what follows; the row scrolls sideways). */
void text_pad(const struct browser *b, char *buf, size_t len, const char *s, int width);
/* Bytes of s that fit in width columns. */
size_t text_fit(const struct browser *b, const char *s, size_t n, int width);
/* Case-insensitive substring test. */
int text_contains(const char *hay, const char *needle);

/* ---- row.c ---- */
#define ROW_NAME_COLS 24
#define ROW_TYPE_COLS 16
/* Object o as a row: lead, then name, address, type, size, summary in
 * columns (the headers of the views that use it match them). */
void row_object(struct browser *b, char *buf, size_t len, const char *lead, const char *name,
		uint32_t o);

/* ---- views ---- */
struct view *view_types_new(struct browser *b);
struct view *view_instances_new(struct browser *b, uint32_t type);
struct view *view_object_new(struct browser *b, uint32_t obj);
struct view *view_path_new(struct browser *b, uint32_t obj);
struct view *view_threads_new(struct browser *b);
struct view *view_locals_new(struct browser *b, const char *label);
struct view *view_help_new(struct browser *b, const struct view *of);
struct view *view_garbage_new(struct browser *b);
struct view *view_suspects_new(struct browser *b);
struct view *view_tasks_new(struct browser *b);
struct view *view_memory_new(struct browser *b);
/* The dominator tree, opened down to focus (HEAP_NONE: the top). */
struct view *view_domtree_new(struct browser *b, uint32_t focus);

#endif
