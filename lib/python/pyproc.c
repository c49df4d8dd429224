#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "layout/layout_debugoffsets.h"
#include "layout/layout_dwarf.h"
#include "layout/elf_file.h"
#include "layout/layout_cache.h"
#include "target/maps.h"
#include "target/proc.h"
#include "pyproc.h"

#define MIN_MINOR 8
#define MAX_MINOR 14

static const char *const default_debug_dirs[] = { "/usr/lib/debug", NULL };

/* Open a file of the target under its root (/proc/PID/root, so that a
 * target in a container is read from its own filesystem; a core's
 * --sysroot); for a live target fall back to our own. */
static int open_target_file(struct pyproc *p, const char *path, struct elf_file **out,
			    struct hs_error *err)
{
	char buf[PATH_MAX + 4096], root[4096];
	struct hs_error e2 = HS_ERROR_INIT;

	snprintf(buf, sizeof(buf), "%s%s", target_root(p->t, root, sizeof(root)), path);
	if (p->t->proc)
		return target_file_check(p->t, path, err) ? -1 : elf_file_open(out, buf, err);
	if (!elf_file_open(out, buf, &e2))
		return 0;
	return elf_file_open(out, path, err);
}

static int is_libpython(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libpython", 9) && strstr(base, ".so");
}

/* "libpython3.11.so.1.0" -> 3, 11; "libpython2.7.so" -> 2, 7. */
static int version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	int ma, mi;

	base = base ? base + 1 : path;
	if (sscanf(base, "libpython%d.%d", &ma, &mi) == 2 ||
	    sscanf(base, "python%d.%d", &ma, &mi) == 2) {
		*major = ma;
		*minor = mi;
		return 0;
	}
	return -1;
}

/*
 * Find PY_VERSION ("3.9.18") in .rodata: digits.digits.digits with an
 * optional pre-release or "+" suffix, ending a NUL-terminated string and
 * not preceded by a digit or a dot.  The literal may be tail-merged into a
 * longer string (".../versions/3.8.18"), so any such string end counts.
 * When the minor version is known (from the library name) it must agree.
 */
static int version_from_rodata(struct elf_file *f, int want_minor, int *major, int *minor,
			       int *micro)
{
	const unsigned char *d;
	size_t n, i, j;

	if (elf_file_section_data(f, ".rodata", &d, &n))
		return -1;
	for (i = 1; i + 5 < n; i++) {
		char s[24];
		int ma, mi, mc, k = 0;

		if ((d[i] != '2' && d[i] != '3') || d[i + 1] != '.' || isdigit(d[i - 1]) ||
		    d[i - 1] == '.')
			continue;
		for (j = i; j < n && j - i < sizeof(s) - 1 && d[j]; j++)
			s[j - i] = (char)d[j];
		if (j >= n || d[j])
			continue; /* too long, or not at a string end */
		s[j - i] = '\0';
		if (sscanf(s, "%d.%d.%d%n", &ma, &mi, &mc, &k) == 3 && mi >= 0 && mi < 100 &&
		    mc >= 0 && mc < 100 &&
		    (s[k] == '\0' || s[k] == '+' || isalpha((unsigned char)s[k])) &&
		    (want_minor < 0 || mi == want_minor)) {
			*major = ma;
			*minor = mi;
			*micro = mc;
			return 0;
		}
	}
	return -1;
}

static int symbol_addr(struct pyproc *p, struct elf_file *f, const char *name, uint64_t *addr)
{
	uint64_t v, sz;

	if (elf_file_symbol(f, name, &v, &sz))
		return -1;
	*addr = p->load_bias + v;
	return 0;
}

static int unsupported(struct hs_error *err, int major, int minor, int micro)
{
	char v[32];

	if (micro >= 0)
		snprintf(v, sizeof(v), "%d.%d.%d", major, minor, micro);
	else
		snprintf(v, sizeof(v), "%d.%d", major, minor);
	hs_error_set(err, HS_EUNSUPPORTED,
		     "Python %s is not supported (heapscope reads CPython 3.%d to 3.%d)", v,
		     MIN_MINOR, MAX_MINOR);
	/* ahead of us is not the user's to fix */
	if (major > 3 || (major == 3 && minor > MAX_MINOR))
		hs_error_hint(err,
			      "Python %s is newer than this heapscope: a later heapscope "
			      "may read it",
			      v);
	else
		hs_error_hint(err, "upgrade the target's Python, or use a tool made for %s", v);
	return -1;
}

