"""seed-core.py - small synthetic ELF core files of an x86_64 Linux
process, for the core fuzzer's seeds (tests/fuzz/fuzz-core.c).

    python3 seed-core.py DIR

The layouts are the kernel's and gcore's (lib/target/core.c): one
PT_NOTE with NT_PRPSINFO (136 bytes), NT_PRSTATUS (336 bytes: pid at 32,
user_regs_struct at 112), NT_SIGINFO, NT_AUXV and NT_FILE, then PT_LOAD
segments of a page each, their bytes right after the notes (as gcore
writes them, not page-aligned).  The first segment holds the first page
of an ELF file with a GNU build-id note, as a core keeps an executable's.
valid.core is that core whole; the others each damage one thing: cut in
the program headers, the notes or a segment, counts and sizes that lie,
segments that overlap or come out of order, memory left undumped.
valid.core is also written compressed by xz, whole and cut (make-seeds.sh
adds zstd and lz4).  The same bytes on every run.
"""
import lzma
import os
import struct
import sys

ET_CORE, EM_X86_64 = 4, 62
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV = 1, 3, 6
NT_SIGINFO, NT_FILE = 0x53494749, 0x46494C45
NT_GNU_BUILD_ID = 3
AT_NULL, AT_PAGESZ, AT_ENTRY = 0, 6, 9
PAGE = 4096

EXE = b"/usr/bin/python3.12"
LIB = b"/usr/lib/x86_64-linux-gnu/libpython3.12.so.1.0"
TEXT, DATA, LIBTEXT = 0x400000, 0x7F0000000000, 0x7F0000010000
PID = 4242


def note(name, ntype, desc):
    """One note: namesz, descsz, type, name and desc padded to 4."""
    name += b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def prpsinfo(pid, fname, psargs):
    d = bytearray(136)
    d[0:4] = b"\0S\0\0"  # pr_state, pr_sname, pr_zomb, pr_nice
    struct.pack_into("<IIiiii", d, 16, 1000, 1000, pid, 1, pid, pid)
    d[40 : 40 + len(fname)] = fname[:16]
    d[56 : 56 + len(psargs)] = psargs[:80]
    return bytes(d)


def prstatus(tid, rip, rsp, orig_rax=0xE6):
    d = bytearray(336)
    struct.pack_into("<iii", d, 0, 19, 0, 0)  # si_signo: SIGSTOP, as gcore
    struct.pack_into("<iiii", d, 32, tid, 1, PID, PID)  # pid, ppid, pgrp, sid
    regs = [0] * 27
    regs[4] = rsp + 0x40  # rbp
    regs[10] = (-4) & (2**64 - 1)  # rax: -EINTR
    regs[15] = orig_rax
    regs[16] = rip
    regs[17] = 0x33  # cs
    regs[18] = 0x246  # eflags
    regs[19] = rsp
    regs[20] = 0x2B  # ss
    regs[21] = DATA + 0x700  # fs_base
    struct.pack_into("<27Q", d, 112, *regs)
    return bytes(d)


def siginfo(signo=19):
    return struct.pack("<iii", signo, 0, 0) + b"\0" * 116


def auxv(entry):
    return struct.pack("<6Q", AT_PAGESZ, PAGE, AT_ENTRY, entry, AT_NULL, 0)


def nt_file(entries, pagesz=PAGE, count=None):
    """entries: (start, end, page offset, path)."""
    n = len(entries) if count is None else count
    d = struct.pack("<QQ", n, pagesz)
    for start, end, off, _ in entries:
        d += struct.pack("<QQQ", start, end, off)
    return d + b"".join(p + b"\0" for _, _, _, p in entries)


def elf_page(build_id):
    """The first page of an ELF executable: its header, a PT_NOTE with
    the GNU build-id right after the program headers."""
    n = note(b"GNU", NT_GNU_BUILD_ID, build_id)
    eh = struct.pack(
        "<16sHHIQQQIHHHHHH",
        b"\x7fELF\x02\x01\x01" + b"\0" * 9,
        2, EM_X86_64, 1, TEXT + 0x1000, 64, 0, 0, 64, 56, 2, 64, 0, 0,
    )
    ph_load = struct.pack("<IIQQQQQQ", PT_LOAD, PF_R | PF_X, 0, TEXT, TEXT, PAGE, PAGE, PAGE)
    ph_note = struct.pack("<IIQQQQQQ", PT_NOTE, PF_R, 176, TEXT + 176, TEXT + 176,
                          len(n), len(n), 4)
    page = eh + ph_load + ph_note + n
    return page + b"\0" * (PAGE - len(page))


def data_page():
    """A page of a heap: a few words that look like pointers and a
    string."""
    d = bytearray(PAGE)
    for i in range(0, 256, 8):
        struct.pack_into("<Q", d, i, DATA + 0x100 + 2 * i)
    d[0x300:0x30C] = b"hello, core\0"
    return bytes(d)


