/*
 * fatal.h - what heapscope undoes when a signal ends it.
 *
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE would end heapscope with
 * a target still frozen, a temporary file left next to a snapshot, or a
 * terminal in curses mode.  fatal_install() catches them; the handler
 * calls each hook its users added (the live backend detaches every
 * thread it holds, the browser puts the terminal back), in the order
 * they were added, removes the temporary file named last, then dies of
 * the same signal with its default action, so that the parent sees the
 * real cause.  SIGKILL cannot be caught: the kernel then detaches.
 *
 * Invariants: hooks are async-signal-safe and never block; the state
 * the handler reads (hooks, the path, and whatever the hooks read) is
 * changed only with these signals blocked (fatal_block/fatal_restore),
 * so that it is never seen half-updated.  A signal ignored by whoever
 * started heapscope (nohup) stays ignored.
 */
#ifndef HS_FATAL_H
#define HS_FATAL_H

#include <signal.h>

/* Most hooks at a time. */
#define FATAL_MAX_HOOKS 8

/* Install the handlers.  Call once at start-up (cmd/ does); without it
 * hooks and the path are kept but never used. */
void fatal_install(void);
/* Have fn called (async-signal-safe) when a fatal signal ends us.  Adding
 * a hook already there does nothing.  0, or -1 when FATAL_MAX_HOOKS are
 * already in place. */
int fatal_add_hook(void (*fn)(void));
/* Forget hook fn; one never added is fine. */
void fatal_remove_hook(void (*fn)(void));
/* Remove path (a temporary file being written) too: one at a time, a
 * new one replaces the last; NULL forgets it.  A path too long to keep
 * is not removed. */
void fatal_cleanup_path(const char *path);
/* Block the fatal signals, *old getting the mask before (NULL: not
 * kept); fatal_restore puts it back. */
void fatal_block(sigset_t *old);
void fatal_restore(const sigset_t *old);

#endif
