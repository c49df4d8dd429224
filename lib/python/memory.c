/*
 * memory.c - where a Python process's memory goes.
 *
 * Anonymous memory is split by owner: each run of adjacent anonymous
 * mappings is cut at the ranges the allocators and the threads claim
 * (pymalloc's arenas, glibc's heaps, the mapping holding each thread's
 * stack pointer); what is left is searched for malloc's own mmapped
 * chunks from its start, and the rest is "other".
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memory.h"
#include "obmalloc.h"
#include "glibc_malloc.h"
#include "mimalloc.h"
#include "heap/heap.h"
#include "target/proc.h"

_Static_assert(sizeof(struct mem_breakdown) == 632, "mem_breakdown is part of the file format");

/* pages of unclaimed anonymous memory looked at for malloc's chunks:
 * 4 GiB of it */
#define MEM_SCAN_PAGES (1u << 20)

enum owner { OWN_PYMALLOC, OWN_CMALLOC, OWN_STACK, OWN_MIMALLOC };

struct claim {
	uint64_t start, end;
	int owner;
};

struct splitter {
	struct pyproc *p;
	struct mem_breakdown *mb;
	int pagemap; /* -1: count mapped bytes */
	struct claim *c;
	size_t nc;
	uint64_t scan_budget; /* pages left to look for chunks in */
};

