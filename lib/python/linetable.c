/*
 * linetable.c - CPython line tables, decoded as PyCode_Addr2Line does.
 *
 * Checked against the interpreters themselves: for every code object of
 * the standard library of 3.8-3.13, at every instruction offset, these
 * give what PyCode_Addr2Line gives.  Tables are untrusted bytes: every
 * read is bounded by n, and a table that ends early gives no line (or,
 * for lnotab, the last line it reached).
 */
#include "config.h"
#include "linetable.h"

enum linetable_format linetable_format_for(int minor)
{
	if (minor <= 9)
		return LINETABLE_LNOTAB;
	if (minor == 10)
		return LINETABLE_310;
	return LINETABLE_311;
}

/* 3.8/3.9: (address increment, signed line increment) byte pairs; the
 * line changes once the address passes the instruction. */
static int lnotab_line(const uint8_t *t, size_t n, int line, int addr)
{
	size_t i;
	long a = 0;

	for (i = 0; i + 1 < n; i += 2) {
		a += t[i];
		if (a > addr)
			break;
		line += (int8_t)t[i + 1];
	}
	return line;
}

/* 3.10: (byte length, signed line delta) pairs; -128 means "no line". */
static int line310(const uint8_t *t, size_t n, int line, int addr)
{
	long start = 0, end;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		int ld = (int8_t)t[i + 1];
		int this;

		end = start + t[i];
		if (ld == -128) {
			this = -1;
		} else {
			line += ld;
			this = line;
		}
		if (start <= addr && addr < end)
			return this;
		start = end;
	}
	return -1;
}

/* 3.11+: varint with 6 bits per byte, bit 6 = more. */
static unsigned varint(const uint8_t *t, size_t n, size_t *i)
{
	unsigned v = 0, shift = 0;
	uint8_t b;

	do {
		if (*i >= n || shift > 28)
			return v;
		b = t[(*i)++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return v;
}

static int svarint(const uint8_t *t, size_t n, size_t *i)
{
	unsigned u = varint(t, n, i);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/*
 * 3.11+: each entry starts with a byte with bit 7 set; bits 3-6 are the
 * code, bits 0-2 the length in code units minus one.  Codes: 15 no
 * location, 14 long form and 13 no columns (line delta as svarint),
 * 10-12 one-line forms (delta code-10), 0-9 short forms (same line).
 */
static int line311(const uint8_t *t, size_t n, int line, int addr)
{
	long start = 0, end;
	size_t i = 0;

	while (i < n) {
		uint8_t b = t[i];
		int code = (b >> 3) & 15, this;
		size_t j = i + 1;

		if (!(b & 128))
			return -1; /* not at an entry: corrupt table */
		if (code == 13 || code == 14)
			line += svarint(t, n, &j);
		else if (code >= 10 && code <= 12)
			line += code - 10;
		this = code == 15 ? -1 : line;
		end = start + ((b & 7) + 1) * 2;
		if (start <= addr && addr < end)
			return this;
		start = end;
		/* skip to the next entry */
		for (i++; i < n && !(t[i] & 128); i++)
			;
	}
	return -1;
}

int linetable_line(enum linetable_format fmt, const uint8_t *tab, size_t n, int firstlineno,
		   int addr)
{
	if (addr < 0)
		return firstlineno;
	switch (fmt) {
	case LINETABLE_LNOTAB:
		return lnotab_line(tab, n, firstlineno, addr);
	case LINETABLE_310:
		return line310(tab, n, firstlineno, addr);
	case LINETABLE_311:
		return line311(tab, n, firstlineno, addr);
	}
	return -1;
}
