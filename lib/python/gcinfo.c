#include "config.h"
#include <stdio.h>
#include <string.h>
#include "gcinfo.h"
#include "mimalloc.h"

#define GC_BITS_TRACKED 0x01
#define GC_BITS_FROZEN 0x08

struct ft_count {
	struct pyproc *p;
	uint64_t off[4]; /* from a block to its object, by heap tag */
	long tracked, frozen;
};

static int ft_count_block(void *ctx, uint64_t block, uint64_t bsize, int tag)
{
	struct ft_count *c = ctx;
	uint8_t bits;

	(void)bsize;
	if (target_read(c->p->t, block + c->off[tag & 3] + LAY(&c->p->layout, object_gc_bits),
			&bits, 1, NULL))
		return 0;
	if (bits & GC_BITS_FROZEN)
		c->frozen++;
	else if (bits & GC_BITS_TRACKED)
		c->tracked++;
	return 0;
}

/*
 * A free-threaded collector keeps no lists: what it tracks is every
 * object of mimalloc's two GC heaps with the TRACKED bit, and
 * gc.get_objects(generation) gives them all whatever the generation; the
 * frozen ones stand for the permanent generation.
 */
static void ft_objects(struct pyproc *p, uint64_t interp, struct gc_info *g)
{
	struct ft_count c = { .p = p };
	int i;

	for (i = 0; i < 4; i++)
		c.off[i] = mimalloc_object_offset(p, i);
	if (mimalloc_blocks(p, interp, 1u << 2 | 1u << 3, ft_count_block, &c, NULL, NULL) < 0) {
		snprintf(g->warning, sizeof(g->warning), "mimalloc's heaps could not be walked");
		return;
	}
	for (i = 0; i < 3; i++)
		g->gen[i].objects = c.tracked;
	g->permanent = c.frozen;
}

uint64_t gcinfo_state_addr(const struct pyproc *p, uint64_t interp)
{
	const struct layout *l = &p->layout;

	if (LAY_HAS(l, interp_gc))
		return interp + LAY(l, interp_gc);
	if (LAY_HAS(l, runtime_gc))
		return p->runtime + LAY(l, runtime_gc);
	return 0;
}

/*
 * Count the objects of one circular list whose head is at head.  The low
 * two bits of _gc_next/_gc_prev are flags (FINALIZED, COLLECTING,
 * NEXT_MASK_UNREACHABLE), so both are masked.  A list that does not come
 * back to its head within the bound, or that breaks, gives -1.
 */
static long count_list(struct pyproc *p, uint64_t head)
{
	const struct layout *l = &p->layout;
	uint64_t next, cur = head, back;
	long n = 0;

	for (;;) {
		if (target_read_u64(p->t, cur + LAY(l, gchead_next), &next, NULL))
			return -1;
		next &= ~(uint64_t)3;
		if (next == head)
			return n;
		if (!next || (next & 7) || ++n > GCINFO_MAX_OBJECTS)
			return -1;
		/* each node must point back at the one before it */
		if (target_read_u64(p->t, next + LAY(l, gchead_prev), &back, NULL) ||
		    (back & ~(uint64_t)3) != cur)
			return -1;
		cur = next;
	}
}

int gcinfo_read(struct pyproc *p, uint64_t interp, struct gc_info *g, struct hs_error *err)
{
	const struct layout *l = &p->layout;
	uint64_t st = gcinfo_state_addr(p, interp);
	uint32_t v;
	int i;

	memset(g, 0, sizeof(*g));
	g->permanent = -1;
	if (!st || !LAY_HAS(l, gcstate_generations) || !LAY_HAS(l, gcgen_size) ||
	    !LAY_HAS(l, gchead_next))
		return hs_error_set(err, HS_ELAYOUT, "the GC layout of Python %s is unknown",
				    p->version);
	g->state = st;
	if (LAY_HAS(l, gcstate_enabled) &&
	    !target_read_u32(p->t, st + LAY(l, gcstate_enabled), &v, err))
		g->enabled = (int)v;
	if (LAY_HAS(l, gcstate_collecting) &&
	    !target_read_u32(p->t, st + LAY(l, gcstate_collecting), &v, err))
		g->collecting = (int)v;
	if (err && err->code != HS_OK)
		return -1;
	for (i = 0; i < 3; i++) {
		uint64_t gen = st + LAY(l, gcstate_generations) + i * LAY(l, gcgen_size);

		if (!target_read_u32(p->t, gen + LAY(l, gcgen_count), &v, NULL))
			g->gen[i].count = (int)v;
		if (!target_read_u32(p->t, gen + LAY(l, gcgen_threshold), &v, NULL))
			g->gen[i].threshold = (int)v;
		/* during a collection the lists are being rewritten; a
		 * free-threaded collector keeps no lists (its objects are in
		 * mimalloc's heaps) */
		g->gen[i].objects = g->collecting || p->free_threaded
					    ? -1
					    : count_list(p, gen + LAY(l, gcgen_head));
		if (g->gen[i].objects < 0 && !g->warning[0] && !p->free_threaded)
			snprintf(g->warning, sizeof(g->warning), "%s",
				 g->collecting ? "a collection is running: lists not counted"
					       : "a generation list could not be followed");
	}
	if (LAY_HAS(l, gcstate_permanent_generation) && !g->collecting && !p->free_threaded)
		g->permanent = count_list(p, st + LAY(l, gcstate_permanent_generation) +
						     LAY(l, gcgen_head));
	if (p->free_threaded && !g->collecting)
		ft_objects(p, interp, g);
	return 0;
}

int gcinfo_collecting(struct pyproc *p, uint64_t interp)
{
	const struct layout *l = &p->layout;
	uint64_t st = gcinfo_state_addr(p, interp);
	uint32_t v = 0;

	if (!st || !LAY_HAS(l, gcstate_collecting) ||
	    target_read_u32(p->t, st + LAY(l, gcstate_collecting), &v, NULL))
		return 0;
	return v != 0;
}
