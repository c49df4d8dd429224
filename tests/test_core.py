"""test_core - every command on a core file gives what it gives on the PID.

On every interpreter, fixtures/core_target.py builds a known heap and
blocks its threads at known places.  `stacks --json PID` and a snapshot
of the PID are taken, then a core with gdb's gcore; the fixture is
killed, and then:
- `stacks --json CORE` equals `stacks --json PID` (thread by thread:
  ids, main thread, system call, what it waits for, every frame), and
  so does `stacks --native` (unwound from the core's registers);
- `top --json CORE` equals the live snapshot's per-type counts and
  sizes; `path` to one Marker is the same; `objects` finds the fixture's
  12345 Markers;
- `snapshot CORE` writes a file that says it came from a core.
A kernel core (the fixture raises RLIMIT_CORE and calls os.abort() in
crash_here()) names that frame and counts the Markers exactly.

On one interpreter: the core compressed by zstd, lz4 and xz reads the
same; the core cut at many lengths never crashes heapscope and says it
is truncated; a core of `sleep` is "not Python"; an ELF file that is no
core is "not a core file"; a kernel core made with coredump_filter 0 is
refused, saying so.  With Debian's static python3.11 copied away,
cored, and moved under another root: its files are missing (named,
--sysroot suggested) until --sysroot points there; a file replaced by
another build is a build-id mismatch naming it.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import hstest

NOT_PYTHON, NOT_CORE, TRUNCATED, MISSING, MISMATCH, NOT_DUMPED = 4, 15, 16, 17, 18, 19


def gcore(pid, where):
    """A core of pid by gdb's gcore, into directory where; its path."""
    base = os.path.join(where, "core")
    p = subprocess.run(["gcore", "-o", base, str(pid)], capture_output=True, text=True,
                       timeout=300)
    path = "%s.%d" % (base, pid)
    if p.returncode or not os.path.exists(path):
        raise RuntimeError("gcore failed: %s" % (p.stderr.strip()[-300:],))
    return path


def threads(stacks):
    """What must not change between a live dump and a core's, by thread id
    (thread names: a core keeps only the process's)."""
    out = {}
    for t in stacks["threads"]:
        w = t.get("waits_for") or {}
        out[t["native_id"]] = {
            "main": t["main"], "thread_id": t["thread_id"], "gil": t["gil"],
            "syscall": t.get("syscall"),
            "waits_for": (w.get("address"), w.get("type"), w.get("holder")),
            "frames": [(f["function"], f.get("file"), f.get("line"))
                       for f in t["frames"] if f["kind"] == "python"],
        }
    return out


def native_frames(stacks):
    """Each thread's frames, native ones by function, in order."""
    return {t["native_id"]: [(f["kind"], f.get("function")) for f in t["frames"]]
            for t in stacks["threads"]}


def types(top):
    return {t["type"]: (t["count"], t["size"]) for t in top["types"]}


def path_of(got):
    if not got:
        return None
    return [got.get("root", {}).get("label")] + [(s["address"], s["edge"])
                                                 for s in got.get("steps", [])]


def wait_gone(fx):
    fx.stop()
    deadline = time.monotonic() + 10
    while fx.alive() and time.monotonic() < deadline:
        time.sleep(0.05)


# one malloc arena: no 64 MiB reserve per thread for gcore to write out
SMALL = {"MALLOC_ARENA_MAX": "1"}


