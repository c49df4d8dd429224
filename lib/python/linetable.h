/*
 * linetable.h - line numbers from CPython code objects' line tables.
 *
 * Pure functions over bytes copied from the target: every byte is
 * untrusted and every loop is bounded by the table's length.
 */
#ifndef HS_LINETABLE_H
#define HS_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum linetable_format {
	LINETABLE_LNOTAB, /* 3.8, 3.9: co_lnotab */
	LINETABLE_310,	  /* 3.10: co_linetable, (bytes, line) pairs */
	LINETABLE_311,	  /* 3.11+: co_linetable, location entries */
};

/* The format a CPython 3.minor uses. */
enum linetable_format linetable_format_for(int minor);

/*
 * Line of the instruction at byte offset addr of the bytecode, given the
 * table and co_firstlineno.  A negative addr (frame not started) gives
 * firstlineno, as CPython's PyCode_Addr2Line does.  Returns -1 when the
 * instruction has no line.
 */
int linetable_line(enum linetable_format fmt, const uint8_t *tab, size_t n, int firstlineno,
		   int addr);

#endif
