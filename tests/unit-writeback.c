/*
 * unit-writeback - a big file written through writeback_write.
 *
 * 160 MiB of a known pattern (72 under valgrind), in writes of every
 * size from one byte to 5 MiB, must read back whole and in order, with
 * writeback_end saying no error; where a helper thread may run (two
 * cores), the syncer must have made at least the first 64 MiB durable
 * (every sync asked is made).  A write past RLIMIT_FSIZE must come
 * back as EFBIG with what fitted written, a write to a descriptor open
 * for reading as EBADF.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "base/task.h"
#include "base/writeback.h"
#include "tap.h"

#define MIB (1u << 20)
#define MAX_WRITE (5u * MIB)

/* the pattern's byte at offset i */
static unsigned char at(uint64_t i)
{
	uint64_t x = (i / 8 + 1) * 0x9e3779b97f4a7c15ull;

	return (unsigned char)(x >> (8 * (i % 8)));
}

static void fill(unsigned char *b, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = at(off + i);
}

/* 1 if the file at fd holds the pattern's first len bytes exactly */
static int holds(int fd, uint64_t len, unsigned char *buf)
{
	uint64_t off = 0;

	if (lseek(fd, 0, SEEK_SET))
		return 0;
	for (;;) {
		ssize_t k = read(fd, buf, MAX_WRITE);
		ssize_t i;

		if (k < 0)
			return 0;
		if (!k)
			return off == len;
		for (i = 0; i < k; i++)
			if (buf[i] != at(off + (uint64_t)i))
				return 0;
		off += (uint64_t)k;
	}
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char path[PATH_MAX];
	unsigned char *buf = malloc(MAX_WRITE);
	struct writeback wb;
	struct rlimit old, lim;
	uint64_t off = 0, total = tap_scale(2, 2) > 1 ? 160 * MIB : 72 * MIB,
		 limit = total > 96 * MIB ? 96 * MIB : 8 * MIB;
	size_t n = 1;
	int fd, e = 0, e2;

	snprintf(path, sizeof(path), "%s/unit-writeback-XXXXXX", t && *t ? t : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || !buf) {
		tap_ok(0, "a temporary file in %s", path);
		return tap_done();
	}
	unlink(path);

	writeback_init(&wb, fd);
	while (off < total && !e) {
		size_t k = total - off < n ? (size_t)(total - off) : n;

		fill(buf, off, k);
		e = writeback_write(&wb, buf, k);
		off += k;
		n = n * 3 + 1 > MAX_WRITE ? 1 : n * 3 + 1; /* 1, 4, 13, ... 5 MiB */
	}
	e2 = writeback_end(&wb);
	tap_ok(!e && !e2 && wb.written == total, "%llu MiB written in writes of 1 byte to 5 MiB",
	       (unsigned long long)(total / MIB));
	tap_ok(holds(fd, total, buf), "the file reads back whole and in order");
	if (task_cores() > 1)
		tap_ok(wb.synced >= 64 * MIB && wb.synced <= total,
		       "the syncer made %llu MiB durable along the way",
		       (unsigned long long)(wb.synced / MIB));
	else
		tap_skip("one core: no syncer thread");

	/* past the file size limit: EFBIG, what fitted written */
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET)) {
		tap_ok(0, "the file emptied");
		return tap_done();
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = limit;
	setrlimit(RLIMIT_FSIZE, &lim);
	writeback_init(&wb, fd);
	for (off = 0, e = 0; off < total && !e; off += MIB) {
		fill(buf, off, MIB / 2);
		fill(buf + MIB / 2, off + MIB / 2, MIB / 2);
		e = writeback_write(&wb, buf, MIB);
	}
	e2 = writeback_end(&wb);
	setrlimit(RLIMIT_FSIZE, &old);
	tap_ok(e == EFBIG && !e2 && wb.written == limit,
	       "past RLIMIT_FSIZE: EFBIG after %llu MiB (%s)",
	       (unsigned long long)(wb.written / MIB), strerror(e));
	tap_ok(holds(fd, limit, buf), "what fitted is the pattern's beginning");
	close(fd);

	/* a descriptor open for reading */
	fd = open("/dev/null", O_RDONLY);
	writeback_init(&wb, fd);
	e = writeback_write(&wb, buf, MIB);
	e2 = writeback_end(&wb);
	tap_ok(e == EBADF && !e2 && !wb.written, "a write to a read-only descriptor: EBADF");
	close(fd);
	free(buf);
	return tap_done();
}