/* Locate the module holding _PyRuntime; tell "not Python" from "a Python
 * we do not read" when there is none. */
static int find_module(struct pyproc *p, const struct maps *m, struct elf_file **out,
		       struct hs_error *err)
{
	const char *cands[64];
	size_t i, j, nc = 0;
	uint64_t v, sz;
	int major = -1, minor = -1, micro = -1, opened = 0;
	char comm[64] = "?";
	struct hs_error first = HS_ERROR_INIT;

	/* libpython first: with --enable-shared the executable holds none */
	for (i = 0; i < m->n && nc < 63; i++) {
		if (m->v[i].offset || !is_libpython(m->v[i].path))
			continue;
		for (j = 0; j < nc; j++)
			if (!strcmp(cands[j], m->v[i].path))
				break;
		if (j == nc)
			cands[nc++] = m->v[i].path;
	}
	cands[nc++] = p->exe;

	for (i = 0; i < nc; i++) {
		struct elf_file *ef;
		struct hs_error e2 = HS_ERROR_INIT;

		if (open_target_file(p, cands[i], &ef, &e2)) {
			if (first.code == HS_OK)
				first = e2;
			continue;
		}
		opened++;
		if (!elf_file_symbol(ef, "_PyRuntime", &v, &sz)) {
			snprintf(p->module, sizeof(p->module), "%s", cands[i]);
			*out = ef;
			return 0;
		}
		/* A Python without _PyRuntime: 2.x or 3.6 and older. */
		if (major < 0 && (!elf_file_symbol(ef, "Py_Initialize", &v, &sz) ||
				  !elf_file_symbol(ef, "Py_GetVersion", &v, &sz))) {
			if (version_from_name(cands[i], &major, &minor))
				major = minor = -1;
			if (version_from_rodata(ef, minor, &major, &minor, &micro))
				micro = -1;
			if (major < 0)
				major = 0;
		}
		elf_file_free(ef);
	}
	/* a core whose files could not be opened (missing, another build):
	 * why, rather than "not Python" */
	if (!opened && first.code != HS_OK && p->t->proc) {
		*err = first;
		return -1;
	}
	if (major >= 0) {
		if (major == 0)
			return hs_error_set(err, HS_EUNSUPPORTED,
					    "process %d runs a Python heapscope cannot read "
					    "(no _PyRuntime: 3.6 or older)",
					    (int)p->pid);
		return unsupported(err, major, minor, micro);
	}
	target_thread_name(p->t, p->pid, comm, sizeof(comm));
	if (!comm[0])
		strcpy(comm, "?");
	hs_error_set(err, HS_ENOTPYTHON,
		     "process %d (%s) is not a Python process: no libpython and no "
		     "_PyRuntime in %s",
		     (int)p->pid, comm, p->exe);
	hs_error_hint(err, "give the pid of the python process itself, not of a shell or wrapper");
	return -1;
}

static int find_version(struct pyproc *p, struct elf_file *f, const struct debug_offsets *dbg,
			int have_dbg, struct hs_error *err)
{
	uint64_t addr;
	uint32_t hex;
	int ma = -1, mi = -1, mc = -1;

	if (!symbol_addr(p, f, "Py_Version", &addr) && !target_read_u32(p->t, addr, &hex, NULL) &&
	    (hex >> 24) == 3) {
		p->version_hex = hex;
	} else if (have_dbg) {
		p->version_hex = (uint32_t)dbg->version;
	}
	if (p->version_hex) {
		ma = p->version_hex >> 24;
		mi = (p->version_hex >> 16) & 0xff;
		mc = (p->version_hex >> 8) & 0xff;
	} else {
		if (version_from_name(p->module, &ma, &mi))
			ma = mi = -1;
		if (version_from_rodata(f, mi, &ma, &mi, &mc))
			mc = -1;
	}
	if (ma < 0)
		return hs_error_set(err, HS_ENOTPYTHON, "cannot tell the Python version of %s",
				    p->module);
	p->major = ma;
	p->minor = mi;
	p->micro = mc;
	if (mc >= 0)
		snprintf(p->version, sizeof(p->version), "%d.%d.%d", ma, mi, mc);
	else
		snprintf(p->version, sizeof(p->version), "%d.%d", ma, mi);
	if (ma != 3 || mi < MIN_MINOR || mi > MAX_MINOR)
		return unsupported(err, ma, mi, mc);
	return 0;
}

