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

void fuzz_quiet(int on)
{
	static FILE *null, *saved_out, *saved_err;

	/* the C streams are swapped, not descriptors 1 and 2: libFuzzer
	 * and the sanitizers keep writing their reports to the real stderr */
	if (!null)
		null = fopen("/dev/null", "we");
	fflush(stdout);
	fflush(stderr);
	if (on && !saved_out && null) {
		saved_out = stdout;
		saved_err = stderr;
		stdout = null;
		stderr = null;
	} else if (!on && saved_out) {
		stdout = saved_out;
		stderr = saved_err;
		saved_out = saved_err = NULL;
	}
}
