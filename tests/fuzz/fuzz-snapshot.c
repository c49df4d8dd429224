/*
 * fuzz-snapshot - every command that reads a snapshot file, over a file
 * whose bytes the fuzzer chooses.
 *
 * The input is written as a file, its header's size and checksum made to
 * agree with its bytes (snapshot_seal: a checksum guards against
 * accidents, and a crafted file passes it, so the checks behind it must
 * hold alone), and every command that takes a FILE runs on it as a user
 * would run it, text and --json: info, stacks, top (by count, size and
 * retained), show and path at objects of the file, objects of its first
 * type, suspects, garbage, diff of the file with itself, and each export.
 * Output goes to /dev/null.
 *
 * Checks: the file loads (snapshot_load) or every command refuses it
 * with a file error (exit 10); once it loads, no command fails with a
 * file error, and every one ends 0 or with a usage error (an object
 * address that a damaged index cannot find).  The browser needs a
 * terminal and is left out.
 */
#include "config.h"
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "error.h"
#include "fuzz.h"
#include "heap.h"
#include "snapshot.h"

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

static int run(const char *const *args)
{
	char *argv[16];
	const struct command *c = cmd_find(args[0]);
	int argc = 0, rc;

	FUZZ_CHECK(c, "no command %s", args[0]);
	while (args[argc] && argc < 15) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	fuzz_quiet(1);
	rc = c->run(argc, argv);
	fuzz_quiet(0);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_error err = HS_ERROR_INIT;
	unsigned char *file;
	struct heap h;
	char a0[32], a1[32], a2[32], tname[256];
	const char *F = path;
	int loads, efile = hs_exit_status(HS_EFILE), eusage = hs_exit_status(HS_EUSAGE);
	size_t i;

	if (size > MAX_FILE)
		return 0;
	file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	snapshot_seal(file, size);
	fuzz_write_file(path, file, size);
	free(file);

	/* what the commands will be pointed at: objects and a type of it */
	strcpy(a0, "0x1000");
	strcpy(a1, "0x1000");
	strcpy(a2, "0x1000");
	strcpy(tname, "dict");
	heap_init(&h);
	loads = !snapshot_load(&h, path, &err);
	FUZZ_CHECK(loads || err.code == HS_EFILE, "load failed with %s: %s", hs_code_name(err.code),
		   err.msg);
	if (loads && h.nobj) {
		size_t len;
		const char *tn;

		snprintf(a0, sizeof(a0), "0x%llx", (unsigned long long)h.obj[0].addr);
		snprintf(a1, sizeof(a1), "0x%llx", (unsigned long long)h.obj[h.nobj / 2].addr);
		snprintf(a2, sizeof(a2), "%llu", (unsigned long long)h.obj[h.nobj - 1].addr);
		tn = heap_str(&h, h.types[h.obj[0].type].name, &len);
		if (len && len < sizeof(tname) && !memchr(tn, 0, len)) {
			memcpy(tname, tn, len);
			tname[len] = '\0';
		}
	}
	heap_release(&h);

	{
		const char *const cmds[][12] = {
			{ "info", F },
			{ "info", "--json", F },
			{ "stacks", F },
			{ "stacks", "--json", F },
			{ "top", F },
			{ "top", "--by", "size", "-n", "5", F },
			{ "top", "--by", "retained", "--json", F },
			{ "show", F, a0 },
			{ "show", "--json", F, a1 },
			{ "path", F, a1 },
			{ "path", "--json", F, a2 },
			{ "objects", "--type", tname, F },
			{ "objects", "--json", "--type", tname, F },
			{ "suspects", "--threshold", "1", F },
			{ "suspects", "--json", F },
			{ "garbage", F },
			{ "garbage", "--json", F },
			{ "diff", F, F },
			{ "diff", "--json", F, F },
			{ "export", "--format", "meliae", F },
			{ "export", "--format", "heapsnapshot", F },
			{ "export", "--format", "dot", "--root", a0, F },
			{ "export", "--format", "dot", "--backrefs", "--root", a2, F },
			{ "export", "--format", "sqlite", "--force", "-o", out, F },
		};

		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			int rc = run(cmds[i]);

			if (!loads)
				FUZZ_CHECK(rc == efile,
					   "%s %s: exit %d on a file that does not "
					   "load",
					   cmds[i][0], cmds[i][1], rc);
			else
				FUZZ_CHECK(rc == 0 || rc == eusage,
					   "%s %s: exit %d on a file that loads", cmds[i][0],
					   cmds[i][1], rc);
		}
	}
	unlink(out);
	return 0;
}
