/*
 * elf_file.c - symbols, notes and sections of ELF files, with libelf.
 *
 * Files are mapped read-only (ELF_C_READ_MMAP).  Every size and offset
 * taken from the file is checked before use: a truncated or hostile file
 * gives "not found", never a crash.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_file.h"
#include "base/openfile.h"

#define NT_GNU_BUILD_ID_TYPE 3
#define MAX_BUILD_ID 64

struct elf_file {
	int fd;
	Elf *elf;
	size_t shstrndx;
	char path[4096];
};

int elf_file_open(struct elf_file **out, const char *path, struct hs_error *err)
{
	struct elf_file *f;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return hs_error_set(err, HS_EINTERNAL, "libelf is out of date");
	f = calloc(1, sizeof(*f));
	if (!f)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->fd = open_regular(path);
	if (f->fd == OPEN_NOT_REGULAR) {
		hs_error_set(err, HS_EFILE, "%s is not a regular file", path);
		goto out_free;
	}
	if (f->fd < 0) {
		hs_error_errno(err, HS_EFILE, errno, "cannot open %s", path);
		goto out_free;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		hs_error_set(err, HS_EFILE, "%s is not an ELF file", path);
		goto out_elf;
	}
	if (gelf_getclass(f->elf) != ELFCLASS64) {
		hs_error_set(err, HS_EFILE, "%s is not a 64-bit ELF file", path);
		goto out_elf;
	}
	if (elf_getshdrstrndx(f->elf, &f->shstrndx))
		f->shstrndx = 0;
	*out = f;
	return 0;
out_elf:
	if (f->elf)
		elf_end(f->elf);
	close(f->fd);
out_free:
	free(f);
	return -1;
}

void elf_file_free(struct elf_file *f)
{
	if (!f)
		return;
	elf_end(f->elf);
	close(f->fd);
	free(f);
}

const char *elf_file_path(const struct elf_file *f)
{
	return f->path;
}

static Elf_Scn *find_section(struct elf_file *f, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	const char *n;

	if (!f->shstrndx)
		return NULL;
	while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(f->elf, f->shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static Elf_Scn *find_section_type(struct elf_file *f, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn)) != NULL)
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	return NULL;
}

/* The symbol table of type (SHT_SYMTAB or SHT_DYNSYM): its data, header
 * and entry count; NULL if none. */
static Elf_Data *sym_table(struct elf_file *f, Elf64_Word type, GElf_Shdr *sh, size_t *n)
{
	Elf_Scn *scn = find_section_type(f, type, sh);
	Elf_Data *data;

	if (!scn || !sh->sh_entsize || !(data = elf_getdata(scn, NULL)))
		return NULL;
	*n = data->d_size / sh->sh_entsize;
	return data;
}

static int lookup_in(struct elf_file *f, Elf64_Word type, const char *name, uint64_t *value,
		     uint64_t *size)
{
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, n;
	Elf_Data *data = sym_table(f, type, &sh, &n);
	const char *s;

	for (i = 0; data && i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || !sym.st_name || sym.st_shndx == SHN_UNDEF)
			continue;
		s = elf_strptr(f->elf, sh.sh_link, sym.st_name);
		if (s && !strcmp(s, name)) {
			*value = sym.st_value;
			if (size)
				*size = sym.st_size;
			return 0;
		}
	}
	return -1;
}

static int symbol_at_in(struct elf_file *f, Elf64_Word type, uint64_t addr, char *name, size_t len,
			uint64_t *off)
{
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, n;
	Elf_Data *data = sym_table(f, type, &sh, &n);
	const char *s;

	for (i = 0; data && i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || addr < sym.st_value ||
		    addr - sym.st_value >= sym.st_size)
			continue;
		s = elf_strptr(f->elf, sh.sh_link, sym.st_name);
		if (!s || !*s)
			continue;
		snprintf(name, len, "%s", s);
		*off = addr - sym.st_value;
		return 0;
	}
	return -1;
}

