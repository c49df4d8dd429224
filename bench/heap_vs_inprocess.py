#!/usr/bin/env python3
"""heap_vs_inprocess.py - heapscope's capture at the machine's limit: a
snapshot against an in-process walk of the same heap, in the same run.

For each size (BENCH_SIZES, default 200000 1000000 3000000 5000000
15000000 objects) fixtures/bench_heap.py builds a heap of that many
objects (half instances, half the lists they hold; with their ints,
heapscope finds 1.5 times as many).  Up to BENCH_WALKS_MAX objects
(default 3000000) the fixture also times two walks objgraph-style tools
do from inside (gc.get_objects, gc.get_referents and sys.getsizeof:
counting only, and keeping the graph with a set of seen ids).  Then
heapscope captures it from outside RUNS times (default 3), alternating
with BASELINE (a heapscope from before the work) when given, and reads
the snapshot back with top and suspects.  Printed per size, medians,
each against its goal:
  - snapshot wall time against the in-process graph walk (goal >= 10x);
  - the target's pause against the time spent copying (goal <= 1.2);
  - the walk's time per object (goal <= 80 ns);
  - heapscope's peak RSS against the bytes copied + 60 per object
    (goal <= 1), for the snapshot and for top and suspects on the file;
  - snapshot file bytes per object without value strings;
  - top, and suspects (dominators included), on the file;
then the time per object across sizes (linear: flat), and the exports
at the size nearest 5M (by the baseline too, of the file it wrote):
SQLite (goal < 5 s, peak RSS < 1.5x the snapshot file), heapsnapshot
(goal: the disk's speed) and meliae against writing as many bytes to
the same disk, synced as the export is.  With BASELINE, the builds capture in the order A B B A A B ...
Environment: HEAPSCOPE (binary), BASELINE (binary to compare with),
PYTHON (interpreter; default the newest pyenv 3.12 or python3),
BENCH_SIZES, BENCH_WALKS_MAX, RUNS.
"""
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import python  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HS = os.environ.get("HEAPSCOPE", os.path.join(HERE, "heapscope"))
BASELINE = os.environ.get("BASELINE")
RUNS = int(os.environ.get("RUNS", "3"))
SIZES = [int(s) for s in os.environ.get(
    "BENCH_SIZES", "200000 1000000 3000000 5000000 15000000").split()]
WALKS_MAX = int(os.environ.get("BENCH_WALKS_MAX", "3000000"))
EXPORT_AT = 5000000


def strings_bytes(path):
    """Size of the snapshot's string section (values, names)."""
    with open(path, "rb") as f:
        hdr = f.read(128)
        nsec = struct.unpack_from("<I", hdr, 32)[0]
        table = f.read(24 * nsec)
    for i in range(nsec):
        sid, elem, off, count = struct.unpack_from("<IIQQ", table, 24 * i)
        if sid == 13:
            return count * elem
    return 0


