"""'heapscope garbage' against the collector's own answer.

fixtures/cycles.py disables the collector, puts a cycle into gc.garbage
(gc.DEBUG_SAVEALL) and appends an object to it by hand, builds
unreachable cycles of several kinds (a self-containing list, two
instances, a class with __del__, two dicts, a ring of 1,000 objects with a
str payload only the ring holds, generators) and reachable ones, and
asks a forked child (same addresses) to collect with DEBUG_SAVEALL: what
gc.garbage gains there is every tracked object the collection finds
unreachable.  For every interpreter build heapscope reads the process
from outside and must report:
  - as tracked garbage exactly the child's set, plus the objects a
    finalizer frees before the collector counts (a generator whose own
    frame holds it: closing it breaks the cycle), and nothing reachable;
  - each structure the fixture built, the payload str among the untracked
    objects that go with the ring, the 1,000-object ring as one cycle,
    finalizers marked (the __del__ class, the suspended generators);
  - the contents of gc.garbage under gc.garbage, not as garbage;
  - then the fixture runs gc.collect() itself: it returns the number of
    tracked objects still unreachable once finalizers have run (3.8-3.13
    count after finalize_garbage), so heapscope's tracked count minus the
    objects freed by finalizers.
"""

import hstest


def check_interp(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "cycles.py", timeout=120)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture cycles.py starts" % name, str(e))
        return
    with fx:
        info = fx.info
        got, p = hstest.run_json(["garbage", "-n", "100000", str(fx.pid)], env=interp.env,
                                 timeout=300)
        if not hstest.ok(got is not None and p.returncode == 0,
                         "%s: garbage --json runs" % name, p.stderr):
            return
        members = {}
        for isl in got["islands"]:
            for m in isl["members"]:
                members[int(m["address"], 16)] = m
        tracked = set(a for a, m in members.items() if m["tracked"])
        truth = set(info["truth"])
        freed = set(info["freed_by_finalizer"])
        expect = truth | freed
        hstest.ok(len(members) == got["objects"] and len(tracked) == got["tracked"],
                  "%s: the islands hold every garbage object once" % name,
                  "%d members, %d objects; %d tracked, %d" %
                  (len(members), got["objects"], len(tracked), got["tracked"]))
        missing = expect - tracked
        extra = tracked - expect
        hstest.ok(not missing and not extra,
                  "%s: tracked garbage is exactly what the collector finds unreachable "
                  "(%d objects)" % (name, len(expect)),
                  ["missing %s" % [hex(a) for a in sorted(missing)[:8]],
                   "extra %s" % ["%#x %s" % (a, members[a]["type"])
                                 for a in sorted(extra)[:8]]])
        built = set()
        for ids in info["ids"].values():
            if isinstance(ids, list):
                built |= set(ids)
        hstest.ok(built <= tracked, "%s: every structure the fixture dropped is garbage"
                  % name, [hex(a) for a in sorted(built - tracked)[:8]])
        reach = set(info["reachable"]) | set(info["gc_garbage"]) | {info["appended"]}
        hstest.ok(not (reach & set(members)),
                  "%s: no reachable cycle and nothing of gc.garbage is reported" % name,
                  [hex(a) for a in sorted(reach & set(members))])
        pay = members.get(info["ids"]["ring_payload"])
        hstest.ok(pay is not None and pay["type"] == "str" and not pay["tracked"],
                  "%s: the str only the ring holds goes with it (untracked)" % name,
                  str(pay))
        ring = set(info["ids"]["ring"])
        rings = [c for c in got["cycles"]
                 if set(int(m["address"], 16) for m in c["members"]) == ring]
        hstest.ok(len(rings) == 1 and rings[0]["objects"] == 1000 and
                  got["cycles"][0]["objects"] >= 1000,
                  "%s: the ring of 1,000 is one cycle, the biggest" % name,
                  [str({k: c[k] for k in ("objects", "size")}) for c in got["cycles"][:3]])
        by_addr = {}
        for c in got["cycles"]:
            for m in c["members"]:
                by_addr[int(m["address"], 16)] = c
        pair = [by_addr.get(a) for a in info["ids"]["pair"]]
        hstest.ok(pair[0] is not None and pair[0] is pair[1] and
                  all(by_addr.get(a) is not None for a in
                      info["ids"]["self_list"] + info["ids"]["dicts"] +
                      info["ids"]["finalized"]),
                  "%s: the pair, the self-containing list and the dicts are cycles" % name)
        fin = by_addr.get(info["ids"]["finalized"][0])
        gen_isl = [i for i in got["islands"]
                   if info["ids"]["hanging_generator"][1] in
                   set(int(m["address"], 16) for m in i["members"])]
        hstest.ok(fin is not None and fin["finalizers"] >= 1 and
                  len(gen_isl) == 1 and gen_isl[0]["finalizers"] >= 1 and
                  got["finalizers"] >= 3 and "PEP 442" in got["note"],
                  "%s: finalizers marked (__del__, suspended generators), PEP 442 noted"
                  % name, "finalizers %s" % got.get("finalizers"))
        lists = got["gc_garbage"]
        items = set(int(o["address"], 16) for l in lists for o in l["objects"])
        want = set(info["gc_garbage"])
        hstest.ok(len(lists) == 1 and items == want and info["appended"] in items,
                  "%s: gc.garbage lists the saved cycle and the appended object (%d)"
                  % (name, len(want)),
                  "heapscope %d, fixture %d" % (len(items), len(want)))

        fx.send("collect")
        line = fx.readline(timeout=60)
        collected = None
        try:
            collected = __import__("json").loads(line)["collected"]
        except (TypeError, ValueError, KeyError):
            pass
        hstest.ok(collected == got["tracked"] - len(freed) and
                  collected == info["truth_collected"],
                  "%s: gc.collect() in the target returns heapscope's tracked count less "
                  "what finalizers freed (%s)" % (name, collected),
                  "gc.collect() %s, heapscope tracked %d, freed by finalizers %d, child %s"
                  % (collected, got["tracked"], len(freed), info["truth_collected"]))


hstest.for_each_interpreter(check_interp, "garbage")
