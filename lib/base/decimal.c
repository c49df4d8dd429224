/*
 * decimal.c - unsigned numbers as decimal text.
 *
 * Numbers under 100 are written inline (decimal.h): most of the exports'
 * are.  Longer ones are cut, by divisions by constants that compile to
 * multiplications, into blocks of four digits, each written as two pairs
 * from a table: no division a digit, no reversal, and a branch on the
 * length of the leading block only.  A division a digit and a reversal
 * cost the heapsnapshot export a third of its time, a loop of divisions
 * by 100 still two fifths.
 */
#include "config.h"
#include <string.h>
#include "decimal.h"

const char dec_pairs[201] = "00010203040506070809101112131415161718192021222324"
			    "25262728293031323334353637383940414243444546474849"
			    "50515253545556575859606162636465666768697071727374"
			    "75767778798081828384858687888990919293949596979899";

/* u < 100 as exactly two digits at p */
static void two(char *p, uint32_t u)
{
	memcpy(p, dec_pairs + 2 * u, 2);
}

/* u < 10^4 as exactly four digits at p */
static void four(char *p, uint32_t u)
{
	uint32_t q = u / 100;

	two(p, q);
	two(p + 2, u - 100 * q);
}

/* u < 10^8 as exactly eight digits at p */
static void eight(char *p, uint32_t u)
{
	uint32_t q = u / 10000;

	four(p, q);
	four(p + 4, u - 10000 * q);
}

/* u < 10^4 as its digits; returns the end */
static char *upto4(char *p, uint32_t u)
{
	uint32_t q;

	if (u < 10) {
		*p = (char)('0' + u);
		return p + 1;
	}
	if (u < 100) {
		two(p, u);
		return p + 2;
	}
	if (u < 1000) {
		q = u / 100;
		*p = (char)('0' + q);
		two(p + 1, u - 100 * q);
		return p + 3;
	}
	four(p, u);
	return p + 4;
}

/* u < 10^8 as its digits; returns the end */
static char *upto8(char *p, uint32_t u)
{
	uint32_t q;

	if (u < 10000)
		return upto4(p, u);
	q = u / 10000;
	p = upto4(p, q);
	four(p, u - 10000 * q);
	return p + 4;
}

char *dec_u64_long(char *p, uint64_t v)
{
	uint64_t q, r;

	if (v < 100000000u)
		return upto8(p, (uint32_t)v);
	if (v < 10000000000000000u) {
		q = v / 100000000u;
		p = upto8(p, (uint32_t)q);
		eight(p, (uint32_t)(v - 100000000u * q));
		return p + 8;
	}
	/* at most 1844 ten-quadrillions, then sixteen digits */
	q = v / 10000000000000000u;
	r = v - 10000000000000000u * q;
	p = upto4(p, (uint32_t)q);
	q = r / 100000000u;
	eight(p, (uint32_t)q);
	eight(p + 8, (uint32_t)(r - 100000000u * q));
	return p + 16;
}