def core(notes, loads, phnum=None, extra_notes=()):
    """An ELF core: ELF header, program headers (the PT_NOTE first, then
    one PT_LOAD per (vaddr, memsz, flags, bytes)), the notes, the
    segments' bytes.  A load's bytes may be shorter than its memsz
    (p_filesz < p_memsz) or None (p_filesz 0: not dumped)."""
    nnotes = 1 + len(extra_notes)
    nph = nnotes + len(loads)
    at = 64 + 56 * nph
    body = b""
    phdrs = b""
    for blob in (notes,) + tuple(extra_notes):
        phdrs += struct.pack("<IIQQQQQQ", PT_NOTE, PF_R, at + len(body), 0, 0, len(blob), 0, 1)
        body += blob
    for vaddr, memsz, flags, data in loads:
        data = data or b""
        phdrs += struct.pack("<IIQQQQQQ", PT_LOAD, flags, at + len(body), vaddr, 0,
                             len(data), memsz, 1)
        body += data
    eh = struct.pack(
        "<16sHHIQQQIHHHHHH",
        b"\x7fELF\x02\x01\x01" + b"\0" * 9,
        ET_CORE, EM_X86_64, 1, 0, 64, 0, 0, 64, 56,
        nph if phnum is None else phnum, 0, 0, 0,
    )
    return eh + phdrs + body


FILES = [
    (TEXT, TEXT + PAGE, 0, EXE),
    (LIBTEXT, LIBTEXT + 2 * PAGE, 0, LIB),
]


def notes(threads=(PID, PID + 1), files=None, psinfo=True, sig=True, aux=True, fname=b"python3",
          psargs=b"python3 -m http.server 8000"):
    n = b""
    if psinfo:
        n += note(b"CORE", NT_PRPSINFO, prpsinfo(PID, fname, psargs))
    for k, tid in enumerate(threads):
        n += note(b"CORE", NT_PRSTATUS, prstatus(tid, TEXT + 0x1234 + k, DATA + 0xE00 - 0x100 * k))
        n += note(b"LINUX", 0x202, b"\0" * 64)  # NT_X86_XSTATE, skipped
    if sig:
        n += note(b"CORE", NT_SIGINFO, siginfo())
    if aux:
        n += note(b"CORE", NT_AUXV, auxv(TEXT + 0x1000))
    n += note(b"CORE", NT_FILE, nt_file(FILES) if files is None else files)
    return n


LOADS = [
    (TEXT, PAGE, PF_R | PF_X, elf_page(bytes(range(0xA0, 0xB4)))),
    (DATA, PAGE, PF_R | PF_W, data_page()),
]


def seeds():
    valid = core(notes(), LOADS)
    yield "valid.core", valid
    # one thread, no NT_PRPSINFO (the pid is the thread's), no NT_SIGINFO
    yield "one-thread.core", core(notes(threads=(PID,), psinfo=False, sig=False), LOADS)
    # five threads, the main one last (it goes first), two with the same tid
    yield "threads.core", core(notes(threads=(PID + 3, PID + 1, PID + 2, PID + 2, PID)), LOADS)
    # the name and arguments with control characters
    yield "names.core", core(notes(fname=b"py\x01\x1b[2J\x7fthon3__long", psargs=b"a\tb\nc\x1b]0;x\x07"
                                   + b"z" * 80), LOADS)
    # cut: in the program headers, in the notes, in the second segment
    yield "cut-phdrs.core", valid[:64 + 56 + 20]
    yield "cut-notes.core", valid[:64 + 56 * 3 + 500]
    yield "cut-load.core", valid[:len(valid) - PAGE // 2]
    # counts that lie: more program headers than there are, NT_FILE
    # counts too big for the note, and bigger than its names
    yield "bad-phnum.core", core(notes(), LOADS, phnum=40)
    yield "bad-file-count.core", core(notes(files=nt_file(FILES, count=0xFFFFFFFF)), LOADS)
    short = nt_file(FILES + [(DATA, DATA + PAGE, 0, b"/tmp/x")])
    yield "bad-file-names.core", core(notes(files=short[:-7]), LOADS)
    # NT_FILE with gcore's page size (1: offsets in bytes), unaligned and
    # empty ranges, a file at the address of a segment
    odd = [(TEXT, TEXT + PAGE, 0, EXE), (TEXT + 0x800, TEXT + 0x900, 0x800, b"/x (deleted)"),
           (DATA, DATA, 0, b"/empty"), (DATA, DATA + PAGE, 0x10, b"/dev/zero"),
           (LIBTEXT, LIBTEXT + PAGE, 0, b"relative/path")]
    yield "files.core", core(notes(files=nt_file(odd, pagesz=1)), LOADS)
    # a note whose sizes run past the segment, after the threads
    bad = notes() + struct.pack("<III", 5, 0xFFFFFFF0, NT_AUXV) + b"CORE\0\0\0\0"
    yield "bad-note-size.core", core(bad, LOADS)
    # notes split over two PT_NOTE segments
    yield "two-notes.core", core(notes(files=b""), LOADS,
                                 extra_notes=(note(b"CORE", NT_FILE, nt_file(FILES)),))
    # segments that overlap, and out of address order
    yield "overlap.core", core(notes(), [LOADS[0], (TEXT + PAGE // 2, PAGE, PF_R | PF_W,
                                                    data_page())])
    yield "unsorted.core", core(notes(), [LOADS[1], LOADS[0]])
    # memory: a segment shorter in the file than in memory, one not
    # dumped at all (coredump_filter), only undumped writable memory
    yield "partial.core", core(notes(), [LOADS[0], (DATA, 2 * PAGE, PF_R | PF_W, data_page()),
                                         (DATA + 4 * PAGE, PAGE, PF_R | PF_W, None)])
    yield "undumped.core", core(notes(), [(DATA, PAGE, PF_R | PF_W, None)])
    # compressed, as systemd-coredump keeps cores
    xz = lzma.compress(valid, preset=9)
    yield "valid.core.xz", xz
    yield "cut.core.xz", xz[:len(xz) // 2]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