def check(interp, work, keep):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "core_target.py", env=dict(interp.env or {}, **SMALL),
                            timeout=90)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    snap = os.path.join(work, "%s.snap" % name)
    try:
        live, p1 = hstest.run_json(["stacks", str(fx.pid)], env=interp.env)
        native, p3 = hstest.run_json(["stacks", "--native", str(fx.pid)], env=interp.env)
        p2 = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        core = gcore(fx.pid, work)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: live stacks, snapshot and gcore" % name, repr(e))
        fx.stop()
        return
    marker = fx.info["marker"]
    wait_gone(fx)
    if not hstest.ok(live is not None and p2.returncode == 0,
                     "%s: live stacks and snapshot" % name, p1.stderr + p2.stderr):
        return
    got, p = hstest.run_json(["stacks", core], env=interp.env)
    hstest.ok(got is not None and p.returncode == 0 and
              threads(got) == threads(live) and got["pid"] == live["pid"],
              "%s: stacks of the core equal those of the PID, after it exited" % name,
              p.stderr + json.dumps(threads(got) if got else None)[:1500] + "\nlive: " +
              json.dumps(threads(live))[:1500])
    mains = [t for t in (got or {}).get("threads", []) if t["main"]]
    hstest.ok(len(mains) == 1 and mains[0]["frames"] and
              mains[0]["frames"][0]["function"] == "main_wait",
              "%s: the main thread is in main_wait" % name, repr(mains)[:500])
    got, p = hstest.run_json(["stacks", "--native", core], env=interp.env)
    hstest.ok(got is not None and native is not None and
              native_frames(got) == native_frames(native) and
              any(len(f) > 3 for f in native_frames(got).values()),
              "%s: stacks --native of the core equal those of the PID" % name,
              p.stderr + p3.stderr + repr(native_frames(got) if got else None)[:1000] +
              "\nlive: " + repr(native_frames(native) if native else None)[:1000])

    tc, p = hstest.run_json(["top", "-n", "100000", core], env=interp.env)
    ts, q = hstest.run_json(["top", "-n", "100000", snap], env=interp.env)
    ok = tc is not None and ts is not None
    hstest.ok(ok and types(tc) == types(ts) and tc["mode"] == "core",
              "%s: per-type counts and sizes of the core equal the live snapshot's" % name,
              p.stderr + q.stderr + (repr(sorted(set(types(tc).items()) ^
                                                  set(types(ts).items())))[:1500]
                                     if ok else ""))
    pc, p = hstest.run_json(["path", core, marker], env=interp.env)
    ps, q = hstest.run_json(["path", snap, marker], env=interp.env)
    hstest.ok(pc is not None and ps is not None and path_of(pc) == path_of(ps) and
              len(path_of(pc)) >= 2,
              "%s: the path to a Marker is the live one" % name,
              p.stderr + q.stderr + repr((path_of(pc), path_of(ps)))[:800])
    oc, p = hstest.run_json(["objects", "--type", "__main__.Marker", core], env=interp.env)
    n = oc.get("total") if oc else None
    hstest.ok(n == fx.info["markers"], "%s: objects finds the %d Markers in the core" %
              (name, fx.info["markers"]), "%r %s" % (n, p.stderr))
    out = os.path.join(work, "%s-core.snap" % name)
    p = hstest.run(["snapshot", "-o", out, core], env=interp.env)
    inf, q = hstest.run_json(["info", out], env=interp.env)
    was, r = hstest.run_json(["info", snap], env=interp.env)
    hstest.ok(p.returncode == 0 and inf is not None and inf.get("mode") == "core file" and
              inf.get("pid") == live["pid"] and was is not None and
              inf.get("cmdline") == was.get("cmdline") and inf.get("exe") == was.get("exe"),
              "%s: snapshot CORE writes a snapshot that says it came from a core, with the "
              "process's command line and executable" % name,
              p.stderr + q.stderr + r.stderr + repr(inf)[:400] + repr(was)[:400])
    if not keep:
        keep[:] = [interp, core, live]
    else:
        os.unlink(core)


