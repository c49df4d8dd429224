/*
 * watch.c - heapscope watch: capture a process every few seconds and
 * show which types grew since the capture before (diff_heaps).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "analysis/diff.h"
#include "heap/heap.h"
#include "json.h"

#define WATCH_ROWS 10	    /* types per capture (-n) */
#define WATCH_INTERVAL 10.0 /* seconds */

static const char usage[] =
	"usage: heapscope watch [--interval S] [--count N] [--by count|size] [-n N]\n"
	"                       [--json] PID\n"
	"\n"
	"Capture process PID every S seconds and print, after each capture, the\n"
	"types whose number of objects grew since the previous one, with the\n"
	"growth in objects and bytes (objgraph.show_growth, from outside: nothing\n"
	"runs in the target, no collection is triggered, so garbage waiting for\n"
	"the collector counts too).  The first capture shows the biggest types.\n"
	"Only the previous capture is kept in memory.  Ctrl-C ends it; the target\n"
	"is never left stopped.\n"
	"\n"
	"  --interval=S       seconds from the start of one capture to the start\n"
	"                     of the next (default 10; fractions ok); after a\n"
	"                     capture that took longer, the next starts at once\n"
	"                     and the schedule goes on from there\n"
	"  --count=N          stop after N captures (default: until interrupted)\n"
	"  --by=count|size    sort by growth in objects (default) or bytes\n"
	"  -n N               show at most N types per capture (default 10)\n"
	"  --json             one JSON object per line per capture\n"
	"  --no-stop, --max-copy=SIZE, --max-memory=SIZE, --max-pause=SECS,\n"
	"  --layout, --debug-dir, --no-cache   as for 'heapscope snapshot'\n";

static void watch_json(const struct heap *h, const struct heap_diff *d, long n, size_t rows,
		       enum diff_order by)
{
	struct json j;
	size_t k, shown = 0;

	json_init(&j, stdout);
	json_begin_obj(&j);
	json_key(&j, "capture");
	json_int(&j, n);
	json_key(&j, "baseline");
	json_bool(&j, n == 1);
	json_key(&j, "pid");
	json_int(&j, h->meta.pid);
	json_key(&j, "time");
	json_int(&j, h->meta.capture_time);
	json_key(&j, "objects");
	json_uint(&j, d->new_count);
	json_key(&j, "size");
	json_uint(&j, d->new_size);
	json_key(&j, "count_change");
	json_int(&j, (long long)d->new_count - (long long)d->old_count);
	json_key(&j, "size_change");
	json_int(&j, (long long)d->new_size - (long long)d->old_size);
	json_key(&j, "pause_us");
	json_uint(&j, h->meta.pause_ns / 1000);
	json_key(&j, "warnings");
	json_uint(&j, h->meta.warnings);
	json_key(&j, "by");
	json_str(&j, by == DIFF_BY_SIZE ? "size" : "count");
	json_key(&j, "growth");
	json_begin_arr(&j);
	for (k = 0; k < d->ntypes && shown < rows; k++) {
		const struct diff_type *t = &d->types[k];

		if (t->dcount <= 0)
			continue;
		json_begin_obj(&j);
		json_key(&j, "type");
		json_str(&j, t->name);
		json_key(&j, "count");
		json_uint(&j, t->new_count);
		json_key(&j, "count_change");
		json_int(&j, t->dcount);
		json_key(&j, "size");
		json_uint(&j, t->new_size);
		json_key(&j, "size_change");
		json_int(&j, t->dsize);
		json_end_obj(&j);
		shown++;
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_end(&j);
}

static void watch_text(const struct heap *h, const struct heap_diff *d, long n, size_t rows)
{
	char t[64], sz[32], dsz[32];
	size_t k, shown = 0, grew = 0;

	cmd_time_text(h->meta.capture_time, t, sizeof(t));
	heap_size_text(d->new_size, sz, sizeof(sz));
	heap_size_change_text((int64_t)d->new_size - (int64_t)d->old_size, dsz, sizeof(dsz));
	if (n == 1)
		printf("capture 1  %s  pid %lld: %llu objects, %s, paused %.1f ms\n", t,
		       (long long)h->meta.pid, (unsigned long long)d->new_count, sz,
		       h->meta.pause_ns / 1e6);
	else
		printf("capture %ld  %s  pid %lld: %llu objects (%+lld), %s (%s), paused %.1f ms\n",
		       n, t, (long long)h->meta.pid, (unsigned long long)d->new_count,
		       (long long)d->new_count - (long long)d->old_count, sz, dsz,
		       h->meta.pause_ns / 1e6);
	for (k = 0; k < d->ntypes; k++)
		grew += d->types[k].dcount > 0;
	if (grew)
		printf("%12s %10s %12s  %s\n", "count", "+count", "+size", "type");
	for (k = 0; k < d->ntypes && shown < rows; k++) {
		const struct diff_type *t2 = &d->types[k];

		if (t2->dcount <= 0)
			continue;
		heap_size_change_text(t2->dsize, dsz, sizeof(dsz));
		printf("%12llu %+10lld %12s  %s\n", (unsigned long long)t2->new_count,
		       (long long)t2->dcount, dsz, t2->name);
		shown++;
	}
	if (!grew)
		printf("  (no type grew)\n");
	else if (grew > shown)
		printf("  ... %zu more types grew\n", grew - shown);
	putchar('\n');
	fflush(stdout);
}

/* Sleep until the absolute monotonic time at; a signal that does not
 * end us just resumes the wait. */
static void sleep_until(const struct timespec *at)
{
	int r;

	do
		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, at, NULL);
	while (r == EINTR);
}

