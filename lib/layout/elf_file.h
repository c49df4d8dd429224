/*
 * elf_file.h - read symbols, notes and sections of ELF files with libelf.
 *
 * Files are read from disk (for a target, through /proc/PID/root so that
 * containers work).  Everything read from the file is untrusted: section
 * sizes and string offsets are checked.
 */
#ifndef HS_ELF_FILE_H
#define HS_ELF_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

struct elf_file;

/* Open path.  HS_EFILE on failure (message names the path). */
int elf_file_open(struct elf_file **out, const char *path, struct hs_error *err);
void elf_file_free(struct elf_file *f);

/* Look a symbol up in .dynsym, then .symtab.  0 and *value (st_value,
 * unrelocated) / *size if found, -1 if not (no error set). */
int elf_file_symbol(struct elf_file *f, const char *name, uint64_t *value, uint64_t *size);
/* The function symbol whose [st_value, st_value + st_size) holds addr
 * (unrelocated), from .symtab then .dynsym: its name into name and
 * addr - st_value into *off.  -1 if none: a nearest symbol that does not
 * cover addr is not an answer. */
int elf_file_symbol_at(struct elf_file *f, uint64_t addr, char *name, size_t len, uint64_t *off);
/* GNU build-id as lowercase hex into hex (>= 2*20+1 bytes); -1 if none. */
int elf_file_build_id(struct elf_file *f, char *hex, size_t len);
/* .gnu_debuglink file name and CRC; -1 if none, or if the name is no
 * plain file name (a '/' in it, "." or ".."). */
int elf_file_debuglink(struct elf_file *f, char *name, size_t len, uint32_t *crc);
/* Section by name: address, size; -1 if none. */
int elf_file_section(struct elf_file *f, const char *name, uint64_t *addr, uint64_t *size);
/* Pointer to the file bytes of a section (valid until elf_file_free);
 * -1 if none or SHT_NOBITS. */
int elf_file_section_data(struct elf_file *f, const char *name, const unsigned char **data,
			  size_t *size);
/* Lowest p_vaddr of the PT_LOAD segments, rounded down to the page; the
 * load bias of a mapped file is (map start of file offset 0) minus this. */
uint64_t elf_file_load_vaddr(struct elf_file *f);
/* A program header, as the file says (untrusted). */
struct elf_segment {
	uint32_t type, flags; /* p_type (PT_LOAD ...), p_flags (PF_X ...) */
	uint64_t offset, vaddr, filesz, memsz;
};
/* Program header i (from 0): 0 and *seg, -1 past the last or when the
 * headers cannot be read. */
int elf_file_segment(struct elf_file *f, size_t i, struct elf_segment *seg);
/* 1 if the file carries DWARF (.debug_info), 0 if not. */
int elf_file_has_dwarf(struct elf_file *f);
/* 1 if the file has a .symtab (not stripped). */
int elf_file_has_symtab(struct elf_file *f);
const char *elf_file_path(const struct elf_file *f);

/* CRC32 as used by .gnu_debuglink. */
uint32_t elf_debuglink_crc(const unsigned char *buf, size_t len, uint32_t crc);

/*
 * Find the separate debug file of f, as gdb does: by build-id under each
 * debug directory (DIR/.build-id/xx/rest.debug), then by .gnu_debuglink
 * next to the file, in its .debug/ folder, and under DIR/<dir of file>.
 * A candidate must carry DWARF and match the build-id (or the CRC).
 * debug_dirs is NULL-terminated; root is a prefix for the target's
 * filesystem ("/proc/PID/root", or "" for ours), tried first.
 * 0 and out filled, -1 if none found (no error set).
 */
int elf_find_debug_file(struct elf_file *f, const char *root, const char *const *debug_dirs,
			char *out, size_t outlen);

#endif
