/*
 * fuzz.h - what every fuzz harness (tests/fuzz/fuzz-*.c) provides and
 * shares.
 *
 * A harness is a libFuzzer entry point, LLVMFuzzerTestOneInput(), that
 * feeds one input to a part of heapscope which reads untrusted bytes (a
 * snapshot file, a target's memory, an ELF file) and checks what it
 * answers.  Built with clang -fsanitize=fuzzer (make fuzz) libFuzzer
 * drives it; built by make check with replay.c's main() instead, it runs
 * over its seed corpus in tests/fuzz/corpus/NAME, so that every input
 * that once crashed stays a test.
 *
 * A broken promise (a crash, a sanitizer report, or a check below that
 * fails) ends the process: libFuzzer keeps the input as a crash artifact,
 * replay fails the test.
 */
#ifndef HS_FUZZ_H
#define HS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The harness's name: its corpus folder under tests/fuzz/corpus. */
extern const char fuzz_name[];

/* A check that must hold whatever the input: abort when it does not. */
#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fuzz_quiet(0); \
			fprintf(stderr, "fuzz check failed at %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* A private scratch folder for the files a harness writes, on tmpfs
 * where there is one (/dev/shm: no disk writes, fsync is free), removed
 * at exit.  The same path for the life of the process. */
const char *fuzz_scratch(void);
/* Write len bytes to path (created 0600, truncated). */
void fuzz_write_file(const char *path, const void *data, size_t len);
/* Silence stdout and stderr (the C streams) while a command prints, and
 * bring them back; libFuzzer's and the sanitizers' reports still reach
 * the terminal. */
void fuzz_quiet(int on);

#endif
