"""Sizes of objects that own memory outside themselves, against
sys.getsizeof.

fixtures/sizeof_zoo.py holds objects of every C type whose __sizeof__
counts memory beyond the object (an OrderedDict's node table, a BytesIO's
buffer, a buffered file's buffer, an array's items, a Struct's codes, a
Decimal's digits, an Element's children, itertools' index arrays, numpy
arrays' data) in the states that change the answer (empty, grown, shared,
closed, views), and of the types that use object's __sizeof__.  heapscope
must give each the size the interpreter gives, without calling it an
estimate; a __sizeof__ it cannot reproduce (one written in Python,
_pickle.Pickler's) must be flagged.  With numpy (Debian's python3-numpy
on its python3.11): a list of ten 2 MiB arrays retains at least 20 MiB,
and suspects names it; an object array's items are its referents; the
data of numpy arrays (raw numbers: no object in it) is not copied.
"""

import json
import os
import tempfile

import hstest

# sizes heapscope cannot reproduce, and says so (a __sizeof__ written in
# Python; _pickle.Pickler's counts a bytes object that is also an object
# of its own)
FLAGGED = {"py_sizeof", "pickler"}
MIB = 1 << 20


def check(interp):
    name = interp.name
    flagged = set(FLAGGED)
    big = None
    if interp.free_threaded:
        # a BytesIO counts its buffer when the thread calling getsizeof
        # is the buffer's only holder: no reader from outside knows that
        flagged |= {"bio_shared", "bio_written", "bio_got", "bio_closed"}
    with hstest.Fixture(interp.exe, "sizeof_zoo.py", timeout=120) as fx:
        info = fx.info
        snap = os.path.join(tempfile.mkdtemp(prefix="hs-sizeof-"), "s.hsnap")
        got, p = hstest.run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None and p.returncode == 0, "%s: snapshot" % name,
                         p.stderr):
            return
        if info["numpy"]:
            # the same process with 120 MiB more of array data
            fx.send("big")
            big = json.loads(fx.readline(timeout=60) or "{}")
            snap2 = snap + ".big"
            got2, p2 = hstest.run_json(["snapshot", "-o", snap2, str(fx.pid)],
                                       env=interp.env)
    wrong, flags_wrong = [], []
    for o in info["objects"]:
        show, p = hstest.run_json(["show", "-n", "0", snap, hex(o["id"])])
        if show is None:
            wrong.append("%s (%s): not found: %s" % (o["name"], o["type"], p.stderr.strip()))
            continue
        est = "size-estimated" in show.get("flags", [])
        if o["name"] in flagged:
            if not est:
                flags_wrong.append("%s (%s): %d, not flagged" % (o["name"], o["type"],
                                                                 show["size"]))
            continue
        if show["size"] != o["size"] or est:
            wrong.append("%s (%s): %d%s, sys.getsizeof %d" % (
                o["name"], o["type"], show["size"], " (estimate)" if est else "", o["size"]))
    names = sorted(o["name"] for o in info["objects"] if o["name"] not in flagged)
    hstest.ok(not wrong, "%s: %d objects' sizes equal sys.getsizeof, none flagged%s" % (
        name, len(names), " (numpy %s among them)" % info["numpy"] if info["numpy"] else ""),
        wrong + ["checked: " + " ".join(names)])
    hstest.ok(not flags_wrong, "%s: the %d sizes heapscope cannot reproduce (a __sizeof__ "
              "written in Python, _pickle.Pickler's) are flagged size-estimated"
              % (name, len(flagged)), flags_wrong)
    top, p = hstest.run_json(["top", "--json", "-n", "100000", snap])
    types = {t["type"]: t for t in (top or {}).get("types", [])}
    sized = types.get("__main__.Sized", {})
    est_types = sorted(t for t, v in types.items() if v["size_estimated"])
    # the types of the objects checked above: none of their sizes is an estimate
    exact = {o["type"].replace("builtins.", "") for o in info["objects"]
             if o["name"] not in flagged}
    hstest.ok(top is not None and sized.get("size_estimated") == sized.get("size", -1) > 0 and
              top["size_estimated"] == sum(v["size_estimated"] for v in types.values()) and
              not exact & set(est_types),
              "%s: top says how much of the sizes is estimated: %d bytes, of %s"
              % (name, (top or {}).get("size_estimated", -1), ", ".join(est_types)),
              [p.stderr, str(sized)])
    if not info["numpy"]:
        hstest.skip("%s: retained size and suspects of a list of numpy arrays" % name,
                    "numpy does not import here (Debian's python3-numpy is for its "
                    "python3.11)")
        return
    holder = info["holder"]
    show, p = hstest.run_json(["show", "-n", "0", snap, hex(holder["id"])])
    ret = (show or {}).get("retained", 0)
    hstest.ok(ret >= 20 * MIB and ret >= holder["size"],
              "%s: a list of ten 2 MiB arrays retains %.1f MiB (its items' sizes: %.1f MiB)"
              % (name, ret / MIB, holder["size"] / MIB), p.stderr)
    sus, p = hstest.run_json(["suspects", snap])
    points = [s["point"] for s in (sus or {}).get("suspects", [])]
    hstest.ok(points and int(points[0]["address"], 16) == holder["id"],
              "%s: suspects names that list first" % name,
              [str(points)[:800], p.stderr])
    objs = {o["name"]: o for o in info["objects"]}
    show, p = hstest.run_json(["show", "-n", "0", snap, hex(objs["np_objects_big"]["id"])])
    hstest.ok((show or {}).get("referents_total", 0) >= 300000,
              "%s: an object array's 300,000 items are its referents (%s, with its base "
              "and dtype)" % (name, (show or {}).get("referents_total")), p.stderr)
    if not hstest.ok(got2 is not None and p2.returncode == 0 and big.get("bytes"),
                     "%s: snapshot with 120 MiB more of numpy data" % name, p2.stderr):
        return
    top1, _ = hstest.run_json(["top", "--json", "-n", "0", snap])
    top2, _ = hstest.run_json(["top", "--json", "-n", "0", snap2])
    more = top2["copied_bytes"] - top1["copied_bytes"]
    sizes = [hstest.run_json(["show", "-n", "0", snap2, hex(a)])[0]["size"] for a in big["big"]]
    hstest.ok(more < big["bytes"] // 20 and all(s > 40 * MIB for s in sizes),
              "%s: their data is not copied (%.1f MiB more copied for %.0f MiB of arrays), "
              "their sizes count it (%s)" % (name, more / MIB, big["bytes"] / MIB,
                                             ", ".join("%.1f MiB" % (s / MIB) for s in sizes)))


hstest.for_each_interpreter(check, "sizes of C types with their own __sizeof__")
