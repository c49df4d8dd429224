#!/usr/bin/env python3
"""test_mimalloc - the mimalloc walk against a live free-threaded 3.14t.

fixtures/ft_heap.py builds a heap with blocks on every kind of list
(free, local_free, xthread_free, thread_delayed_free), an abandoned
segment, a huge block and filled freelists; it writes the ids of
gc.get_objects() and sys.getallocatedblocks() before the cross-thread
frees it then makes, and which objects those freed.  tests/mimalloc-dump
attaches to it, walks its heaps with lib/python/mimalloc.c and prints
what it found.  They must agree: the live blocks of the four heaps with
sys.getallocatedblocks() less the blocks freed after it (give or take
the few blocks made since), the tracked non-frozen objects of heaps 2
and 3 with gc.get_objects() less the freed objects (every one found, a
few made since).  Once as built, once with PYTHONMALLOC=debug (objects
16 bytes into their blocks).  Then walks of a 3.14t that runs on while
they read it (--no-stop).  Skipped where the 3.14.7t build is absent.
"""

import json
import os
import shutil
import subprocess
import tempfile

import hstest

FT_EXE = os.path.join(hstest.CPYTHON_DIR, "3.14.7t", "bin", "python3.14t")
DUMP = os.path.join(hstest.BUILDDIR, "tests", "mimalloc-dump")

# blocks and GC objects the fixture may make after its look at itself
# (the truth file's dict, the ready line, the events' locks)
MAX_LATER_BLOCKS = 16
MAX_LATER_GC = 8


def parse(out):
    vals, gc = {}, set()
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        if key == "gc":
            gc.add(int(rest, 16))
        else:
            vals[key] = rest
    return vals, gc


