/*
 * commands.c - heapscope's subcommands: the list main() dispatches on
 * (each command is defined in its own file), the main usage text, help.
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
	"Read a running CPython 3.8-3.14 process (3.14t too) from outside (ptrace),\n"
	"without running any code in it, or its core file.  PID: digits (a file of\n"
	"that name here is a FILE); digits that can be no process id are a usage\n"
	"error.  FILE: a snapshot, or a core file (ELF, or .zst, .lz4, .xz).\n"
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
	"  --sysroot=DIR        a core file's process mapped the files under DIR\n"
	"                       (a container's root, files copied from its machine)\n"
	"  --no-cache           neither read nor write the layout cache\n"
	"  -h, --help           help for a command: heapscope <command> --help\n"
	"\n";

const struct command *const commands[] = {
	&command_browse, &command_info, &command_stacks, &command_tasks,   &command_snapshot,
	&command_top,	 &command_show, &command_path,	 &command_objects, &command_suspects,
	&command_export, &command_diff, &command_watch,	 &command_garbage, &command_demo,
	&command_help,	 NULL,
};

/* Every exit status and what it says, from HS_ERROR_CODES. */
static void print_exit_statuses(FILE *f)
{
	static const struct {
		int status;
		const char *words;
	} codes[] = {
#define HS_X(c, s, n, w) { s, w },
		HS_ERROR_CODES(HS_X)
#undef HS_X
	};
	const size_t ncodes = sizeof(codes) / sizeof(codes[0]);
	char text[1024];
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text), "exit status:");
	for (i = 0; i < ncodes && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " %d %s%s", codes[i].status,
				      codes[i].words, i + 1 < ncodes ? "," : ".");
	cmd_print_wrapped(f, text, 0);
}

void cmd_print_main_usage(FILE *f)
{
	char list[4096];
	size_t n = 0;
	int i;

	list[0] = '\0';
	for (i = 0; commands[i] && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "  %-20s %s\n", commands[i]->name,
			      commands[i]->summary);
	fprintf(f, main_usage, list);
	print_exit_statuses(f);
	fputs("See heapscope(1).\n", f);
}

const struct command *cmd_find(const char *name)
{
	int i;

	for (i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int help_main(const struct command *c, int argc, char **argv)
{
	const struct command *of;

	if (argc < 2) {
		cmd_print_main_usage(stdout);
		return 0;
	}
	of = cmd_find(argv[1]);
	if (!of)
		return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
	fputs(of->usage, stdout);
	return 0;
}

const struct command command_help = {
	.name = "help",
	.run = help_main,
	.summary = "help for a command",
	.usage = "usage: heapscope help [COMMAND]\n",
};