def kernel_abort(interp, work, how):
    """Run the fixture to its abort() (how: "abort", "abort-nomem");
    (its JSON line, the kernel's core, its folder), or None after saying
    why (skip or failure)."""
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|") or "/" in pattern or "%" in pattern.replace("%p", ""):
        hstest.skip("%s: kernel core (%s)" % (interp.name, how),
                    "core_pattern is %r, not a plain file name" % pattern)
        return None
    d = tempfile.mkdtemp(dir=work)
    e = dict(os.environ)
    e.pop("PYTHONPATH", None)
    e.update(interp.env or {})
    p = subprocess.run([interp.exe, "-u", os.path.join(hstest.FIXTURES, "core_target.py"),
                        how], cwd=d, env=e, capture_output=True, text=True, timeout=120)
    info = json.loads(p.stdout.splitlines()[0]) if p.stdout else {}
    cores = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("core")]
    if not hstest.ok(p.returncode == -signal.SIGABRT and len(cores) == 1,
                     "%s: the kernel wrote a core of the abort (%s)" % (interp.name, how),
                     "rc %s, files %s, %s" % (p.returncode, os.listdir(d), p.stderr[-300:])):
        return None
    return info, cores, d


def undumped(interp, work):
    """coredump_filter 0: a core without the process's memory, refused."""
    got = kernel_abort(interp, work, "abort-nomem")
    if not got:
        return
    info, cores, d = got
    p = hstest.run(["top", cores[0]], env=interp.env)
    hstest.ok(p.returncode == NOT_DUMPED and "coredump_filter" in p.stderr and
              hstest.one_line(p),
              "a core without the process's memory is refused, coredump_filter named",
              "rc %d %s" % (p.returncode, p.stderr))
    shutil.rmtree(d, ignore_errors=True)


def kernel_core(interp, work):
    """The kernel's core of an abort()ing fixture."""
    got = kernel_abort(interp, work, "abort")
    if not got:
        return
    info, cores, d = got
    got, q = hstest.run_json(["stacks", cores[0]], env=interp.env)
    mains = [t for t in (got or {}).get("threads", []) if t["main"]]
    hstest.ok(len(mains) == 1 and mains[0]["frames"] and
              mains[0]["frames"][0]["function"] == "crash_here" and
              got["pid"] == info.get("pid") and len(got["threads"]) == 4,
              "%s: the kernel core's main thread is in crash_here" % interp.name,
              q.stderr + repr(mains)[:600])
    oc, q = hstest.run_json(["objects", "--type", "__main__.Marker", cores[0]], env=interp.env)
    hstest.ok(oc is not None and oc.get("total") == info.get("markers"),
              "%s: the kernel core holds the %s Markers" % (interp.name, info.get("markers")),
              q.stderr)
    shutil.rmtree(d, ignore_errors=True)


