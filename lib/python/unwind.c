/*
 * unwind.c - native stacks, merged with Python's.
 *
 * The frozen target is unwound through the target interface
 * (unwind_target.c): its threads' registers and memory, and the unwind
 * tables of the files it maps.  Each frame of the eval loop stands for
 * the Python frames it runs: in 3.8-3.10 one, from 3.11 every frame up
 * to the one its C call entered (stack_frame.entry).
 */
#include "config.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layout/elf_file.h"
#include "target/maps.h"
#include "unwind.h"
#include "unwind_target.h"

#define MAX_NATIVE 512
#define MAX_MODULES 128
#define EVAL_LOOP "_PyEval_EvalFrameDefault"

static const char *const default_debug_dirs[] = { "/usr/lib/debug", NULL };

struct native {
	uint64_t pc, off;
	char name[256];
	const char *file;
};

/* A mapped file with its symbols, opened once per unwind_merge call. */
struct module {
	const char *path;     /* as /proc/PID/maps names it */
	struct elf_file *elf; /* NULL if it could not be opened */
	struct elf_file *dbg; /* separate debug file (full .symtab), or NULL */
	uint64_t bias;
};

struct symbolizer {
	struct pyproc *p;
	const struct maps *m;
	struct module mods[MAX_MODULES];
	int n;
};

static struct module *module_for(struct symbolizer *sz, const char *path)
{
	struct hs_error e = HS_ERROR_INIT;
	char buf[PATH_MAX + 4096], dbg[PATH_MAX], root[4096];
	struct module *mod;
	int i;

	for (i = 0; i < sz->n; i++)
		if (!strcmp(sz->mods[i].path, path))
			return &sz->mods[i];
	if (sz->n == MAX_MODULES)
		return NULL;
	mod = &sz->mods[sz->n++];
	memset(mod, 0, sizeof(*mod));
	mod->path = path;
	snprintf(buf, sizeof(buf), "%s%s", target_root(sz->p->t, root, sizeof(root)), path);
	if (target_file_check(sz->p->t, path, &e) || elf_file_open(&mod->elf, buf, &e))
		return mod;
	mod->bias = maps_file_base(sz->m, path) - elf_file_load_vaddr(mod->elf);
	/* stripped files name only exported functions; their debug file
	 * (found by build-id, e.g. python3.11-dbg's) names them all */
	if (!elf_file_has_symtab(mod->elf) &&
	    !elf_find_debug_file(mod->elf, "",
				 sz->p->debug_dirs ? sz->p->debug_dirs : default_debug_dirs, dbg,
				 sizeof(dbg)))
		elf_file_open(&mod->dbg, dbg, &e);
	return mod;
}

/* Name the function holding pc: callers' pcs are return addresses, so
 * look one byte back for them. */
static void symbolize(struct symbolizer *sz, struct native *nv, int caller)
{
	const struct map_entry *e = maps_find(sz->m, nv->pc);
	uint64_t at = nv->pc - (caller ? 1 : 0), off;
	struct module *mod;

	strcpy(nv->name, "??");
	nv->off = 0;
	nv->file = e && e->path[0] ? e->path : "??";
	if (!e || e->path[0] != '/' || !(mod = module_for(sz, e->path)) || !mod->elf)
		return;
	if ((mod->dbg &&
	     !elf_file_symbol_at(mod->dbg, at - mod->bias, nv->name, sizeof(nv->name), &off)) ||
	    !elf_file_symbol_at(mod->elf, at - mod->bias, nv->name, sizeof(nv->name), &off))
		nv->off = off + (caller ? 1 : 0);
}

static int is_eval_loop(const char *name)
{
	/* LTO builds may split off parts: "_PyEval_EvalFrameDefault.cold" */
	return !strncmp(name, EVAL_LOOP, sizeof(EVAL_LOOP) - 1) &&
	       (!name[sizeof(EVAL_LOOP) - 1] || name[sizeof(EVAL_LOOP) - 1] == '.');
}

static void set_native(struct stack_frame *f, const struct native *nv)
{
	memset(f, 0, sizeof(*f));
	f->kind = FRAME_NATIVE;
	f->line = -1;
	f->addr = nv->pc;
	f->offset = nv->off;
	snprintf(f->function, sizeof(f->function), "%s", nv->name);
	snprintf(f->file, sizeof(f->file), "%s", nv->file);
}

