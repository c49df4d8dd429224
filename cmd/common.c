/*
 * common.c - what every command shares: its errors said once, the
 * session on a live target, the test hook, timing.
 */
#include "config.h"
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

int cmd_fail(const struct hs_error *err)
{
	fprintf(stderr, "heapscope: %s\n", err->msg[0] ? err->msg : hs_code_name(err->code));
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
	return hs_exit_status(err->code);
}

int cmd_usage_error(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fputs("heapscope: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "\nhint: see 'heapscope %s --help'\n", c->name);
	else
		fputs("\nhint: see 'heapscope --help'\n", stderr);
	return hs_exit_status(HS_EUSAGE);
}

/*
 * Test hook: HEAPSCOPE_TEST_STOP_AT=attached stops heapscope right after
 * the target is frozen, so tests can kill either side at that point.
 */
void cmd_test_hook(const char *where)
{
	const char *at = getenv("HEAPSCOPE_TEST_STOP_AT");

	if (at && !strcmp(at, where))
		raise(SIGSTOP);
}

/*
 * Find the interpreter while the target runs (ELF and DWARF work can take
 * a while and must not count in its pause), then freeze it for the reads
 * that need a consistent picture.
 */
int session_try(struct session *s, const struct cmd_opts *o, struct hs_error *err)
{
	struct target *live = NULL;
	double t0;

	memset(s, 0, sizeof(*s));
	if (o->core) {
		/* a core never runs: one target, read as it is */
		if (target_core_open(&s->t, o->source, o->sysroot, err))
			return -1;
		if (pyproc_open(&s->py, s->t, &o->py, err)) {
			target_close(s->t);
			memset(s, 0, sizeof(*s));
			return -1;
		}
		s->have_py = 1;
		s->core = o->source;
		return 0;
	}
	if (target_attach(&live, o->pid, TARGET_NO_STOP, err))
		return -1;
	if (pyproc_open(&s->py, live, &o->py, err))
		goto fail;
	s->have_py = 1;
	t0 = cmd_clock();
	if (target_attach(&s->t, o->pid, 0, err))
		goto fail;
	cmd_timing("attach (the target stops)", t0);
	s->py.t = s->t;
	target_close(live);
	cmd_test_hook("attached");
	return 0;
fail:
	target_close(live);
	if (s->have_py)
		pyproc_release(&s->py);
	memset(s, 0, sizeof(*s));
	return -1;
}

int session_open(struct session *s, const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;

	if (session_try(s, o, &err))
		return cmd_fail(&err);
	if (s->t->proc && s->t->proc->warning[0] && !o->json)
		fprintf(stderr, "heapscope: warning: %s\n", s->t->proc->warning);
	if (s->py.warning[0] && !o->json)
		fprintf(stderr, "heapscope: warning: %s\n", s->py.warning);
	return 0;
}

void session_close(struct session *s)
{
	if (s->have_py)
		pyproc_release(&s->py);
	target_close(s->t);
	memset(s, 0, sizeof(*s));
}

double cmd_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cmd_timing(const char *phase, double since)
{
	static long faults;
	const char *t = getenv("HEAPSCOPE_TIMING");
	struct rusage ru;

	if (!t || !*t || !strcmp(t, "0"))
		return;
	/* our page faults since the previous phase said: each costs some
	 * microseconds, which matter while a target is frozen */
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "heapscope: timing: %s %.3f ms (%ld page faults)\n", phase,
		(cmd_clock() - since) * 1e3, ru.ru_minflt - faults);
	faults = ru.ru_minflt;
}
