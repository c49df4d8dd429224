/*
 * snapshot.c - write and load heap graphs (format: snapshot.h and
 * docs/snapshot-format.md).
 */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/openfile.h"
#include "base/task.h"
#include "base/writeback.h"
#include "snapshot.h"
#include "target/fatal.h"

#define MAGIC "HEAPSCP" /* 8 bytes with its NUL */
#define HEADER_SIZE 128
#define SECTION_SIZE 24

_Static_assert(sizeof(struct heap_obj) == 24, "heap_obj is part of the file format");
_Static_assert(sizeof(struct heap_type) == 16, "heap_type is part of the file format");
_Static_assert(sizeof(struct heap_root) == 16, "heap_root is part of the file format");
_Static_assert(sizeof(struct heap_big) == 16, "heap_big is part of the file format");
_Static_assert(sizeof(struct heap_thread) == 32, "heap_thread is part of the file format");
_Static_assert(sizeof(struct heap_frame) == 16, "heap_frame is part of the file format");
_Static_assert(sizeof(struct heap_meta) == 80, "heap_meta is part of the file format");
_Static_assert(sizeof(struct heap_wait) == 56, "heap_wait is part of the file format");

enum section_id {
	S_META = 1,
	S_OBJ,
	S_FLAGS,
	S_EDGE_START,
	S_EDGE_DST,
	S_EDGE_NAME,
	S_TYPES,
	S_NAMES,
	S_ROOTS,
	S_BIG,
	S_THREADS,
	S_FRAMES,
	S_STRINGS,
	S_WAITS,  /* version 2 */
	S_MEMORY, /* version 3 */
	S_COUNT
};

/* Sections of a version 1 file: all but the waits; of version 2: all but
 * the memory breakdown. */
#define V1_SECTIONS (S_WAITS - 1)
#define V2_SECTIONS (S_MEMORY - 1)

static const uint32_t elem_size[S_COUNT] = {
	[S_META] = sizeof(struct heap_meta),
	[S_OBJ] = sizeof(struct heap_obj),
	[S_FLAGS] = 1,
	[S_EDGE_START] = 4,
	[S_EDGE_DST] = 4,
	[S_EDGE_NAME] = 4,
	[S_TYPES] = sizeof(struct heap_type),
	[S_NAMES] = 4,
	[S_ROOTS] = sizeof(struct heap_root),
	[S_BIG] = sizeof(struct heap_big),
	[S_THREADS] = sizeof(struct heap_thread),
	[S_FRAMES] = sizeof(struct heap_frame),
	[S_STRINGS] = 1,
	[S_WAITS] = sizeof(struct heap_wait),
	[S_MEMORY] = 1,
};

struct header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint64_t file_size;
	uint64_t checksum;
	uint32_t nsections;
	uint32_t flags;
	char reserved[HEADER_SIZE - 40];
};

struct section {
	uint32_t id;
	uint32_t elem;
	uint64_t offset;
	uint64_t count;
};

_Static_assert(sizeof(struct header) == HEADER_SIZE, "header size");
_Static_assert(sizeof(struct section) == SECTION_SIZE, "section size");

/* what a written header holds in the fields nothing else checks */
static const struct header zero_header;

#define SUM_SEED 0x6865617073636f70ull /* "heapscop" */
#define SUM_MUL 0x9e3779b97f4a7c15ull

static uint64_t sum_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * SUM_MUL;
	return h ^ h >> 29;
}

/* Versions 1-3: one chain over the whole words (the file is padded to
 * 8 bytes), one multiplication waiting for the one before. */
static uint64_t checksum_chain(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = SUM_SEED;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = sum_step(h, w);
	}
	return h;
}

/*
 * Version 4: word i goes into the chain of lane i % 4, the four lanes
 * are folded into one at the end (docs/snapshot-format.md).  The four
 * multiplications of a step do not wait for each other: loading a file
 * checks it at memory speed, twice as fast as one chain.  Fed in pieces
 * of whole words, in file order.
 */
struct lanes {
	uint64_t lane[4];
	uint64_t words;
};

static void lanes_init(struct lanes *s)
{
	unsigned k;

	for (k = 0; k < 4; k++)
		s->lane[k] = SUM_SEED + k;
	s->words = 0;
}

