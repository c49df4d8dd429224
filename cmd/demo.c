/*
 * demo.c - heapscope demo: start the bundled demo program and browse it,
 * or print its info and stacks.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

static const char usage[] =
	"usage: heapscope demo [--python=EXE] [--json] [--native]\n"
	"\n"
	"Start the bundled demo program (fixtures/demo.py: a small server-like\n"
	"program with worker threads) under python3, or under EXE, and open the\n"
	"browser on it (heapscope browse).  Without a terminal, or with --json,\n"
	"print what heapscope sees instead: its info and every thread's stack.\n"
	"The demo program is stopped afterwards.\n"
	"\n"
	"  --python=EXE       interpreter to run the demo with (default: python3)\n"
	"  --native           show native frames too\n"
	"  --json             JSON output (info, then stacks, one object per line)\n";

#define DEMO_READY_TIMEOUT_MS 20000

static int find_demo(char *out, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/fixtures/demo.py", exe);
			if (!access(out, R_OK))
				return 0;
			snprintf(out, len, "%s/../share/heapscope/fixtures/demo.py", exe);
			if (!access(out, R_OK))
				return 0;
		}
	}
	snprintf(out, len, "%s/fixtures/demo.py", HS_SRCDIR);
	if (!access(out, R_OK))
		return 0;
	snprintf(out, len, "%s/fixtures/demo.py", HS_DATADIR);
	return access(out, R_OK);
}

/* Wait for the demo's ready line (one JSON line once its threads run). */
static int wait_ready(int fd)
{
	struct timespec t0, t1;
	char c;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= DEMO_READY_TIMEOUT_MS)
			return -1;
		if (poll(&pfd, 1, DEMO_READY_TIMEOUT_MS - ms) <= 0)
			continue;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			return 0;
	}
}

static void stop_child(pid_t pid)
{
	int status, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static int demo_main(const struct command *c, int argc, char **argv)
{
	const char *python;
	struct cmd_opts o;
	struct session s;
	char demo[PATH_MAX];
	int st, pfd[2];
	pid_t pid;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	python = o.python ? o.python : "python3";
	if (find_demo(demo, sizeof(demo))) {
		fputs("heapscope: cannot find the demo program fixtures/demo.py\n"
		      "hint: run heapscope from its build directory or install it\n",
		      stderr);
		return hs_exit_status(HS_EFILE);
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		perror("heapscope: pipe");
		return hs_exit_status(HS_EINTERNAL);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("heapscope: fork");
		return hs_exit_status(HS_EINTERNAL);
	}
	if (pid == 0) {
		/* the demo must not outlive us */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], STDOUT_FILENO);
		execlp(python, python, "-u", demo, (char *)NULL);
		fprintf(stderr, "heapscope: cannot run %s: %s\n", python, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (wait_ready(pfd[0])) {
		fprintf(stderr,
			"heapscope: the demo program (%s %s) did not start\n"
			"hint: check that %s runs: %s --version\n",
			python, demo, python, python);
		stop_child(pid);
		close(pfd[0]);
		return hs_exit_status(HS_EINTERNAL);
	}
	if (!o.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		char src[32];

		snprintf(src, sizeof(src), "%d", (int)pid);
		o.source = src;
		st = browse_run(&o);
		stop_child(pid);
		close(pfd[0]);
		return st;
	}
	if (!o.json)
		printf("heapscope demo: started %s %s as process %d\n\n", python, demo, (int)pid);
	fflush(stdout);
	o.pid = pid;
	st = session_open(&s, &o);
	if (!st) {
		st = info_print(&s, &o);
		session_close(&s);
	}
	if (!st) {
		if (!o.json)
			printf("\n");
		st = session_open(&s, &o);
		if (!st) {
			st = stacks_run(&s, &o);
			session_close(&s);
		}
	}
	stop_child(pid);
	close(pfd[0]);
	return st;
}

const struct command command_demo = {
	.name = "demo",
	.run = demo_main,
	.opts = OPT_NATIVE | OPT_PYTHON,
	.summary = "start a bundled demo program and show what heapscope sees",
	.usage = usage,
};
