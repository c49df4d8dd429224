/*
 * row.c - the one way a row shows an object reached by a named reference:
 * lead, the reference's name, address, type, size and summary, in
 * columns that line up whatever the text's width.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "ui_internal.h"

void row_object(struct browser *b, char *buf, size_t len, const char *lead, const char *name,
		uint32_t o)
{
	const struct heap *h = b->h;
	char sum[512], size[32];
	size_t n;

	heap_summary(h, o, sum, sizeof(sum));
	heap_size_text(heap_size(h, o), size, sizeof(size));
	snprintf(buf, len, "%s", lead);
	text_pad(b, buf, len, name, ROW_NAME_COLS);
	n = strlen(buf);
	snprintf(buf + n, len - n, " 0x%-14llx ", (unsigned long long)h->obj[o].addr);
	text_pad(b, buf, len, heap_type_name(h, o), ROW_TYPE_COLS);
	n = strlen(buf);
	snprintf(buf + n, len - n, " %9s  %s", size, sum);
}
