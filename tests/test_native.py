"""heapscope stacks --native: native frames merged with the Python ones.

A fixture sleeps in time.sleep on its main thread and waits on a lock in
another.  With --native, the Python frames must be exactly those of the
plain command, in the same order; the C frames of the blocking call must
come before (inside) the innermost Python frame; no frame of the eval
loop may remain where Python frames were merged in; and the main thread's
stack must reach the program's entry.  Function names are checked where
the build has symbols for its static functions (not Debian's stripped
python3.11 without its debug file).
"""
import time

import hstest

ENTRY = ("main", "_start", "__libc_start_main", "__libc_start_call_main", "Py_BytesMain")


def py_frames(t):
    return [(f["function"], f["line"]) for f in t["frames"] if f["kind"] == "python"]


def first_python(t):
    for i, f in enumerate(t["frames"]):
        if f["kind"] == "python":
            return i
    return -1


def natives_before(t):
    return [f["function"] for f in t["frames"][:first_python(t)] if f["kind"] == "native"]


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "native_target.py")
    except (RuntimeError, OSError) as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    with fx:
        time.sleep(0.2)     # let both threads reach their blocking calls
        plain, p1 = hstest.run_json(["stacks", str(fx.pid)], env=interp.env)
        native, p2 = hstest.run_json(["stacks", "--native", str(fx.pid)], env=interp.env)
        if not hstest.ok(p1.returncode == 0 and p2.returncode == 0 and plain and native,
                         "%s: stacks and stacks --native run" % name, p1.stderr + p2.stderr):
            return
        pt = {t["thread_id"]: t for t in plain["threads"]}
        nt = {t["thread_id"]: t for t in native["threads"]}
        main = nt.get(fx.info["threads"]["main"])
        lock = nt.get(fx.info["threads"]["locker"])
        if not hstest.ok(main and lock, "%s: both threads found" % name, str(nt.keys())):
            return
        same = all(py_frames(pt[i]) == py_frames(nt[i]) for i in pt if i in nt)
        hstest.ok(same and set(pt) == set(nt),
                  "%s: --native keeps the Python frames, in order" % name,
                  ["%s\n  %s\n  %s" % (i, py_frames(pt[i]), py_frames(nt.get(i, pt[i])))
                   for i in pt])
        nat = [f for t in nt.values() for f in t["frames"] if f["kind"] == "native"]
        hstest.ok(len(nat) > 4 and all(f["file"] for f in nat),
                  "%s: native frames with their modules" % name)
        left = [f["function"] for f in nat if f["function"].startswith("_PyEval_EvalFrameDefault")]
        hstest.ok(not left, "%s: no eval-loop frame left where Python frames merged" % name,
                  left)
        outer = [f["function"] for f in main["frames"][-4:]]
        hstest.ok(any(o.startswith(e) for o in outer for e in ENTRY),
                  "%s: the main thread reaches the program's entry" % name, outer)
        if interp.stripped:
            hstest.skip("%s: C functions of the blocking calls named" % name,
                        "stripped build without its debug file names only exported "
                        "functions")
            return
        mb, lb = natives_before(main), natives_before(lock)
        hstest.ok(any(f.startswith("time_sleep") for f in mb),
                  "%s: time.sleep's C function inside the innermost Python frame" % name, mb)
        hstest.ok(any(f.startswith(("lock_PyThread_acquire_lock", "acquire_timed",
                                    "PyThread_acquire_lock")) for f in lb),
                  "%s: the lock wait's C functions inside the innermost Python frame" % name,
                  lb)


hstest.for_each_interpreter(check, "native stacks")
