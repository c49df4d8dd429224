/*
 * waits.c - what each thread blocked on a lock waits for, who holds that
 * lock, and the cycles among them: deadlocks.
 *
 * The rules, read from the object slots (locals, then the value stack)
 * of each thread's Python frames:
 *  - a thread asleep in futex(2) waits for the lock its innermost Python
 *    frame is acquiring: the topmost lock on that frame's value stack,
 *    alone (the manager of a with statement being entered) or as the self
 *    of a method call (acquire, __enter__), or the __self__ of a bound
 *    acquire, __enter__ or __exit__ (3.8-3.10 keep a with statement's
 *    bound __exit__ before they enter it);
 *  - a thread holds a lock by a with statement when one of its frames
 *    keeps the lock's __exit__ on its value stack: bound (up to 3.13), or
 *    as the pair (__exit__, lock) from 3.14;
 *  - an RLock names its owner itself.
 * Only objects whose type is _thread.lock or _thread.RLock themselves
 * count (found in the _thread module of the main interpreter).  Before
 * 3.14 the depth of a running frame's value stack is not saved: its slots
 * up to co_stacksize are scanned, where stale entries can be left; so a
 * lock that is free is nobody's wait, and a thread holds only what is
 * locked.  Every read is bounded and may fail: what cannot be read is
 * left unknown.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyobj.h"
#include "waits.h"

#define MAX_SLOTS 8192	 /* object slots of one frame read */
#define MUTEX_LOCKED 1	 /* PyMutex bits (pycore_lock.h) */
#define MAX_HOLDS 4096	 /* (thread, frame, lock) holds kept */
#define LIBRARY_DEPTH 16 /* library frames looked through for "via" */

struct wctx {
	struct pyproc *p;
	const struct layout *l;
	uint64_t lock_type, rlock_type; /* _thread.lock, _thread.RLock */
	uint64_t cfunc_type;		/* builtin_function_or_method */
	uint64_t descr_type;		/* method_descriptor */
	uint64_t *slots;		/* MAX_SLOTS */
};

enum slot_kind {
	SK_OTHER,
	SK_LOCK,  /* a lock */
	SK_BOUND, /* a lock's method, bound to it */
	SK_DESCR, /* a lock type's method, unbound */
};

struct slot {
	enum slot_kind kind;
	uint64_t lock; /* SK_LOCK, SK_BOUND: the lock */
	char name[16]; /* SK_BOUND, SK_DESCR: the method's name */
};

struct hold {
	uint64_t lock;
	size_t thread, frame;
};

static int read64(struct wctx *c, uint64_t addr, uint64_t *v)
{
	return target_read_u64(c->p->t, addr, v, NULL);
}

/* Attribute name of module mod of the main interpreter, 0 if none. */
static uint64_t module_attr(struct wctx *c, uint64_t interp, const char *mod, const char *name)
{
	uint64_t modules, m, md, v;

	if (!LAY_HAS(c->l, interp_modules) ||
	    read64(c, interp + LAY(c->l, interp_modules), &modules) || !modules ||
	    pydict_get_str(c->p, modules, mod, &m, NULL) || !m ||
	    read64(c, m + LAY(c->l, module_dict), &md) || !md ||
	    pydict_get_str(c->p, md, name, &v, NULL))
		return 0;
	return v;
}

/* The types the rules look for; 0 if the lock types cannot be found. */
static int find_types(struct wctx *c)
{
	uint64_t interp, builtins, len, dict, acquire;

	if (pyproc_first_interp(c->p, &interp, NULL) || !interp)
		return -1;
	c->lock_type = module_attr(c, interp, "_thread", "LockType");
	c->rlock_type = module_attr(c, interp, "_thread", "RLock");
	if (!c->lock_type && !c->rlock_type)
		return -1;
	if (LAY_HAS(c->l, interp_builtins) &&
	    !read64(c, interp + LAY(c->l, interp_builtins), &builtins) && builtins &&
	    !pydict_get_str(c->p, builtins, "len", &len, NULL) && len)
		pyobj_type(c->p, len, &c->cfunc_type, NULL);
	if (c->lock_type && LAY_HAS(c->l, type_dict) &&
	    !read64(c, c->lock_type + LAY(c->l, type_dict), &dict) && dict &&
	    !pydict_get_str(c->p, dict, "acquire", &acquire, NULL) && acquire)
		pyobj_type(c->p, acquire, &c->descr_type, NULL);
	return 0;
}

