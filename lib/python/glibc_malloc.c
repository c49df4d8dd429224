/*
 * glibc_malloc.c - glibc's malloc arenas, read from outside.
 *
 * The sums are int_mallinfo's: an arena's free bytes are its fastbins'
 * chunks, its bins' chunks and its top chunk; what the arena took from
 * the system (system_mem) and did not free is in use.  Chunks in a
 * thread's tcache count as in use, as mallinfo2 counts them.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "glibc_malloc.h"
#include "layout/elf_file.h"
#include "layout/layout_cache.h"
#include "layout/layout_dwarf.h"

/* struct malloc_state, glibc 2.27 and later (have_fastchunks added),
 * x86-64 and aarch64: the table used when libc's DWARF is not at hand
 * (test_memory checks it against libc6-dbg's) */
#define MS_MUTEX 0
#define MS_FASTBINS 16
#define MS_TOP 96
#define MS_BINS 112
#define MS_NEXT 2160
#define MS_ATTACHED 2176
#define MS_SYSTEM_MEM 2184
#define MS_MAX_SYSTEM_MEM 2192
#define MS_SIZE 2200
#define MS_NFASTBINS 10
#define MS_NBINS 128 /* bins 1..127 are pairs in bins[254] */
#define MS_MAX_SIZE 8192

/* the offsets, in the order of ms_fields */
enum {
	O_SIZE,
	O_MUTEX,
	O_FASTBINS,
	O_TOP,
	O_BINS,
	O_NEXT,
	O_ATTACHED,
	O_SYSTEM,
	O_MAX_SYSTEM,
	O_COUNT
};

static const struct layout_field_info ms_fields[O_COUNT] = {
	{ 0, "size", "malloc_state", "#size" },
	{ 0, "mutex", "malloc_state", "mutex" },
	{ 0, "fastbinsY", "malloc_state", "fastbinsY" },
	{ 0, "top", "malloc_state", "top" },
	{ 0, "bins", "malloc_state", "bins" },
	{ 0, "next", "malloc_state", "next" },
	{ 0, "attached_threads", "malloc_state", "attached_threads" },
	{ 0, "system_mem", "malloc_state", "system_mem" },
	{ 0, "max_system_mem", "malloc_state", "max_system_mem" },
};

static const struct field_set glibc_fields = { "glibc", ms_fields, O_COUNT };

static const int64_t ms_table[O_COUNT] = {
	MS_SIZE,     MS_MUTEX,	    MS_FASTBINS,       MS_TOP, MS_BINS, MS_NEXT,
	MS_ATTACHED, MS_SYSTEM_MEM, MS_MAX_SYSTEM_MEM,
};

#define GLIBC_MIN_MINOR 27
#define GLIBC_MAX_MINOR 42
#define SAFE_LINKING_MINOR 32 /* fastbin and tcache links mangled */
#define CHUNK_FLAGS 7ull
#define IS_MMAPPED 2ull

static int is_libc(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strcmp(b, "libc.so.6") || (!strncmp(b, "libc-2.", 7) && strstr(b, ".so"));
}

/* "... release version 2.36." in .rodata: the version gnu_get_libc_version
 * gives. */
static int libc_version(struct elf_file *f, int *major, int *minor)
{
	static const char key[] = "release version ";
	const unsigned char *d, *at;
	size_t n;

	if (elf_file_section_data(f, ".rodata", &d, &n))
		return -1;
	at = memmem(d, n, key, sizeof(key) - 1);
	if (!at)
		return -1;
	at += sizeof(key) - 1;
	*major = *minor = 0;
	while (at < d + n && *at >= '0' && *at <= '9' && *major < 100)
		*major = *major * 10 + (*at++ - '0');
	if (at >= d + n || *at++ != '.')
		return -1;
	while (at < d + n && *at >= '0' && *at <= '9' && *minor < 1000)
		*minor = *minor * 10 + (*at++ - '0');
	return *major ? 0 : -1;
}

static uint64_t word(const unsigned char *ms, int64_t off)
{
	uint64_t v;

	memcpy(&v, ms + (size_t)off, 8);
	return v;
}

/* What reading the arenas needs: the target, malloc_state's offsets. */
struct reader {
	struct target *t;
	const int64_t *o;
	int safe_linking; /* fastbin links mangled (2.32 on) */
	uint64_t budget;  /* free chunks left to follow */
	struct glibc_malloc_stats *st;
};

