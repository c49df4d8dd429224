"""test_faults - whatever happens during a capture, the target runs on as
before and heapscope ends cleanly, in bounded time.

1. The target dies in the middle of a capture, at random moments: killed
   (SIGKILL) while heapscope freezes, copies or walks it frozen, or
   exiting by itself under --no-stop (copied or read live).  heapscope
   answers in full (from a copy made before) or says in one line that
   the process exited (or was gone before it attached), and leaves no
   file behind; where it walks the process itself, some deaths must come
   in the middle and be said.
2. heapscope gets SIGINT, SIGTERM, SIGHUP or SIGKILL at random moments of
   captures (copied, and walked frozen past the copy budget): no thread
   of the target is left stopped or traced, no signal is pending for it,
   its signal handlers saw nothing, its threads run on; and heapscope
   dies of each signal that comes while it runs.
3. The target is inside a garbage collection when heapscope stops it:
   heapscope lets it go on and stops it again until the collection is
   over, and walks lists that are whole (the count of a class equals the
   interpreter's, no warning); inside a collection that never ends it
   gives up in bounded time with exit 14, and --no-stop walks anyway
   with a warning.  On every interpreter present.
4. 100 --no-stop captures in a row of a target whose 8 threads mutate
   dicts, lists and instances as fast as they can, with ptrace refused
   to heapscope (tests/noptrace --ptrace-only: a capture that tried to
   stop the target would fail): every one finishes (exit 0, within a
   time bound that only a hang would pass), the inconsistencies met are
   counted.  Again on a free-threaded build run without its GIL, where
   the threads mutate in parallel.
5. A 2 GiB bytes object and a list of 50 million references: captured
   without copying the bytes' payload, within the copy budget, sizes
   exact.
6. ptrace refused by a seccomp filter (tests/noptrace): exit 6, the cause
   named, the target untouched.
"""
import json
import os
import random
import signal
import subprocess
import tempfile
import time

import hstest

EGONE, ENOPROC, EPERM, EBUSY = 7, 3, 6, 14
KILL_RUNS = 16
SIGNAL_RUNS = 12        # per signal
NO_STOP_RUNS = 100
HANG = 120              # seconds: a capture that takes longer hangs


