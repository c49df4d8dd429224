/*
 * core.c - read an ELF core file's headers and notes (see core.h).
 *
 * The layouts are those the Linux kernel writes for x86_64 (and gdb's
 * gcore writes the same): struct elf_prstatus with user_regs_struct in
 * NT_PRSTATUS, struct elf_prpsinfo in NT_PRPSINFO, the NT_FILE table of
 * mapped files, the auxiliary vector in NT_AUXV.  Nothing here trusts the
 * file: each read is checked against the buffer first.
 */
#include "config.h"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "decompress.h"
#include "maps.h"

/* The parts of the notes' structures read here (x86_64 Linux). */
#define PRSTATUS_SIZE 336
#define PRSTATUS_PID 32
#define PRSTATUS_REGS 112
#define PRPSINFO_SIZE 136
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define PRPSINFO_PSARGS 56

/* user_regs_struct, in 8-byte words */
enum {
	UR_R15,
	UR_R14,
	UR_R13,
	UR_R12,
	UR_RBP,
	UR_RBX,
	UR_R11,
	UR_R10,
	UR_R9,
	UR_R8,
	UR_RAX,
	UR_RCX,
	UR_RDX,
	UR_RSI,
	UR_RDI,
	UR_ORIG_RAX,
	UR_RIP,
	UR_CS,
	UR_EFLAGS,
	UR_RSP,
	UR_SS,
	UR_FS_BASE,
	UR_GS_BASE,
	UR_N = 27
};

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int core_sniff(const unsigned char *buf, size_t len)
{
	if (len >= 18 && !memcmp(buf, ELFMAG, SELFMAG)) {
		uint16_t type;

		memcpy(&type, buf + 16, sizeof(type));
		if (type == ET_CORE)
			return 1;
	}
	if (decompress_known(buf, len))
		return 2;
	return 0;
}

static void regs_from(struct target_regs *r, const unsigned char *ur)
{
	static const int gpr[TARGET_NGPR] = {
		[TARGET_RAX] = UR_RAX, [TARGET_RDX] = UR_RDX, [TARGET_RCX] = UR_RCX,
		[TARGET_RBX] = UR_RBX, [TARGET_RSI] = UR_RSI, [TARGET_RDI] = UR_RDI,
		[TARGET_RBP] = UR_RBP, [TARGET_RSP] = UR_RSP, [TARGET_R8] = UR_R8,
		[TARGET_R9] = UR_R9,   [TARGET_R10] = UR_R10, [TARGET_R11] = UR_R11,
		[TARGET_R12] = UR_R12, [TARGET_R13] = UR_R13, [TARGET_R14] = UR_R14,
		[TARGET_R15] = UR_R15, [TARGET_RIP] = UR_RIP,
	};
	int i;

	for (i = 0; i < TARGET_NGPR; i++)
		r->gpr[i] = get64(ur + 8 * gpr[i]);
	r->ip = r->gpr[TARGET_RIP];
	r->sp = r->gpr[TARGET_RSP];
	r->bp = r->gpr[TARGET_RBP];
	r->fs_base = get64(ur + 8 * UR_FS_BASE);
}

static int add_thread(struct core_info *ci, const unsigned char *d, size_t n, struct hs_error *err)
{
	struct target_thread *th;

	if (n < PRSTATUS_SIZE)
		return 0; /* not the x86_64 layout: ignored */
	if (ci->nthreads == CORE_MAX_THREADS)
		return hs_error_set(err, HS_ENOTCORE, "more than %d threads in the core",
				    CORE_MAX_THREADS);
	if (!(ci->nthreads & (ci->nthreads - 1)) || !ci->nthreads) {
		size_t cap = ci->nthreads ? 2 * ci->nthreads : 4;
		struct target_thread *nt = realloc(ci->threads, cap * sizeof(*nt));

		if (!nt)
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		ci->threads = nt;
	}
	th = &ci->threads[ci->nthreads++];
	memset(th, 0, sizeof(*th));
	th->tid = (pid_t)get32(d + PRSTATUS_PID);
	regs_from(&th->regs, d + PRSTATUS_REGS);
	th->syscall = (long)get64(d + PRSTATUS_REGS + 8 * UR_ORIG_RAX);
	if (th->syscall < 0 || th->syscall > 4096)
		th->syscall = -1;
	return 0;
}

/* NT_FILE: count, page size, count x (start, end, page offset), then
 * count NUL-terminated names. */
