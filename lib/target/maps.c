#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>
#include "maps.h"
#include "base/openfile.h"

/*
 * Open the maps of pid.  Once the main thread has exited while others run
 * on, /proc/PID/maps is empty: the memory is then named through a thread
 * that is still alive.
 */
static FILE *open_maps(pid_t pid, char *fn, size_t len)
{
	char dir[64];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int c, n = 0;

	snprintf(fn, len, "/proc/%d/maps", (int)pid);
	f = fopen(fn, "re");
	if (!f)
		return NULL;
	c = fgetc(f);
	if (c != EOF) {
		ungetc(c, f);
		return f;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return f;
	while ((de = readdir(d)) != NULL && n++ < 4096) {
		FILE *g;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fn, len, "/proc/%d/task/%s/maps", (int)pid, de->d_name);
		g = fopen(fn, "re");
		if (!g)
			continue;
		c = fgetc(g);
		if (c != EOF) {
			ungetc(c, g);
			fclose(f);
			closedir(d);
			return g;
		}
		fclose(g);
	}
	closedir(d);
	snprintf(fn, len, "/proc/%d/maps", (int)pid);
	return f;
}

int maps_read(struct maps *m, pid_t pid, struct hs_error *err)
{
	char fn[128], line[4096 + 256], perms[8];
	size_t cap = 256, pcap = 16384, plen = 0, i;
	uint64_t start, end, off, inode;
	unsigned major, minor;
	FILE *f;
	int pos;

	memset(m, 0, sizeof(*m));
	f = open_maps(pid, fn, sizeof(fn));
	if (!f)
		return hs_error_errno(err, errno == ENOENT ? HS_ENOPROC : HS_EFILE, errno,
				      "cannot read %s", fn);
	m->v = malloc(cap * sizeof(*m->v));
	m->paths = malloc(pcap);
	if (!m->v || !m->paths)
		goto nomem;
	while (fgets(line, sizeof(line), f) && m->n < MAPS_MAX) {
		char *path;
		size_t len;

		pos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &start, &end, perms, &off, &major, &minor, &inode, &pos) < 7 ||
		    !pos)
			continue;
		path = line + pos;
		len = strcspn(path, "\n");
		path[len] = '\0';
		if (m->n == cap) {
			struct map_entry *nv = realloc(m->v, 2 * cap * sizeof(*nv));

			if (!nv)
				goto nomem;
			m->v = nv;
			cap *= 2;
		}
		if (plen + len + 1 > pcap) {
			char *np;

			while (plen + len + 1 > pcap)
				pcap *= 2;
			np = realloc(m->paths, pcap);
			if (!np)
				goto nomem;
			m->paths = np;
		}
		memcpy(m->paths + plen, path, len + 1);
		m->v[m->n] = (struct map_entry){
			.start = start,
			.end = end,
			.offset = off,
			.prot = (perms[0] == 'r' ? MAP_R : 0) | (perms[1] == 'w' ? MAP_W : 0) |
				(perms[2] == 'x' ? MAP_X : 0) | (perms[3] == 's' ? MAP_S : 0),
			.dev = inode ? makedev(major, minor) : 0,
			.inode = inode,
			/* an offset for now: paths may still move on realloc */
			.path = (char *)(uintptr_t)plen,
		};
		plen += len + 1;
		m->n++;
	}
	fclose(f);
	for (i = 0; i < m->n; i++)
		m->v[i].path = m->paths + (uintptr_t)m->v[i].path;
	/* a process whose memory is gone is exiting (or a zombie) */
	if (!m->n) {
		maps_release(m);
		return hs_error_set(err, HS_EGONE,
				    "target exited: process %d has no memory "
				    "mappings left",
				    (int)pid);
	}
	return 0;
nomem:
	fclose(f);
	maps_release(m);
	return hs_error_set(err, HS_ENOMEM, "out of memory reading %s", fn);
}

/*
 * Entries added one by one keep their paths as offsets into m->paths
 * (which moves as it grows) until maps_done turns them into pointers.
 */
int maps_add(struct maps *m, const struct map_entry *e, const char *path, struct hs_error *err)
{
	size_t len = strlen(path);

	if (m->n == MAPS_MAX)
		return hs_error_set(err, HS_ENOMEM, "more than %d memory mappings", MAPS_MAX);
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct map_entry *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		m->v = nv;
		m->cap = cap;
	}
	if (m->plen + len + 1 > m->pcap) {
		size_t pcap = m->pcap ? m->pcap : 4096;
		char *np;

		while (m->plen + len + 1 > pcap)
			pcap *= 2;
		np = realloc(m->paths, pcap);
		if (!np)
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		m->paths = np;
		m->pcap = pcap;
	}
	memcpy(m->paths + m->plen, path, len + 1);
	m->v[m->n] = *e;
	m->v[m->n].path = (char *)(uintptr_t)m->plen;
	m->plen += len + 1;
	m->n++;
	return 0;
}

