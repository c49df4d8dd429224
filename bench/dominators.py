#!/usr/bin/env python3
"""dominators.py - the cost of retained sizes: 'top --by retained' against
'top --by count' on the same snapshot file, in the same run.

For each size (default 2000000 and 10000000 objects; BENCH_SIZES to
change) fixtures/bench_heap.py builds a heap of that many objects (half
instances, half the lists they hold), heapscope snapshots it once, and
both commands read that file RUNS times.  'top --by count' is the peer:
loading the file and counting types, which every heap command pays;
'top --by retained' adds the dominator tree, the retained sizes and the
per-type retained walk.  Printed, as measured in this run:
  - the medians of both and their ratio;
  - the dominator time alone (HEAPSCOPE_TIMING=1 phase times) at each size
    (goal: dominators + retained sizes under 1 s at 2M objects);
  - linearity: (dominator time at the largest size / at the smallest) /
    (objects at the largest / at the smallest), 1.0 being linear;
  - the same on a deep heap: a linked list of BENCH_DEEP nodes (default
    1000000), each holding an interned name (a root of its own from 3.12):
    a dominator chain whose nodes' names hang from the roots - the shape
    that makes a semi-NCA climb quadratic.
Environment: HEAPSCOPE (binary), PYTHON (interpreter; default the newest
pyenv 3.12 or python3), BENCH_SIZES, RUNS (default 5).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import python  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HS = os.environ.get("HEAPSCOPE", os.path.join(HERE, "heapscope"))
RUNS = int(os.environ.get("RUNS", "5"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "2000000 10000000").split()]


def timed(args):
    """Wall seconds and the phase times heapscope reports (ms)."""
    env = dict(os.environ, HEAPSCOPE_TIMING="1")
    t0 = time.perf_counter()
    p = subprocess.run([HS] + args, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode:
        sys.exit("bench: heapscope %s failed: %s" % (" ".join(args), p.stderr))
    phases = {m.group(1): float(m.group(2)) for m in
              re.finditer(r"timing: (\w+) ([0-9.]+) ms", p.stderr)}
    return wall, phases


DEEP = int(os.environ.get("BENCH_DEEP", "1000000"))
DEEP_TARGET = r"""
import json, sys, time
class Node:
    __slots__ = ("name", "next")
head = None
for i in range(int(sys.argv[1])):
    n = Node()
    n.name = sys.intern("name-%d" % i)
    n.next = head
    head = n
print(json.dumps({"ready": 1}), flush=True)
time.sleep(3600)
"""


def snapshot(py, n, path, deep=False):
    argv = [py, "-u", "-c", DEEP_TARGET, str(n)] if deep else \
        [py, "-u", os.path.join(HERE, "fixtures", "bench_heap.py"), str(n)]
    fx = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        json.loads(fx.stdout.readline())
        p = subprocess.run([HS, "snapshot", "--json", "-o", path, str(fx.pid)],
                           capture_output=True, text=True)
        if p.returncode:
            sys.exit("bench: heapscope snapshot failed: " + p.stderr)
        return json.loads(p.stdout)["objects"]
    finally:
        fx.kill()
        fx.wait()


def bench(py, n, tmp, deep=False):
    snap = os.path.join(tmp, "dom-%d.hsnap" % n)
    objects = snapshot(py, n, snap, deep)
    count, retained, dom, hist = [], [], [], []
    for _ in range(RUNS):
        wall, _ = timed(["top", snap])
        count.append(wall)
        wall, ph = timed(["top", "--by", "retained", snap])
        retained.append(wall)
        dom.append(ph.get("dominators", float("nan")) / 1e3)
        hist.append(ph.get("histogram", float("nan")) / 1e3)
    os.remove(snap)
    return {"n": n, "objects": objects, "count": statistics.median(count),
            "retained": statistics.median(retained), "dom": statistics.median(dom),
            "hist": statistics.median(hist)}


def main():
    if not os.access(HS, os.X_OK):
        sys.exit("bench: %s not built" % HS)
    py = python()
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True).stdout.strip()
    print("heapscope top --by retained vs top --by count on the same snapshot file")
    print("python %s, %d run(s) per size, medians\n" % (ver, RUNS))
    rows = []
    with tempfile.TemporaryDirectory(prefix="hs-bench-dom-") as tmp:
        for n in SIZES:
            r = bench(py, n, tmp)
            rows.append(r)
            print("%d objects built, %d in the snapshot" % (n, r["objects"]))
            print("  top --by count        %8.3f s   (load + histogram: the peer)" % r["count"])
            print("  top --by retained     %8.3f s   -> %.2fx the peer's time"
                  % (r["retained"], r["retained"] / r["count"]))
            print("  dominators + retained %8.3f s   (%.1f ns/object; goal < 1 s at 2M)"
                  % (r["dom"], r["dom"] / r["objects"] * 1e9))
            print("  histogram with types' retained %.3f s\n" % r["hist"])
        if len(rows) > 1:
            a, b = rows[0], rows[-1]
            print("linearity (dominator time %d / %d objects, over the object ratio): %.2f "
                  "(1.0 = linear)\n" % (b["objects"], a["objects"],
                                        (b["dom"] / a["dom"]) / (b["objects"] / a["objects"])))
        if DEEP:
            r = bench(py, DEEP, tmp, deep=True)
            print("a linked list of %d nodes with interned names, %d objects in the "
                  "snapshot" % (DEEP, r["objects"]))
            print("  top --by count        %8.3f s   (the peer)" % r["count"])
            print("  top --by retained     %8.3f s   -> %.2fx the peer's time"
                  % (r["retained"], r["retained"] / r["count"]))
            print("  dominators + retained %8.3f s   (%.1f ns/object)"
                  % (r["dom"], r["dom"] / r["objects"] * 1e9))


if __name__ == "__main__":
    main()
