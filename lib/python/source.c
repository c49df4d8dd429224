/*
 * source.c - the text of a target's source lines.
 *
 * A code object's co_filename is the path the target opened its file
 * by: an absolute one is read under /proc/PID/root (the target's root, a
 * container's too), a relative one under /proc/PID/cwd.  Names such as
 * "<string>" or "<frozen ...>" are no files.  Each file is read once per
 * struct sources, whole, when it is a regular file of at most
 * SOURCE_MAX_FILE bytes, and at most SOURCE_MAX_BYTES in all.  A file
 * modified after the process started may no longer hold the code it
 * runs: that is said, not hidden.
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "source.h"
#include "target/proc.h"

#define SOURCE_MAX_FILE (8u << 20)
#define SOURCE_MAX_BYTES (64u << 20)
#define SOURCE_MAX_FILES 1024

struct source_file {
	char *path; /* as the code names it */
	char *text; /* NULL: unreadable */
	size_t len;
	int changed;
};

void sources_init(struct sources *s, pid_t pid, const char *root)
{
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	if (root) {
		snprintf(s->root, sizeof(s->root), "%s", root);
		s->have_root = 1;
		s->start = -1;
		return;
	}
	s->start = proc_start_time(pid);
}

/* Read path whole into f (text NULL when it cannot be). */
static void load(struct sources *s, struct source_file *f)
{
	char fn[4200];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (s->have_root && f->path[0] != '/')
		return;
	if (s->have_root)
		snprintf(fn, sizeof(fn), "%s%s", s->root, f->path);
	else if (f->path[0] == '/')
		snprintf(fn, sizeof(fn), "/proc/%d/root%s", (int)s->pid, f->path);
	else
		snprintf(fn, sizeof(fn), "/proc/%d/cwd/%s", (int)s->pid, f->path);
	fd = open(fn, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > SOURCE_MAX_FILE ||
	    s->bytes + (size_t)st.st_size > SOURCE_MAX_BYTES ||
	    !(f->text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return;
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, f->text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	f->text[got] = '\0';
	f->len = got;
	s->bytes += got;
	/* the start is known to the clock tick and rounded down to the
	 * second: a file written just before it is no change */
	f->changed = s->start >= 0 && st.st_mtime > s->start + 1;
}

static struct source_file *lookup(struct sources *s, const char *path)
{
	struct source_file *f;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->files[i].path, path))
			return &s->files[i];
	if (s->n == SOURCE_MAX_FILES)
		return NULL;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 16;
		struct source_file *nf = realloc(s->files, ncap * sizeof(*nf));

		if (!nf)
			return NULL;
		s->files = nf;
		s->cap = ncap;
	}
	f = &s->files[s->n];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return NULL;
	s->n++;
	load(s, f);
	return f;
}

int sources_line(struct sources *s, const char *file, int line, char *buf, size_t len, int *changed)
{
	struct source_file *f;
	const char *p, *end, *nl;
	int at;

	*changed = 0;
	if (!len || line < 1 || !file[0] || file[0] == '<' || !(f = lookup(s, file)) || !f->text)
		return -1;
	p = f->text;
	end = f->text + f->len;
	for (at = 1; at < line; at++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -1;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		nl = end;
	if (p == end)
		return -1;
	while (p < nl && (*p == ' ' || *p == '\t' || *p == '\f'))
		p++;
	while (nl > p && (nl[-1] == '\r' || nl[-1] == ' ' || nl[-1] == '\t'))
		nl--;
	snprintf(buf, len, "%.*s", (int)(nl - p), p);
	/* text for a terminal: no control character reaches it */
	for (; *buf; buf++)
		if ((unsigned char)*buf < 0x20 || *buf == 0x7f)
			*buf = '?';
	*changed = f->changed;
	return 0;
}

void sources_release(struct sources *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].text);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}
