/*
 * options.c - a command's options and arguments.
 *
 * One table holds every option of every command: its long name and
 * short letter, the group of commands that take it (enum cmd_opt_flags,
 * a command's opts), how its value is read into struct cmd_opts and what
 * is said of a bad one.  cmd_parse reads argv by it in one loop.
 *
 * getopt_long is always given every long name, whichever the command, so
 * that an abbreviation means the same to every command ("--fo" is as
 * ambiguous for snapshot as for export) and an option of another command
 * is refused as unknown, not read as an abbreviation of one of its own.
 * A short letter two options share (-n: --native for stacks and demo, a
 * number of rows elsewhere) is the one the command takes.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd.h"
#include "layout/layout.h"

struct cmd_option;

/* Read arg into o as opt says; 0, or -1 when arg is no value of opt
 * (opt->bad says why). */
typedef int (*option_parse)(const struct cmd_option *opt, const char *arg, struct cmd_opts *o);

struct cmd_option {
	const char *name;   /* --name, or NULL: only -letter */
	char letter;	    /* -letter, or 0: only --name */
	unsigned takers;    /* the enum cmd_opt_flags group of the commands that
			     * take it; 0: every command */
	option_parse parse; /* parse_flag: takes no value */
	size_t off;	    /* where in struct cmd_opts the value goes */
	double min, max;    /* a number's range (parse says which ends count) */
	const char *bad;    /* usage error for a bad value; %s: the value */
};

#define OFF(field) offsetof(struct cmd_opts, field)
#define FIELD(o, opt, type) ((type *)((char *)(o) + (opt)->off))

/* No value: the int at off becomes 1. */
static int parse_flag(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	*FIELD(o, opt, int) = 1;
	return 0;
}

/* The value as it is. */
static int parse_string(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	*FIELD(o, opt, const char *) = arg;
	return 0;
}

/* A whole number from min to max, into a long. */
static int parse_long(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < opt->min || v > opt->max)
		return -1;
	*FIELD(o, opt, long) = v;
	return 0;
}

/* A number above min and at most max, into a double; with whole set, a
 * whole one ("1e3" too) into a long. */
static int parse_above(const struct cmd_option *opt, const char *arg, struct cmd_opts *o, int whole)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > opt->min) || v > opt->max ||
	    (whole && v != (long)v))
		return -1;
	if (whole)
		*FIELD(o, opt, long) = (long)v;
	else
		*FIELD(o, opt, double) = v;
	return 0;
}

static int parse_positive(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	return parse_above(opt, arg, o, 0);
}

static int parse_whole(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	return parse_above(opt, arg, o, 1);
}

/* A share above min and at most max, "5" or "5%", into a double. */
static int parse_percent(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || (*end && strcmp(end, "%")) || !(v > opt->min && v <= opt->max))
		return -1;
	*FIELD(o, opt, double) = v;
	return 0;
}

/* Seconds from min to max, "2.5" or "2.5s", into nanoseconds. */
static int parse_seconds(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	char *end;
	double secs = strtod(arg, &end);

	if (end != arg && !strcmp(end, "s"))
		end++;
	if (end == arg || *end || !(secs >= opt->min && secs <= opt->max))
		return -1;
	*FIELD(o, opt, uint64_t) = (uint64_t)(secs * 1e9);
	return 0;
}

/* "512M", "2GiB", "1000000": bytes, the suffixes binary as heapscope
 * writes sizes (K is KiB), into a uint64_t. */
static int parse_size(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
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
	*FIELD(o, opt, uint64_t) = (uint64_t)n << shift;
	return 0;
}

/* A layout source's name (layout_source_by_name). */
static int parse_layout(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	int src = layout_source_by_name(arg);

	if (src < 0)
		return -1;
	o->py.layout_source = src;
	return 0;
}

/* One more directory of debug files (past CMD_MAX_DEBUG_DIRS, ignored). */
static int parse_debug_dir(const struct cmd_option *opt, const char *arg, struct cmd_opts *o)
{
	if (o->ndebug_dirs < CMD_MAX_DEBUG_DIRS)
		o->debug_dirs[o->ndebug_dirs++] = arg;
	return 0;
}

/* -n: rows never outnumber objects (HEAP_MAX_OBJECTS is 2^31), so
 * anything above INT_MAX is a mistake; its usage error spells it. */
