/*
 * pieces.c - an export's text formatted in pieces on every core, written
 * in order (pieces.h).
 *
 * The calling thread writes each piece as soon as it is formatted, runs
 * the in-order pass (prepare) ahead of the formatting, and formats when
 * it has nothing else to do; a helper thread (none on one core) formats.
 * At most PIECES_AHEAD pieces are formatted and not yet written, so the
 * buffers are few and reused; a piece too long for a buffer (one object
 * of millions of references) is streamed by the writing thread instead.
 */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/task.h"
#include "pieces.h"

#define PIECES_AHEAD 4 /* pieces formatted and not yet written, at most */

char *outbuf_room(struct outbuf *o, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 1 << 20;
		char *b;

		while (cap < o->len + n)
			cap *= 2;
		if (!(b = realloc(o->buf, cap))) {
			o->failed = 1;
			return NULL;
		}
		o->buf = b;
		o->cap = cap;
	}
	return o->buf + o->len;
}

static ssize_t outbuf_write(void *cookie, const char *data, size_t n)
{
	struct outbuf *o = cookie;
	char *at = outbuf_room(o, n);

	if (!at)
		return -1;
	memcpy(at, data, n);
	o->len += n;
	return (ssize_t)n;
}

FILE *outbuf_open(struct outbuf *o)
{
	static const cookie_io_functions_t io = { .write = outbuf_write };

	return fopencookie(o, "w", io);
}

size_t pieces_cut(struct piece *p, size_t k, int kind, size_t n, size_t per)
{
	size_t a;

	for (a = 0; a < n; a += per)
		p[k++] = (struct piece){ .kind = kind, .from = a, .to = n - a < per ? n : a + per };
	return k;
}

struct pool {
	const struct pieces *job;
	size_t prepared; /* pieces the in-order pass has been through */
	size_t next;	 /* the next piece to format */
	size_t written;	 /* pieces written, in order */
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct outbuf out[PIECES_AHEAD];
};

/* With the lock held: format a piece, if one is prepared and not too far
 * ahead of the writing; 0 if none was. */
static int take_piece(struct pool *pl)
{
	struct piece *pc;
	int rc;

	if (pl->stop || pl->next >= pl->prepared || pl->next >= pl->written + PIECES_AHEAD)
		return 0;
	pc = &pl->job->p[pl->next];
	pc->out = &pl->out[pl->next % PIECES_AHEAD];
	pl->next++;
	if (pc->direct) {
		pc->done = 1; /* streamed when its turn comes */
		return 1;
	}
	pthread_mutex_unlock(&pl->lock);
	pc->out->len = 0;
	pc->out->failed = 0;
	rc = pl->job->format(pl->job->ctx, pc, pc->out);
	pthread_mutex_lock(&pl->lock);
	pc->done = rc || pc->out->failed ? -1 : 1;
	pthread_cond_broadcast(&pl->cond);
	return 1;
}

/* With the lock held: the in-order pass over the next piece, if one is
 * left; 0 if none was. */
static int prepare_piece(struct pool *pl)
{
	struct piece *pc;
	int rc;

	if (pl->stop || pl->prepared >= pl->job->n)
		return 0;
	pc = &pl->job->p[pl->prepared];
	pthread_mutex_unlock(&pl->lock);
	rc = pl->job->prepare(pl->job->ctx, pc);
	pthread_mutex_lock(&pl->lock);
	if (rc)
		pl->stop = 1;
	pl->prepared++;
	pthread_cond_broadcast(&pl->cond);
	return 1;
}

static void *helper(void *arg)
{
	struct pool *pl = arg;

	pthread_mutex_lock(&pl->lock);
	while (!pl->stop && pl->next < pl->job->n)
		if (!take_piece(pl))
			pthread_cond_wait(&pl->cond, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

int pieces_write(const struct pieces *job)
{
	struct pool pl = { .job = job, .prepared = job->prepare ? 0 : job->n };
	pthread_t t;
	size_t k, n = job->n;
	int two, failed = 0;

	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.cond, NULL);
	two = n > 1 && task_thread(&t, helper, &pl);
	pthread_mutex_lock(&pl.lock);
	while (pl.written < n && !failed) {
		struct piece *pc = &job->p[pl.written];

		if (pl.stop) {
			failed = 1;
		} else if (pc->done) {
			pthread_mutex_unlock(&pl.lock);
			if (pc->done < 0)
				failed = 1;
			if (!failed && pc->lead)
				fputs_unlocked(pc->lead, job->f);
			if (!failed && pc->direct)
				failed = job->stream(job->ctx, pc, job->f) != 0;
			else if (!failed && pc->out->len) /* an empty piece has no buffer yet */
				fwrite_unlocked(pc->out->buf, 1, pc->out->len, job->f);
			if (job->written)
				job->written(job->ctx, pc, pl.written, n);
			pthread_mutex_lock(&pl.lock);
			pl.written++;
			pthread_cond_broadcast(&pl.cond);
		} else if (!prepare_piece(&pl) && !take_piece(&pl)) {
			pthread_cond_wait(&pl.cond, &pl.lock);
		}
	}
	pl.stop = 1;
	pthread_cond_broadcast(&pl.cond);
	pthread_mutex_unlock(&pl.lock);
	if (two)
		pthread_join(t, NULL);
	for (k = 0; k < PIECES_AHEAD; k++)
		free(pl.out[k].buf);
	pthread_mutex_destroy(&pl.lock);
	pthread_cond_destroy(&pl.cond);
	return failed ? -1 : 0;
}
