/*
 * unwind_target.c - libunwind's accessors over a struct target (see
 * unwind_target.h).
 *
 * Finding the unwind information of a code address is what
 * libunwind-ptrace's _UPT_find_proc_info does for a live process: take
 * the mapping holding the address, the ELF file it maps, its
 * PT_GNU_EH_FRAME segment, and describe that segment's binary-search
 * table (.eh_frame_hdr) to libunwind, which then searches it and decodes
 * the FDE it finds, reading both through our access_mem.  Here the
 * mappings come from struct maps and the headers from our own ELF
 * reader, so no accessor needs the process itself.
 */
#include "config.h"
#include <elf.h>
#include <libunwind.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layout/elf_file.h"
#include "unwind_target.h"

/*
 * libunwind's search of an .eh_frame_hdr table in a remote address
 * space, the one its ptrace and core-file accessors call.  Exported by
 * libunwind-generic since 1.0 but declared in no public header of 1.6
 * (1.7 adds unw_get_proc_info_in_range for the same purpose); configure
 * checks that it links.
 */
#define unwind_search_table UNW_OBJ(dwarf_search_unwind_table)
extern int unwind_search_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
			       unw_proc_info_t *pi, int need_unwind_info, void *arg);

#define MAX_FILES 128
#define MAX_LOADS 16  /* PT_LOAD segments kept per file */
#define MAX_PHDRS 256 /* program headers looked at per file */

/* Pointer encodings of .eh_frame_hdr (DW_EH_PE_*, LSB 4.1). */
#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APPL 0x70
#define PE_INDIRECT 0x80
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_DATAREL 0x30
#define EH_HDR_VERSION 1
/* The only table encoding the binary search knows: 4-byte offsets from
 * the start of .eh_frame_hdr, two per entry. */
#define EH_TABLE_ENC (PE_DATAREL | PE_SDATA4)
#define EH_ENTRY_SIZE 8u

/* A mapped ELF file and the program headers the lookup needs. */
struct file {
	const char *path; /* as the mappings name it (m's storage) */
	int tried;	  /* opened (or failed to) */
	int has_eh;	  /* a PT_GNU_EH_FRAME segment */
	struct elf_segment eh;
	struct elf_segment load[MAX_LOADS];
	int nload;
	uint64_t lo, hi; /* PT_LOAD extent, unrelocated */
};

struct unwind_target {
	struct target *t;
	const struct maps *m;
	const char *root;
	struct file files[MAX_FILES];
	int nfiles;
	struct target_regs regs; /* of the thread being unwound */
	unw_dyn_info_t di;	 /* the table described last */
	unw_addr_space_t as;	 /* one for all threads: they share
				  * their code, and so its cache */
};

/* Read a file's program headers once; its ELF is not kept open. */
static void file_load(struct unwind_target *u, struct file *f)
{
	struct hs_error e = HS_ERROR_INIT;
	char buf[PATH_MAX + 4096];
	struct elf_file *elf;
	struct elf_segment s;
	size_t i;

	f->tried = 1;
	f->lo = UINT64_MAX;
	snprintf(buf, sizeof(buf), "%s%s", u->root, f->path);
	/* another build's unwind tables would unwind wrong */
	if (target_file_check(u->t, f->path, &e) || elf_file_open(&elf, buf, &e))
		return;
	for (i = 0; i < MAX_PHDRS && !elf_file_segment(elf, i, &s); i++) {
		if (s.type == PT_GNU_EH_FRAME && !f->has_eh) {
			f->eh = s;
			f->has_eh = 1;
		}
		if (s.type != PT_LOAD || s.vaddr + s.memsz < s.vaddr)
			continue;
		if (s.vaddr < f->lo)
			f->lo = s.vaddr;
		if (s.vaddr + s.memsz > f->hi)
			f->hi = s.vaddr + s.memsz;
		if (f->nload < MAX_LOADS)
			f->load[f->nload++] = s;
	}
	elf_file_free(elf);
}

static struct file *file_for(struct unwind_target *u, const char *path)
{
	struct file *f;
	int i;

	for (i = 0; i < u->nfiles; i++)
		if (!strcmp(u->files[i].path, path))
			return &u->files[i];
	if (u->nfiles == MAX_FILES)
		return NULL;
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = path;
	file_load(u, f);
	return f;
}

/*
 * Where file f is loaded, from mapping e, which holds ip: the PT_LOAD
 * segment holding ip's file offset says which address of the file ip
 * is.  0 and *bias (target address minus file address), or -1.
 */
static int load_bias(const struct file *f, const struct map_entry *e, uint64_t ip, uint64_t *bias)
{
	uint64_t off = ip - e->start + e->offset;
	int i;

	for (i = 0; i < f->nload; i++) {
		const struct elf_segment *s = &f->load[i];

		if (off >= s->offset && off - s->offset < s->filesz) {
			*bias = ip - (s->vaddr + (off - s->offset));
			return 0;
		}
	}
	return -1;
}

/* Read an encoded value of .eh_frame_hdr at *p, advancing *p.  Only
 * absolute values are decoded (enough for the FDE count: its field is
 * never relative); other applications are skipped over.  0 or -1. */