#define ROWS_MAX_TEXT "2147483647"
_Static_assert(INT_MAX == 2147483647, "ROWS_MAX_TEXT must be INT_MAX");

/* clang-format off */
static const struct cmd_option options[] = {
	{ .name = "json", .letter = 'j', .parse = parse_flag, .off = OFF(json) },
	{ .name = "help", .letter = 'h', .parse = parse_flag, .off = OFF(help) },
	{ .name = "native", .letter = 'n', .takers = OPT_NATIVE,
	  .parse = parse_flag, .off = OFF(native) },
	{ .name = "locals", .letter = 'l', .takers = OPT_STACKS,
	  .parse = parse_flag, .off = OFF(locals) },
	{ .name = "no-group", .takers = OPT_STACKS,
	  .parse = parse_flag, .off = OFF(no_group) },
	{ .name = "subprocesses", .takers = OPT_STACKS,
	  .parse = parse_flag, .off = OFF(subprocesses) },
	{ .letter = 'n', .takers = OPT_QUERY,
	  .parse = parse_long, .off = OFF(limit), .min = 0, .max = INT_MAX,
	  .bad = "-n wants a number of rows from 0 to " ROWS_MAX_TEXT ", not '%s'" },
	{ .name = "layout", .parse = parse_layout,
	  .bad = "unknown layout source '%s' (auto, debug-offsets, dwarf, table)" },
	{ .name = "debug-dir", .parse = parse_debug_dir },
	{ .name = "sysroot", .parse = parse_string, .off = OFF(sysroot) },
	{ .name = "no-cache", .parse = parse_flag, .off = OFF(py.no_cache) },
	{ .name = "python", .takers = OPT_PYTHON, .parse = parse_string, .off = OFF(python) },
	{ .name = "no-stop", .takers = OPT_CAPTURE, .parse = parse_flag, .off = OFF(no_stop) },
	{ .name = "max-copy", .takers = OPT_CAPTURE,
	  .parse = parse_size, .off = OFF(max_copy),
	  .bad = "--max-copy wants a size such as 512M or 2G, not '%s'" },
	{ .name = "max-memory", .takers = OPT_CAPTURE,
	  .parse = parse_size, .off = OFF(max_memory),
	  .bad = "--max-memory wants a size such as 512M or 2G, not '%s'" },
	{ .name = "max-pause", .takers = OPT_CAPTURE,
	  .parse = parse_seconds, .off = OFF(max_pause_ns), .min = 0, .max = 86400,
	  .bad = "--max-pause wants seconds from 0 (never) to 86400, such as 2.5, not '%s'" },
	{ .name = "output", .letter = 'o', .takers = OPT_OUTPUT,
	  .parse = parse_string, .off = OFF(output) },
	{ .name = "force", .takers = OPT_OUTPUT, .parse = parse_flag, .off = OFF(force) },
	{ .name = "by", .takers = OPT_QUERY, .parse = parse_string, .off = OFF(by) },
	{ .name = "type", .takers = OPT_QUERY, .parse = parse_string, .off = OFF(type_name) },
	{ .name = "format", .takers = OPT_FORMAT, .parse = parse_string, .off = OFF(format) },
	{ .name = "interval", .takers = OPT_WATCH,
	  .parse = parse_positive, .off = OFF(interval), .min = 0, .max = 1e7,
	  .bad = "--interval wants a number of seconds, not '%s'" },
	{ .name = "count", .takers = OPT_WATCH,
	  .parse = parse_whole, .off = OFF(count), .min = 0, .max = 1e7,
	  .bad = "--count wants a number of captures, not '%s'" },
	{ .name = "threshold", .takers = OPT_THRESHOLD,
	  .parse = parse_percent, .off = OFF(threshold), .min = 0, .max = 100,
	  .bad = "--threshold wants a percentage above 0 and up to 100, not '%s'" },
	{ .name = "root", .takers = OPT_GRAPH, .parse = parse_string, .off = OFF(root) },
	{ .name = "depth", .takers = OPT_GRAPH,
	  .parse = parse_long, .off = OFF(depth), .min = 0, .max = 1000000,
	  .bad = "--depth wants a number, not '%s'" },
	{ .name = "backrefs", .takers = OPT_GRAPH, .parse = parse_flag, .off = OFF(backrefs) },
	{ .name = "max-nodes", .takers = OPT_GRAPH,
	  .parse = parse_long, .off = OFF(max_nodes), .min = 1, .max = 1000000,
	  .bad = "--max-nodes wants a number, not '%s'" },
};
/* clang-format on */

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static int takes(const struct command *c, const struct cmd_option *opt)
{
	return !opt->takers || (c->opts & opt->takers);
}

