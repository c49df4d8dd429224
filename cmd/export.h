/*
 * export.h - the heap graph in other tools' formats (heapscope export).
 *
 * export.c parses the options, opens the graph and the output (a
 * temporary file next to -o FILE, renamed into place when complete, as
 * snapshots are; or stdout), then calls one writer per format.  A writer
 * writes to x->f (stream formats) or fills the file x->fd (sqlite); it
 * returns 0, or prints its error and returns the exit status.  Write
 * errors on x->f are found by the caller (ferror), which then removes the
 * temporary file.
 *
 * Everything written comes from the target's memory and is untrusted:
 * each writer escapes it for its format, and none may fail on invalid
 * UTF-8, NUL bytes or huge strings.
 */
#ifndef HS_EXPORT_H
#define HS_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "heap/heap.h"

struct export
{
	struct heap *h;
	FILE *f;	 /* dot, meliae, heapsnapshot */
	int write_errno; /* the first write to the file through f that failed */
	int fd;		 /* sqlite: the (temporary) file to fill, empty */
	/* dot */
	uint32_t root; /* the object the graph starts at */
	unsigned depth;
	size_t max_nodes;
	int backrefs;
	/* progress line on a terminal */
	int progress;
	const char *what; /* "writing FILE" */
	struct timespec last;
	int shown;
};

int export_meliae(struct export *x);
int export_dot(struct export *x);
int export_heapsnapshot(struct export *x);
int export_sqlite(struct export *x);

/* Say how far a long export is (phase, done of total) on a terminal, at
 * most ten times a second (total 0: no share); export_progress_end clears
 * the line. */
void export_progress(struct export *x, const char *phase, uint64_t done, uint64_t total);
void export_progress_end(struct export *x);

/* The value text of i's edge named field (a str or bytes object), its
 * length in *len, or NULL. */
const char *export_field_value(const struct heap *h, uint32_t i, const char *field, size_t *len);

#endif
