"""test_locks - every lock shows its state, as the interpreter tells it.

On every interpreter, fixtures/locks.py holds threading locks in every
state (free, held, held twice, held by another thread, held by a thread
that has exited, waited for) and reports each one's repr(), which says
whether it is locked and, for an RLock, its owner's ident and its count.
heapscope's value of each, in a snapshot (export and show), must say the
same: "locked"/"unlocked", and for an RLock the owner by its thread name
and native id (the fixture's threading names and get_native_id()), or
by ident when that thread no longer runs.  From 3.14, where a lock is a
PyMutex that marks a parked waiter, the two locks a thread waits for
also say so.  And builtin functions and methods (a lock's acquire
among them) are named as their repr() names them.
"""
import os
import re
import shutil
import subprocess
import tempfile

import hstest

REPR = re.compile(r"<(locked|unlocked) _thread\.(lock|RLock) object"
                  r"(?: owner=(\d+) count=(\d+))? at 0x[0-9a-f]+>")
WAITED = ("lock_waited", "rlock_waited")


def expected(interp, name, lock, threads):
    """The value heapscope should give a lock, from its repr; None if
    the repr is not understood."""
    m = REPR.fullmatch(lock["repr"])
    if not m:
        return None
    state, kind, owner, count = m.groups()
    if kind == "lock" or state == "unlocked":
        text = state
    else:
        th = threads.get(int(owner))
        if th:
            text = "locked by thread %s (native id %d), count %s" % (
                th["name"], th["native_id"], count)
        else:
            text = "locked by thread ident %s (not running now), count %s" % (owner, count)
    if interp.minor >= 14 and name in WAITED:
        text += ", threads wait for it"
    return text


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "locks.py", timeout=90)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-locks-")
    try:
        locks = fx.info["locks"]
        threads = {t["ident"]: t for t in fx.info["threads"]}
        hstest.ok(fx.info["gone_ident"] not in threads,
                  "%s: the exited owner's ident is no running thread's" % name)
        snap = os.path.join(tmp, "locks.hsnap")
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
        if not hstest.ok(p.returncode == 0, "%s: snapshot" % name, p.stderr):
            return
        objs = hstest.export_objects(snap, interp.env)
        for lname, lock in sorted(locks.items()):
            want = expected(interp, lname, lock, threads)
            o = objs.get(lock["address"])
            got = o.get("value") if o else None
            hstest.ok(want is not None and o is not None and o.get("type") == lock["type"] and
                      got == want,
                      "%s: %s (%s) says %r" % (name, lname, lock["repr"].split(" object")[0][1:],
                                               want),
                      "heapscope: %s %r; interpreter: %s" %
                      (o.get("type") if o else "no such object", got, lock["repr"]))
        # builtin functions and methods are named as their repr() names them
        for fname, f in sorted(fx.info["builtins"].items()):
            got, p = hstest.run_json(["show", snap, "%#x" % f["address"]], env=interp.env)
            summary = got.get("summary") if got else None
            hstest.ok(summary == f["repr"], "%s: builtin %s is %s" % (name, fname, f["repr"]),
                      "heapscope: %r %s" % (summary, p.stderr))
        # show, in text: the owner of the RLock held by another thread
        lock = locks["rlock_other_thread"]
        want = expected(interp, "rlock_other_thread", lock, threads)
        p = hstest.run(["show", snap, "%#x" % lock["address"]], env=interp.env)
        hstest.ok(p.returncode == 0 and want is not None and want in p.stdout,
                  "%s: show prints an RLock's owner and count" % name, p.stdout + p.stderr)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: locks" % name, repr(e))
    finally:
        fx.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    hstest.for_each_interpreter(check, "locks show their state")
