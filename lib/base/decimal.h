/*
 * decimal.h - unsigned numbers as decimal text, the one way heapscope
 * writes them where there are millions (values of ints, edge indexes,
 * the exports' numbers).
 */
#ifndef HS_DECIMAL_H
#define HS_DECIMAL_H

#include <stdint.h>
#include <string.h>

/* The longest text dec_u64 writes: 18446744073709551615. */
#define DEC_U64_MAX 20

/* "00" "01" ... "99" */
extern const char dec_pairs[201];

/* dec_u64 of a number of 3 digits or more */
char *dec_u64_long(char *p, uint64_t v);

/* Write the digits of v at p (at most DEC_U64_MAX bytes, no NUL);
 * returns the end. */
static inline char *dec_u64(char *p, uint64_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		memcpy(p, dec_pairs + 2 * v, 2);
		return p + 2;
	}
	return dec_u64_long(p, v);
}

#endif