def scenario(name, env):
    what = "3.14.7t %s" % name
    if not os.access(FT_EXE, os.X_OK):
        hstest.skip(what, "no %s (CPython 3.14.7 built with --disable-gil)" % FT_EXE)
        return
    if not os.access(DUMP, os.X_OK):
        hstest.skip(what, "tests/mimalloc-dump not built (make check builds it)")
        return
    tmp = tempfile.mkdtemp(prefix="hs-mimalloc-")
    truth_path = os.path.join(tmp, "truth.json")
    e = {"PYTHON_GIL": "0"}
    e.update(env)
    try:
        with hstest.Fixture(FT_EXE, "ft_heap.py", [truth_path], env=e, timeout=120) as fx:
            if not fx.info.get("ready"):
                hstest.ok(False, "%s: fixture ready" % what, fx.info)
                return
            with open(truth_path) as f:
                truth = json.load(f)
            p = subprocess.run([DUMP, str(fx.pid)], capture_output=True, text=True,
                               timeout=300)
            state = fx.state()
            hstest.ok(p.returncode == 0 and fx.alive() and state not in ("t", "T"),
                      "%s: mimalloc-dump attached, walked and let the target go" % what,
                      [p.stderr, "state %s" % state])
            if p.returncode:
                return
            vals, found = parse(p.stdout)
            num = lambda k: int(vals.get(k, "-1"))
            hstest.diag("%s: %d live blocks (by heap %s), %d pages (+%d empty), "
                        "%d abandoned segments (%d pages), %d free blocks of which "
                        "%d on xthread_free and %d delayed; largest block %d"
                        % (what, num("live"),
                           "/".join(vals.get("live_tag%d" % t, "?") for t in range(4)),
                           num("pages"), num("pages_empty"), num("abandoned_segments"),
                           num("abandoned_pages"), num("free_blocks"),
                           num("xthread_blocks"), num("delayed_blocks"), num("max_bsize")))

            hstest.ok(num("debug_allocator") == (1 if env.get("PYTHONMALLOC") == "debug" else 0),
                      "%s: the debug allocator's flag reads %s" % (what,
                                                                    vals.get("debug_allocator")))
            expected = truth["allocated_blocks"] - truth["freed_blocks"]
            later = num("live") - expected
            hstest.ok(0 <= later <= MAX_LATER_BLOCKS,
                      "%s: live blocks %d = sys.getallocatedblocks() %d - %d freed since, "
                      "+%d made since" % (what, num("live"), truth["allocated_blocks"],
                                          truth["freed_blocks"], later))
            want = set(truth["gc_ids"]) - set(truth["freed_ids"])
            missing, extra = want - found, found - want
            hstest.ok(not missing and len(extra) <= MAX_LATER_GC,
                      "%s: GC objects of heaps 2-3 = gc.get_objects() less the %d freed "
                      "(%d of %d found, %d made since)" % (what, len(truth["freed_ids"]),
                                                           len(want & found), len(want),
                                                           len(extra)),
                      ["missing: %s" % sorted(missing)[:10]])
            hstest.ok(num("warnings") == 0 and num("pages_inconsistent") == 0 and
                      num("pages_skipped") == 0 and num("heaps_skipped") == 0 and
                      num("segments_skipped") == 0 and num("entries_skipped") == 0 and
                      num("lists_cut") == 0 and num("gc_bits_unreadable") == 0,
                      "%s: every page's counts add up, nothing skipped" % what,
                      vals.get("warning"))
            # what the fixture arranged: cross-thread frees after the look,
            # a thread's segment left in the pool, a block of 20 MiB
            # (the first free from another thread of a full page goes to the
            # owner heap's delayed list, later ones to the page's xthread_free)
            hstest.ok(num("xthread_blocks") + num("delayed_blocks") >= 2000 and
                      num("delayed_blocks") >= 1 and num("abandoned_segments") >= 1 and
                      num("abandoned_pages") >= 1 and num("max_bsize") >= 20 << 20 and
                      num("threads") == 2 and num("heaps") == 8,
                      "%s: %s blocks on xthread_free and %s delayed, %s abandoned segments, "
                      "a huge block, 2 threads' heaps"
                      % (what, vals.get("xthread_blocks"), vals.get("delayed_blocks"),
                         vals.get("abandoned_segments")))
            hstest.ok(num("float_freelist") >= 90 and
                      num("float_freelist_live") == num("float_freelist") and
                      num("freelist_warnings") == 0,
                      "%s: the float freelist's %s entries are live blocks of heap 1"
                      % (what, vals.get("float_freelist")))
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as ex:
        hstest.ok(False, "%s: ran" % what, str(ex))
    finally:
        shutil.rmtree(tmp, True)


def no_stop():
    """Walks of a target that runs on (--no-stop) while 8 threads allocate
    and free: each must finish, and say what did not add up rather than
    crash or loop."""
    what = "3.14.7t --no-stop on fixtures/mutator.py"
    if not os.access(FT_EXE, os.X_OK) or not os.access(DUMP, os.X_OK):
        hstest.skip(what, "no %s or tests/mimalloc-dump" % FT_EXE)
        return
    try:
        with hstest.Fixture(FT_EXE, "mutator.py", env={"PYTHON_GIL": "0"}) as fx:
            runs = []
            for _ in range(3):
                p = subprocess.run([DUMP, "--no-stop", str(fx.pid)], capture_output=True,
                                   text=True, timeout=300)
                vals, _ = parse(p.stdout)
                runs.append((p.returncode, int(vals.get("live", "0")),
                             int(vals.get("threads", "0")), int(vals.get("warnings", "0")),
                             p.stderr.strip()))
            hstest.ok(all(r[0] == 0 and r[1] > 10000 and r[2] == 9 for r in runs) and
                      fx.alive() and fx.tracer() == 0,
                      "%s: 3 walks finish, live blocks %s, warnings %s"
                      % (what, [r[1] for r in runs], [r[3] for r in runs]), runs)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as ex:
        hstest.ok(False, "%s: ran" % what, str(ex))


def main():
    scenario("release allocator", {})
    scenario("PYTHONMALLOC=debug", {"PYTHONMALLOC": "debug"})
    no_stop()
    hstest.done()


main()
