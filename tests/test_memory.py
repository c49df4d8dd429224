"""Where the memory goes: heapscope info's breakdown of a process's RSS,
against what the process says of itself.

fixtures/memory_zoo.py allocates Python objects, numpy arrays (where
numpy imports), a ctypes buffer, 32 MiB of C memory no object owns, and
a thread with its own malloc arena; then prints sys._debugmallocstats()'s
figures and glibc's mallinfo2() and blocks.  heapscope's pymalloc figures
must agree with the first, its C allocator's with the second, each
within 1% or 64 KiB (what the interpreter allocates and frees printing
them); it must find a stack for each thread; a snapshot must carry the
breakdown with the walk's totals: the objects' sizes (as top adds them),
the numpy data among them, and the C memory no object owns among what is
unaccounted.  Where a figure cannot be known it must say why (a stripped
build without its debug file keeps pymalloc's state in static variables;
a free-threaded build has no pymalloc, and its mimalloc's blocks in use
must be those sys.getallocatedblocks() counts).  A snapshot file of format
version 2 (before the breakdown) still loads.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import tempfile

import hstest

MIB = 1 << 20
SLACK = 64 << 10
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
LIBC_DEBUG = hstest._debian_debug_file(LIBC) if os.path.exists(LIBC) else None


def agree(got, want):
    return got is not None and want is not None and abs(got - want) <= max(want // 100, SLACK)


def compare(name, what, got, truth, keys):
    bad = ["%s: heapscope %s, the process %s" % (k, got.get(k), truth.get(w))
           for k, w in keys if not agree(got.get(k), truth.get(w))]
    hstest.ok(not bad, "%s: %s agree with the process's own (%s)"
              % (name, what, ", ".join(k for k, _ in keys)), bad + [json.dumps(got)])


def check(interp):
    name = interp.name
    with hstest.Fixture(interp.exe, "memory_zoo.py", timeout=120) as fx:
        info = fx.info
        got, p = hstest.run_json(["info", "--json", str(fx.pid)], env=interp.env)
        tmp = tempfile.mkdtemp(prefix="hs-memory-")
        snap = os.path.join(tmp, "m.hsnap")
        sp = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        snap2 = None
        if name.startswith("pyenv-3.12"):
            fx.send("more")
            more = json.loads(fx.readline(timeout=60) or "{}").get("more")
            snap2 = snap + ".more"
            hstest.run(["snapshot", "-o", snap2, str(fx.pid)], env=interp.env)
        core = None
        if name.startswith("pyenv-3.12") and shutil.which("gcore"):
            before, _ = hstest.run_json(["info", "--json", str(fx.pid)], env=interp.env)
            base = os.path.join(tmp, "core")
            g = subprocess.run(["gcore", "-o", base, str(fx.pid)], capture_output=True,
                               text=True, timeout=300)
            core = "%s.%d" % (base, fx.pid) if g.returncode == 0 else None
    if not hstest.ok(got is not None and "memory" in got, "%s: info --json has a memory "
                     "breakdown" % name, p.stderr):
        return
    mem = got["memory"]
    pm, truth = mem["pymalloc"], info["pymalloc"]
    if interp.free_threaded:
        mi, want = mem.get("mimalloc") or {}, info["allocated_blocks"]
        hstest.ok(pm is None and mi and abs(mi["live_blocks"] - want) <= max(want // 100, 1000)
                  and mi["live"] >= mi["live_blocks"] * 16 and mi["segments"] >= 1 and
                  mem["other_anonymous"] < mi["bytes"],
                  "%s: no pymalloc but mimalloc: %s blocks in use in %s segments, as "
                  "sys.getallocatedblocks() counts them (%d)"
                  % (name, mi.get("live_blocks"), mi.get("segments"), want), json.dumps(mem))
    elif interp.stripped and pm is None:
        hstest.ok("debug symbols" in mem.get("pymalloc_unknown", ""),
                  "%s: no pymalloc figures without the debug file, and it says why: %s"
                  % (name, mem.get("pymalloc_unknown")), json.dumps(mem))
    elif hstest.ok(pm is not None and truth is not None,
                   "%s: pymalloc's figures are read" % name,
                   [mem.get("pymalloc_unknown", ""), str(truth)]):
        truth = dict(truth, free_pool_bytes=truth["free_pools"] * truth["pool_size"])
        pm = dict(pm, free_pool_bytes=pm["free_pools"] * pm["pool_size"])
        hstest.ok(pm["arenas"] == truth["arenas"] and pm["arena_size"] == truth["arena_size"]
                  and pm["pool_size"] == truth["pool_size"],
                  "%s: %d pymalloc arenas of %d bytes, pools of %d, as _debugmallocstats"
                  % (name, pm["arenas"], pm["arena_size"], pm["pool_size"]),
                  [json.dumps(pm), json.dumps(truth)])
        compare(name, "pymalloc's bytes in blocks, free pools and overhead", pm, truth,
                [("live", "live"), ("free_in_used_pools", "free_in_used_pools"),
                 ("free_pool_bytes", "free_pool_bytes"), ("overhead", "overhead")])
    c, mi = mem["c_allocator"], info["mallinfo2"]
    if mi is None:
        hstest.skip("%s: the C allocator's figures" % name, "no mallinfo2 in this glibc")
    elif hstest.ok(c is not None, "%s: glibc's arenas are read (main_arena by %s)"
                   % (name, (c or {}).get("main_arena")), mem.get("c_allocator_unknown")):
        hidden = "HEAPSCOPE_DEBUG_DIR" in (interp.env or {})
        want = "dwarf" if LIBC_DEBUG and not hidden else "table"
        hstest.ok(c["layout"] == want and c["main_arena"] == ("symbol" if want == "dwarf"
                                                               else "search"),
                  "%s: malloc_state's layout from the %s, main_arena by %s (libc's debug "
                  "file %s)" % (name, c["layout"], c["main_arena"],
                                "hidden" if hidden else LIBC_DEBUG or "absent"), json.dumps(c))
        compare(name, "glibc's figures", c, mi,
                [("system", "arena"), ("in_use", "uordblks"), ("free", "fordblks"),
                 ("mmapped", "hblkhd")])
        hstest.ok(c["mmapped_chunks"] == mi["hblks"] and c["arenas"] >= 2 and
                  c["mmapped"] >= info["c_bytes"],
                  "%s: %d mmapped chunks as mallinfo2's hblks; %d arenas (the worker "
                  "thread's its own)" % (name, c["mmapped_chunks"], c["arenas"]),
                  [json.dumps(c), json.dumps(mi), json.dumps(info)])
    hstest.ok(mem["threads"] == info["threads"] and mem["thread_stacks"] > 0,
              "%s: a stack for each of the %d threads" % (name, info["threads"]),
              json.dumps(mem))
    owned = sum(mem[k] or 0 for k in ("thread_stacks", "other_anonymous")) + \
        sum((mem[k] or {}).get("bytes", 0) for k in ("pymalloc", "mimalloc", "c_allocator"))
    hstest.ok(mem["resident"] and mem["rss"] == mem["anonymous"] + mem["files"] and
              abs(owned - mem["anonymous"]) <= mem["anonymous"] // 50,
              "%s: RSS %d = anonymous %d (pymalloc or mimalloc, C allocator, stacks, other) "
              "+ files %d"
              % (name, mem["rss"], mem["anonymous"], mem["files"]), json.dumps(mem))

    if not hstest.ok(sp.returncode == 0, "%s: snapshot" % name, sp.stderr):
        return
    si, p = hstest.run_json(["info", "--json", snap])
    sm = (si or {}).get("memory") or {}
    hstest.ok(sm.get("python_objects") == si["size"] and
              info["numpy_bytes"] <= sm.get("buffers", -1) <=
              info["numpy_bytes"] + info["numpy_bytes"] // 100 + 256 * 1024 and
              sm.get("python_objects", 0) > sm.get("buffers", 0),
              "%s: the snapshot's breakdown has the objects' sizes (%s bytes, as the "
              "snapshot holds), %s of them in buffers (%d of numpy data; the rest, under 1%% or "
              "256 KiB, the stdlib's)"
              % (name, sm.get("python_objects"), sm.get("buffers"), info["numpy_bytes"]),
              [p.stderr, json.dumps(sm)])
    if sm.get("c_allocator") and (sm.get("pymalloc") or sm.get("mimalloc")):
        hstest.ok(sm["unaccounted"] >= info["c_bytes"],
                  "%s: the %d MiB of C memory no object owns is unaccounted (%.1f MiB)"
                  % (name, info["c_bytes"] // MIB, sm["unaccounted"] / MIB), json.dumps(sm))
    text = hstest.run(["info", snap])
    hstest.ok(text.returncode == 0 and "unaccounted" in text.stdout or
              not (sm.get("pymalloc") or sm.get("mimalloc")),
              "%s: info FILE prints the breakdown" % name, text.stdout[-2000:])
    if snap2:
        grown(name, snap, snap2, more)
    if name.startswith("pyenv-3.12"):
        version2(snap)
        if core and before:
            from_core(name, core, before["memory"])
        else:
            hstest.skip("%s: the breakdown of a core file" % name, "no gcore (gdb) here")


def grown(name, snap, snap2, more):
    """diff of two snapshots, 16 MiB of C memory no object owns between
    them: the memory line says where, the JSON how much is unaccounted."""
    text = hstest.run(["diff", snap, snap2])
    got, p = hstest.run_json(["diff", "--json", snap, snap2])
    line = [ln for ln in text.stdout.splitlines() if ln.startswith("memory: RSS")]
    du = ((got or {}).get("new", {}).get("unaccounted") or 0) - \
        ((got or {}).get("old", {}).get("unaccounted") or 0)
    hstest.ok(more and line and "C allocator +16" in line[0] and
              more * 99 // 100 <= du <= more * 101 // 100 + SLACK,
              "%s: diff says the RSS grew in the C allocator, and %.1f MiB more is "
              "unaccounted (%s MiB malloc'd for no object): %s"
              % (name, du / MIB, more and more // MIB, line and line[0]),
              [text.stdout[:1500], p.stderr])


def from_core(name, core, live):
    """A core of the same blocked process: the allocators' figures are the
    live ones, sizes are of memory mapped, and there is no RSS."""
    got, p = hstest.run_json(["info", "--json", core])
    mem = (got or {}).get("memory") or {}
    same = [k for k in ("live", "free_in_used_pools", "free_pools", "arenas")
            if (mem.get("pymalloc") or {}).get(k) != live["pymalloc"][k]]
    same += [k for k in ("system", "in_use", "free", "mmapped", "mmapped_chunks", "arenas")
             if (mem.get("c_allocator") or {}).get(k) != live["c_allocator"][k]]
    c = mem.get("c_allocator") or {}
    hstest.ok(mem and not same and mem["resident"] is False and mem["rss"] is None and
              mem["threads"] == live["threads"] and
              c.get("bytes", 0) >= c.get("system", 1) + c.get("mmapped", 1),
              "%s: info CORE has the live process's allocator figures, no RSS, a stack "
              "per thread, the C allocator's heap and chunks mapped (its [heap] unnamed "
              "in a core)" % name, [p.stderr, "differ: %s" % same, json.dumps(mem)])


def version2(snap):
    """The snapshot rewritten as format version 2: without its last
    section (the breakdown), the offsets moved up by one table entry, the
    checksum one chain (versions 1-3) instead of four lanes."""
    with open(snap, "rb") as f:
        data = f.read()
    hdr = bytearray(data[:128])
    nsec = struct.unpack_from("<I", hdr, 32)[0]
    secs = [struct.unpack_from("<IIQQ", data, 128 + 24 * i) for i in range(nsec)]
    mem = [s for s in secs if s[0] == 15]
    if not hstest.ok(struct.unpack_from("<I", hdr, 8)[0] == 4 and len(mem) == 1,
                     "a snapshot is format version 4, with the breakdown as section 15"):
        return
    keep = [s for s in secs if s[0] != 15]
    body = b"".join(struct.pack("<IIQQ", i, e, off - 24, n) for i, e, off, n in keep)
    start = 128 + 24 * nsec
    end = mem[0][2]
    body += data[start:end]
    h = 0x6865617073636f70
    for (w,) in struct.iter_unpack("<Q", body):
        h = ((h ^ w) * 0x9e3779b97f4a7c15) & (2 ** 64 - 1)
        h ^= h >> 29
    struct.pack_into("<I", hdr, 8, 2)
    struct.pack_into("<QQI", hdr, 16, 128 + len(body), h, nsec - 1)
    old = snap + ".v2"
    with open(old, "wb") as f:
        f.write(bytes(hdr) + body)
    a, p = hstest.run_json(["top", "--json", "-n", "5", snap])
    b, q = hstest.run_json(["top", "--json", "-n", "5", old])
    i, r = hstest.run_json(["info", "--json", old])
    hstest.ok(a is not None and b is not None and a["types"] == b["types"] and
              i is not None and i["memory"] is None,
              "a version 2 snapshot (no breakdown) still loads: the same top, info says "
              "memory null", [p.stderr, q.stderr, r.stderr])


def table_against_dwarf():
    """heapscope's table of glibc's malloc_state against the DWARF of this
    machine's libc (libc6-dbg), as gdb reads it."""
    what = "glibc's malloc_state table equals the DWARF of this machine's libc"
    libc = LIBC
    if not shutil.which("gdb") or not os.path.exists(libc):
        hstest.skip(what, "no gdb or no %s here" % libc)
        return
    p = subprocess.run(["gdb", "-batch", "-nx", "-ex", "ptype /o struct malloc_state", libc],
                       capture_output=True, text=True, timeout=120)
    if "fastbinsY" not in p.stdout:
        hstest.skip(what, "no debug information for libc (apt-get install libc6-dbg)")
        return
    dwarf = {}
    for line in p.stdout.splitlines():
        m = re.match(r"/\*\s+(\d+)\s+\|\s+\d+\s+\*/\s+.*?\b(\w+)(\[\d+\])?;", line)
        if m:
            dwarf[m.group(2)] = int(m.group(1))
        m = re.search(r"total size \(bytes\):\s+(\d+)", line)
        if m:
            dwarf["#size"] = int(m.group(1))
    src = os.path.join(hstest.SRCDIR, "lib", "python", "glibc_malloc.c")
    with open(src) as f:
        table = {m.group(1): int(m.group(2))
                 for m in re.finditer(r"#define MS_(\w+) (\d+)", f.read())}
    pairs = [("MUTEX", "mutex"), ("FASTBINS", "fastbinsY"), ("TOP", "top"), ("BINS", "bins"),
             ("NEXT", "next"), ("ATTACHED", "attached_threads"), ("SYSTEM_MEM", "system_mem"),
             ("MAX_SYSTEM_MEM", "max_system_mem"), ("SIZE", "#size")]
    bad = ["%s: table %s, DWARF %s" % (f, table.get(t), dwarf.get(f)) for t, f in pairs
           if table.get(t) is None or table.get(t) != dwarf.get(f)]
    hstest.ok(not bad, what, bad)


table_against_dwarf()
hstest.for_each_interpreter(check, "the memory breakdown")