static int is_lock_type(const struct wctx *c, uint64_t t)
{
	return t && (t == c->lock_type || t == c->rlock_type);
}

/* The name of a builtin method (its PyMethodDef's ml_name). */
static void cfunc_name(struct wctx *c, uint64_t f, char *buf, size_t len)
{
	uint64_t ml, np;

	buf[0] = '\0';
	if (!read64(c, f + LAY(c->l, cfunc_ml), &ml) && ml && !read64(c, ml, &np) && np &&
	    target_read_cstr(c->p->t, np, buf, len, NULL) < 0)
		buf[0] = '\0';
}

static struct slot classify(struct wctx *c, uint64_t obj)
{
	struct slot s = { SK_OTHER, 0, "" };
	uint64_t t, self, st;

	if (!obj || obj & 7 || pyobj_type(c->p, obj, &t, NULL))
		return s;
	if (is_lock_type(c, t)) {
		s.kind = SK_LOCK;
		s.lock = obj;
	} else if (t == c->cfunc_type && c->cfunc_type) {
		if (read64(c, obj + LAY(c->l, cfunc_self), &self) || !self ||
		    pyobj_type(c->p, self, &st, NULL) || !is_lock_type(c, st))
			return s;
		s.kind = SK_BOUND;
		s.lock = self;
		cfunc_name(c, obj, s.name, sizeof(s.name));
	} else if (t == c->descr_type && c->descr_type) {
		uint64_t dt, dn;

		if (read64(c, obj + LAY(c->l, descr_type), &dt) || !is_lock_type(c, dt) ||
		    read64(c, obj + LAY(c->l, descr_name), &dn) ||
		    pyobj_str(c->p, dn, s.name, sizeof(s.name), NULL) < 0)
			return s;
		s.kind = SK_DESCR;
	}
	return s;
}

/*
 * Read the object slots of frame f into c->slots: *nlocals locals, then
 * the value stack up to *n.  inner: the thread's innermost frame (whose
 * saved stack depth, before 3.14, is stale).  -1 when unreadable.
 */
static int frame_slots(struct wctx *c, const struct stack_frame *f, int inner, size_t *nlocals,
		       size_t *n)
{
	const struct layout *l = c->l;
	struct pyproc *p = c->p;
	int32_t nlp = 0, ss = 0, top;
	uint64_t base, vs, sp;
	size_t i;

	if (f->kind != FRAME_PYTHON || !f->frame || !f->addr ||
	    target_read(p->t, f->addr + LAY(l, code_stacksize), &ss, 4, NULL) || ss < 0)
		return -1;
	if (p->minor >= 11) {
		if (target_read(p->t, f->addr + LAY(l, code_nlocalsplus), &nlp, 4, NULL) || nlp < 0)
			return -1;
		base = f->frame + (uint64_t)LAY(l, iframe_localsplus);
		*nlocals = (size_t)nlp;
		*n = (size_t)nlp + (size_t)ss;
		if (LAY_HAS(l, iframe_stackpointer)) {
			if (!read64(c, f->frame + LAY(l, iframe_stackpointer), &sp) && sp >= base &&
			    (sp - base) / 8 >= *nlocals && (sp - base) / 8 <= *n)
				*n = (size_t)((sp - base) / 8);
		} else if (!inner && LAY_HAS(l, iframe_stacktop) &&
			   !target_read(p->t, f->frame + LAY(l, iframe_stacktop), &top, 4, NULL) &&
			   top >= nlp && top <= nlp + ss) {
			*n = (size_t)top;
		}
	} else {
		base = f->frame + (uint64_t)LAY(l, frameobj_localsplus);
		if (read64(c, f->frame + LAY(l, frameobj_valuestack), &vs) || vs < base ||
		    (vs - base) % 8 || (vs - base) / 8 > MAX_SLOTS)
			return -1;
		*nlocals = (size_t)((vs - base) / 8);
		*n = *nlocals + (size_t)ss;
	}
	if (*n > MAX_SLOTS)
		*n = MAX_SLOTS;
	if (*nlocals > *n)
		*nlocals = *n;
	if (*n && target_read(p->t, base, c->slots, 8 * *n, NULL))
		return -1;
	/* 3.14: _PyStackRefs; bit 0 tags a borrowed or deferred reference,
	 * both low bits a tagged int */
	if (p->minor >= 14)
		for (i = 0; i < *n; i++)
			c->slots[i] = (c->slots[i] & 3) == 3 ? 0 : c->slots[i] & ~1ull;
	return 0;
}

