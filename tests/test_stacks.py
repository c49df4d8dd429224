"""heapscope stacks against what each thread reports of itself.

fixtures/stacks.py blocks threads at known places (time.sleep, a lock
wait, a file lock wait, inside a generator, inside a coroutine, in a closure inside a
method) and records each thread's own stack from inside; its main thread
spins in pure Python holding the GIL.  For every interpreter build, the
Python frames heapscope reads from outside must be exactly those (file,
line, function, and qualified name from 3.11), with the right native
thread ids, threading names, the main thread, the GIL holder and the
system call each thread waits in; every layout source that
exists for the build must give the same answer, and one that does not
exist must be refused.  Each frame's source line is the file's line
there (as linecache reads it); a file changed after the process started
is said to be; threads with alike stacks print once, under their list.
"""
import json
import linecache
import os
import shutil
import subprocess
import tempfile
import time

import hstest

TRIES = 40      # a thread may be a few instructions short of blocking
SLEEP_CALLS = ("clock_nanosleep", "nanosleep", "select", "pselect6")


def compare(fix, got, minor, free_threaded=False):
    """List of differences between the fixture's report and heapscope's."""
    if got is None:
        return ["no JSON from heapscope"]
    diffs = []
    by_id = {t["thread_id"]: t for t in got.get("threads", [])}
    if len(by_id) != len(fix["threads"]):
        diffs.append("heapscope shows %d threads, the fixture has %d"
                     % (len(by_id), len(fix["threads"])))
    for ft in fix["threads"]:
        ht = by_id.get(ft["ident"])
        if ht is None:
            diffs.append("thread %s (%#x) missing" % (ft["name"], ft["ident"]))
            continue
        want = [(f[0], f[1], f[2]) for f in ft["stack"]]
        py = [fr for fr in ht["frames"] if fr["kind"] == "python"]
        have = [(fr["file"], fr["line"], fr["function"]) for fr in py]
        if want != have:
            diffs.append("thread %s: frames differ" % ft["name"])
            diffs.extend("  want %s:%s %s" % w for w in want)
            diffs.extend("  have %s:%s %s" % h for h in have)
        if minor >= 11:
            wq = [f[3] for f in ft["stack"]]
            hq = [fr["qualname"] for fr in py]
            if wq != hq:
                diffs.append("thread %s: qualnames %s != %s" % (ft["name"], hq, wq))
        if ht["native_id"] != ft["native_id"]:
            diffs.append("thread %s: native id %s, expected %s"
                         % (ft["name"], ht["native_id"], ft["native_id"]))
        if ht["name"] != ft["thread_name"]:
            diffs.append("thread %s: name %r, expected %r"
                         % (ft["name"], ht["name"], ft["thread_name"]))
        is_main = ft["name"] == "main"
        if ht["main"] != is_main:
            diffs.append("thread %s: main=%s" % (ft["name"], ht["main"]))
        # only the spinning main thread wants the GIL; the others wait;
        # a free-threaded build run with its GIL off has none to hold
        want_gil = None if free_threaded else is_main
        if ht["gil"] is not want_gil:
            diffs.append("thread %s: gil=%s, expected %s" % (ft["name"], ht["gil"], want_gil))
        # the kernel's view: the lock waiter in futex, the file lock's in
        # flock (named, as every call is, from the kernel's headers), sleepers
        # sleeping, the spinning main thread in no system call
        want_sc = None if is_main else ("futex",) if ft["name"] == "lock" else \
            ("flock",) if ft["name"] == "flock" else SLEEP_CALLS
        if (ht["syscall"] is None) != (want_sc is None) or \
                (want_sc and ht["syscall"] not in want_sc):
            diffs.append("thread %s: waiting in %s, expected %s"
                         % (ft["name"], ht["syscall"], want_sc))
    return diffs


def stacks(interp, fx, extra=()):
    return hstest.run_json(["stacks"] + list(extra) + [str(fx.pid)], env=interp.env)