def run(cmd):
    """Run cmd; (wall seconds, its own peak RSS in bytes, stdout).  wait4
    gives this child's rusage, not the maximum over every child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            sys.exit("bench: %s failed: %s" % (" ".join(cmd), err.read().decode().strip()))
        return wall, ru.ru_maxrss * 1024, out.read().decode()


def capture(hs, pid, snap):
    if os.path.exists(snap):
        os.remove(snap)  # each run writes a new file, as users do
    wall, rss, out = run([hs, "snapshot", "--json", "-o", snap, str(pid)])
    d = json.loads(out)
    return {"wall": wall, "rss": rss, "pause": d["pause_us"] / 1e6,
            "copy": d["copy_us"] / 1e6, "walk": d["walk_ms"] / 1e3,
            "objects": d["objects"], "copied": d["copied_bytes"]}


def reads(hs, snap):
    top = run([hs, "top", snap])
    sus = run([hs, "suspects", snap])
    return {"top": top[0], "top_rss": top[1], "suspects": sus[0], "suspects_rss": sus[1]}


def median_of(rows):
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def bench(py, n, tmp):
    args = [py, "-u", os.path.join(HERE, "fixtures", "bench_heap.py"), str(n)]
    if n > WALKS_MAX:
        args.append("--no-walks")
    fx = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(fx.stdout.readline())
        res = {}
        bins = [("heapscope", HS)] + ([("baseline", BASELINE)] if BASELINE else [])
        caps = {name: [] for name, _ in bins}
        # A B B A A B ...: on this kind of machine the first capture of
        # two in a row was measured slower, whichever build it was
        for k in range(RUNS):
            for name, hs in (bins if k % 2 == 0 else bins[::-1]):
                caps[name].append(capture(hs, fx.pid, os.path.join(tmp, name + ".hsnap")))
        for name, hs in bins:
            snap = os.path.join(tmp, name + ".hsnap")
            r = median_of(caps[name])
            r.update(median_of([reads(hs, snap) for _ in range(RUNS)]))
            r["rss"] = max(c["rss"] for c in caps[name])
            r["file"] = os.path.getsize(snap)
            r["strings"] = strings_bytes(snap)
            res[name] = r
        res["info"] = info
        # each build's exports read the file it wrote (the formats of two
        # builds may differ)
        res["snaps"] = {name: os.path.join(tmp, name + ".hsnap") for name, _ in bins}
        return res
    finally:
        fx.kill()
        fx.wait()


def show(n, res):
    info, me = res["info"], res["heapscope"]
    base = res.get("baseline")
    obj = me["objects"]
    print("%d objects built, heapscope found %d" % (n, obj))
    if "graph_s" in info:
        print("  in-process walk, minimal   %8.3f s  (get_objects, get_referents, getsizeof)"
              % info["inprocess_s"])
        print("  in-process walk, graph     %8.3f s  (and a set of seen ids, keeping %d "
              "objects)" % (info["graph_s"], info["graph_objects"]))

    def line(label, key, fmt, goal=""):
        text = "  %-26s " % label + fmt % me[key]
        if base:
            text += "   baseline " + fmt % base[key]
        print(text + ("   " + goal if goal else ""))

    line("snapshot", "wall", "%8.3f s")
    if "graph_s" in info:
        g = info["graph_s"]
        text = "  %-26s %8.2fx" % ("  vs the graph walk", g / me["wall"])
        if base:
            text += "   baseline %8.2fx" % (g / base["wall"])
        print(text + "   (goal >= 10x)")
    for r in [me] + ([base] if base else []):
        r["pause_copy"] = r["pause"] / r["copy"] if r["copy"] else float("nan")
        r["walk_ns"] = r["walk"] / r["objects"] * 1e9
        r["budget"] = r["rss"] / (r["copied"] + 60 * r["objects"])
        r["top_budget"] = r["top_rss"] / (r["copied"] + 60 * r["objects"])
        r["sus_budget"] = r["suspects_rss"] / (r["copied"] + 60 * r["objects"])
        r["mb_rss"] = r["rss"] / 1e6
        r["mb_copied"] = r["copied"] / 1e6
        r["per_obj"] = r["wall"] / r["objects"] * 1e9
        r["file_obj"] = (r["file"] - r["strings"]) / r["objects"]
    line("target pause", "pause", "%8.3f s")
    line("  copying", "copy", "%8.3f s")
    line("  pause / copy", "pause_copy", "%8.2f ", "(goal <= 1.2)")
    line("walk", "walk", "%8.3f s")
    line("  per object", "walk_ns", "%8.1f ns", "(goal <= 80 ns)")
    line("capture, per object", "per_obj", "%8.1f ns")
    line("copied", "mb_copied", "%8.1f MB")
    line("peak RSS, snapshot", "mb_rss", "%8.1f MB")
    line("  / (copied + 60 B/object)", "budget", "%8.2f ", "(goal <= 1)")
    line("  top on the file", "top_budget", "%8.2f ", "(goal <= 1)")
    line("  suspects on the file", "sus_budget", "%8.2f ", "(goal <= 1)")
    line("snapshot file, B/object", "file_obj", "%8.1f ", "(without value strings)")
    line("top on the file", "top", "%8.3f s")
    line("suspects on the file", "suspects", "%8.3f s", "(dominators included)")
    print()


def exports(hs, snap, tmp):
    """SQLite and heapsnapshot exports of snap; the disk's write speed."""
    size = os.path.getsize(snap)
    db = os.path.join(tmp, "x.sqlite")
    wall, rss, _ = run([hs, "export", "--format", "sqlite", "-o", db, snap])
    print("  sqlite export         %8.3f s, peak RSS %.1f MB = %.2fx the snapshot file "
          "(goals < 5 s, < 1.5x)" % (wall, rss / 1e6, rss / size))
    os.remove(db)
    for fmt in ("heapsnapshot", "meliae"):
        path = os.path.join(tmp, "x." + fmt)
        wall, rss, _ = run([hs, "export", "--format", fmt, "-o", path, snap])
        out = os.path.getsize(path)
        os.remove(path)
        disk = disk_time(path, out)
        print("  %-21s %8.3f s for %.1f MB = %.0f MB/s; writing as many bytes "
              "%.0f MB/s -> %.2fx the disk's time" % (fmt + " export", wall, out / 1e6,
                                                      out / 1e6 / wall, out / 1e6 / disk,
                                                      wall / disk))


def disk_time(path, size):
    """The disk's time for size bytes written to path, synced as the
    exports sync their files: the best of three, since a sync right
    after an export's also waits for what the host still holds of it."""
    blob = os.urandom(1 << 20)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        with open(path, "wb") as f:
            for _ in range(size >> 20):
                f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        disk = time.perf_counter() - t0
        os.remove(path)
        best = disk if best is None else min(best, disk)
    return best


def main():
    for b in [HS] + ([BASELINE] if BASELINE else []):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s not built (./setup.sh)" % b)
    py = python()
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True).stdout.strip()
    print("heapscope snapshot vs in-process walk, python %s, %d run(s) per size, medians"
          % (ver, RUNS))
    print("heapscope %s%s, %d cores\n" % (HS, ", baseline " + BASELINE if BASELINE else
                                          " (BASELINE=PATH compares with another build)",
                                          os.cpu_count()))
    rows = []
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        near = min(SIZES, key=lambda n: abs(n - EXPORT_AT))
        for n in SIZES:
            res = bench(py, n, tmp)
            show(n, res)
            rows.append((n, res))
            if n == near:
                print("exports of the %d-object snapshot:" % n)
                exports(HS, res["snaps"]["heapscope"], tmp)
                if BASELINE:
                    print("  the same by the baseline, of its own capture of the heap:")
                    exports(BASELINE, res["snaps"]["baseline"], tmp)
                print()
    if len(rows) > 1:
        print("scaling: capture and walk time per object (and relative to %d objects)"
              % rows[0][0])
        first = rows[0][1]["heapscope"]
        for n, res in rows:
            r = res["heapscope"]
            print("  %10d objects  capture %6.1f ns (%.2f)  walk %6.1f ns (%.2f)"
                  % (r["objects"], r["per_obj"], r["per_obj"] / first["per_obj"],
                     r["walk_ns"], r["walk_ns"] / first["walk_ns"]))


if __name__ == "__main__":
    main()
