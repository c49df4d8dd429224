/*
 * unit-linetable - the line table decoders against independent encoders.
 *
 * For each format, random programs (ranges of instructions with a line
 * or "no line") are encoded the way CPython's compiler lays the table out,
 * then every instruction offset is decoded and compared with the range it
 * falls in.  Truncated and garbage tables must not crash.
 */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "linetable.h"
#include "tap.h"

#define MAX_RANGES 64
#define MAX_TABLE 65536

struct range {
	int units;	/* length in code units (2 bytes) */
	int line;	/* -1: no line */
};

static uint64_t rng = 0x2545f4914f6cdd1dull;

static int rnd(int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int)(rng % (uint64_t)n);
}

struct buf {
	uint8_t b[MAX_TABLE];
	size_t n;
};

static void put(struct buf *t, int v)
{
	if (t->n < MAX_TABLE)
		t->b[t->n++] = (uint8_t)v;
}

/* 3.8/3.9 lnotab: (address delta, line delta) pairs, line changes once
 * the address is reached; every range has a line. */
static void enc_lnotab(struct buf *t, const struct range *r, int n, int first)
{
	int i, addr = 0, prev_addr = 0, line = first;

	for (i = 0; i < n; i++) {
		int da = addr - prev_addr, dl = r[i].line - line;

		while (da > 255) {
			put(t, 255);
			put(t, 0);
			da -= 255;
		}
		while (dl > 127 || dl < -128) {
			int step = dl > 0 ? 127 : -128;

			put(t, da);
			put(t, step & 0xff);
			da = 0;
			dl -= step;
		}
		put(t, da);
		put(t, dl & 0xff);
		line = r[i].line;
		prev_addr = addr;
		addr += 2 * r[i].units;
	}
}

/* 3.10: (byte length, line delta) pairs, -128 = no line. */
static void enc_310(struct buf *t, const struct range *r, int n, int first)
{
	int i, line = first;

	for (i = 0; i < n; i++) {
		int len = 2 * r[i].units;

		if (r[i].line < 0) {
			while (len > 254) {
				put(t, 254);
				put(t, -128 & 0xff);
				len -= 254;
			}
			put(t, len);
			put(t, -128 & 0xff);
			continue;
		}
		{
			int dl = r[i].line - line;

			while (dl > 127 || dl < -127) {
				int step = dl > 0 ? 127 : -127;

				put(t, 0);
				put(t, step & 0xff);
				dl -= step;
			}
			while (len > 254) {
				put(t, 254);
				put(t, dl & 0xff);
				dl = 0;
				len -= 254;
			}
			put(t, len);
			put(t, dl & 0xff);
			line = r[i].line;
		}
	}
}

static void varint(struct buf *t, unsigned v)
{
	while (v >= 64) {
		put(t, 64 | (v & 63));
		v >>= 6;
	}
	put(t, v);
}

static void svarint(struct buf *t, int v)
{
	varint(t, v < 0 ? ((unsigned)-v << 1) | 1 : (unsigned)v << 1);
}

/* 3.11+: entries of 1-8 code units in one of the entry forms. */
static void enc_311(struct buf *t, const struct range *r, int n, int first)
{
	int i, line = first;

	for (i = 0; i < n; i++) {
		int left = r[i].units;

		while (left > 0) {
			int len = left > 8 ? 8 : left, dl, form;

			left -= len;
			if (r[i].line < 0) {
				put(t, 0x80 | (15 << 3) | (len - 1));
				continue;
			}
			dl = r[i].line - line;
			line = r[i].line;
			form = rnd(4);
			if (dl == 0 && form == 0) {
				put(t, 0x80 | (rnd(10) << 3) | (len - 1));	/* short */
				put(t, rnd(128));
			} else if (dl >= 0 && dl <= 2 && form == 1) {
				put(t, 0x80 | ((10 + dl) << 3) | (len - 1));	/* one line */
				put(t, rnd(128));
				put(t, rnd(128));
			} else if (form == 2) {
				put(t, 0x80 | (14 << 3) | (len - 1));	/* long */
				svarint(t, dl);
				varint(t, rnd(3));
				varint(t, rnd(100));
				varint(t, rnd(100));
			} else {
				put(t, 0x80 | (13 << 3) | (len - 1));	/* no column */
				svarint(t, dl);
			}
		}
	}
}

static int expected(const struct range *r, int n, int addr)
{
	int i, start = 0;

	for (i = 0; i < n; i++) {
		if (addr < start + 2 * r[i].units)
			return r[i].line;
		start += 2 * r[i].units;
	}
	return -1;
}

static void gen(struct range *r, int n, int first, int allow_noline)
{
	int i, line = first;

	for (i = 0; i < n; i++) {
		int jump = rnd(10) == 0 ? rnd(600) - 300 : rnd(7) - 2;

		line += jump;
		if (line < 1)
			line = 1 + rnd(5);
		r[i].line = allow_noline && rnd(8) == 0 ? -1 : line;
		r[i].units = 1 + (rnd(12) == 0 ? rnd(400) : rnd(10));
	}
}

static void run_format(enum linetable_format fmt, const char *name)
{
	static struct buf t;
	struct range r[MAX_RANGES];
	int prog, bad = 0, checked = 0;

	for (prog = 0; prog < 300; prog++) {
		int n = 1 + rnd(MAX_RANGES), first = 1 + rnd(2000), total = 0, i, a;

		gen(r, n, first, fmt != LINETABLE_LNOTAB);
		/* lnotab has no "no line" and its first range starts at line 0's
		 * delta from firstlineno, which the encoder writes */
		t.n = 0;
		if (fmt == LINETABLE_LNOTAB)
			enc_lnotab(&t, r, n, first);
		else if (fmt == LINETABLE_310)
			enc_310(&t, r, n, first);
		else
			enc_311(&t, r, n, first);
		for (i = 0; i < n; i++)
			total += 2 * r[i].units;
		for (a = 0; a < total; a += 2) {
			int want = expected(r, n, a);
			int got = linetable_line(fmt, t.b, t.n, first, a);

			checked++;
			if (got != want && bad++ < 5)
				tap_diag("%s program %d addr %d: got %d, want %d", name, prog, a,
					 got, want);
		}
		if (linetable_line(fmt, t.b, t.n, first, -2) != first && bad++ < 5)
			tap_diag("%s: a frame not started must give co_firstlineno", name);
	}
	tap_ok(!bad, "%s: %d offsets in 300 random programs decode to their line", name,
	       checked);
}

static void robustness(void)
{
	uint8_t junk[512];
	int i, fmt, calls = 0;

	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)rnd(sizeof(junk));
		size_t k;

		for (k = 0; k < n; k++)
			junk[k] = (uint8_t)rnd(256);
		for (fmt = LINETABLE_LNOTAB; fmt <= LINETABLE_311; fmt++) {
			linetable_line(fmt, junk, n, 1, rnd(4096));
			calls++;
		}
	}
	/* an empty table: nothing to find */
	tap_ok(linetable_line(LINETABLE_311, junk, 0, 7, 0) == -1 &&
	       linetable_line(LINETABLE_310, junk, 0, 7, 0) == -1,
	       "empty tables give no line (%d garbage tables decoded without a crash)",
	       calls);
}

int main(void)
{
	run_format(LINETABLE_LNOTAB, "3.8/3.9 lnotab");
	run_format(LINETABLE_310, "3.10 linetable");
	run_format(LINETABLE_311, "3.11+ location table");
	robustness();
	return tap_done();
}
