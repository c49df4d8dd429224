/*
 * view_memory.c - where the process's memory went when it was captured:
 * the breakdown the capture took (python/memory.h), a line a row.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/memory.h"
#include "ui_internal.h"

#define MAX_LINES 64

struct memory_data {
	char *line[MAX_LINES];
	size_t n;
};

static void add_line(void *ctx, const char *text)
{
	struct memory_data *d = ctx;
	size_t len = strlen(text) + 1;

	if (d->n == MAX_LINES)
		return;
	d->line[d->n] = xcalloc(1, len);
	memcpy(d->line[d->n++], text, len);
}

static size_t memory_nrows(struct view *v)
{
	return ((struct memory_data *)v->data)->n;
}

static void memory_title(struct view *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "Memory: where the RSS went when the process was captured");
}

static void memory_row(struct view *v, size_t i, char *buf, size_t len, int *attr)
{
	const char *s = ((struct memory_data *)v->data)->line[i];

	snprintf(buf, len, "%s", s);
	if (strstr(s, "unknown") || strstr(s, "not counted") || strstr(s, "no breakdown"))
		*attr = ROW_DIM;
	else if (s[0] != ' ')
		*attr = ROW_HEADING;
}

static void memory_free(struct view *v)
{
	struct memory_data *d = v->data;
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->line[i]);
}

static const struct view_ops memory_ops = {
	.name = "memory",
	.nrows = memory_nrows,
	.title = memory_title,
	.row = memory_row,
	.free = memory_free,
};

struct view *view_memory_new(struct browser *b)
{
	struct view *v = view_new(b, &memory_ops, sizeof(struct memory_data));
	struct mem_breakdown mb;

	if (memory_from_bytes(b->h->mem, b->h->mem_len, &mb))
		add_line(v->data, "no breakdown: this snapshot was taken by a heapscope that did "
				  "not record one (format version 2 or older)");
	else
		memory_text(&mb, add_line, v->data);
	return v;
}
