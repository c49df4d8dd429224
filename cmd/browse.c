/*
 * browse.c - heapscope browse PID|FILE (and heapscope PID): the heap
 * in the terminal browser.
 */
#include "config.h"
#include <stdio.h>
#include <unistd.h>
#include "cmd.h"
#include "heap/heap.h"
#include "ui.h"

static const char usage[] =
	"usage: heapscope browse [--no-stop] [--max-copy=SIZE] PID|FILE\n"
	"       heapscope PID\n"
	"\n"
	"Browse the heap in the terminal: the types that take the memory, their\n"
	"instances, one object with what it refers to and what refers to it, the\n"
	"path from a root that keeps it alive, and every thread's stack with its\n"
	"local variables.  PID captures the running process (frozen only while its\n"
	"memory is copied); FILE opens a snapshot.  On a process, R captures again\n"
	"and shows the growth per type since the previous capture.  Press ? in the\n"
	"browser for its keys.  Honours NO_COLOR; needs a terminal.\n"
	"\n" CAPTURE_OPTIONS_HELP;

static int recapture(void *ctx, struct heap *out, struct hs_error *err)
{
	return source_recapture(ctx, out, err);
}

int browse_run(const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;
	struct ui_source src = { .ctx = (void *)o };
	struct heap h;
	pid_t pid;
	int st;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		hs_error_set(&err, HS_EUSAGE, "the browser needs a terminal");
		hs_error_hint(&err, "in scripts use top, show, path, objects or snapshot "
				    "(each with --json)");
		return cmd_fail(&err);
	}
	if (source_is_pid(o->source, &pid))
		src.recapture = recapture;
	if ((st = source_open(o, &h)))
		return st;
	st = ui_browse(&h, &src, &err) ? cmd_fail(&err) : 0;
	heap_release(&h);
	return st;
}

static int browse_main(const struct command *c, int argc, char **argv)
{
	struct cmd_opts o;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	return browse_run(&o);
}

const struct command command_browse = {
	.name = "browse",
	.run = browse_main,
	.opts = OPT_SOURCE | OPT_CAPTURE,
	.summary = "browse the heap in the terminal (heapscope PID does too)",
	.usage = usage,
};
