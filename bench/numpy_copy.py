#!/usr/bin/env python3
"""numpy_copy - what a capture copies of a numpy program, and its pause.

Starts fixtures/sizeof_zoo.py under Debian's python3.11 (numpy from
python3-numpy), snapshots it RUNS times, has it allocate SIZE of array
data more (its "big" command: 40 MiB arrays of random numbers), and
snapshots it RUNS times again.  Prints, medians of each:
  - the bytes copied with and without the arrays: the extra copy as a
    share of the array data (goal: under 5%);
  - the target's pause with and without the arrays: the ratio, and the
    pause the copy speed measured without the arrays predicts for the
    extra bytes (goal: the pause with them within the pause without them
    plus that).
With BASELINE=PATH (an older heapscope binary, e.g. a build of main
before the work), the same figures with the arrays for it, side by side.
Environment: HEAPSCOPE (default ./heapscope), RUNS (default 5), PYTHON
(default /usr/bin/python3.11), SIZE_MIB (default 1000, rounded down to
120 MiB steps: three arrays per step).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HS = os.environ.get("HEAPSCOPE") or os.path.join(HERE, "heapscope")
BASELINE = os.environ.get("BASELINE")
RUNS = int(os.environ.get("RUNS", "5"))
PY = os.environ.get("PYTHON", "/usr/bin/python3.11")
STEPS = max(1, int(os.environ.get("SIZE_MIB", "1000")) // 120)
MIB = 1 << 20


def snapshots(pid, tmp, hs=HS):
    """Median (copied bytes, pause ms) of RUNS snapshots of pid by hs."""
    copied, pause = [], []
    for i in range(RUNS):
        path = os.path.join(tmp, "s%d.hsnap" % i)
        subprocess.run([hs, "snapshot", "--force", "-o", path, str(pid)], check=True,
                       capture_output=True)
        top = json.loads(subprocess.run([hs, "top", "--json", "-n", "0", path], check=True,
                                        capture_output=True, text=True).stdout)
        copied.append(top["copied_bytes"])
        pause.append(top["pause_ms"])
        os.unlink(path)
    return statistics.median(copied), statistics.median(pause)


def main():
    if not os.access(HS, os.X_OK):
        sys.exit("bench: %s not built (./setup.sh)" % HS)
    tmp = tempfile.mkdtemp(prefix="hs-numpy-")
    fx = subprocess.Popen([PY, "-u", os.path.join(HERE, "fixtures", "sizeof_zoo.py")],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(fx.stdout.readline())
        if not info.get("numpy"):
            sys.exit("bench: numpy does not import under %s (apt-get install python3-numpy)"
                     % PY)
        c0, p0 = snapshots(info["pid"], tmp)
        data = 0
        for _ in range(STEPS):
            fx.stdin.write("big\n")
            fx.stdin.flush()
            data = json.loads(fx.stdout.readline())["bytes"]
        c1, p1 = snapshots(info["pid"], tmp)
        base = snapshots(info["pid"], tmp, BASELINE) if BASELINE else None
    finally:
        fx.kill()
        fx.wait()
        os.rmdir(tmp)
    extra = max(0, c1 - c0)
    # the copy speed without the arrays, applied to what was copied more
    predicted = p0 + (p0 * extra / c0 if c0 else 0)
    print("numpy %s, %s, %d runs each (medians)" % (info["numpy"], PY, RUNS))
    print("  array data added:         %8.1f MiB" % (data / MIB))
    print("  copied without / with:    %8.1f / %.1f MiB: %.2f%% of the data copied "
          "(goal: under 5%%)" % (c0 / MIB, c1 / MIB, 100.0 * extra / data))
    print("  pause without / with:     %8.1f / %.1f ms: %.2fx; the copy speed predicts "
          "%.1f ms (goal: within it)" % (p0, p1, p1 / p0 if p0 else 0, predicted))
    if base:
        print("  baseline (%s), with:    %8.1f MiB copied, %.1f ms pause: %.1fx the copy, "
              "%.1fx the pause" % (BASELINE, base[0] / MIB, base[1], base[0] / c1,
                                   base[1] / p1 if p1 else 0))


if __name__ == "__main__":
    main()
