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

/* struct malloc_state, glibc 2.27 and later (have_fastchunks added),
 * x86-64 and aarch64: the DWARF of Debian's libc6-dbg 2.36 says the same */
#define MS_MUTEX 0
#define MS_FASTBINS 16
#define MS_NFASTBINS 10
#define MS_TOP 96
#define MS_BINS 112
#define MS_NBINS 128 /* bins 1..127 are pairs in bins[254] */
#define MS_NEXT 2160
#define MS_ATTACHED 2176
#define MS_SYSTEM_MEM 2184
#define MS_MAX_SYSTEM_MEM 2192
#define MS_SIZE 2200
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

static uint64_t word(const unsigned char *ms, size_t off)
{
	uint64_t v;

	memcpy(&v, ms + off, 8);
	return v;
}

/* 1 if the malloc_state image ms at address a looks like one: every bin
 * either empty (pointing at itself) or holding chunks, most empty. */
static int arena_shape(const unsigned char *ms, uint64_t a)
{
	uint32_t mutex;
	int i, empty = 0;

	memcpy(&mutex, ms + MS_MUTEX, 4);
	if (mutex > 2 || !word(ms, MS_NEXT) || (word(ms, MS_NEXT) & 7) ||
	    word(ms, MS_ATTACHED) > (1u << 20) ||
	    word(ms, MS_SYSTEM_MEM) > word(ms, MS_MAX_SYSTEM_MEM))
		return 0;
	for (i = 1; i < MS_NBINS; i++) {
		uint64_t self = a + MS_BINS + (uint64_t)(i - 1) * 16 - 16;
		uint64_t fd = word(ms, MS_BINS + (size_t)(i - 1) * 16);
		uint64_t bk = word(ms, MS_BINS + (size_t)(i - 1) * 16 + 8);

		if (!fd || !bk || (fd == self) != (bk == self))
			return 0;
		empty += fd == self;
	}
	return empty >= MS_NBINS / 4;
}

/* main_arena in libc's .data, by its shape: the one candidate, or 0. */
static uint64_t search_main_arena(struct pyproc *p, struct elf_file *f, uint64_t bias)
{
	uint64_t addr, size, off, found = 0;
	unsigned char *d;
	int n = 0;

	if (elf_file_section(f, ".data", &addr, &size) || size < MS_SIZE || size > (16u << 20))
		return 0;
	d = malloc(size);
	if (!d || target_read(p->t, bias + addr, d, size, NULL)) {
		free(d);
		return 0;
	}
	for (off = 0; off + MS_SIZE <= size && n < 2; off += 8)
		if (arena_shape(d + off, bias + addr + off)) {
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

/* The free bytes of one arena (image ms at a); *budget bounds the
 * chunks followed in all. */
static void arena_free(struct target *t, const unsigned char *ms, uint64_t a, int safe_linking,
		       struct glibc_malloc_stats *st, uint64_t *budget)
{
	uint64_t c, sz, next;
	int i;

	for (i = 0; i < MS_NFASTBINS; i++) {
		for (c = word(ms, MS_FASTBINS + (size_t)i * 8); c; c = next) {
			if (!*budget || read_chunk_size(t, c, &sz) ||
			    target_read_u64(t, c + 16, &next, NULL)) {
				st->incomplete = 1;
				break;
			}
			(*budget)--;
			st->free += sz;
			st->free_chunks++;
			if (safe_linking)
				next ^= (c + 16) >> 12;
		}
	}
	for (i = 1; i < MS_NBINS; i++) {
		uint64_t self = a + MS_BINS + (uint64_t)(i - 1) * 16 - 16;

		for (c = word(ms, MS_BINS + (size_t)(i - 1) * 16 + 8); c != self; c = next) {
			if (!*budget || read_chunk_size(t, c, &sz) ||
			    target_read_u64(t, c + 24, &next, NULL)) {
				st->incomplete = 1;
				break;
			}
			(*budget)--;
			st->free += sz;
			st->free_chunks++;
		}
	}
	c = word(ms, MS_TOP);
	if (c && !read_chunk_size(t, c, &sz)) {
		st->free += sz;
		st->free_chunks++;
		if (!st->arenas)
			st->top = sz;
	} else {
		st->incomplete = 1;
	}
}

/* A thread arena's heaps: from its top's heap back through heap_info's
 * prev links, each heap_info naming the arena. */
static void thread_heaps(struct target *t, const unsigned char *ms, uint64_t a,
			 struct glibc_malloc_stats *st)
{
	uint64_t h = word(ms, MS_TOP) & ~(GLIBC_HEAP_MAX - 1), hi[2];
	int n;

	for (n = 0; h && n < 4096 && st->nheaps < GLIBC_MAX_ARENAS + 1; n++) {
		if (target_read(t, h, hi, sizeof(hi), NULL) || hi[0] != a)
			return;
		st->heaps[st->nheaps].start = h;
		st->heaps[st->nheaps].end = h + GLIBC_HEAP_MAX;
		st->nheaps++;
		h = hi[1];
	}
}

int glibc_malloc_read(struct pyproc *p, const struct maps *m, struct glibc_malloc_stats *st,
		      struct hs_error *err)
{
	const struct map_entry *libc = NULL;
	struct elf_file *f;
	uint64_t bias, v, main_arena = 0, a, budget = GLIBC_MAX_FREE_CHUNKS;
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
	if (major != 2 || minor < GLIBC_MIN_MINOR || minor > GLIBC_MAX_MINOR) {
		elf_file_free(f);
		return hs_error_set(err, HS_EUNSUPPORTED,
				    "heapscope knows the arenas of glibc 2.%d to 2.%d, not %s",
				    GLIBC_MIN_MINOR, GLIBC_MAX_MINOR, st->version);
	}
	bias = maps_file_base(m, libc->path) - elf_file_load_vaddr(f);
	ms = malloc(MS_SIZE);
	if (!ms) {
		elf_file_free(f);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	if (!pyproc_file_symbol(p, f, "main_arena", &v) &&
	    !target_read(p->t, bias + v, ms, MS_SIZE, NULL) && arena_shape(ms, bias + v)) {
		main_arena = bias + v;
		st->by_symbol = 1;
	} else {
		main_arena = search_main_arena(p, f, bias);
	}
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
		if (target_read(p->t, a, ms, MS_SIZE, NULL) || !arena_shape(ms, a)) {
			st->incomplete = 1;
			break;
		}
		st->system += word(ms, MS_SYSTEM_MEM);
		arena_free(p->t, ms, a, minor >= SAFE_LINKING_MINOR, st, &budget);
		if (a != main_arena)
			thread_heaps(p->t, ms, a, st);
		st->arenas++;
		a = word(ms, MS_NEXT);
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

uint64_t glibc_next_mmapped(struct target *t, uint64_t start, uint64_t end, uint64_t *budget)
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
			if (ok[k] && mmapped_header(hdr[k], addr[k], end))
				return addr[k];
		start += m * 4096;
	}
	return end;
}
