/*
 * core.h - what an ELF core file of an x86_64 Linux process holds, read
 * from its bytes: the segments of memory it kept, the process's threads
 * and their registers, the files it mapped, its name and command line.
 *
 * core_parse reads a buffer only (the whole file, mapped or
 * decompressed): it is what the fuzzer drives.  Every offset and count in
 * the file is checked against the buffer; a segment that runs past the
 * end of a truncated file is kept to what is there, and said.
 */
#ifndef HS_CORE_H
#define HS_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "target.h"

/* Most segments, threads and mapped files a core may list. */
#define CORE_MAX_SEGMENTS 65536
#define CORE_MAX_THREADS 65536
#define CORE_MAX_FILES 65536

struct core_segment {
	uint64_t vaddr, memsz;
	uint64_t offset; /* in the file */
	uint64_t filesz; /* bytes the file holds (after truncation) */
	uint64_t lost;	 /* bytes the header says are there, past the end */
	unsigned prot;	 /* enum map_prot */
};

struct core_file_map {
	uint64_t start, end, offset; /* offset in bytes */
	const char *path;	     /* in the buffer, NUL-terminated */
};

struct core_info {
	pid_t pid;
	char fname[17];
	char psargs[81];
	int signal;		   /* the signal that made the core (NT_SIGINFO), 0 if none */
	uint64_t entry;		   /* AT_ENTRY: the program's entry point */
	uint64_t execfn;	   /* AT_EXECFN: the path it was run as, on its stack */
	const unsigned char *auxv; /* the auxiliary vector, in the buffer */
	size_t auxv_len;
	struct core_segment *seg; /* in address order, not overlapping */
	size_t nseg;
	struct target_thread *threads;
	size_t nthreads;
	struct core_file_map *files; /* in address order, not overlapping */
	size_t nfiles;
	uint64_t lost;	/* bytes of segments past the end of the file */
	uint64_t size;	/* what the file should be: the end of its last part */
	int notes_lost; /* the notes themselves run past the end */
};

/* Read the core in buf[0, len).  0, or -1 with err: HS_ENOTCORE when it
 * is no x86_64 ELF core, HS_ETRUNCATED when too little of it is there to
 * know its threads.  core_info_release frees what it holds (pointers
 * into buf stay valid as long as buf). */
int core_parse(const unsigned char *buf, size_t len, struct core_info *ci, struct hs_error *err);
void core_info_release(struct core_info *ci);

/* 1 if buf starts like an ELF core file, 2 like a compressed file
 * (zstd, lz4, xz), 0 otherwise. */
int core_sniff(const unsigned char *buf, size_t len);

/* The GNU build-id of the ELF file whose first page is at page[0, len)
 * (as a core keeps it), as lowercase hex into hex; -1 if none. */
int core_elf_build_id(const unsigned char *page, size_t len, char *hex, size_t hexlen);

#endif
