/*
 * stacks.c - every thread's Python stack, from the thread states.
 *
 * Frames are followed from the thread state: PyFrameObject.f_back on
 * 3.8-3.10, _PyInterpreterFrame.previous on 3.11+.  Code objects are
 * decoded once per stacks_read (name, file, line table) in a small
 * cache, so a dump costs a few reads per frame.  Everything is read from
 * a target that may be inconsistent (--no-stop) or corrupt: chains are
 * bounded and checked for cycles, and a frame that cannot be read ends
 * that thread's stack with a warning instead of failing the command.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "linetable.h"
#include "pyobj.h"
#include "stacks.h"
#include "syscall.h"
#include "target/proc.h"

#define CODE_CACHE_SLOTS 512 /* power of two */
#define MAX_LINETABLE (1u << 20)
/* frames visited per thread, shims included, and the set that holds them
 * (a power of two, at most half full) */
#define MAX_FRAME_STEPS (2 * STACKS_MAX_FRAMES)
#define SEEN_SLOTS (2 * MAX_FRAME_STEPS)
#define SEEN_FIRST 256 /* slots to start with: 4 KiB */

/* Frame owners (3.12+): from 3 on, frames the C eval loop pushes (3.12
 * and 3.13: CSTACK 3; 3.14: INTERPRETER 3, its entry frame, and CSTACK
 * 4), which hold no Python code. */
#define OWNER_SHIM 3

struct code_info {
	uint64_t code; /* 0: empty slot */
	int firstlineno;
	char name[256], qualname[256], file[512];
	uint8_t *table;
	size_t ntable;
	int64_t nbytes; /* 3.11+: bytes of co_code_adaptive, -1 unknown */
	int ok;
};

/* Frame addresses seen on the current thread; a slot is in use when its
 * stamp is the thread's. */
struct seen_slot {
	uint64_t addr;
	uint32_t stamp;
};

struct walker {
	struct pyproc *p;
	struct code_info *cache; /* CODE_CACHE_SLOTS entries */
	/* the slots of cache in use: only they are touched (freeing the
	 * others would fault their pages in, while the target is frozen) */
	uint16_t used[CODE_CACHE_SLOTS];
	size_t nused;
	struct seen_slot *seen; /* seen_slots entries, SEEN_SLOTS at most */
	size_t seen_slots, nseen;
	uint32_t stamp;
	uint64_t code_type; /* PyCode_Type, learnt if not a symbol */
	enum linetable_format fmt;
};

static struct code_info *code_lookup(struct walker *w, uint64_t code)
{
	struct pyproc *p = w->p;
	const struct layout *l = &p->layout;
	size_t h = (size_t)((code >> 4) * 0x9e3779b97f4a7c15ull) & (CODE_CACHE_SLOTS - 1);
	struct code_info *c = &w->cache[h];
	uint64_t obj;
	int64_t units;
	int32_t first;

	if (c->code == code)
		return c;
	if (!c->code && w->nused < CODE_CACHE_SLOTS)
		w->used[w->nused++] = (uint16_t)h;
	free(c->table);
	memset(c, 0, sizeof(*c));
	c->code = code;
	c->nbytes = -1;
	if (target_read_u64(p->t, code + LAY(l, code_name), &obj, NULL) ||
	    pyobj_str(p, obj, c->name, sizeof(c->name), NULL) < 0)
		return c;
	if (target_read_u64(p->t, code + LAY(l, code_filename), &obj, NULL) ||
	    pyobj_str(p, obj, c->file, sizeof(c->file), NULL) < 0)
		return c;
	if (!LAY_HAS(l, code_qualname) ||
	    target_read_u64(p->t, code + LAY(l, code_qualname), &obj, NULL) ||
	    pyobj_str(p, obj, c->qualname, sizeof(c->qualname), NULL) < 0)
		snprintf(c->qualname, sizeof(c->qualname), "%s", c->name);
	if (target_read(p->t, code + LAY(l, code_firstlineno), &first, sizeof(first), NULL))
		return c;
	c->firstlineno = first;
	/* 3.11+ code objects are var-sized: ob_size code units inline */
	if (LAY_HAS(l, code_code_adaptive) &&
	    !target_read(p->t, code + LAY(l, varobject_ob_size), &units, sizeof(units), NULL) &&
	    units > 0 && units < (1 << 28))
		c->nbytes = 2 * units;
	if (target_read_u64(p->t, code + LAY(l, code_linetable), &obj, NULL) ||
	    pyobj_bytes(p, obj, &c->table, &c->ntable, MAX_LINETABLE, NULL))
		c->table = NULL;
	c->ok = 1;
	return c;
}

