/*
 * findings.c - the line the browser opens with: what heapscope found
 * that wants a look first, each with the key that shows it.
 * "2 threads deadlocked - T; leak suspect: dict `cache` retains 8.1 MiB
 * (61%) - L; 5 asyncio tasks - a".  Nothing found: no line.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/suspects.h"
#include "analysis/tasks.h"
#include "analysis/threads.h"
#include "python/waits.h"
#include "ui_internal.h"

/* Threads on a deadlock cycle (0 when none, or the threads cannot be
 * read). */
static size_t deadlocked(const struct heap *h)
{
	struct hs_error err = HS_ERROR_INIT;
	struct stacks st;
	size_t i, n = 0;
	char words[64];

	if (threads_from_heap(h, &st, &err))
		return 0;
	for (i = 0; i < st.nthreads; i++)
		n += waits_deadlock_words(&st, i, words, sizeof(words));
	stacks_release(&st);
	return n;
}

/* The first leak suspect, in a few words, into buf; 0 when none. */
static int first_suspect(const struct heap *h, char *buf, size_t len)
{
	struct hs_error err = HS_ERROR_INIT;
	struct suspect_names names;
	struct suspect_words w;
	struct suspect *s = NULL;
	size_t n = 0;
	int found = 0;
	char size[32];

	if (!h->retained || suspects_find(h, SUSPECTS_DEFAULT_PCT / 100.0, 0, &s, &n, &err) || !n) {
		free(s);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	if (!suspect_names_build(h, &names, &err)) {
		if (!suspect_explain(h, &names, &s[0], heap_total_size(h), &w, &err)) {
			heap_size_text(s[0].retained, size, sizeof(size));
			snprintf(buf, len, "leak suspect: %s `%s` retains %s (%.0f%%) - L",
				 heap_type_name(h, s[0].point), w.expr[0] ? w.expr : w.text, size,
				 w.pct);
			found = 1;
		}
		suspect_words_release(&w);
		suspect_names_release(&names);
	}
	free(s);
	return found;
}

void findings_say(struct browser *b)
{
	struct hs_error err = HS_ERROR_INIT;
	struct task_list tl;
	char line[sizeof(b->msg)] = "", part[200];
	size_t n;

	n = deadlocked(b->h);
	if (n)
		snprintf(line, sizeof(line), "%zu threads deadlocked - T", n);
	if (first_suspect(b->h, part, sizeof(part)))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
			 line[0] ? "; " : "", part);
	if (!tasks_find(b->h, -1, &tl, &err)) {
		if (tl.n)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 "%s%zu asyncio task%s - a", line[0] ? "; " : "", tl.n,
				 tl.n == 1 ? "" : "s");
		tasks_release(&tl);
	}
	if (line[0])
		browser_message(b, "%s", line);
}