int elf_file_symbol_at(struct elf_file *f, uint64_t addr, char *name, size_t len, uint64_t *off)
{
	if (!symbol_at_in(f, SHT_SYMTAB, addr, name, len, off))
		return 0;
	return symbol_at_in(f, SHT_DYNSYM, addr, name, len, off);
}

int elf_file_symbol(struct elf_file *f, const char *name, uint64_t *value, uint64_t *size)
{
	if (!lookup_in(f, SHT_DYNSYM, name, value, size))
		return 0;
	return lookup_in(f, SHT_SYMTAB, name, value, size);
}

/* Walk the notes of every SHT_NOTE section for the GNU build-id. */
static int build_id_bytes(struct elf_file *f, const unsigned char **id, size_t *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff, next;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((next = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID_TYPE && nh.n_namesz == 4 &&
			    noff + 4 <= data->d_size &&
			    !memcmp((const char *)data->d_buf + noff, "GNU", 4) &&
			    nh.n_descsz > 0 && nh.n_descsz <= MAX_BUILD_ID &&
			    doff + nh.n_descsz <= data->d_size) {
				*id = (const unsigned char *)data->d_buf + doff;
				*len = nh.n_descsz;
				return 0;
			}
			off = next;
		}
	}
	return -1;
}

int elf_file_build_id(struct elf_file *f, char *hex, size_t len)
{
	const unsigned char *id;
	size_t n, i;

	if (build_id_bytes(f, &id, &n) || len < 2 * n + 1)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return 0;
}

int elf_file_section_data(struct elf_file *f, const char *name, const unsigned char **data,
			  size_t *size)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(f, name, &sh);
	Elf_Data *d;

	if (!scn || sh.sh_type == SHT_NOBITS)
		return -1;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return -1;
	*data = d->d_buf;
	*size = d->d_size;
	return 0;
}

int elf_file_debuglink(struct elf_file *f, char *name, size_t len, uint32_t *crc)
{
	const unsigned char *d;
	size_t n, nl, off;

	if (elf_file_section_data(f, ".gnu_debuglink", &d, &n))
		return -1;
	nl = strnlen((const char *)d, n);
	if (nl == 0 || nl >= n || nl >= len)
		return -1;
	/* a file name, as the linker writes it: one with a '/' (or "..")
	 * would have us open files outside the debug directories */
	if (memchr(d, '/', nl) || !strcmp((const char *)d, ".") || !strcmp((const char *)d, ".."))
		return -1;
	off = (nl + 4) & ~(size_t)3; /* name, NUL, pad to 4 */
	if (off + 4 > n)
		return -1;
	memcpy(name, d, nl);
	name[nl] = '\0';
	memcpy(crc, d + off, 4);
	return 0;
}

int elf_file_section(struct elf_file *f, const char *name, uint64_t *addr, uint64_t *size)
{
	GElf_Shdr sh;

	if (!find_section(f, name, &sh))
		return -1;
	*addr = sh.sh_addr;
	*size = sh.sh_size;
	return 0;
}

uint64_t elf_file_load_vaddr(struct elf_file *f)
{
	size_t n, i;
	GElf_Phdr ph;
	uint64_t lo = UINT64_MAX;

	if (elf_getphdrnum(f->elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr - ph.p_offset < lo)
			lo = ph.p_vaddr - ph.p_offset;
	}
	/* the mapping of file offset 0 starts at p_vaddr - p_offset of the
	 * first segment (both page aligned in practice) */
	return lo == UINT64_MAX ? 0 : lo & ~(uint64_t)0xfff;
}

int elf_file_segment(struct elf_file *f, size_t i, struct elf_segment *seg)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(f->elf, &n) || i >= n || i > INT_MAX ||
	    !gelf_getphdr(f->elf, (int)i, &ph))
		return -1;
	seg->type = ph.p_type;
	seg->flags = ph.p_flags;
	seg->offset = ph.p_offset;
	seg->vaddr = ph.p_vaddr;
	seg->filesz = ph.p_filesz;
	seg->memsz = ph.p_memsz;
	return 0;
}

