/*
 * pyproc.h - a CPython interpreter found inside a target.
 *
 * pyproc_open() locates the module holding _PyRuntime (the executable or
 * libpython) from /proc/PID/maps, reads its symbols with libelf, finds
 * the version (Py_Version, _Py_DebugOffsets, the library name, or the
 * version string in .rodata), fills the layout (table, DWARF - possibly
 * from the cache - and _Py_DebugOffsets) and checks it against the target
 * by following _PyRuntime to the main interpreter and its threads.
 */
#ifndef HS_PYPROC_H
#define HS_PYPROC_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "layout/layout.h"
#include "target/target.h"

enum pyproc_build {
	PYBUILD_SHARED = 1 << 0,     /* _PyRuntime in libpython */
	PYBUILD_DEBUG = 1 << 1,	     /* Py_DEBUG (python3.Xd) */
	PYBUILD_STRIPPED = 1 << 2,   /* no .symtab in the module */
	PYBUILD_TRACE_REFS = 1 << 3, /* Py_TRACE_REFS: objects carry _ob_next */
};

struct pyproc_options {
	int layout_source;	       /* LS_NONE = auto, else forced */
	const char *const *debug_dirs; /* NULL: default /usr/lib/debug */
	int no_cache;		       /* don't read or write the layout cache */
	const char *cache_dir;	       /* NULL: $XDG_CACHE_HOME/heapscope */
};

struct pyproc {
	struct target *t;
	pid_t pid;
	char exe[PATH_MAX];	   /* /proc/PID/exe */
	char module[PATH_MAX];	   /* file holding _PyRuntime */
	char libpython[PATH_MAX];  /* "" for a static build */
	char debug_file[PATH_MAX]; /* DWARF used, "" if none */
	char build_id[64];	   /* of module, "" if none */
	uint64_t load_bias;	   /* of module */
	unsigned build;		   /* enum pyproc_build */
	int major, minor, micro;
	int free_threaded;     /* a free-threaded build (3.13t+) */
	uint64_t managed_dict; /* 3.11+: the managed dict pointer is this
				* far before the object (24; 8 when
				* free-threaded: no GC head) */
	uint32_t version_hex;  /* PY_VERSION_HEX, 0 if only x.y.z */
	char version[32];      /* "3.11.7" */
	uint64_t runtime;      /* &_PyRuntime in the target */
	uint64_t interp;       /* main interpreter */
	uint64_t type_type;    /* &PyType_Type */
	uint64_t code_type;    /* &PyCode_Type, 0 if not found */
	uint64_t bytes_type;   /* &PyBytes_Type, 0 if not found */
	uint64_t unicode_type; /* &PyUnicode_Type, 0 if not found */
	uint64_t object_type;  /* &PyBaseObject_Type, 0 if not found */
	int layout_cached;     /* DWARF part came from the cache */
	int layout_patched;    /* the table was corrected for this patch
				* release (layout_patches_checked) */
	struct layout layout;
	const char *const *debug_dirs; /* from the options; NULL: default */
	char cache_dir[PATH_MAX];      /* the layout cache's, "" if none */
	char warning[256];	       /* non-fatal note for the user, or "" */
};

/* Find the interpreter in an attached target.  Errors: HS_ENOTPYTHON
 * (no _PyRuntime anywhere), HS_EUNSUPPORTED (version outside 3.8-3.14,
 * a free-threaded debug build, Py_TRACE_REFS without
 * DWARF), HS_ELAYOUT (forced source unavailable, or the layout does not
 * fit the target), HS_EGONE, HS_EREAD. */
int pyproc_open(struct pyproc *p, struct target *t, const struct pyproc_options *opt,
		struct hs_error *err);
void pyproc_release(struct pyproc *p);

/* Iterate interpreters / thread states (bounded; -1 and err on a bad
 * pointer).  *next is 0 at the end. */
int pyproc_first_interp(struct pyproc *p, uint64_t *interp, struct hs_error *err);
int pyproc_next_interp(struct pyproc *p, uint64_t interp, uint64_t *next, struct hs_error *err);
int pyproc_first_tstate(struct pyproc *p, uint64_t interp, uint64_t *tstate, struct hs_error *err);
int pyproc_next_tstate(struct pyproc *p, uint64_t tstate, uint64_t *next, struct hs_error *err);

/* Read a field of the layout at base: word-sized helpers. */
int pyproc_read_ptr(struct pyproc *p, uint64_t base, enum layout_field f, uint64_t *v,
		    struct hs_error *err);

/* The directories separate debug files are looked for in. */
const char *const *pyproc_debug_dirs(const struct pyproc *p);

struct elf_file;
/* Open a file of the target (a path from its mappings) under its root. */
int pyproc_open_elf(struct pyproc *p, const char *path, struct elf_file **out,
		    struct hs_error *err);
/* The addresses in the target of n symbols of the interpreter's module,
 * static ones included (from the debug file of a stripped build, which
 * is opened once): 0, or -1 if one is not found. */
int pyproc_static_symbols(struct pyproc *p, const char *const *names, uint64_t *addrs, size_t n);

#define PYPROC_MAX_INTERPS 256
#define PYPROC_MAX_THREADS 65536

#endif