/*
 * Describe in f a Python frame running code at byte offset addr of its
 * bytecode (negative: not started).  The line follows PyCode_Addr2Line
 * on the frame's last instruction.  CPython 3.8/3.9 report f_lineno
 * instead for a frame with a trace function, which is stale once tracing
 * stops; the instruction is where the thread really is, so heapscope
 * uses it on every version.
 */
static void fill_frame(struct walker *w, struct stack_frame *f, uint64_t frame, uint64_t code,
		       int64_t addr, int entry)
{
	struct code_info *c = code_lookup(w, code);

	memset(f, 0, sizeof(*f));
	f->kind = FRAME_PYTHON;
	f->addr = code;
	f->frame = frame;
	f->entry = entry;
	f->line = -1;
	if (!c->ok) {
		snprintf(f->function, sizeof(f->function), "??");
		snprintf(f->file, sizeof(f->file), "??");
		return;
	}
	snprintf(f->function, sizeof(f->function), "%s", c->name);
	snprintf(f->qualname, sizeof(f->qualname), "%s", c->qualname);
	snprintf(f->file, sizeof(f->file), "%s", c->file);
	/* an instruction pointer outside the code (3.11+) has no line; one
	 * unit before the start is a frame that has not begun */
	if (c->nbytes >= 0 && (addr < -2 || addr >= c->nbytes))
		return;
	if (c->table)
		f->line = linetable_line(w->fmt, c->table, c->ntable, c->firstlineno,
					 addr > (1L << 30) || addr < 0 ? -1 : (int)addr);
}

/* Append such a frame to th.  Returns -1 only when out of memory. */
static int add_frame(struct walker *w, struct stack_thread *th, size_t *cap, uint64_t frame,
		     uint64_t code, int64_t addr, int entry)
{
	if (th->nframes == *cap) {
		/* few frames to start with: each is 1.3 KB of new memory */
		size_t ncap = *cap ? 2 * *cap : 8;
		struct stack_frame *nf = realloc(th->frames, ncap * sizeof(*nf));

		if (!nf)
			return -1;
		th->frames = nf;
		*cap = ncap;
	}
	fill_frame(w, &th->frames[th->nframes++], frame, code, addr, entry);
	return 0;
}

/* Start a new thread's set of seen frames. */
static void seen_reset(struct walker *w)
{
	w->nseen = 0;
	if (++w->stamp == 0) {
		memset(w->seen, 0, w->seen_slots * sizeof(*w->seen));
		w->stamp = 1;
	}
}

static size_t seen_hash(uint64_t addr, size_t slots)
{
	return (size_t)((addr >> 3) * 0x9e3779b97f4a7c15ull >> 20) & (slots - 1);
}

/* Twice the slots, the current thread's frames moved over (the table
 * starts small: the pages of a big one would fault in while frozen). */
static void seen_grow(struct walker *w)
{
	size_t n = 2 * w->seen_slots, i, h;
	struct seen_slot *t = calloc(n, sizeof(*t));

	if (!t)
		return; /* fuller, still correct: a probe ends at the table's size */
	for (i = 0; i < w->seen_slots; i++) {
		if (w->seen[i].stamp != w->stamp)
			continue;
		for (h = seen_hash(w->seen[i].addr, n); t[h].stamp; h = (h + 1) & (n - 1))
			;
		t[h] = w->seen[i];
	}
	free(w->seen);
	w->seen = t;
	w->seen_slots = n;
}

