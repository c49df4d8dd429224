"""test_locals - stacks --locals shows each frame's arguments and local
variables as the interpreter reports them.

On every interpreter, fixtures/frame_vars.py blocks a thread in a
function whose arguments (positional, default, *args, keyword-only,
**kwargs) and locals cover every kind: the fixture reports, from inside,
each one's repr(), type, id(), len() and whether it is an argument.
heapscope stacks --locals --json must list exactly those names in that
frame, each at its id, flagged an argument exactly when it is one, with
repr()'s text for None, bool, int, float, str and bytes, "<int at ...>"
for an int past 64 bits, "list of N" (tuple, set) and "{N items}" for
containers, and "<TYPE at 0x...>" for the rest; a cell shown by what it
holds; a name never bound not at all.  The text output says the same
under "Arguments:" and "Locals:", and --locals on a snapshot is a usage
error.
"""
import subprocess

import hstest

SCALARS = ("NoneType", "bool", "int", "float", "str", "bytes")


def expected(v):
    """heapscope's short repr of a fixture variable."""
    t = v["type"]
    if t == "int" and not -2 ** 64 < int(v["repr"]) < 2 ** 64:
        return "<int at %#x>" % v["id"]
    if t in SCALARS:
        return v["repr"]
    if t in ("list", "tuple", "set", "frozenset"):
        return "%s of %d" % (t, v["len"])
    if t == "dict":
        return "{%d items}" % v["len"]
    return "<%s at %#x>" % (t, v["id"])


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "frame_vars.py", timeout=60)
    except RuntimeError as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    try:
        facts = fx.info["vars"]
        got, p = hstest.run_json(["stacks", "--locals", str(fx.pid)], env=interp.env)
        frame = None
        for t in (got or {}).get("threads", []):
            if t["native_id"] == fx.info["native_id"]:
                frame = next((fr for fr in t["frames"] if fr["function"] == "target"), None)
        if not hstest.ok(frame is not None and "locals" in frame,
                         "%s: the blocked frame has its variables" % name, p.stderr):
            return
        have = {v["name"]: v for v in frame["locals"]}
        hstest.ok(sorted(have) == sorted(facts),
                  "%s: exactly the bound names (the unbound one left out)" % name,
                  "heapscope %s, fixture %s" % (sorted(have), sorted(facts)))
        bad = []
        for vname, v in sorted(facts.items()):
            h = have.get(vname)
            want = expected(v)
            if h is None or h["value"] != want or int(h["address"], 16) != v["id"] or \
                    h["arg"] != v["arg"]:
                bad.append("%s: heapscope %s, want %r at %#x arg %s"
                           % (vname, h, want, v["id"], v["arg"]))
        hstest.ok(not bad, "%s: every value, address and argument flag as the fixture says"
                  % name, bad)
        p = hstest.run(["stacks", "-l", str(fx.pid)], env=interp.env)
        text = p.stdout
        part = text[text.find("    target ("):]
        hstest.ok(p.returncode == 0 and "Arguments:" in part and "Locals:" in part and
                  "            kwonly = 3.5\n" in part and
                  "            cellv = 'in a cell'\n" in part,
                  "%s: the text lists Arguments and Locals" % name, part[:1500])
        snap = hstest.run(["stacks", "--locals", "/nonexistent.hsnap"], env=interp.env)
        hstest.ok(snap.returncode == 2 and "--locals needs a running process" in snap.stderr,
                  "%s: --locals on a snapshot is a usage error" % name, snap.stderr)
    except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as e:
        hstest.ok(False, "%s: locals" % name, repr(e))
    finally:
        fx.stop()


if __name__ == "__main__":
    hstest.for_each_interpreter(check, "stacks --locals")
