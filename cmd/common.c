#include "config.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "layout/layout.h"

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

/* s as a PID argument: digits that can be no process id are a usage
 * error (*status set, -1), unless a file of that name is here and args
 * may be files (files). */
static int check_pid_arg(const struct command *c, const char *s, int files, int *status)
{
	struct stat sb;
	pid_t pid;

	if (cmd_pid_parse(s, &pid) >= 0 || (files && !stat(s, &sb)))
		return 0;
	*status = cmd_usage_error(c, "'%s' is not a process id: process ids run from 1 to %ld",
				  s, cmd_pid_max());
	return -1;
}

/* HEAPSCOPE_DEBUG_DIR: colon-separated debug directories, as gdb's
 * debug-file-directory. */
static void env_debug_dirs(struct cmd_opts *o)
{
	static char buf[4096];
	const char *env = getenv("HEAPSCOPE_DEBUG_DIR");
	char *save = NULL, *tok;

	if (!env || !*env || o->ndebug_dirs)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ":", &save); tok && o->ndebug_dirs < CMD_MAX_DEBUG_DIRS;
	     tok = strtok_r(NULL, ":", &save))
		o->debug_dirs[o->ndebug_dirs++] = tok;
}

enum {
	O_LAYOUT = 1000,
	O_DEBUG_DIR,
	O_NO_CACHE,
	O_PYTHON,
	O_NO_STOP,
	O_MAX_COPY,
	O_MAX_PAUSE,
	O_FORCE,
	O_BY,
	O_TYPE,
	O_FORMAT,
	O_INTERVAL,
	O_COUNT,
	O_THRESHOLD,
	O_ROOT,
	O_DEPTH,
	O_BACKREFS,
	O_MAX_NODES,
};

/* "512M", "2GiB", "1000000": bytes, the suffixes binary as heapscope
 * writes sizes (K is KiB); -1 if not a size. */
static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift) {
		end++;
		if (*end == 'i')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || n > UINT64_MAX >> shift)
		return -1;
	*v = (uint64_t)n << shift;
	return 0;
}