/* 1 if addr was seen before on this thread, else remember it. */
static int seen_before(struct walker *w, uint64_t addr)
{
	size_t h, k;

	if (2 * (w->nseen + 1) > w->seen_slots && w->seen_slots < SEEN_SLOTS)
		seen_grow(w);
	h = seen_hash(addr, w->seen_slots);
	/* at most MAX_FRAME_STEPS insertions: the table never fills */
	for (k = 0; k < w->seen_slots; k++, h = (h + 1) & (w->seen_slots - 1)) {
		struct seen_slot *s = &w->seen[h];

		if (s->stamp != w->stamp) {
			s->stamp = w->stamp;
			s->addr = addr;
			w->nseen++;
			return 0;
		}
		if (s->addr == addr)
			return 1;
	}
	return 1;
}

static void warn(struct stack_thread *th, const char *what, uint64_t addr)
{
	if (!th->warning[0])
		snprintf(th->warning, sizeof(th->warning), "%s at 0x%llx: stack cut short", what,
			 (unsigned long long)addr);
}

static void warn_long(struct stack_thread *th)
{
	if (!th->warning[0])
		snprintf(th->warning, sizeof(th->warning),
			 "more than %d frames: only the innermost shown", STACKS_MAX_FRAMES);
}

/* 3.8-3.10: PyFrameObject chain through f_back.  Every frame is run by
 * its own eval call, so every frame is an entry. */
static int walk_frame_objects(struct walker *w, uint64_t tstate, struct stack_thread *th)
{
	struct pyproc *p = w->p;
	const struct layout *l = &p->layout;
	uint64_t fr, code;
	size_t cap = 0;
	int32_t lasti;

	if (target_read_u64(p->t, tstate + LAY(l, tstate_frame), &fr, NULL)) {
		warn(th, "unreadable thread state", tstate);
		return 0;
	}
	seen_reset(w);
	while (fr) {
		if (th->nframes >= STACKS_MAX_FRAMES) {
			warn_long(th);
			break;
		}
		if (seen_before(w, fr)) {
			warn(th, "frame cycle", fr);
			break;
		}
		if (target_read_u64(p->t, fr + LAY(l, frameobj_code), &code, NULL) ||
		    target_read(p->t, fr + LAY(l, frameobj_lasti), &lasti, sizeof(lasti), NULL)) {
			warn(th, "unreadable frame", fr);
			break;
		}
		/* 3.10 counts f_lasti in code units, 3.8/3.9 in bytes */
		if (add_frame(w, th, &cap, fr, code, p->minor >= 10 ? 2 * (int64_t)lasti : lasti,
			      1))
			return -1;
		if (target_read_u64(p->t, fr + LAY(l, frameobj_back), &fr, NULL)) {
			warn(th, "unreadable frame", fr);
			break;
		}
	}
	return 0;
}

/* 1 if code is a code object.  Without the PyCode_Type symbol, the type
 * named "code" is learnt from the first object that has it. */
static int is_code(struct walker *w, uint64_t code)
{
	struct pyproc *p = w->p;
	uint64_t type;
	char name[8];

	if (pyobj_type(p, code, &type, NULL))
		return 0;
	if (w->code_type)
		return type == w->code_type;
	if (pyobj_type_name(p, type, name, sizeof(name), NULL) || strcmp(name, "code"))
		return 0;
	w->code_type = type;
	return 1;
}

#define MAX_TLBC 4096 /* thread-local bytecode copies of one code object */

/*
 * Where the bytecode a frame runs starts: co_code_adaptive, or in
 * free-threaded builds the copy of the thread that runs it (its
 * tlbc_index into the code's co_tlbc, _PyCodeArray {size, entries[]},
 * entry 0 being co_code_adaptive).
 */
static uint64_t bytecode(struct walker *w, uint64_t fr, uint64_t code)
{
	const struct layout *l = &w->p->layout;
	uint64_t own = code + (uint64_t)LAY(l, code_code_adaptive), arr, n, entry;
	int32_t idx = 0;

	if (!LAY_HAS(l, iframe_tlbc_index) || !LAY_HAS(l, code_tlbc) ||
	    target_read(w->p->t, fr + LAY(l, iframe_tlbc_index), &idx, 4, NULL) || idx <= 0 ||
	    idx >= MAX_TLBC || target_read_u64(w->p->t, code + LAY(l, code_tlbc), &arr, NULL) ||
	    !arr || target_read_u64(w->p->t, arr, &n, NULL) || (uint64_t)idx >= n ||
	    target_read_u64(w->p->t, arr + 8 + 8 * (uint64_t)idx, &entry, NULL) || !entry)
		return own;
	return entry;
}

