/*
 * unit-linetable - the line table decoders against independent encoders.
 *
 * For each format, random programs (ranges of instructions with a line
 * or "no line") are encoded the way CPython's compiler lays the table out,
 * then every instruction offset is decoded and compared with the range it
 * falls in.  Lines jump by small steps, by hundreds and by tens of
 * thousands, both ways; ranges run from one code unit to hundreds, so
 * they are split across entries.
 *
 * The encoders record where each complete entry ends (bytes, and the
 * address it covers up to), so a table cut short at any byte must still
 * decode every address its complete entries cover; past them the decoder
 * may answer anything but must not crash.  Garbage tables likewise.
 */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/linetable.h"
#include "tap.h"

#define MAX_RANGES 64
#define MAX_TABLE (1 << 20)
#define MAX_BOUNDS (1 << 16)
#define PROGRAMS 300

struct range {
	int units; /* length in code units (2 bytes) */
	int line;  /* -1: no line */
};

static uint64_t rng = 0x2545f4914f6cdd1dull;

static int rnd(int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int)(rng % (uint64_t)n);
}

/* An encoded table and the ends of its complete entries. */
struct buf {
	uint8_t b[MAX_TABLE];
	size_t n;
	struct {
		size_t bytes; /* table length up to the end of the entry */
		long addr;    /* byte offsets below this are described */
	} bound[MAX_BOUNDS];
	size_t nbound;
	long addr; /* address described so far */
	int overflow;
};

static void put(struct buf *t, int v)
{
	if (t->n < MAX_TABLE)
		t->b[t->n++] = (uint8_t)v;
	else
		t->overflow = 1;
}

/* An entry is complete: it described bytes of code up to here. */
static void mark(struct buf *t, long bytes)
{
	t->addr += bytes;
	if (t->nbound < MAX_BOUNDS) {
		t->bound[t->nbound].bytes = t->n;
		t->bound[t->nbound].addr = t->addr;
		t->nbound++;
	} else {
		t->overflow = 1;
	}
}

static void pair(struct buf *t, int a, int b)
{
	put(t, a);
	put(t, b & 0xff);
	mark(t, a);
}

/*
 * 3.8/3.9 lnotab: (address delta, line delta) pairs; the line changes
 * once the address is reached.  Every range has a line.  As CPython 3.8's
 * assembler: address steps of 255 with no line change first, then line
 * steps of 127 or -128, the first of them carrying the address delta.
 */
static void enc_lnotab(struct buf *t, const struct range *r, int n, int first)
{
	int i, addr = 0, prev_addr = 0, line = first;

	for (i = 0; i < n; i++) {
		int da = addr - prev_addr, dl = r[i].line - line;

		while (da > 255) {
			pair(t, 255, 0);
			da -= 255;
		}
		while (dl > 127 || dl < -128) {
			int step = dl > 0 ? 127 : -128;

			pair(t, da, step);
			da = 0;
			dl -= step;
		}
		pair(t, da, dl);
		line = r[i].line;
		prev_addr = addr;
		addr += 2 * r[i].units;
	}
}

/*
 * 3.10: (byte length, line delta) pairs, -128 = no line.  As CPython
 * 3.10's assemble_line_range: line steps of +-127 with no length first,
 * then lengths of at most 254, the first carrying the line delta.
 */
static void enc_310(struct buf *t, const struct range *r, int n, int first)
{
	int i, line = first;

	for (i = 0; i < n; i++) {
		int len = 2 * r[i].units, dl;

		if (r[i].line < 0) {
			while (len > 254) {
				pair(t, 254, -128);
				len -= 254;
			}
			pair(t, len, -128);
			continue;
		}
		dl = r[i].line - line;
		while (dl > 127 || dl < -127) {
			int step = dl > 0 ? 127 : -127;

			pair(t, 0, step);
			dl -= step;
		}
		while (len > 254) {
			pair(t, 254, dl);
			dl = 0;
			len -= 254;
		}
		pair(t, len, dl);
		line = r[i].line;
	}
}

/* 3.11+ varints: 6 bits a byte, least significant first, bit 6 = more. */
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

