/*
 * common.c - what the fuzz harnesses share (fuzz.h).
 */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"

static char scratch[PATH_MAX];

static void remove_scratch(void)
{
	DIR *d = opendir(scratch);
	struct dirent *e;
	char p[PATH_MAX + 256];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", scratch, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(scratch);
}

const char *fuzz_scratch(void)
{
	if (scratch[0])
		return scratch;
	snprintf(scratch, sizeof(scratch), "%s/hs-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(scratch)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	atexit(remove_scratch);
	return scratch;
}

void fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			perror(path);
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

/* Where the sanitizers write their reports: kept on the real stderr
 * while the harness silences fd 2.  Weak: absent without sanitizers. */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

void fuzz_quiet(int on)
{
	static int saved_out = -1, saved_err = -1, devnull = -1;

	fflush(stdout);
	fflush(stderr);
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (on && saved_out < 0) {
		saved_out = dup(1);
		saved_err = dup(2);
		if (__sanitizer_set_report_fd)
			__sanitizer_set_report_fd((void *)(intptr_t)saved_err);
		dup2(devnull, 1);
		dup2(devnull, 2);
	} else if (!on && saved_out >= 0) {
		dup2(saved_out, 1);
		dup2(saved_err, 2);
		if (__sanitizer_set_report_fd)
			__sanitizer_set_report_fd((void *)(intptr_t)2);
		close(saved_out);
		close(saved_err);
		saved_out = saved_err = -1;
	}
}