/*
 * 3.11+: _PyInterpreterFrame chain through previous.  The instruction
 * pointer (3.11/3.12 prev_instr: the last instruction started; 3.13
 * instr_ptr: the one executing) minus the start of co_code_adaptive is
 * the byte offset CPython's own _PyInterpreterFrame_LASTI * 2 gives.
 */
static int walk_interp_frames(struct walker *w, uint64_t tstate, struct stack_thread *th)
{
	struct pyproc *p = w->p;
	const struct layout *l = &p->layout;
	uint64_t fr, code, instr;
	size_t cap = 0, steps = 0;
	uint8_t owner = 0, is_entry = 0;

	if (LAY_HAS(l, tstate_current_frame)) {
		if (target_read_u64(p->t, tstate + LAY(l, tstate_current_frame), &fr, NULL))
			fr = 0;
	} else {
		uint64_t cf;

		if (target_read_u64(p->t, tstate + LAY(l, tstate_cframe), &cf, NULL) || !cf ||
		    target_read_u64(p->t, cf + LAY(l, cframe_current_frame), &fr, NULL))
			fr = 0;
	}
	seen_reset(w);
	while (fr) {
		if (steps++ >= MAX_FRAME_STEPS || th->nframes >= STACKS_MAX_FRAMES) {
			warn_long(th);
			break;
		}
		if (seen_before(w, fr)) {
			warn(th, "frame cycle", fr);
			break;
		}
		if (target_read(p->t, fr + LAY(l, iframe_owner), &owner, 1, NULL)) {
			warn(th, "unreadable frame", fr);
			break;
		}
		if (p->minor >= 12 && owner >= OWNER_SHIM) {
			/*
			 * The frame above a C-stack shim was the first one its
			 * eval call ran.  (Should that frame have been skipped
			 * below, the last one shown belongs to the same call
			 * and stands for it.)
			 */
			if (th->nframes)
				th->frames[th->nframes - 1].entry = 1;
			goto next;
		}
		if (target_read_u64(p->t, fr + LAY(l, iframe_code), &code, NULL) ||
		    target_read_u64(p->t, fr + LAY(l, iframe_instr), &instr, NULL)) {
			warn(th, "unreadable frame", fr);
			break;
		}
		/* 3.14: a _PyStackRef, whose low bits are tags */
		if (p->minor >= 14)
			code &= ~3ull;
		/* 3.13's f_executable need not be a code object */
		if (p->minor >= 13 && !is_code(w, code))
			goto next;
		if (LAY_HAS(l, iframe_is_entry) &&
		    target_read(p->t, fr + LAY(l, iframe_is_entry), &is_entry, 1, NULL))
			is_entry = 0;
		if (add_frame(w, th, &cap, fr, code, (int64_t)(instr - bytecode(w, fr, code)),
			      is_entry))
			return -1;
	next:
		if (target_read_u64(p->t, fr + LAY(l, iframe_previous), &fr, NULL)) {
			warn(th, "unreadable frame", fr);
			break;
		}
	}
	/* the outermost frame was run by the thread's first eval call */
	if (th->nframes)
		th->frames[th->nframes - 1].entry = 1;
	return 0;
}

struct frame_reader {
	struct walker w;
};

struct frame_reader *frame_reader_new(struct pyproc *p)
{
	struct frame_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->w.p = p;
	r->w.fmt = linetable_format_for(p->minor);
	r->w.code_type = p->code_type;
	r->w.cache = calloc(CODE_CACHE_SLOTS, sizeof(*r->w.cache));
	if (!r->w.cache) {
		free(r);
		return NULL;
	}
	return r;
}