/*
 * The start of the next capture: interval after the start of this one.
 * When a capture took longer than that, the next starts at once and the
 * schedule starts again from now: the missed starts are dropped, not made
 * up by captures back to back (each freezes the target).
 */
static void schedule_next(struct timespec *next, double interval)
{
	struct timespec now;

	next->tv_sec += (time_t)interval;
	next->tv_nsec += (long)((interval - (double)(time_t)interval) * 1e9);
	if (next->tv_nsec >= 1000000000L) {
		next->tv_sec++;
		next->tv_nsec -= 1000000000L;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (next->tv_sec < now.tv_sec ||
	    (next->tv_sec == now.tv_sec && next->tv_nsec < now.tv_nsec))
		*next = now;
}

static int watch_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap prev, cur;
	struct heap_diff d;
	enum diff_order by = DIFF_BY_COUNT;
	struct timespec next;
	double interval;
	size_t rows;
	long n;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (o.type_name)
		return cmd_usage_error(c, "watch: --type is not an option of watch (it follows "
					  "every type)");
	if (cmd_source_pid(c, &o, &st))
		return st;
	if (o.by && !strcmp(o.by, "size"))
		by = DIFF_BY_SIZE;
	else if (o.by && strcmp(o.by, "count"))
		return cmd_usage_error(c, "watch: --by wants count or size, not '%s'", o.by);
	interval = o.interval > 0 ? o.interval : WATCH_INTERVAL;
	rows = o.limit >= 0 ? (size_t)o.limit : WATCH_ROWS;
	/* the first capture is compared with nothing: every type has grown */
	heap_init(&prev);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (n = 1; o.count < 0 || n <= o.count; n++) {
		if ((st = source_open(&o, &cur)))
			break;
		if (diff_heaps(&prev, &cur, by, 0, &d, &err)) {
			heap_release(&cur);
			st = cmd_fail(&err);
			break;
		}
		if (o.json)
			watch_json(&cur, &d, n, rows, by);
		else
			watch_text(&cur, &d, n, rows);
		diff_release(&d);
		heap_release(&prev);
		prev = cur;
		if (o.count >= 0 && n >= o.count)
			break;
		schedule_next(&next, interval);
		sleep_until(&next);
	}
	heap_release(&prev);
	return st;
}

const struct command command_watch = {
	.name = "watch",
	.run = watch_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_QUERY | OPT_WATCH,
	.summary = "capture every few seconds and show which types grew",
	.usage = usage,
};
