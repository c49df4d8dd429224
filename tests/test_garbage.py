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
    finalizers marked (the __del__ class, a subclass that inherits __del__
    from a base class with no instance, the suspended generators);
  - in text, gc.garbage's heading names all three ways in, and the note
    on finalizers is wrapped within 78 columns after its variable-width
    first sentence;
  - the contents of gc.garbage under gc.garbage, not as garbage;
  - then the fixture runs gc.collect() itself: it returns the number of
    tracked objects still unreachable once finalizers have run (3.8-3.14
    count after finalize_garbage), so heapscope's tracked count minus the
    objects freed by finalizers; a free-threaded build counts them all.
Once: --by and --type, which garbage has no use for, are usage errors;
with a ring of 100,000 more finalizers (a first sentence of 40 columns)
the note is still wrapped within 78.
"""

import os

import hstest

EUSAGE = 2


def finalizer_note(p, at_least=1):
    """(ok, diag): garbage's text output p ends with the note on finalizers
    of at least that many objects, every line within 78 columns."""
    lines = p.stdout.splitlines()
    first = [i for i, l in enumerate(lines) if " of these objects ha" in l]
    note = lines[first[0]:] if first else []
    wide = [l for l in note if len(l) > 78]
    count = int(note[0].split()[0]) if note else 0
    return (p.returncode == 0 and count >= at_least and not wide and
            " ".join(note).endswith("end up in gc.garbage."),
            wide or note or p.stdout[-500:] + p.stderr)


def check_wide_note():
    """Once: 100,000 finalizers make the note's first sentence 40 columns
    wide; the wrap must start from there."""
    interp = next((i for i in hstest.interpreters() if i.available()), None)
    if interp is None:
        hstest.skip("the finalizer note after 100,000 finalizers", "no interpreter available")
        return
    with hstest.Fixture(interp.exe, "cycles.py", args=["100000"], timeout=300) as fx:
        p = hstest.run(["garbage", str(fx.pid)], env=interp.env, timeout=300)
    ok, diag = finalizer_note(p, 100000)
    hstest.ok(ok, "%s: with 100,000 finalizers (a 40-column first sentence) the note is "
              "still wrapped within 78 columns" % interp.name, diag)


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
                  got["finalizers"] >= 4 and "PEP 442" in got["note"],
                  "%s: finalizers marked (__del__, suspended generators), PEP 442 noted"
                  % name, "finalizers %s" % got.get("finalizers"))
        inh = by_addr.get(info["ids"]["inherited_finalizer"][0])
        hstest.ok(inh is not None and inh["finalizers"] >= 1,
                  "%s: the cycle of a subclass instance whose __del__ comes from a base "
                  "class with no instance is marked with finalizers" % name, str(inh)[:300])
        lists = got["gc_garbage"]
        items = set(int(o["address"], 16) for l in lists for o in l["objects"])
        want = set(info["gc_garbage"])
        hstest.ok(len(lists) == 1 and items == want and info["appended"] in items,
                  "%s: gc.garbage lists the saved cycle and the appended object (%d)"
                  % (name, len(want)),
                  "heapscope %d, fixture %d" % (len(items), len(want)))

        p = hstest.run(["garbage", str(fx.pid)], env=interp.env, timeout=300)
        lines = p.stdout.splitlines()
        note = finalizer_note(p)
        hstest.ok(note[0], "%s: the finalizer note is wrapped within 78 columns" % name,
                  note[1])
        hstest.ok(any(l.startswith("gc.garbage: ") and "saved by gc.DEBUG_SAVEALL, or put "
                      "there by the program" in l for l in lines),
                  "%s: gc.garbage's heading: uncollectable, saved or put there by the "
                  "program" % name, [l for l in lines if l.startswith("gc.garbage")])

        fx.send("collect")
        line = fx.readline(timeout=60)
        collected = None
        try:
            collected = __import__("json").loads(line)["collected"]
        except (TypeError, ValueError, KeyError):
            pass
        # a free-threaded collector holds what it found unreachable on
        # its own list until it deletes them, finalizers or not, and
        # counts them all (Python/gc_free_threading.c delete_garbage)
        want = got["tracked"] - (0 if interp.free_threaded else len(freed))
        hstest.ok(collected == want and collected == info["truth_collected"],
                  "%s: gc.collect() in the target returns heapscope's tracked count less "
                  "what finalizers freed, if not free-threaded (%s)" % (name, collected),
                  "gc.collect() %s, heapscope tracked %d, freed by finalizers %d, child %s"
                  % (collected, got["tracked"], len(freed), info["truth_collected"]))


for args in (["--by", "size"], ["--type", "list"]):
    p = hstest.run(["garbage"] + args + [os.devnull])
    hstest.ok(p.returncode == EUSAGE and "%s is not an option of garbage" % args[0] in p.stderr
              and "hint:" in p.stderr and not p.stdout,
              "garbage %s: usage error, exit 2" % " ".join(args), p.stderr)
check_wide_note()
hstest.for_each_interpreter(check_interp, "garbage")