static int read_encoded(struct target *t, uint64_t *p, unsigned enc, uint64_t *val)
{
	unsigned char b[8];
	size_t len, i;
	uint64_t v = 0;
	int shift = 0;

	if (enc == PE_OMIT) {
		*val = 0;
		return 0;
	}
	if (enc & PE_INDIRECT)
		return -1;
	switch (enc & PE_FORMAT) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
		len = 8;
		break;
	case PE_UDATA4:
	case PE_SDATA4:
		len = 4;
		break;
	case PE_UDATA2:
	case PE_SDATA2:
		len = 2;
		break;
	case PE_ULEB128:
	case PE_SLEB128:
		/* at most 10 bytes for 64 bits */
		for (i = 0; i < 10; i++) {
			if (target_read(t, *p + i, b, 1, NULL))
				return -1;
			v |= (uint64_t)(b[0] & 0x7f) << shift;
			shift += 7;
			if (!(b[0] & 0x80))
				break;
		}
		if (i == 10)
			return -1;
		*p += i + 1;
		if ((enc & PE_FORMAT) == PE_SLEB128 && shift < 64 && (b[0] & 0x40))
			v |= ~(uint64_t)0 << shift;
		*val = v;
		return (enc & PE_APPL) ? 1 : 0;
	default:
		return -1;
	}
	if (target_read(t, *p, b, len, NULL))
		return -1;
	for (i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	if ((enc & 0x08) && len < 8 && (v >> (8 * len - 1)) & 1)
		v |= ~(uint64_t)0 << (8 * len);
	*p += len;
	*val = v;
	return (enc & PE_APPL) ? 1 : 0;
}

/*
 * Describe in u->di the .eh_frame_hdr search table of the file mapped at
 * ip.  0, or -UNW_ENOINFO when there is none to be had: no file (the
 * vDSO, anonymous code), no PT_GNU_EH_FRAME, or a header we cannot read
 * or trust.
 */
static int describe_table(struct unwind_target *u, uint64_t ip)
{
	const struct map_entry *e = maps_find(u->m, ip);
	unsigned char h[4];
	uint64_t bias, hdr, p, count, skip;
	struct file *f;

	if (!e || e->path[0] != '/' || !(f = file_for(u, e->path)) || !f->has_eh ||
	    load_bias(f, e, ip, &bias))
		return -UNW_ENOINFO;
	hdr = bias + f->eh.vaddr;
	/* version, then the encodings of eh_frame_ptr, fde_count, table */
	if (f->eh.memsz < sizeof(h) || target_read(u->t, hdr, h, sizeof(h), NULL) ||
	    h[0] != EH_HDR_VERSION || h[3] != EH_TABLE_ENC)
		return -UNW_ENOINFO;
	p = hdr + sizeof(h);
	if (read_encoded(u->t, &p, h[1], &skip) < 0 || read_encoded(u->t, &p, h[2], &count) ||
	    h[2] == PE_OMIT)
		return -UNW_ENOINFO;
	/* the table must lie within the segment */
	if (p - hdr > f->eh.memsz || count > (f->eh.memsz - (p - hdr)) / EH_ENTRY_SIZE)
		return -UNW_ENOINFO;
	memset(&u->di, 0, sizeof(u->di));
	u->di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	u->di.start_ip = bias + f->lo;
	u->di.end_ip = bias + f->hi;
	/* the base of DW_EH_PE_datarel inside FDEs, which x86_64's never
	 * use: their pointers are pc-relative */
	u->di.gp = 0;
	/* datarel in the table means relative to .eh_frame_hdr */
	u->di.u.rti.segbase = hdr;
	u->di.u.rti.table_data = p;
	u->di.u.rti.table_len = count * EH_ENTRY_SIZE / sizeof(unw_word_t);
	if (ip < u->di.start_ip || ip >= u->di.end_ip)
		return -UNW_ENOINFO;
	return 0;
}

/* ---- the accessors ------------------------------------------------------ */

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	struct unwind_target *u = arg;
	int ret = describe_table(u, ip);

	if (ret)
		return ret;
	return unwind_search_table(as, ip, &u->di, pi, need_unwind_info, arg);
}

/* libunwind frees the unwind info of a table it searched itself; this
 * is called only for dynamically registered info, which we never give. */
static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as;
	(void)pi;
	(void)arg;
}

/* No list of code registered at run time (_U_dyn_register): JIT frames
 * unwind by the frame-pointer fallback, as with libunwind-ptrace. */
static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_target *u = arg;

	(void)as;
	if (write || target_read(u->t, addr, val, sizeof(*val), NULL))
		return -UNW_EINVAL;
	return 0;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct unwind_target *u = arg;

	(void)as;
	if (write)
		return -UNW_EINVAL;
	if (reg < 0 || reg >= TARGET_NGPR)
		return -UNW_EBADREG;
	*val = u->regs.gpr[reg];
	return 0;
}

/* Floating-point registers hold no return address nor CFA: none. */
static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
			void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

/* The target is only looked at, never made to run. */
static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

/* Frames are named later from the files' symbols (unwind.c), not here. */
static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

/* ---- the unwinder -------------------------------------------------------- */

int unwind_target_new(struct unwind_target **out, struct target *t, const struct maps *m,
		      const char *root, struct hs_error *err)
{
	struct unwind_target *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (!u)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	u->t = t;
	u->m = m;
	u->root = root;
	u->as = unw_create_addr_space(&accessors, 0);
	if (!u->as) {
		free(u);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	/* what libunwind learnt of a code address holds for every thread */
	unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
	*out = u;
	return 0;
}

void unwind_target_free(struct unwind_target *u)
{
	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	free(u);
}

int unwind_target_thread(struct unwind_target *u, pid_t tid, uint64_t *pcs, int max)
{
	unw_cursor_t c;
	int n = 0, step;

	if (max <= 0 || target_regs(u->t, tid, &u->regs, NULL) || unw_init_remote(&c, u->as, u) < 0)
		return -1;
	do {
		unw_word_t ip;

		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		pcs[n++] = ip;
		step = unw_step(&c);
	} while (step > 0 && n < max);
	return n;
}
