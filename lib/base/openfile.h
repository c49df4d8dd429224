/*
 * openfile.h - open a file heapscope reads, refusing what would block.
 *
 * A name given on the command line, or built from what a target's files
 * say (a debug file by build-id or .gnu_debuglink under the target's own
 * root), may name a FIFO or a device: a plain open() of a FIFO waits for
 * a writer that never comes.  Files are opened without blocking and kept
 * only when they are regular files.
 */
#ifndef HS_OPENFILE_H
#define HS_OPENFILE_H

/* Open path read-only (close-on-exec, blocking again once open).  The
 * descriptor, or -1 with errno set (by open), or OPEN_NOT_REGULAR when
 * it is no regular file. */
#define OPEN_NOT_REGULAR (-2)
int open_regular(const char *path);

#endif