static const char *cache_dir(const struct pyproc_options *opt, char *buf, size_t len)
{
	if (opt->cache_dir)
		return opt->cache_dir;
	return layout_cache_dir(buf, len);
}

/* DWARF of the module: in the file itself or in a separate debug file. */
static int find_dwarf(struct pyproc *p, struct elf_file *f, const struct pyproc_options *opt,
		      char *path, size_t len)
{
	const char *const *dirs = opt->debug_dirs ? opt->debug_dirs : default_debug_dirs;
	char root[4096];

	if (elf_file_has_dwarf(f)) {
		snprintf(path, len, "%s", elf_file_path(f));
		return 0;
	}
	return elf_find_debug_file(f, target_root(p->t, root, sizeof(root)), dirs, path, len);
}

/* Name a file as the target sees it: without our /proc/PID/root prefix. */
static void set_debug_file(struct pyproc *p, const char *path)
{
	char root[4096];
	size_t n = strlen(target_root(p->t, root, sizeof(root)));

	if (n && !strncmp(path, root, n) && path[n] == '/')
		path += n;
	snprintf(p->debug_file, sizeof(p->debug_file), "%s", path);
}

static int fill_dwarf(struct pyproc *p, struct elf_file *f, const struct pyproc_options *opt,
		      int64_t *v, struct hs_error *err)
{
	char path[PATH_MAX], cdir[PATH_MAX];
	const char *dir = NULL;

	if (!opt->no_cache && p->build_id[0]) {
		dir = cache_dir(opt, cdir, sizeof(cdir));
		if (dir && !layout_cache_load(dir, p->build_id, v)) {
			p->layout_cached = 1;
			/* still name the file the values came from */
			if (!find_dwarf(p, f, opt, path, sizeof(path)))
				set_debug_file(p, path);
			return 0;
		}
	}
	if (find_dwarf(p, f, opt, path, sizeof(path)))
		return hs_error_set(err, HS_ELAYOUT, "no DWARF debug information for %s",
				    p->module);
	if (layout_dwarf_fill(path, v, err) < 0)
		return -1;
	set_debug_file(p, path);
	if (dir) {
		struct hs_error e2 = HS_ERROR_INIT;

		/* a cache we cannot write only costs time next run */
		layout_cache_store(dir, p->build_id, v, &e2);
	}
	return 0;
}

static int no_layout(struct pyproc *p, struct hs_error *err, const char *what)
{
	hs_error_set(err, HS_ELAYOUT, "%s", what);
	if (p->build & PYBUILD_STRIPPED)
		hs_error_hint(err,
			      "install the interpreter's debug symbols (Debian: "
			      "apt-get install python3.%d-dbg) or try --layout=auto",
			      p->minor);
	else
		hs_error_hint(err, "try --layout=auto");
	return -1;
}

/*
 * Where DWARF or a table and _Py_DebugOffsets both give a field they must
 * agree.  DWARF that differs is misread, which the user should hear
 * about rather than have hidden.  A table that differs was made for
 * another patch release: what it gives alone may be wrong too, which
 * the checks at attach (find_static_types) decide; *mismatch names the
 * first such field.
 */
static void check_agree(struct pyproc *p, const int64_t *dbg, char *mismatch, size_t len)
{
	int i, warned = 0;

	for (i = 0; i < LF_COUNT; i++) {
		if (dbg[i] < 0 || p->layout.v[i] < 0 || p->layout.v[i] == dbg[i])
			continue;
		if (p->layout.src[i] == LS_DWARF && !warned++)
			snprintf(p->warning, sizeof(p->warning),
				 "DWARF and _Py_DebugOffsets disagree on %s (%lld vs %lld); "
				 "using _Py_DebugOffsets",
				 layout_field_info[i].name, (long long)p->layout.v[i],
				 (long long)dbg[i]);
		if (p->layout.src[i] == LS_TABLE && !mismatch[0])
			snprintf(mismatch, len, "%s is %lld, the table for %d.%d says %lld",
				 layout_field_info[i].name, (long long)dbg[i], p->major, p->minor,
				 (long long)p->layout.v[i]);
	}
}

