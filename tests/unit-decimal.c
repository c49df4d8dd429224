/*
 * unit-decimal - dec_u64 against printf's %llu.
 *
 * Every number up to 10^6 (each length of the fast paths and of the
 * blocks of four digits, whole); each power of ten, one below it and
 * one above, up to the largest 64-bit number; the 32-bit edges; then
 * a million random numbers of every bit length.  Each text must be
 * printf's, byte for byte, ending where dec_u64 says, with nothing
 * written past DEC_U64_MAX bytes.
 */
#include "config.h"
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "base/decimal.h"
#include "tap.h"

/* 1 if dec_u64(v) is printf's text of v; says which one is not */
static int same(uint64_t v)
{
	char want[32], got[DEC_U64_MAX + 8];
	char *end;
	int n = snprintf(want, sizeof(want), "%" PRIu64, v);

	memset(got, '#', sizeof(got));
	end = dec_u64(got, v);
	if (end - got == n && !memcmp(got, want, (size_t)n) && got[DEC_U64_MAX] == '#' &&
	    (n == DEC_U64_MAX || got[n] == '#'))
		return 1;
	tap_diag("%s: got '%.*s' (%d bytes)", want, (int)(end - got), got, (int)(end - got));
	return 0;
}

int main(void)
{
	uint64_t v, p, bad = 0;
	unsigned long i, n = tap_scale(1000000, 20);
	int k;

	tap_seed(0x2545f4914f6cdd1dull);
	for (v = 0; v <= 1000000 && bad < 3; v++)
		bad += !same(v);
	tap_ok(!bad, "every number from 0 to 10^6");

	bad = 0;
	for (p = 10, k = 1; k < 20; k++, p *= 10)
		bad += !same(p - 1) + !same(p) + !same(p + 1);
	tap_ok(!bad, "each power of ten up to 10^19, and its neighbours");

	bad = !same(UINT32_MAX - 1) + !same(UINT32_MAX) + !same((uint64_t)UINT32_MAX + 1) +
	      !same(UINT64_MAX - 1) + !same(UINT64_MAX) + !same(9999999999999999ull) +
	      !same(10000000000000000ull) + !same(99999999ull * 100000000ull);
	tap_ok(!bad, "the 32- and 64-bit edges");

	bad = 0;
	for (i = 0; i < n && bad < 3; i++) {
		unsigned bits = (unsigned)(i % 64) + 1;

		v = tap_rand();
		bad += !same(bits == 64 ? v : v & ((1ull << bits) - 1));
	}
	tap_ok(!bad, "%lu random numbers of every bit length", n);
	return tap_done();
}
