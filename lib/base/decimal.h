/*
 * decimal.h - unsigned numbers as decimal text, the one way heapscope
 * writes them where there are millions (values of ints, edge indexes,
 * the exports' numbers).
 */
#ifndef HS_DECIMAL_H
#define HS_DECIMAL_H

#include <stdint.h>

/* The longest text dec_u64 writes: 18446744073709551615. */
#define DEC_U64_MAX 20

/* Write the digits of v at p (at most DEC_U64_MAX bytes, no NUL);
 * returns the end. */
char *dec_u64(char *p, uint64_t v);

#endif