static int fill_layout(struct pyproc *p, struct elf_file *f, const struct pyproc_options *opt,
		       const struct debug_offsets *dbg, int have_dbg, char *mismatch, size_t mlen,
		       struct hs_error *err)
{
	const struct layout_table *tab = layout_table_find(p->major, p->minor, p->free_threaded);
	int src = opt->layout_source;
	int64_t *v, *tv;
	int ret = -1;

	layout_init(&p->layout, p->major, p->minor);
	v = malloc(sizeof(int64_t) * LF_COUNT * 2);
	if (!v)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	tv = v + LF_COUNT;
	if (tab)
		p->layout_patched = layout_table_values(tab, p->micro, tv) > 0;

	switch (src) {
	case LS_TABLE:
		if (!tab) {
			no_layout(p, err, "no built-in layout table for this version");
			goto out;
		}
		layout_overlay(&p->layout, tv, LS_TABLE);
		break;
	case LS_DWARF:
		if (fill_dwarf(p, f, opt, v, err)) {
			no_layout(p, err, err->msg);
			goto out;
		}
		layout_overlay(&p->layout, v, LS_DWARF);
		break;
	case LS_DEBUG_OFFSETS:
		if (!have_dbg) {
			hs_error_set(err, HS_ELAYOUT,
				     "Python %s has no _Py_DebugOffsets (3.13 and later only)",
				     p->version);
			hs_error_hint(err, "use --layout=auto, dwarf or table");
			goto out;
		}
		/* what the debug offsets do not cover comes from the table */
		if (tab)
			layout_overlay(&p->layout, tv, LS_TABLE);
		check_agree(p, dbg->v, mismatch, mlen);
		layout_overlay(&p->layout, dbg->v, LS_DEBUG_OFFSETS);
		break;
	default: {
		struct hs_error e2 = HS_ERROR_INIT;

		if (tab)
			layout_overlay(&p->layout, tv, LS_TABLE);
		if (!fill_dwarf(p, f, opt, v, &e2))
			layout_overlay(&p->layout, v, LS_DWARF);
		else if (!tab && !have_dbg) {
			no_layout(p, err,
				  "no layout for this interpreter: no DWARF and "
				  "no built-in table");
			goto out;
		}
		if (have_dbg) {
			check_agree(p, dbg->v, mismatch, mlen);
			layout_overlay(&p->layout, dbg->v, LS_DEBUG_OFFSETS);
		}
		break;
	}
	}
	/* the free-threaded fields of a GIL build's structures (its
	 * mimalloc, its thread states) are not used: not "known" either */
	if (!p->free_threaded) {
		int i;

		for (i = 0; i < LF_COUNT; i++)
			if (layout_field_info[i].group == LG_FT) {
				p->layout.v[i] = -1;
				p->layout.src[i] = LS_NONE;
			}
	}
	ret = 0;
out:
	free(v);
	return ret;
}

int pyproc_read_ptr(struct pyproc *p, uint64_t base, enum layout_field fld, uint64_t *v,
		    struct hs_error *err)
{
	int64_t off = p->layout.v[fld];

	if (off < 0)
		return hs_error_set(err, HS_ELAYOUT, "field %s is unknown for Python %s",
				    layout_field_info[fld].name, p->version);
	return target_read_u64(p->t, base + (uint64_t)off, v, err);
}

int pyproc_first_interp(struct pyproc *p, uint64_t *interp, struct hs_error *err)
{
	return pyproc_read_ptr(p, p->runtime, LF_runtime_interpreters_head, interp, err);
}

int pyproc_next_interp(struct pyproc *p, uint64_t interp, uint64_t *next, struct hs_error *err)
{
	return pyproc_read_ptr(p, interp, LF_interp_next, next, err);
}

int pyproc_first_tstate(struct pyproc *p, uint64_t interp, uint64_t *tstate, struct hs_error *err)
{
	return pyproc_read_ptr(p, interp, LF_interp_threads_head, tstate, err);
}

int pyproc_next_tstate(struct pyproc *p, uint64_t tstate, uint64_t *next, struct hs_error *err)
{
	return pyproc_read_ptr(p, tstate, LF_tstate_next, next, err);
}