/* 1 if the malloc_state image ms at address a looks like one: every bin
 * either empty (pointing at itself) or holding chunks, most empty. */
static int arena_shape(const int64_t *o, const unsigned char *ms, uint64_t a)
{
	uint32_t mutex;
	int i, empty = 0;

	memcpy(&mutex, ms + o[O_MUTEX], 4);
	if (mutex > 2 || !word(ms, o[O_NEXT]) || (word(ms, o[O_NEXT]) & 7) ||
	    word(ms, o[O_ATTACHED]) > (1u << 20) ||
	    word(ms, o[O_SYSTEM]) > word(ms, o[O_MAX_SYSTEM]))
		return 0;
	for (i = 1; i < MS_NBINS; i++) {
		uint64_t self = a + (uint64_t)o[O_BINS] + (uint64_t)(i - 1) * 16 - 16;
		uint64_t fd = word(ms, o[O_BINS] + (size_t)(i - 1) * 16);
		uint64_t bk = word(ms, o[O_BINS] + (size_t)(i - 1) * 16 + 8);

		if (!fd || !bk || (fd == self) != (bk == self))
			return 0;
		empty += fd == self;
	}
	return empty >= MS_NBINS / 4;
}

/* main_arena in libc's .data, by its shape: the one candidate, or 0. */
static uint64_t search_main_arena(struct pyproc *p, const int64_t *o, struct elf_file *f,
				  uint64_t bias)
{
	uint64_t addr, size, off, found = 0;
	unsigned char *d;
	int n = 0;

	if (elf_file_section(f, ".data", &addr, &size) || size < (uint64_t)o[O_SIZE] ||
	    size > (16u << 20))
		return 0;
	d = malloc(size);
	if (!d || target_read(p->t, bias + addr, d, size, NULL)) {
		free(d);
		return 0;
	}
	for (off = 0; off + (uint64_t)o[O_SIZE] <= size && n < 2; off += 8)
		if (arena_shape(o, d + off, bias + addr + off)) {
			found = bias + addr + off;
			n++;
		}
	free(d);
	return n == 1 ? found : 0;
}

static int read_chunk_size(struct target *t, uint64_t c, uint64_t *size)
{
	if ((c & 15) || target_read_u64(t, c + 8, size, NULL))
		return -1;
	*size &= ~CHUNK_FLAGS;
	return 0;
}

/* One free chunk at c: its size counted, its link at c + link into
 * *next.  -1 (the list is cut short) when it cannot be read or the
 * budget is spent. */
static int free_chunk(struct reader *r, uint64_t c, uint64_t link, uint64_t *next)
{
	uint64_t sz;

	if (!r->budget || read_chunk_size(r->t, c, &sz) ||
	    target_read_u64(r->t, c + link, next, NULL)) {
		r->st->incomplete = 1;
		return -1;
	}
	r->budget--;
	r->st->free += sz;
	r->st->free_chunks++;
	return 0;
}

/* The free bytes of one arena (image ms at a). */
static void arena_free(struct reader *r, const unsigned char *ms, uint64_t a)
{
	const int64_t *o = r->o;
	uint64_t c, sz, next;
	int i;

	for (i = 0; i < MS_NFASTBINS; i++)
		for (c = word(ms, o[O_FASTBINS] + (size_t)i * 8); c; c = next) {
			if (free_chunk(r, c, 16, &next))
				break;
			if (r->safe_linking)
				next ^= (c + 16) >> 12;
		}
	for (i = 1; i < MS_NBINS; i++) {
		uint64_t self = a + (uint64_t)o[O_BINS] + (uint64_t)(i - 1) * 16 - 16;

		for (c = word(ms, o[O_BINS] + (size_t)(i - 1) * 16 + 8); c != self; c = next)
			if (free_chunk(r, c, 24, &next))
				break;
	}
	c = word(ms, o[O_TOP]);
	if (c && !read_chunk_size(r->t, c, &sz)) {
		r->st->free += sz;
		r->st->free_chunks++;
		if (!r->st->arenas)
			r->st->top = sz;
	} else {
		r->st->incomplete = 1;
	}
}

/* A thread arena's heaps: from its top's heap back through heap_info's
 * prev links, each heap_info naming the arena. */