int frame_reader_read(struct frame_reader *r, uint64_t fr, struct stack_frame *f)
{
	struct walker *w = &r->w;
	struct pyproc *p = w->p;
	const struct layout *l = &p->layout;
	uint64_t code, instr;
	int32_t lasti;

	if (!LAY_HAS(l, iframe_code)) {
		if (target_read_u64(p->t, fr + LAY(l, frameobj_code), &code, NULL) ||
		    target_read(p->t, fr + LAY(l, frameobj_lasti), &lasti, sizeof(lasti), NULL))
			return -1;
		/* 3.10 counts f_lasti in code units, 3.8/3.9 in bytes */
		fill_frame(w, f, fr, code, p->minor >= 10 ? 2 * (int64_t)lasti : lasti, 1);
		return 0;
	}
	if (target_read_u64(p->t, fr + LAY(l, iframe_code), &code, NULL) ||
	    target_read_u64(p->t, fr + LAY(l, iframe_instr), &instr, NULL))
		return -1;
	if (p->minor >= 14)
		code &= ~3ull;
	if (!is_code(w, code))
		return -1;
	fill_frame(w, f, fr, code, (int64_t)(instr - bytecode(w, fr, code)), 0);
	return 0;
}

void frame_reader_free(struct frame_reader *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->w.nused; i++)
		free(r->w.cache[r->w.used[i]].table);
	free(r->w.cache);
	free(r);
}

/* The tstate holding the GIL of interp, 0 if none, -1 if unknown. */
static int64_t gil_holder(struct pyproc *p, uint64_t interp)
{
	const struct layout *l = &p->layout;
	uint64_t gil, holder;
	int32_t locked;

	if (!LAY_HAS(l, gil_locked) || !LAY_HAS(l, gil_last_holder))
		return -1;
	if (LAY_HAS(l, runtime_ceval_gil)) {
		gil = p->runtime + LAY(l, runtime_ceval_gil);
	} else if (LAY_HAS(l, interp_ceval_gil)) {
		if (target_read_u64(p->t, interp + LAY(l, interp_ceval_gil), &gil, NULL) || !gil)
			return -1;
	} else {
		return -1;
	}
	/* a free-threaded build runs without its GIL unless turned on */
	if (LAY_HAS(l, gil_enabled) &&
	    (target_read(p->t, gil + LAY(l, gil_enabled), &locked, sizeof(locked), NULL) ||
	     !locked))
		return -1;
	if (target_read(p->t, gil + LAY(l, gil_locked), &locked, sizeof(locked), NULL) ||
	    target_read_u64(p->t, gil + LAY(l, gil_last_holder), &holder, NULL))
		return -1;
	return locked ? (int64_t)holder : 0;
}

/* The system call a thread is blocked in, by its name; "syscall N" for a
 * number the kernel headers heapscope was built with do not know. */
static void thread_syscall(struct target *t, pid_t tid, char *buf, size_t len)
{
	long nr = target_thread_syscall(t, tid);
	const char *name = nr >= 0 ? syscall_name((int)nr) : NULL;

	buf[0] = '\0';
	if (name)
		snprintf(buf, len, "%s", name);
	else if (nr >= 0)
		snprintf(buf, len, "syscall %ld", nr);
}

/* Native tid of a thread: from the thread state (3.11+), else the thread
 * whose fs_base (glibc's struct pthread, which pthread_self() returns)
 * equals the thread id. */
static pid_t native_tid(struct pyproc *p, uint64_t tstate, uint64_t thread_id, uint64_t *fsbase,
			size_t nfs)
{
	const struct layout *l = &p->layout;
	uint64_t v;
	size_t i;

	if (LAY_HAS(l, tstate_native_thread_id) &&
	    !target_read_u64(p->t, tstate + LAY(l, tstate_native_thread_id), &v, NULL) && v > 0 &&
	    v < (1u << 30))
		return (pid_t)v;
	for (i = 0; i < nfs; i++)
		if (fsbase[i] && fsbase[i] == thread_id)
			return p->t->tids[i];
	return 0;
}

struct names_ctx {
	struct pyproc *p;
	struct stacks *s;
	int visited;
};