def check_interp(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "stacks.py")
    except (RuntimeError, OSError) as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    with fx:
        fix = fx.info
        diffs = ["not run"]
        for _ in range(TRIES):
            got, p = stacks(interp, fx)
            diffs = compare(fix, got, interp.minor, interp.free_threaded)
            if p.returncode:
                diffs.insert(0, "exit %d: %s" % (p.returncode, p.stderr.strip()))
            if not diffs:
                break
            time.sleep(0.1)
        hstest.ok(not diffs, "%s: stacks equal the threads' own tracebacks" % name, diffs)

        bad = []
        for t in (got or {}).get("threads", []):
            for fr in t["frames"]:
                if fr["kind"] != "python":
                    continue
                want = linecache.getline(fr["file"], fr["line"]).strip() or None
                if fr.get("source") != want or fr.get("source_changed"):
                    bad.append("%s:%d: %r, the file says %r" % (fr["file"], fr["line"],
                                                                  fr.get("source"), want))
        hstest.ok(got is not None and not bad,
                  "%s: each frame's source line is the file's" % name, bad[:5])

        info, p = hstest.run_json(["info", str(fx.pid)], env=interp.env)
        src = (info or {}).get("layout", {}).get("thread", "")
        hstest.ok(interp.layout in src.split("+"),
                  "%s: thread layout from %s (got %r)" % (name, interp.layout, src),
                  p.stderr)

        for forced in ("table", "dwarf", "debug-offsets"):
            exists = {"table": True,
                      "dwarf": not interp.stripped,
                      "debug-offsets": interp.minor >= 13}[forced]
            got, p = stacks(interp, fx, ["--layout=" + forced, "--no-cache"])
            if exists:
                d = compare(fix, got, interp.minor, interp.free_threaded)
                if p.returncode:
                    d.insert(0, "exit %d: %s" % (p.returncode, p.stderr.strip()))
                hstest.ok(not d, "%s: --layout=%s gives the same stacks" % (name, forced), d)
            else:
                hstest.ok(p.returncode == 8 and p.stderr.count("\n") <= 2,
                          "%s: --layout=%s refused with exit 8" % (name, forced),
                          "exit %d: %s" % (p.returncode, p.stderr))

        p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
        text = p.stdout
        missing = [f[2] for t in fix["threads"] for f in t["stack"][:1]
                   if f[2] not in text or ("line %d" % f[1]) not in text]
        hstest.ok(p.returncode == 0 and not missing,
                  "%s: text output names every innermost frame and its line" % name,
                  "missing %s\n%s" % (missing, text))
        hstest.ok(fx.alive() and fx.tracer() == 0,
                  "%s: fixture still running and untraced" % name)


CHANGING = """import json, sys
def wait_here():
    print(json.dumps({}), flush=True)
    sys.stdin.read()
wait_here()
"""


def changed_source(interp):
    """A script whose file is modified while it runs: its frames' lines
    are said to come from a file that changed."""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-src-")
    path = os.path.join(tmp, "changing.py")
    with open(path, "w") as f:
        f.write(CHANGING)
    past = time.time() - 60
    os.utime(path, (past, past))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([interp.exe, "-u", path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, text=True)
    try:
        proc.stdout.readline()
        hstest.wait_syscall(proc.pid, 0)

        def frame():
            got, p = hstest.run_json(["stacks", str(proc.pid)], env=interp.env)
            for t in (got or {}).get("threads", []):
                for fr in t["frames"]:
                    if fr.get("function") == "wait_here":
                        return fr
            return None
        before = frame()
        future = time.time() + 5
        os.utime(path, (future, future))
        after = frame()
        hstest.ok(before is not None and before["source"] == "sys.stdin.read()" and
                  not before["source_changed"] and after is not None and
                  after["source"] == "sys.stdin.read()" and after["source_changed"],
                  "%s: a source file modified after the start is said to be" % name,
                  [before, after])
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


ALIKE = """import json, sys, threading, time
def worker():
    time.sleep(1000)
def other():
    time.sleep(1000)
ts = [threading.Thread(target=worker, name="w-%d" % i, daemon=True) for i in range(4)]
ts.append(threading.Thread(target=other, name="odd", daemon=True))
for t in ts:
    t.start()
print(json.dumps([t.native_id for t in ts]), flush=True)
sys.stdin.read()
"""


def grouped(interp):
    """Four threads with the same stack print once, under the list of
    the four; --no-group prints each."""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-alike-")
    path = os.path.join(tmp, "alike.py")
    with open(path, "w") as f:
        f.write(ALIKE)
    proc = subprocess.Popen([interp.exe, "-u", path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        ids = json.loads(proc.stdout.readline())
        for tid in ids:     # all asleep
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    with open("/proc/%d/task/%d/stat" % (proc.pid, tid)) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] == "S":
                            break
                except OSError:
                    break
                time.sleep(0.01)
        hstest.wait_syscall(proc.pid, 0)
        p = hstest.run(["stacks", str(proc.pid)], env=interp.env)
        lines = p.stdout.splitlines()
        at = next((i for i, ln in enumerate(lines) if ln.startswith("4 threads with this stack")),
                  None)
        members = lines[at + 1:at + 5] if at is not None else []
        listed = sorted(int(ln.split()[1]) for ln in members if ln.startswith("  Thread "))
        q = hstest.run(["stacks", "--no-group", str(proc.pid)], env=interp.env)
        hstest.ok(p.returncode == 0 and listed == sorted(ids[:4]) and
                  lines[at + 5].strip().startswith("worker (") and
                  p.stdout.count("\nThread ") == 2 and q.returncode == 0 and
                  q.stdout.count("\nThread ") == 6 and "threads with this stack" not in q.stdout,
                  "%s: alike threads printed once, under their list; --no-group each" % name,
                  p.stdout + q.stdout)
    except (OSError, ValueError, IndexError, TypeError) as e:
        hstest.ok(False, "%s: alike threads printed once" % name, repr(e))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def check(interp):
    check_interp(interp)
    changed_source(interp)
    grouped(interp)


hstest.for_each_interpreter(check, "stacks")
