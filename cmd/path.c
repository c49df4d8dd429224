/*
 * path.c - heapscope path: why an object is alive, the shortest chain of
 * references from a root to it (query_path).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "cmd.h"
#include "analysis/query.h"
#include "heap/heap.h"
#include "json.h"

static const char usage[] =
	"usage: heapscope path [--json] PID|FILE ADDRESS\n"
	"\n"
	"Why an object is alive: the shortest chain of references from a root\n"
	"(sys.modules, a thread's frame, an object held from C code) to it, each\n"
	"step with the name of the reference.\n"
	"\n" SOURCE_HELP;

static int path_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	uint32_t i, *path, *edges, root;
	size_t n;
	int st, found;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if ((st = source_open(&o, &h)))
		return st;
	i = cmd_object_arg(c, &h, o.addr, 0, &st);
	if (i == HEAP_NONE) {
		heap_release(&h);
		return st;
	}
	found = query_path(&h, i, &path, &edges, &n, &root, &err);
	if (found < 0) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "address");
		json_hex(&j, h.obj[i].addr);
		json_key(&j, "found");
		json_bool(&j, found);
		if (found)
			cmd_json_path_fields(&j, &h, path, edges, n, root);
		json_end_obj(&j);
		json_end(&j);
	} else if (!found) {
		printf("0x%llx is not reachable from any root (garbage the next collection "
		       "may free)\n",
		       (unsigned long long)h.obj[i].addr);
	} else {
		cmd_print_path(&h, "", path, edges, n, root);
	}
	free(path);
	free(edges);
	heap_release(&h);
	return 0;
}

const struct command command_path = {
	.name = "path",
	.run = path_main,
	.opts = OPT_SOURCE | OPT_ADDR | OPT_CAPTURE,
	.summary = "why an object is alive: the chain from a root",
	.usage = usage,
};