int cmd_parse(const struct command *c, int argc, char **argv, struct cmd_opts *o, int *status)
{
	unsigned flags = c->opts;
	const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "native", no_argument, NULL, 'n' },
		{ "layout", required_argument, NULL, O_LAYOUT },
		{ "debug-dir", required_argument, NULL, O_DEBUG_DIR },
		{ "no-cache", no_argument, NULL, O_NO_CACHE },
		{ "python", required_argument, NULL, O_PYTHON },
		{ "no-stop", no_argument, NULL, O_NO_STOP },
		{ "max-copy", required_argument, NULL, O_MAX_COPY },
		{ "max-pause", required_argument, NULL, O_MAX_PAUSE },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, O_FORCE },
		{ "by", required_argument, NULL, O_BY },
		{ "type", required_argument, NULL, O_TYPE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "count", required_argument, NULL, O_COUNT },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "root", required_argument, NULL, O_ROOT },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "backrefs", no_argument, NULL, O_BACKREFS },
		{ "max-nodes", required_argument, NULL, O_MAX_NODES },
		{ NULL, 0, NULL, 0 },
	};
	int ch, src;

	memset(o, 0, sizeof(*o));
	o->max_pause_ns = CMD_MAX_PAUSE_DEFAULT;
	o->limit = -1;
	o->count = -1;
	o->depth = -1;
	o->max_nodes = -1;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, flags & OPT_QUERY ? "jhn:o:" : "jhno:",
				 longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o->json = 1;
			break;
		case 'h':
			fputs(c->usage, stdout);
			*status = 0;
			return -1;
		case 'n':
			/* -n is --native for stacks, a row count elsewhere */
			if (flags & OPT_QUERY) {
				char *end;

				/* rows never outnumber objects (HEAP_MAX_OBJECTS
				 * is 2^31): anything above INT_MAX is a mistake */
				errno = 0;
				o->limit = strtol(optarg, &end, 10);
				if (errno || *end || end == optarg || o->limit < 0 ||
				    o->limit > INT_MAX) {
					*status = cmd_usage_error(c, "-n wants a number of rows from "
								  "0 to %d, not '%s'", INT_MAX,
								  optarg);
					return -1;
				}
				break;
			}
			if (!(flags & OPT_NATIVE))
				goto bad;
			o->native = 1;
			break;
		case 'o':
			if (!(flags & OPT_OUTPUT))
				goto bad;
			o->output = optarg;
			break;
		case O_FORCE:
			if (!(flags & OPT_OUTPUT))
				goto bad;
			o->force = 1;
			break;
		case O_NO_STOP:
			if (!(flags & OPT_CAPTURE))
				goto bad;
			o->no_stop = 1;
			break;
		case O_MAX_COPY:
			if (!(flags & OPT_CAPTURE))
				goto bad;
			if (parse_size(optarg, &o->max_copy)) {
				*status = cmd_usage_error(c, "--max-copy wants a size such as 512M "
							  "or 2G, not '%s'", optarg);
				return -1;
			}
			break;
		case O_MAX_PAUSE:
			if (!(flags & OPT_CAPTURE))
				goto bad;
			{
				char *end;
				double secs = strtod(optarg, &end);

				if (end != optarg && !strcmp(end, "s"))
					end++;
				if (end == optarg || *end || !(secs >= 0 && secs <= 86400)) {
					*status = cmd_usage_error(c, "--max-pause wants seconds from 0 "
								  "(never) to 86400, such as 2.5, not "
								  "'%s'", optarg);
					return -1;
				}
				o->max_pause_ns = (uint64_t)(secs * 1e9);
			}
			break;
		case O_BY:
			if (!(flags & OPT_QUERY))
				goto bad;
			o->by = optarg;
			break;
		case O_FORMAT:
			if (!(flags & OPT_FORMAT))
				goto bad;
			o->format = optarg;
			break;
		case O_THRESHOLD:
			if (!(flags & OPT_THRESHOLD))
				goto bad;
			{
				char *end;

				o->threshold = strtod(optarg, &end);
				if (end == optarg || (*end && strcmp(end, "%")) ||
				    !(o->threshold > 0 && o->threshold <= 100)) {
					*status = cmd_usage_error(c, "--threshold wants a percentage "
								  "above 0 and up to 100, not '%s'",
								  optarg);
					return -1;
				}
			}
			break;
		case O_ROOT:
			if (!(flags & OPT_GRAPH))
				goto bad;
			o->root = optarg;
			break;
		case O_BACKREFS:
			if (!(flags & OPT_GRAPH))
				goto bad;
			o->backrefs = 1;
			break;
		case O_DEPTH:
		case O_MAX_NODES: {
			long *v = ch == O_DEPTH ? &o->depth : &o->max_nodes;
			char *end;

			if (!(flags & OPT_GRAPH))
				goto bad;
			errno = 0;
			*v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || *v < (ch == O_DEPTH ? 0 : 1) ||
			    *v > 1000000) {
				*status = cmd_usage_error(c, "--%s wants a number, not '%s'",
							  ch == O_DEPTH ? "depth" : "max-nodes",
							  optarg);
				return -1;
			}
			break;
		}
		case O_TYPE:
			if (!(flags & OPT_QUERY))
				goto bad;
			o->type_name = optarg;
			break;
		case O_INTERVAL:
		case O_COUNT: {
			char *end;
			double v;

			if (!(flags & OPT_WATCH))
				goto bad;
			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v > 0) || v > 1e7 ||
			    (ch == O_COUNT && v != (long)v)) {
				*status = cmd_usage_error(c, "--%s wants a %s, not '%s'",
							  ch == O_COUNT ? "count" : "interval",
							  ch == O_COUNT ? "number of captures"
									: "number of seconds",
							  optarg);
				return -1;
			}
			if (ch == O_COUNT)
				o->count = (long)v;
			else
				o->interval = v;
			break;
		}
		case O_LAYOUT:
			src = layout_source_by_name(optarg);
			if (src < 0) {
				*status = cmd_usage_error(c, "unknown layout source '%s' "
							  "(auto, debug-offsets, dwarf, table)",
							  optarg);
				return -1;
			}
			o->py.layout_source = src;
			break;
		case O_DEBUG_DIR:
			if (o->ndebug_dirs < CMD_MAX_DEBUG_DIRS)
				o->debug_dirs[o->ndebug_dirs++] = optarg;
			break;
		case O_NO_CACHE:
			o->py.no_cache = 1;
			break;
		case O_PYTHON:
			if (!(flags & OPT_PYTHON))
				goto bad;
			o->python = optarg;
			break;
		default:
			goto bad;
		}
	}
	env_debug_dirs(o);
	if (o->ndebug_dirs)
		o->py.debug_dirs = o->debug_dirs;
	if (flags & OPT_PID) {
		if (optind >= argc) {
			*status = cmd_usage_error(c, "%s: missing PID", c->name);
			return -1;
		}
		if (check_pid_arg(c, argv[optind], 0, status))
			return -1;
		if (cmd_pid_parse(argv[optind], &o->pid) != 1) {
			*status = cmd_usage_error(c, "'%s' is not a process id", argv[optind]);
			return -1;
		}
		optind++;
	}
	if (flags & OPT_SOURCE) {
		if (optind >= argc) {
			*status = cmd_usage_error(c, "%s: missing PID or snapshot FILE", c->name);
			return -1;
		}
		o->source = argv[optind++];
		if (check_pid_arg(c, o->source, 1, status))
			return -1;
	}
	if (flags & OPT_SOURCE2) {
		if (optind >= argc) {
			*status = cmd_usage_error(c, "%s: missing the second snapshot FILE", c->name);
			return -1;
		}
		o->source2 = argv[optind++];
		if (check_pid_arg(c, o->source2, 1, status))
			return -1;
	}
	if (flags & OPT_ADDR) {
		if (optind >= argc) {
			*status = cmd_usage_error(c, "%s: missing the object's ADDRESS", c->name);
			return -1;
		}
		o->addr = argv[optind++];
	}
	if (optind < argc) {
		*status = cmd_usage_error(c, "%s: unexpected argument '%s'", c->name,
					  argv[optind]);
		return -1;
	}
	return 0;
