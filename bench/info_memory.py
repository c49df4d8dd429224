#!/usr/bin/env python3
"""info_memory - what the memory breakdown costs heapscope info.

Starts fixtures/bench_heap.py (N objects, default 3,000,000: 1.5M
instances holding 1.5M lists) and runs `heapscope info` on it RUNS times,
alternating with the same command of BASELINE (a heapscope before the
breakdown, e.g. a build of main from before it), so both see the same
process in the same run.  Prints the medians and the fastest runs of
each (the walk of the GC lists that info times varies by a third from run
to run on a VM; the fastest runs are the steadier comparison): wall time
and the target's pause, the ratios (goal: at most 1.10), and what the
breakdown found (pymalloc's arenas and pools read, glibc's free chunks).
Without BASELINE only this build's figures are printed.
Environment: HEAPSCOPE (default ./heapscope), BASELINE, PYTHON (default
the newest pyenv 3.12 or python3), N, RUNS (default 15).
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
HS = os.environ.get("HEAPSCOPE") or os.path.join(HERE, "heapscope")
BASELINE = os.environ.get("BASELINE")
RUNS = int(os.environ.get("RUNS", "15"))
N = int(os.environ.get("N", "3000000"))
CACHE = tempfile.mkdtemp(prefix="hs-bench-cache-")


def info(hs, pid):
    """(wall ms, pause ms, the JSON) of one `info --json`.  Each binary has
    its own layout cache: one with other fields would take the other's
    for a miss, and each run would read the DWARF again."""
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(CACHE, os.path.basename(
        os.path.dirname(os.path.abspath(hs))) + str(abs(hash(hs)))))
    t0 = time.perf_counter()
    p = subprocess.run([hs, "info", "--json", str(pid)], capture_output=True, text=True,
                       env=env)
    wall = (time.perf_counter() - t0) * 1000
    if p.returncode:
        sys.exit("bench: %s info failed: %s" % (hs, p.stderr.strip()))
    got = json.loads(p.stdout)
    return wall, got["pause_us"] / 1000, got


def main():
    if not os.access(HS, os.X_OK):
        sys.exit("bench: %s not built (./setup.sh)" % HS)
    py = python()
    fx = subprocess.Popen([py, "-u", os.path.join(HERE, "fixtures", "bench_heap.py"), str(N)],
                          stdout=subprocess.PIPE, text=True)
    try:
        fx.stdout.readline()
        info(HS, fx.pid)  # warm the layout cache and the page cache
        if BASELINE:
            info(BASELINE, fx.pid)
        new, old = [], []
        for _ in range(RUNS):
            new.append(info(HS, fx.pid))
            if BASELINE:
                old.append(info(BASELINE, fx.pid))
        mem = new[-1][2].get("memory") or {}
        pm, c = mem.get("pymalloc") or {}, mem.get("c_allocator") or {}
        print("target: fixtures/bench_heap.py %d under %s, %d runs each" % (N, py, RUNS))
        print("breakdown: RSS %.1f MiB; pymalloc %d arenas, %d used pools read; glibc %d "
              "arenas, %d free chunks followed"
              % ((mem.get("rss") or 0) / (1 << 20), pm.get("arenas", 0),
                 pm.get("used_pools", 0), c.get("arenas", 0), c.get("free_chunks", 0)))
        def figures(runs):
            walls, pauses = [w for w, _, _ in runs], [p for _, p, _ in runs]
            return (statistics.median(walls), statistics.median(pauses), min(walls),
                    min(pauses))

        fmt = "median wall %8.2f ms, pause %7.2f ms; fastest %8.2f ms, %7.2f ms"
        a = figures(new)
        print("heapscope info, with the breakdown   " + fmt % a)
        if not BASELINE:
            print("(BASELINE=PATH of a heapscope before the breakdown gives the ratios)")
            return
        b = figures(old)
        print("heapscope info, BASELINE             " + fmt % b)
        print("ratio of medians: wall %.2fx, pause %.2fx; of the fastest runs: wall %.2fx, "
              "pause %.2fx (goal <= 1.10)" % (a[0] / b[0], a[1] / b[1], a[2] / b[2], a[3] / b[3]))
    finally:
        fx.kill()
        fx.wait()


if __name__ == "__main__":
    main()