/*
 * Check the layout against the target: PyType_Type is its own type and
 * is named "type", the main interpreter's first thread state points back
 * to it.  A table that does not fit (a patched or unusual build) is caught
 * here rather than producing garbage later.
 */
static int validate(struct pyproc *p, struct hs_error *err)
{
	struct layout *l = &p->layout;
	uint64_t ty, name, ts, back, main_interp = 0;
	char buf[16];

	if (!LAY_HAS(l, object_type) || !LAY_HAS(l, type_name) ||
	    !LAY_HAS(l, runtime_interpreters_head) || !LAY_HAS(l, interp_threads_head) ||
	    !LAY_HAS(l, tstate_interp) || !LAY_HAS(l, tstate_next))
		return no_layout(p, err,
				 "the layout lacks the fields needed to find "
				 "the interpreter");
	if (p->type_type) {
		if (target_read_u64(p->t, p->type_type + LAY(l, object_type), &ty, err) ||
		    target_read_u64(p->t, p->type_type + LAY(l, type_name), &name, err))
			return -1;
		if (ty != p->type_type ||
		    target_read_cstr(p->t, name, buf, sizeof(buf), NULL) < 0 || strcmp(buf, "type"))
			return no_layout(p, err,
					 "the object layout does not fit this "
					 "interpreter (PyType_Type check failed)");
	}
	if (pyproc_first_interp(p, &p->interp, err))
		return -1;
	if (!p->interp) {
		hs_error_set(err, HS_ENOTPYTHON,
			     "the Python interpreter in process %d is not initialized "
			     "(starting up or shutting down)",
			     (int)p->pid);
		hs_error_hint(err, "try again in a moment");
		return -1;
	}
	if (pyproc_first_tstate(p, p->interp, &ts, err))
		return -1;
	if (ts) {
		if (pyproc_read_ptr(p, ts, LF_tstate_interp, &back, err))
			return -1;
		if (back != p->interp)
			return no_layout(p, err,
					 "the interpreter layout does not fit this "
					 "build (thread state does not point back to its "
					 "interpreter)");
	}
	/* the list's head is the newest interpreter: with subinterpreters,
	 * the main one is _PyRuntime.interpreters.main */
	if (LAY_HAS(l, runtime_interpreters_main) &&
	    !pyproc_read_ptr(p, p->runtime, LF_runtime_interpreters_main, &main_interp, NULL) &&
	    main_interp)
		p->interp = main_interp;
	return 0;
}

#define MAX_STATIC_INDEX 256 /* managed static types in one interpreter */
#define SCAN_CHUNK 65536

/* 1 if the static type state array at interp+off holds type's entry at
 * its index (tp_subclasses - 1). */
static int static_entry_at(struct pyproc *p, uint64_t off, uint64_t type, uint64_t idx)
{
	const struct layout *l = &p->layout;
	uint64_t v;

	return !target_read_u64(
		       p->t, p->interp + off + (idx - 1) * (uint64_t)LAY(l, static_type_state_size),
		       &v, NULL) &&
	       v == type;
}

/*
 * 3.12+: static builtin types keep their dict in the interpreter, in an
 * array of managed_static_type_state indexed by tp_subclasses - 1.  Its
 * place moved between patch releases of 3.14: the layout's is checked
 * against object's and type's own entries, and if they are not there
 * the interpreter is searched for the place where they are (the same
 * shift then applies to the extensions' array after it).  0 when found,
 * -1 when not (the fields are then unknown).
 */
