/* tap.h - tiny TAP producer for the C unit tests (automake tap-driver). */
#ifndef HS_TAP_H
#define HS_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void tap_skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * n, or n / div (at least 1) when HS_TEST_QUICK is set: valgrind runs the
 * unit tests some 50 times slower, and memory errors show as well at
 * small sizes as at the sizes that test the algorithms' scaling.
 */
static inline unsigned long tap_scale(unsigned long n, unsigned long div)
{
	const char *q = getenv("HS_TEST_QUICK");

	if (!q || !*q || !strcmp(q, "0"))
		return n;
	return n / div ? n / div : 1;
}

/* The unit tests' random numbers (xorshift64*): the same every run from
 * the seed a test sets with tap_seed. */
static uint64_t tap_rng = 0x9e3779b97f4a7c15ull;

static inline void tap_seed(uint64_t seed)
{
	tap_rng = seed;
}

static inline uint64_t tap_rand(void)
{
	tap_rng ^= tap_rng >> 12;
	tap_rng ^= tap_rng << 25;
	tap_rng ^= tap_rng >> 27;
	return tap_rng * 0x2545f4914f6cdd1dull;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