static void thread_heaps(struct reader *r, const unsigned char *ms, uint64_t a)
{
	uint64_t h = word(ms, r->o[O_TOP]) & ~(GLIBC_HEAP_MAX - 1), hi[2];
	struct glibc_malloc_stats *st = r->st;
	int n;

	for (n = 0; h && n < 4096 && st->nheaps < GLIBC_MAX_ARENAS + 1; n++) {
		if (target_read(r->t, h, hi, sizeof(hi), NULL) || hi[0] != a)
			return;
		st->heaps[st->nheaps].start = h;
		st->heaps[st->nheaps].end = h + GLIBC_HEAP_MAX;
		st->nheaps++;
		h = hi[1];
	}
}

/* The main arena's heap where no mapping is named [heap] (a core's
 * are not named): the anonymous mapping holding its top chunk. */
static void brk_heap(const struct maps *m, uint64_t top, struct glibc_malloc_stats *st)
{
	const struct map_entry *e = maps_find(m, top);

	if (!e || e->path[0])
		return;
	st->heaps[0].start = e->start;
	st->heaps[0].end = e->end;
	st->nheaps = 1;
}

/* malloc_state's offsets from the DWARF of libc's debug file d (cached
 * by libc's build-id), when they read sane: 0, else -1 (the table). */
static int dwarf_layout(struct pyproc *p, struct elf_file *f, const char *d, int64_t *o)
{
	struct hs_error err = HS_ERROR_INIT;
	char id[64];
	int i, cached;

	if (elf_file_build_id(f, id, sizeof(id)))
		id[0] = '\0';
	cached = id[0] && p->cache_dir[0] && !field_cache_load(p->cache_dir, &glibc_fields, id, o);
	if (!cached && dwarf_fields_fill_within(d, &glibc_fields, o, 30000, &err) < 0)
		return -1;
	for (i = 0; i < O_COUNT; i++)
		if (o[i] < 0 || o[i] + (i == O_SIZE ? 0 : 8) > o[O_SIZE])
			return -1;
	if (o[O_SIZE] > MS_MAX_SIZE || o[O_BINS] + (MS_NBINS - 1) * 16 > o[O_SIZE] ||
	    o[O_FASTBINS] + MS_NFASTBINS * 8 > o[O_SIZE])
		return -1;
	if (!cached && id[0] && p->cache_dir[0])
		field_cache_store(p->cache_dir, &glibc_fields, id, o, &err);
	return 0;
}

