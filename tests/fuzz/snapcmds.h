/*
 * snapcmds.h - every heapscope command that reads a snapshot file, run
 * in this process as a user would run them (cmd/'s own entry points),
 * for the snapshot fuzzer and the damaged-file test.
 *
 * The commands: info, stacks, top (by count, size and retained), show
 * and path at objects of the file, objects of its first type, suspects,
 * garbage, diff of the file with itself and every export, in text and
 * --json.  Their standard output goes to /dev/null.
 */
#ifndef HS_SNAPCMDS_H
#define HS_SNAPCMDS_H

#include <stddef.h>

/* Called after each command with its arguments, exit status and what it
 * wrote on stderr (NUL-terminated, truncated to fit). */
typedef void (*snapcmds_check)(void *ctx, const char *const *argv, int status, const char *err);

/* Run every command on the snapshot at path; exports that write a file
 * write it to out (removed after).  loads: whether path loads, which
 * also gives the addresses and type the commands are pointed at. */
void snapcmds_run(const char *path, const char *out, snapcmds_check check, void *ctx, int *loads);

#endif