int elf_file_has_dwarf(struct elf_file *f)
{
	GElf_Shdr sh;

	return find_section(f, ".debug_info", &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size > 0;
}

int elf_file_has_symtab(struct elf_file *f)
{
	GElf_Shdr sh;

	return find_section_type(f, SHT_SYMTAB, &sh) != NULL;
}

/* CRC-32 (IEEE 802.3, reflected, poly 0xedb88320), as .gnu_debuglink uses. */
uint32_t elf_debuglink_crc(const unsigned char *buf, size_t len, uint32_t crc)
{
	static uint32_t table[256];
	static int ready;
	size_t i;
	int k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i;

			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int file_crc(const char *path, uint32_t *crc)
{
	unsigned char buf[65536];
	uint32_t c = 0;
	ssize_t n;
	int fd = open_regular(path);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		c = elf_debuglink_crc(buf, (size_t)n, c);
	close(fd);
	if (n < 0)
		return -1;
	*crc = c;
	return 0;
}

/* Accept path as f's debug file: it carries DWARF and matches f by
 * build-id (when f has one) or by CRC (when want_crc). */
static int accept_debug(const char *path, const char *want_id, int want_crc, uint32_t crc)
{
	struct elf_file *d;
	struct hs_error err = HS_ERROR_INIT;
	char id[2 * MAX_BUILD_ID + 1];
	uint32_t c;
	int ok;

	if (access(path, R_OK) || elf_file_open(&d, path, &err))
		return 0;
	ok = elf_file_has_dwarf(d);
	if (ok && want_id[0])
		ok = !elf_file_build_id(d, id, sizeof(id)) && !strcmp(id, want_id);
	elf_file_free(d);
	if (ok && want_crc && !want_id[0])
		ok = !file_crc(path, &c) && c == crc;
	return ok;
}

int elf_find_debug_file(struct elf_file *f, const char *root, const char *const *debug_dirs,
			char *out, size_t outlen)
{
	const char *prefixes[2] = { root ? root : "", "" };
	char id[2 * MAX_BUILD_ID + 1] = "", link[256], dir[4096];
	const char *const *dd;
	const char *target_path = f->path, *slash;
	uint32_t crc = 0;
	int have_link, p;

	/* f->path may carry the root prefix: the debuglink dirs are the
	 * target's own */
	if (root && *root && !strncmp(target_path, root, strlen(root)))
		target_path += strlen(root);
	if (elf_file_build_id(f, id, sizeof(id)))
		id[0] = '\0';
	have_link = !elf_file_debuglink(f, link, sizeof(link), &crc);

	for (p = 0; p < 2; p++) {
		if (p == 1 && !prefixes[0][0])
			break;
		if (id[0] && strlen(id) > 2) {
			for (dd = debug_dirs; dd && *dd; dd++) {
				snprintf(out, outlen, "%s%s/.build-id/%.2s/%s.debug", prefixes[p],
					 *dd, id, id + 2);
				if (accept_debug(out, id, 0, 0))
					return 0;
			}
		}
		if (!have_link)
			continue;
		slash = strrchr(target_path, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - target_path) : 0,
			 target_path);
		snprintf(out, outlen, "%s%s/%s", prefixes[p], dir, link);
		if (strcmp(out, f->path) && accept_debug(out, id, 1, crc))
			return 0;
		snprintf(out, outlen, "%s%s/.debug/%s", prefixes[p], dir, link);
		if (accept_debug(out, id, 1, crc))
			return 0;
		for (dd = debug_dirs; dd && *dd; dd++) {
			snprintf(out, outlen, "%s%s%s/%s", prefixes[p], *dd, dir, link);
			if (accept_debug(out, id, 1, crc))
				return 0;
		}
	}
	return -1;
}
