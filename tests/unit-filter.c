/*
 * unit-filter - the browser's filter as you type (ui/filter.c): what it
 * keeps, what it looks at, and that it works in steps.
 *
 * Items are indexes of random words; an item matches a text when its
 * word contains it, ignoring case, and every look is counted.  Whatever
 * the texts typed and the steps taken, the rows in the end are the items
 * a plain pass keeps, in order (and in reverse order).  A text that grows
 * looks only at what the shorter one kept (narrowing), even when the
 * shorter one had not finished; a step looks at no more items than its
 * budget, and the rows so far always match; "" keeps all at once.
 */
#include "config.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"
#include "tap.h"

#define N 5000
#define WORD 12

static char words[N][WORD + 1];
static uint32_t all[N];
static size_t looks;

static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] &&
			    tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]);
		     i++)
			;
		if (i == n)
			return 1;
	}
	return !n;
}

static int match(void *ctx, uint32_t item, const char *text)
{
	(void)ctx;
	looks++;
	return contains(words[item], text);
}

/* The items a plain pass keeps for text, in reading order. */
static size_t plain(const char *text, int reverse, uint32_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < N; i++) {
		uint32_t it = all[reverse ? N - 1 - i : i];

		if (contains(words[it], text))
			out[n++] = it;
	}
	return n;
}

static int same(const struct ui_filter *f, const char *text, int reverse)
{
	static uint32_t want[N];
	size_t n = plain(text, reverse, want);

	return filter_done(f) && f->nrows == n && !memcmp(f->rows, want, n * sizeof(*want));
}

/* Every row so far matches f's text, and they come in reading order. */
static int rows_sound(const struct ui_filter *f)
{
	static uint32_t want[N];
	size_t n = plain(f->text, f->reverse, want), i, k = 0;

	for (i = 0; i < f->nrows; i++) {
		while (k < n && want[k] != f->rows[i])
			k++;
		if (k == n)
			return 0;
		k++;
	}
	return 1;
}

int main(void)
{
	static const char *const texts[] = { "a", "ab", "abc", "b", "", "ba", "x", "A", "aB" };
	struct ui_filter f;
	size_t i, j, kept, before, worst = 0;
	char text[16];
	int ok, round;

	srand(12);
	for (i = 0; i < N; i++) {
		for (j = 0; j < WORD; j++)
			words[i][j] = "abcdefghijABCDEFGxyz"[rand() % 20];
		all[i] = (uint32_t)((i * 7919) % N);
	}
	filter_init(&f, all, N, match, NULL);
	tap_ok(filter_done(&f) && same(&f, "", 0), "at first every item, in order");

	looks = 0;
	filter_set(&f, "a");
	filter_finish(&f);
	tap_ok(same(&f, "a", 0) && looks == N, "\"a\": each item looked at once (%zu)", looks);
	kept = f.nrows;
	looks = 0;
	filter_set(&f, "ab");
	filter_finish(&f);
	tap_ok(same(&f, "ab", 0) && looks == kept,
	       "\"ab\" narrows: looks at the %zu items \"a\" kept, not %d (%zu)", kept, N, looks);
	looks = 0;
	filter_set(&f, "xab");
	filter_finish(&f);
	tap_ok(same(&f, "xab", 0) && looks < kept,
	       "\"xab\" (grown at the front) narrows too (%zu looks)", looks);
	looks = 0;
	filter_set(&f, "xa");
	filter_finish(&f);
	tap_ok(same(&f, "xa", 0) && looks == N, "a shorter text starts over (%zu looks)", looks);
	looks = 0;
	filter_set(&f, "");
	tap_ok(filter_done(&f) && same(&f, "", 0) && !looks, "\"\": all at once, no look");

	/* a text that grows while the shorter one is half done */
	filter_set(&f, "a");
	for (i = 0; i < 10; i++)
		filter_step(&f, 100);
	before = f.nrows;
	looks = 0;
	filter_set(&f, "ab");
	filter_finish(&f);
	tap_ok(same(&f, "ab", 0) && looks == before + (N - 1000),
	       "grown half way: looks at the %zu kept and the %d not seen (%zu)", before, N - 1000,
	       looks);

	/* steps: never more looks than the budget, the rows so far sound */
	ok = 1;
	filter_set(&f, "c");
	filter_set(&f, "ca");
	while (!filter_done(&f)) {
		looks = 0;
		filter_step(&f, 37);
		if (looks > 37 || !rows_sound(&f))
			ok = 0;
		if (filter_progress(&f) > 100)
			ok = 0;
	}
	tap_ok(ok && same(&f, "ca", 0) && filter_progress(&f) == 100,
	       "steps of 37: each looks at 37 items at most, the rows so far match");

	/* reading the other way */
	filter_restart(&f, 1);
	filter_finish(&f);
	tap_ok(same(&f, "ca", 1), "reversed: the same rows the other way");

	/* random typing, steps and orders: the same rows as a plain pass */
	ok = 1;
	for (round = 0; round < 300; round++) {
		size_t len = strlen(f.text);

		switch (rand() % 4) {
		case 0: /* type a character */
			if (len + 1 < sizeof(text)) {
				memcpy(text, f.text, len);
				text[len] = "abcxyzAB"[rand() % 8];
				text[len + 1] = '\0';
				filter_set(&f, text);
			}
			break;
		case 1: /* backspace */
			memcpy(text, f.text, len + 1);
			if (len)
				text[len - 1] = '\0';
			filter_set(&f, text);
			break;
		case 2: /* another text */
			filter_set(&f, texts[rand() % (sizeof(texts) / sizeof(texts[0]))]);
			break;
		default: /* sorted the other way */
			filter_restart(&f, !f.reverse);
			break;
		}
		for (i = rand() % 4; i > 0; i--)
			filter_step(&f, (size_t)(rand() % 3000));
		if (!rows_sound(&f))
			ok = 0;
		if (rand() % 5 == 0) {
			looks = 0;
			filter_finish(&f);
			if (looks > worst)
				worst = looks;
			if (!same(&f, f.text, f.reverse)) {
				tap_diag("round %d: text '%s' reverse %d: rows differ", round,
					 f.text, f.reverse);
				ok = 0;
			}
		}
	}
	filter_finish(&f);
	tap_ok(ok && same(&f, f.text, f.reverse) && worst <= N,
	       "300 rounds of typing, backspace, sorting and steps: the rows of a plain pass");
	filter_release(&f);
	return tap_done();
}
