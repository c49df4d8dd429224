/*
 * unit-syscall - system call names (lib/python/syscall.c), generated at build
 * time from the kernel headers of the build machine.
 *
 * The x86-64 numbers are the kernel's ABI: they never change.  Those of
 * the calls a blocked thread is found in, including restart_syscall (a
 * relative sleep interrupted by a stop, as a tracer's own stop does) and
 * calls no hand-made list had, must have their names; numbers outside
 * the table none.
 */
#include "config.h"
#include <string.h>
#include "python/syscall.h"
#include "tap.h"

static const struct {
	long nr;
	const char *name;
} known[] = {
	{ 0, "read" },
	{ 1, "write" },
	{ 7, "poll" },
	{ 35, "nanosleep" },
	{ 73, "flock" },
	{ 128, "rt_sigtimedwait" },
	{ 202, "futex" },
	{ 219, "restart_syscall" },
	{ 230, "clock_nanosleep" },
	{ 232, "epoll_wait" },
	{ 281, "epoll_pwait" },
	{ 288, "accept4" },
};

int main(void)
{
	static const long none[] = { -1, -1000, 100000, 1L << 40 };
	size_t i, named = 0;
	const char *s;
	long nr;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		s = syscall_name(known[i].nr);
		tap_ok(s && !strcmp(s, known[i].name), "system call %ld is %s (got %s)",
		       known[i].nr, known[i].name, s ? s : "none");
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		tap_ok(!syscall_name(none[i]), "no system call %ld", none[i]);
	/* the table is the kernel's, not a few entries: every number up to
	 * the last of the classic calls (rseq, 334) has a name but the few
	 * never used on x86-64 */
	for (nr = 0; nr <= 334; nr++)
		named += syscall_name(nr) != NULL;
	tap_ok(named >= 320, "%zu of the 335 first numbers are named", named);
	return tap_done();
}
