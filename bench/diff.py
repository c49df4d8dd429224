#!/usr/bin/env python3
"""diff.py - 'heapscope diff' of two ~2M-object snapshots against 'top' of
one of them, in the same run.

A target process builds the heap of fixtures/bench_heap.py (records of a
plain class, each holding a list that holds an int: about 3 objects per
record; BENCH_N records, default 650,000, about 2 million objects) and,
when told, grows it by a tenth (fixtures/bench_heap.py itself cannot
grow, and its in-process walks are not needed here).  heapscope
snapshots it before and after the growth, then times
  top   NEW           (load one snapshot, histogram; the peer)
  diff  OLD NEW       (load both, per-type growth, the ~200,000 new
                       objects found by address, 3 paths from a root)
and prints the medians, the ratio diff/top and the absolute time of diff
(goal: under 2 s).  Environment: HEAPSCOPE (binary), PYTHON (interpreter;
default the newest pyenv 3.12 or python3), BENCH_N, RUNS (default 3).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import python  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HS = os.environ.get("HEAPSCOPE", os.path.join(HERE, "heapscope"))
RUNS = int(os.environ.get("RUNS", "3"))
N = int(os.environ.get("BENCH_N", "650000"))

TARGET = """
import gc, json, os, sys
gc.disable()
class Record:
    def __init__(self, i):
        self.payload = [i]
n = int(sys.argv[1])
keep = [Record(i) for i in range(n)]
print(json.dumps({"pid": os.getpid()}), flush=True)
for line in sys.stdin:
    keep.extend(Record(n + i) for i in range(n // 10))
    print(json.dumps({"records": len(keep)}), flush=True)
"""


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        sys.exit("bench: %s failed: %s" % (" ".join(cmd), p.stderr))
    return wall


def main():
    if not os.access(HS, os.X_OK):
        sys.exit("bench: %s not built" % HS)
    py = python()
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True).stdout.strip()
    fx = subprocess.Popen([py, "-u", "-c", TARGET, str(N)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    try:
        json.loads(fx.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="hs-bench-diff-") as tmp:
            snaps, first = [], 0
            for k in range(2):
                path = os.path.join(tmp, "s%d.hsnap" % k)
                p = subprocess.run([HS, "snapshot", "--json", "-o", path, str(fx.pid)],
                                   capture_output=True, text=True)
                if p.returncode:
                    sys.exit("bench: snapshot failed: " + p.stderr)
                objects = json.loads(p.stdout)["objects"]
                first = objects if not k else first
                snaps.append(path)
                if not k:
                    fx.stdin.write("grow\n")
                    fx.stdin.flush()
                    json.loads(fx.stdout.readline())
            tops, diffs = [], []
            for _ in range(RUNS):
                tops.append(timed([HS, "top", snaps[1]]))
                diffs.append(timed([HS, "diff", snaps[0], snaps[1]]))
            top, diff = statistics.median(tops), statistics.median(diffs)
            print("heapscope diff vs top, python %s, %d objects in NEW (%d in OLD), %d run(s), "
                  "medians" % (ver, objects, first, RUNS))
            print("  top  (one snapshot)     %8.3f s" % top)
            print("  diff (two snapshots)    %8.3f s   -> %.2fx top (goal: diff < 2 s: %s)"
                  % (diff, diff / top, "met" if diff < 2 else "NOT met"))
            print("  per object              %8.1f ns diff, %.1f ns top"
                  % (diff / objects * 1e9, top / objects * 1e9))
    finally:
        fx.kill()
        fx.wait()


if __name__ == "__main__":
    main()
