/*
 * fuzz-walk - the heap walk and the stack reader over memory whose bytes
 * the fuzzer chooses.
 *
 * Input: byte 0 picks the built-in layout table whose offsets read the
 * memory (layout_tables[byte 0 modulo their number]: 0-5 are 3.8-3.13,
 * then 3.14 and the free-threaded 3.14t), byte 1 the seed of a synthetic
 * interpreter (walkimage.h), byte 2 how it is read (bit 0: as a live
 * process rather than a copy; bit 1: with a generation-0 list linked
 * through its objects; bit 2: thread stacks read first, as a capture
 * does; bit 3: as 3.14.0-3.14.4, the table corrected for them and the
 * list's links carrying the old-space bit), its
 * words zero around that structure (WI_CLEAN: unit-walk covers memory
 * of random words, too slow to walk to fuzz); then
 * records of 10 bytes, each writing one word of the memory: a 16-bit
 * index (its low 15 bits: the word; bit 15: the value is made a pointer
 * into the memory) and the 64-bit value.  So every field of every type
 * and object, the interpreter and runtime states, the collector's lists
 * and the thread states can take any value, as in a target that changed
 * under us.
 *
 * Checks: the stack reader and the walk finish (or fail with a read or
 * memory error); a finished graph has every index in range, takes its
 * reverse edges, address index and dominator tree, and the dominator tree
 * keeps its invariants (a dominator retains at least what it dominates).
 */
#include "config.h"
#include <string.h>
#include "analysis/dominator.h"
#include "fuzz.h"
#include "python/stacks.h"
#include "walk/walk.h"
#include "../walkimage.h"

const char fuzz_name[] = "walk";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_graph(struct heap *h)
{
	struct hs_error err = HS_ERROR_INIT;
	size_t i;

	FUZZ_CHECK(walk_graph_ok(h), "a graph index out of range");
	if (heap_prepare(h, HEAP_NEED_REVERSE | HEAP_NEED_INDEX | HEAP_NEED_DOMINATORS, &err)) {
		FUZZ_CHECK(err.code == HS_ENOMEM, "prepare: %s", err.msg);
		return;
	}
	for (i = 0; i < h->nobj; i++) {
		uint32_t d = h->idom[i];

		FUZZ_CHECK(heap_lookup(h, h->obj[i].addr) != HEAP_NONE, "object %zu not indexed",
			   i);
		if (!heap_reachable(h, (uint32_t)i) || d == HEAP_NONE)
			continue;
		FUZZ_CHECK(d < h->nobj && heap_reachable(h, d) &&
				   h->retained[d] >= h->retained[i] + heap_size(h, d),
			   "object %zu: dominator %u retains too little", i, d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_error err = HS_ERROR_INIT;
	struct walk_image wi;
	struct stacks st;
	struct heap h;
	unsigned flags, how;
	int have_st = 0;
	size_t i, ntables = 0;

	if (size < 3)
		return 0;
	while (layout_tables[ntables])
		ntables++;
	how = data[2];
	flags = WI_CLEAN | (how & 1 ? WI_LIVE : 0) | (how & 2 ? WI_GC_LIST : 0) |
		(how & 8 ? WI_INCREMENTAL | WI_OLD_SPACE : 0);
	if (walk_image_init(&wi, layout_tables[data[0] % ntables], data[1], flags))
		return 0;
	for (i = 3; i + 10 <= size; i += 10) {
		uint16_t idx;
		uint64_t v;

		memcpy(&idx, data + i, 2);
		memcpy(&v, data + i + 2, 8);
		if (idx & 0x8000)
			v = walk_image_addr((size_t)(v % (WI_LEN / 8)));
		wi.mem[(idx & 0x7fff) % (WI_LEN / 8)] = v;
	}
	if (walk_image_attach(&wi, flags, &err)) {
		walk_image_release(&wi);
		return 0;
	}
	memset(&st, 0, sizeof(st));
	if (how & 4) {
		if (!stacks_read(&wi.p, &st, &err))
			have_st = 1;
		else
			FUZZ_CHECK(err.code == HS_EREAD || err.code == HS_ENOMEM ||
					   err.code == HS_ELAYOUT,
				   "stacks: %s: %s", hs_code_name(err.code), err.msg);
		hs_error_clear(&err);
	}
	heap_init(&h);
	if (!walk_heap(&wi.p, have_st ? &st : NULL, &h, NULL, &err))
		check_graph(&h);
	else
		FUZZ_CHECK(err.code == HS_EREAD || err.code == HS_ENOMEM, "walk: %s: %s",
			   hs_code_name(err.code), err.msg);
	heap_release(&h);
	if (have_st)
		stacks_release(&st);
	walk_image_release(&wi);
	return 0;
}
