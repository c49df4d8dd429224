/*
 * target_files.c - a target over the files a process maps (target.h).
 *
 * A mapping [start, end) of file f at offset off reads as f's bytes at
 * off + (addr - start).  Past the end of the file, the rest of the page
 * holding its last byte reads as zeros (as the process sees it); pages
 * wholly past it cannot be read (the process would get SIGBUS).
 *
 * Reads are pread()s, never an mmap: a file truncated under us then
 * gives a short read, not a SIGBUS.  The page read last is kept, since
 * the few reads a walk makes here (type names) come in runs.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target.h"

#define MAX_FILES 4096
#define MAX_MAPS 65536
#define PAGE 4096u

struct fmap {
	uint64_t start, end, offset;
	uint32_t file;
};

struct files {
	int *fd;
	size_t nfd, capfd;
	struct fmap *m; /* sorted by start, not overlapping */
	size_t nm, capm;
	uint64_t page_addr; /* the page kept: its address, 1 when none */
	unsigned char page[PAGE];
};

static const struct fmap *find_map(const struct files *f, uint64_t addr)
{
	size_t lo = 0, hi = f->nm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < f->m[mid].start)
			hi = mid;
		else if (addr >= f->m[mid].end)
			lo = mid + 1;
		else
			return &f->m[mid];
	}
	return NULL;
}

/* Fill f->page with the page at addr (in map m).  0, or -1 with err:
 * HS_EREAD past the end of the file, HS_EFILE (counted as lost) when
 * the file cannot be read. */
static int load_page(struct target *t, const struct fmap *m, uint64_t addr, struct hs_error *err)
{
	struct files *f = t->priv;
	uint64_t pa = addr & ~(uint64_t)(PAGE - 1);
	uint64_t off = m->offset + (pa - m->start);
	ssize_t got;

	if (f->page_addr == pa)
		return 0;
	f->page_addr = 1;
	got = pread(f->fd[m->file], f->page, PAGE, (off_t)off);
	if (got < 0) {
		t->lost_reads++;
		return hs_error_errno(err, HS_EFILE, errno, "cannot read the file mapped at 0x%llx",
				      (unsigned long long)pa);
	}
	if (!got)
		return hs_error_set(err, HS_EREAD,
				    "0x%llx is past the end of the file mapped there",
				    (unsigned long long)addr);
	memset(f->page + got, 0, PAGE - (size_t)got);
	f->page_addr = pa;
	return 0;
}

static int files_read(struct target *t, uint64_t addr, void *buf, size_t len, struct hs_error *err)
{
	struct files *f = t->priv;
	unsigned char *out = buf;

	/* page by page: bounded by len / PAGE + 1 rounds */
	while (len) {
		const struct fmap *m = find_map(f, addr);
		size_t in, n;

		if (!m)
			return hs_error_set(err, HS_EREAD,
					    "cannot read 0x%llx: no file is mapped there",
					    (unsigned long long)addr);
		if (load_page(t, m, addr, err))
			return -1;
		in = (size_t)(addr & (PAGE - 1));
		n = PAGE - in < len ? PAGE - in : len;
		memcpy(out, f->page + in, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static void files_close(struct target *t)
{
	struct files *f = t->priv;
	size_t i;

	for (i = 0; i < f->nfd; i++)
		close(f->fd[i]);
	free(f->fd);
	free(f->m);
	free(f);
	free(t);
}

/* Files have no registers and never run: no regs, no resume. */
static const struct target_ops files_ops = {
	.read = files_read,
	.close = files_close,
};

struct target *target_files_new(void)
{
	struct target *t = calloc(1, sizeof(*t));
	struct files *f = calloc(1, sizeof(*f));

	if (!t || !f) {
		free(t);
		free(f);
		return NULL;
	}
	f->page_addr = 1;
	t->ops = &files_ops;
	t->priv = f;
	return t;
}

int target_files_add_file(struct target *t, int fd, struct hs_error *err)
{
	struct files *f = t->priv;

	if (f->nfd == MAX_FILES) {
		close(fd);
		return hs_error_set(err, HS_ENOMEM, "too many mapped files");
	}
	if (f->nfd == f->capfd) {
		size_t cap = f->capfd ? 2 * f->capfd : 16;
		int *n = realloc(f->fd, cap * sizeof(*n));

		if (!n) {
			close(fd);
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		}
		f->fd = n;
		f->capfd = cap;
	}
	f->fd[f->nfd] = fd;
	return (int)f->nfd++;
}

int target_files_add_map(struct target *t, uint64_t start, uint64_t end, uint64_t offset, int file,
			 struct hs_error *err)
{
	struct files *f = t->priv;
	size_t at = f->nm;

	if (file < 0 || (size_t)file >= f->nfd || start >= end || start % PAGE || offset % PAGE ||
	    offset + (end - start) < offset)
		return hs_error_set(err, HS_EINTERNAL, "a bad file mapping at 0x%llx",
				    (unsigned long long)start);
	/* callers add in address order: find the place from the end */
	while (at && f->m[at - 1].start > start)
		at--;
	if ((at && f->m[at - 1].end > start) || (at < f->nm && f->m[at].start < end))
		return hs_error_set(err, HS_EINTERNAL, "file mappings overlap at 0x%llx",
				    (unsigned long long)start);
	if (f->nm == MAX_MAPS)
		return hs_error_set(err, HS_ENOMEM, "too many file mappings");
	if (f->nm == f->capm) {
		size_t cap = f->capm ? 2 * f->capm : 64;
		struct fmap *n = realloc(f->m, cap * sizeof(*n));

		if (!n)
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		f->m = n;
		f->capm = cap;
	}
	memmove(&f->m[at + 1], &f->m[at], (f->nm - at) * sizeof(f->m[0]));
	f->m[at] = (struct fmap){
		.start = start, .end = end, .offset = offset, .file = (uint32_t)file
	};
	f->nm++;
	return 0;
}

int target_files_has(struct target *t, uint64_t addr)
{
	return t && t->ops == &files_ops && find_map(t->priv, addr) != NULL;
}
