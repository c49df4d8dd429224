/*
 * gcinfo.h - the garbage collector's state of one interpreter.
 *
 * Reads the generation counters and thresholds and counts the objects on
 * each generation's list (and the permanent generation) by following the
 * circular PyGC_Head lists, bounded by GCINFO_MAX_OBJECTS per list.
 */
#ifndef HS_GCINFO_H
#define HS_GCINFO_H

#include <stdint.h>
#include "pyproc.h"

#define GCINFO_MAX_OBJECTS (1L << 28)

struct gc_gen_info {
	int count, threshold;
	long objects; /* objects on the list, -1 if unreadable */
};

struct gc_info {
	uint64_t state; /* address of struct _gc_runtime_state */
	int enabled, collecting;
	struct gc_gen_info gen[3];
	long permanent;	   /* -1 if unreadable */
	char warning[160]; /* a list that could not be followed, or "" */
};

/* 0, or -1 with err set when the state itself cannot be read. */
int gcinfo_read(struct pyproc *p, uint64_t interp, struct gc_info *g, struct hs_error *err);

/* 1 if a collection is running in interp (its flag only; 0 if unknown). */
int gcinfo_collecting(struct pyproc *p, uint64_t interp);
/* Address of the GC state of interp: in _PyRuntime on 3.8, in the
 * interpreter from 3.9. 0 if the layout lacks it. */
uint64_t gcinfo_state_addr(const struct pyproc *p, uint64_t interp);

#endif