void maps_done(struct maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		m->v[i].path = m->paths + (uintptr_t)m->v[i].path;
}

int maps_copy(struct maps *dst, const struct maps *src, struct hs_error *err)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->n; i++)
		if (maps_add(dst, &src->v[i], src->v[i].path, err)) {
			maps_release(dst);
			return -1;
		}
	maps_done(dst);
	return 0;
}

void maps_release(struct maps *m)
{
	free(m->v);
	free(m->paths);
	memset(m, 0, sizeof(*m));
}

const struct map_entry *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

uint64_t maps_file_base(const struct maps *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].offset == 0 && !strcmp(m->v[i].path, path))
			return m->v[i].start;
	return 0;
}

/* 1 if the first page of mapping e reads the same in process pid and at
 * its offset in the file fd. */
static int same_first_page(pid_t pid, const struct map_entry *e, int fd)
{
	unsigned char a[4096], b[4096];
	struct iovec local = { a, sizeof(a) };
	struct iovec remote = { (void *)(uintptr_t)e->start, sizeof(a) };
	ssize_t n =
		e->end - e->start < sizeof(a) ? (ssize_t)(e->end - e->start) : (ssize_t)sizeof(a);

	local.iov_len = remote.iov_len = (size_t)n;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == n &&
	       pread(fd, b, (size_t)n, (off_t)e->offset) == n && !memcmp(a, b, (size_t)n);
}

int maps_open_file(pid_t pid, const struct map_entry *e)
{
	char fn[4200];
	struct stat sb;
	int fd;

	if (!e->inode || e->path[0] != '/')
		return -1;
	snprintf(fn, sizeof(fn), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, e->start,
		 e->end);
	fd = open_regular(fn);
	if (fd >= 0)
		return fd;
	/* map_files wants CAP_SYS_ADMIN (CAP_CHECKPOINT_RESTORE): the path
	 * as the process sees it, if it still names the same file */
	if (snprintf(fn, sizeof(fn), "/proc/%d/root%s", (int)pid, e->path) >= (int)sizeof(fn))
		return -1;
	fd = open_regular(fn);
	if (fd < 0)
		return -1;
	/* the inode says it is the file; overlayfs and btrfs show another
	 * device in maps than stat does, so the device is no proof: then
	 * the mapping's first page must read as the file's */
	if (fstat(fd, &sb) || sb.st_ino != e->inode ||
	    (e->dev && sb.st_dev != e->dev && !same_first_page(pid, e, fd))) {
		close(fd);
		return -1;
	}
	return fd;
}

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61) /* a file page or shared anonymous memory */
#define PM_CHUNK 512	     /* entries read at once */

int maps_pagemap_open(pid_t pid)
{
	char fn[64];

	snprintf(fn, sizeof(fn), "/proc/%d/pagemap", (int)pid);
	return open(fn, O_RDONLY | O_CLOEXEC);
}

int maps_populated(int pagemap, uint64_t start, uint64_t end,
		   int (*fn)(void *ctx, uint64_t s, uint64_t e), void *ctx)
{
	uint64_t pm[PM_CHUNK], page = start / 4096, last = (end + 4095) / 4096;
	uint64_t run = 0;
	int in = 0;

	/* one entry per page: bounded by the range's size */
	while (page < last) {
		size_t n = last - page < PM_CHUNK ? (size_t)(last - page) : PM_CHUNK, k;
		ssize_t got = pread(pagemap, pm, n * 8, (off_t)(page * 8));

		if (got != (ssize_t)(n * 8))
			return -1;
		for (k = 0; k < n; k++) {
			int pop = (pm[k] & (PM_PRESENT | PM_SWAPPED)) != 0;

			if (pop && !in)
				run = (page + k) * 4096;
			else if (!pop && in && fn(ctx, run, (page + k) * 4096))
				return 0;
			in = pop;
		}
		page += n;
	}
	if (in)
		fn(ctx, run, last * 4096);
	return 0;
}

int maps_private_pages(pid_t pid, const struct map_entry *e)
{
	uint64_t pm[PM_CHUNK], page = e->start / 4096;
	uint64_t last = e->end / 4096;
	char fn[64];
	int fd, ret = 0;

	snprintf(fn, sizeof(fn), "/proc/%d/pagemap", (int)pid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* one entry per page of the mapping: bounded by its size */
	while (page < last && !ret) {
		size_t n = last - page < PM_CHUNK ? (size_t)(last - page) : PM_CHUNK, k;
		ssize_t got = pread(fd, pm, n * 8, (off_t)(page * 8));

		if (got != (ssize_t)(n * 8)) {
			ret = -1;
			break;
		}
		for (k = 0; k < n; k++)
			if (pm[k] & (PM_PRESENT | PM_SWAPPED) && !(pm[k] & PM_FILE))
				ret = 1;
		page += n;
	}
	close(fd);
	return ret;
}
