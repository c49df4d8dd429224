/*
 * fatal.c - the fatal-signal handler and what it undoes (see fatal.h).
 *
 * Everything the handler reads is static storage of fixed size, written
 * only with the fatal signals blocked: the handler allocates nothing,
 * takes no lock and calls only async-signal-safe functions.
 */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "fatal.h"

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

static void (*volatile hooks[FATAL_MAX_HOOKS])(void);

/* A file to remove if a fatal signal ends us (one at a time). */
static char cleanup_path[4096];
static volatile sig_atomic_t cleanup_set;

static void fatal_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaddset(set, fatal_signals[i]);
}

void fatal_block(sigset_t *old)
{
	sigset_t set;

	fatal_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void fatal_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

int fatal_add_hook(void (*fn)(void))
{
	sigset_t old;
	size_t i, free_slot = FATAL_MAX_HOOKS;
	int ret = 0;

	fatal_block(&old);
	for (i = 0; i < FATAL_MAX_HOOKS; i++) {
		if (hooks[i] == fn)
			goto out;
		if (!hooks[i] && free_slot == FATAL_MAX_HOOKS)
			free_slot = i;
	}
	/* the first free slot keeps the order hooks were added in only
	 * while none is removed: the users add theirs once and for all,
	 * or (the browser) last */
	if (free_slot == FATAL_MAX_HOOKS)
		ret = -1;
	else
		hooks[free_slot] = fn;
out:
	fatal_restore(&old);
	return ret;
}

void fatal_remove_hook(void (*fn)(void))
{
	sigset_t old;
	size_t i;

	fatal_block(&old);
	for (i = 0; i < FATAL_MAX_HOOKS; i++)
		if (hooks[i] == fn)
			hooks[i] = NULL;
	fatal_restore(&old);
}

void fatal_cleanup_path(const char *path)
{
	sigset_t old;

	fatal_block(&old);
	cleanup_set = 0;
	if (path && strlen(path) < sizeof(cleanup_path)) {
		memcpy(cleanup_path, path, strlen(path) + 1);
		cleanup_set = 1;
	}
	fatal_restore(&old);
}

/*
 * Undo what must not outlive us, then die of the same signal with its
 * default action.  sig is blocked while we run (and so are the other
 * fatal signals: no second one interrupts a detach half done), so the
 * raise() takes effect on return.
 */
static void on_fatal_signal(int sig)
{
	int saved = errno;
	size_t i;

	for (i = 0; i < FATAL_MAX_HOOKS; i++) {
		void (*fn)(void) = hooks[i];

		if (fn)
			fn();
	}
	if (cleanup_set)
		unlink(cleanup_path);
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void fatal_install(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	fatal_set(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old;

		/* a signal ignored by whoever started us (nohup) stays ignored */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