/* The option -letter is for c: the one c takes, else the first (which
 * c refuses); NULL if none has that letter. */
static const struct cmd_option *by_letter(const struct command *c, int letter)
{
	const struct cmd_option *first = NULL;
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		if (!letter || options[i].letter != letter)
			continue;
		if (takes(c, &options[i]))
			return &options[i];
		if (!first)
			first = &options[i];
	}
	return first;
}

/*
 * getopt_long's view of the table for c: every long name (of[k]: the
 * option of longopts[k]), and each short letter once, with a value if
 * the option it is for c takes one.  A long name with a letter returns
 * it, as getopt_long then reports it in optopt when its value is
 * missing.
 */
static void getopt_tables(const struct command *c, struct option *longopts,
			  const struct cmd_option **of, char *shortopts)
{
	size_t i, k = 0, s = 0;

	for (i = 0; i < NOPTIONS; i++) {
		const struct cmd_option *opt = &options[i];

		if (opt->letter && by_letter(c, opt->letter) == opt) {
			shortopts[s++] = opt->letter;
			if (opt->parse != parse_flag)
				shortopts[s++] = ':';
		}
		if (!opt->name)
			continue;
		longopts[k] = (struct option){
			.name = opt->name,
			.has_arg = opt->parse == parse_flag ? no_argument : required_argument,
			.val = opt->letter ? opt->letter : 256 + (int)i,
		};
		of[k++] = opt;
	}
	longopts[k] = (struct option){ 0 };
	shortopts[s] = '\0';
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
	*status = cmd_usage_error(c, "'%s' is not a process id: process ids run from 1 to %ld", s,
				  cmd_pid_max());
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

/* The arguments after the options: PID, PID or FILE, a second FILE, an
 * ADDRESS, as c->opts says, and nothing more. */
static int parse_args(const struct command *c, int argc, char **argv, struct cmd_opts *o,
		      int *status)
{
	unsigned flags = c->opts;

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
			*status =
				cmd_usage_error(c, "%s: missing the second snapshot FILE", c->name);
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
		*status = cmd_usage_error(c, "%s: unexpected argument '%s'", c->name, argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_parse(const struct command *c, int argc, char **argv, struct cmd_opts *o, int *status)
{
	struct option longopts[NOPTIONS + 1];
	const struct cmd_option *of[NOPTIONS], *opt;
	char shortopts[2 * NOPTIONS + 1];
	int ch, k;

	memset(o, 0, sizeof(*o));
	o->max_pause_ns = CMD_MAX_PAUSE_DEFAULT;
	o->limit = -1;
	o->count = -1;
	o->depth = -1;
	o->max_nodes = -1;
	getopt_tables(c, longopts, of, shortopts);
	opterr = 0;
	optind = 1;
	for (;;) {
		k = -1;
		ch = getopt_long(argc, argv, shortopts, longopts, &k);
		if (ch == -1)
			break;
		/* k: the long option found; a short one, by its letter
		 * (none for '?', getopt_long's word for a mistake) */
		opt = k >= 0 ? of[k] : by_letter(c, ch);
		if (!opt || !takes(c, opt))
			goto bad;
		if (opt->parse(opt, optarg, o)) {
			const char *at = strstr(opt->bad, "%s");

			*status = cmd_usage_error(c, "%.*s%s%s", (int)(at - opt->bad), opt->bad,
						  optarg, at + 2);
			return -1;
		}
		if (o->help) {
			fputs(c->usage, stdout);
			*status = 0;
			return -1;
		}
	}
	env_debug_dirs(o);
	if (o->ndebug_dirs)
		o->py.debug_dirs = o->debug_dirs;
	return parse_args(c, argc, argv, o, status);
bad:
	if (optopt && optopt < 256)
		*status = cmd_usage_error(c, "%s: unknown option '-%c'", c->name, optopt);
	else
		*status = cmd_usage_error(c, "%s: unknown or incomplete option '%s'", c->name,
					  argv[optind - 1]);
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
