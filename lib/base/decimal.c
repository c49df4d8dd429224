/*
 * decimal.c - unsigned numbers as decimal text.
 *
 * The length comes from comparisons, then the digits two a step from
 * the last by a table, in 32-bit arithmetic where the number fits: a
 * division a digit and a reversal cost the heapsnapshot export a third
 * of its time.
 */
#include "config.h"
#include "decimal.h"

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				     "25262728293031323334353637383940414243444546474849"
				     "50515253545556575859606162636465666768697071727374"
				     "75767778798081828384858687888990919293949596979899";

/* u as its n digits at p */
static void pairs(char *p, uint32_t u, unsigned n)
{
	while (u >= 100) {
		uint32_t q = u / 100;
		const char *d = digit_pairs + 2 * (u - 100 * q);

		u = q;
		p[--n] = d[1];
		p[--n] = d[0];
	}
	if (u >= 10) {
		p[1] = digit_pairs[2 * u + 1];
		p[0] = digit_pairs[2 * u];
	} else {
		p[0] = (char)('0' + u);
	}
}

static unsigned digits32(uint32_t u)
{
	return u < 10		? 1
	       : u < 100	? 2
	       : u < 1000	? 3
	       : u < 10000	? 4
	       : u < 100000	? 5
	       : u < 1000000	? 6
	       : u < 10000000	? 7
	       : u < 100000000	? 8
	       : u < 1000000000 ? 9
				: 10;
}

char *dec_u64(char *p, uint64_t v)
{
	if (v > UINT32_MAX) {
		/* the high part, then the low 9 digits with their zeros */
		uint64_t hi = v / 1000000000u;
		uint32_t lo = (uint32_t)(v - hi * 1000000000u), k;

		p = dec_u64(p, hi);
		for (k = 9; k > digits32(lo); k--)
			*p++ = '0';
		pairs(p, lo, k);
		return p + k;
	}
	pairs(p, (uint32_t)v, digits32((uint32_t)v));
	return p + digits32((uint32_t)v);
}
