/*
 * main.c - the heapscope command's entry: find the subcommand, install
 * the signal handlers that let the target go, run it.  Everything else
 * of cmd/ is in libheapscope-cmd.a, which the fuzzers link too.
 */
#include "config.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "target/fatal.h"

int main(int argc, char **argv)
{
	const struct command *c;
	pid_t pid;
	int browse_pid;

	if (argc < 2) {
		cmd_print_main_usage(stderr);
		return hs_exit_status(HS_EUSAGE);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cmd_print_main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("heapscope %s\n", PACKAGE_VERSION);
		return 0;
	}
	c = cmd_find(argv[1]);
	/* heapscope PID: the browser, as if "browse" came before the PID
	 * (which says so when digits can be no process id) */
	browse_pid = !c && cmd_pid_parse(argv[1], &pid);
	if (browse_pid)
		c = &command_browse;
	if (!c)
		return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
	/* detach the target whatever signal ends us */
	fatal_install();
	/* past a file size limit, write() fails with EFBIG and the file being
	 * written is removed, instead of a death by SIGXFSZ leaving it */
	signal(SIGXFSZ, SIG_IGN);
	return browse_pid ? c->run(c, argc, argv) : c->run(c, argc - 1, argv + 1);
}