static void lanes_add(struct lanes *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t a, b, c, d, w[4];
	size_t i = 0;

	for (; i + 8 <= len && s->words % 4; i += 8, s->words++) {
		memcpy(w, p + i, 8);
		s->lane[s->words % 4] = sum_step(s->lane[s->words % 4], w[0]);
	}
	a = s->lane[0], b = s->lane[1], c = s->lane[2], d = s->lane[3];
	for (; i + 32 <= len; i += 32, s->words += 4) {
		memcpy(w, p + i, 32);
		a = sum_step(a, w[0]);
		b = sum_step(b, w[1]);
		c = sum_step(c, w[2]);
		d = sum_step(d, w[3]);
	}
	s->lane[0] = a, s->lane[1] = b, s->lane[2] = c, s->lane[3] = d;
	for (; i + 8 <= len; i += 8, s->words++) {
		memcpy(w, p + i, 8);
		s->lane[s->words % 4] = sum_step(s->lane[s->words % 4], w[0]);
	}
}

static uint64_t lanes_end(const struct lanes *s)
{
	uint64_t h = SUM_SEED;
	unsigned k;

	for (k = 0; k < 4; k++)
		h = sum_step(h, s->lane[k]);
	return h;
}

/* The checksum a file of this version holds over data. */
static uint64_t checksum(uint32_t version, const void *data, size_t len)
{
	struct lanes s;

	if (version < 4)
		return checksum_chain(data, len);
	lanes_init(&s);
	lanes_add(&s, data, len);
	return lanes_end(&s);
}

int snapshot_seal(void *file, size_t len)
{
	struct header hdr;

	if (len < HEADER_SIZE)
		return -1;
	memcpy(&hdr, file, sizeof(hdr));
	hdr.file_size = len;
	hdr.checksum =
		checksum(hdr.version, (unsigned char *)file + HEADER_SIZE, len - HEADER_SIZE);
	memcpy(file, &hdr, sizeof(hdr));
	return 0;
}

/* ---- writing ---- */

/*
 * A snapshot is written straight from the graph's arrays: spans of whole
 * words (each section's last partial word, padded with zeros, is a span
 * of its own), written in order on this thread while another computes
 * their checksum, which only the header, written last, holds.  One core:
 * the same, by turns.
 */
struct span {
	const void *p;
	size_t len; /* a multiple of 8 */
};

struct spans {
	struct span s[2 * S_COUNT];
	size_t n;
	uint64_t tail[S_COUNT]; /* the last words, padded */
	struct lanes sum;
};

static void span_add(struct spans *sp, unsigned i, const void *data, size_t len)
{
	size_t whole = len & ~(size_t)7;

	if (whole)
		sp->s[sp->n++] = (struct span){ data, whole };
	if (len > whole) {
		memcpy(&sp->tail[i], (const char *)data + whole, len - whole);
		sp->s[sp->n++] = (struct span){ &sp->tail[i], 8 };
	}
}

static void *sum_spans(void *p)
{
	struct spans *sp = p;
	size_t i;

	for (i = 0; i < sp->n; i++)
		lanes_add(&sp->sum, sp->s[i].p, sp->s[i].len);
	return NULL;
}

/* Write the spans at fd's offset, in order; 0, or an errno. */
static int write_spans(int fd, const struct spans *sp)
{
	struct writeback wb;
	size_t i;
	int e = 0, e2;

	writeback_init(&wb, fd);
	for (i = 0; i < sp->n && !e; i++)
		e = writeback_write(&wb, sp->s[i].p, sp->s[i].len);
	e2 = writeback_end(&wb);
	return e ? e : e2;
}

static uint64_t padded(uint64_t n)
{
	return (n + 7) & ~7ull;
}

/* Make the rename durable: sync the directory that holds path. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * rename() that never replaces: renameat2's RENAME_NOREPLACE, or where
 * the filesystem takes no flags (NFS, CIFS: EINVAL) a hard link, which
 * fails with EEXIST just as atomically, then the old name removed.
 */
static int rename_noreplace(const char *from, const char *to)
{
	if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to))
		return -1;
	unlink(from);
	return 0;
}

/*
 * Sync and close out->fd, then rename the temporary file over out->path
 * (without SNAP_FORCE never over a file that appeared meanwhile).  failed
 * and e: an earlier write error (e an errno), which gives up instead.
 * Either way out->fd is closed; on failure the temporary file is gone.
 */