/* A lock's state: 1 held (for an RLock by a thread other than ident), 0
 * free, -1 unreadable; an RLock's owner and count into the wait. */
static int lock_held(struct wctx *c, uint64_t lock, uint64_t ident, struct lock_wait *wt)
{
	const struct layout *l = c->l;
	uint64_t t, owner = 0, count = 0;
	uint8_t b = 0;

	if (pyobj_type(c->p, lock, &t, NULL))
		return -1;
	if (t == c->lock_type) {
		int64_t off = LAY_HAS(l, lock_mutex) ? LAY(l, lock_mutex) : LAY(l, lock_locked);

		if (off < 0 || target_read(c->p->t, lock + (uint64_t)off, &b, 1, NULL))
			return -1;
		wt->rlock = 0;
		return LAY_HAS(l, lock_mutex) ? (b & MUTEX_LOCKED) != 0 : b != 0;
	}
	if (!LAY_HAS(l, rlock_owner) || !LAY_HAS(l, rlock_count) ||
	    read64(c, lock + LAY(l, rlock_owner), &owner) ||
	    read64(c, lock + LAY(l, rlock_count), &count))
		return -1;
	if (LAY_HAS(l, rlock_mutex)) {
		if (target_read(c->p->t, lock + LAY(l, rlock_mutex), &b, 1, NULL))
			return -1;
		count = b & MUTEX_LOCKED ? count + 1 : 0;
	}
	wt->rlock = 1;
	wt->owner = count ? owner : 0;
	wt->count = count;
	return count && owner != ident;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* 1 if path ends with the path end (whole components). */
static int path_ends(const char *path, const char *end)
{
	size_t n = strlen(path), k = strlen(end);

	return n >= k && !strcmp(path + n - k, end) && (n == k || path[n - k - 1] == '/');
}

/* A frame of the standard library's waiting code: threading, queue and
 * concurrent.futures (Future.result, wait, as_completed). */
static int library_frame(const struct stack_frame *f)
{
	const char *b = basename_of(f->file);

	return f->kind == FRAME_PYTHON && (!strcmp(b, "threading.py") || !strcmp(b, "queue.py") ||
					   path_ends(f->file, "concurrent/futures/_base.py"));
}

/* A frame of threading.Thread's own machinery, which every thread
 * starts in: no library call a thread waits through. */
static int bootstrap(const struct stack_frame *f)
{
	return !strcmp(f->function, "run") || !strcmp(f->function, "_bootstrap") ||
	       !strcmp(f->function, "_bootstrap_inner");
}

/* What waits on the lock above frame k: the outermost of the library
 * frames from k up, by its qualified name and its self. */
static void find_via(struct wctx *c, struct stack_thread *th, size_t k)
{
	size_t j, last = (size_t)-1, nl, n;
	uint64_t self, t;
	char tn[64];

	for (j = k; j < th->nframes && j < k + LIBRARY_DEPTH && library_frame(&th->frames[j]) &&
		    !bootstrap(&th->frames[j]);
	     j++)
		last = j;
	if (last == (size_t)-1 || frame_slots(c, &th->frames[last], last == 0, &nl, &n) || !nl)
		return;
	self = c->slots[0];
	if (!self || pyobj_type(c->p, self, &t, NULL) ||
	    pyobj_type_name(c->p, t, tn, sizeof(tn), NULL))
		return;
	/* before 3.11 code has no qualified name: the type of self tells */
	if (strchr(th->frames[last].qualname, '.'))
		snprintf(th->wait.via, sizeof(th->wait.via), "%s on %s 0x%llx",
			 th->frames[last].qualname, tn, (unsigned long long)self);
	else
		snprintf(th->wait.via, sizeof(th->wait.via), "%s.%s on %s 0x%llx", tn,
			 th->frames[last].function, tn, (unsigned long long)self);
}

#define SETUP_WITH 143 /* opcodes: 3.8-3.10 */
#define BEFORE_WITH 53 /* 3.11 */
#define MAX_CANDS 64

/* A lock on a frame's value stack: alone, or as the self of a method
 * call (exit: through its __exit__, which a with statement keeps). */
struct cand {
	size_t slot;
	uint64_t lock;
	int exit;
};

/* The locks of the value stack c->slots[nl, n), lowest first. */
static size_t candidates(struct wctx *c, size_t nl, size_t n, struct cand *out)
{
	size_t i, m = 0;

	for (i = nl; i < n && m < MAX_CANDS; i++) {
		struct slot s = classify(c, c->slots[i]);

		if (s.kind == SK_LOCK) {
			out[m++] = (struct cand){ i, s.lock, 0 };
		} else if (s.kind == SK_BOUND && !strcmp(s.name, "__exit__")) {
			out[m++] = (struct cand){ i, s.lock, 1 };
		} else if (s.kind == SK_BOUND &&
			   (!strcmp(s.name, "acquire") || !strcmp(s.name, "__enter__"))) {
			out[m++] = (struct cand){ i, s.lock, 0 };
		} else if (s.kind == SK_DESCR && !strcmp(s.name, "__exit__") && i + 1 < n) {
			/* 3.14: a with statement keeps (__exit__, lock) */
			struct slot self = classify(c, c->slots[i + 1]);

			if (self.kind == SK_LOCK) {
				out[m++] = (struct cand){ i, self.lock, 1 };
				i++;
			}
		}
	}
	return m;
}

/* 3.8-3.11: the frame is entering a with statement, whose bound
 * __exit__ SETUP_WITH (BEFORE_WITH in 3.11) keeps before it calls
 * __enter__. */
static int entering_with(struct wctx *c, const struct stack_frame *f)
{
	const struct layout *l = c->l;
	uint64_t code, at;
	int32_t lasti;
	uint8_t op;

	if (c->p->minor == 11) {
		if (read64(c, f->frame + LAY(l, iframe_instr), &at))
			return 0;
		return !target_read(c->p->t, at, &op, 1, NULL) && op == BEFORE_WITH;
	}
	if (c->p->minor > 11 || read64(c, f->addr + LAY(l, code_code), &code) || !code ||
	    target_read(c->p->t, f->frame + LAY(l, frameobj_lasti), &lasti, 4, NULL) || lasti < 0 ||
	    lasti > (1 << 28))
		return 0;
	if (c->p->minor == 10)
		lasti *= 2;
	return !target_read(c->p->t, code + LAY(l, bytes_sval) + (uint64_t)lasti, &op, 1, NULL) &&
	       op == SETUP_WITH;
}

/* Whether the lock of cand j is held by this frame itself: its
 * __exit__ lies below. */
static int held_below(const struct cand *cs, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (cs[i].exit && cs[i].lock == cs[j].lock)
			return 1;
	return 0;
}

/*
 * The lock thread th waits for, from its innermost Python frame.  From
 * 3.14 its value stack is exact: the topmost lock that is not the self of
 * an __exit__.  Before, slots above the stack's top can be stale, and
 * the real stack lies below them: the lowest lock that is held, by
 * another thread, and not by this frame's own with statements; on 3.8 to
 * 3.11 entering a with statement, the lock of the last __exit__ of the
 * run that starts with the lowest.
 */
static void find_wait(struct wctx *c, struct stack_thread *th)
{
	struct cand cs[MAX_CANDS];
	size_t k, j, nl, n, m, pick = (size_t)-1;
	struct lock_wait wt = { 0 };

	for (k = 0; k < th->nframes && th->frames[k].kind != FRAME_PYTHON; k++)
		;
	if (k == th->nframes || frame_slots(c, &th->frames[k], 1, &nl, &n))
		return;
	m = candidates(c, nl, n, cs);
	if (c->p->minor >= 14) {
		/* (a with statement being entered keeps its __exit__ already:
		 * held_below would be wrong here) */
		for (j = m; j-- > 0;)
			if (!cs[j].exit) {
				pick = j;
				break;
			}
	} else if (c->p->minor <= 11 && entering_with(c, &th->frames[k])) {
		for (j = 0; j < m && !cs[j].exit; j++)
			;
		while (j + 1 < m && cs[j + 1].exit && cs[j + 1].slot == cs[j].slot + 1)
			j++;
		if (j < m)
			pick = j;
	} else {
		for (j = 0; j < m; j++)
			if (!cs[j].exit && !held_below(cs, j) &&
			    lock_held(c, cs[j].lock, th->thread_id, &wt) == 1) {
				pick = j;
				break;
			}
	}
	if (pick == (size_t)-1 || lock_held(c, cs[pick].lock, th->thread_id, &wt) != 1)
		return;
	wt.lock = cs[pick].lock;
	wt.frame = k;
	wt.holder = -1;
	th->wait = wt;
	find_via(c, th, k);
}

/* Every lock kept by a with statement in the frames of thread ti whose
 * lock some thread waits for, into holds. */
static void find_holds(struct wctx *c, struct stacks *s, size_t ti, struct hold *holds,
		       size_t *nholds)
{
	struct stack_thread *th = &s->threads[ti];
	size_t k, i, nl, n, w;

	for (k = 0; k < th->nframes; k++) {
		if (th->frames[k].kind != FRAME_PYTHON ||
		    frame_slots(c, &th->frames[k], k == 0 || (th->wait.lock && k == th->wait.frame),
				&nl, &n))
			continue;
		for (i = nl; i < n && *nholds < MAX_HOLDS; i++) {
			struct slot sl = classify(c, c->slots[i]);
			uint64_t lock = 0;

			if (sl.kind == SK_BOUND && !strcmp(sl.name, "__exit__"))
				lock = sl.lock;
			else if (sl.kind == SK_DESCR && !strcmp(sl.name, "__exit__") && i + 1 < n) {
				struct slot self = classify(c, c->slots[i + 1]);

				if (self.kind == SK_LOCK)
					lock = self.lock;
			}
			if (!lock)
				continue;
			/* a with statement still entering the lock it waits for
			 * keeps its __exit__ already (3.8-3.10, 3.14) */
			if (th->wait.lock == lock && k == th->wait.frame)
				continue;
			for (w = 0; w < s->nthreads; w++)
				if (s->threads[w].wait.lock == lock)
					break;
			if (w == s->nthreads)
				continue;
			holds[*nholds].lock = lock;
			holds[*nholds].thread = ti;
			holds[*nholds].frame = k;
			(*nholds)++;
		}
	}
}

/* Where the holder keeps the lock: its frame k, "f (file:line)". */
static void set_at(const struct stacks *s, struct lock_wait *wt, long by, long k)
{
	const struct stack_frame *f;

	if (by < 0 || k < 0 || (size_t)k >= s->threads[by].nframes)
		return;
	f = &s->threads[by].frames[k];
	snprintf(wt->holder_at, sizeof(wt->holder_at), "%s (%s:%d)",
		 f->qualname[0] ? f->qualname : f->function, f->file, f->line);
}

static long thread_by_ident(const struct stacks *s, uint64_t ident)
{
	size_t i;

	for (i = 0; ident && i < s->nthreads; i++)
		if (s->threads[i].thread_id == ident)
			return (long)i;
	return -1;
}

/* Who holds the lock thread ti waits for. */
static void find_holder(struct stacks *s, size_t ti, const struct hold *holds, size_t nholds)
{
	struct lock_wait *wt = &s->threads[ti].wait;
	size_t i, found = 0;
	long by = -1, frame = -1;

	for (i = 0; i < nholds; i++) {
		if (holds[i].lock != wt->lock || holds[i].thread == ti)
			continue;
		if (by != (long)holds[i].thread)
			found++;
		by = (long)holds[i].thread;
		frame = (long)holds[i].frame;
	}
	if (wt->rlock) {
		wt->holder = thread_by_ident(s, wt->owner);
		if (wt->holder < 0) {
			snprintf(wt->how, sizeof(wt->how),
				 "its owner, thread ident %llu, runs no more",
				 (unsigned long long)wt->owner);
			return;
		}
		snprintf(wt->how, sizeof(wt->how), "the RLock names its owner");
		if (by == wt->holder)
			set_at(s, wt, by, frame);
		return;
	}
	if (found == 1) {
		wt->holder = by;
		set_at(s, wt, by, frame);
		snprintf(wt->how, sizeof(wt->how),
			 "its frame keeps the lock's __exit__ (a with statement)");
	} else if (found > 1) {
		snprintf(wt->how, sizeof(wt->how),
			 "held, holder unknown: %zu threads keep the lock's __exit__", found);
	} else {
		snprintf(wt->how, sizeof(wt->how),
			 "held, holder unknown: no thread keeps it in a with statement");
	}
}

int waits_read(struct pyproc *p, struct stacks *s, struct hs_error *err)
{
	struct wctx c = { .p = p, .l = &p->layout };
	struct hold *holds;
	size_t i, nholds = 0, waiting = 0;

	for (i = 0; i < s->nthreads; i++) {
		memset(&s->threads[i].wait, 0, sizeof(s->threads[i].wait));
		s->threads[i].wait.holder = -1;
	}
	if (find_types(&c))
		return 0; /* no _thread module: no locks */
	c.slots = malloc(MAX_SLOTS * sizeof(*c.slots));
	holds = malloc(MAX_HOLDS * sizeof(*holds));
	if (!c.slots || !holds) {
		free(c.slots);
		free(holds);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	for (i = 0; i < s->nthreads; i++)
		if (!strcmp(s->threads[i].syscall, "futex")) {
			find_wait(&c, &s->threads[i]);
			waiting += s->threads[i].wait.lock != 0;
		}
	for (i = 0; waiting && i < s->nthreads; i++)
		find_holds(&c, s, i, holds, &nholds);
	for (i = 0; i < s->nthreads; i++)
		if (s->threads[i].wait.lock)
			find_holder(s, i, holds, nholds);
	free(c.slots);
	free(holds);
	return 0;
}

size_t waits_cycle(const struct stacks *s, size_t i, size_t *out, size_t max)
{
	size_t n = 0, at = i;

	while (n < s->nthreads && n < max) {
		long next = s->threads[at].wait.holder;

		if (!s->threads[at].wait.lock || next < 0 || (size_t)next >= s->nthreads)
			return 0;
		out[n++] = at;
		if ((size_t)next == i)
			return n;
		at = (size_t)next;
	}
	return 0;
}

const char *waits_lock_kind(const struct lock_wait *w)
{
	return w->rlock ? "_thread.RLock" : "_thread.lock";
}

#define WORDS_CYCLE 64 /* threads named in one deadlock */

size_t waits_deadlock_words(const struct stacks *s, size_t i, char *buf, size_t len)
{
	size_t cyc[WORDS_CYCLE], k, n, m, o = 0;

	if (len)
		buf[0] = '\0';
	n = waits_cycle(s, i, cyc, WORDS_CYCLE);
	for (m = 1; m < n && cyc[m] > i; m++)
		;
	if (!n || m < n)
		return 0;
	for (k = 0; k < n && o < len; k++) {
		const struct stack_thread *a = &s->threads[cyc[k]];
		const struct stack_thread *b = &s->threads[a->wait.holder];
		int w = snprintf(buf + o, len - o,
				 "%sthread \"%s\" (native id %d) waits for %s 0x%llx held by "
				 "thread \"%s\"%s%s",
				 k ? "; " : "", a->name[0] ? a->name : "?", (int)a->tid,
				 waits_lock_kind(&a->wait), (unsigned long long)a->wait.lock,
				 b->name[0] ? b->name : "?", a->wait.holder_at[0] ? " at " : "",
				 a->wait.holder_at);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	return n;
}
