/*
 * objects.c - heapscope objects: every object of a type, the type named
 * as query_types_named reads a name.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "analysis/query.h"
#include "heap/heap.h"
#include "json.h"

static const char usage[] =
	"usage: heapscope objects --type NAME [-n N] [--json] PID|FILE\n"
	"\n"
	"Every object of a type: address, size and value or summary.  NAME is a\n"
	"type's full name (app.models.User); if no type has it, the types whose name\n"
	"ends in .NAME (User, models.User: every class of that name); if none, the\n"
	"same ignoring case (user).  No type of that name is an error that offers\n"
	"the nearest names.\n"
	"\n"
	"  --type=NAME        the type\n"
	"  -n N               show at most N objects (default all)\n" SOURCE_HELP;

/* No type has the name the user gave: say so, with the nearest names. */
static int no_type(const struct heap *h, const char *name)
{
	struct hs_error err = HS_ERROR_INIT;
	uint32_t near[5];
	size_t n = query_types_near(h, name, near, 5), k;
	char list[400] = "";

	for (k = 0; k < n; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.120s",
			 k ? ", " : "", heap_str(h, h->types[near[k]].name, NULL));
	if (n)
		hs_error_set(&err, HS_EUSAGE, "no type %.100s; did you mean %s?", name, list);
	else
		hs_error_set(&err, HS_EUSAGE, "no type %.100s in this heap", name);
	hs_error_hint(&err, "'heapscope top' lists the types; a name matches exactly, then "
			    "by its last dotted parts, then ignoring case");
	return cmd_fail(&err);
}

static int objects_main(const struct command *c, int argc, char **argv)
{
	struct cmd_opts o;
	struct heap h;
	struct json j;
	char sum[512];
	uint8_t *match;
	size_t i, shown = 0, total = 0;
	int st;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (!o.type_name)
		return cmd_usage_error(c, "objects: which type? (--type NAME)");
	if ((st = source_open(&o, &h)))
		return st;
	match = calloc(h.ntype ? h.ntype : 1, 1);
	if (!match) {
		heap_release(&h);
		fputs("heapscope: out of memory\n", stderr);
		return hs_exit_status(HS_ENOMEM);
	}
	if (!query_types_named(&h, o.type_name, match)) {
		st = no_type(&h, o.type_name);
		free(match);
		heap_release(&h);
		return st;
	}
	if (o.json) {
		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "type");
		json_str(&j, o.type_name);
		json_key(&j, "types");
		json_begin_arr(&j);
		for (i = 0; i < h.ntype; i++)
			if (match[i])
				json_str(&j, heap_str(&h, h.types[i].name, NULL));
		json_end_arr(&j);
		json_key(&j, "objects");
		json_begin_arr(&j);
	}
	for (i = 0; i < h.nobj; i++) {
		if (!match[h.obj[i].type])
			continue;
		total++;
		if (o.limit >= 0 && shown >= (size_t)o.limit)
			continue;
		shown++;
		if (o.json) {
			json_begin_obj(&j);
			cmd_json_obj_brief(&j, &h, (uint32_t)i);
			json_key(&j, "value");
			cmd_json_value(&j, &h, (uint32_t)i);
			cmd_json_flags(&j, &h, (uint32_t)i);
			json_end_obj(&j);
		} else {
			heap_summary(&h, (uint32_t)i, sum, sizeof(sum));
			printf("0x%-14llx %8llu  %-20s %s\n", (unsigned long long)h.obj[i].addr,
			       (unsigned long long)heap_size(&h, (uint32_t)i),
			       heap_type_name(&h, (uint32_t)i), sum);
		}
	}
	if (o.json) {
		json_end_arr(&j);
		json_key(&j, "total");
		json_uint(&j, total);
		json_end_obj(&j);
		json_end(&j);
	} else if (!total) {
		fprintf(stderr, "heapscope: no object of type '%s'\n", o.type_name);
	} else if (shown < total) {
		printf("... %zu more\n", total - shown);
	}
	free(match);
	heap_release(&h);
	return 0;
}

const struct command command_objects = {
	.name = "objects",
	.run = objects_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_QUERY,
	.summary = "every object of a type",
	.usage = usage,
};