static int add_files(struct core_info *ci, const unsigned char *d, size_t n, struct hs_error *err)
{
	uint64_t count, page, i;
	const unsigned char *names, *end = d + n;

	if (n < 16 || ci->files)
		return 0;
	count = get64(d);
	page = get64(d + 8);
	if (!count || count > CORE_MAX_FILES || count > (n - 16) / 24 || !page || page > (1u << 30))
		return 0;
	ci->files = calloc(count, sizeof(*ci->files));
	if (!ci->files)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	names = d + 16 + count * 24;
	for (i = 0; i < count; i++) {
		const unsigned char *e = d + 16 + i * 24;
		const unsigned char *nul =
			names < end ? memchr(names, '\0', (size_t)(end - names)) : NULL;
		uint64_t pg = get64(e + 16);

		if (!nul)
			break;
		/* in address order, not overlapping, as the kernel and gdb
		 * write them: what is not is left out (lookups bisect) */
		if (get64(e) < get64(e + 8) && pg <= UINT64_MAX / page &&
		    (!ci->nfiles || get64(e) >= ci->files[ci->nfiles - 1].end)) {
			struct core_file_map *f = &ci->files[ci->nfiles++];

			f->start = get64(e);
			f->end = get64(e + 8);
			f->offset = pg * page;
			f->path = (const char *)names;
		}
		names = nul + 1;
	}
	return 0;
}

static void read_auxv(struct core_info *ci, const unsigned char *d, size_t n)
{
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		uint64_t type = get64(d + i);

		if (type == AT_NULL) {
			ci->auxv = d;
			ci->auxv_len = i + 16;
			break;
		}
		if (type == AT_ENTRY)
			ci->entry = get64(d + i + 8);
		if (type == AT_EXECFN)
			ci->execfn = get64(d + i + 8);
	}
}

static void read_psinfo(struct core_info *ci, const unsigned char *d, size_t n)
{
	size_t i;

	if (n < PRPSINFO_SIZE)
		return;
	ci->pid = (pid_t)get32(d + PRPSINFO_PID);
	memcpy(ci->fname, d + PRPSINFO_FNAME, 16);
	ci->fname[16] = '\0';
	memcpy(ci->psargs, d + PRPSINFO_PSARGS, 80);
	ci->psargs[80] = '\0';
	/* printed to terminals: no control characters */
	for (i = 0; ci->fname[i]; i++)
		if ((unsigned char)ci->fname[i] < ' ' || ci->fname[i] == 0x7f)
			ci->fname[i] = '?';
	for (i = 0; ci->psargs[i]; i++)
		if ((unsigned char)ci->psargs[i] < ' ' || ci->psargs[i] == 0x7f)
			ci->psargs[i] = '?';
}

/* Each note: namesz, descsz, type, then the name and the description,
 * each padded to 4 bytes. */
static int read_notes(struct core_info *ci, const unsigned char *d, size_t n, struct hs_error *err)
{
	size_t at = 0;

	while (n - at >= 12) {
		uint32_t namesz = get32(d + at), descsz = get32(d + at + 4),
			 type = get32(d + at + 8);
		size_t name_at = at + 12, desc_at, next;
		const char *name = (const char *)d + name_at;

		if (namesz > n - name_at)
			break;
		desc_at = name_at + ((namesz + 3u) & ~3u);
		if (desc_at > n || descsz > n - desc_at)
			break;
		next = desc_at + ((descsz + 3ull) & ~3ull);
		if (namesz >= 5 && !memcmp(name, "CORE", 5)) {
			const unsigned char *desc = d + desc_at;
			int ret = 0;

			if (type == NT_PRSTATUS)
				ret = add_thread(ci, desc, descsz, err);
			else if (type == NT_PRPSINFO)
				read_psinfo(ci, desc, descsz);
			else if (type == NT_FILE)
				ret = add_files(ci, desc, descsz, err);
			else if (type == NT_AUXV)
				read_auxv(ci, desc, descsz);
			else if (type == NT_SIGINFO && descsz >= 4)
				ci->signal = (int)get32(desc);
			if (ret)
				return -1;
		}
		if (next <= at || next > n)
			break;
		at = next;
	}
	return 0;
}

