"""test_tasks - heapscope tasks tells what the interpreter says of its tasks.

On every interpreter, fixtures/tasks.py runs named asyncio tasks waiting
on a Queue, an Event, an asyncio.Lock, sleeps, another task, a gather,
a chain of coroutines and (3.11+) a TaskGroup, and reports from inside,
while every task is suspended: asyncio.all_tasks() with each task's
coroutine chain (function, file and line of each coroutine, following
cr_await) and the id of the Future it waits for.  `heapscope tasks
--json PID` must list exactly those pending tasks, each with that
chain and that waiter, the finished and cancelled tasks in their
state, and the tree of who waits for whom; a snapshot of the same
process gives the same answer, and the text names what each waits for.
"""
import os
import shutil
import subprocess
import tempfile

import hstest


def ours(t):
    """A heapscope task's chain as the fixture reports one."""
    return [{"function": c["function"].rsplit(".", 1)[-1], "file": c["file"],
             "line": c["line"]} for c in t["coroutines"]]


def stable(doc):
    """The JSON without what changes with time (a sleep's due time)."""
    for t in doc["tasks"]:
        t["waits_for_text"] = t["waits_for_text"].split(", due ")[0]
    return doc


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "tasks.py", timeout=90)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-tasks-")
    try:
        got, p = hstest.run_json(["tasks", str(fx.pid)], env=interp.env, timeout=300)
        if not hstest.ok(got is not None and p.returncode == 0, "%s: tasks --json" % name,
                         p.stderr):
            return
        by_addr = {t["address"]: t for t in got["tasks"]}
        by_name = {t["name"]: t for t in got["tasks"]}
        want = {t["address"]: t for t in fx.info["tasks"]}
        pending = {int(a, 16) for a, t in by_addr.items() if t["state"] == "pending"}
        hstest.ok(pending == set(want),
                  "%s: the pending tasks are asyncio.all_tasks() (%d)" % (name, len(want)),
                  "heapscope only: %s; interpreter only: %s" % (
                      sorted(by_addr["%#x" % a]["name"] for a in pending - set(want)),
                      sorted(want[a]["name"] for a in set(want) - pending)))
        chains = waiters = names = 0
        bad = []
        for addr, w in sorted(want.items()):
            t = by_addr.get("%#x" % addr)
            if not t:
                continue
            names += t["name"] == w["name"]
            chains += ours(t) == w["chain"]
            if ours(t) != w["chain"]:
                bad.append("%s: %s != %s" % (w["name"], ours(t), w["chain"]))
            waiters += t["waits_for"] == ("%#x" % w["waiter"] if w["waiter"] else None)
        hstest.ok(names == len(want), "%s: every task's name" % name)
        hstest.ok(chains == len(want),
                  "%s: every task's coroutines, files and lines (cr_await chain)" % name,
                  "\n".join(bad[:5]))
        hstest.ok(waiters == len(want), "%s: what every task waits for (_fut_waiter)" % name)
        for state, addr in sorted(fx.info["done"].items()):
            t = by_addr.get("%#x" % addr)
            hstest.ok(t is not None and t["state"] == {"finished": "done"}.get(state, state),
                      "%s: the %s task is %s" % (name, state, state), repr(t))

        def children(parent, link):
            p = by_name.get(parent)
            return sorted(by_addr[c]["name"] for c in p["children"]
                          if by_addr[c]["parent_link"] == link) if p else None
        hstest.ok(children("gatherer", "gather") == ["leaf-0", "leaf-1", "leaf-2"],
                  "%s: a gather's tasks are under the task awaiting it" % name,
                  repr(children("gatherer", "gather")))
        hstest.ok(children("awaits-task", "await") == ["awaited"],
                  "%s: an awaited task is under the task awaiting it" % name)
        if interp.minor >= 11:
            hstest.ok(children("grouped", "TaskGroup") == ["grouped-0", "grouped-1"],
                      "%s: a TaskGroup's tasks are under its parent task" % name,
                      repr(children("grouped", "TaskGroup")))
        words = {n: by_name[n]["waits_for_text"] for n in by_name}
        hstest.ok(words.get("consumer-0", "").startswith("Queue.get on asyncio.queues.Queue") and
                  words.get("event-waiter", "").startswith("Event.wait on asyncio.locks.Event") and
                  words.get("lock-waiter", "").startswith("Lock.acquire on asyncio.locks.Lock") and
                  words.get("nested", "").startswith("sleep(3600), due in "),
                  "%s: what a task waits for, in words" % name, repr(words))
        # the same from a snapshot of the same state
        snap = os.path.join(tmp, "tasks.hsnap")
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
        if hstest.ok(p.returncode == 0, "%s: snapshot" % name, p.stderr):
            again, p = hstest.run_json(["tasks", snap], env=interp.env)
            hstest.ok(again is not None and stable(again) == stable(got),
                      "%s: tasks of the snapshot = tasks of the process" % name, p.stderr)
        p = hstest.run(["tasks", str(fx.pid)], env=interp.env, timeout=300)
        hstest.ok(p.returncode == 0 and "Task 'leaf-1' pending" in p.stdout and
                  "waits for gather 0x" in p.stdout,
                  "%s: tasks prints the tree" % name, p.stdout[-2000:] + p.stderr)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: tasks" % name, repr(e))
    finally:
        fx.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    hstest.for_each_interpreter(check, "asyncio tasks")
