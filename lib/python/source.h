/*
 * source.h - the text of a target's source lines, as the target sees its
 * files (its root and its working directory).
 */
#ifndef HS_SOURCE_H
#define HS_SOURCE_H

#include <stddef.h>
#include <sys/types.h>

struct source_file;

struct sources {
	pid_t pid;
	char root[4096]; /* files are under it; relative ones unreadable */
	int have_root;
	long long start; /* when the process started (epoch s), -1 unknown */
	struct source_file *files;
	size_t n, cap;
	size_t bytes; /* held in files */
};

/* Lines of live process pid's files (root NULL), or of the files under
 * root (a core file's process: "" is our own root). */
void sources_init(struct sources *s, pid_t pid, const char *root);
/* Line `line` (from 1) of file, without its indentation and line end,
 * into buf; 0, or -1 when the file or the line cannot be read.  Sets
 * *changed when the file was modified after the process started (it may
 * no longer hold the code the process runs). */
int sources_line(struct sources *s, const char *file, int line, char *buf, size_t len,
		 int *changed);
void sources_release(struct sources *s);

#endif
