/*
 * image.h - a frozen copy of a process's writable memory.
 *
 * Capturing a heap reads millions of small fields.  Done against the
 * frozen process that would make the pause as long as the walk; instead
 * image_plan() sizes and pre-faults buffers for every writable mapping
 * while the target still runs (our page faults dominate a copy into fresh
 * memory), image_copy() fills them with large process_vm_readv calls while
 * it is frozen, on both cores, and the walk then reads the copy after the
 * target has been let go.
 *
 * The copy needs the process no more: every readable mapping is either
 * copied or read from the file it maps (target_files_new), when it is a
 * read-only mapping of a file whose pages the process never wrote to
 * (code, read-only data); one the process did write to (read-only
 * relocations) or whose file cannot be opened is copied.  Mappings born
 * or grown between the plan and the freeze are added while frozen.
 * Whatever happens to the process after the freeze, the walk reads what
 * it held then, or fails to read an address it did not have.
 *
 * Anonymous memory is copied a populated page at a time (by
 * /proc/PID/pagemap, read again while frozen): what the process reserved
 * but never touched (a free-threaded build's mimalloc reserves a GiB)
 * costs neither copying nor memory.
 *
 * Mappings under 2 MiB (a small heap's arenas, thread stacks' guards,
 * libraries' data) are copied side by side into one buffer of their own,
 * the slab, in huge pages like the large ones: into 4 KiB pages the
 * kernel copies several times slower, and the pause is that copy.
 */
#ifndef HS_IMAGE_H
#define HS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "target.h"

struct image_region {
	uint64_t addr;
	size_t len;
	void *buf;	    /* mmap'ed, pre-faulted; NULL once adopted */
	int packed;	    /* buf is in the plan's slab */
	int sparse;	    /* anonymous memory: only its populated pages are
			     * copied (the rest reads as zeros, as there) */
	uint64_t populated; /* bytes of it populated when planned */
};

/* A mapping as the plan saw it. */
struct image_seen {
	uint64_t start, end, inode;
	unsigned prot;
};

struct image_plan {
	struct image_region *r;
	size_t n, cap;
	uint64_t total;		 /* bytes planned */
	uint64_t skipped;	 /* bytes of large str/bytes payloads and raw
				  * data (numpy arrays') left out */
	struct image_seen *seen; /* every readable mapping, by address */
	size_t nseen;
	struct target *files; /* the mappings read from their files */
	uint64_t from_files;  /* their bytes */
	uint64_t late;	      /* bytes of mappings born since, copied frozen */
	uint64_t missed;      /* bytes of those past the budget: not copied */
	uint64_t budget;
	void *slab; /* the packed regions' buffers, one mapping */
	size_t slab_len;
};

/* How much of a mapping that holds one big str or bytes object is
 * copied: its header and more than the walk ever reads of its value
 * (64 Ki characters of up to 4 bytes). */
#define IMAGE_PAYLOAD_HEAD (512u << 10)

/* The default budget: half of MemAvailable (1 GiB if unknown). */
uint64_t image_default_budget(void);

/* Plan a copy of the writable mappings of pid.  A mapping that is one
 * malloc'ed block holding a single object whose type is one of
 * payload_types (the exact str and bytes types: their data is inline
 * and the walk reads only its start) is copied only up to
 * IMAGE_PAYLOAD_HEAD; one holding raw data with no pointer in it (a
 * numpy array's, a bytearray's), only its first 64 KiB.  Returns 0 with buffers allocated, 1 when
 * they exceed budget bytes (nothing allocated: walk the frozen process instead), -1 with err. */
int image_plan(pid_t pid, uint64_t budget, const uint64_t *payload_types, size_t ntypes,
	       struct image_plan *pl, struct hs_error *err);
void image_plan_release(struct image_plan *pl);

/* With the target frozen: add the mappings born since the plan, copy
 * every planned region and return an image target over the copies whose
 * other reads go to the mapped files (pl->files: pl must outlive it).
 * *copied gets the bytes copied.  A region that cannot be read whole
 * keeps what could be read. */
int image_copy(pid_t pid, struct image_plan *pl, struct target **out, uint64_t *copied,
	       struct hs_error *err);

#endif
