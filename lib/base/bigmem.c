/*
 * bigmem.c - large arrays in transparent huge pages (see bigmem.h).
 */
#include "config.h"
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "bigmem.h"

__attribute__((constructor)) static void bigmem_threshold(void)
{
	/* fixed, so that a freed big array does not raise it and send the
	 * next one into the heap, where it cannot be advised alone */
	mallopt(M_MMAP_THRESHOLD, BIGMEM_BYTES);
}

/* With glibc a big block is its own mapping (the threshold above); the
 * page before its first whole one is left out, as a separate mapping,
 * which free() unmaps with the rest. */
void *big_advise(void *p, size_t n)
{
	uintptr_t start = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (p && n >= BIGMEM_BYTES && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
	return p;
}

void *big_malloc(size_t n)
{
	return big_advise(malloc(n), n);
}

void *big_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return big_advise(calloc(nmemb, size), nmemb * size);
}