static int find_static_types(struct pyproc *p)
{
	struct layout *l = &p->layout;
	uint64_t io = 0, it = 0, stride, off, size, buf[SCAN_CHUNK / 8];
	int64_t old = LAY(l, interp_types_builtins);

	if (p->minor < 12)
		return 0;
	if (!p->object_type || !LAY_HAS(l, static_type_state_size) ||
	    !LAY_HAS(l, type_subclasses) || !LAY_HAS(l, interp_size) ||
	    target_read_u64(p->t, p->object_type + LAY(l, type_subclasses), &io, NULL) ||
	    target_read_u64(p->t, p->type_type + LAY(l, type_subclasses), &it, NULL) || io < 1 ||
	    io > MAX_STATIC_INDEX || it < 1 || it > MAX_STATIC_INDEX)
		goto none;
	if (old >= 0 && static_entry_at(p, (uint64_t)old, p->object_type, io) &&
	    static_entry_at(p, (uint64_t)old, p->type_type, it))
		return 0;
	stride = (uint64_t)LAY(l, static_type_state_size);
	size = (uint64_t)LAY(l, interp_size);
	if (size > (16u << 20) || stride < 8 || stride > 1024)
		goto none;
	/* object's entry at off + (io - 1) * stride: read the interpreter a
	 * chunk at a time and test each place */
	for (off = 0; off < size; off += SCAN_CHUNK) {
		uint64_t n = size - off < SCAN_CHUNK ? size - off : SCAN_CHUNK, k;

		if (target_read(p->t, p->interp + off, buf, (size_t)n & ~7ull, NULL))
			continue;
		for (k = 0; k < n / 8; k++) {
			uint64_t at = off + 8 * k;

			if (buf[k] != p->object_type || at < (io - 1) * stride)
				continue;
			at -= (io - 1) * stride;
			if (!static_entry_at(p, at, p->type_type, it))
				continue;
			l->v[LF_interp_types_builtins] = (int64_t)at;
			if (LAY_HAS(l, interp_types_for_extensions) && old >= 0)
				l->v[LF_interp_types_for_extensions] += (int64_t)at - old;
			return 0;
		}
	}
none:
	l->v[LF_interp_types_builtins] = -1;
	l->v[LF_interp_types_for_extensions] = -1;
	return -1;
}

int pyproc_open(struct pyproc *p, struct target *t, const struct pyproc_options *opt,
		struct hs_error *err)
{
	static const struct pyproc_options defaults;
	struct debug_offsets *dbg = NULL;
	struct elf_file *f = NULL;
	struct maps m;
	uint64_t v, sz, base;
	int have_dbg = 0, ret = -1;
	char mismatch[160] = "";

	if (!opt)
		opt = &defaults;
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->pid = t->pid;
	p->debug_dirs = opt->debug_dirs;
	if (!opt->no_cache) {
		char cdir[PATH_MAX];
		const char *dir = cache_dir(opt, cdir, sizeof(cdir));

		if (dir)
			snprintf(p->cache_dir, sizeof(p->cache_dir), "%s", dir);
	}

	if (target_exe(t, p->exe, sizeof(p->exe), err))
		return -1;
	if (target_maps(t, &m, err))
		return -1;
	if (find_module(p, &m, &f, err))
		goto out_maps;
	if (strcmp(p->module, p->exe)) {
		p->build |= PYBUILD_SHARED;
		snprintf(p->libpython, sizeof(p->libpython), "%s", p->module);
	}
	base = maps_file_base(&m, p->module);
	if (!base) {
		hs_error_set(err, HS_ENOTPYTHON, "%s is not mapped in process %d", p->module,
			     (int)p->pid);
		goto out_elf;
	}
	p->load_bias = base - elf_file_load_vaddr(f);
	elf_file_symbol(f, "_PyRuntime", &v, &sz);
	p->runtime = p->load_bias + v;
	if (symbol_addr(p, f, "PyType_Type", &p->type_type))
		p->type_type = 0;
	if (symbol_addr(p, f, "PyCode_Type", &p->code_type))
		p->code_type = 0;
	if (symbol_addr(p, f, "PyBytes_Type", &p->bytes_type))
		p->bytes_type = 0;
	if (symbol_addr(p, f, "PyUnicode_Type", &p->unicode_type))
		p->unicode_type = 0;
	if (symbol_addr(p, f, "PyBaseObject_Type", &p->object_type))
		p->object_type = 0;
	if (elf_file_build_id(f, p->build_id, sizeof(p->build_id)))
		p->build_id[0] = '\0';
	if (!elf_file_has_symtab(f))
		p->build |= PYBUILD_STRIPPED;
	if (!elf_file_symbol(f, "_Py_NegativeRefcount", &v, &sz) ||
	    !elf_file_symbol(f, "_Py_RefTotal", &v, &sz))
		p->build |= PYBUILD_DEBUG;
	if (!elf_file_symbol(f, "_Py_PrintReferences", &v, &sz))
		p->build |= PYBUILD_TRACE_REFS;

