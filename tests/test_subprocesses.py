"""test_subprocesses - stacks --subprocesses dumps every Python descendant.

On every interpreter, fixtures/subprocs.py starts a forked
multiprocessing worker blocked in worker_wait(), a shell running a new
interpreter blocked in child_wait(), and sleep(1).  `stacks
--subprocesses PID` must give the stacks of the parent, the worker and
the shell's interpreter, each with its main thread in the function the
fixture left it in, and list the shell and sleep as no Python, with
their parent; --json the same; a snapshot refuses the option.
"""
import subprocess
import time

import hstest


def alive(pid):
    """Whether pid runs (a zombie does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def innermost(proc):
    """The innermost Python function of a process's main thread."""
    for t in proc["threads"]:
        if t["main"]:
            fr = [f for f in t["frames"] if f["kind"] == "python"]
            return fr[0]["function"] if fr else None
    return None


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "subprocs.py", timeout=90, group=True)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    try:
        pids = fx.info
        got, p = hstest.run_json(["stacks", "--subprocesses", str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None and p.returncode == 0,
                         "%s: stacks --subprocesses --json" % name, p.stderr):
            return
        procs = {pr["pid"]: pr for pr in got["processes"]}
        want = {pids["parent"]: "parent_wait", pids["worker"]: "worker_wait",
                pids["child"]: "child_wait"}
        hstest.ok(sorted(procs) == sorted(want),
                  "%s: the parent, its worker and the shell's interpreter" % name,
                  "got %s, want %s" % (sorted(procs), sorted(want)))
        where = {pid: innermost(pr) for pid, pr in procs.items()}
        hstest.ok(all(where.get(pid) == fn for pid, fn in want.items()),
                  "%s: each where the fixture left it" % name, repr(where))
        hstest.ok(got["processes"][0]["pid"] == pids["parent"],
                  "%s: PID first, then its descendants" % name)
        skipped = {s["pid"]: s for s in got["skipped"]}
        hstest.ok(set(skipped) == {pids["shell"], pids["sleep"]} and
                  all(s["why"] == "not Python" for s in skipped.values()) and
                  skipped.get(pids["sleep"], {}).get("parent") == pids["parent"] and
                  skipped.get(pids["shell"], {}).get("parent") == pids["parent"],
                  "%s: the shell and sleep are listed as no Python, with their parent" % name,
                  repr(got["skipped"]))
        p = hstest.run(["stacks", "--subprocesses", str(fx.pid)], env=interp.env)
        hstest.ok(p.returncode == 0 and
                  ("======== process %d, child of %d" % (pids["worker"], pids["parent"]))
                  in p.stdout and "child_wait" in p.stdout and
                  ("  %d (sleep 3600): not Python" % pids["sleep"]) in p.stdout,
                  "%s: the text says whose child each process is" % name,
                  p.stdout[-1500:] + p.stderr)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: --subprocesses" % name, repr(e))
    finally:
        fx.stop()
    # the fixture's whole process group goes with it: nothing left behind
    pids = [p for p in fx.info.values() if isinstance(p, int)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    hstest.ok(not any(alive(p) for p in pids), "%s: no process of the fixture is left" % name,
              [p for p in pids if alive(p)])


if __name__ == "__main__":
    hstest.for_each_interpreter(check, "stacks --subprocesses")
