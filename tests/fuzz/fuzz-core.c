/*
 * fuzz-core - the core file reader over a file whose bytes the fuzzer
 * chooses (a core cut while it was written, damaged, or crafted).
 *
 * The input is read twice: by core_parse() over the bytes, as they are,
 * with core_sniff() and core_elf_build_id() over the input and over the
 * first page of each segment (each in an allocation of its own size, so
 * that a read past it is caught); then written as a file and opened as
 * heapscope opens a core FILE, target_core_open() (compressed inputs are
 * decompressed there), under a root that does not exist: no file the
 * core names is ever opened.  The target it makes is read as the
 * commands read it: its threads' registers, its mappings, memory at the
 * segments and the mappings, its executable, command line and thread
 * names.
 *
 * Checks: core_parse fails only as core.h says (HS_ENOTCORE,
 * HS_ETRUNCATED, HS_ENOMEM), leaving nothing held; what it hands out
 * stays inside the buffer (segments, file names NUL-terminated in it)
 * and keeps its promises (a thread at least, segments no longer in the
 * file than in memory, the bytes lost adding up, printable names).  The
 * build-id is lowercase hex.  target_core_open agrees with core_parse
 * on the same bytes (it fails as that failed; it may refuse a core that
 * parses only for its memory, HS_ENOTDUMPED); the target has a thread
 * per NT_PRSTATUS, the main one first, registers for each; its mappings
 * are in order and do not overlap; and a segment the file holds reads
 * back as the file's bytes.
 */
#include "config.h"
#include <string.h>
#include "fuzz.h"
#include "target/core.h"
#include "target/maps.h"
#include "target/target.h"

const char fuzz_name[] = "core";

#define ROOT "/nonexistent-root" /* no file the core names is opened */
#define ADDR_MAX (1ull << 56)	 /* target_read refuses addresses above */
#define MAX_CHECKED 256		 /* segments and threads checked one by one */

static char path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/core", fuzz_scratch());
	return 0;
}

static int is_hex(const char *s)
{
	size_t n = strlen(s);

	return n && !(n % 2) && strspn(s, "0123456789abcdef") == n;
}

/* core_elf_build_id over a copy of p[0, n) of exactly n bytes */
static void build_id(const unsigned char *p, size_t n)
{
	unsigned char *copy = malloc(n ? n : 1);
	char hex[64], small[41];

	if (!copy)
		return;
	memcpy(copy, p, n);
	if (!core_elf_build_id(copy, n, hex, sizeof(hex)))
		FUZZ_CHECK(is_hex(hex) && strlen(hex) < sizeof(hex),
			   "build-id not lowercase hex: %s", hex);
	if (!core_elf_build_id(copy, n, small, sizeof(small)))
		FUZZ_CHECK(is_hex(small) && strlen(small) < sizeof(small),
			   "build-id not lowercase hex: %s", small);
	free(copy);
}

static int inside(const uint8_t *data, size_t size, const void *p)
{
	return (const uint8_t *)p >= data && (const uint8_t *)p < data + size;
}

