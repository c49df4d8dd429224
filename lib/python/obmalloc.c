/*
 * obmalloc.c - pymalloc's arenas and pools, read from outside.
 *
 * The figures are those of sys._debugmallocstats(): it walks the arena
 * objects, and in each allocated arena the pools carved so far (up to
 * pool_address), counting a pool whose ref.count is not 0 as used, its
 * blocks of size (szidx + 1) * 16 as allocated or available.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "obmalloc.h"

#define ALIGNMENT 16
#define SMALL_CLASSES 32 /* 512-byte requests / 16 */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The arena objects' array, its length and the count of allocated
 * arenas: the interpreter's state from 3.12, obmalloc.c's statics
 * before. */
static int find_state(struct pyproc *p, uint64_t *arenas, uint32_t *maxarenas, uint64_t *narenas,
		      struct hs_error *err)
{
	static const char *const statics[] = { "arenas", "maxarenas",
					       "narenas_currently_allocated" };
	const struct layout *l = &p->layout;
	uint64_t a_arenas, a_max, a_n, st, a[3];

	if (LAY_HAS(l, interp_obmalloc)) {
		st = p->interp + (uint64_t)LAY(l, interp_obmalloc);
		if (p->minor >= 13 && target_read_u64(p->t, st, &st, err))
			return -1;
		if (!st || !LAY_HAS(l, obmalloc_arenas))
			return hs_error_set(err, HS_ELAYOUT,
					    "pymalloc's state is not where the layout says");
		a_arenas = st + (uint64_t)LAY(l, obmalloc_arenas);
		a_max = st + (uint64_t)LAY(l, obmalloc_maxarenas);
		a_n = st + (uint64_t)LAY(l, obmalloc_narenas);
	} else if (pyproc_static_symbols(p, statics, a, 3)) {
		hs_error_set(err, HS_ELAYOUT,
			     "pymalloc's state of Python %s is in static variables that this "
			     "build's symbols do not name",
			     p->version);
		hs_error_hint(err, "install the interpreter's debug symbols");
		return -1;
	} else {
		a_arenas = a[0];
		a_max = a[1];
		a_n = a[2];
	}
	if (target_read_u64(p->t, a_arenas, arenas, err) ||
	    target_read_u32(p->t, a_max, maxarenas, err) ||
	    target_read_u64(p->t, a_n, narenas, err))
		return -1;
	return 0;
}

#define MAX_POOLS 64 /* in an arena: 256 KiB / 4 KiB, 1 MiB / 16 KiB */

/* One arena's pools, as _debugmallocstats counts them: their headers
 * read at once. */
static void read_pools(struct pyproc *p, struct pymalloc_stats *st, uint64_t base, uint64_t end)
{
	const struct layout *l = &p->layout;
	size_t hsz = (size_t)LAY(l, pool_header_size), n = 0, i;
	uint64_t overhead = (hsz + ALIGNMENT - 1) & ~(uint64_t)(ALIGNMENT - 1);
	uint64_t addr[MAX_POOLS] = { 0 }, size, nblocks;
	unsigned char hdr[MAX_POOLS * 64];
	uint8_t ok[MAX_POOLS];
	uint32_t count, szidx;

	if (base & (st->pool_size - 1)) {
		st->overhead += st->pool_size;
		base = (base & ~(uint64_t)(st->pool_size - 1)) + st->pool_size;
	}
	for (; base < end && n < MAX_POOLS; base += st->pool_size)
		addr[n++] = base;
	target_read_many(p->t, addr, n, hsz, hdr, ok);
	for (i = 0; i < n; i++) {
		if (!ok[i]) {
			st->incomplete = 1;
			continue;
		}
		memcpy(&count, hdr + i * hsz + LAY(l, pool_count), 4);
		memcpy(&szidx, hdr + i * hsz + LAY(l, pool_szidx), 4);
		if (!count)
			continue;
		size = ((uint64_t)szidx + 1) * ALIGNMENT;
		nblocks = szidx < SMALL_CLASSES ? (st->pool_size - overhead) / size : 0;
		if (count > nblocks) {
			st->incomplete = 1;
			continue;
		}
		st->used_pools++;
		st->live += count * size;
		st->free_in_pools += (nblocks - count) * size;
		st->overhead += overhead + (st->pool_size - overhead) % size;
	}
}

int pymalloc_read(struct pyproc *p, struct pymalloc_stats *st, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	uint64_t arenas, narenas, i;
	uint32_t maxarenas;
	size_t osz;
	unsigned char *v;

	memset(st, 0, sizeof(*st));
	if (p->free_threaded)
		return hs_error_set(err, HS_EUNSUPPORTED,
				    "a free-threaded build allocates with mimalloc, not pymalloc");
	if (!LAY_HAS(l, arena_object_size) || !LAY_HAS(l, pool_header_size) ||
	    LAY(l, pool_header_size) > 64 || LAY(l, arena_object_size) > 256)
		return hs_error_set(err, HS_ELAYOUT, "pymalloc's structures are not in the layout");
	if (find_state(p, &arenas, &maxarenas, &narenas, err))
		return -1;
	st->arena_size = p->minor >= 10 ? 1u << 20 : 1u << 18;
	st->pool_size = p->minor >= 10 ? 1u << 14 : 1u << 12;
	if (!maxarenas)
		return 0; /* PYTHONMALLOC=malloc, or nothing allocated */
	if (!arenas || maxarenas > PYMALLOC_MAX_ARENAS || narenas > maxarenas)
		return hs_error_set(err, HS_EREAD,
				    "pymalloc's arena table reads wrong (%u entries, %llu in use)",
				    maxarenas, (unsigned long long)narenas);
	osz = (size_t)LAY(l, arena_object_size);
	v = malloc((size_t)maxarenas * osz);
	st->arena_addr = malloc((size_t)maxarenas * sizeof(uint64_t));
	if (!v || !st->arena_addr) {
		free(v);
		pymalloc_release(st);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	if (target_read(p->t, arenas, v, (size_t)maxarenas * osz, err)) {
		free(v);
		pymalloc_release(st);
		return -1;
	}
	for (i = 0; i < maxarenas; i++) {
		const unsigned char *a = v + i * osz;
		uint64_t addr, pool_address;
		uint32_t nfree, ntotal;

		memcpy(&addr, a + LAY(l, arena_address), 8);
		if (!addr)
			continue;
		memcpy(&pool_address, a + LAY(l, arena_pool_address), 8);
		memcpy(&nfree, a + LAY(l, arena_nfreepools), 4);
		memcpy(&ntotal, a + LAY(l, arena_ntotalpools), 4);
		st->arena_addr[st->narena_addr++] = addr;
		st->arenas++;
		st->free_pools += nfree;
		if (nfree == ntotal)
			st->empty_arenas++;
		if (pool_address < addr || pool_address > addr + st->arena_size ||
		    ntotal > st->arena_size / st->pool_size || nfree > ntotal) {
			st->incomplete = 1;
			continue;
		}
		read_pools(p, st, addr, pool_address);
	}
	free(v);
	qsort(st->arena_addr, st->narena_addr, sizeof(uint64_t), cmp_u64);
	return 0;
}

void pymalloc_release(struct pymalloc_stats *st)
{
	free(st->arena_addr);
	st->arena_addr = NULL;
	st->narena_addr = 0;
}