static int install(struct snapshot_out *out, int failed, int e, struct hs_error *err)
{
	int fd = out->fd;

	if (!failed && fsync(fd)) {
		failed = 1;
		e = errno;
	}
	out->fd = -1;
	if (close(fd) && !failed) {
		failed = 1;
		e = errno;
	}
	/* without --force, a file that appeared during the capture stays */
	if (!failed && (out->flags & SNAP_FORCE ? rename(out->tmp, out->path)
						: rename_noreplace(out->tmp, out->path))) {
		failed = 1;
		e = errno;
	}
	fatal_cleanup_path(NULL);
	if (!failed) {
		sync_dir(out->path);
		return 0;
	}
	unlink(out->tmp);
	if (e == EEXIST) {
		hs_error_set(err, HS_EFILE, "%s appeared while the capture ran", out->path);
		hs_error_hint(err, "choose another name, or pass --force to replace it");
		return -1;
	}
	return hs_error_errno(err, HS_EFILE, e ? e : EIO, "cannot write %s", out->path);
}

int snapshot_begin(struct snapshot_out *out, const char *path, unsigned flags, struct hs_error *err)
{
	struct stat sb;
	char dir[PATH_MAX];

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->flags = flags;
	if (snprintf(out->path, sizeof(out->path), "%s", path) >= (int)sizeof(out->path))
		return hs_error_set(err, HS_EFILE, "path too long: %s", path);
	if (!lstat(path, &sb)) {
		if (S_ISLNK(sb.st_mode))
			return hs_error_set(err, HS_EFILE,
					    "%s is a symbolic link: not writing "
					    "through it",
					    path);
		/* --force replaces a file, never a device, a pipe or a folder */
		if (!S_ISREG(sb.st_mode))
			return hs_error_set(err, HS_EFILE,
					    "%s is not a regular file: not "
					    "replacing it",
					    path);
		if (!(flags & SNAP_FORCE)) {
			hs_error_set(err, HS_EFILE, "%s already exists", path);
			hs_error_hint(err, "choose another name, or pass --force to replace it");
			return -1;
		}
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (snprintf(out->tmp, sizeof(out->tmp), "%s/.heapscope-XXXXXX", dirname(dir)) >=
	    (int)sizeof(out->tmp))
		return hs_error_set(err, HS_EFILE, "path too long: %s", path);
	out->fd = mkostemp(out->tmp, O_CLOEXEC); /* mode 0600 */
	if (out->fd < 0)
		return hs_error_errno(err, HS_EFILE, errno, "cannot create a file next to %s",
				      path);
	/* killed while capturing or writing: leave nothing behind */
	fatal_cleanup_path(out->tmp);
	return 0;
}

void snapshot_abort(struct snapshot_out *out)
{
	fatal_cleanup_path(NULL);
	if (out->fd >= 0) {
		close(out->fd);
		unlink(out->tmp);
	}
	out->fd = -1;
}

int snapshot_commit(struct snapshot_out *out, const struct heap *h, struct hs_error *err)
{
	const void *data[S_COUNT] = {
		[S_META] = &h->meta,	    [S_OBJ] = h->obj,
		[S_FLAGS] = h->flags,	    [S_EDGE_START] = h->edge_start,
		[S_EDGE_DST] = h->edge_dst, [S_EDGE_NAME] = h->edge_name,
		[S_TYPES] = h->types,	    [S_NAMES] = h->names,
		[S_ROOTS] = h->roots,	    [S_BIG] = h->big,
		[S_THREADS] = h->threads,   [S_FRAMES] = h->frames,
		[S_STRINGS] = h->strings,   [S_WAITS] = h->waits,
		[S_MEMORY] = h->mem,
	};
	const uint64_t count[S_COUNT] = {
		[S_META] = 1,
		[S_OBJ] = h->nobj,
		[S_FLAGS] = h->nobj,
		[S_EDGE_START] = h->nobj + 1,
		[S_EDGE_DST] = h->nedge,
		[S_EDGE_NAME] = h->nedge,
		[S_TYPES] = h->ntype,
		[S_NAMES] = h->nname,
		[S_ROOTS] = h->nroot,
		[S_BIG] = h->nbig,
		[S_THREADS] = h->nthread,
		[S_FRAMES] = h->nframe,
		[S_STRINGS] = h->strings_len,
		[S_WAITS] = h->nwait,
		[S_MEMORY] = h->mem ? h->mem_len : 0,
	};
	struct section sec[S_COUNT - 1];
	struct header hdr;
	struct spans *sp;
	uint64_t off = HEADER_SIZE + (S_COUNT - 1) * SECTION_SIZE;
	struct task summer;
	int i, e = 0, fd = out->fd;

	if (fd < 0)
		return hs_error_set(err, HS_EINTERNAL, "snapshot_commit: not begun");
	if (!h->edge_start) {
		snapshot_abort(out);
		return hs_error_set(err, HS_EINTERNAL, "snapshot_commit: graph not finished");
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		snapshot_abort(out);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	lanes_init(&sp->sum);
	for (i = 1; i < S_COUNT; i++) {
		sec[i - 1] = (struct section){
			.id = (uint32_t)i, .elem = elem_size[i], .offset = off, .count = count[i]
		};
		off += padded(count[i] * elem_size[i]);
	}
	span_add(sp, 0, sec, sizeof(sec));
	for (i = 1; i < S_COUNT; i++)
		if (count[i] && data[i])
			span_add(sp, (unsigned)i, data[i], count[i] * elem_size[i]);
	task_start(&summer, sum_spans, sp);
	/* the header is written last, once the checksum is known */
	if (lseek(fd, HEADER_SIZE, SEEK_SET) != HEADER_SIZE)
		e = errno ? errno : EIO;
	if (!e)
		e = write_spans(fd, sp);
	task_wait(&summer);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, MAGIC, 8);
	hdr.version = SNAPSHOT_VERSION;
	hdr.header_size = HEADER_SIZE;
	hdr.file_size = off;
	hdr.checksum = lanes_end(&sp->sum);
	hdr.nsections = S_COUNT - 1;
	free(sp);
	if (!e) {
		ssize_t k;

		errno = 0;
		k = pwrite(fd, &hdr, sizeof(hdr), 0);
		if (k != (ssize_t)sizeof(hdr))
			e = k < 0 ? errno : ENOSPC;
	}
	return install(out, e != 0, e, err);
}

int snapshot_publish(struct snapshot_out *out, struct hs_error *err)
{
	if (out->fd < 0)
		return hs_error_set(err, HS_EINTERNAL, "snapshot_publish: not begun");
	return install(out, 0, 0, err);
}

int snapshot_write(const struct heap *h, const char *path, unsigned flags, struct hs_error *err)
{
	struct snapshot_out out;

	if (snapshot_begin(&out, path, flags, err))
		return -1;
	return snapshot_commit(&out, h, err);
}

/* ---- loading ---- */

int snapshot_is_file(const char *path)
{
	char magic[8];
	int fd = open_regular(path);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, magic, 8);
	close(fd);
	return n == 8 && !memcmp(magic, MAGIC, 8);
}

