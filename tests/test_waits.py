"""test_waits - stacks says what each blocked thread waits for, who holds
it, and every deadlock.

On every interpreter, fixtures/deadlock.py builds a two-thread deadlock
over a Lock and an RLock, a three-thread one over two Locks and an RLock
(each thread holding its first lock in a with statement), a thread
waiting on a Condition, one on an empty Queue, and one waiting for a
Lock the main thread acquired without a with statement.  The fixture
records the truth by construction (which thread entered which with
statement, checked inside with RLock._is_owned() and Lock.locked()).
heapscope stacks --json must name, for every one of those threads, the
lock it waits for (its id), the thread that holds it (none for the bare
Lock and the Condition's waiter lock), the library call it waits in
(Condition.wait, Queue.get), and exactly the two deadlocks; the text
output says each deadlock in a line of its own.  In a snapshot, the
bound __exit__ of every with statement (kept on the frame's value stack,
whose depth a running frame does not save before 3.14) is a root of the
frame holding it, not "held from outside"; a Condition and a Queue say
what the interpreter says they hold.
"""
import os
import shutil
import subprocess
import tempfile

import hstest


def exits_rooted(interp, fx):
    """In a snapshot, the bound __exit__ each with statement keeps on its
    frame's value stack (up to 3.13) is a root of that frame: every lock
    held by construction has one rooted in its holder's thread, and none
    is rooted in a thread that neither holds nor enters its lock.  (A
    with statement being entered keeps its __exit__ on the stack on 3.8
    to 3.11, in a C variable on 3.12 and 3.13: held from outside.)"""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-waits-")
    try:
        snap = os.path.join(tmp, "w.hsnap")
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
        if not hstest.ok(p.returncode == 0, "%s: snapshot" % name, p.stderr):
            return
        got, p = hstest.run_json(["objects", "--type", "builtin_function_or_method", "-n",
                                  "1000000", snap], env=interp.env)
        exits = [o for o in (got or {}).get("objects", [])
                 if o["summary"].startswith("<built-in method __exit__ of _thread.")]
        holder, involved = {}, {}
        for tname, t in fx.info["threads"].items():
            if t["lock"] is not None and t["holder"]:
                h = fx.info["threads"][t["holder"]]["native_id"]
                holder[t["lock"]] = h
                involved.setdefault(t["lock"], set()).update((h, t["native_id"]))
        rooted_in = {}      # lock -> native ids of the frames rooting one of its exits
        bad = []
        for o in exits:
            lock = int(o["summary"].rsplit(" at ", 1)[1].rstrip(">"), 16)
            sh, _ = hstest.run_json(["show", snap, o["address"]], env=interp.env)
            tids = {int(r["label"].split()[1]) for r in (sh or {}).get("roots", [])
                    if r["kind"] == "frame"}
            rooted_in.setdefault(lock, set()).update(tids)
            if lock in involved and tids - involved[lock]:
                bad.append("%s rooted in threads %s" % (o["summary"], sorted(tids)))
        for lock, h in sorted(holder.items()):
            if interp.minor < 14 and h not in rooted_in.get(lock, ()):
                bad.append("lock %#x: no __exit__ rooted in its holder %d (%s)"
                           % (lock, h, sorted(rooted_in.get(lock, ()))))
        hstest.ok(not bad, "%s: each with statement's __exit__ is rooted in its frame" % name,
                  bad)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sync_objects(interp, fx):
    """A Condition and a Queue summarised by what the interpreter says
    they hold: waiters, items, getters and putters."""
    name = interp.name
    sync = fx.info["sync"]
    c, q = sync["cond"], sync["queue"]
    want = {c["address"]: "<Condition: its lock unlocked, %d waiting>" % c["waiting"],
            q["address"]: "<Queue: %d items, maxsize %d, %d getting, %d putting>"
            % (q["items"], q["maxsize"], q["getting"], q["putting"])}
    got = {}
    for addr in want:
        sh, p = hstest.run_json(["show", str(fx.pid), "%#x" % addr], env=interp.env)
        got[addr] = (sh or {}).get("summary")
    hstest.ok(got == want and c["waiting"] == 1 and q["getting"] == 1,
              "%s: a Condition and a Queue say their waiters and items" % name,
              "heapscope %s, interpreter %s" % (got, want))


