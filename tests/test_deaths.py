"""test_deaths - a snapshot that says it is whole is whole, however the
target dies.

On every interpreter: fixtures/steady.py builds the same heap on every
run (the same hash seed, the same addresses: some ints hold values made
of addresses, and their sizes follow), and its walk meets types it has
not named yet all along (one new C type per level of a chain).  One capture of an undisturbed process gives
the reference: its count and total size per type.  Then, in fine steps
across the time a whole capture takes, the target is killed (SIGKILL)
at each moment of a new capture: before heapscope attaches, while it
freezes and copies, and all along the walk of the copy.  Whenever
heapscope exits 0, the snapshot loads, has no warning, and every type's
count and size equal the reference's; otherwise it said in one line that
the process exited (exit 7, or 3 if it was gone before heapscope looked)
and left no file.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

import hstest

EGONE, ENOPROC = 7, 3
STEPS = 10              # moments per interpreter
RECORDS = 60000
HANG = 120

ENV = {"PYTHONHASHSEED": "0"}


def start_target(interp):
    """steady.py, once it waits in read(2) on its stdin: from then on
    nothing in it moves, and every run holds the same objects."""
    fx = hstest.Fixture(interp.exe, "steady.py", args=[str(RECORDS)], env=ENV, timeout=120,
                        same_addresses=True)
    if not hstest.wait_syscall(fx.pid, 0):
        fx.stop()
        raise RuntimeError("steady.py never blocked in read(2)")
    return fx


def per_type(path, env):
    """{type: (count, size)} and the warnings of snapshot path, or None."""
    got, p = hstest.run_json(["top", "-n", "100000", path], env=env, timeout=HANG)
    if got is None or p.returncode != 0:
        return None, p.stderr
    return {t["type"]: (t["count"], t["size"]) for t in got["types"]}, got["warnings"]


def snapshot(interp, pid, dest):
    e = dict(os.environ)
    e.update(interp.env)
    return subprocess.Popen([hstest.HEAPSCOPE, "snapshot", "-o", dest, str(pid)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=e, preexec_fn=hstest.default_signals)


def differences(ref, got):
    return ["%s: %s, undisturbed %s" % (k, got.get(k), ref.get(k))
            for k in sorted(set(ref) | set(got)) if ref.get(k) != got.get(k)][:10]


def check(interp):
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-deaths-")
    try:
        # the reference, and how long a whole capture takes
        took = []
        ref = None
        for k in range(2):
            with start_target(interp) as fx:
                dest = os.path.join(tmp, "ref%d.hsnap" % k)
                t0 = time.monotonic()
                p = snapshot(interp, fx.pid, dest)
                out, err = p.communicate(timeout=HANG)
                took.append(time.monotonic() - t0)
            if p.returncode != 0:
                hstest.ok(False, "%s: an undisturbed snapshot of steady.py" % name, err)
                return
            counts, warnings = per_type(dest, interp.env)
            if ref is None:
                ref = counts
        hstest.ok(ref is not None and counts == ref and warnings == 0,
                  "%s: two undisturbed captures of steady.py agree on every type's count "
                  "and size, without warnings" % name,
                  differences(ref or {}, counts or {}) + ["warnings: %s" % warnings])
        span = max(took) * 1.15
        bad, outcomes = [], {}
        for step in range(STEPS):
            moment = span * (step + 0.5) / STEPS
            fx = start_target(interp)
            dest = os.path.join(tmp, "killed-%d.hsnap" % step)
            p = snapshot(interp, fx.pid, dest)
            time.sleep(moment)
            fx.proc.kill()
            try:
                out, err = p.communicate(timeout=HANG)
                st = p.returncode
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                st = None
            fx.stop()
            outcomes.setdefault(st, []).append("%.2f" % moment)
            if st == 0:
                counts, warnings = per_type(dest, interp.env)
                if counts != ref or warnings != 0:
                    bad.append("killed at %.2f s: exit 0, but %s; warnings %s" % (
                        moment, differences(ref, counts or {}) or warnings, warnings))
            elif not (st in (EGONE, ENOPROC) and hstest.one_line(err) and
                      ("exited" in err or "no process" in err)):
                bad.append("killed at %.2f s: exit %s: %s" % (moment, st, err.strip()))
            elif os.path.exists(dest):
                bad.append("killed at %.2f s: exit %s, yet %s was left" % (moment, st, dest))
            if hstest.leftovers(tmp):
                bad.append("killed at %.2f s: temporary files left: %s" % (
                    moment, hstest.leftovers(tmp)))
            if os.path.exists(dest):
                os.unlink(dest)
        hstest.ok(not bad, "%s: killed at %d moments across a capture (%.2f s): every exit 0 "
                  "is a whole snapshot equal to the undisturbed one, every other a one-line "
                  "exit 7 (3) and no file" % (name, STEPS, span), bad)
        hstest.diag("%s: exit status: moments (s): %s" % (name, outcomes))
    finally:
        shutil.rmtree(tmp, True)


hstest.for_each_interpreter(check, "the target killed at every moment of a capture")
