/*
 * snapshot.c - heapscope snapshot: capture every object of a process
 * into a snapshot file (snapshot.h) to read later, here or elsewhere.
 */
#include "config.h"
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "heap/heap.h"
#include "heap/snapshot.h"
#include "json.h"

static const char usage[] =
	"usage: heapscope snapshot [-o FILE] [--force] [--json] [--no-stop] PID|CORE\n"
	"\n"
	"Capture every object of process PID - type, size, value, references -\n"
	"and save them to a snapshot file to read later, here or elsewhere, with\n"
	"top, show, path and objects.  The file holds strings from the process's\n"
	"memory (possibly secrets): it is created readable by you only.  Given a\n"
	"core file, the same from the core: a snapshot is much smaller, and\n"
	"needs none of the process's files to be read.\n"
	"\n"
	"  -o, --output=FILE  where to write (default heapscope-PID-TIME.hsnap,\n"
	"                     for a core heapscope-CORENAME-TIME.hsnap)\n"
	"  --force            replace FILE if it exists\n" CAPTURE_HELP;

static int snapshot_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct snapshot_out out;
	char name[256], sz[32];
	const char *path, *base;
	int st, writing;
	double t0;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	if (snapshot_is_file(o.source))
		return cmd_usage_error(c, "snapshot: '%s' is already a snapshot; give a PID",
				       o.source);
	path = o.output;
	if (!path) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		/* a core's path: its name only, here */
		base = strrchr(o.source, '/') ? strrchr(o.source, '/') + 1 : o.source;
		snprintf(name, sizeof(name), "heapscope-%s-%04d%02d%02d-%02d%02d%02d.hsnap", base,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		path = name;
	}
	/* a place we cannot write is found before the capture, not after */
	if (snapshot_begin(&out, path, o.force ? SNAP_FORCE : 0, &err))
		return cmd_fail(&err);
	if ((st = source_open(&o, &h))) {
		snapshot_abort(&out);
		return st;
	}
	writing = !o.json && isatty(2) && h.nobj + h.nedge >= (4u << 20);
	if (writing)
		fprintf(stderr, "heapscope: writing %s", path);
	t0 = cmd_clock();
	st = snapshot_commit(&out, &h, &err);
	cmd_timing("write the file", t0);
	if (writing)
		fputs("\r\033[K", stderr);
	if (st) {
		heap_release(&h);
		return cmd_fail(&err);
	}
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "file");
		json_str(&j, path);
		json_key(&j, "pid");
		json_int(&j, h.meta.pid);
		json_key(&j, "objects");
		json_uint(&j, h.nobj);
		json_key(&j, "edges");
		json_uint(&j, h.nedge);
		json_key(&j, "types");
		json_uint(&j, h.ntype);
		json_key(&j, "roots");
		json_uint(&j, h.nroot);
		json_key(&j, "pause_ms");
		json_uint(&j, h.meta.pause_ns / 1000000);
		json_key(&j, "copy_ms");
		json_uint(&j, h.meta.copy_us / 1000);
		json_key(&j, "pause_us");
		json_uint(&j, h.meta.pause_ns / 1000);
		json_key(&j, "copy_us");
		json_uint(&j, h.meta.copy_us);
		json_key(&j, "walk_ms");
		json_uint(&j, h.meta.walk_ns / 1000000);
		json_key(&j, "copied_bytes");
		json_uint(&j, h.meta.copied_bytes);
		json_key(&j, "warnings");
		json_uint(&j, h.meta.warnings);
		json_end_obj(&j);
		json_end(&j);
	} else {
		heap_size_text(h.meta.copied_bytes, sz, sizeof(sz));
		printf("%s: %zu objects, %zu references, %zu types (Python %s, pid %lld)\n", path,
		       h.nobj, h.nedge, h.ntype, heap_str(&h, h.meta.version, NULL),
		       (long long)h.meta.pid);
	}
	heap_release(&h);
	return 0;
}

const struct command command_snapshot = {
	.name = "snapshot",
	.run = snapshot_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_OUTPUT,
	.summary = "capture every object of a process into a snapshot file",
	.usage = usage,
};
