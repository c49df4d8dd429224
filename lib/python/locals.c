/*
 * locals.c - the arguments and local variables of a Python frame.
 *
 * 3.11+: the names are the code's co_localsplusnames, their kinds
 * co_localspluskinds (hidden 0x10: comprehension temporaries, skipped;
 * cell 0x40 and free 0x80: a cell, shown by its contents), the values
 * the frame's localsplus slots (3.14: _PyStackRefs, untagged).  3.8-3.10:
 * co_varnames for the frame's first co_nlocals slots of f_localsplus,
 * then co_cellvars and co_freevars for its cells.  Arguments come first
 * in both: co_argcount + co_kwonlyargcount, and one each for *args and
 * **kwargs.  Every count is bounded and every read may fail.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "locals.h"
#include "pyobj.h"

#define MAX_VARS 4096
#define CO_VARARGS 0x4
#define CO_VARKEYWORDS 0x8
#define KIND_HIDDEN 0x10
#define KIND_CELL 0x40
#define KIND_FREE 0x80

struct names {
	uint64_t items[MAX_VARS];
	int64_t n;
};

/* A tuple's items (at most MAX_VARS). */
static int tuple_items(struct pyproc *p, uint64_t tuple, struct names *t)
{
	const struct layout *l = &p->layout;

	t->n = 0;
	if (!tuple || target_read(p->t, tuple + LAY(l, varobject_ob_size), &t->n, 8, NULL) ||
	    t->n < 0 || t->n > MAX_VARS)
		return -1;
	return t->n ? target_read(p->t, tuple + LAY(l, tuple_item), t->items, 8 * (size_t)t->n,
				  NULL)
		    : 0;
}

/* What a cell holds, or obj itself when it is no cell. */
static uint64_t deref(struct pyproc *p, uint64_t obj)
{
	char tn[8];
	uint64_t type, v;

	if (!pyobj_type(p, obj, &type, NULL) && !pyobj_type_name(p, type, tn, sizeof(tn), NULL) &&
	    !strcmp(tn, "cell"))
		return target_read_u64(p->t, obj + LAY(&p->layout, cell_ref), &v, NULL) ? 0 : v;
	return obj;
}

static int add(struct pyproc *p, struct frame_var *out, size_t *n, uint64_t name, uint64_t v,
	       int arg)
{
	struct frame_var *fv = &out[*n];

	if (!v)
		return 0; /* unbound */
	memset(fv, 0, sizeof(*fv));
	if (pyobj_str(p, name, fv->name, sizeof(fv->name), NULL) < 0)
		return 0;
	fv->addr = v;
	fv->arg = arg;
	if (pyobj_repr(p, v, fv->value, sizeof(fv->value)) < 0)
		snprintf(fv->value, sizeof(fv->value), "<unreadable at 0x%llx>",
			 (unsigned long long)v);
	(*n)++;
	return 0;
}

int frame_vars(struct pyproc *p, const struct stack_frame *f, struct frame_var **out, size_t *n)
{
	const struct layout *l = &p->layout;
	struct names *names = malloc(sizeof(*names));
	uint64_t *vals = malloc(MAX_VARS * sizeof(*vals)), nt, base, kinds_obj;
	struct frame_var *res = NULL;
	int32_t argc = 0, kwc = 0, flags = 0, nloc = 0;
	uint8_t kinds[MAX_VARS];
	int64_t i, nargs, nkinds = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (!names || !vals || f->kind != FRAME_PYTHON || !f->addr || !f->frame ||
	    target_read(p->t, f->addr + LAY(l, code_argcount), &argc, 4, NULL) ||
	    target_read(p->t, f->addr + LAY(l, code_kwonlyargcount), &kwc, 4, NULL) ||
	    target_read(p->t, f->addr + LAY(l, code_flags), &flags, 4, NULL) || argc < 0 || kwc < 0)
		goto out;
	nargs = (int64_t)argc + kwc + !!(flags & CO_VARARGS) + !!(flags & CO_VARKEYWORDS);
	if (p->minor >= 11) {
		if (target_read_u64(p->t, f->addr + LAY(l, code_localsplusnames), &nt, NULL) ||
		    tuple_items(p, nt, names) ||
		    target_read_u64(p->t, f->addr + LAY(l, code_localspluskinds), &kinds_obj,
				    NULL) ||
		    !kinds_obj ||
		    target_read(p->t, kinds_obj + LAY(l, varobject_ob_size), &nkinds, 8, NULL) ||
		    nkinds != names->n ||
		    (nkinds && target_read(p->t, kinds_obj + LAY(l, bytes_sval), kinds,
					   (size_t)nkinds, NULL)))
			goto out;
		base = f->frame + (uint64_t)LAY(l, iframe_localsplus);
		if (names->n && target_read(p->t, base, vals, 8 * (size_t)names->n, NULL))
			goto out;
	} else {
		struct names cells;
		int64_t k;

		if (target_read(p->t, f->addr + LAY(l, code_nlocals), &nloc, 4, NULL) || nloc < 0 ||
		    target_read_u64(p->t, f->addr + LAY(l, code_varnames), &nt, NULL) ||
		    tuple_items(p, nt, names) || names->n != nloc)
			goto out;
		memset(kinds, 0, (size_t)names->n);
		/* then the cells: co_cellvars and co_freevars */
		for (k = 0; k < 2; k++) {
			if (target_read_u64(
				    p->t,
				    f->addr + (k ? LAY(l, code_freevars) : LAY(l, code_cellvars)),
				    &nt, NULL) ||
			    tuple_items(p, nt, &cells))
				goto out;
			for (i = 0; i < cells.n && names->n < MAX_VARS; i++) {
				kinds[names->n] = KIND_CELL;
				names->items[names->n++] = cells.items[i];
			}
		}
		base = f->frame + (uint64_t)LAY(l, frameobj_localsplus);
		if (names->n && target_read(p->t, base, vals, 8 * (size_t)names->n, NULL))
			goto out;
	}
	res = calloc(names->n ? (size_t)names->n : 1, sizeof(*res));
	if (!res)
		goto out;
	for (i = 0; i < names->n; i++) {
		uint64_t v = vals[i];

		if (kinds[i] & KIND_HIDDEN)
			continue;
		if (p->minor >= 14)
			v = (v & 3) == 3 ? 0 : v & ~1ull;
		if (v && kinds[i] & (KIND_CELL | KIND_FREE))
			v = deref(p, v);
		add(p, res, n, names->items[i], v, i < nargs);
	}
	*out = res;
	res = NULL;
	ret = 0;
out:
	free(res);
	free(names);
	free(vals);
	return ret;
}
