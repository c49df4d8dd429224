/*
 * replay.c - main() for a fuzz harness built without libFuzzer (make
 * check): run it over files and folders of inputs, by default over its
 * corpus, tests/fuzz/corpus/NAME under $HS_SRCDIR (or the source tree it
 * was built from), and say so in TAP.
 *
 *   fuzz-NAME [FILE|DIR]...
 *
 * A crash, a sanitizer report or a failed check ends the process before
 * its plan line: the test fails.  An empty corpus is a failure too.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"
#include "../tap.h"

#define REPLAY_MAX_INPUT (64u << 20)

static size_t replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *in = NULL;
	struct stat sb;
	size_t n = 0;

	if (!f || fstat(fileno(f), &sb) || sb.st_size > REPLAY_MAX_INPUT) {
		tap_ok(0, "%s: %s", path, f ? "unreadable or too big" : strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	/* libFuzzer hands over exactly size bytes; so does replay, in an
	 * allocation of that size, so that a read past the end is caught */
	in = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (in)
		n = fread(in, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (!in || n != (size_t)sb.st_size) {
		tap_ok(0, "%s: cannot read it", path);
		free(in);
		return;
	}
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	replayed++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, p[PATH_MAX + 256];
	size_t n = 0, cap = 0, i;

	if (!d) {
		tap_ok(0, "%s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		replay_file(p);
		free(names[i]);
	}
	free(names);
}

static void replay(const char *path)
{
	struct stat sb;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		replay_dir(path);
	else
		replay_file(path);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];
	const char *src = getenv("HS_SRCDIR");
	int i;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay(argv[i]);
		tap_ok(replayed > 0, "%s: %zu inputs replayed: no crash, every check held",
		       fuzz_name, replayed);
		return tap_done();
	}
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : HS_SRCDIR, fuzz_name);
	replay(dir);
	tap_ok(replayed > 0,
	       "%s: the %zu inputs of its corpus replayed: no crash, every check "
	       "held",
	       fuzz_name, replayed);
	return tap_done();
}