int core_parse(const unsigned char *buf, size_t len, struct core_info *ci, struct hs_error *err)
{
	Elf64_Ehdr eh;
	size_t i;

	memset(ci, 0, sizeof(*ci));
	if (core_sniff(buf, len) != 1)
		return hs_error_set(err, HS_ENOTCORE, "not an ELF core file");
	if (len < sizeof(eh))
		return hs_error_set(err, HS_ETRUNCATED, "the core file ends in its ELF header");
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return hs_error_set(err, HS_ENOTCORE, "not the core file of an x86_64 process");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum == PN_XNUM)
		return hs_error_set(err, HS_ENOTCORE,
				    "the core file has no usable program headers");
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return hs_error_set(err, HS_ETRUNCATED,
				    "the core file ends in its program headers (%zu bytes)", len);
	ci->seg = calloc(eh.e_phnum, sizeof(*ci->seg));
	if (!ci->seg)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	ci->size = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	/* gdb writes section headers last: a file cut there is cut too */
	if (eh.e_shoff && eh.e_shoff <= UINT64_MAX - (uint64_t)eh.e_shnum * eh.e_shentsize &&
	    eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize > ci->size)
		ci->size = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t have;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_offset > UINT64_MAX - ph.p_filesz)
			continue;
		if (ph.p_offset + ph.p_filesz > ci->size)
			ci->size = ph.p_offset + ph.p_filesz;
		have = ph.p_offset >= len		 ? 0
		       : ph.p_filesz > len - ph.p_offset ? len - ph.p_offset
							 : ph.p_filesz;
		if (ph.p_type == PT_NOTE) {
			if (have < ph.p_filesz)
				ci->notes_lost = 1;
			/* an offset past the end makes no pointer: nothing to read */
			if (read_notes(ci, have ? buf + ph.p_offset : buf, (size_t)have, err))
				goto fail;
		} else if (ph.p_type == PT_LOAD && ph.p_memsz &&
			   ph.p_vaddr <= UINT64_MAX - ph.p_memsz && ph.p_filesz <= ph.p_memsz &&
			   /* in address order, as written: others left out */
			   (!ci->nseg || ph.p_vaddr >= ci->seg[ci->nseg - 1].vaddr +
							       ci->seg[ci->nseg - 1].memsz)) {
			struct core_segment *s = &ci->seg[ci->nseg++];

			s->vaddr = ph.p_vaddr;
			s->memsz = ph.p_memsz;
			s->offset = ph.p_offset;
			s->filesz = have;
			s->lost = ph.p_filesz - have;
			s->prot = (ph.p_flags & PF_R ? MAP_R : 0) |
				  (ph.p_flags & PF_W ? MAP_W : 0) | (ph.p_flags & PF_X ? MAP_X : 0);
			ci->lost += s->lost;
		}
	}
	if (!ci->nthreads) {
		if (ci->notes_lost)
			hs_error_set(err, HS_ETRUNCATED,
				     "the core file is truncated: %zu of %llu bytes, its "
				     "notes cut",
				     len, (unsigned long long)ci->size);
		else
			hs_error_set(err, HS_ENOTCORE, "the core file names no thread");
		goto fail;
	}
	/* the process's own pid: its main thread's, when the notes do not
	 * say (gcore and the kernel both write NT_PRPSINFO) */
	if (ci->pid <= 0)
		ci->pid = ci->threads[0].tid;
	if (ci->pid <= 0) {
		hs_error_set(err, HS_ENOTCORE, "the core file names no process (pid %d)",
			     (int)ci->pid);
		goto fail;
	}
	return 0;
fail:
	core_info_release(ci);
	return -1;
}

void core_info_release(struct core_info *ci)
{
	free(ci->seg);
	free(ci->threads);
	free(ci->files);
	memset(ci, 0, sizeof(*ci));
}

int core_elf_build_id(const unsigned char *page, size_t len, char *hex, size_t hexlen)
{
	Elf64_Ehdr eh;
	size_t i;

	if (len < sizeof(eh) || memcmp(page, ELFMAG, SELFMAG) || hexlen < 41)
		return -1;
	memcpy(&eh, page, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return -1;
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		size_t at, end;

		memcpy(&ph, page + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		at = (size_t)ph.p_offset;
		end = at + (size_t)ph.p_filesz;
		/* a last description padded to 4 can take at past end */
		while (at <= end && end - at >= 12) {
			uint32_t namesz = get32(page + at), descsz = get32(page + at + 4),
				 type = get32(page + at + 8);
			size_t desc = at + 12 + ((namesz + 3u) & ~3u), k;

			if (namesz > end - at - 12 || desc > end || descsz > end - desc)
				break;
			if (type == NT_GNU_BUILD_ID && namesz == 4 &&
			    !memcmp(page + at + 12, "GNU", 4) && descsz && descsz * 2 < hexlen) {
				for (k = 0; k < descsz; k++)
					snprintf(hex + 2 * k, 3, "%02x", page[desc + k]);
				return 0;
			}
			at = desc + ((descsz + 3u) & ~3u);
		}
	}
	return -1;
}