def compressed(interp, core, live, work):
    for tool, ext in (("zstd", "zst"), ("lz4", "lz4"), ("xz", "xz")):
        if not shutil.which(tool):
            hstest.skip("%s core" % ext, "%s is not installed (setup.sh installs it)" % tool)
            continue
        out = "%s.%s" % (core, ext)
        cmd = {"zstd": ["zstd", "-q", "-1", "-f", core, "-o", out],
               "lz4": ["lz4", "-q", "-1", "-f", core, out],
               "xz": ["xz", "-q", "-1", "-k", "-f", core]}[tool]
        subprocess.run(cmd, check=True, timeout=300)
        got, p = hstest.run_json(["stacks", out], env=interp.env)
        hstest.ok(got is not None and threads(got) == threads(live),
                  "a %s core reads as the core itself" % ext, p.stderr)
        # cut short: said, never a crash
        with open(out, "r+b") as f:
            f.truncate(os.path.getsize(out) // 2)
        p = hstest.run(["stacks", out], env=interp.env)
        hstest.ok(p.returncode == TRUNCATED and hstest.one_line(p) and out in p.stderr,
                  "a %s core cut in half is a truncated core" % ext,
                  "rc %d %s" % (p.returncode, p.stderr))
        os.unlink(out)


def truncated(interp, core, work):
    size = os.path.getsize(core)
    cut = os.path.join(work, "cut.core")
    bad = []
    lengths = sorted({0, 3, 20, 64, 100, 1000, 4096, 20000, size // 100, size // 4,
                      size // 2, size * 9 // 10, size - 4096, size - 1})
    for n in lengths:
        with open(core, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(n))
        for cmd in (["stacks"], ["top"]):
            p = hstest.run(cmd + [cut], env=interp.env)
            # a core cut anywhere: an error of one line with a hint, or an
            # answer with a warning that it is truncated; never a crash
            if p.returncode < 0 or p.returncode in (1, 13) or \
                    (p.returncode and not p.stderr.startswith("heapscope: ")) or \
                    (p.returncode == 0 and "truncated" not in p.stderr):
                bad.append((n, cmd[0], p.returncode, p.stderr[-300:]))
    hstest.ok(not bad, "a core cut at %d lengths: said, never a crash" % len(lengths),
              repr(bad)[:2000])
    p = hstest.run(["stacks", "--json", cut], env=interp.env)
    hstest.ok(p.returncode in (0, TRUNCATED), "a core cut short of its last byte", p.stderr)
    os.unlink(cut)


def not_python(work):
    sleeper = subprocess.Popen(["sleep", "600"])
    try:
        time.sleep(0.2)
        core = gcore(sleeper.pid, work)
    finally:
        sleeper.kill()
        sleeper.wait()
    p = hstest.run(["stacks", core])
    hstest.ok(p.returncode == NOT_PYTHON and "not a Python process" in p.stderr,
              "a core of sleep is not Python", "rc %d %s" % (p.returncode, p.stderr))
    p = hstest.run(["top", "/bin/ls"])
    hstest.ok(p.returncode == NOT_CORE and "not a core file" in p.stderr and "hint:" in p.stderr,
              "an ELF file that is no core is not a core file",
              "rc %d %s" % (p.returncode, p.stderr))
    os.unlink(core)


def sysroot(work):
    """Debian's static python3.11, copied, cored, then moved under a root."""
    exe = "/usr/bin/python3.11"
    if not os.access(exe, os.X_OK):
        hstest.skip("--sysroot", "%s is not installed" % exe)
        return
    away = tempfile.mkdtemp(dir=work)
    os.makedirs(os.path.join(away, "bin"))
    copy = os.path.join(away, "bin", "python3.11")
    shutil.copy2(exe, copy)
    fx = hstest.Fixture(copy, "core_target.py", env=dict(SMALL, PYTHONHOME="/usr"), timeout=90)
    try:
        live, p = hstest.run_json(["stacks", str(fx.pid)])
        core = gcore(fx.pid, work)
    finally:
        wait_gone(fx)
    root = tempfile.mkdtemp(dir=work)
    moved = root + away
    os.makedirs(os.path.dirname(moved))
    os.rename(away, moved)
    p = hstest.run(["stacks", core])
    hstest.ok(p.returncode == MISSING and copy in p.stderr and "--sysroot" in p.stderr,
              "the interpreter moved away: a missing file, named, --sysroot suggested",
              "rc %d %s" % (p.returncode, p.stderr))
    got, p = hstest.run_json(["stacks", "--sysroot=" + root, core])
    hstest.ok(got is not None and live is not None and threads(got) == threads(live),
              "--sysroot finds it: the stacks are the live ones", p.stderr)
    shutil.copy2("/bin/ls", root + copy)
    p = hstest.run(["stacks", "--sysroot=" + root, core])
    hstest.ok(p.returncode == MISMATCH and copy in p.stderr and "build-id" in p.stderr,
              "another build in its place: a build-id mismatch naming it",
              "rc %d %s" % (p.returncode, p.stderr))
    os.unlink(core)


def main():
    if not shutil.which("gcore"):
        hstest.bail("gcore is missing (setup.sh installs gdb)")
    work = tempfile.mkdtemp(prefix="hs-core-")
    keep = []
    try:
        interps = [i for i in hstest.interpreters()]
        for interp in interps:
            if not interp.available():
                hstest.skip("%s: core files" % interp.name, interp.why)
                continue
            check(interp, work, keep)
            kernel_core(interp, work)
        if keep:
            interp, core, live = keep
            compressed(interp, core, live, work)
            truncated(interp, core, work)
            undumped(interp, work)
        not_python(work)
        sysroot(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hstest.done()


main()
