/*
 * view_help.c - the keys of the view the user came from, then the keys
 * every view has.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui_internal.h"

static const enum ui_cmd common_keys[] = {
	CMD_UP,	     CMD_DOWN,	 CMD_PGUP,    CMD_PGDN,	  CMD_FIRST,   CMD_LAST,
	CMD_LEFT,    CMD_RIGHT,	 CMD_BACK,    CMD_SEARCH, CMD_NEXT,    CMD_PREV,
	CMD_GOTO,    CMD_TYPES,	 CMD_THREADS, CMD_TASKS,  CMD_DOMTREE, CMD_SUSPECTS,
	CMD_GARBAGE, CMD_MEMORY, CMD_REDRAW,  CMD_HELP,	  CMD_QUIT,    CMD_NONE,
};

static const struct view_key no_keys[] = { { CMD_NONE } };

struct help_data {
	const char *of;
	const struct view_key *own;
	size_t nown, n;
};

static size_t help_nrows(struct view *v)
{
	return ((struct help_data *)v->data)->n;
}

static void help_title(struct view *v, char *buf, size_t len)
{
	snprintf(buf, len, "Help: keys of the %s view (q or Backspace: back)",
		 ((struct help_data *)v->data)->of);
}

static void help_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	struct help_data *d = v->data;
	const char *help = NULL;
	enum ui_cmd c;

	if (i == 0 || i == d->nown + 2) {
		snprintf(buf, len, "%s", i ? "in every view" : "in this view");
		*attr = ROW_HEADING;
		return;
	}
	if (i == d->nown + 1) {
		buf[0] = '\0';
		return;
	}
	if (i <= d->nown) {
		c = d->own[i - 1].cmd;
		help = d->own[i - 1].help;
	} else {
		c = common_keys[i - d->nown - 3];
	}
	snprintf(buf, len, "  %-20s %s", keys_text(c), help ? help : keys_help(c));
}

static const struct view_ops help_ops = {
	.name = "help",
	.nrows = help_nrows,
	.title = help_title,
	.row = help_row,
};

struct view *view_help_new(struct browser *b, const struct view *of)
{
	struct view *v = view_new(b, &help_ops, sizeof(struct help_data));
	struct help_data *d = v->data;
	size_t n = 0;

	d->of = of ? of->ops->name : "";
	d->own = of && of->ops->keys ? of->ops->keys : no_keys;
	while (d->own[d->nown].cmd != CMD_NONE)
		d->nown++;
	while (common_keys[n] != CMD_NONE)
		n++;
	d->n = d->nown + 3 + n;
	return v;
}