/* 3.11+: entries of 1-8 code units, each in one of the entry forms the
 * line delta allows, chosen at random. */
static void enc_311(struct buf *t, const struct range *r, int n, int first)
{
	int i, line = first;

	for (i = 0; i < n; i++) {
		int left = r[i].units;

		while (left > 0) {
			int len = left > 8 ? 8 : left, dl, form;

			left -= len;
			if (r[i].line < 0) {
				put(t, 0x80 | (15 << 3) | (len - 1)); /* none */
				mark(t, 2 * len);
				continue;
			}
			dl = r[i].line - line;
			line = r[i].line;
			form = rnd(4);
			if (dl == 0 && form == 0) {
				put(t, 0x80 | (rnd(10) << 3) | (len - 1)); /* short */
				put(t, rnd(128));
			} else if (dl >= 0 && dl <= 2 && form == 1) {
				put(t, 0x80 | ((10 + dl) << 3) | (len - 1)); /* one line */
				put(t, rnd(128));
				put(t, rnd(128));
			} else if (form == 2) {
				put(t, 0x80 | (14 << 3) | (len - 1)); /* long */
				svarint(t, dl);
				varint(t, (unsigned)rnd(3));
				varint(t, (unsigned)rnd(100));
				varint(t, (unsigned)rnd(100));
			} else {
				put(t, 0x80 | (13 << 3) | (len - 1)); /* no column */
				svarint(t, dl);
			}
			mark(t, 2 * len);
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
		int jump;

		if (rnd(40) == 0)
			jump = rnd(200000) - 100000;
		else if (rnd(10) == 0)
			jump = rnd(600) - 300;
		else
			jump = rnd(7) - 2;
		line += jump;
		if (line < 1)
			line = 1 + rnd(5);
		r[i].line = allow_noline && rnd(8) == 0 ? -1 : line;
		r[i].units = 1 + (rnd(12) == 0 ? rnd(400) : rnd(10));
	}
}

static void encode(enum linetable_format fmt, struct buf *t, const struct range *r, int n,
		   int first)
{
	t->n = 0;
	t->nbound = 0;
	t->addr = 0;
	t->overflow = 0;
	if (fmt == LINETABLE_LNOTAB)
		enc_lnotab(t, r, n, first);
	else if (fmt == LINETABLE_310)
		enc_310(t, r, n, first);
	else
		enc_311(t, r, n, first);
}

/*
 * Cut the table at a random byte: every address below the end of the
 * last complete entry must decode as with the whole table; the rest only
 * must not crash.  Returns the number of wrong answers.
 */
static int truncated(enum linetable_format fmt, const struct buf *t, const struct range *r, int n,
		     int first, int total, const char *name, int prog)
{
	size_t cut = (size_t)rnd((int)t->n + 1), k;
	long covered = 0;
	int a, bad = 0;

	for (k = 0; k < t->nbound && t->bound[k].bytes <= cut; k++)
		covered = t->bound[k].addr;
	for (a = 0; a < total + 64; a += 2) {
		int got = linetable_line(fmt, t->b, cut, first, a);

		if (a < covered && got != expected(r, n, a) && bad++ < 3)
			tap_diag("%s program %d cut at %zu/%zu, addr %d: got %d, want %d", name,
				 prog, cut, t->n, a, got, expected(r, n, a));
	}
	return bad;
}

static void run_format(enum linetable_format fmt, const char *name)
{
	static struct buf t;
	struct range r[MAX_RANGES];
	int prog, bad = 0, badcut = 0, checked = 0, bigjumps = 0, noline = 0;

	for (prog = 0; prog < PROGRAMS; prog++) {
		int n = 1 + rnd(MAX_RANGES), first = 1 + rnd(2000), total = 0, i, a;

		/* lnotab has no "no line" */
		gen(r, n, first, fmt != LINETABLE_LNOTAB);
		encode(fmt, &t, r, n, first);
		if (t.overflow) {
			tap_diag("%s program %d: encoder overflow", name, prog);
			bad++;
			continue;
		}
		for (i = 0; i < n; i++) {
			int prev = i ? r[i - 1].line : first;

			total += 2 * r[i].units;
			noline += r[i].line < 0;
			bigjumps += r[i].line >= 0 && prev >= 0 &&
				    (r[i].line - prev > 127 || r[i].line - prev < -128);
		}
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
		/* past the end: 3.10+ has no line there; lnotab keeps the last */
		if (fmt != LINETABLE_LNOTAB && linetable_line(fmt, t.b, t.n, first, total) != -1 &&
		    bad++ < 5)
			tap_diag("%s program %d: a line past the end of the code", name, prog);
		badcut += truncated(fmt, &t, r, n, first, total, name, prog);
	}
	tap_ok(!bad,
	       "%s: %d offsets in %d random programs decode to their line "
	       "(%d jumps beyond a byte, %d ranges without a line)",
	       name, checked, PROGRAMS, bigjumps, noline);
	tap_ok(!badcut, "%s: tables cut at a random byte still decode what they cover", name);
}

/* Fixed cases written out by hand from the formats' descriptions. */
static void known(void)
{
	/* 3.8: line 10; +6 bytes -> line 12; +300 bytes (255 + 45) -> line 9 */
	static const uint8_t lnotab[] = { 6, 2, 255, 0, 45, 0xfd };
	/* 3.10: 4 bytes line 11, 2 bytes no line, 2 bytes line 11 + 200 */
	static const uint8_t l310[] = { 4, 1, 2, 0x80, 0, 127, 2, 73 };
	/* 3.11: 2 units no-column +1 (line 6), 1 unit none, 3 units long
	 * form -3 (line 3), 1 unit one-line form +2 (line 5) */
	static const uint8_t l311[] = { 0x80 | 13 << 3 | 1,
					2,
					0x80 | 15 << 3,
					0x80 | 14 << 3 | 2,
					7,
					1,
					5,
					9,
					0x80 | 12 << 3,
					3,
					4 };

	tap_ok(linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 0) == 10 &&
		       linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 6) == 12 &&
		       linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 305) == 12 &&
		       linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 306) == 9 &&
		       linetable_line(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 10, 5000) == 9,
	       "3.8/3.9 lnotab: a hand-written table");
	tap_ok(linetable_line(LINETABLE_310, l310, sizeof(l310), 10, 2) == 11 &&
		       linetable_line(LINETABLE_310, l310, sizeof(l310), 10, 4) == -1 &&
		       linetable_line(LINETABLE_310, l310, sizeof(l310), 10, 6) == 211 &&
		       linetable_line(LINETABLE_310, l310, sizeof(l310), 10, 8) == -1,
	       "3.10 linetable: a hand-written table");
	tap_ok(linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 2) == 6 &&
		       linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 4) == -1 &&
		       linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 6) == 3 &&
		       linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 10) == 3 &&
		       linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 12) == 5 &&
		       linetable_line(LINETABLE_311, l311, sizeof(l311), 5, 14) == -1,
	       "3.11+ location table: a hand-written table");
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
		/* a long run of continuation bytes: varints must stay bounded */
		if (i % 10 == 0)
			memset(junk + n / 2, 0x7f, n - n / 2);
		for (fmt = LINETABLE_LNOTAB; fmt <= LINETABLE_311; fmt++) {
			linetable_line(fmt, junk, n, 1, rnd(4096));
			linetable_line(fmt, junk, n, 1, 0x7ffffffe);
			calls += 2;
		}
	}
	/* an empty table: nothing to find */
	tap_ok(linetable_line(LINETABLE_311, junk, 0, 7, 0) == -1 &&
		       linetable_line(LINETABLE_310, junk, 0, 7, 0) == -1,
	       "empty tables give no line (%d garbage tables decoded without a crash)", calls);
}

int main(void)
{
	run_format(LINETABLE_LNOTAB, "3.8/3.9 lnotab");
	run_format(LINETABLE_310, "3.10 linetable");
	run_format(LINETABLE_311, "3.11+ location table");
	known();
	robustness();
	return tap_done();
}
