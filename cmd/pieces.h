/*
 * pieces.h - an export's text made of pieces (runs of objects, edges or
 * strings) formatted on every core the process may use and written in
 * order as each is ready: the same bytes with one thread or two.  The
 * heapsnapshot and meliae exports write through it.
 */
#ifndef HS_PIECES_H
#define HS_PIECES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A buffer a piece is formatted into; kept and reused by the piece
 * PIECES_AHEAD later (fresh memory for every piece cost more in page
 * faults than the formatting). */
struct outbuf {
	char *buf;
	size_t len, cap;
	int failed;		/* out of memory: the output is dropped */
} __attribute__((aligned(64))); /* one cache line each: written by
				 * different threads line by line */

/* Room for n more bytes at the end of o (len not moved), or NULL. */
char *outbuf_room(struct outbuf *o, size_t n);
/* A stream appending to o, or NULL; fclose it when done. */
FILE *outbuf_open(struct outbuf *o);

struct piece {
	int kind;	    /* the export's */
	size_t from, to;    /* what it holds: [from, to) */
	const char *lead;   /* written before it, or NULL */
	uint64_t arg;	    /* what the in-order pass left for its formatting */
	int direct;	    /* too long to buffer: streamed by the writing thread */
	struct outbuf *out; /* formatted */
	int done;	    /* 1 formatted, -1 failed */
};

struct pieces {
	FILE *f; /* where they are written, by the calling thread */
	struct piece *p;
	size_t n;
	void *ctx;
	/* Run in order by the calling thread, each piece before it may be
	 * formatted, while the others are formatted (NULL: none); 0, or -1
	 * to stop. */
	int (*prepare)(void *ctx, struct piece *pc);
	/* Format pc into out, on any thread: 0, or -1 (out->failed). */
	int (*format)(void *ctx, const struct piece *pc, struct outbuf *out);
	/* Write a direct piece to f, on the calling thread: 0, or -1. */
	int (*stream)(void *ctx, const struct piece *pc, FILE *f);
	/* Piece k of n was written (progress; NULL: none). */
	void (*written)(void *ctx, const struct piece *pc, size_t k, size_t n);
};

/* Format and write them all: 0, or -1 when one could not be made. */
int pieces_write(const struct pieces *job);
/* Cut [0, n) into pieces of per, of kind, at p[k] on; returns the end. */
size_t pieces_cut(struct piece *p, size_t k, int kind, size_t n, size_t per);

#endif