def start(args, env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.Popen([hstest.HEAPSCOPE] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e,
                            preexec_fn=hstest.default_signals)


def finish(p, timeout=HANG):
    """(exit status, stdout, stderr, seconds); status None on a hang."""
    t0 = time.monotonic()
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err, time.monotonic() - t0
    return p.returncode, out, err, time.monotonic() - t0


def capture_time(interp, pid, args):
    """Median seconds of a whole heapscope run (for random moments)."""
    times = []
    for _ in range(3):
        t0 = time.monotonic()
        hstest.run(args + [str(pid)], env=interp.env, timeout=HANG)
        times.append(time.monotonic() - t0)
    return sorted(times)[1]


# ---- 1. the target dies during the capture --------------------------------

DEATHS = (
    # (how it dies, capture options)
    ("killed while copied", []),
    ("killed while walked frozen", ["--max-copy", "1K"]),
    ("exiting, --no-stop", ["--no-stop"]),
    ("exiting, --no-stop read live", ["--no-stop", "--max-copy", "1K"]),
)


def target_dies(interp, tmp):
    name = interp.name
    fx = hstest.Fixture(interp.exe, "doomed.py", args=["200000"], timeout=120)
    took = [capture_time(interp, fx.pid, ["top"] + opts) for _, opts in DEATHS]
    fx.stop()
    hstest.diag("%s: captures of doomed.py take %s s" % (
        name, ", ".join("%.3f" % t for t in took)))
    rng = random.Random(1)
    bad, outcomes = [], {}
    for run in range(KILL_RUNS):
        how, opts = DEATHS[run % len(DEATHS)]
        fx = hstest.Fixture(interp.exe, "doomed.py", args=["200000"], timeout=120)
        dest = os.path.join(tmp, "doomed-%d.hsnap" % run)
        p = start(["snapshot", "-o", dest] + opts + [str(fx.pid)], interp.env)
        time.sleep(rng.uniform(0, took[run % len(DEATHS)] * 1.1))
        if how.startswith("exiting"):
            fx.proc.stdin.close()       # it exits by itself
        else:
            fx.proc.kill()
        st, out, err, secs = finish(p)
        fx.stop()
        outcomes.setdefault(how, []).append(st)
        if st == 0:
            good = os.path.exists(dest) and hstest.run(["info", dest]).returncode == 0
        else:
            good = (st in (EGONE, ENOPROC) and hstest.one_line(err) and
                    ("exited" in err or "no process" in err or "No such process" in err)
                    and not os.path.exists(dest))
        good = good and not hstest.leftovers(tmp)
        if not good:
            bad.append("run %d (%s): exit %s after %.2f s: %s" % (run, how, st, secs,
                                                                 err.strip()))
        if os.path.exists(dest):
            os.unlink(dest)
    hstest.ok(not bad, "%s: the target killed or exiting at %d random moments of a capture: "
              "a whole snapshot, or exit 7 (3 if gone before) in one line, no file left"
              % (name, KILL_RUNS), bad)
    # where the walk reads the process itself, death comes in the middle
    hstest.ok(all(EGONE in outcomes.get(how, []) for how, opts in DEATHS
                  if "1K" in opts),
              "%s: some of those deaths came in the middle of a walk of the process "
              "itself, and were said (exit 7)" % name, str(outcomes))
    hstest.diag("%s: exit statuses by way of dying: %s" % (name, outcomes))


# ---- 2. heapscope killed at random moments --------------------------------

def signalled(interp):
    name = interp.name
    with hstest.Fixture(interp.exe, "attach_target.py") as fx:
        copied = capture_time(interp, fx.pid, ["top"])
        frozen = capture_time(interp, fx.pid, ["top", "--max-copy", "1K"])
        hstest.diag("%s: a capture takes %.3f s copied, %.3f s walked frozen"
                    % (name, copied, frozen))
        rng = random.Random(2)
        bad, runs, died_of, ended = [], 0, 0, {}
        sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL)
        for run in range(SIGNAL_RUNS * len(sigs)):
            sig = sigs[run % len(sigs)]
            walked_frozen = run % 2 == 1
            args = ["top", "--json"] + (["--max-copy", "1K"] if walked_frozen else [])
            p = start(args + [str(fx.pid)], interp.env)
            time.sleep(rng.uniform(0, (frozen if walked_frozen else copied) * 1.1))
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            st, out, err, secs = finish(p)
            runs += 1
            died_of += st == -sig
            ended[sig] = ended.get(sig, 0) + (st == -sig)
            # the kernel lets go of a dead tracer's tracees at once, but
            # /proc may show the stop for a moment
            deadline = time.monotonic() + 5
            while not hstest.untouched(fx.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if not hstest.untouched(fx.pid) or st not in (0, -sig):
                bad.append("run %d, %s%s: exit %s; target %s" % (
                    run, sig.name, " (frozen walk)" if walked_frozen else "", st,
                    {k: v for k, v in (hstest.proc_status(fx.pid) or {}).items()
                     if k in ("State", "TracerPid", "SigPnd", "ShdPnd")}))
        fx.send("report")
        rep = json.loads(fx.readline(timeout=30) or "{}")
        hstest.ok(not bad, "%s: %d captures signalled at random moments (INT, TERM, HUP, "
                  "KILL): the target never left stopped, traced or with a signal pending"
                  % (name, runs), bad)
        hstest.ok(rep.get("signals") == [] and rep.get("errors") == [] and
                  rep.get("worker_alive"),
                  "%s: its handlers saw no signal, no call was cut short, its threads run"
                  % name, str(rep))
        # most signals come while it runs: a heapscope that ignored one
        # would finish instead
        hstest.ok(all(ended.get(s, 0) >= SIGNAL_RUNS // 3 for s in sigs),
                  "%s: heapscope dies of each signal it gets while it runs (%d of %d runs "
                  "ended by it; the others had finished)" % (name, died_of, runs),
                  str({s.name: ended.get(s, 0) for s in sigs}))


# ---- 3. inside a garbage collection ----------------------------------------

def collecting(interp, pid):
    got, p = hstest.run_json(["info", str(pid)], env=interp.env)
    try:
        return got["interpreters"][0]["gc"]["collecting"]
    except (TypeError, KeyError, IndexError):
        return None


def in_gc(interp, stuck):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "gc_busy.py", args=["busy", "200000"], timeout=120)
    except RuntimeError as e:
        hstest.ok(False, "%s: gc_busy.py starts" % name, str(e))
        return
    with fx:
        seen = [collecting(interp, fx.pid) for _ in range(12)]
        hstest.ok(seen.count(True) >= 2,
                  "%s: the target is inside a collection when stopped (%d of 12 times; "
                  "a collection takes %s ms, then %s ms of pause)"
                  % (name, seen.count(True), fx.info["collect_ms"], fx.info["pause_ms"]),
                  str(seen))
        bad = []
        for run in range(3):
            got, p = hstest.run_json(["top", str(fx.pid)], env=interp.env, timeout=HANG)
            kept = [t["count"] for t in (got or {}).get("types", [])
                    if t["type"] == "__main__.Kept"]
            if (p.returncode != 0 or kept != [fx.info["kept"]] or got.get("warnings")):
                bad.append("run %d: exit %d, Kept %s, warnings %s: %s" % (
                    run, p.returncode, kept, (got or {}).get("warnings"), p.stderr.strip()))
        hstest.ok(not bad, "%s: captures wait for the collection to end: whole lists, "
                  "%d Kept as the interpreter holds, no warning" % (name, fx.info["kept"]),
                  bad)
        hstest.ok(hstest.untouched(fx.pid), "%s: the busy target runs on" % name)
    if not stuck:
        return
    try:
        fx = hstest.Fixture(interp.exe, "gc_busy.py", args=["stuck"], timeout=60)
    except RuntimeError as e:
        hstest.ok(False, "%s: gc_busy.py stuck starts" % name, str(e))
        return
    with fx:
        t0 = time.monotonic()
        p = hstest.run(["top", str(fx.pid)], env=interp.env, timeout=HANG)
        secs = time.monotonic() - t0
        hstest.ok(p.returncode == EBUSY and hstest.one_line(p) and
                  "inside a garbage collection" in p.stderr and "--no-stop" in p.stderr,
                  "%s: a collection that never ends: exit 14 after %.1f s, in one line "
                  "with the way out" % (name, secs), "exit %d: %s" % (p.returncode, p.stderr))
        hstest.ok(hstest.untouched(fx.pid), "%s: the stuck target is left as it was" % name)
        got, p = hstest.run_json(["top", "--no-stop", str(fx.pid)], env=interp.env,
                                 timeout=HANG)
        hstest.ok(got is not None and p.returncode == 0 and got["objects"] > 1000 and
                  got["warnings"] >= 1,
                  "%s: --no-stop walks it anyway and counts the inconsistency" % name,
                  [str(got)[:200], p.stderr])


# ---- 4. --no-stop against 8 mutating threads -------------------------------

def no_stop_stress(interp):
    name = interp.name
    # under a seccomp filter that refuses ptrace: a capture that tried to
    # stop the target would fail
    helper = os.path.join(hstest.BUILDDIR, "tests", "noptrace")
    prefix = [helper, "--ptrace-only"] if os.access(helper, os.X_OK) else []
    e = dict(os.environ)
    e.update(interp.env)
    e["ASAN_OPTIONS"] = "detect_leaks=0"    # the leak check needs ptrace
    with hstest.Fixture(interp.exe, "mutator.py") as fx:
        bad, warned, times = [], 0, []
        for run in range(NO_STOP_RUNS):
            t0 = time.monotonic()
            try:
                p = subprocess.run(prefix + [hstest.HEAPSCOPE, "top", "--json", "--no-stop",
                                             str(fx.pid)],
                                   capture_output=True, text=True, env=e, timeout=HANG)
            except subprocess.TimeoutExpired:
                bad.append("run %d: no answer within %d s" % (run, HANG))
                continue
            times.append(time.monotonic() - t0)
            try:
                got = json.loads(p.stdout)
            except ValueError:
                got = None
            if got is None or p.returncode != 0 or got["objects"] < 1000:
                bad.append("run %d: exit %d: %s" % (run, p.returncode, p.stderr.strip()))
            else:
                warned += got.get("warnings", 0) > 0
        hstest.ok(not bad and len(times) == NO_STOP_RUNS,
                  "%s: %d --no-stop captures of 8 mutating threads all finish%s" %
                  (name, NO_STOP_RUNS, ", with ptrace refused to them" if prefix else ""),
                  bad[:5])
        hstest.ok(hstest.untouched(fx.pid), "%s: the mutating target was never stopped" % name)
        if times:
            hstest.diag("%s: --no-stop under mutation: %d of %d captures met "
                        "inconsistencies; capture time median %.3f s, longest %.3f s"
                        % (name, warned, len(times), sorted(times)[len(times) // 2],
                           max(times)))


# ---- 5. a 2 GiB bytes object and 50 million references ---------------------

def big(interp):
    name = interp.name
    avail = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    if avail < 8 << 30:
        hstest.skip("%s: a 2 GiB bytes object and 50 million references" % name,
                    "needs 8 GiB of available memory, %.1f GiB here" % (avail / 2**30))
        return
    fx = hstest.Fixture(interp.exe, "big_payload.py", args=["2048", "1", "50000000"],
                        timeout=300)
    with fx:
        out, errf = tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+")
        e = dict(os.environ)
        e.update(interp.env)
        t0 = time.monotonic()
        p = subprocess.Popen([hstest.HEAPSCOPE, "top", "--by", "size", "--json", str(fx.pid)],
                             stdout=out, stderr=errf, env=e)
        # its own peak memory: wait4 gives the rusage of that one child
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        secs = time.monotonic() - t0
        errf.seek(0)
        err = errf.read()
        peak = ru.ru_maxrss * 1024
        out.seek(0)
        try:
            got = json.loads(out.read())
        except ValueError:
            got = None
        if not hstest.ok(p.returncode == 0 and got is not None, "%s: top of a 2 GiB bytes "
                         "object and a list of 50 million references" % name, err):
            return
        budget = avail // 2
        hstest.ok(got["copied_bytes"] < fx.info["payload"] // 4,
                  "%s: the bytes' payload is not copied: %.0f MiB copied of a %.0f MiB "
                  "process" % (name, got["copied_bytes"] / 2**20,
                               fx.info["payload"] / 2**20))
        hstest.ok(peak < budget and peak < fx.info["bytes"],
                  "%s: heapscope's peak memory %.0f MiB: within the copy budget (%.0f MiB, "
                  "half the available memory), less than the bytes object alone"
                  % (name, peak / 2**20, budget / 2**20))
        types = {t["type"]: t for t in got["types"]}
        hstest.ok(types.get("bytes", {}).get("max") == fx.info["bytes"] and
                  types.get("list", {}).get("max") == fx.info["list"],
                  "%s: the biggest bytes and list have their sys.getsizeof sizes" % name,
                  [str(types.get("bytes")), str(types.get("list")), str(fx.info)])
        hstest.diag("%s: 2 GiB + 50M references: %.1f s, %.0f MiB copied, peak %.0f MiB"
                    % (name, secs, got["copied_bytes"] / 2**20, peak / 2**20))


# ---- 6. ptrace refused by seccomp ------------------------------------------

def seccomp(interp):
    name = interp.name
    helper = os.path.join(hstest.BUILDDIR, "tests", "noptrace")
    if not os.access(helper, os.X_OK):
        hstest.skip("%s: ptrace refused by seccomp" % name, "tests/noptrace not built")
        return
    d = tempfile.mkdtemp(prefix="hs-seccomp-")
    with hstest.Fixture(interp.exe, "attach_target.py") as fx:
        for args in (["stacks"], ["top"], ["snapshot", "-o", os.path.join(d, "s.hsnap")]):
            e = dict(os.environ)
            e.update(interp.env)
            # a sanitizer build's leak check needs the ptrace refused here
            e["ASAN_OPTIONS"] = "detect_leaks=0"
            p = subprocess.run([helper, hstest.HEAPSCOPE] + args + [str(fx.pid)],
                               capture_output=True, text=True, env=e, timeout=HANG)
            if p.returncode == 77:
                hstest.skip("%s: ptrace refused by seccomp" % name, p.stderr.strip())
                return
            hstest.ok(p.returncode == EPERM and hstest.one_line(p) and "seccomp" in p.stderr,
                      "%s: %s under a seccomp filter that refuses ptrace: exit 6, says "
                      "seccomp" % (name, args[0]), "exit %d: %s" % (p.returncode, p.stderr))
            hstest.ok(hstest.untouched(fx.pid) and not os.listdir(d),
                      "%s: %s refused: the target untouched, no file left" % (name, args[0]),
                      os.listdir(d))
        fx.send("report")
        rep = json.loads(fx.readline(timeout=30) or "{}")
        hstest.ok(rep.get("signals") == [] and rep.get("errors") == [],
                  "%s: refused, the target saw nothing" % name, str(rep))


def main():
    interp = hstest.pick_interp()
    if interp is None:
        hstest.skip("faults", "no interpreter available")
        hstest.done()
        return
    tmp = tempfile.mkdtemp(prefix="hs-faults-")
    target_dies(interp, tmp)
    signalled(interp)
    # the collector's state is where each version keeps it (3.8: the
    # runtime; later: the interpreter); a collection that never ends is
    # waited out for 5 s, on three of them
    for i in hstest.interpreters():
        if i.available():
            in_gc(i, stuck=i.minor in (8, 13) or i.name == "debian-3.11-nodebug")
        else:
            hstest.skip("%s: inside a garbage collection" % i.name, i.why)
    no_stop_stress(interp)
    # without a GIL the 8 threads mutate truly in parallel
    ft = [i for i in hstest.cpython_interpreters() if i.free_threaded]
    for i in ft:
        if i.available():
            no_stop_stress(i)
        else:
            hstest.skip("%s: --no-stop captures of 8 threads mutating in parallel" % i.name,
                        i.why)
    big(interp)
    seccomp(interp)
    hstest.done()


main()
