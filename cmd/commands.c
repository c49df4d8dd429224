/*
 * commands.c - heapscope's subcommands: the table main() dispatches on,
 * the main usage text, help.
 *
 * heapscope sees what is in a running CPython process's memory, from
 * outside: no code runs in the target.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static const char main_usage[] =
	"usage: heapscope <command> [options] PID|FILE\n"
	"       heapscope PID       browse the heap of process PID in the terminal\n"
	"\n"
	"Read a running CPython 3.8-3.13 process from outside (ptrace), without\n"
	"running any code in it.  PID: digits (a file of that name here is a FILE);\n"
	"digits that can be no process id are a usage error.\n"
	"\n"
	"commands:\n"
	"%s"
	"\n"
	"common options:\n"
	"  --json               machine-readable output\n"
	"  --layout=SOURCE      where structure offsets come from: auto (default),\n"
	"                       debug-offsets (3.13+), dwarf, table\n"
	"  --debug-dir=DIR      where separate debug files live (default\n"
	"                       /usr/lib/debug; also HEAPSCOPE_DEBUG_DIR)\n"
	"  --no-cache           neither read nor write the layout cache\n"
	"  -h, --help           help for a command: heapscope <command> --help\n"
	"\n"
	"exit status: 0 ok, 2 usage, 3 no such process, 4 not Python, 5 unsupported\n"
	"Python, 6 ptrace refused, 7 target exited, 8 layout unavailable,\n"
	"9 bad read, 10 file error, 11 out of memory, 13 internal error, 14 target\n"
	"busy (always inside a garbage collection).\n"
	"See heapscope(1).\n";

static int cmd_help(int argc, char **argv);

const struct command commands[] = {
	{ "browse", cmd_browse, "browse the heap in the terminal (heapscope PID does too)",
	  cmd_usage_browse },
	{ "info", cmd_info, "Python version, build, layout sources, interpreters, GC",
	  cmd_usage_info },
	{ "stacks", cmd_stacks, "Python stack of every thread (--native: with C frames)",
	  cmd_usage_stacks },
	{ "snapshot", cmd_snapshot, "capture every object of a process into a snapshot file",
	  cmd_usage_snapshot },
	{ "top", cmd_top, "objects per type: count, size, share (PID or snapshot)",
	  cmd_usage_top },
	{ "show", cmd_show, "one object: value, referents and referrers", cmd_usage_show },
	{ "path", cmd_path, "why an object is alive: the chain from a root", cmd_usage_path },
	{ "objects", cmd_objects, "every object of a type", cmd_usage_objects },
	{ "suspects", cmd_suspects, "leak suspects: what keeps most of the heap alive",
	  cmd_usage_suspects },
	{ "export", cmd_export, "the heap graph for other tools: dot, heapsnapshot, sqlite, meliae",
	  cmd_usage_export },
	{ "diff", cmd_diff, "what grew between two snapshots: per type, new objects, paths",
	  cmd_usage_diff },
	{ "watch", cmd_watch, "capture every few seconds and show which types grew",
	  cmd_usage_watch },
	{ "garbage", cmd_garbage, "unreachable cycles the next collection would free, gc.garbage",
	  cmd_usage_garbage },
	{ "demo", cmd_demo, "start a bundled demo program and show what heapscope sees",
	  cmd_usage_demo },
	{ "help", cmd_help, "help for a command",
	  "usage: heapscope help [COMMAND]\n" },
	{ NULL, NULL, NULL, NULL },
};

void cmd_print_main_usage(FILE *f)
{
	char list[4096];
	size_t n = 0;
	int i;

	list[0] = '\0';
	for (i = 0; commands[i].name && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "  %-20s %s\n",
			      commands[i].name, commands[i].summary);
	fprintf(f, main_usage, list);
}

const struct command *cmd_find(const char *name)
{
	int i;

	for (i = 0; commands[i].name; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		cmd_print_main_usage(stdout);
		return 0;
	}
	c = cmd_find(argv[1]);
	if (!c)
		return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
	fputs(c->usage, stdout);
	return 0;
}
