"""'heapscope diff' and 'heapscope watch' against a process that leaks a
known number of objects.

fixtures/leaker.py starts with N objects of its class Leaked in a
module-level list, appends N more on request and reports their id()s.
For every interpreter build:
  - diff of a snapshot before and one after a leak reports exactly +N
    Leaked objects (N before, 2N after), N of them new: every id the
    fixture gave for the leak, none of the N from the start, and not the
    leaking list (in both snapshots at one address); the path from a root
    to a new one runs through the leaking list, each step named;
  - diff -n larger than the number of new objects shows a path for each;
  - diff NEW OLD (swapped) warns that NEW is older;
  - watch --count 3 --interval 2 of a process that leaks all the time
    shows Leaked growing, consistent from capture to capture, one JSON
    line per capture, the captures 2 s apart (not back to back, not the
    default 10 s), and leaves the target running.
Once: diff of snapshots of two different processes is refused (exit 2);
of the same pid after an exec (another command line) it warns; -n out of
range and --type (diff, watch) are usage errors; after a capture that
took longer than --interval, watch starts the next at once and then keeps
the interval (no captures back to back to catch up); Ctrl-C between
captures (a 60 s --interval) ends a watch at once, the target untouched.
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


def addresses(groups):
    return set(int(a, 16) for g in groups for a in g["addresses"])


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
        initial = set(fx.info["initial"])
    d, p = hstest.run_json(["diff", "-n", "100", s1, s2])
    if not hstest.ok(d is not None and p.returncode == 0, "%s: diff --json runs" % name,
                     p.stderr):
        return None
    hstest.ok("warning" not in p.stderr, "%s: same process, same program: no warning" % name,
              p.stderr)
    lk = leaked_type(d["types"])
    hstest.ok(len(lk) == 1 and lk[0]["old_count"] == N and lk[0]["new_count"] == 2 * N and
              lk[0]["count_change"] == N and lk[0]["new_objects"] == N and
              lk[0]["size_change"] > 0,
              "%s: diff reports exactly +%d Leaked (%d -> %d), %d new" % (name, N, N, 2 * N, N),
              str(lk))
    hstest.ok(d["types"] and d["types"][0]["size_change"] >= d["types"][-1]["size_change"],
              "%s: types sorted by growth" % name)
    groups = leaked_type(d["new_objects"]["types"])
    addrs = addresses(groups)
    hstest.ok(len(groups) == 1 and groups[0]["count"] == N and set(ids) == addrs,
              "%s: the new Leaked objects are exactly the %d leaked ids" % (name, N),
              "%d of %d ids, %d new" % (len(set(ids) & addrs), len(ids), len(addrs)))
    every_new = addresses(d["new_objects"]["types"])
    hstest.ok(not (initial & every_new) and container not in every_new,
              "%s: the %d Leaked from the start and the leaking list, in both snapshots at "
              "one address, are not new" % (name, N),
              "%d initial new, list new: %s" % (len(initial & every_new),
                                                 container in every_new))
    # Besides the N Leaked, the leak and the fixture's answer allocate
    # other objects (per-instance dicts before 3.11, ints above 256, the
    # JSON line): the total is at least N, and each new object is counted
    # under its type once.
    hstest.ok(d["new_objects"]["count"] >= N and
              d["new_objects"]["count"] == sum(t["count"] for t in d["new_objects"]["types"])
              == len(every_new),
              "%s: every new object counted once (%d, of them %d Leaked)"
              % (name, d["new_objects"]["count"], N))
    paths = [x for x in d["paths"] if x["type"].rsplit(".", 1)[-1] == "Leaked"]
    steps = paths[0]["steps"] if paths and paths[0]["found"] else []
    hstest.ok(steps and any(int(s["address"], 16) == container for s in steps) and
              "['_leak']" in [s["edge"] for s in steps] and
              all(s["edge"] for s in steps[1:]) and int(steps[-1]["address"], 16) in addrs,
              "%s: a new Leaked's path from a root runs through the leaking list, "
              "each step named" % name,
              ["%s -> %s %s" % (s["edge"], s["type"], s["address"]) for s in steps] or
              str(d["paths"])[:300])
    # the leaking list is in both: the container that grew, N -> 2N items,
    # its retained size grown by the new Leaked, its path named
    cs = d.get("containers", [])
    c0 = cs[0] if cs else {}
    csteps = c0.get("path", {}).get("steps", [])
    leaked_size = lk[0]["size_change"] if lk else 0
    hstest.ok(c0 and int(c0["address"], 16) == container and c0["old_items"] == N and
              c0["new_items"] == 2 * N and
              c0["new_retained"] - c0["old_retained"] >= leaked_size > 0 and
              csteps and csteps[-1]["edge"] in ("._leak", "['_leak']"),
              "%s: the container that grew most is the leaking list: %s -> %s items, "
              "+%s bytes retained, reached by %s" % (
                  name, c0.get("old_items"), c0.get("new_items"),
                  c0.get("new_retained", 0) - c0.get("old_retained", 0),
                  csteps[-1]["edge"] if csteps else None),
              [str(c)[:300] for c in cs[:3]])
    p = hstest.run(["diff", s1, s2])
    hstest.ok(p.returncode == 0 and "Leaked" in p.stdout and "+%d " % N in p.stdout and
              "root:" in p.stdout and "%d -> %d items" % (N, 2 * N) in p.stdout,
              "%s: diff in text says +%d Leaked, the list that grew, with paths"
              % (name, N), p.stdout[-800:] + p.stderr)
    p = hstest.run(["diff", s2, s1])
    hstest.ok(p.returncode == 0 and "captured before" in p.stderr,
              "%s: NEW older than OLD: a warning" % name, p.stderr)
    # -n beyond the number of new objects: every new object gets its path
    # (the samples are as many as the new objects, not as -n)
    d2, p = hstest.run_json(["diff", "-n", "2147483647", s1, s2])
    hstest.ok(d2 is not None and p.returncode == 0 and
              len(d2["paths"]) == d2["new_objects"]["count"],
              "%s: diff -n 2147483647 shows a path for each of the %s new objects"
              % (name, d2["new_objects"]["count"] if d2 else "?"), p.stderr[-500:])
    return s1


def check_watch(interp):
    name = interp.name
    with hstest.Fixture(interp.exe, "leaker.py", args=["--grow", "20"]) as fx:
        hs = subprocess.Popen([hstest.HEAPSCOPE, "watch", "--json", "--count", "3",
                               "--interval", "2", "-n", "100000", str(fx.pid)],
                              env=dict(os.environ, **interp.env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        lines, at = [], []
        for _ in range(3):
            line = hstest._readline_timeout(hs.stdout, 300)
            if not line:
                break
            at.append(time.monotonic())
            lines.append(json.loads(line))
        try:
            rc = hs.wait(timeout=60)
            err = hs.stderr.read()
        except subprocess.TimeoutExpired:
            hs.kill()
            rc, err = None, ""
        ok = rc == 0 and len(lines) == 3
        if hstest.ok(ok, "%s: watch --count 3 prints one JSON line per capture" % name,
                     [err, str(lines)[:300]]):
            first, second, third = lines
            a, b, c = (leaked_type(x["growth"]) for x in lines)
            hstest.ok(first["baseline"] and not second["baseline"] and len(a) == 1 and
                      len(b) == 1 and len(c) == 1 and b[0]["count_change"] > 0 and
                      b[0]["count"] == a[0]["count"] + b[0]["count_change"] and
                      c[0]["count"] == b[0]["count"] + c[0]["count_change"],
                      "%s: the later captures show Leaked growing (+%s)"
                      % (name, b[0]["count_change"] if b else "?"), [str(a), str(b), str(c)])
            # captures 2 and 3 take about as long: their lines come the
            # interval apart (the first capture may be slower: it finds
            # the layout)
            gap = at[2] - at[1]
            hstest.ok(1.5 <= gap < 8 and third["time"] > second["time"] >= first["time"],
                      "%s: --interval 2: the captures come %.1f s apart" % (name, gap),
                      "times %s" % [x["time"] for x in lines])
        hstest.ok(hstest.untouched(fx.pid), "%s: the target runs on, untraced" % name)


def check_slow_capture(interp):
    """A capture that takes longer than --interval (heapscope held at the
    start of its first capture for 4 s): the next starts at once, and the
    ones after it --interval apart again - not back to back to catch up
    on the missed starts."""
    name = interp.name
    with hstest.Fixture(interp.exe, "leaker.py", args=["--grow", "5"]) as fx:
        hs = subprocess.Popen([hstest.HEAPSCOPE, "watch", "--json", "--interval", "1.5",
                               "--count", "4", str(fx.pid)],
                              env=dict(os.environ, HEAPSCOPE_TEST_STOP_AT="capturing",
                                       **interp.env),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        starts = []
        for k in range(4):
            if not hstest.wait_state(hs.pid, "T"):
                break
            starts.append(time.monotonic())
            if k == 0:
                time.sleep(4)
            os.kill(hs.pid, signal.SIGCONT)
            if not hstest._readline_timeout(hs.stdout, 120):
                break
        try:
            rc = hs.wait(timeout=60)
        except subprocess.TimeoutExpired:
            hs.kill()
            rc = None
        gaps = [round(b - a, 2) for a, b in zip(starts, starts[1:])]
        hstest.ok(rc == 0 and len(gaps) == 3 and gaps[0] >= 3.9 and gaps[1] >= 1.2 and
                  gaps[2] >= 1.2,
                  "%s: watch --interval 1.5 after a 4 s capture: the next at once, then "
                  "1.5 s apart again (starts %s s apart)" % (name, gaps),
                  "exit %s, %d captures started" % (rc, len(starts)))
        hstest.ok(hstest.untouched(fx.pid), "%s: the target runs on, untraced" % name)


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
    for n in ("4611686018427387904", "99999999999999999999", "2147483648", "-1"):
        p = hstest.run(["diff", "-n", n, snap, snap])
        hstest.ok(p.returncode == EUSAGE and "-n wants" in p.stderr and "hint:" in p.stderr,
                  "%s: diff -n %s: usage error, exit 2" % (name, n), p.stderr)
    # options the command has no use for are refused, not ignored
    for args in (["diff", "--type", "list", snap, snap],
                 ["watch", "--type", "list", "--count", "1", str(os.getpid())]):
        p = hstest.run(args)
        hstest.ok(p.returncode == EUSAGE and "--type is not an option of %s" % args[0]
                  in p.stderr and not p.stdout,
                  "%s: %s --type: usage error, exit 2" % (name, args[0]), p.stderr)

    # the same pid running another command line (exec keeps the pid)
    a = os.path.join(tmp, "before-exec.hsnap")
    b = os.path.join(tmp, "after-exec.hsnap")
    with hstest.Fixture(interp.exe, "leaker.py", args=["3"]) as fx:
        got, p = hstest.run_json(["snapshot", "-o", a, str(fx.pid)], env=interp.env)
        fx.send("exec")
        again = fx.readline(timeout=60)
        got2, p2 = hstest.run_json(["snapshot", "-o", b, str(fx.pid)], env=interp.env)
    p = hstest.run(["diff", a, b])
    hstest.ok(got is not None and got2 is not None and again and
              json.loads(again)["pid"] == fx.pid and p.returncode == 0 and
              "warning" in p.stderr and "command lines" in p.stderr and
              "again" in p.stderr and "change:" in p.stdout,
              "%s: diff of one pid before and after an exec: a warning naming both "
              "command lines, then the diff" % name, [p.stderr, p2.stderr, again])

    check_slow_capture(interp)

    # Ctrl-C while watch waits out a 60 s interval after its first capture
    with hstest.Fixture(interp.exe, "leaker.py", args=["--grow", "5"]) as fx:
        hs = subprocess.Popen([hstest.HEAPSCOPE, "watch", "--interval", "60", str(fx.pid)],
                              env=dict(os.environ, **interp.env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              preexec_fn=hstest.default_signals)
        first = hstest._readline_timeout(hs.stdout, 120) or ""
        sent = time.monotonic()
        os.kill(hs.pid, signal.SIGINT)
        try:
            rc = hs.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hs.kill()
            rc = None
        took = time.monotonic() - sent
        rest = hs.stdout.read()
        time.sleep(0.1)
        hstest.ok(first.startswith("capture 1") and rc == -signal.SIGINT and took < 10 and
                  "capture 2" not in rest and hstest.untouched(fx.pid),
                  "%s: Ctrl-C between captures (waiting out --interval 60) ends watch at "
                  "once; the target runs on, untraced" % name,
                  "first line %r, exit %s after %.1f s" % (first, rc, took))


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
        hstest.skip("diff of two processes, -n and --type, exec, slow capture, Ctrl-C of "
                    "watch", "no interpreter available")
    shutil.rmtree(tmp, True)
    hstest.done()


main()
