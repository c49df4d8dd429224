/*
 * fuzz-elf - the ELF and DWARF readers over a file whose bytes the
 * fuzzer chooses (a target's libpython or its debug file, damaged or
 * crafted).
 *
 * The input is written as a file and read as pyproc_open() and the
 * native stack reader read a target's modules: symbols by name and by
 * address, build-id, .gnu_debuglink, sections and their bytes, the load
 * address, the search for a separate debug file (confined to the
 * scratch folder), and the layout from its DWARF.
 *
 * Checks: what they hand out stays inside the file (section bytes no
 * more than the file has, each of them readable), the build-id is
 * lowercase hex, a debuglink name a plain file name, a debug file is
 * only found in the folders searched, and a file without
 * readable DWARF is an error the caller can print (HS_ELAYOUT or
 * HS_EFILE), never a crash.
 */
#include "config.h"
#include <string.h>
#include "layout/layout_dwarf.h"
#include "layout/elf_file.h"
#include "fuzz.h"
#include "layout/layout.h"

#define FUZZ_DWARF_MS 5000 /* a hang in libdwarf ends in its child */

const char fuzz_name[] = "elf";

static char path[4096], root[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s", fuzz_scratch());
	snprintf(path, sizeof(path), "%s/libpython3.so", root);
	return 0;
}

static void symbols(struct elf_file *f, size_t size)
{
	static const char *const names[] = { "_PyRuntime", "Py_Version", "PyType_Type",
					     "_PyEval_EvalFrameDefault", "" };
	char name[256], hex[64], link[256], out[4096];
	const char *const dirs[] = { "/debug", NULL };
	const unsigned char *d;
	uint64_t v, sz, off;
	uint32_t crc;
	size_t i, n;

	/* symbols by name and by address: what they read must stay inside
	 * the file (the sanitizers watch; a symbol's size and value differ
	 * between .symtab and .dynsym in a crafted file, so nothing more can
	 * be said of the answer from outside) */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!elf_file_symbol(f, names[i], &v, &sz))
			elf_file_symbol_at(f, v + sz / 2, name, sizeof(name), &off);
	for (v = 0; v < 0x10000; v += 0x1000)
		elf_file_symbol_at(f, v, name, sizeof(name), &off);
	if (!elf_file_build_id(f, hex, sizeof(hex))) {
		n = strlen(hex);
		FUZZ_CHECK(n && n < sizeof(hex) && strspn(hex, "0123456789abcdef") == n,
			   "build-id not lowercase hex: %s", hex);
	}
	if (!elf_file_debuglink(f, link, sizeof(link), &crc))
		FUZZ_CHECK(link[0] && !strchr(link, '/') && strcmp(link, ".") && strcmp(link, ".."),
			   "debuglink name that is no file name: %s", link);
	static const char *const sections[] = { ".rodata",	  ".data",
						".gnu_debuglink", ".note.gnu.build-id",
						".debug_info",	  ".symtab",
						".eh_frame" };
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		elf_file_section(f, sections[i], &v, &sz);
		if (!elf_file_section_data(f, sections[i], &d, &n) && n) {
			volatile unsigned char sum = 0;
			size_t k;

			/* every byte handed out is readable (ASan: inside the file) */
			for (k = 0; k < n; k++)
				sum ^= d[k];
			(void)sum;
			FUZZ_CHECK(n <= size, "section of %zu bytes from a %zu-byte file", n, size);
		}
	}
	elf_file_load_vaddr(f);
	elf_file_has_dwarf(f);
	elf_file_has_symtab(f);
	if (!elf_find_debug_file(f, root, dirs, out, sizeof(out)))
		FUZZ_CHECK(!strncmp(out, root, strlen(root)) || !strncmp(out, "/debug", 6),
			   "debug file found outside the folders searched: %s", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_error err = HS_ERROR_INIT;
	struct elf_file *f;
	int64_t v[LF_COUNT];
	int n, i, set;

	if (size > (8u << 20))
		return 0;
	fuzz_write_file(path, data, size);
	if (!elf_file_open(&f, path, &err)) {
		symbols(f, size);
		elf_file_free(f);
	} else {
		FUZZ_CHECK(err.code == HS_EFILE, "open: %s", err.msg);
	}
	hs_error_clear(&err);
	/* in a child first, as heapscope reads it: an input that hangs
	 * libdwarf ends there; then here, where the fuzzer sees our code */
	n = layout_dwarf_fill_within(path, v, FUZZ_DWARF_MS, &err);
	if (n >= 0 || err.code == HS_ELAYOUT) {
		int64_t w[LF_COUNT];
		struct hs_error e2 = HS_ERROR_INIT;

		if (n < 0 && strstr(err.msg, "took over"))
			return 0;
		FUZZ_CHECK(layout_dwarf_fill_unguarded(path, w, &e2) == n &&
				   !memcmp(v, w, sizeof(v)),
			   "the DWARF read in a child and here differ");
	}
	if (n < 0) {
		FUZZ_CHECK(err.code == HS_ELAYOUT || err.code == HS_EFILE || err.code == HS_ENOMEM,
			   "dwarf: %s: %s", hs_code_name(err.code), err.msg);
		return 0;
	}
	for (i = 0, set = 0; i < LF_COUNT; i++) {
		FUZZ_CHECK(v[i] >= -1, "field %d resolved to %lld", i, (long long)v[i]);
		set += v[i] != -1;
	}
	FUZZ_CHECK(set == n, "%d fields resolved, %d said", set, n);
	return 0;
}
