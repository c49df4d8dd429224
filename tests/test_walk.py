"""heapscope's heap walk against the interpreter's own answers.

fixtures/heap_zoo.py builds one of everything the walk decodes (plain
classes, __slots__, many and deleted attributes, builtin subclasses,
nested containers, big ints, non-ASCII and astral strings, closures,
bound methods, a paused generator, a coroutine, an exception with its
traceback, a weakref, cycles, a 100,000-node linked list, an object held
only by a thread's local variable, one held only by a module-level cache)
and records, in-process, gc.get_referents, sys.getsizeof and the value of
every object reachable from its roots, and the number of instances of
each of its classes.  Then for every interpreter build heapscope captures
the process from outside and must agree:
  - every such object is found, with the same type;
  - its size equals sys.getsizeof;
  - its referents include every object gc.get_referents gives;
  - str, int, float and bytes values are equal;
  - instance counts of the fixture classes are equal;
  - 'path' to the cached object runs through the zoo_cache module, each
    step named, and the thread-only object's root is that thread's frame;
  - captured on one core (taskset), the copy made by one thread, the heap
    is the same as captured on two.
"""

import os
import shutil

import hstest


def short(name):
    return name.rsplit(".", 1)[-1]


def check_interp(interp):
    name = interp.name
    started = hstest.truth_and_snapshot(interp, "heap_zoo.py", "zoo.hsnap", timeout=120)
    if started is None:
        return
    fx, truth, snap, got = started
    with fx:
        hstest.ok(got["warnings"] == 0, "%s: a frozen capture meets no inconsistency" % name,
                  "warnings: %s" % got["warnings"])
        hstest.ok(fx.alive() and fx.state() in ("S", "R"),
                  "%s: the target runs on after the capture" % name,
                  "state %s" % fx.state())
        objs = hstest.export_objects(snap, interp.env)
        missing, wrong_type, sizes, refs, values = [], [], [], [], []
        for t in truth["objects"]:
            o = objs.get(t["address"])
            if o is None:
                missing.append("%s at %#x" % (t["type"], t["address"]))
                continue
            if short(o["type"]) != t["type"]:
                wrong_type.append("%#x: %s, interpreter says %s"
                                  % (t["address"], o["type"], t["type"]))
                continue
            if o["size"] != t["size"]:
                sizes.append("%s at %#x: %d, sys.getsizeof %d"
                             % (t["type"], t["address"], o["size"], t["size"]))
            lost = set(t["referents"]) - set(o["refs"])
            if lost:
                refs.append("%s at %#x: %d of %d referents missing (%s)"
                            % (t["type"], t["address"], len(lost), len(t["referents"]),
                               ", ".join(objs[a]["type"] if a in objs else "%#x?" % a
                                         for a in sorted(lost)[:4])))
            if "value" in t and o.get("value") != t["value"]:
                values.append("%s at %#x: %r, interpreter %r"
                              % (t["type"], t["address"], o.get("value", "")[:60],
                                 t["value"][:60]))
        n = len(truth["objects"])
        hstest.ok(not missing, "%s: all %d objects reachable from the roots found" % (name, n),
                  missing[:10])
        hstest.ok(not wrong_type, "%s: types agree" % name, wrong_type[:10])
        hstest.ok(not sizes, "%s: sizes equal sys.getsizeof" % name, sizes[:15])
        hstest.ok(not refs, "%s: referents include gc.get_referents" % name, refs[:15])
        hstest.ok(not values, "%s: str/int/float/bytes values equal" % name, values[:10])

        top, p = hstest.run_json(["top", "-n", "100000", snap], env=interp.env)
        counts = {t["type"]: t["count"] for t in (top or {}).get("types", [])}
        diffs = ["%s: %s, interpreter %d" % (k, counts.get(k), v)
                 for k, v in truth["counts"].items() if counts.get(k, 0) != v]
        hstest.ok(top is not None and not diffs,
                  "%s: instances per fixture class equal" % name, diffs or p.stderr)

        # the other ways to capture must see the same heap: walking the
        # frozen target past the copy budget, and --no-stop (the zoo is
        # idle, so a copy taken while it runs is consistent)
        for mode, args in (("frozen", ["--max-copy", "1M"]), ("live", ["--no-stop"])):
            other, p = hstest.run_json(["top", "-n", "100000"] + args + [str(fx.pid)],
                                       env=interp.env, timeout=300)
            oc = {t["type"]: t["count"] for t in (other or {}).get("types", [])}
            diffs = ["%s: %s, interpreter %d" % (k, oc.get(k), v)
                     for k, v in truth["counts"].items() if oc.get(k, 0) != v]
            hstest.ok(other is not None and other.get("mode") == mode and not diffs,
                      "%s: %s capture finds the same instances" % (name, " ".join(args)),
                      diffs or [p.stderr, str((other or {}).get("mode"))])

        path, p = hstest.run_json(["path", snap, hex(truth["leaf"])], env=interp.env)
        steps = (path or {}).get("steps", [])
        edges = [s["edge"] for s in steps]
        through = [s for s in steps if s["type"] == "module" and "zoo_cache" in s["summary"]]
        hstest.ok(path is not None and path.get("found") and through and
                  "['_cache']" in edges and steps[-1]["address"] == hex(truth["leaf"]),
                  "%s: path to a cached object runs through its module" % name,
                  ["%s -> %s %s" % (s["edge"], s["type"], s["summary"]) for s in steps]
                  or p.stderr)
        hstest.ok(all(e for e in edges[1:]), "%s: every step of the path is named" % name,
                  edges)

        # every reference to the fixture's objects is in the graph: none of
        # them may look held from outside (the refcount accounting)
        outside = []
        for cls in ("Plain", "Leaf", "Slotted", "Wide", "MyList", "Cached"):
            got, p = hstest.run_json(["objects", "--type", cls, snap], env=interp.env)
            outside += ["%s at %s" % (cls, o["address"]) for o in (got or {}).get("objects", [])
                        if "held-from-outside" in o["flags"]]
        hstest.ok(not outside, "%s: no fixture object looks held from outside" % name,
                  outside[:10])

        only, p = hstest.run_json(["objects", "--type", "ThreadOnly", snap], env=interp.env)
        lst = (only or {}).get("objects", [])
        ok = len(lst) == 1
        root = None
        if ok:
            path, p = hstest.run_json(["path", snap, lst[0]["address"]], env=interp.env)
            root = (path or {}).get("root", {})
            ok = bool(path and path.get("found") and "thread_body" in root.get("label", ""))
        hstest.ok(ok, "%s: an object held only by a thread's local is found, "
                  "rooted at that frame" % name, [str(lst), str(root), p.stderr])

        one_core_same(interp, fx, os.path.dirname(snap))


def one_core_same(interp, fx, tmp):
    """The copy is made on both cores (the regions in pieces of 2 MiB,
    taken in turn): on one core it must hold the same memory, so the
    same objects, sizes, values and references."""
    name = interp.name
    if not shutil.which("taskset"):
        hstest.skip("%s: one core captures the same heap" % name, "taskset is missing (util-linux)")
        return
    out = []
    for one_core in (False, True):
        snap = os.path.join(tmp, "cores%d.hsnap" % len(out))
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300,
                       one_core=one_core)
        q = hstest.run(["export", "--format", "meliae", snap], env=interp.env, timeout=300)
        out.append((p.returncode, q.returncode, q.stdout, p.stderr + q.stderr))
    two, one = out
    hstest.ok(two[:2] == (0, 0) and one[:2] == (0, 0) and two[2] and two[2] == one[2],
              "%s: one core captures the same heap as two (%d objects)"
              % (name, two[2].count("\n")), [two[3], one[3]])


hstest.for_each_interpreter(check_interp, "heap walk")
