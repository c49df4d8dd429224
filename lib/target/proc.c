/*
 * proc.c - what /proc says of a live process (see proc.h).
 *
 * Files are read with one read() each: /proc builds a small file whole
 * on the first read, so one read sees one consistent state.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

/* A small /proc file in one read, terminated; its length, or -1. */
static ssize_t read_small(const char *fn, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(fn, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

ssize_t proc_task_file(pid_t pid, pid_t tid, const char *name, char *buf, size_t len)
{
	char fn[96];

	if (!len)
		return -1;
	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	return read_small(fn, buf, len);
}

char proc_state(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *p;

	if (pid == tid)
		snprintf(fn, sizeof(fn), "/proc/%d/stat", (int)pid);
	else
		snprintf(fn, sizeof(fn), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small(fn, buf, sizeof(buf)) <= 0)
		return '\0';
	/* comm may hold spaces and parentheses: the state follows the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return '\0';
	return p[2];
}

int proc_state_gone(char st)
{
	return st == '\0' || st == 'Z' || st == 'X' || st == 'x';
}

long proc_tasks(pid_t pid, pid_t **out)
{
	char fn[64];
	struct dirent *de;
	size_t n = 0, cap = 64, i;
	pid_t *v;
	DIR *d;

	*out = NULL;
	snprintf(fn, sizeof(fn), "/proc/%d/task", (int)pid);
	d = opendir(fn);
	if (!d)
		return -errno;
	v = malloc(cap * sizeof(*v));
	if (!v) {
		closedir(d);
		return -ENOMEM;
	}
	/* bounded by PROC_MAX_THREADS entries */
	while ((de = readdir(d)) != NULL) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		if (n == PROC_MAX_THREADS) {
			free(v);
			closedir(d);
			return -E2BIG;
		}
		if (n == cap) {
			pid_t *nv = realloc(v, 2 * cap * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		v[n++] = (pid_t)tid;
	}
	closedir(d);
	/* the main thread first: it is the one the user named */
	for (i = 1; i < n; i++) {
		if (v[i] == pid) {
			v[i] = v[0];
			v[0] = pid;
			break;
		}
	}
	*out = v;
	return (long)n;
}

int proc_threads_gone(pid_t pid)
{
	pid_t *tids;
	long n, i;
	int gone = 1;

	if (!proc_state_gone(proc_state(pid, pid)))
		return 0;
	n = proc_tasks(pid, &tids);
	for (i = 0; i < n && gone; i++)
		if (!proc_state_gone(proc_state(pid, tids[i])))
			gone = 0;
	free(tids);
	return gone;
}

int proc_status_fields(pid_t pid, const char *const *keys, long long *vals, size_t n)
{
	char fn[64], line[128];
	int lines = 0, found = 0;
	size_t k, klen;
	FILE *f;

	for (k = 0; k < n; k++)
		vals[k] = 0;
	snprintf(fn, sizeof(fn), "/proc/%d/status", (int)pid);
	f = fopen(fn, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && lines++ < 256)
		for (k = 0; k < n; k++) {
			klen = strlen(keys[k]);
			if (!strncmp(line, keys[k], klen) && line[klen] == ':') {
				vals[k] = atoll(line + klen + 1);
				found++;
				break;
			}
		}
	fclose(f);
	return found;
}

pid_t proc_status_pid(pid_t pid, const char *key)
{
	long long v;

	return proc_status_fields(pid, &key, &v, 1) > 0 ? (pid_t)v : 0;
}

ssize_t proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int i;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, buf, len);
	if (n <= 0) {
		buf[0] = '\0';
		return -1;
	}
	while (n > 0 && !buf[n - 1])
		n--;
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return n;
}

/* 1 if process pid has no memory left: killed, it drops its memory
 * first and is a zombie only some time later (still 'R' meanwhile). */
static int memory_gone(pid_t pid)
{
	char fn[64], buf[128];

	snprintf(fn, sizeof(fn), "/proc/%d/statm", (int)pid);
	return read_small(fn, buf, sizeof(buf)) <= 0 || buf[0] == '0';
}

int proc_exited(pid_t pid)
{
	char st = proc_state(pid, pid);

	return st == '\0' || st == 'Z' || st == 'X' || memory_gone(pid);
}

int proc_blame_exit(pid_t pid, struct hs_error *err)
{
	if (!err || err->code == HS_EGONE || err->code == HS_ENOPROC || !proc_exited(pid))
		return 0;
	hs_error_clear(err);
	hs_error_set(err, HS_EGONE, "target exited: process %d exited while heapscope read it",
		     (int)pid);
	return 1;
}

long long proc_start_time(pid_t pid)
{
	char fn[64], buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec real, boot;
	int field;

	snprintf(fn, sizeof(fn), "/proc/%d/stat", (int)pid);
	if (hz <= 0 || read_small(fn, buf, sizeof(buf)) <= 0 ||
	    clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return -1;
	/* starttime (field 22) counts clock ticks since boot; fields 3 on
	 * follow the last ')' (comm may hold anything) */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return -1;
	/* the boot, in realtime seconds, to the nanosecond; then the start */
	return (long long)(((double)real.tv_sec - (double)boot.tv_sec) +
			   ((double)real.tv_nsec - (double)boot.tv_nsec) / 1e9 +
			   (double)ticks / (double)hz);
}

/* The parent of process pid from /proc/PID/stat (after comm's last ')':
 * state, then ppid), 0 if unknown. */
static pid_t stat_ppid(const char *name)
{
	char fn[300], buf[512], *p;
	long pp;

	snprintf(fn, sizeof(fn), "/proc/%s/stat", name);
	if (read_small(fn, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 1, " %*c %ld", &pp) != 1 || pp <= 0)
		return 0;
	return (pid_t)pp;
}

long proc_descendants(pid_t pid, pid_t **out, pid_t **parents)
{
	pid_t *all = NULL, *ppid = NULL, *v = NULL, *pv = NULL;
	size_t n = 0, cap = 0, nv = 0, i, k;
	struct dirent *de;
	DIR *d = opendir("/proc");

	*out = *parents = NULL;
	if (!d)
		return -errno;
	/* every process and its parent; /proc lists a bounded number */
	while ((de = readdir(d)) != NULL) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end || p <= 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 1024;
			pid_t *a = realloc(all, ncap * sizeof(*a)), *b;

			if (!a)
				goto nomem;
			all = a;
			b = realloc(ppid, ncap * sizeof(*b));
			if (!b)
				goto nomem;
			ppid = b;
			cap = ncap;
		}
		all[n] = (pid_t)p;
		ppid[n++] = stat_ppid(de->d_name);
	}
	closedir(d);
	d = NULL;
	v = malloc(PROC_MAX_DESCENDANTS * sizeof(*v));
	pv = malloc(PROC_MAX_DESCENDANTS * sizeof(*pv));
	if (!v || !pv)
		goto nomem;
	/* breadth first from pid: parents before children; a pid is
	 * listed once (its parent is unique), so no cycle can loop */
	for (k = 0;; k++) {
		pid_t of = k ? v[k - 1] : pid;

		for (i = 0; i < n && nv < PROC_MAX_DESCENDANTS; i++)
			if (ppid[i] == of && all[i] != pid) {
				v[nv] = all[i];
				pv[nv++] = of;
			}
		if (k >= nv)
			break;
	}
	free(all);
	free(ppid);
	*out = v;
	*parents = pv;
	return (long)nv;
nomem:
	if (d)
		closedir(d);
	free(all);
	free(ppid);
	free(v);
	free(pv);
	return -ENOMEM;
}
