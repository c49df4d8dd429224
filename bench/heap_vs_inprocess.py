#!/usr/bin/env python3
"""heap_vs_inprocess.py - heapscope snapshot against an in-process walk of
the same heap, in the same run.

For each size (default 200000, 2000000, 10000000 objects; BENCH_SIZES to
change) fixtures/bench_heap.py builds a heap of that many objects (half
instances, half lists) and times two walks objgraph-style tools do from
inside (gc.get_objects + gc.get_referents + sys.getsizeof: counting only,
and keeping the graph as heapscope does); then heapscope captures it from
outside and writes the snapshot file.  Printed, as ratios measured in this run:
  - snapshot wall time vs each in-process walk (goal: 10x faster);
  - the target's pause vs the time spent copying its memory (goal <= 2);
  - heapscope's peak RSS vs copied bytes + 100 bytes per object;
  - snapshot file bytes per object, without value strings (goal <= 40);
  - loading the snapshot and printing 'top' (goal < 1 s at 2M);
  - time per object across sizes (should stay flat: linear scaling).
Environment: HEAPSCOPE (binary), PYTHON (interpreter; default the newest
pyenv 3.12 or python3), BENCH_SIZES, RUNS (captures per size, default 3).
"""
import json
import os
import resource
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
RUNS = int(os.environ.get("RUNS", "3"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "200000 2000000 10000000").split()]


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


def rss_of_child(cmd):
    """Run cmd; return (wall seconds, peak RSS bytes, CompletedProcess)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all of them: only meaningful
    # when this child is the biggest so far, which holds as sizes grow
    return wall, max(after, before) * 1024, p


def bench(py, n, tmp):
    fx = subprocess.Popen([py, "-u", os.path.join(HERE, "fixtures", "bench_heap.py"), str(n)],
                          stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(fx.stdout.readline())
        walls, pauses, copies, rss = [], [], [], 0
        snap = os.path.join(tmp, "bench-%d.hsnap" % n)
        for _ in range(RUNS):
            if os.path.exists(snap):
                os.remove(snap)  # each run writes a new file, as users do
            wall, peak, p = rss_of_child([HS, "snapshot", "--json", "-o", snap,
                                          str(fx.pid)])
            if p.returncode:
                sys.exit("bench: heapscope failed: " + p.stderr)
            out = json.loads(p.stdout)
            walls.append(wall)
            pauses.append(out["pause_us"] / 1e6)
            copies.append(out["copy_us"] / 1e6)
            rss = max(rss, peak)
        tops = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            p = subprocess.run([HS, "top", snap], capture_output=True, text=True)
            tops.append(time.perf_counter() - t0)
        size = os.path.getsize(snap)
        return {
            "n": n, "objects": out["objects"], "copied": out["copied_bytes"],
            "inprocess": info["inprocess_s"], "inprocess_objects": info["inprocess_objects"],
            "graph": info["graph_s"], "graph_objects": info["graph_objects"],
            "wall": statistics.median(walls), "pause": statistics.median(pauses),
            "copy": statistics.median(copies), "rss": rss, "file": size,
            "strings": strings_bytes(snap), "top": statistics.median(tops),
        }
    finally:
        fx.kill()
        fx.wait()


def main():
    if not os.access(HS, os.X_OK):
        sys.exit("bench: %s not built (./setup.sh)" % HS)
    py = python()
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True).stdout.strip()
    print("heapscope snapshot vs in-process walk (gc.get_objects + get_referents + getsizeof)")
    print("python %s, %d run(s) per size, medians\n" % (ver, RUNS))
    rows = []
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        for n in SIZES:
            r = bench(py, n, tmp)
            rows.append(r)
            obj = r["objects"]
            print("%d objects (heapscope found %d; gc.get_objects %d)"
                  % (n, obj, r["inprocess_objects"]))
            print("  in-process, minimal   %8.3f s   (get_objects, get_referents, getsizeof; "
                  "nothing kept)" % r["inprocess"])
            print("  in-process, graph     %8.3f s   (the same keeping %d objects with type, "
                  "size, referents)" % (r["graph"], r["graph_objects"]))
            print("  heapscope snapshot    %8.3f s   -> %.2fx the minimal walk's speed, %.2fx "
                  "the graph walk's (goal >= 10x)"
                  % (r["wall"], r["inprocess"] / r["wall"], r["graph"] / r["wall"]))
            print("  target pause          %8.1f ms, copying %.1f MB took %.1f ms -> "
                  "pause/copy %.2f (goal <= 2)"
                  % (r["pause"] * 1e3, r["copied"] / 1e6, r["copy"] * 1e3,
                     r["pause"] / r["copy"] if r["copy"] else float("nan")))
            budget = r["copied"] + 100 * obj
            print("  heapscope peak RSS    %8.1f MB vs copied + 100 B/object %.1f MB -> %.2f "
                  "(goal <= 1)" % (r["rss"] / 1e6, budget / 1e6, r["rss"] / budget))
            print("  snapshot file         %8.1f MB, %.1f bytes/object without strings "
                  "(goal <= 40)" % (r["file"] / 1e6, (r["file"] - r["strings"]) / obj))
            print("  load + top            %8.3f s (goal < 1 s at 2M)" % r["top"])
            print("  per object            %8.1f ns capture, %.1f ns load+top\n"
                  % (r["wall"] / obj * 1e9, r["top"] / obj * 1e9))
    if len(rows) > 1:
        base = rows[0]["wall"] / rows[0]["objects"]
        print("scaling (capture time per object relative to %d objects):" % rows[0]["n"])
        for r in rows:
            print("  %10d objects  %.2f" % (r["n"], (r["wall"] / r["objects"]) / base))


if __name__ == "__main__":
    main()
