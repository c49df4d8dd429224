"""Summaries of class instances: their first attributes.

fixtures/previews.py holds instances of classes with attributes in a
__dict__ (inline values from 3.11), in __slots__ and none at all, and says
for each the summary its own attributes (vars(), __slots__) give by the
documented rule: "<__main__.Session id=0 user='bob0' cart=list ...>".
heapscope's objects --json must give exactly that for each, and
"<type at 0x...>" for an instance without attributes.
"""

import os
import tempfile

import hstest


def check(interp):
    name = interp.name
    with hstest.Fixture(interp.exe, "previews.py") as fx:
        info = fx.info
        snap = os.path.join(tempfile.mkdtemp(prefix="hs-summary-"), "s.hsnap")
        _, p = hstest.run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        if not hstest.ok(p.returncode == 0, "%s: snapshot" % name, p.stderr):
            return
    got = {}
    for t in sorted({o["type"] for o in info["objects"]}):
        out, p = hstest.run_json(["objects", "--type", t, snap])
        for o in (out or {}).get("objects", []):
            got[int(o["address"], 16)] = o["summary"]
    bad = []
    for o in info["objects"]:
        want = o["want"] or "<%s at %#x>" % (o["type"], o["id"])
        if got.get(o["id"]) != want:
            bad.append("%s: %r, want %r" % (o["type"], got.get(o["id"]), want))
    hstest.ok(not bad, "%s: %d instances summarised by their first attributes as the "
              "interpreter holds them" % (name, len(info["objects"])), bad)


hstest.for_each_interpreter(check, "summaries of class instances")