static void check_info(const struct core_info *ci, const uint8_t *data, size_t size)
{
	uint64_t lost = 0;
	size_t i;

	FUZZ_CHECK(ci->nthreads >= 1 && ci->nthreads <= CORE_MAX_THREADS && ci->threads,
		   "%zu threads", ci->nthreads);
	FUZZ_CHECK(ci->nseg <= CORE_MAX_SEGMENTS && (ci->seg || !ci->nseg), "%zu segments",
		   ci->nseg);
	FUZZ_CHECK(ci->nfiles <= CORE_MAX_FILES && (ci->files || !ci->nfiles), "%zu files",
		   ci->nfiles);
	for (i = 0; i < ci->nseg; i++) {
		const struct core_segment *s = &ci->seg[i];

		FUZZ_CHECK(s->memsz && s->vaddr <= UINT64_MAX - s->memsz,
			   "segment %zu: %llu bytes at 0x%llx", i, (unsigned long long)s->memsz,
			   (unsigned long long)s->vaddr);
		FUZZ_CHECK(s->filesz <= s->memsz && s->lost <= s->memsz - s->filesz,
			   "segment %zu: %llu bytes in the file, %llu lost, of %llu", i,
			   (unsigned long long)s->filesz, (unsigned long long)s->lost,
			   (unsigned long long)s->memsz);
		FUZZ_CHECK(!s->filesz || (s->offset < size && s->filesz <= size - s->offset),
			   "segment %zu: %llu bytes at %llu of a %zu-byte file", i,
			   (unsigned long long)s->filesz, (unsigned long long)s->offset, size);
		FUZZ_CHECK(!(s->prot & ~(unsigned)(MAP_R | MAP_W | MAP_X)), "segment %zu: prot %u",
			   i, s->prot);
		lost += s->lost;
	}
	FUZZ_CHECK(lost == ci->lost, "segments lose %llu bytes, the core %llu",
		   (unsigned long long)lost, (unsigned long long)ci->lost);
	FUZZ_CHECK(!ci->lost || ci->size > size, "%llu bytes lost from a complete file",
		   (unsigned long long)ci->lost);
	for (i = 0; i < ci->nfiles; i++) {
		const struct core_file_map *f = &ci->files[i];

		FUZZ_CHECK(f->start < f->end, "file %zu maps [0x%llx, 0x%llx)", i,
			   (unsigned long long)f->start, (unsigned long long)f->end);
		FUZZ_CHECK(f->path && inside(data, size, f->path) &&
				   memchr(f->path, '\0',
					  size - (size_t)((const uint8_t *)f->path - data)),
			   "file %zu: its name is not a string in the core", i);
	}
	for (i = 0; i < ci->nthreads; i++)
		FUZZ_CHECK(ci->threads[i].syscall >= -1 && ci->threads[i].syscall <= 4096,
			   "thread %zu in system call %ld", i, ci->threads[i].syscall);
	FUZZ_CHECK(!ci->fname[16] && !ci->psargs[80], "names not terminated");
	for (i = 0; ci->fname[i]; i++)
		FUZZ_CHECK((unsigned char)ci->fname[i] >= ' ', "control character in the name");
}

/* The segments target_core_open makes views of: the first of those that
 * overlap, as an image keeps them. */
static void kept_segments(const struct core_info *ci, unsigned char *kept)
{
	size_t i, j;

	for (i = 0; i < ci->nseg; i++) {
		const struct core_segment *s = &ci->seg[i];

		kept[i] = s->filesz > 0;
		for (j = 0; j < i && kept[i]; j++) {
			const struct core_segment *o = &ci->seg[j];

			if (kept[j] && s->vaddr < o->vaddr + o->filesz &&
			    o->vaddr < s->vaddr + s->filesz)
				kept[i] = 0;
		}
	}
}

/* Memory at the segments: a segment the image kept reads back as the
 * file's bytes, at its start, middle and end. */
static void read_segments(struct target *t, const struct core_info *ci, const uint8_t *data)
{
	unsigned char kept[MAX_CHECKED], buf[64];
	size_t i, k;

	if (ci->nseg > MAX_CHECKED)
		return;
	kept_segments(ci, kept);
	for (i = 0; i < ci->nseg; i++) {
		const struct core_segment *s = &ci->seg[i];
		uint64_t at[3] = { 0, s->filesz / 2, s->filesz > 8 ? s->filesz - 8 : 0 };
		struct hs_error err = HS_ERROR_INIT;

		/* past the end of what the file holds: there or not */
		target_read(t, s->vaddr + s->filesz, buf, 8, &err);
		hs_error_clear(&err);
		if (!kept[i] || s->vaddr + s->filesz > ADDR_MAX)
			continue;
		for (k = 0; k < 3; k++) {
			size_t n = s->filesz - at[k] < sizeof(buf) ? (size_t)(s->filesz - at[k])
								   : sizeof(buf);

			FUZZ_CHECK(!target_read(t, s->vaddr + at[k], buf, n, &err),
				   "segment %zu: cannot read %zu bytes at 0x%llx: %s", i, n,
				   (unsigned long long)(s->vaddr + at[k]), err.msg);
			FUZZ_CHECK(!memcmp(buf, data + s->offset + at[k], n),
				   "segment %zu: 0x%llx reads other bytes than the file's", i,
				   (unsigned long long)(s->vaddr + at[k]));
		}
	}
}

