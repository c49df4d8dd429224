/*
 * export.c - heapscope export: the heap graph in another tool's
 * format (export.h), written to stdout or, with -o FILE, to a file made
 * the way snapshots are (snapshot.h): a temporary file 0600 next to FILE,
 * renamed over it only when complete, never through a symlink, never over
 * an existing file without --force; nothing left behind on failure.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"
#include "analysis/query.h"
#include "heap/snapshot.h"
#include "base/writeback.h"

#define DOT_DEPTH 3
#define DOT_MAX_NODES 150

static const char usage[] =
	"usage: heapscope export --format FORMAT [-o FILE] [--force] [options] PID|FILE\n"
	"\n"
	"Write the heap graph in another tool's format, to stdout or to -o FILE:\n"
	"  dot           a Graphviz graph of the objects one object refers to\n"
	"                (--root ADDRESS), a few references deep, or with\n"
	"                --backrefs of those that refer to it, up toward the roots\n"
	"  heapsnapshot  Chrome DevTools' .heapsnapshot (V8's format), for\n"
	"                DevTools' Memory tab, memlab and other V8 snapshot readers\n"
	"  sqlite        an SQLite database (tables objects, with each one's\n"
	"                retained size and dominator, edges, types, roots, meta);\n"
	"                needs -o FILE\n"
	"  meliae        JSON lines as meliae's dump_all_objects writes them:\n"
	"                address, type, size, value, len, name, refs\n"
	"PID captures the running process now; FILE reads a snapshot.  The output\n"
	"holds strings from the process's memory (possibly secrets): FILE is created\n"
	"readable by you only.\n"
	"\n"
	"  --format=FORMAT    dot, heapsnapshot, sqlite or meliae\n"
	"  -o, --output=FILE  write to FILE (default stdout; '-' is stdout too)\n"
	"  --force            replace FILE if it exists\n"
	"  --root=ADDRESS     (dot) the object the graph starts at\n"
	"  --depth=N          (dot) at most N references away from it (default 3)\n"
	"  --backrefs         (dot) the objects that refer to it, and those that\n"
	"                     refer to them, stopping at roots\n"
	"  --max-nodes=N      (dot) at most N objects (default 150); the graph's\n"
	"                     title says how many were left out\n" CAPTURE_OPTIONS_HELP;

static const struct {
	const char *name;
	int (*write)(struct export *x);
	int file_only; /* cannot go to a stream */
} formats[] = {
	{ "dot", export_dot, 0 },
	{ "heapsnapshot", export_heapsnapshot, 0 },
	{ "sqlite", export_sqlite, 1 },
	{ "meliae", export_meliae, 0 },
};

void export_progress(struct export *x, const char *phase, uint64_t done, uint64_t total)
{
	struct timespec now;

	if (!x->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - x->last.tv_sec + (now.tv_nsec - x->last.tv_nsec) / 1e9 < 0.1)
		return;
	x->last = now;
	if (total)
		fprintf(stderr, "\rheapscope: %s: %s %.0f%% \033[K", x->what, phase,
			100.0 * done / total);
	else
		fprintf(stderr, "\rheapscope: %s: %s \033[K", x->what, phase);
	x->shown = 1;
}

void export_progress_end(struct export *x)
{
	if (x->shown)
		fputs("\r\033[K", stderr);
	x->shown = 0;
}

const char *export_field_value(const struct heap *h, uint32_t i, const char *field, size_t *len)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e], d = h->edge_dst[e];

		if (HEAP_NAME_KIND(n) == HN_FIELD && HEAP_PAYLOAD(n) < h->nname &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), field) &&
		    h->obj[d].value != HEAP_NONE)
			return heap_str(h, h->obj[d].value, len);
	}
	return NULL;
}

/* The FILE an export writes its file through: in order, the disk kept
 * writing as it goes (writeback.h), so that the sync at the end waits
 * for the last part only. */
struct sink {
	struct writeback wb;
	int *err; /* where the first error goes */
};

static ssize_t sink_write(void *c, const char *buf, size_t len)
{
	struct sink *s = c;
	int e = writeback_write(&s->wb, buf, len);

	if (e) {
		/* stdio keeps only that the stream failed, not why: a
		 * write made straight from the caller's buffer leaves
		 * nothing for the final flush to fail on again */
		if (!*s->err)
			*s->err = e;
		errno = e;
		return -1;
	}
	return (ssize_t)len;
}

