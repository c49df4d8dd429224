/*
 * cmd.h - the heapscope command: subcommands and what they share.
 *
 * Only cmd/ prints to the terminal or exits.  Each subcommand returns the
 * process exit status.
 */
#ifndef HS_CMD_H
#define HS_CMD_H

#include <getopt.h>
#include <stdio.h>
#include "base/error.h"
#include "python/pyproc.h"
#include "target/target.h"

#define CMD_MAX_DEBUG_DIRS 8

struct cmd_opts {
	int json;
	int native;
	int locals;	    /* stacks --locals */
	int no_group;	    /* stacks --no-group */
	int subprocesses;   /* stacks --subprocesses */
	int help;	    /* -h: print the usage, nothing else */
	const char *python; /* demo: interpreter to run */
	pid_t pid;
	const char *source;    /* PID or snapshot FILE */
	const char *addr;      /* show/path: object address */
	const char *output;    /* snapshot -o */
	const char *type_name; /* objects --type */
	const char *by;	       /* top --by */
	const char *format;    /* export --format */
	double threshold;      /* suspects --threshold: percent, 0 = default */
	const char *root;      /* export --root: object address */
	long depth;	       /* export --depth, -1 = the default */
	int backrefs;	       /* export --backrefs */
	long max_nodes;	       /* export --max-nodes, -1 = the default */
	long limit;	       /* -n: rows shown, -1 = the default */
	const char *source2;   /* diff: the NEW snapshot FILE */
	double interval;       /* watch --interval, seconds (0: default) */
	long count;	       /* watch --count, -1 = until interrupted */
	int force;
	int no_stop;
	uint64_t max_copy;
	uint64_t max_memory;   /* --max-memory: 0 no bound */
	uint64_t max_pause_ns; /* --max-pause: 0 never */
	struct pyproc_options py;
	const char *debug_dirs[CMD_MAX_DEBUG_DIRS + 1];
	int ndebug_dirs;
	const char *sysroot; /* --sysroot: a core's files are under it */
	int core;	     /* the source is a core file (session_try) */
};

/* How long a target walked frozen stays frozen at most, by default. */
#define CMD_MAX_PAUSE_DEFAULT (10ull * 1000000000ull)

/* The options of a capture, for every command's --help. */
#define CAPTURE_OPTIONS_HELP \
	"  --no-stop          (PID) walk without freezing the target: it keeps\n" \
	"                     running, the result may be inconsistent\n" \
	"  --max-copy=SIZE    (PID) copy at most SIZE bytes of the target's memory\n" \
	"                     (default half of the available RAM); past it, walk the\n" \
	"                     target frozen\n" \
	"  --max-memory=SIZE  keep heapscope's memory under SIZE: (PID) the copy\n" \
	"                     takes at most half (past it, as past --max-copy),\n" \
	"                     and a heap graph that outgrows the rest stops the\n" \
	"                     capture; then retained sizes, referrers or the\n" \
	"                     index that would pass it stop the command\n" \
	"  --max-pause=SECS   (PID) let a target walked frozen go after SECS seconds\n" \
	"                     (default 10; 0: never), reading on as --no-stop does\n" \
	"  --layout=SOURCE    auto, debug-offsets, dwarf or table\n" \
	"  --debug-dir=DIR    directory of separate debug files\n" \
	"  --sysroot=DIR      (core FILE) the files the process mapped are under DIR\n" \
	"  --no-cache         do not use the layout cache\n"

/* The end of the --help of a command that reads PID or FILE. */
#define SOURCE_HELP \
	"PID captures the running process now (it is frozen only while its memory\n" \
	"is copied); FILE reads a snapshot taken before, or a core file (gcore's,\n" \
	"the kernel's, systemd-coredump's .zst, .lz4 or .xz).\n" \
	"\n" CAPTURE_HELP

#define CAPTURE_HELP "  --json             one JSON object on stdout\n" CAPTURE_OPTIONS_HELP

/* What a command takes (struct command's opts): its arguments, and the
 * groups of options (options.c says which option is in which group;
 * --json, --help, --layout, --debug-dir and --no-cache are in none:
 * every command takes them). */
enum cmd_opt_flags {
	OPT_PID = 1 << 0, /* takes one PID argument */
	OPT_NATIVE = 1 << 1,
	OPT_PYTHON = 1 << 2,
	OPT_SOURCE = 1 << 3,	 /* takes PID or FILE */
	OPT_ADDR = 1 << 4,	 /* then an object address */
	OPT_CAPTURE = 1 << 5,	 /* --no-stop, --max-copy, --max-memory, --max-pause */
	OPT_OUTPUT = 1 << 6,	 /* -o FILE, --force */
	OPT_QUERY = 1 << 7,	 /* --by, -n, --type */
	OPT_FORMAT = 1 << 8,	 /* --format */
	OPT_SOURCE2 = 1 << 9,	 /* then a second FILE (diff) */
	OPT_WATCH = 1 << 10,	 /* --interval, --count */
	OPT_THRESHOLD = 1 << 11, /* --threshold PCT */
	OPT_GRAPH = 1 << 12,	 /* --root, --depth, --backrefs, --max-nodes */
	OPT_STACKS = 1 << 13,	 /* --locals, --no-group, --subprocesses */
};

/* A capture session: attached target and its interpreter. */
struct session {
	const char *core; /* the core file read, or NULL: a live process */
	struct target *t;
	struct pyproc py;
	int have_py;
};