	dbg = malloc(sizeof(*dbg));
	if (!dbg) {
		hs_error_set(err, HS_ENOMEM, "out of memory");
		goto out_elf;
	}
	have_dbg = layout_debugoffsets_read(t, p->runtime, dbg, err);
	if (have_dbg < 0)
		goto out_dbg;
	if (find_version(p, f, dbg, have_dbg, err))
		goto out_dbg;
	p->free_threaded = have_dbg && dbg->free_threaded;
	p->managed_dict = p->free_threaded ? 8 : 24;
	/* a debug build's mimalloc encodes its free lists: not read here */
	if (p->free_threaded && (p->build & PYBUILD_DEBUG)) {
		hs_error_set(err, HS_EUNSUPPORTED,
			     "free-threaded debug builds (Python %s with Py_DEBUG) are not "
			     "supported",
			     p->version);
		goto out_dbg;
	}
	if (fill_layout(p, f, opt, dbg, have_dbg, mismatch, sizeof(mismatch), err))
		goto out_dbg;
	if (LAY_HAS(&p->layout, object_ob_next) || (p->build & PYBUILD_TRACE_REFS)) {
		p->build |= PYBUILD_TRACE_REFS;
		if (p->layout.src[LF_object_type] != LS_DWARF) {
			hs_error_set(err, HS_EUNSUPPORTED,
				     "Python %s built with Py_TRACE_REFS needs its DWARF "
				     "debug information",
				     p->version);
			goto out_dbg;
		}
	}
	if (validate(p, err))
		goto out_dbg;
	/* a table made for another patch release: refuse rather than walk
	 * with offsets that _Py_DebugOffsets just showed to be wrong */
	if (find_static_types(p) && mismatch[0]) {
		hs_error_set(err, HS_EUNSUPPORTED,
			     "the layout of Python %s differs from "
			     "heapscope's (%s) and its static types cannot be found",
			     p->version, mismatch);
		hs_error_hint(err, "install the interpreter's debug symbols so that heapscope "
				   "reads its layout from DWARF");
		goto out_dbg;
	}
	ret = 0;
out_dbg:
	free(dbg);
out_elf:
	elf_file_free(f);
out_maps:
	maps_release(&m);
	/* its mappings and memory gone: not "not Python"; a core cut short
	 * or without its files: said so */
	if (ret) {
		target_blame_exit(t, err);
		target_core_explain(t, err);
	}
	return ret;
}

const char *const *pyproc_debug_dirs(const struct pyproc *p)
{
	return p->debug_dirs ? p->debug_dirs : default_debug_dirs;
}

int pyproc_open_elf(struct pyproc *p, const char *path, struct elf_file **out, struct hs_error *err)
{
	return open_target_file(p, path, out, err);
}

/* name in f or in d (its debug file, opened on first need), as linked
 * or renamed by link-time optimization (Debian's build: arenas.lto_priv.0) */
static int lookup_static(struct pyproc *p, struct elf_file *f, struct elf_file **d,
			 const char *name, uint64_t *v)
{
	static const char *const suffixes[] = { "", ".lto_priv.0", ".lto_priv.1", ".0" };
	const char *const *dirs = pyproc_debug_dirs(p);
	struct hs_error err = HS_ERROR_INIT;
	char sym[256], path[PATH_MAX], root[4096];
	uint64_t sz;
	size_t i;

	if (!elf_file_has_symtab(f) && !*d &&
	    (elf_find_debug_file(f, target_root(p->t, root, sizeof(root)), dirs, path,
				 sizeof(path)) ||
	     elf_file_open(d, path, &err)))
		return -1;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(sym, sizeof(sym), "%s%s", name, suffixes[i]);
		if (!elf_file_symbol(*d ? *d : f, sym, v, &sz))
			return 0;
	}
	return -1;
}

int pyproc_static_symbols(struct pyproc *p, const char *const *names, uint64_t *addrs, size_t n)
{
	struct hs_error err = HS_ERROR_INIT;
	struct elf_file *f, *d = NULL;
	uint64_t v;
	size_t i;
	int ret = 0;

	if (open_target_file(p, p->module, &f, &err))
		return -1;
	for (i = 0; i < n && !ret; i++) {
		ret = lookup_static(p, f, &d, names[i], &v);
		addrs[i] = p->load_bias + v;
	}
	elf_file_free(d);
	elf_file_free(f);
	return ret;
}

void pyproc_release(struct pyproc *p)
{
	(void)p;
}
