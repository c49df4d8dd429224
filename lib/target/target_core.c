/*
 * target_core.c - a target over an ELF core file (see target.h).
 *
 * The core is mapped (or decompressed into memory) whole; it becomes an
 * image whose regions are views of its segments, with the process's
 * threads and registers and mappings in t->proc.  What the core left out
 * - code and read-only data of mapped files - is read from the files
 * themselves, found under the root (--sysroot) through the NT_FILE note;
 * an ELF file whose build-id differs from the one the core recorded in
 * its first page is refused, never read.
 */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"
#include "decompress.h"
#include "image.h"
#include "maps.h"
#include "target.h"

#define PAGE 4096u

int target_core_sniff(const char *path)
{
	unsigned char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && core_sniff(buf, (size_t)n) ? 1 : 0;
}

/* The file at path, mapped or decompressed, into *map, *len. */
static int load(const char *path, void **map, size_t *len, struct hs_error *err)
{
	unsigned char head[64];
	struct stat st;
	ssize_t n;
	int fd, kind, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hs_error_errno(err, HS_EFILE, errno, "cannot open %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		hs_error_set(err, HS_ENOTCORE, "%s is not a regular file", path);
		goto out;
	}
	n = pread(fd, head, sizeof(head), 0);
	kind = n > 0 ? core_sniff(head, (size_t)n) : 0;
	if (!kind) {
		hs_error_set(err, HS_ENOTCORE, "%s is not a core file", path);
		goto out;
	}
	if (kind == 2) {
		/* kept in memory: as much as a copy of a process may take */
		rc = decompress_file(fd, path, (size_t)image_default_budget(), map, len, err);
		goto out;
	}
	*len = (size_t)st.st_size;
	if (!*len) {
		hs_error_set(err, HS_ENOTCORE, "%s is empty", path);
		goto out;
	}
	/* private and writable: the walk may patch its copy (it tags each
	 * object seen), never the file.  Faulted in as the walk goes: a
	 * core is mostly memory the walk never reads (free arenas, stacks,
	 * buffers), and gcore writes it as holes */
	*map = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (*map == MAP_FAILED) {
		hs_error_errno(err, HS_EFILE, errno, "cannot map %s", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The ELF file's build-id from its first page on disk; -1 if none. */
static int file_build_id(int fd, char *hex, size_t len)
{
	unsigned char page[PAGE];
	ssize_t n = pread(fd, page, sizeof(page), 0);

	return n > 0 ? core_elf_build_id(page, (size_t)n, hex, len) : -1;
}

static void note_missing(struct target_process *p, const char *path)
{
	size_t at = strlen(p->missing);

	if (p->nmissing++ < 4)
		snprintf(p->missing + at, sizeof(p->missing) - at, "%s%s", at ? ", " : "", path);
}

/* The file the process mapped as name, under root (path): a regular
 * file only (never a FIFO, a device), and a name that cannot climb out
 * of the root; -1 if not. */
static int open_mapped(const char *path, const char *name)
{
	struct stat st;
	int fd;

	if (name[0] != '/' || strstr(name, "/../") || strstr(name, "/..\0"))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A file not to read: another build than the one that ran. */
static int note_mismatch(struct target_process *p, const char *path, const char *want,
			 const char *have)
{
	struct target_mismatch *m;

	if (!(p->nmismatch & (p->nmismatch - 1))) {
		m = realloc(p->mismatch, (p->nmismatch ? 2 * p->nmismatch : 1) * sizeof(*m));
		if (!m)
			return -1;
		p->mismatch = m;
	}
	m = &p->mismatch[p->nmismatch];
	if (!(m->path = strdup(path)))
		return -1;
	snprintf(m->want, sizeof(m->want), "%s", want);
	snprintf(m->have, sizeof(m->have), "%s", have);
	p->nmismatch++;
	return 0;
}

int target_file_check(struct target *t, const char *path, struct hs_error *err)
{
	size_t i;

	for (i = 0; t && t->proc && i < t->proc->nmismatch; i++) {
		const struct target_mismatch *m = &t->proc->mismatch[i];

		if (strcmp(m->path, path))
			continue;
		hs_error_set(err, HS_EMISMATCH,
			     "%s%s is not the file process %d mapped: its build-id is %s, the "
			     "core's %s",
			     t->proc->root, path, (int)t->pid, m->have, m->want);
		hs_error_hint(err, "give the files of the machine the core comes from with "
				   "--sysroot=DIR");
		return -1;
	}
	return 0;
}

/*
 * Open each mapped file once under root and map it into the files
 * target.  A file that is not there is noted (reads there fail); an ELF
 * file the core holds the first page of must have the build-id recorded
 * there, else it is left out and noted: what needs it refuses it
 * (target_file_check), what does not goes on.
 */
static int add_files(struct target *t, struct target *files, const struct core_info *ci,
		     struct hs_error *err)
{
	struct target_process *p = t->proc;
	int *fileno = calloc(ci->nfiles ? ci->nfiles : 1, sizeof(int));
	size_t i;

	if (!fileno)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	for (i = 0; i < ci->nfiles; i++) {
		const struct core_file_map *f = &ci->files[i];
		char path[PATH_MAX + 4096], want[64], have[64];
		const unsigned char *page;
		int fd;

		/* a file's mappings come one after the other: opened once */
		fileno[i] = i && !strcmp(ci->files[i - 1].path, f->path) ? fileno[i - 1] : -2;
		if (fileno[i] == -2) {
			fileno[i] = -1;
			snprintf(path, sizeof(path), "%s%s", p->root, f->path);
			fd = open_mapped(path, f->path);
			if (fd < 0) {
				/* deleted files, shared memory: never there to read */
				if (!strstr(f->path, " (deleted)") &&
				    strncmp(f->path, "/dev/", 5) && strncmp(f->path, "/memfd:", 7))
					note_missing(p, f->path);
				continue;
			}
			/* the first page of an ELF file mapped from its start is
			 * in the core: its build-id is that of the file that ran */
			page = f->offset ? NULL : target_image_ptr(t, f->start, PAGE);
			if (page && !core_elf_build_id(page, PAGE, want, sizeof(want))) {
				if (file_build_id(fd, have, sizeof(have)))
					snprintf(have, sizeof(have), "none");
				if (strcmp(want, have)) {
					close(fd);
					if (note_mismatch(p, f->path, want, have)) {
						free(fileno);
						return hs_error_set(err, HS_ENOMEM,
								    "out of memory");
					}
					continue;
				}
			}
			/* past the files target's limit: left out, as missing */
			fileno[i] = target_files_add_file(files, fd, NULL);
			if (fileno[i] < 0)
				note_missing(p, f->path);
		}
		if (fileno[i] >= 0 && !(f->start % PAGE) && !(f->end % PAGE) &&
		    target_files_add_map(files, f->start, f->end, f->offset, fileno[i], NULL))
			continue; /* overlapping or unaligned: left out */
	}
	free(fileno);
	return 0;
}

/* The file mapped at addr: its entry, or NULL. */
static const struct core_file_map *file_at(const struct core_info *ci, uint64_t addr)
{
	size_t lo = 0, hi = ci->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < ci->files[mid].start)
			hi = mid;
		else if (addr >= ci->files[mid].end)
			lo = mid + 1;
		else
			return &ci->files[mid];
	}
	return NULL;
}

static int add_map(struct maps *m, const struct map_entry *e, const char *path,
		   struct hs_error *err)
{
	/* out of order or overlapping: not a kernel's nor gdb's; past the
	 * most a process has: left out */
	if ((m->n && e->start < m->v[m->n - 1].end) || m->n == MAPS_MAX)
		return 0;
	return maps_add(m, e, path, err);
}

/*
 * The mapping list: the segments, named by the file mapped there, and
 * the files mapped where the core has no segment (gcore leaves code
 * out), in address order.  Writable memory neither in the core nor in
 * a file is counted: the core lacks it.
 */
static int build_maps(struct target_process *p, const struct core_info *ci, uint64_t *anon,
		      uint64_t *undumped, struct hs_error *err)
{
	size_t i = 0, k = 0;

	p->maps = calloc(1, sizeof(*p->maps));
	if (!p->maps)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	while (i < ci->nseg || k < ci->nfiles) {
		const struct core_segment *s = i < ci->nseg ? &ci->seg[i] : NULL;
		const struct core_file_map *f = k < ci->nfiles ? &ci->files[k] : NULL;
		struct map_entry e = { 0 };
		const char *path = "";

		if (s && (!f || s->vaddr <= f->start)) {
			const struct core_file_map *in = file_at(ci, s->vaddr);

			e.start = s->vaddr;
			e.end = s->vaddr + s->memsz;
			e.prot = s->prot;
			if (in) {
				path = in->path;
				e.offset = in->offset + (s->vaddr - in->start);
			} else if (s->prot & MAP_W) {
				*anon += s->memsz;
				if (!s->filesz && !s->lost)
					*undumped += s->memsz;
			}
			i++;
		} else {
			e.start = f->start;
			e.end = f->end;
			e.offset = f->offset;
			e.prot = MAP_R; /* the core does not say more */
			path = f->path;
			k++;
		}
		if (add_map(p->maps, &e, path, err))
			return -1;
	}
	maps_done(p->maps);
	return 0;
}

static int fill_process(struct target *t, const struct core_info *ci, const char *root,
			struct hs_error *err)
{
	struct target_process *p = t->proc;
	size_t i, n;

	t->pid = ci->pid;
	snprintf(p->root, sizeof(p->root), "%s", root && strcmp(root, "/") ? root : "");
	/* a root ending in '/' would double the one paths start with */
	n = strlen(p->root);
	while (n && p->root[n - 1] == '/')
		p->root[--n] = '\0';
	snprintf(p->comm, sizeof(p->comm), "%s", ci->fname);
	/* prpsinfo keeps the first 80 bytes of the arguments, spaces between
	 * them: the whole command line is in the process's memory, but
	 * that is where it was, not what it is now */
	snprintf(p->cmdline, sizeof(p->cmdline), "%s", ci->psargs);
	p->cmdline_len = strlen(p->cmdline);
	/* the executable: the file mapped where the program's entry point
	 * (AT_ENTRY) is; else the file at the lowest address */
	for (i = 0; i < ci->nfiles; i++)
		if (ci->files[i].start <= ci->entry && ci->entry < ci->files[i].end)
			break;
	if (ci->nfiles)
		snprintf(p->exe, sizeof(p->exe), "%s", ci->files[i < ci->nfiles ? i : 0].path);
	/* t->tids in the same allocation, after the threads: target_close
	 * frees p->threads, and no image frees t->tids */
	p->threads = malloc(ci->nthreads * (sizeof(*p->threads) + sizeof(*t->tids)));
	if (!p->threads)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	t->tids = (pid_t *)(p->threads + ci->nthreads);
	/* main thread first, then in the core's order */
	for (i = 0; i < ci->nthreads; i++)
		if (ci->threads[i].tid == ci->pid)
			p->threads[p->nthreads++] = ci->threads[i];
	for (i = 0; i < ci->nthreads; i++)
		if (ci->threads[i].tid != ci->pid)
			p->threads[p->nthreads++] = ci->threads[i];
	for (i = 0; i < p->nthreads; i++)
		t->tids[i] = p->threads[i].tid;
	t->ntids = p->nthreads;
	return 0;
}

/*
 * The whole command line, from the process's stack: the kernel laid out
 * argc, argv[], NULL, envp[], NULL and then the auxiliary vector the
 * core's NT_AUXV copies, on the stack that holds AT_EXECFN's string.
 * Found there, the argument pointers are read back from it; every one
 * must point into that stack.  prpsinfo keeps 80 bytes at most (gcore:
 * the executable alone).
 */
#define MAX_ARGS 4096
#define MAX_ENVS 65536

static void cmdline_from_stack(struct target *t, const struct core_info *ci)
{
	struct target_process *p = t->proc;
	uint64_t lo, at;
	size_t len, i, n, envs = 0, used = 0;
	unsigned char *data, *hit;
	uint64_t w;

	if (!ci->auxv || !ci->execfn || ci->auxv_len < 32 ||
	    target_image_region(t, ci->execfn, &lo, &len, &data) ||
	    !(hit = memmem(data, len, ci->auxv, ci->auxv_len)) || (size_t)(hit - data) < 8 ||
	    (hit - data) % 8)
		return;
	/* back over envp[] and its NULL, then argv[] and its NULL */
	at = (uint64_t)(hit - data) - 8;
	if (memcpy(&w, data + at, 8), w)
		return; /* envp's NULL */
	while (at >= 8 && envs < MAX_ENVS && (memcpy(&w, data + at - 8, 8), w)) {
		at -= 8;
		envs++;
	}
	if (at < 8)
		return;
	at -= 8; /* argv's NULL */
	for (n = 0; at >= 8 && n <= MAX_ARGS; n++) {
		at -= 8;
		memcpy(&w, data + at, 8);
		if (w == n && n)
			break; /* argc */
		if (w < lo || w - lo >= len)
			return;
	}
	if (w != n || !n)
		return;
	for (i = 0; i < n; i++) {
		uint64_t a;
		size_t k;

		memcpy(&a, data + at + 8 + 8 * i, 8);
		k = strnlen((char *)data + (a - lo), len - (a - lo));
		if (a - lo + k >= len || used + k + 1 > sizeof(p->cmdline))
			break;
		memcpy(p->cmdline + used, data + (a - lo), k + 1);
		used += k + 1;
	}
	/* cut by our buffer: as many arguments as fit, whole; the last
	 * one's NUL is the end.  Printed to terminals: no control
	 * characters */
	for (i = 0; i < used; i++)
		if (p->cmdline[i] && ((unsigned char)p->cmdline[i] < ' ' || p->cmdline[i] == 0x7f))
			p->cmdline[i] = '?';
	if (used)
		p->cmdline_len = used - 1;
}

int target_core_open(struct target **out, const char *path, const char *root, struct hs_error *err)
{
	struct core_info ci;
	struct target *t = NULL, *files = NULL;
	uint64_t anon = 0, undumped = 0;
	void *map = NULL;
	size_t len = 0, i;

	*out = NULL;
	if (load(path, &map, &len, err))
		return -1;
	if (core_parse(map, len, &ci, err)) {
		munmap(map, len);
		if (err)
			hs_error_hint(err, ci.notes_lost
						   ? "the core was cut while it was written or "
						     "copied: take it again"
						   : "give a core file (gcore PID, or the "
						     "kernel's), a snapshot file or a PID");
		return -1;
	}
	t = target_image_new();
	if (!t || !(t->proc = calloc(1, sizeof(*t->proc))) || !(files = target_files_new())) {
		if (t)
			target_close(t);
		munmap(map, len);
		core_info_release(&ci);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	target_image_hold(t, map, len);
	target_image_own_fallback(t, files);
	t->frozen = 1; /* it never runs: registers can always be read */
	t->proc->lost = ci.lost;
	t->proc->size = ci.size;
	t->proc->file_size = len;
	if (fill_process(t, &ci, root, err))
		goto fail;
	for (i = 0; i < ci.nseg; i++)
		if (ci.seg[i].filesz &&
		    target_image_add_view(t, ci.seg[i].vaddr,
					  (unsigned char *)map + ci.seg[i].offset,
					  (size_t)ci.seg[i].filesz, NULL))
			continue; /* overlapping: not a kernel's; the first kept */
	if (build_maps(t->proc, &ci, &anon, &undumped, err) || add_files(t, files, &ci, err))
		goto fail;
	cmdline_from_stack(t, &ci);
	if (anon && undumped == anon) {
		hs_error_set(err, HS_ENOTDUMPED,
			     "%s holds none of the writable memory of process %d (%llu bytes "
			     "left out)",
			     path, (int)t->pid, (unsigned long long)undumped);
		hs_error_hint(err, "the process's /proc/PID/coredump_filter left its anonymous "
				   "memory out: keep bits 0 and 1 set (the default, 0x33)");
		goto fail;
	}
	if (len < ci.size)
		snprintf(t->proc->warning, sizeof(t->proc->warning),
			 "%s is truncated: %zu of %llu bytes (%llu bytes of memory missing%s); "
			 "reads there fail",
			 path, len, (unsigned long long)ci.size, (unsigned long long)ci.lost,
			 ci.notes_lost ? ", its notes cut" : "");
	else if (undumped)
		snprintf(t->proc->warning, sizeof(t->proc->warning),
			 "%llu bytes of writable memory are not in %s "
			 "(coredump_filter, MADV_DONTDUMP): reads there fail",
			 (unsigned long long)undumped, path);
	else if (t->proc->nmismatch)
		snprintf(t->proc->warning, sizeof(t->proc->warning),
			 "%zu mapped file%s differ%s from the one%s the process ran (first: "
			 "%s%s): not read",
			 t->proc->nmismatch, t->proc->nmismatch == 1 ? "" : "s",
			 t->proc->nmismatch == 1 ? "s" : "", t->proc->nmismatch == 1 ? "" : "s",
			 t->proc->root, t->proc->mismatch[0].path);
	else if (t->proc->nmissing)
		snprintf(t->proc->warning, sizeof(t->proc->warning),
			 "%u mapped file%s not found%s%s: %s", t->proc->nmissing,
			 t->proc->nmissing == 1 ? "" : "s", t->proc->root[0] ? " under " : "",
			 t->proc->root, t->proc->missing);
	core_info_release(&ci);
	*out = t;
	return 0;
fail:
	core_info_release(&ci);
	target_close(t);
	return -1;
}

int target_core_explain(struct target *t, struct hs_error *err)
{
	struct target_process *p = t ? t->proc : NULL;

	if (!p || !err)
		return -1;
	if (p->lost && (err->code == HS_EREAD || err->code == HS_ENOTPYTHON)) {
		char was[sizeof(err->msg)];

		snprintf(was, sizeof(was), "%s", err->msg);
		hs_error_clear(err);
		hs_error_set(err, HS_ETRUNCATED,
			     "the core file is truncated (%llu of %llu bytes) and what "
			     "is there does not hold the interpreter: %s",
			     (unsigned long long)p->file_size, (unsigned long long)p->size, was);
		hs_error_hint(err, "the core was cut while it was written or copied: take it "
				   "again, with room on the disk for all of it");
	} else if (p->nmissing &&
		   (err->code == HS_EFILE || err->code == HS_ENOTPYTHON || err->code == HS_EREAD)) {
		hs_error_clear(err);
		hs_error_set(err, HS_EMISSING, "%u file%s process %d mapped %s not found%s%s: %s",
			     p->nmissing, p->nmissing == 1 ? "" : "s", (int)t->pid,
			     p->nmissing == 1 ? "is" : "are", p->root[0] ? " under " : "", p->root,
			     p->missing);
		hs_error_hint(err, "copy the files from the machine the core comes from, or "
				   "point at its root with --sysroot=DIR");
	}
	return -1;
}
