/*
 * snapcmds.c - every command that reads a snapshot file (snapcmds.h).
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "fuzz.h"
#include "heap/heap.h"
#include "snapcmds.h"
#include "heap/snapshot.h"

#define ERR_MAX 4096

/* Run one command with stdout to /dev/null and stderr into err. */
static int run_one(const char *const *args, char *err, size_t len)
{
	const struct command *c = cmd_find(args[0]);
	char *argv[16], *text = NULL;
	size_t tlen = 0;
	int argc = 0, rc;
	FILE *mem;

	FUZZ_CHECK(c, "no command %s", args[0]);
	while (args[argc] && argc < 15) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	mem = open_memstream(&text, &tlen);
	FUZZ_CHECK(mem, "open_memstream");
	fuzz_quiet(1);
	stderr = mem;
	rc = c->run(c, argc, argv);
	fuzz_quiet(0);
	fclose(mem);
	snprintf(err, len, "%s", text ? text : "");
	free(text);
	return rc;
}

void snapcmds_run(const char *path, const char *out, snapcmds_check check, void *ctx, int *loads)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	char a0[32] = "0x1000", a1[32] = "0x1000", a2[32] = "0x1000", tname[256] = "dict";
	static char msg[ERR_MAX];
	const char *F = path;
	size_t i;

	/* what the commands are pointed at: objects and a type of it */
	heap_init(&h);
	*loads = !snapshot_load(&h, path, &err);
	FUZZ_CHECK(*loads || err.code == HS_EFILE, "load failed with %s: %s",
		   hs_code_name(err.code), err.msg);
	if (*loads && h.nobj) {
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
		int rc = run_one(cmds[i], msg, sizeof(msg));

		check(ctx, cmds[i], rc, msg);
	}
	unlink(out);
}
