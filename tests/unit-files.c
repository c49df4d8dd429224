/*
 * unit-files - the target over mapped files (target_files_new) against
 * the kernel's own mapping of the same file.
 *
 * A file of random bytes whose length is no multiple of the page is
 * mapped by us with mmap at several offsets; the files target maps the
 * same ranges at made-up addresses.  Every read of every length the
 * test tries, across page and mapping boundaries, must equal what our
 * mmap shows (zeros after the last byte, in its page); past that page,
 * outside every mapping, and for overlapping mappings it must fail with
 * the right code; the file shrunk under it gives a short read: an
 * error, never a crash.
 */
#include "config.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "target/target.h"
#include "tap.h"

#define PAGE 4096u
#define FILE_LEN (5 * PAGE + 123)
#define BASE 0x7f0000000000ull

int main(void)
{
	char path[] = "/tmp/hs-unit-files-XXXXXX";
	struct hs_error err = HS_ERROR_INIT;
	unsigned char *data = malloc(FILE_LEN), *mine, buf[3 * PAGE];
	struct target *t = target_files_new();
	int fd = mkstemp(path), file, bad = 0;
	size_t i, len;
	uint64_t a;

	if (!data || !t || fd < 0) {
		tap_ok(0, "set up");
		return 1;
	}
	unlink(path);
	srand(7);
	for (i = 0; i < FILE_LEN; i++)
		data[i] = (unsigned char)rand();
	if (write(fd, data, FILE_LEN) != FILE_LEN) {
		tap_ok(0, "write the file");
		return 1;
	}
	/* what the process would see: the kernel's mapping, 6 pages at 0 */
	mine = mmap(NULL, 6 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	file = target_files_add_file(t, dup(fd), &err);
	tap_ok(mine != MAP_FAILED && file == 0, "the file taken: number 0");
	/* pages 0-1 at BASE, pages 1-5 right after (one file, two maps) */
	tap_ok(!target_files_add_map(t, BASE, BASE + 2 * PAGE, 0, file, &err) &&
		       !target_files_add_map(t, BASE + 2 * PAGE, BASE + 7 * PAGE, PAGE, file, &err),
	       "two mappings of it, one after the other");
	tap_ok(target_files_add_map(t, BASE + PAGE, BASE + 3 * PAGE, 0, file, &err) < 0 &&
		       err.code == HS_EINTERNAL,
	       "a mapping over another is refused");
	hs_error_clear(&err);
	tap_ok(target_files_add_map(t, BASE + 9 * PAGE, BASE + 10 * PAGE, 7, file, &err) < 0,
	       "an offset that is no page boundary is refused");
	hs_error_clear(&err);

	/* the first map: the file's first two pages */
	for (a = BASE; a < BASE + 2 * PAGE; a += 509)
		for (len = 1; len <= 2 * PAGE && a + len <= BASE + 2 * PAGE; len = len * 3 + 1)
			if (target_read(t, a, buf, len, NULL) ||
			    memcmp(buf, mine + (a - BASE), len))
				bad++;
	tap_ok(!bad, "reads in the first mapping equal the file's bytes");
	/* across the two maps: page 1 twice (the second map starts at it) */
	bad = target_read(t, BASE + 2 * PAGE - 100, buf, 200, NULL) ||
	      memcmp(buf, mine + 2 * PAGE - 100, 100) || memcmp(buf + 100, mine + PAGE, 100);
	tap_ok(!bad, "a read across two mappings takes each from its own offset");
	/* the second map: file pages 1-5; the last one partly past the end */
	bad = 0;
	for (a = BASE + 2 * PAGE; a < BASE + 7 * PAGE; a += 331)
		for (len = 1; len <= 2 * PAGE; len = len * 3 + 1) {
			uint64_t foff = PAGE + (a - BASE - 2 * PAGE);
			int want_ok = foff + len <= 6 * PAGE;
			int r = target_read(t, a, buf, len, NULL);

			if (want_ok != !r || (!r && memcmp(buf, mine + foff, len)))
				bad++;
		}
	tap_ok(!bad, "in the second: the file's bytes, zeros after its end in its last page");
	memset(buf, 1, 200);
	tap_ok(!target_read(t, BASE + 2 * PAGE + 4 * PAGE + 100, buf, 200, NULL) &&
		       buf[22] == data[FILE_LEN - 1] && !buf[23] && !buf[199],
	       "the last byte of the file, then zeros");
	tap_ok(target_read(t, BASE + 7 * PAGE, buf, 8, &err) < 0 && err.code == HS_EREAD,
	       "outside every mapping: HS_EREAD");
	hs_error_clear(&err);
	tap_ok(t->lost_reads == 0, "no read was lost so far");

	/* shrink the file: pages past its new end cannot be read */
	if (ftruncate(fd, PAGE + 10)) {
		tap_ok(0, "truncate");
		return 1;
	}
	tap_ok(target_read(t, BASE + 2 * PAGE + 3 * PAGE, buf, 8, &err) < 0 && err.code == HS_EREAD,
	       "after the file shrank, its old pages fail as past its end");
	hs_error_clear(&err);
	tap_ok(!target_read(t, BASE + PAGE, buf, 10, NULL) && !memcmp(buf, data + PAGE, 10),
	       "and what it still has reads as before");

	munmap(mine, 6 * PAGE);
	close(fd);
	target_close(t);
	free(data);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
