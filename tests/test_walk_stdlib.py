"""heapscope's walk of a whole interpreter, against the interpreter.

fixtures/stdlib_heap.py loads a good part of the standard library (C
extension types, module states, caches, compiled patterns...) and records
sys.getsizeof and gc.get_referents for every object the collector tracks
and every object those refer to - tens of thousands.  heapscope must find
every one of them; where its size or its referents differ from the
interpreter's, heapscope must have said so itself: a size it flags as an
estimate (a C type with its own __sizeof__), referents it flags as found
by a scan (a C type with its own tp_traverse).  Nothing may differ
silently.
"""

import hstest


def check_interp(interp):
    name = interp.name
    started = hstest.truth_and_snapshot(interp, "stdlib_heap.py", "s.hsnap")
    if started is None:
        return
    fx, truth, snap, got = started
    fx.stop()
    objs = hstest.export_objects(snap, interp.env)
    missing, sizes, refs = [], [], []
    for addr, tname, size, referents in truth:
        o = objs.get(addr)
        if o is None:
            missing.append("%s at %#x" % (tname, addr))
            continue
        if size >= 0 and o["size"] != size:
            sizes.append((addr, tname, o["size"], size))
        lost = set(referents) - set(o["refs"])
        if lost:
            refs.append((addr, tname, len(lost)))
    hstest.ok(not missing, "%s: all %d objects found" % (name, len(truth)), missing[:10])

    def flags(addr):
        show, _ = hstest.run_json(["show", "-n", "1", snap, hex(addr)])
        return set((show or {}).get("flags", []))

    silent = ["%s at %#x: %d, sys.getsizeof %d" % (t, a, mine, real)
              for a, t, mine, real in sizes if "size-estimated" not in flags(a)]
    hstest.ok(not silent, "%s: every size differing from sys.getsizeof (%d) is flagged "
              "as an estimate" % (name, len(sizes)), silent[:10])
    silent = ["%s at %#x: %d referents missing" % (t, a, n)
              for a, t, n in refs if "scanned" not in flags(a)]
    hstest.ok(not silent, "%s: every object missing some of gc.get_referents (%d) is "
              "flagged as scanned" % (name, len(refs)), silent[:10])
    hstest.diag("%s: %d objects, %d sizes estimated, %d referent lists from scans"
                % (name, len(truth), len(sizes), len(refs)))


hstest.for_each_interpreter(check_interp, "whole-interpreter walk")