bad:
	if (optopt && optopt < 256)
		*status = cmd_usage_error(c, "%s: unknown option '-%c'", c->name, optopt);
	else
		*status = cmd_usage_error(c, "%s: unknown or incomplete option '%s'",
					  c->name, argv[optind - 1]);
	return -1;
}

int cmd_source_pid(const struct command *c, struct cmd_opts *o, int *st)
{
	if (check_pid_arg(c, o->source, 0, st))
		return -1;
	if (cmd_pid_parse(o->source, &o->pid) != 1) {
		*st = cmd_usage_error(c, "'%s' is neither a process id nor a snapshot file",
				      o->source);
		return -1;
	}
	return 0;
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
int session_open(struct session *s, const struct cmd_opts *o)
{
	struct hs_error err = HS_ERROR_INIT;
	struct target *live = NULL;
	int st;

	memset(s, 0, sizeof(*s));
	if (target_attach(&live, o->pid, TARGET_NO_STOP, &err))
		return cmd_fail(&err);
	if (pyproc_open(&s->py, live, &o->py, &err))
		goto fail;
	s->have_py = 1;
	if (target_attach(&s->t, o->pid, 0, &err))
		goto fail;
	s->py.t = s->t;
	target_close(live);
	cmd_test_hook("attached");
	if (s->py.warning[0] && !o->json)
		fprintf(stderr, "heapscope: warning: %s\n", s->py.warning);
	return 0;
fail:
	st = cmd_fail(&err);
	target_close(live);
	if (s->have_py)
		pyproc_release(&s->py);
	memset(s, 0, sizeof(*s));
	return st;
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
	const char *t = getenv("HEAPSCOPE_TIMING");

	if (t && *t && strcmp(t, "0"))
		fprintf(stderr, "heapscope: timing: %s %.3f ms\n", phase, (cmd_clock() - since) * 1e3);
}
