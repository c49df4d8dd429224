/*
 * text.c - untrusted text on the terminal.
 *
 * Values come from the target's memory: they may hold escape sequences,
 * invalid UTF-8, characters of any width.  Only printable characters the
 * terminal can show reach it; everything else is drawn as '?', one
 * column, so widths stay predictable.
 */
#include "config.h"
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
#include "ui_internal.h"

/* Decode one UTF-8 character of s[0..n): its code point in *cp and its
 * length; an invalid or cut sequence is one byte with *cp = -1. */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	size_t len, i;
	int32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*cp = -1;
		return 1;
	}
	if (len > n) {
		*cp = -1;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not characters */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c < 0xe000) || c > 0x10ffff) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return len;
}

/* Columns cp takes when drawn; 0 means it is drawn as '?' (1 column). */
static int char_width(const struct browser *b, int32_t cp)
{
	int w;

	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp < 0x7f)
		return 1;
	if (!b->utf8 || cp < 0xa0 || !iswprint((wint_t)cp))
		return 0;
	w = wcwidth((wchar_t)cp);
	return w > 0 && w <= 2 ? w : 0;
}

/* Walk s: each character's bytes and columns, until width is used up. */
size_t text_fit(const struct browser *b, const char *s, size_t n, int width)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;
	int32_t cp;
	int w, used = 0;

	while (i < n && u[i]) {
		len = utf8_next(u + i, n - i, &cp);
		w = char_width(b, cp);
		if (w == 0)
			w = 1;
		if (used + w > width)
			break;
		used += w;
		i += len;
	}
	return i;
}

int text_width(const struct browser *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int32_t cp;
	int w, used = 0;

	while (i < n && u[i]) {
		i += utf8_next(u + i, n - i, &cp);
		w = char_width(b, cp);
		used += w ? w : 1;
	}
	return used;
}

int text_draw(struct browser *b, int y, int x, const char *s, int width)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), len;
	int32_t cp;
	int w, used = 0;

	move(y, x);
	while (i < n) {
		len = utf8_next(u + i, n - i, &cp);
		w = char_width(b, cp);
		if (used + (w ? w : 1) > width)
			break;
		if (w == 0) {
			addch('?');
			used++;
		} else if (cp < 0x80) {
			addch((chtype)cp);
			used++;
		} else {
			wchar_t wc[2] = { (wchar_t)cp, 0 };
			cchar_t cc;

			setcchar(&cc, wc, 0, 0, NULL);
			add_wch(&cc);
			used += w;
		}
		i += len;
	}
	return used;
}

int text_draw_elided(struct browser *b, int y, int x, const char *s, int width)
{
	size_t n = strlen(s), skip;
	int total = text_width(b, s, n), tail, head;

	if (total <= width || width < 12)
		return text_draw(b, y, x, s, width);
	/* the end of a label says which (":54) #2", a local's name), its
	 * middle is a long file name: keep both ends */
	tail = (width - 3) / 2;
	head = text_draw(b, y, x, s, width - 3 - tail);
	mvaddstr(y, x + head, "...");
	skip = text_fit(b, s, n, total - tail);
	return head + 3 + text_draw(b, y, x + head + 3, s + skip, tail);
}

void text_pad(const struct browser *b, char *buf, size_t len, const char *s, int width)
{
	size_t o = strlen(buf), n = strlen(s);
	int w = text_width(b, s, n);

	if (o + n + 1 >= len)
		n = o + 1 < len ? len - o - 1 : 0;
	memcpy(buf + o, s, n);
	o += n;
	while (w < width && o + 1 < len) {
		buf[o++] = ' ';
		w++;
	}
	buf[o] = '\0';
}

int text_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n)
		return 1;
	for (; *hay; hay++) {
		for (i = 0; i < n; i++) {
			unsigned char a = (unsigned char)hay[i], c = (unsigned char)needle[i];

			if (!a)
				return 0;
			if (a >= 'A' && a <= 'Z')
				a += 'a' - 'A';
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (a != c)
				break;
		}
		if (i == n)
			return 1;
	}
	return 0;
}
