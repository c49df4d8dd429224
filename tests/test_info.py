"""heapscope info against what the interpreter reports of itself."""
import os
import re
import subprocess

import hstest

# get_objects() builds a list (one tracked object) and the report builds
# a few more that are freed before the fixture sleeps: generation 0 may
# differ by that much.  The older generations do not move: the collector
# is disabled.
GEN0_SLACK = 16


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID:\s*([0-9a-f]+)", out)
    return m.group(1) if m else None


def check(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "gc_quiet.py")
    except (RuntimeError, OSError) as e:
        hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    with fx:
        want = fx.info
        got, p = hstest.run_json(["info", str(fx.pid)], env=interp.env)
        if not hstest.ok(p.returncode == 0 and got is not None,
                         "%s: info --json" % name, p.stderr):
            return
        hstest.ok(got["python"] == want["version"] and
                  (got["version_hex"] is None or int(got["version_hex"], 16) == want["hexversion"]),
                  "%s: version %s" % (name, want["version"]),
                  "got %s %s" % (got["python"], got["version_hex"]))
        kind = "shared" if want["shared"] else "static"
        lib_ok = (got["libpython"] is not None and os.path.exists(got["libpython"])) \
            if want["shared"] else got["libpython"] is None
        hstest.ok(got["build"] == kind and lib_ok,
                  "%s: %s build, libpython %s" % (name, kind, got["libpython"]))
        hstest.ok(got["debug"] == want["debug"], "%s: debug build is %s" % (name, want["debug"]))
        hstest.ok(os.path.realpath(got["executable"]) == want["executable"],
                  "%s: executable" % name, "%s != %s" % (got["executable"], want["executable"]))
        hstest.ok(got["build_id"] == build_id(got["module"]),
                  "%s: build-id of %s" % (name, got["module"]), got["build_id"])
        hstest.ok(got["threads"] == want["threads"],
                  "%s: %d threads" % (name, want["threads"]), "got %s" % got["threads"])
        gcg = got["interpreters"][0]["gc"] if got["interpreters"] else None
        if not hstest.ok(gcg is not None, "%s: gc state read" % name, str(got)):
            return
        hstest.ok(gcg["enabled"] == want["gc_enabled"] and not gcg["collecting"],
                  "%s: gc enabled=%s" % (name, want["gc_enabled"]))
        hstest.ok([g["threshold"] for g in gcg["generations"]] == want["thresholds"],
                  "%s: gc thresholds %s" % (name, want["thresholds"]),
                  str(gcg["generations"]))
        have = [g["objects"] for g in gcg["generations"]]
        w = want["objects"]
        # a free-threaded collector has no generations: each count is of
        # every tracked object, the report's own among them
        slack = len(w) if interp.free_threaded else 1
        good = (None not in have[:slack] and
                all(abs(have[g] - w[g]) <= GEN0_SLACK for g in range(slack)) and
                have[slack:] == w[slack:])
        hstest.ok(good, "%s: objects per generation %s" % (name, w), "heapscope: %s" % have)
        hstest.ok(fx.alive() and fx.tracer() == 0, "%s: target running, untraced" % name)


hstest.for_each_interpreter(check, "info")
