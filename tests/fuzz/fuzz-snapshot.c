/*
 * fuzz-snapshot - every command that reads a snapshot file, over a file
 * whose bytes the fuzzer chooses.
 *
 * The input is written as a file, its header's size and checksum made to
 * agree with its bytes (snapshot_seal: a checksum guards against
 * accidents, and a crafted file passes it, so the checks behind it must
 * hold alone), and every command that takes a FILE runs on it
 * (snapcmds.h).  The browser needs a terminal and is left out.
 *
 * Checks: the file loads (snapshot_load) or every command refuses it
 * with a file error (exit 10); once it loads, no command fails with a
 * file error, and every one ends 0 or with a usage error (an address a
 * damaged index cannot find, a type name no option can carry).  An input
 * that starts as an ELF file or a compressed stream is left out: the
 * commands read it as a core file, which is fuzz-core's to fuzz.
 */
#include "config.h"
#include <string.h>
#include "base/error.h"
#include "fuzz.h"
#include "snapcmds.h"
#include "heap/snapshot.h"
#include "target/core.h"

const char fuzz_name[] = "snapshot";

#define MAX_FILE (1u << 20)

static char path[4096], out[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/in.hsnap", fuzz_scratch());
	snprintf(out, sizeof(out), "%s/out", fuzz_scratch());
	return 0;
}

static void check(void *ctx, const char *const *argv, int rc, const char *err)
{
	int loads = *(int *)ctx;

	(void)err;
	if (!loads)
		FUZZ_CHECK(rc == hs_exit_status(HS_EFILE),
			   "%s %s: exit %d on a file that does not load", argv[0], argv[1], rc);
	else
		FUZZ_CHECK(rc == 0 || rc == hs_exit_status(HS_EUSAGE),
			   "%s %s: exit %d on a file that loads", argv[0], argv[1], rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *file;
	int loads;

	/* an ELF file or a compressed stream is read as a core file (or
	 * refused as no core): fuzz-core's inputs, not a snapshot's */
	if (size > MAX_FILE || (size >= 4 && !memcmp(data, "\177ELF", 4)) || core_sniff(data, size))
		return 0;
	file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	snapshot_seal(file, size);
	fuzz_write_file(path, file, size);
	free(file);
	snapcmds_run(path, out, check, &loads, &loads);
	return 0;
}