def from_snapshot(interp, fx, live):
    """A snapshot keeps what each thread waits for: stacks FILE gives the
    waits and the deadlocks stacks PID gave."""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-waits-")
    try:
        snap = os.path.join(tmp, "d.hsnap")
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
        if not hstest.ok(p.returncode == 0, "%s: snapshot" % name, p.stderr):
            return
        got, p = hstest.run_json(["stacks", snap])

        def waits(doc):
            return sorted((t["native_id"], t["waits_for"]["address"],
                           t["waits_for"]["holder"] and t["waits_for"]["holder"]["native_id"])
                          for t in doc["threads"] if t.get("waits_for"))

        def cycles(doc):
            return sorted(sorted(t["native_id"] for t in d) for d in doc["deadlocks"])
        hstest.ok(got is not None and waits(got) == waits(live) and
                  cycles(got) == cycles(live) and len(cycles(got)) == 2,
                  "%s: stacks of the snapshot: the same waits and deadlocks" % name,
                  "%s\n%s" % (got and (waits(got), cycles(got)), (waits(live), cycles(live))))
        p = hstest.run(["stacks", snap])
        hstest.ok(p.returncode == 0 and p.stdout.count("\ndeadlock: ") == 2,
                  "%s: ... and says them in words" % name, p.stdout[:2000])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "deadlock.py", timeout=90)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    try:
        truth = fx.info["threads"]
        hstest.ok(not fx.info["checks"], "%s: the fixture's own checks hold" % name,
                  fx.info["checks"])
        got, p = hstest.run_json(["stacks", str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None and p.returncode == 0, "%s: stacks --json" % name,
                         p.stderr):
            return
        by_tid = {t["native_id"]: t for t in got["threads"]}
        tid_of = {n: t["native_id"] for n, t in truth.items()}
        for tname, t in sorted(truth.items()):
            th = by_tid.get(t["native_id"])
            w = th.get("waits_for") if th else None
            if t["lock"] is not None:
                what = "waits for lock %#x" % t["lock"]
                good = w is not None and int(w["address"], 16) == t["lock"]
            else:
                what = "waits for a lock"
                good = w is not None
            if t["holder"]:
                what += ", held by %s" % t["holder"]
                good = good and w["holder"] is not None and \
                    w["holder"]["native_id"] == tid_of[t["holder"]]
            else:
                what += ", holder unknown"
                good = good and w["holder"] is None and "holder unknown" in w["how"]
            if t["via"]:
                what += ", in %s" % t["via"]
                good = good and (w.get("via") or "").startswith(t["via"] + " on ")
            hstest.ok(good, "%s: %s %s" % (name, tname, what), th)
        want = sorted(sorted(tid_of[n] for n in d) for d in fx.info["deadlocks"])
        have = sorted(sorted(t["native_id"] for t in d) for d in got["deadlocks"])
        hstest.ok(have == want, "%s: exactly the deadlocks the fixture made" % name,
                  "heapscope %s, fixture %s" % (have, want))
        p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("deadlock: ")]
        hstest.ok(p.returncode == 0 and len(lines) == 2 and
                  all(all('"%s"' % n in ln for n in d) and ln.count(" waits for ") == len(d)
                      for d, ln in zip(sorted(fx.info["deadlocks"], key=len),
                                       sorted(lines, key=len))),
                  "%s: the text says each deadlock in a line" % name, p.stdout)
        exits_rooted(interp, fx)
        sync_objects(interp, fx)
        from_snapshot(interp, fx, got)
        hstest.ok(fx.alive() and fx.state() not in ("T", "t") and fx.tracer() == 0,
                  "%s: target running, untraced" % name)
    except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: waits" % name, repr(e))
    finally:
        fx.stop()


if __name__ == "__main__":
    hstest.for_each_interpreter(check, "what blocked threads wait for")
