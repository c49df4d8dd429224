"""'heapscope diff' and 'heapscope watch' against a process that leaks a
known number of objects.

fixtures/leaker.py appends N objects of its class Leaked to a module-level
list on request and reports their id()s.  For every interpreter build:
  - diff of a snapshot before and one after a leak reports exactly +N
    Leaked objects, N of them new, among them every id the fixture gave,
    and the path from a root to a new one runs through the leaking list,
    each step named;
  - diff NEW OLD (swapped) warns that NEW is older;
  - watch --count 2 --interval 1 of a process that leaks all the time
    shows Leaked growing in its second capture, consistent with its
    first, one JSON line per capture, and leaves the target running.
Once: diff of snapshots of two different processes is refused (exit 2),
and Ctrl-C ends a watch between captures with the target untouched.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import hstest

N = 50
EUSAGE = 2


def leaked_type(types):
    return [t for t in types if t["type"].rsplit(".", 1)[-1] == "Leaked"]


def untouched(pid):
    with open("/proc/%d/status" % pid) as f:
        st = dict(l.split(":", 1) for l in f if ":" in l)
    return st["State"].split()[0] in ("S", "R") and st["TracerPid"].strip() == "0"


def check_diff(interp, tmp):
    name = interp.name
    s1 = os.path.join(tmp, "%s-before.hsnap" % name)
    s2 = os.path.join(tmp, "%s-after.hsnap" % name)
    with hstest.Fixture(interp.exe, "leaker.py", args=[str(N)]) as fx:
        got, p = hstest.run_json(["snapshot", "-o", s1, str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None, "%s: snapshot before the leak" % name, p.stderr):
            return None
        time.sleep(1.1)     # capture times are in seconds: make NEW later
        fx.send("leak")
        ids = json.loads(fx.readline())["leaked"]
        got, p = hstest.run_json(["snapshot", "-o", s2, str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None, "%s: snapshot after the leak" % name, p.stderr):
            return None
        container = fx.info["container"]
    d, p = hstest.run_json(["diff", "-n", "100", s1, s2])
    if not hstest.ok(d is not None and p.returncode == 0, "%s: diff --json runs" % name,
                     p.stderr):
        return None
    lk = leaked_type(d["types"])
    hstest.ok(len(lk) == 1 and lk[0]["count_change"] == N and lk[0]["new_objects"] == N and
              lk[0]["old_count"] == 0 and lk[0]["size_change"] > 0,
              "%s: diff reports exactly +%d Leaked, all new" % (name, N), str(lk))
    hstest.ok(d["types"] and d["types"][0]["size_change"] >= d["types"][-1]["size_change"],
              "%s: types sorted by growth" % name)
    groups = leaked_type(d["new_objects"]["types"])
    addrs = set(int(a, 16) for a in groups[0]["addresses"]) if groups else set()
    hstest.ok(len(groups) == 1 and groups[0]["count"] == N and set(ids) <= addrs,
              "%s: the new objects include every leaked id" % name,
              "%d of %d ids" % (len(set(ids) & addrs), len(ids)))
    paths = [x for x in d["paths"] if x["type"].rsplit(".", 1)[-1] == "Leaked"]
    steps = paths[0]["steps"] if paths and paths[0]["found"] else []
    hstest.ok(steps and any(int(s["address"], 16) == container for s in steps) and
              "['_leak']" in [s["edge"] for s in steps] and
              all(s["edge"] for s in steps[1:]) and int(steps[-1]["address"], 16) in addrs,
              "%s: a new Leaked's path from a root runs through the leaking list, "
              "each step named" % name,
              ["%s -> %s %s" % (s["edge"], s["type"], s["address"]) for s in steps] or
              str(d["paths"])[:300])
    p = hstest.run(["diff", s1, s2])
    hstest.ok(p.returncode == 0 and "Leaked" in p.stdout and "+%d " % N in p.stdout and
              "root:" in p.stdout, "%s: diff in text says +%d Leaked, with a path"
              % (name, N), p.stdout[-800:] + p.stderr)
    p = hstest.run(["diff", s2, s1])
    hstest.ok(p.returncode == 0 and "captured before" in p.stderr,
              "%s: NEW older than OLD: a warning" % name, p.stderr)
    return s1


def check_watch(interp):
    name = interp.name
    with hstest.Fixture(interp.exe, "leaker.py", args=["--grow", "20"]) as fx:
        p = hstest.run(["watch", "--json", "--count", "2", "--interval", "1", "-n", "100000",
                        str(fx.pid)], env=interp.env, timeout=300)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        ok = p.returncode == 0 and len(lines) == 2
        if hstest.ok(ok, "%s: watch --count 2 prints one JSON line per capture" % name,
                     [p.stderr, p.stdout[:300]]):
            first, second = lines
            a, b = leaked_type(first["growth"]), leaked_type(second["growth"])
            hstest.ok(first["baseline"] and not second["baseline"] and len(a) == 1 and
                      len(b) == 1 and b[0]["count_change"] > 0 and
                      b[0]["count"] == a[0]["count"] + b[0]["count_change"] and
                      second["time"] >= first["time"],
                      "%s: the second capture shows Leaked growing (+%s)"
                      % (name, b[0]["count_change"] if b else "?"), [str(a), str(b)])
        hstest.ok(untouched(fx.pid), "%s: the target runs on, untraced" % name)


def check_once(interp, snap, tmp):
    name = interp.name
    other = os.path.join(tmp, "other.hsnap")
    with hstest.Fixture(interp.exe, "leaker.py", args=["1"]) as fx:
        got, p = hstest.run_json(["snapshot", "-o", other, str(fx.pid)], env=interp.env)
    p = hstest.run(["diff", snap, other])
    hstest.ok(p.returncode == EUSAGE and "one process" in p.stderr and "hint:" in p.stderr,
              "%s: diff of two processes' snapshots is refused, exit 2" % name, p.stderr)
    p = hstest.run(["diff", snap])
    hstest.ok(p.returncode == EUSAGE, "%s: diff with one file: usage error" % name, p.stderr)
    with hstest.Fixture(interp.exe, "leaker.py", args=["--grow", "5"]) as fx:
        hs = subprocess.Popen([hstest.HEAPSCOPE, "watch", "--interval", "0.3", str(fx.pid)],
                              env=dict(os.environ, **interp.env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        first = hstest._readline_timeout(hs.stdout, 120) or ""
        os.kill(hs.pid, signal.SIGINT)
        try:
            rc = hs.wait(timeout=60)
        except subprocess.TimeoutExpired:
            hs.kill()
            rc = None
        time.sleep(0.1)
        hstest.ok(first.startswith("capture 1") and rc == -signal.SIGINT and
                  untouched(fx.pid),
                  "%s: Ctrl-C ends watch; the target runs on, untraced" % name,
                  "first line %r, exit %s" % (first, rc))


def main():
    tmp = tempfile.mkdtemp(prefix="hs-growth-")
    once = None
    for interp in hstest.interpreters():
        if not interp.available():
            hstest.skip("%s: diff and watch" % interp.name, interp.why)
            continue
        snap = check_diff(interp, tmp)
        check_watch(interp)
        if once is None and snap:
            once = (interp, snap)
    if once:
        check_once(once[0], once[1], tmp)
    else:
        hstest.skip("diff of two processes, Ctrl-C of watch", "no interpreter available")
    shutil.rmtree(tmp, True)
    hstest.done()


main()
