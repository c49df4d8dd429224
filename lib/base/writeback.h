/*
 * writeback.h - a file written in order, the disk kept writing as it
 * goes: the one way heapscope writes a big file (snapshots, exports).
 *
 * What is left dirty for the final fsync, it waits for.  So every
 * WRITEBACK_STEP bytes the kernel's writeback of them is started
 * (sync_file_range), and every WRITEBACK_SYNC bytes a helper thread
 * makes what is written durable (fdatasync): a disk whose own cache is
 * written out only when asked, as a virtual machine's disk over its
 * host's page cache is, then writes during the work too, not all of it
 * at the end.  Where no helper starts (one core) only the first is done.
 * The caller still syncs the file at the end.
 */
#ifndef HS_WRITEBACK_H
#define HS_WRITEBACK_H

#include <pthread.h>
#include <stdint.h>
#include <stddef.h>

struct writeback {
	int fd;
	uint64_t base;	  /* the file's offset where the writing started */
	uint64_t written; /* bytes written */
	uint64_t started; /* their writeback started */
	/* the syncer thread */
	pthread_t thread;
	int running; /* 1 it runs, -1 it could not start, 0 not yet */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint64_t want;	 /* bytes to make durable */
	uint64_t synced; /* bytes made durable */
	int stop;
	int err; /* the errno a sync met, 0 none */
};

/* Start writing fd (at its offset) through wb. */
void writeback_init(struct writeback *wb, int fd);
/* Write len bytes of data: 0, or an errno (ENOSPC for a write of none). */
int writeback_write(struct writeback *wb, const void *data, size_t len);
/* Stop the syncer (before fd is closed), once the sync it was asked for
 * is made: 0, or the errno a sync along the way met (the file is then
 * not whole on the disk, and a later fsync may no longer say so). */
int writeback_end(struct writeback *wb);

#endif