/* Merge th's Python frames with n native frames into a new array. */
static int merge(struct stack_thread *th, const struct native *nv, int n)
{
	struct stack_frame *out;
	size_t k = 0, py = 0, total = th->nframes + (size_t)n;
	int i, evals = 0;

	out = calloc(total ? total : 1, sizeof(*out));
	if (!out)
		return -1;
	for (i = 0; i < n; i++)
		evals += is_eval_loop(nv[i].name);
	if (!evals && th->nframes) {
		/* without the eval loop's symbol nothing tells where the
		 * Python frames go: show them first, then the native ones */
		memcpy(out, th->frames, th->nframes * sizeof(*out));
		k = th->nframes;
		for (i = 0; i < n; i++)
			set_native(&out[k++], &nv[i]);
		snprintf(th->warning, sizeof(th->warning),
			 "native frames could not be "
			 "matched with Python frames: no symbol for the eval loop");
	} else {
		for (i = 0; i < n; i++) {
			if (!is_eval_loop(nv[i].name)) {
				set_native(&out[k++], &nv[i]);
				continue;
			}
			/* this C call runs Python frames down to its entry frame */
			while (py < th->nframes) {
				out[k++] = th->frames[py];
				if (th->frames[py++].entry)
					break;
			}
		}
		while (py < th->nframes)
			out[k++] = th->frames[py++];
	}
	free(th->frames);
	th->frames = out;
	th->nframes = k;
	return 0;
}

struct native_stacks {
	size_t nthreads;
	int *n;		  /* frames per thread, -1: could not unwind */
	struct native *v; /* MAX_NATIVE per thread */
};

void unwind_free(struct native_stacks *ns)
{
	if (!ns)
		return;
	free(ns->n);
	free(ns->v);
	free(ns);
}

int unwind_read(struct pyproc *p, const struct stacks *s, struct native_stacks **out,
		struct hs_error *err)
{
	struct unwind_target *u = NULL;
	struct native_stacks *ns;
	char root[4096];
	struct maps m;
	int have_maps;
	size_t i;

	*out = NULL;
	if (!p->t->frozen)
		return hs_error_set(err, HS_EINTERNAL, "native stacks need a frozen target");
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	ns->nthreads = s->nthreads;
	ns->n = calloc(s->nthreads ? s->nthreads : 1, sizeof(*ns->n));
	ns->v = calloc(s->nthreads ? s->nthreads * MAX_NATIVE : 1, sizeof(*ns->v));
	/* a process whose mappings cannot be read (it is exiting) has no
	 * thread unwound; unwind_merge, which reads them too, says why */
	have_maps = !target_maps(p->t, &m, NULL);
	target_root(p->t, root, sizeof(root));
	if (!ns->n || !ns->v || (have_maps && unwind_target_new(&u, p->t, &m, root, err))) {
		if (have_maps)
			maps_release(&m);
		unwind_free(ns);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	for (i = 0; i < s->nthreads; i++) {
		struct native *nv = ns->v + i * MAX_NATIVE;
		uint64_t pcs[MAX_NATIVE];
		int k, n = -1;

		if (u && s->threads[i].tid)
			n = unwind_target_thread(u, s->threads[i].tid, pcs, MAX_NATIVE);
		for (k = 0; k < n; k++)
			nv[k].pc = pcs[k];
		ns->n[i] = n;
	}
	unwind_target_free(u);
	if (have_maps)
		maps_release(&m);
	*out = ns;
	return 0;
}

int unwind_merge(struct pyproc *p, struct stacks *s, struct native_stacks *ns, struct hs_error *err)
{
	struct symbolizer *sz;
	struct maps m;
	size_t i;
	int ret = -1, k;

	if (ns->nthreads != s->nthreads)
		return hs_error_set(err, HS_EINTERNAL, "native stacks of other threads");
	if (target_maps(p->t, &m, err))
		return -1;
	sz = calloc(1, sizeof(*sz));
	if (!sz) {
		maps_release(&m);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	sz->p = p;
	sz->m = &m;
	for (i = 0; i < s->nthreads; i++) {
		struct stack_thread *th = &s->threads[i];
		struct native *nv = ns->v + i * MAX_NATIVE;
		int n = ns->n[i];

		if (!th->tid)
			continue;
		if (n <= 0) {
			if (!th->warning[0])
				snprintf(th->warning, sizeof(th->warning),
					 "native stack of thread %d could not be unwound",
					 (int)th->tid);
			continue;
		}
		for (k = 0; k < n; k++)
			symbolize(sz, &nv[k], k > 0);
		if (merge(th, nv, n)) {
			hs_error_set(err, HS_ENOMEM, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	for (k = 0; k < sz->n; k++) {
		elf_file_free(sz->mods[k].elf);
		elf_file_free(sz->mods[k].dbg);
	}
	free(sz);
	maps_release(&m);
	return ret;
}