static int sink_close(void *c)
{
	struct sink *s = c;
	int e = writeback_end(&s->wb);

	if (close(s->wb.fd) && !e)
		e = errno;
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static FILE *sink_open(struct sink *s, int fd, int *err)
{
	static const cookie_io_functions_t io = { .write = sink_write, .close = sink_close };
	FILE *f;

	fd = dup(fd);
	if (fd < 0)
		return NULL;
	writeback_init(&s->wb, fd);
	s->err = err;
	if (!(f = fopencookie(s, "w", io))) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* Write h in format k to x->f or x->fd.  0, or the exit status. */
static int write_export(struct export *x, int k, const char *name)
{
	int st;

	if (x->f)
		x->progress = x->progress && !(x->f == stdout && isatty(1));
	st = formats[k].write(x);
	export_progress_end(x);
	errno = 0;
	if (!st && x->f && (fflush(x->f) || ferror(x->f))) {
		fprintf(stderr, "heapscope: cannot write %s: %s\n", name,
			strerror(x->write_errno ? x->write_errno
				 : errno	? errno
						: EIO));
		st = hs_exit_status(HS_EFILE);
	}
	return st;
}

static int export_main(const struct command *c, int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	struct snapshot_out out = { .fd = -1 };
	struct export x = { 0 };
	struct cmd_opts o;
	struct heap h;
	uint64_t addr = 0;
	struct sink sink;
	char what[300];
	int st, k, to_file;

	if (cmd_parse(c, argc, argv, &o, &st))
		return st;
	for (k = 0; o.format && k < (int)(sizeof(formats) / sizeof(formats[0])); k++)
		if (!strcmp(o.format, formats[k].name))
			break;
	if (!o.format)
		return cmd_usage_error(c, "export: which format? --format dot, heapsnapshot, "
					  "sqlite or meliae");
	if (k == (int)(sizeof(formats) / sizeof(formats[0])))
		return cmd_usage_error(c,
				       "export: unknown format '%s' (dot, heapsnapshot, sqlite "
				       "or meliae)",
				       o.format);
	if (formats[k].write == export_dot) {
		if (!o.root)
			return cmd_usage_error(c, "export: --format dot draws the graph around one "
						  "object: give its address with --root");
		if (query_parse_addr(o.root, &addr))
			return cmd_usage_error(c, "export: --root: '%s' is not an address", o.root);
	} else if (o.root || o.backrefs || o.depth >= 0 || o.max_nodes >= 0) {
		return cmd_usage_error(c, "export: --root, --depth, --backrefs and --max-nodes "
					  "are for --format dot");
	}
	if (o.json)
		return cmd_usage_error(c, "export: --json is not an export format: --format "
					  "heapsnapshot and meliae write JSON");
	to_file = o.output && strcmp(o.output, "-");
	if (o.force && !to_file)
		return cmd_usage_error(c, "export: --force replaces the file of -o FILE: give one");
	if (formats[k].file_only && !to_file)
		return cmd_usage_error(c,
				       "export: --format %s writes a database file: name it "
				       "with -o FILE",
				       formats[k].name);
	/* a place we cannot write is found before the capture, not after */
	if (to_file && snapshot_begin(&out, o.output, o.force ? SNAP_FORCE : 0, &err))
		return cmd_fail(&err);
	if ((st = source_open(&o, &h))) {
		snapshot_abort(&out);
		return st;
	}
	x.h = &h;
	x.depth = o.depth >= 0 ? (unsigned)o.depth : DOT_DEPTH;
	x.max_nodes = o.max_nodes > 0 ? (size_t)o.max_nodes : DOT_MAX_NODES;
	x.backrefs = o.backrefs;
	x.progress = isatty(2) && h.nobj + h.nedge >= (1u << 20);
	snprintf(what, sizeof(what), "writing %s", to_file ? o.output : "the export");
	x.what = what;
	clock_gettime(CLOCK_MONOTONIC, &x.last);
	if (formats[k].write == export_dot &&
	    (x.root = cmd_find_object(&h, addr, o.backrefs ? HEAP_NEED_REVERSE : 0, &st)) ==
		    HEAP_NONE)
		goto fail;
	if (!to_file) {
		x.f = stdout;
		st = write_export(&x, k, "to standard output");
	} else if (formats[k].file_only) {
		x.fd = out.fd;
		st = write_export(&x, k, o.output);
	} else {
		x.f = sink_open(&sink, out.fd, &x.write_errno);
		if (!x.f) {
			fprintf(stderr, "heapscope: cannot write %s: %s\n", o.output,
				strerror(errno));
			st = hs_exit_status(HS_EFILE);
			goto fail;
		}
		st = write_export(&x, k, o.output);
		if (fclose(x.f) && !st) {
			fprintf(stderr, "heapscope: cannot write %s: %s\n", o.output,
				strerror(errno));
			st = hs_exit_status(HS_EFILE);
		}
	}
	if (st)
		goto fail;
	if (to_file && snapshot_publish(&out, &err)) {
		st = cmd_fail(&err);
		goto fail;
	}
	heap_release(&h);
	return 0;
fail:
	snapshot_abort(&out);
	heap_release(&h);
	return st;
}

const struct command command_export = {
	.name = "export",
	.run = export_main,
	.opts = OPT_SOURCE | OPT_CAPTURE | OPT_FORMAT | OPT_OUTPUT | OPT_GRAPH,
	.summary = "the heap graph for other tools: dot, heapsnapshot, sqlite, meliae",
	.usage = usage,
};