/* What a file that is no snapshot is: an ELF file other than a core
 * (an executable given by mistake) is said as such. */
static int not_ours(struct hs_error *err, const char *path, const char *magic)
{
	if (!memcmp(magic, "\177ELF", 4)) {
		hs_error_set(err, HS_ENOTCORE, "%s is an ELF file but not a core file", path);
		hs_error_hint(err, "give a core file (gcore PID, or the kernel's), a heapscope "
				   "snapshot, or a PID");
		return -1;
	}
	hs_error_set(err, HS_EFILE, "%s: not a heapscope snapshot, nor a core file", path);
	hs_error_hint(err, "the file is damaged or of another kind; take a snapshot with "
			   "'heapscope snapshot PID', a core with 'gcore PID'");
	return -1;
}

static int bad(struct hs_error *err, const char *path, const char *what)
{
	hs_error_set(err, HS_EFILE, "%s: %s", path, what);
	hs_error_hint(err, "the file is damaged or not a heapscope snapshot; take a new one "
			   "with 'heapscope snapshot PID'");
	return -1;
}

/* Every index and offset the readers follow. */
static const char *check_graph(const struct heap *h)
{
	size_t i;

	if (h->edge_start[0] != 0 || h->edge_start[h->nobj] != h->nedge)
		return "edge table does not add up";
	for (i = 0; i < h->nobj; i++) {
		if (h->edge_start[i + 1] < h->edge_start[i])
			return "edge table out of order";
		if (h->obj[i].type >= h->ntype)
			return "object with an unknown type";
		if (h->obj[i].value != HEAP_NONE && h->obj[i].value >= h->strings_len)
			return "object value outside the string table";
	}
	for (i = 0; i < h->nedge; i++)
		if (h->edge_dst[i] >= h->nobj)
			return "edge to an object that is not there";
	for (i = 0; i < h->ntype; i++)
		if ((h->types[i].obj != HEAP_NONE && h->types[i].obj >= h->nobj) ||
		    h->types[i].name >= h->strings_len)
			return "bad type table";
	for (i = 0; i < h->nname; i++)
		if (h->names[i] >= h->strings_len)
			return "bad name table";
	for (i = 0; i < h->nroot; i++)
		if (h->roots[i].obj >= h->nobj || h->roots[i].label >= h->strings_len)
			return "bad root table";
	for (i = 0; i < h->nbig; i++)
		if (h->big[i].obj >= h->nobj || (i && h->big[i].obj <= h->big[i - 1].obj))
			return "bad size table";
	for (i = 0; i < h->nthread; i++)
		if (h->threads[i].first_frame > h->nframe ||
		    h->threads[i].nframes > h->nframe - h->threads[i].first_frame)
			return "bad thread table";
	for (i = 0; i < h->nwait; i++)
		if (h->waits[i].thread >= h->nthread ||
		    (h->waits[i].holder != HEAP_NONE && h->waits[i].holder >= h->nthread) ||
		    h->waits[i].via >= h->strings_len || h->waits[i].held_at >= h->strings_len ||
		    h->waits[i].how >= h->strings_len)
			return "bad wait table";
	if (h->strings_len < 5)
		return "no string table";
	return NULL;
}

