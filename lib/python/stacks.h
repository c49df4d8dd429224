/*
 * stacks.h - Python stacks of every thread, read from the thread states.
 *
 * 3.8-3.10 follow PyFrameObject.f_back; 3.11+ follow _PyInterpreterFrame
 * .previous from the thread's current frame (cframe on 3.11/3.12),
 * skipping C-stack shim frames (3.12+).  Frames are innermost first.
 * Line numbers come from the code object's line table (linetable.c) at
 * the frame's last instruction.  Loops are bounded (STACKS_MAX_FRAMES);
 * a frame that cannot be read ends that thread's stack with a warning.
 */
#ifndef HS_STACKS_H
#define HS_STACKS_H

#include <stdint.h>
#include <sys/types.h>
#include "pyproc.h"

#define STACKS_MAX_FRAMES 4096

struct frame_var;

enum frame_kind {
	FRAME_PYTHON,
	FRAME_NATIVE,
};

struct stack_frame {
	enum frame_kind kind;
	char function[256];	/* co_name, or native symbol ("??" unknown) */
	char qualname[256];	/* co_qualname (3.11+), else = function */
	char file[512];		/* co_filename, or native module path */
	int line;		/* -1 unknown */
	uint64_t addr;		/* code object, or native pc */
	uint64_t offset;	/* native: pc - symbol start */
	uint64_t frame;		/* python: the frame object (3.8-3.10) or
				 * _PyInterpreterFrame (3.11+) */
	int entry;		/* python: first frame run by its C eval call */
	struct frame_var *vars; /* python, with --locals: its variables
				 * (locals.h), owned; NULL when not read */
	size_t nvars;
};

/* A lock a thread blocked in futex(2) is acquiring, and its holder
 * (waits.c); lock 0: none found. */
struct lock_wait {
	uint64_t lock;	     /* the _thread.lock or _thread.RLock */
	int rlock;	     /* an RLock */
	uint64_t owner;	     /* RLock: its owner's ident (0 none) */
	uint64_t count;	     /* RLock: times its owner acquired it */
	size_t frame;	     /* the waiting frame (index among the Python
			      * frames, before --native merges others) */
	char via[160];	     /* the library call waiting on it above
			      * ("Queue.get on Queue 0x..."), or "" */
	long holder;	     /* index of the holding thread, -1 unknown */
	char holder_at[320]; /* its frame keeping the lock ("f (file:line)"),
			      * or "" */
	char how[128];	     /* how the holder is known, or why not */
};

struct stack_thread {
	uint64_t tstate;
	uint64_t thread_id; /* threading.get_ident() */
	pid_t tid;	    /* native id, 0 if unknown */
	char name[64];	    /* threading name ("MainThread"), "" if unknown */
	char os_name[64];   /* OS thread name (/proc/PID/task/TID/comm) */
	int gil;	    /* 1 holds the GIL, 0 not, -1 unknown */
	char syscall[24];   /* system call it waits in ("futex"), "" if
			     * running or unknown */
	int main;	    /* the main thread of the interpreter */
	struct stack_frame *frames;
	size_t nframes;
	char warning[160]; /* why the stack may be incomplete, or "" */
	struct lock_wait wait;
};

struct stacks {
	struct stack_thread *threads;
	size_t nthreads;
};

/* Read every thread of every interpreter.  Returns 0 (warnings may be
 * set per thread) or -1 with err set.  Caller frees with stacks_release. */
int stacks_read(struct pyproc *p, struct stacks *s, struct hs_error *err);
void stacks_release(struct stacks *s);

/*
 * One frame at a time, as stacks_read decodes them (for frames no thread
 * runs: a suspended generator's or coroutine's).  frame is a frame
 * object up to 3.10, an _PyInterpreterFrame from 3.11.  Code objects
 * are cached across calls.
 */
struct frame_reader;
struct frame_reader *frame_reader_new(struct pyproc *p); /* NULL: out of memory */
/* 0 with f filled in (its line -1 when unknown), -1 when the frame or
 * its code cannot be read. */
int frame_reader_read(struct frame_reader *r, uint64_t frame, struct stack_frame *f);
void frame_reader_free(struct frame_reader *r);

#endif