static void read_target(struct target *t, const struct core_info *ci, const uint8_t *data)
{
	struct hs_error err = HS_ERROR_INIT;
	struct target_regs r;
	struct maps m;
	char buf[4096];
	size_t i, k;

	FUZZ_CHECK(t->proc && t->ntids >= 1 && t->tids, "%zu threads", t->ntids);
	FUZZ_CHECK(t->proc->nmismatch == 0, "a file under %s was read", ROOT);
	FUZZ_CHECK(!strcmp(target_root(t, buf, sizeof(buf)), ROOT), "root %s", buf);
	if (ci) {
		FUZZ_CHECK(t->ntids == ci->nthreads && t->pid == ci->pid,
			   "%zu threads of %d, the core has %zu of %d", t->ntids, (int)t->pid,
			   ci->nthreads, (int)ci->pid);
		for (i = 0; i < ci->nthreads; i++)
			if (ci->threads[i].tid == ci->pid)
				FUZZ_CHECK(t->tids[0] == ci->pid, "the main thread is not first");
	}
	for (i = 0; i < t->ntids && i < MAX_CHECKED; i++) {
		FUZZ_CHECK(!target_regs(t, t->tids[i], &r, &err), "thread %d: %s", (int)t->tids[i],
			   err.msg);
		FUZZ_CHECK(r.ip == r.gpr[TARGET_RIP] && r.sp == r.gpr[TARGET_RSP] &&
				   r.bp == r.gpr[TARGET_RBP],
			   "thread %d: ip, sp, bp are not the registers", (int)t->tids[i]);
		for (k = 0; ci && k < ci->nthreads; k++)
			if (ci->threads[k].tid == t->tids[i])
				break;
		FUZZ_CHECK(
			!ci || (k < ci->nthreads && !memcmp(&ci->threads[k].regs, &r, sizeof(r))),
			"thread %d: not the core's registers", (int)t->tids[i]);
		target_thread_syscall(t, t->tids[i]);
		target_thread_name(t, t->tids[i], buf, sizeof(buf));
		/* the stack pointer, as the stack reader starts */
		target_read(t, r.sp, buf, 64, &err);
		hs_error_clear(&err);
	}
	if (!target_maps(t, &m, &err)) {
		for (i = 0; i < m.n; i++) {
			FUZZ_CHECK(m.v[i].start < m.v[i].end && m.v[i].path,
				   "mapping %zu: [0x%llx, 0x%llx)", i,
				   (unsigned long long)m.v[i].start,
				   (unsigned long long)m.v[i].end);
			FUZZ_CHECK(!i || m.v[i - 1].end <= m.v[i].start,
				   "mapping %zu out of order or overlapping", i);
			FUZZ_CHECK(maps_find(&m, m.v[i].start) == &m.v[i], "mapping %zu not found",
				   i);
			if (i < MAX_CHECKED) {
				target_read(t, m.v[i].start, buf, 16, &err);
				hs_error_clear(&err);
			}
		}
		maps_release(&m);
	} else {
		FUZZ_CHECK(err.code == HS_ENOMEM, "maps: %s", err.msg);
		hs_error_clear(&err);
	}
	if (ci)
		read_segments(t, ci, data);
	/* no NT_FILE note: no executable to name, said so */
	if (target_exe(t, buf, sizeof(buf), &err)) {
		FUZZ_CHECK(err.code == HS_EMISSING && !t->proc->exe[0], "exe: %s", err.msg);
		hs_error_clear(&err);
	}
	FUZZ_CHECK(target_cmdline(t, buf, sizeof(buf)) >= 0, "no command line");
	FUZZ_CHECK(!target_file_check(t, "/usr/bin/python3", &err), "file check: %s", err.msg);
	FUZZ_CHECK(!target_exited(t), "a core's process exited");
	/* a failed read said as the core's fault where it is */
	hs_error_set(&err, HS_EREAD, "a read failed");
	target_core_explain(t, &err);
	FUZZ_CHECK(err.code == HS_EREAD || err.code == HS_ETRUNCATED || err.code == HS_EMISSING,
		   "explained as %s", hs_code_name(err.code));
	hs_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_error err = HS_ERROR_INIT, err2 = HS_ERROR_INIT;
	struct core_info ci;
	struct target *t = NULL;
	int sniff, rc, rc2;
	size_t i;

	if (size > (8u << 20))
		return 0;
	sniff = core_sniff(data, size);
	FUZZ_CHECK(sniff >= 0 && sniff <= 2, "sniffed %d", sniff);
	rc = core_parse(data, size, &ci, &err);
	if (rc) {
		FUZZ_CHECK(err.code == HS_ENOTCORE || err.code == HS_ETRUNCATED ||
				   err.code == HS_ENOMEM,
			   "parse: %s: %s", hs_code_name(err.code), err.msg);
		FUZZ_CHECK(sniff == 1 || err.code == HS_ENOTCORE, "parse: not a core, yet %s",
			   hs_code_name(err.code));
		FUZZ_CHECK(!ci.seg && !ci.threads && !ci.files && !ci.nseg && !ci.nthreads,
			   "a failed parse holds something");
	} else {
		FUZZ_CHECK(sniff == 1, "parsed what does not start as a core");
		check_info(&ci, data, size);
	}
	build_id(data, size < 65536 ? size : 65536);
	for (i = 0; !rc && i < ci.nseg && i < MAX_CHECKED; i++)
		if (ci.seg[i].filesz)
			build_id(data + ci.seg[i].offset,
				 ci.seg[i].filesz < 4096 ? ci.seg[i].filesz : 4096);

	fuzz_write_file(path, data, size);
	rc2 = target_core_open(&t, path, ROOT, &err2);
	if (rc2) {
		FUZZ_CHECK(!t, "a failed open hands out a target");
		FUZZ_CHECK(err2.code == HS_ENOTCORE || err2.code == HS_ETRUNCATED ||
				   err2.code == HS_ENOTDUMPED || err2.code == HS_EFILE ||
				   err2.code == HS_ENOMEM,
			   "open: %s: %s", hs_code_name(err2.code), err2.msg);
		/* on the same bytes: a core that does not parse does not
		 * open, for the same reason */
		if (sniff == 1 && rc)
			FUZZ_CHECK(err2.code == err.code, "open: %s, parse: %s",
				   hs_code_name(err2.code), hs_code_name(err.code));
		if (sniff == 1 && !rc)
			FUZZ_CHECK(err2.code == HS_ENOTDUMPED || err2.code == HS_ENOMEM,
				   "a core that parses does not open: %s: %s",
				   hs_code_name(err2.code), err2.msg);
	} else {
		FUZZ_CHECK(sniff == 2 || (sniff == 1 && !rc), "opened what does not parse: %s",
			   err.msg);
		read_target(t, sniff == 1 ? &ci : NULL, data);
		target_close(t);
	}
	if (!rc)
		core_info_release(&ci);
	hs_error_clear(&err);
	hs_error_clear(&err2);
	return 0;
}