static int name_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct names_ctx *n = ctx;
	uint64_t ident, name;
	size_t i;
	int neg;

	if (n->visited++ > PYPROC_MAX_THREADS)
		return 1;
	if (pyobj_long(n->p, key, &ident, &neg, NULL) || neg)
		return 0;
	for (i = 0; i < n->s->nthreads; i++) {
		struct stack_thread *th = &n->s->threads[i];

		if (th->thread_id != ident || th->name[0])
			continue;
		if (!pyobj_getattr(n->p, value, "_name", &name, NULL) && name)
			pyobj_str(n->p, name, th->name, sizeof(th->name), NULL);
	}
	return 0;
}

/*
 * Python-level thread names live in threading._active, a dict from
 * thread ident to Thread object; each Thread keeps its name in _name.
 * Reading them is best effort: a process that never imported threading,
 * or a dict we cannot follow, leaves the names empty.
 */
static void python_names(struct pyproc *p, uint64_t interp, struct stacks *s)
{
	struct names_ctx n = { .p = p, .s = s };
	uint64_t modules, threading, md, active;

	if (!LAY_HAS(&p->layout, interp_modules) ||
	    target_read_u64(p->t, interp + LAY(&p->layout, interp_modules), &modules, NULL) ||
	    !modules || pydict_get_str(p, modules, "threading", &threading, NULL) || !threading ||
	    target_read_u64(p->t, threading + LAY(&p->layout, module_dict), &md, NULL) || !md ||
	    pydict_get_str(p, md, "_active", &active, NULL) || !active)
		return;
	pydict_items(p, active, name_cb, &n, NULL);
}

/* Note something wrong with a list on the last thread read from it. */
static void list_warning(struct stacks *s, size_t first, const char *what)
{
	if (s->nthreads > first && !s->threads[s->nthreads - 1].warning[0])
		snprintf(s->threads[s->nthreads - 1].warning, sizeof(s->threads[0].warning), "%s",
			 what);
}

/*
 * The thread list of an interpreter loops back (a corrupt or changing
 * target): the last lam entries read from first on repeat with period
 * lam.  Keep each thread state once.
 */
static void drop_repeats(struct stacks *s, size_t first, size_t lam)
{
	size_t n = s->nthreads - first, i, keep;

	for (i = 0; i + lam < n; i++)
		if (s->threads[first + i].tstate == s->threads[first + i + lam].tstate)
			break;
	keep = i + lam < n ? i + lam : n;
	for (i = keep; i < n; i++)
		free(s->threads[first + i].frames);
	s->nthreads = first + keep;
}

static struct stack_thread *new_thread(struct stacks *s, size_t *cap)
{
	struct stack_thread *th;

	if (s->nthreads == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct stack_thread *nt = realloc(s->threads, ncap * sizeof(*nt));

		if (!nt)
			return NULL;
		s->threads = nt;
		*cap = ncap;
	}
	th = &s->threads[s->nthreads++];
	memset(th, 0, sizeof(*th));
	return th;
}