static int cmp_claim(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* RSS, RssAnon, RssFile + RssShmem of a live process, from its status. */
static int read_status(pid_t pid, struct mem_breakdown *mb)
{
	static const char *const keys[] = { "VmRSS", "RssAnon", "RssFile", "RssShmem" };
	long long kb[4];

	if (proc_status_fields(pid, keys, kb, 4) < 3 || kb[0] < 0 || kb[1] < 0 || kb[2] < 0 ||
	    kb[3] < 0)
		return -1;
	mb->rss = (uint64_t)kb[0] * 1024;
	mb->rss_anon = (uint64_t)kb[1] * 1024;
	mb->rss_file = (uint64_t)(kb[2] + kb[3]) * 1024;
	return 0;
}

static int add_run(void *ctx, uint64_t s, uint64_t e)
{
	*(uint64_t *)ctx += e - s;
	return 0;
}

/* The bytes of [s, e) that count: populated pages, or all when mapped
 * bytes are counted. */
static uint64_t bytes_in(struct splitter *sp, uint64_t s, uint64_t e)
{
	uint64_t n = 0;

	if (e <= s)
		return 0;
	if (sp->pagemap < 0 || maps_populated(sp->pagemap, s, e, add_run, &n))
		return e - s;
	return n;
}

static void count(struct splitter *sp, int owner, uint64_t s, uint64_t e)
{
	uint64_t n = bytes_in(sp, s, e);

	if (owner == OWN_PYMALLOC)
		sp->mb->pymalloc += n;
	else if (owner == OWN_MIMALLOC)
		sp->mb->mimalloc += n;
	else if (owner == OWN_CMALLOC)
		sp->mb->cmalloc += n;
	else
		sp->mb->stacks += n;
}

struct chunk_search {
	struct splitter *sp;
	uint64_t limit; /* the end of the unclaimed piece */
	uint64_t found;
};

static int search_run(void *ctx, uint64_t s, uint64_t e)
{
	struct chunk_search *cs = ctx;
	uint64_t at = glibc_next_mmapped(cs->sp->p->t, s, e, cs->limit, &cs->sp->scan_budget);

	if (at < e) {
		cs->found = at;
		return 1;
	}
	return !cs->sp->scan_budget;
}

/* The first page of [s, e) that begins with an mmapped chunk's header,
 * or e.  A live chunk's header page is populated, so where pagemap is
 * there only populated pages are looked at: a free-threaded build's
 * untouched reservations would cost a read per page. */
static uint64_t next_chunk(struct splitter *sp, uint64_t s, uint64_t e)
{
	struct chunk_search cs = { .sp = sp, .limit = e, .found = e };

	s = (s + 4095) & ~4095ull;
	if (s >= e)
		return e;
	if (sp->pagemap < 0 || maps_populated(sp->pagemap, s, e, search_run, &cs))
		return glibc_next_mmapped(sp->p->t, s, e, e, &sp->scan_budget);
	return cs.found;
}

/* A piece no one claimed: malloc's mmapped chunks, one after another
 * from wherever one starts (a page beginning with a chunk's header),
 * the rest other memory.  Pages looked at are bounded. */
static void unclaimed(struct splitter *sp, uint64_t s, uint64_t e)
{
	uint64_t q, next;

	while (s < e) {
		q = s;
		if (sp->mb->flags & MEM_CMALLOC)
			q = glibc_mmapped_chunks(sp->p->t, s, e, &sp->mb->c_mmapped_chunks,
						 &sp->mb->c_mmapped);
		count(sp, OWN_CMALLOC, s, q);
		next = e;
		if (q < e && (sp->mb->flags & MEM_CMALLOC))
			next = next_chunk(sp, q + 1, e);
		if (!(sp->mb->flags & MEM_RESIDENT))
			sp->mb->other_anon += next - q;
		s = next;
	}
}

/* Split the anonymous run [s, e) at the claims (sorted, from *ci on). */
static void split(struct splitter *sp, uint64_t s, uint64_t e, size_t *ci)
{
	uint64_t pos = s;
	size_t i;

	while (*ci < sp->nc && sp->c[*ci].end <= s)
		(*ci)++;
	for (i = *ci; i < sp->nc && sp->c[i].start < e; i++) {
		uint64_t cs = sp->c[i].start > pos ? sp->c[i].start : pos;
		uint64_t ce = sp->c[i].end < e ? sp->c[i].end : e;

		if (ce <= pos)
			continue;
		unclaimed(sp, pos, cs);
		count(sp, sp->c[i].owner, cs, ce);
		pos = ce;
	}
	unclaimed(sp, pos, e);
}

static int anonymous(const struct map_entry *e)
{
	/* by name: a core's mappings have no inodes */
	return (!e->path[0] || e->path[0] == '[') && strncmp(e->path, "[v", 2) &&
	       (e->prot & MAP_R) && !(e->prot & MAP_S);
}

static void claim_stacks(const struct maps *m, const uint64_t *sps, size_t nsp, struct claim *c,
			 size_t *nc, struct mem_breakdown *mb)
{
	size_t i, j, first = *nc;

	for (i = 0; i < nsp; i++) {
		const struct map_entry *e = maps_find(m, sps[i]);
		int seen = 0;

		if (!e || !anonymous(e))
			continue;
		/* two threads on one stack: a coroutine library's, or a bad
		 * stack pointer */
		for (j = first; j < *nc && !seen; j++)
			seen = c[j].start == e->start;
		if (seen)
			continue;
		c[*nc].start = e->start;
		c[*nc].end = e->end;
		c[*nc].owner = OWN_STACK;
		(*nc)++;
		mb->threads++;
	}
}

/* mimalloc's pages: their figures, and the range of each segment (the
 * page's end, for a huge one) to claim. */
struct mi_pages {
	struct mem_breakdown *mb;
	struct claim *seg;
	size_t n, cap;
	int nomem;
};

static int mi_page(void *ctx, const struct mimalloc_page *pg)
{
	struct mi_pages *m = ctx;
	uint64_t end = pg->segment + MIMALLOC_SEGMENT_SIZE, pend;

	m->mb->mi_pages++;
	m->mb->mi_live_blocks += pg->used;
	m->mb->mi_live += (uint64_t)pg->used * pg->bsize;
	if (pg->capacity > pg->used)
		m->mb->mi_free += (uint64_t)(pg->capacity - pg->used) * pg->bsize;
	m->mb->mi_uncarved += (uint64_t)(pg->reserved - pg->capacity) * pg->bsize;
	pend = pg->start + (uint64_t)pg->reserved * pg->bsize;
	if (pend > end)
		end = pend;
	if (m->n && m->seg[m->n - 1].start == pg->segment) {
		if (end > m->seg[m->n - 1].end)
			m->seg[m->n - 1].end = end;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct claim *c = realloc(m->seg, cap * sizeof(*c));

		if (!c) {
			m->nomem = 1;
			return 1;
		}
		m->seg = c;
		m->cap = cap;
	}
	m->seg[m->n].start = pg->segment;
	m->seg[m->n].end = end;
	m->seg[m->n++].owner = OWN_MIMALLOC;
	return 0;
}

/* The segments, sorted, each once (the widest end kept). */
static size_t mi_segments(struct claim *c, size_t n)
{
	size_t i, k = 0;

	qsort(c, n, sizeof(*c), cmp_claim);
	for (i = 0; i < n; i++) {
		if (k && c[k - 1].start == c[i].start) {
			if (c[i].end > c[k - 1].end)
				c[k - 1].end = c[i].end;
			continue;
		}
		c[k++] = c[i];
	}
	return k;
}

static void set_why(char *buf, size_t len, const struct hs_error *err)
{
	snprintf(buf, len, "%s%s%s", err->msg, err->hint[0] ? ": " : "", err->hint);
}

void memory_breakdown(struct pyproc *p, const struct maps *m, pid_t pid, const uint64_t *sps,
		      size_t nsp, struct mem_breakdown *mb)
{
	struct pymalloc_stats pm;
	struct glibc_malloc_stats *gm = calloc(1, sizeof(*gm));
	struct hs_error err = HS_ERROR_INIT;
	struct splitter sp = { .p = p, .mb = mb, .pagemap = -1, .scan_budget = MEM_SCAN_PAGES };
	struct mi_pages mi = { .mb = mb };
	size_t i, ci = 0, cap;

	memset(mb, 0, sizeof(*mb));
	mb->size = sizeof(*mb);
	mb->objects = mb->estimated = mb->buffers = MEM_UNKNOWN;
	if (pid > 0 && !read_status(pid, mb)) {
		mb->flags |= MEM_RESIDENT;
		sp.pagemap = maps_pagemap_open(pid);
	}
	if (p->free_threaded) {
		if (mimalloc_pages(p, p->interp, mi_page, &mi, NULL, &err) || mi.nomem) {
			set_why(mb->pymalloc_why, sizeof(mb->pymalloc_why), &err);
			if (mi.nomem)
				snprintf(mb->pymalloc_why, sizeof(mb->pymalloc_why),
					 "out of memory");
			hs_error_clear(&err);
			mi.n = 0;
		} else {
			mb->flags |= MEM_MIMALLOC;
			mi.n = mi_segments(mi.seg, mi.n);
			mb->mi_segments = mi.n;
		}
		pm.narena_addr = 0;
	} else if (pymalloc_read(p, &pm, &err)) {
		set_why(mb->pymalloc_why, sizeof(mb->pymalloc_why), &err);
		hs_error_clear(&err);
	} else {
		mb->flags |= MEM_PYMALLOC | (pm.incomplete ? MEM_PYMALLOC_PARTIAL : 0);
		mb->pm_arenas = pm.arenas;
		mb->pm_arena_size = pm.arena_size;
		mb->pm_pool_size = pm.pool_size;
		mb->pm_live = pm.live;
		mb->pm_free_in_pools = pm.free_in_pools;
		mb->pm_used_pools = pm.used_pools;
		mb->pm_free_pools = pm.free_pools;
		mb->pm_empty_arenas = pm.empty_arenas;
		mb->pm_overhead = pm.overhead;
	}
	if (!gm) {
		snprintf(mb->cmalloc_why, sizeof(mb->cmalloc_why), "out of memory");
	} else if (glibc_malloc_read(p, m, gm, &err)) {
		set_why(mb->cmalloc_why, sizeof(mb->cmalloc_why), &err);
		snprintf(mb->libc_version, sizeof(mb->libc_version), "%s", gm->version);
		gm->nheaps = 0;
	} else {
		mb->flags |= MEM_CMALLOC | (gm->incomplete ? MEM_CMALLOC_PARTIAL : 0) |
			     (gm->by_symbol ? MEM_BY_SYMBOL : 0) | (gm->by_dwarf ? MEM_C_DWARF : 0);
		snprintf(mb->libc_version, sizeof(mb->libc_version), "%s", gm->version);
		mb->c_arenas = gm->arenas;
		mb->c_system = gm->system;
		mb->c_free = gm->free;
		mb->c_in_use = gm->system - gm->free;
		mb->c_free_chunks = gm->free_chunks;
		mb->c_top = gm->top;
	}

	cap = (mb->flags & MEM_PYMALLOC ? pm.narena_addr : 0) + (gm ? (size_t)gm->nheaps : 0) +
	      mi.n + nsp;
	sp.c = calloc(cap ? cap : 1, sizeof(*sp.c));
	if (sp.c) {
		for (i = 0; mb->flags & MEM_PYMALLOC && i < pm.narena_addr; i++) {
			sp.c[sp.nc].start = pm.arena_addr[i];
			sp.c[sp.nc].end = pm.arena_addr[i] + pm.arena_size;
			sp.c[sp.nc++].owner = OWN_PYMALLOC;
		}
		for (i = 0; i < mi.n; i++)
			sp.c[sp.nc++] = mi.seg[i];
		for (i = 0; gm && i < (size_t)gm->nheaps; i++) {
			sp.c[sp.nc].start = gm->heaps[i].start;
			sp.c[sp.nc].end = gm->heaps[i].end;
			sp.c[sp.nc++].owner = OWN_CMALLOC;
		}
		claim_stacks(m, sps, nsp, sp.c, &sp.nc, mb);
		qsort(sp.c, sp.nc, sizeof(*sp.c), cmp_claim);
		/* runs of adjacent anonymous mappings: a chunk or an arena
		 * may span several (madvise splits them) */
		for (i = 0; i < m->n;) {
			uint64_t s, e;

			if (!anonymous(&m->v[i])) {
				i++;
				continue;
			}
			s = m->v[i].start;
			e = m->v[i].end;
			for (i++; i < m->n && anonymous(&m->v[i]) && m->v[i].start == e; i++)
				e = m->v[i].end;
			split(&sp, s, e, &ci);
		}
	}
	if (mb->flags & MEM_RESIDENT) {
		uint64_t owned = mb->pymalloc + mb->mimalloc + mb->cmalloc + mb->stacks;

		mb->other_anon = mb->rss_anon > owned ? mb->rss_anon - owned : 0;
	} else {
		mb->rss = mb->rss_anon = mb->rss_file = MEM_UNKNOWN;
	}
	if (sp.pagemap >= 0)
		close(sp.pagemap);
	free(sp.c);
	free(mi.seg);
	free(gm);
	if (mb->flags & MEM_PYMALLOC)
		pymalloc_release(&pm);
}

int memory_from_bytes(const void *data, size_t len, struct mem_breakdown *mb)
{
	uint64_t size;

	memset(mb, 0, sizeof(*mb));
	if (!data || len < 2 * sizeof(uint64_t))
		return -1;
	memcpy(&size, data, sizeof(size));
	if (size != len)
		return -1;
	/* a later heapscope's longer breakdown: the fields we know */
	memcpy(mb, data, len < sizeof(*mb) ? len : sizeof(*mb));
	if (len < sizeof(*mb))
		mb->objects = mb->estimated = mb->buffers = MEM_UNKNOWN;
	mb->libc_version[sizeof(mb->libc_version) - 1] = '\0';
	mb->pymalloc_why[sizeof(mb->pymalloc_why) - 1] = '\0';
	mb->cmalloc_why[sizeof(mb->cmalloc_why) - 1] = '\0';
	return 0;
}

size_t memory_stack_pointers(struct target *t, uint64_t *sps, size_t max)
{
	struct target_regs r;
	size_t i, n = 0;

	for (i = 0; i < t->ntids && n < max; i++)
		if (!target_regs(t, t->tids[i], &r, NULL))
			sps[n++] = r.sp;
	return n;
}

int memory_has_unaccounted(const struct mem_breakdown *mb)
{
	return (mb->flags & MEM_WALKED) && (mb->flags & MEM_CMALLOC) &&
	       (mb->flags & (MEM_PYMALLOC | MEM_MIMALLOC));
}

int64_t memory_unaccounted(const struct mem_breakdown *mb)
{
	uint64_t used = mb->pm_live + mb->mi_live + mb->c_in_use + mb->c_mmapped;

	return (int64_t)used - (int64_t)mb->objects;
}

/* ---- for people ---- */

struct liner {
	void (*line)(void *ctx, const char *text);
	void *ctx;
	uint64_t whole; /* RSS, 0 when unknown */
};

/* "label  size  share  note" */
static void row(struct liner *l, int indent, const char *label, uint64_t bytes, int share,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void row(struct liner *l, int indent, const char *label, uint64_t bytes, int share,
		const char *fmt, ...)
{
	char size[32], pct[16] = "", note[200] = "", text[320];
	va_list ap;

	heap_size_text(bytes, size, sizeof(size));
	if (share && l->whole)
		snprintf(pct, sizeof(pct), "%5.1f%%", 100.0 * (double)bytes / (double)l->whole);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(note, sizeof(note), fmt, ap);
		va_end(ap);
	}
	snprintf(text, sizeof(text), "%*s%-*s %10s %6s  %s", indent, "", 20 - indent, label, size,
		 pct, note);
	while (strlen(text) && text[strlen(text) - 1] == ' ')
		text[strlen(text) - 1] = '\0';
	l->line(l->ctx, text);
}

void memory_text(const struct mem_breakdown *mb, void (*line)(void *ctx, const char *text),
		 void *ctx)
{
	struct liner l = { .line = line, .ctx = ctx };
	const char *what = mb->flags & MEM_RESIDENT ? "resident" : "mapped";
	char a[32], b[32], text[320];

	if (mb->flags & MEM_RESIDENT) {
		l.whole = mb->rss;
		heap_size_text(mb->rss_anon, a, sizeof(a));
		heap_size_text(mb->rss_file, b, sizeof(b));
		row(&l, 0, "RSS", mb->rss, 0, "anonymous %s, files %s", a, b);
	} else {
		line(ctx, "RSS                 unknown: a core file records no RSS; sizes are "
			  "of the memory mapped");
	}
	if (mb->flags & MEM_PYMALLOC) {
		heap_size_text(mb->pm_arena_size, a, sizeof(a));
		row(&l, 0, "pymalloc", mb->pymalloc, 1, "%s of %llu arenas of %s%s", what,
		    (unsigned long long)mb->pm_arenas, a,
		    mb->flags & MEM_PYMALLOC_PARTIAL ? " (some pools unreadable)" : "");
		row(&l, 2, "live blocks", mb->pm_live, 0, "in %llu used pools",
		    (unsigned long long)mb->pm_used_pools);
		row(&l, 2, "free in used pools", mb->pm_free_in_pools, 0, NULL);
		row(&l, 2, "free pools", mb->pm_free_pools * mb->pm_pool_size, 0,
		    "%llu pools, %llu arenas empty", (unsigned long long)mb->pm_free_pools,
		    (unsigned long long)mb->pm_empty_arenas);
		row(&l, 2, "overhead", mb->pm_overhead, 0, "pool headers, rounding, alignment");
	} else if (mb->flags & MEM_MIMALLOC) {
		heap_size_text(MIMALLOC_SEGMENT_SIZE, a, sizeof(a));
		row(&l, 0, "mimalloc", mb->mimalloc, 1, "%s of %llu segments of %s", what,
		    (unsigned long long)mb->mi_segments, a);
		row(&l, 2, "live blocks", mb->mi_live, 0, "%llu blocks in %llu pages",
		    (unsigned long long)mb->mi_live_blocks, (unsigned long long)mb->mi_pages);
		row(&l, 2, "free in pages", mb->mi_free, 0, NULL);
		row(&l, 2, "not yet carved", mb->mi_uncarved, 0, "reserved in pages, never used");
	} else {
		snprintf(text, sizeof(text), "pymalloc            unknown: %s", mb->pymalloc_why);
		line(ctx, text);
	}
	if (mb->flags & MEM_CMALLOC) {
		row(&l, 0, "C allocator", mb->cmalloc, 1, "%s; glibc %s, %llu arena%s%s", what,
		    mb->libc_version, (unsigned long long)mb->c_arenas,
		    mb->c_arenas == 1 ? "" : "s",
		    mb->flags & MEM_CMALLOC_PARTIAL ? " (a free list unreadable)" : "");
		row(&l, 2, "in use", mb->c_in_use, 0, "of %s taken from the system",
		    (heap_size_text(mb->c_system, a, sizeof(a)), a));
		row(&l, 2, "free, kept", mb->c_free, 0, "%llu free chunks and tops",
		    (unsigned long long)mb->c_free_chunks);
		row(&l, 2, "mmapped chunks", mb->c_mmapped, 0, "%llu chunk%s",
		    (unsigned long long)mb->c_mmapped_chunks, mb->c_mmapped_chunks == 1 ? "" : "s");
	} else {
		snprintf(text, sizeof(text), "C allocator         unknown: %s", mb->cmalloc_why);
		line(ctx, text);
	}
	row(&l, 0, "thread stacks", mb->stacks, 1, "%llu thread%s", (unsigned long long)mb->threads,
	    mb->threads == 1 ? "" : "s");
	row(&l, 0, "other anonymous", mb->other_anon, 1, NULL);
	if (mb->flags & MEM_RESIDENT)
		row(&l, 0, "files", mb->rss_file, 1, "code, data, shared memory");
	if (!(mb->flags & MEM_WALKED)) {
		line(ctx, "Python objects      not counted here: a snapshot counts them "
			  "(heapscope snapshot, then info FILE; M in the browser)");
		return;
	}
	heap_size_text(mb->buffers, a, sizeof(a));
	heap_size_text(mb->estimated, b, sizeof(b));
	row(&l, 0, "Python objects", mb->objects, 1, "of which buffers %s, estimated %s", a, b);
	if (memory_has_unaccounted(mb)) {
		int64_t u = memory_unaccounted(mb);

		if (u >= 0) {
			row(&l, 0, "unaccounted", (uint64_t)u, 1,
			    "allocated, but in no Python object");
		} else {
			heap_size_text((uint64_t)-u, a, sizeof(a));
			snprintf(text, sizeof(text),
				 "unaccounted         none: objects exceed the allocators' "
				 "blocks by %s (static objects)",
				 a);
			line(ctx, text);
		}
	}
}
