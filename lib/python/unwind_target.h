/*
 * unwind_target.h - libunwind's remote unwinder over any struct target.
 *
 * libunwind unwinds another address space through a set of accessors.
 * Here they are built on the target interface alone: memory through
 * target_read(), registers through target_regs(), and the unwind table
 * of each code address from the .eh_frame_hdr of the ELF file mapped
 * there (its program headers read from the file, the table itself from
 * the target's memory), searched with libunwind's own DWARF lookup.
 * Nothing here traces a process, so a frozen live process, its copy or
 * a core file unwind the same way, given registers and the mappings.
 *
 * Invariants: the target is read, never written; every address and
 * length taken from the target or a file is checked before use, and an
 * unwind is bounded by its caller's frame count.
 */
#ifndef HS_UNWIND_TARGET_H
#define HS_UNWIND_TARGET_H

#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "target/maps.h"
#include "target/target.h"

struct unwind_target;

/*
 * An unwinder over t, whose code is mapped as m says (neither owned:
 * both must outlive it).  Mapped files are opened as root + the path in
 * m ("/proc/PID/root" for a live process, "" for our own file system).
 * 0 and *out (free with unwind_target_free), or -1 with err (HS_ENOMEM).
 */
int unwind_target_new(struct unwind_target **out, struct target *t, const struct maps *m,
		      const char *root, struct hs_error *err);
/*
 * Unwind thread tid from its registers: the program counters of its
 * frames, innermost first, into pcs (at most max).  Returns how many, or
 * -1 when not even the first frame could be had (no registers).
 */
int unwind_target_thread(struct unwind_target *u, pid_t tid, uint64_t *pcs, int max);
/* Close the files opened and free u.  NULL is fine. */
void unwind_target_free(struct unwind_target *u);

#endif