int glibc_malloc_read(struct pyproc *p, const struct maps *m, struct glibc_malloc_stats *st,
		      struct hs_error *err)
{
	const char *const *dirs = pyproc_debug_dirs(p);
	const struct map_entry *libc = NULL;
	struct reader r = { .t = p->t, .budget = GLIBC_MAX_FREE_CHUNKS, .st = st };
	char dpath[PATH_MAX], root[4096];
	struct hs_error derr = HS_ERROR_INIT;
	struct elf_file *f, *d = NULL;
	uint64_t bias, v, sz, main_arena = 0, a;
	int64_t o[O_COUNT];
	unsigned char *ms;
	int major, minor;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < m->n && !libc; i++)
		if (m->v[i].path[0] == '/' && is_libc(m->v[i].path))
			libc = &m->v[i];
	if (!libc)
		return hs_error_set(err, HS_EUNSUPPORTED, "no glibc in the process");
	if (pyproc_open_elf(p, libc->path, &f, err))
		return -1;
	if (libc_version(f, &major, &minor)) {
		elf_file_free(f);
		return hs_error_set(err, HS_EUNSUPPORTED, "%s does not say its glibc version",
				    libc->path);
	}
	snprintf(st->version, sizeof(st->version), "%d.%d", major, minor);
	/* libc's debug file: main_arena's symbol, malloc_state's DWARF */
	if (!elf_find_debug_file(f, target_root(p->t, root, sizeof(root)), dirs, dpath,
				 sizeof(dpath)) &&
	    !elf_file_open(&d, dpath, &derr) && !dwarf_layout(p, f, dpath, o)) {
		st->by_dwarf = 1;
	} else if (major == 2 && minor >= GLIBC_MIN_MINOR && minor <= GLIBC_MAX_MINOR) {
		memcpy(o, ms_table, sizeof(o));
	} else {
		elf_file_free(d);
		elf_file_free(f);
		hs_error_set(err, HS_EUNSUPPORTED,
			     "heapscope's table has the arenas of glibc 2.%d to 2.%d, not %s",
			     GLIBC_MIN_MINOR, GLIBC_MAX_MINOR, st->version);
		hs_error_hint(err, "install libc's debug symbols (Debian: libc6-dbg)");
		return -1;
	}
	r.o = o;
	r.safe_linking = major > 2 || minor >= SAFE_LINKING_MINOR;
	bias = maps_file_base(m, libc->path) - elf_file_load_vaddr(f);
	ms = malloc((size_t)o[O_SIZE]);
	if (!ms) {
		elf_file_free(d);
		elf_file_free(f);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	if ((!elf_file_symbol(f, "main_arena", &v, &sz) ||
	     (d && !elf_file_symbol(d, "main_arena", &v, &sz))) &&
	    !target_read(p->t, bias + v, ms, (size_t)o[O_SIZE], NULL) &&
	    arena_shape(o, ms, bias + v)) {
		main_arena = bias + v;
		st->by_symbol = 1;
	} else {
		main_arena = search_main_arena(p, o, f, bias);
	}
	elf_file_free(d);
	elf_file_free(f);
	if (!main_arena) {
		free(ms);
		hs_error_set(err, HS_ELAYOUT, "glibc %s's main_arena was not found", st->version);
		hs_error_hint(err, "install libc's debug symbols (Debian: libc6-dbg)");
		return -1;
	}
	for (i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].path, "[heap]")) {
			st->heaps[0].start = m->v[i].start;
			st->heaps[0].end = m->v[i].end;
			st->nheaps = 1;
		}
	a = main_arena;
	do {
		if (target_read(p->t, a, ms, (size_t)o[O_SIZE], NULL) || !arena_shape(o, ms, a)) {
			st->incomplete = 1;
			break;
		}
		st->system += word(ms, o[O_SYSTEM]);
		arena_free(&r, ms, a);
		if (a != main_arena)
			thread_heaps(&r, ms, a);
		else if (!st->nheaps)
			brk_heap(m, word(ms, o[O_TOP]), st);
		st->arenas++;
		a = word(ms, o[O_NEXT]);
	} while (a != main_arena && st->arenas < GLIBC_MAX_ARENAS);
	free(ms);
	if (st->free > st->system)
		st->incomplete = 1;
	return 0;
}

/* 1 if the 16 bytes at a chunk's start (prev_size, size) are those of
 * malloc's own mapping: prev_size 0, IS_MMAPPED alone, whole pages, no
 * further than end. */
static int mmapped_header(const uint64_t *hdr, uint64_t at, uint64_t end)
{
	uint64_t sz = hdr[1] & ~CHUNK_FLAGS;

	return !hdr[0] && (hdr[1] & CHUNK_FLAGS) == IS_MMAPPED && sz && !(sz & 4095) &&
	       sz <= end - at;
}

uint64_t glibc_mmapped_chunks(struct target *t, uint64_t start, uint64_t end, uint64_t *n,
			      uint64_t *bytes)
{
	uint64_t hdr[2];

	while (start + 4096 <= end) {
		if (target_read(t, start, hdr, sizeof(hdr), NULL) ||
		    !mmapped_header(hdr, start, end))
			break;
		(*n)++;
		*bytes += hdr[1] & ~CHUNK_FLAGS;
		start += hdr[1] & ~CHUNK_FLAGS;
	}
	return start;
}

#define SCAN_BATCH 512

uint64_t glibc_next_mmapped(struct target *t, uint64_t start, uint64_t end, uint64_t limit,
			    uint64_t *budget)
{
	uint64_t addr[SCAN_BATCH], hdr[SCAN_BATCH][2];
	uint8_t ok[SCAN_BATCH];
	size_t k, m;

	start = (start + 4095) & ~4095ull;
	while (start + 4096 <= end && *budget) {
		for (m = 0; m < SCAN_BATCH && m < *budget && start + (m + 1) * 4096 <= end; m++)
			addr[m] = start + m * 4096;
		*budget -= m;
		target_read_many(t, addr, m, sizeof(hdr[0]), hdr, ok);
		for (k = 0; k < m; k++)
			if (ok[k] && mmapped_header(hdr[k], addr[k], limit))
				return addr[k];
		start += m * 4096;
	}
	return end;
}
