/*
 * unit-damaged - every command refuses a damaged snapshot file, with one
 * clear line and a hint.
 *
 * The small snapshots of tests/fuzz/corpus/snapshot (written by mksnap),
 * cut at every length short of their own, with trailing bytes, and with
 * one bit flipped at every byte: every command that reads a file
 * (tests/fuzz/snapcmds.h, run in this process as heapscope runs them)
 * must exit 10 and print exactly "heapscope: FILE: what is wrong" and a
 * hint line, nothing else.  The same files whole load and every command
 * succeeds on them.  HS_TEST_QUICK (valgrind) takes every 61st position.
 */
#include "config.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/error.h"
#include "fuzz/fuzz.h"
#include "fuzz/snapcmds.h"
#include "tap.h"

const char fuzz_name[] = "damaged";

struct tally {
	const char *path;
	int want_refused;
	size_t runs, bad;
	char first[1024];
};

static int clear_refusal(const char *path, const char *err)
{
	char head[PATH_MAX + 16];
	const char *nl = strchr(err, '\n');

	snprintf(head, sizeof(head), "heapscope: %s: ", path);
	return !strncmp(err, head, strlen(head)) && nl && nl[1] && !strncmp(nl + 1, "hint: ", 6) &&
	       strchr(nl + 1, '\n') && !strchr(nl + 1, '\n')[1];
}

static void check(void *ctx, const char *const *argv, int rc, const char *err)
{
	struct tally *t = ctx;
	int good = t->want_refused ? rc == hs_exit_status(HS_EFILE) && clear_refusal(t->path, err)
				   : rc == 0;

	t->runs++;
	if (!good && !t->bad++)
		snprintf(t->first, sizeof(t->first), "%s %s: exit %d: %s", argv[0], argv[1], rc,
			 err);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void damage(const char *name)
{
	char src[PATH_MAX], path[PATH_MAX], out[PATH_MAX];
	const char *dir = getenv("HS_SRCDIR");
	struct tally t = { .path = path };
	unsigned char *full, *junk;
	size_t size = 0, pos, step = 1, cuts = 0, flips = 0;
	int loads;

	if (getenv("HS_TEST_QUICK") && strcmp(getenv("HS_TEST_QUICK"), "0"))
		step = 61;
	snprintf(src, sizeof(src), "%s/tests/fuzz/corpus/snapshot/%s", dir ? dir : HS_SRCDIR, name);
	snprintf(path, sizeof(path), "%s/%s", fuzz_scratch(), name);
	snprintf(out, sizeof(out), "%s/out", fuzz_scratch());
	full = slurp(src, &size);
	if (!tap_ok(full != NULL, "%s: read %zu bytes", name, size))
		return;

	fuzz_write_file(path, full, size);
	snapcmds_run(path, out, check, &t, &loads);
	tap_ok(loads && !t.bad, "%s whole: loads, every command ends 0 (%zu runs)%s%s", name,
	       t.runs, t.bad ? ": " : "", t.bad ? t.first : "");

	t.want_refused = 1;
	t.runs = t.bad = 0;
	for (pos = 0; pos < size; pos += step, cuts++) {
		fuzz_write_file(path, full, pos);
		snapcmds_run(path, out, check, &t, &loads);
	}
	junk = calloc(1, size + 8);
	if (!tap_ok(junk != NULL, "%s: memory for the damaged copies", name)) {
		free(full);
		return;
	}
	memcpy(junk, full, size);
	fuzz_write_file(path, junk, size + 8);
	snapcmds_run(path, out, check, &t, &loads);
	tap_ok(!t.bad,
	       "%s cut at %zu lengths of 0-%zu bytes, and with 8 bytes more: every "
	       "command exits 10 with one line and a hint (%zu runs)%s%s",
	       name, cuts, size - 1, t.runs, t.bad ? ": " : "", t.bad ? t.first : "");

	t.runs = t.bad = 0;
	for (pos = 0; pos < size; pos += step, flips++) {
		memcpy(junk, full, size);
		junk[pos] ^= (unsigned char)(1u << (pos % 8));
		fuzz_write_file(path, junk, size);
		snapcmds_run(path, out, check, &t, &loads);
	}
	tap_ok(!t.bad,
	       "%s with a bit flipped in each of %zu bytes: every command exits 10 with "
	       "one line and a hint (%zu runs)%s%s",
	       name, flips, t.runs, t.bad ? ": " : "", t.bad ? t.first : "");
	unlink(path);
	free(junk);
	free(full);
}

int main(void)
{
	damage("zoo.hsnap");
	damage("random-2.hsnap");
	return tap_done();
}
