/*
 * bigmem.h - the arrays that grow with a heap (an entry per object or
 * per edge), in transparent huge pages.
 *
 * Filling a fresh array of hundreds of megabytes faults once per 4 KiB
 * page, and each fault costs microseconds (more in a virtual machine):
 * the dominators of 4.5M objects spent two thirds of their second in
 * page faults.  From BIGMEM_BYTES on, an allocation is malloc's own
 * mapping (the mmap threshold is fixed there, no longer moved by frees)
 * and its pages are advised MADV_HUGEPAGE before they are touched: one
 * fault per 2 MiB where the kernel has huge pages ("madvise" or
 * "always"), the same as before where it has none.
 *
 * Freed with free(), like any allocation.  For arrays of a size known
 * when made: one that grows is a mapping of its own (heap.c's vectors),
 * since realloc's mremap of malloc's chunk, a page longer than a multiple
 * of 2 MiB, moves it off the huge pages' alignment and splits them.
 */
#ifndef HS_BIGMEM_H
#define HS_BIGMEM_H

#include <stddef.h>

#define BIGMEM_BYTES (2u << 20)

/* Advise the whole pages of [p, p + n) MADV_HUGEPAGE, before they are
 * touched, when n is BIGMEM_BYTES or more; returns p.  For memory the
 * caller maps itself (the copy's regions, heap.c's vectors). */
void *big_advise(void *p, size_t n);
void *big_malloc(size_t n);
/* nmemb * size bytes, zeroed; NULL if the product overflows */
void *big_calloc(size_t nmemb, size_t size);

/*
 * Populating memory on the other core.  A fresh page costs the kernel's
 * zeroing, and on a virtual machine the host's allocation too: up to
 * half of a capture's time, all on the thread that touches it first.  A
 * helper thread (started on first use) populates what is queued with
 * MADV_POPULATE_WRITE, in pieces of 32 MiB.
 *
 * big_populate_ahead: queue [p, p + n), memory about to be used (the
 * part of a growing array just ahead of its end); the caller goes on.
 * Before that memory is unmapped or moved (munmap, mremap, free), call
 * big_populate_wait.
 * big_populate_fresh: the same for memory nobody uses until the next
 * big_populate_wait (a kernel without MADV_POPULATE_WRITE has its pages
 * written instead).
 * big_populate_wait: return once nothing queued is being populated;
 * this thread takes the pieces still queued, so that both cores work.
 */
void big_populate_ahead(void *p, size_t n);
void big_populate_fresh(void *p, size_t n);
void big_populate_wait(void);

#endif