int snapshot_load(struct heap *h, const char *path, struct hs_error *err)
{
	const struct section *sec;
	struct header hdr;
	const void *at[S_COUNT] = { 0 };
	uint64_t cnt[S_COUNT] = { 0 };
	struct stat sb;
	unsigned char *base;
	const char *why;
	uint32_t i;
	int fd, e;

	fd = open_regular(path);
	if (fd == OPEN_NOT_REGULAR)
		return bad(err, path, "not a regular file");
	if (fd < 0) {
		e = errno;
		hs_error_errno(err, HS_EFILE, e, "cannot open %s", path);
		if (e == ENOENT)
			hs_error_hint(err, "give a process id or the path of a snapshot file");
		return -1;
	}
	if (fstat(fd, &sb)) {
		e = errno;
		close(fd);
		return hs_error_errno(err, HS_EFILE, e, "cannot read %s", path);
	}
	if ((uint64_t)sb.st_size < HEADER_SIZE) {
		char magic[8] = "";
		int ours = read(fd, magic, 8) == 8 && !memcmp(magic, MAGIC, 8);

		close(fd);
		if (!ours)
			return not_ours(err, path, magic);
		return bad(err, path, "truncated (shorter than its header)");
	}
	base = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	e = errno;
	close(fd);
	if (base == MAP_FAILED)
		return hs_error_errno(err, HS_EFILE, e, "cannot map %s", path);
	h->mapping = base;
	h->mapping_len = (size_t)sb.st_size;
	memcpy(&hdr, base, sizeof(hdr));
	if (memcmp(hdr.magic, MAGIC, 8))
		return not_ours(err, path, (const char *)hdr.magic);
	if (hdr.version < 1 || hdr.version > SNAPSHOT_VERSION) {
		char m[96];

		snprintf(m, sizeof(m),
			 "snapshot format version %u; this heapscope reads versions 1 to %u",
			 hdr.version, SNAPSHOT_VERSION);
		hs_error_set(err, HS_EFILE, "%s: %s", path, m);
		if (hdr.version > SNAPSHOT_VERSION)
			hs_error_hint(err, "a newer heapscope wrote it: read it with that one");
		else
			hs_error_hint(err, "the file is damaged; take a new one with "
					   "'heapscope snapshot PID'");
		return -1;
	}
	/* the checksum does not cover the header: what it does not check
	 * itself must be as written (zero), or a damaged header passes */
	if (hdr.header_size != HEADER_SIZE ||
	    hdr.nsections != (hdr.version == 1	 ? V1_SECTIONS
			      : hdr.version == 2 ? V2_SECTIONS
						 : S_COUNT - 1) ||
	    hdr.flags || memcmp(hdr.reserved, zero_header.reserved, sizeof(hdr.reserved)))
		return bad(err, path, "unexpected header");
	if (hdr.file_size != (uint64_t)sb.st_size) {
		char m[96];

		snprintf(m, sizeof(m), "%s: %lld bytes where the header says %llu",
			 hdr.file_size > (uint64_t)sb.st_size ? "truncated" : "trailing data",
			 (long long)sb.st_size, (unsigned long long)hdr.file_size);
		return bad(err, path, m);
	}
	if (hdr.file_size % 8 || checksum(hdr.version, base + HEADER_SIZE,
					  (size_t)hdr.file_size - HEADER_SIZE) != hdr.checksum)
		return bad(err, path, "corrupt (checksum mismatch)");
	if (HEADER_SIZE + (uint64_t)hdr.nsections * SECTION_SIZE > hdr.file_size)
		return bad(err, path, "section table past the end");
	sec = (const struct section *)(base + HEADER_SIZE);
	for (i = 0; i < hdr.nsections; i++) {
		struct section s;

		memcpy(&s, &sec[i], sizeof(s));
		if (s.id < 1 || s.id >= S_COUNT || at[s.id] || s.elem != elem_size[s.id] ||
		    s.offset % 8 || s.offset > hdr.file_size ||
		    s.count > (hdr.file_size - s.offset) / s.elem)
			return bad(err, path, "bad section table");
		at[s.id] = base + s.offset;
		cnt[s.id] = s.count;
	}
	for (i = 1; i < S_COUNT; i++)
		if (!at[i] && !(i == S_WAITS && hdr.version == 1) &&
		    !(i == S_MEMORY && hdr.version <= 2))
			return bad(err, path, "a section is missing");
	if (cnt[S_META] != 1 || cnt[S_OBJ] > HEAP_MAX_OBJECTS || cnt[S_FLAGS] != cnt[S_OBJ] ||
	    cnt[S_EDGE_START] != cnt[S_OBJ] + 1 || cnt[S_EDGE_NAME] != cnt[S_EDGE_DST] ||
	    cnt[S_STRINGS] > UINT32_MAX)
		return bad(err, path, "section sizes do not agree");
	memcpy(&h->meta, at[S_META], sizeof(h->meta));
	h->nobj = cnt[S_OBJ];
	h->obj = (struct heap_obj *)at[S_OBJ];
	h->flags = (uint8_t *)at[S_FLAGS];
	h->edge_start = (uint32_t *)at[S_EDGE_START];
	h->nedge = cnt[S_EDGE_DST];
	h->edge_dst = (uint32_t *)at[S_EDGE_DST];
	h->edge_name = (uint32_t *)at[S_EDGE_NAME];
	h->ntype = cnt[S_TYPES];
	h->types = (struct heap_type *)at[S_TYPES];
	h->nname = cnt[S_NAMES];
	h->names = (uint32_t *)at[S_NAMES];
	h->nroot = cnt[S_ROOTS];
	h->roots = (struct heap_root *)at[S_ROOTS];
	h->nbig = cnt[S_BIG];
	h->big = (struct heap_big *)at[S_BIG];
	h->nthread = cnt[S_THREADS];
	h->threads = (struct heap_thread *)at[S_THREADS];
	h->nframe = cnt[S_FRAMES];
	h->frames = (struct heap_frame *)at[S_FRAMES];
	h->nwait = cnt[S_WAITS];
	h->waits = (struct heap_wait *)at[S_WAITS];
	h->strings_len = cnt[S_STRINGS];
	h->strings = (const char *)at[S_STRINGS];
	h->mem = cnt[S_MEMORY] ? at[S_MEMORY] : NULL;
	h->mem_len = cnt[S_MEMORY];
	why = check_graph(h);
	if (why)
		return bad(err, path, why);
	if (heap_build_types(h, err))
		return -1;
	return 0;
}