int stacks_read(struct pyproc *p, struct stacks *s, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	struct walker w = { .p = p,
			    .fmt = linetable_format_for(p->minor),
			    .code_type = p->code_type };
	uint64_t interp, ts, main_thread = 0, *fsbase = NULL;
	uint64_t interps[PYPROC_MAX_INTERPS];
	size_t cap = 0, i, ninterp = 0, nfs = 0;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	w.cache = calloc(CODE_CACHE_SLOTS, sizeof(*w.cache));
	w.seen_slots = SEEN_FIRST;
	w.seen = calloc(w.seen_slots, sizeof(*w.seen));
	if (!w.cache || !w.seen) {
		hs_error_set(err, HS_ENOMEM, "out of memory");
		goto out;
	}
	if (!LAY_HAS(l, tstate_native_thread_id) && p->t->ntids) {
		fsbase = calloc(p->t->ntids, sizeof(*fsbase));
		if (!fsbase) {
			hs_error_set(err, HS_ENOMEM, "out of memory");
			goto out;
		}
		nfs = p->t->ntids;
		for (i = 0; i < p->t->ntids; i++) {
			struct target_regs r;

			if (!target_regs(p->t, p->t->tids[i], &r, NULL))
				fsbase[i] = r.fs_base;
		}
	}
	if (LAY_HAS(l, runtime_main_thread) &&
	    target_read_u64(p->t, p->runtime + LAY(l, runtime_main_thread), &main_thread, NULL))
		main_thread = 0;

	if (pyproc_first_interp(p, &interp, err))
		goto out;
	while (interp) {
		int64_t holder = gil_holder(p, interp);
		size_t first = s->nthreads, nth = 0, lam = 1, power = 1;
		uint64_t tortoise = 0, back;

		for (i = 0; i < ninterp && interps[i] != interp; i++)
			;
		if (i < ninterp || ninterp == PYPROC_MAX_INTERPS) {
			list_warning(s, 0,
				     i < ninterp ? "the interpreter list loops back"
						 : "too many interpreters: the rest not shown");
			break;
		}
		interps[ninterp++] = interp;
		if (pyproc_first_tstate(p, interp, &ts, err))
			goto out;
		while (ts) {
			struct stack_thread *th;

			/* Brent: a cycle shows as meeting the checkpoint again */
			if (ts == tortoise) {
				drop_repeats(s, first, lam);
				list_warning(s, first, "the thread list loops back");
				break;
			}
			if (lam == power) {
				tortoise = ts;
				power *= 2;
				lam = 0;
			}
			lam++;
			if (nth++ == PYPROC_MAX_THREADS) {
				list_warning(s, first, "too many threads: the rest not shown");
				break;
			}
			/* a thread state of another interpreter: the list is
			 * changing under us or corrupt */
			if (LAY_HAS(l, tstate_interp) &&
			    (target_read_u64(p->t, ts + LAY(l, tstate_interp), &back, NULL) ||
			     back != interp)) {
				list_warning(s, first,
					     "a thread state does not belong to its "
					     "interpreter: the rest of the list not shown");
				break;
			}
			th = new_thread(s, &cap);
			if (!th)
				goto nomem;
			th->tstate = ts;
			th->gil = holder < 0 ? -1 : (uint64_t)holder == ts;
			if (target_read_u64(p->t, ts + LAY(l, tstate_thread_id), &th->thread_id,
					    err))
				goto out;
			th->main = main_thread && th->thread_id == main_thread;
			th->tid = native_tid(p, ts, th->thread_id, fsbase, nfs);
			if (th->tid) {
				target_thread_name(p->t, th->tid, th->os_name, sizeof(th->os_name));
				thread_syscall(p->t, th->tid, th->syscall, sizeof(th->syscall));
			}
			if (p->minor <= 10) {
				if (walk_frame_objects(&w, ts, th))
					goto nomem;
			} else if (walk_interp_frames(&w, ts, th)) {
				goto nomem;
			}
			if (pyproc_next_tstate(p, ts, &ts, err))
				goto out;
		}
		/*
		 * Without _PyRuntime.main_thread: CPython 3.8-3.13 put a new
		 * thread state at the head of the list, so the main
		 * interpreter's oldest one, its main thread's, is the tail.
		 */
		if (!main_thread && interp == p->interp && s->nthreads > first)
			s->threads[s->nthreads - 1].main = 1;
		python_names(p, interp, s);
		if (pyproc_next_interp(p, interp, &interp, err))
			goto out;
	}
	ret = 0;
	goto out;
nomem:
	hs_error_set(err, HS_ENOMEM, "out of memory");
out:
	for (i = 0; w.cache && i < w.nused; i++)
		free(w.cache[w.used[i]].table);
	free(w.cache);
	free(w.seen);
	free(fsbase);
	if (ret)
		stacks_release(s);
	return ret;
}

void stacks_release(struct stacks *s)
{
	size_t i, k;

	for (i = 0; i < s->nthreads; i++) {
		for (k = 0; k < s->threads[i].nframes; k++)
			free(s->threads[i].frames[k].vars);
		free(s->threads[i].frames);
	}
	free(s->threads);
	memset(s, 0, sizeof(*s));
}