/* A subcommand, defined in the file named after it. */
struct command {
	const char *name;
	/* Do it: argv[0] is the command's name (or the PID heapscope PID
	 * was given); returns the exit status. */
	int (*run)(const struct command *c, int argc, char **argv);
	unsigned opts;	     /* enum cmd_opt_flags: what cmd_parse takes */
	const char *summary; /* one line for heapscope --help */
	const char *usage;   /* full --help text */
};

extern const struct command command_browse, command_info, command_stacks, command_snapshot,
	command_top, command_show, command_path, command_objects, command_suspects, command_export,
	command_diff, command_watch, command_garbage, command_tasks, command_demo, command_help;
/* Every command, in the order heapscope --help lists them; NULL-ended. */
extern const struct command *const commands[];
/* The command of that name, or NULL. */
const struct command *cmd_find(const char *name);
/* The list of commands with their summaries, for heapscope --help. */
void cmd_print_main_usage(FILE *f);

/* Parse argv for command c, taking the options c->opts says.  Returns -1
 * when the command should exit with *status (help printed, or a usage
 * error reported). */
int cmd_parse(const struct command *c, int argc, char **argv, struct cmd_opts *o, int *status);
/* Attach and find the interpreter; on failure print and return the exit
 * status (> 0).  0 on success. */
int session_open(struct session *s, const struct cmd_opts *o);
void session_close(struct session *s);
/* The same, printing nothing: 0, or -1 with err set. */
int session_try(struct session *s, const struct cmd_opts *o, struct hs_error *err);

/* Test hook: HEAPSCOPE_TEST_STOP_AT=where stops heapscope (SIGSTOP) at
 * that point ("attached", "capturing", "walking"), for tests to signal it
 * there. */
void cmd_test_hook(const char *where);

/* Seconds on the monotonic clock; with HEAPSCOPE_TIMING=1 in the
 * environment, cmd_timing prints how long phase took since then on
 * stderr (for the benchmarks). */
double cmd_clock(void);
void cmd_timing(const char *phase, double since);

/* Print err as "heapscope: msg" + "hint: ..." and return its exit status. */
int cmd_fail(const struct hs_error *err);
int cmd_usage_error(const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct heap;
struct json;
/* The object at addr in h, with the index and what need asks for
 * prepared; HEAP_NONE after printing why not (exit status in *st). */
uint32_t cmd_find_object(struct heap *h, uint64_t addr, unsigned need, int *st);
/* The same for the address argument s of command c (a usage error if s
 * is no address). */
uint32_t cmd_object_arg(const struct command *c, struct heap *h, const char *s, unsigned need,
			int *st);

/* ---- print.c: what several commands print alike ---- */
/* The words of the bits of enum heap_obj_flags, lowest first. */
extern const char *const cmd_flag_names[8];
/* An object's address, type, size and summary as JSON fields. */
void cmd_json_obj_brief(struct json *j, const struct heap *h, uint32_t i);
/* Its value (a string, bytes as bytes, or null), and "flags": [words]. */
void cmd_json_value(struct json *j, const struct heap *h, uint32_t i);
void cmd_json_flags(struct json *j, const struct heap *h, uint32_t i);
/* A path from query_path as the JSON fields "root" and "steps"; as text,
 * each line after indent. */
void cmd_json_path_fields(struct json *j, const struct heap *h, const uint32_t *path,
			  const uint32_t *edges, size_t n, uint32_t root);
void cmd_print_path(const struct heap *h, const char *indent, const uint32_t *path,
		    const uint32_t *edges, size_t n, uint32_t root);
/* Seconds since the epoch as local "2024-05-01 12:00:00". */
void cmd_time_text(int64_t t, char *buf, size_t len);
/* text to f, its words wrapped at 78 columns, the first line already col
 * wide; then a newline. */
void cmd_print_wrapped(FILE *f, const char *text, size_t col);
/* Capture PID or load FILE (o->source) into h, with a progress line on a
 * terminal; prints errors and warnings.  0, or the exit status. */
int source_open(const struct cmd_opts *o, struct heap *h);
/* Capture o->source (a PID) again, printing nothing: 0, or -1 with err. */
int source_recapture(const struct cmd_opts *o, struct heap *h, struct hs_error *err);
/* 1 if s names a process (digits, and no file of that name here). */
int source_is_pid(const char *s, pid_t *pid);
/* 1 if s names a core file (no PID, and a file that starts as one). */
int source_is_core(const char *s);
/* s as a process id: 1 (*pid set) when it is digits only and one this
 * system can give (1 to cmd_pid_max()), -1 when digits only but out of
 * that range, 0 when not digits only.  The one way a PID is parsed. */
int cmd_pid_parse(const char *s, pid_t *pid);
/* A duration for people: "12.3 ms" below a second, "4.8 s" above. */
void cmd_duration_text(uint64_t ns, char *buf, size_t len);
/* The largest process id of this system (from /proc/sys/kernel/pid_max). */
long cmd_pid_max(void);
/* Open the browser on o->source (PID or FILE); the exit status. */
int browse_run(const struct cmd_opts *o);

/* Shared printers used by demo too. */
int info_print(struct session *s, const struct cmd_opts *o);
struct stacks;
void stacks_print(const struct session *s, const struct cmd_opts *o, const struct stacks *st);
/* o->source must be a PID: sets o->pid, or reports a usage error (status
 * in *st) and returns -1. */
int cmd_source_pid(const struct command *c, struct cmd_opts *o, int *st);
int stacks_run(struct session *s, const struct cmd_opts *o);

#endif
