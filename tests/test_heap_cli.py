"""The heap commands as a user meets them: snapshot files refused when
damaged, existing files kept, errors in one line with their exit status,
--no-stop walks of a target that mutates under them (8 threads) that
finish, report their inconsistencies and never stop the target, and
every capture saying how long it froze the target: a walk of the frozen
target announced before it starts and let go at --max-pause; --max-memory
bounding a capture, and the retained sizes computed on a snapshot file."""
import json
import os
import re
import signal
import stat
import subprocess
import tempfile
import time

import hstest

EUSAGE, EFILE, ENOMEM = 2, 10, 11
RUNS = 6


def file_errors(tmp, snap):
    p = hstest.run(["top", os.path.join(tmp, "missing.hsnap")])
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "missing.hsnap" in p.stderr,
              "top on a missing file: exit 10, one line", p.stderr)
    junk = os.path.join(tmp, "junk")
    with open(junk, "wb") as f:
        f.write(os.urandom(4096))
    p = hstest.run(["top", junk])
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "not a heapscope snapshot" in p.stderr,
              "top on random bytes: not a snapshot, exit 10", p.stderr)
    data = open(snap, "rb").read()
    cut = os.path.join(tmp, "cut.hsnap")
    with open(cut, "wb") as f:
        f.write(data[:len(data) // 2])
    for cmd in (["top", cut], ["show", cut, "0x1000"], ["path", cut, "0x1000"],
                ["objects", "--type", "dict", cut], ["export", "--format", "meliae", cut]):
        p = hstest.run(cmd)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "truncated" in p.stderr,
                  "%s on a truncated snapshot: says truncated, exit 10" % cmd[0], p.stderr)
    flip = os.path.join(tmp, "flip.hsnap")
    b = bytearray(data)
    b[len(b) * 3 // 4] ^= 0x10
    with open(flip, "wb") as f:
        f.write(b)
    p = hstest.run(["top", flip])
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "corrupt" in p.stderr,
              "top on a snapshot with a flipped bit: corrupt, exit 10", p.stderr)
    p = hstest.run(["show", snap, "0x10"])
    hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and "no object" in p.stderr,
              "show at an address with no object: exit 2", p.stderr)
    for args, what in ((["objects", snap], "objects without --type"),
                       (["top", "--by", "weight", snap], "top --by weight"),
                       (["snapshot", snap], "snapshot of a snapshot file"),
                       (["show", snap], "show without an address"),
                       (["export", snap], "export without --format")):
        p = hstest.run(args)
        hstest.ok(p.returncode == EUSAGE and "hint:" in p.stderr, "%s: usage error, exit 2"
                  % what, "exit %d: %s" % (p.returncode, p.stderr))


def killed_while_walked(interp, frozen):
    """Kill the target while heapscope walks it (frozen: past the copy
    budget) or walks its copy: exit 7, or a full answer from the copy."""
    fx = hstest.Fixture(interp.exe, "bench_heap.py", args=["20000"], timeout=120)
    args = ["top", "--json", str(fx.pid)] + (["--max-copy", "1K"] if frozen else [])
    hs = subprocess.Popen([hstest.HEAPSCOPE] + args,
                          env=dict(os.environ, HEAPSCOPE_TEST_STOP_AT="walking", **interp.env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = hstest.wait_state(hs.pid, "T")
    # the killed target is reaped only once its tracer lets it go
    fx.proc.kill()
    time.sleep(0.2)
    os.kill(hs.pid, signal.SIGCONT)
    out, err = hs.communicate(timeout=120)
    fx.stop()
    return stopped, hs.returncode, out, err


def big_payload(interp, tmp):
    """The values of big str and bytes objects are not copied whole; the
    array of a big list is."""
    fx = hstest.Fixture(interp.exe, "big_payload.py", timeout=120)
    with fx:
        snap = os.path.join(tmp, "big.hsnap")
        got, p = hstest.run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env,
                                 timeout=300)
        if not hstest.ok(got is not None, "snapshot of big values", p.stderr):
            return
        hstest.ok(got["copied_bytes"] < fx.info["payload"] // 2,
                  "%.0f MiB of big str/bytes values left uncopied: %.0f MiB copied"
                  % (fx.info["payload"] / 2**20, got["copied_bytes"] / 2**20))
    sizes = {}
    for t in ("bytes", "str", "list"):
        objs, p = hstest.run_json(["objects", "--type", t, snap])
        big = max((objs or {}).get("objects", []), key=lambda o: o["size"], default=None)
        sizes[t] = big
    ok = (sizes["bytes"] and sizes["bytes"]["size"] == fx.info["bytes"] and
          sizes["bytes"]["value"] == "b" * 65536 and
          sizes["str"] and sizes["str"]["size"] == fx.info["str"] and
          sizes["str"]["value"] == "t" * 65536 and
          "value-truncated" in sizes["str"]["flags"] and
          sizes["list"] and sizes["list"]["size"] == fx.info["list"] and
          sizes["list"]["summary"] == "list of %d" % fx.info["items"])
    hstest.ok(ok, "their sizes are exact, their values start right, the list is whole",
              [str({k: (v or {}).get("size") for k, v in sizes.items()}), str(fx.info)])


def type_names(interp, tmp):
    """objects --type: the exact name first, then every class of that
    dotted last part, then either ignoring case; no type of the name: say
    so, with the nearest names."""
    snap = os.path.join(tmp, "types.hsnap")
    with hstest.Fixture(interp.exe, "type_names.py") as fx:
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        counts = fx.info["counts"]
    if not hstest.ok(p.returncode == 0, "snapshot of type_names.py", p.stderr):
        return
    main, web, pool = (counts["__main__.Session"], counts["app.web.Session"],
                       counts["__main__.SessionPool"])
    for name, want, types in (
            ("__main__.Session", main, ["__main__.Session"]),
            ("Session", main + web, ["__main__.Session", "app.web.Session"]),
            ("web.Session", web, ["app.web.Session"]),
            ("session", main + web, ["__main__.Session", "app.web.Session"]),
            ("WEB.session", web, ["app.web.Session"]),
            ("sessionpool", pool, ["__main__.SessionPool"])):
        got, p = hstest.run_json(["objects", "--type", name, snap])
        have = sorted(set(o["type"] for o in (got or {}).get("objects", [])))
        hstest.ok(got is not None and p.returncode == 0 and got["total"] == want and
                  have == types and sorted(got.get("types") or []) == types,
                  "objects --type %s: the %d instances of %s, as the interpreter counts them"
                  % (name, want, " and ".join(types)),
                  "exit %d, %s: %s" % (p.returncode, have, p.stderr))
    p = hstest.run(["objects", "--type", "Sesion", snap])
    hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and
              "no type Sesion; did you mean __main__.Session, app.web.Session" in p.stderr,
              "objects --type Sesion: no such type, the nearest names offered, exit 2",
              "exit %d: %s" % (p.returncode, p.stderr))
    p = hstest.run(["objects", "--type", "Zzyzx", snap])
    hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and "no type Zzyzx" in p.stderr
              and "did you mean" not in p.stderr,
              "objects --type Zzyzx: no such type, nothing near, exit 2",
              "exit %d: %s" % (p.returncode, p.stderr))


def pauses(interp):
    """Each capture says its pause; a frozen walk is announced with an
    estimate first, and --max-pause lets the target go."""
    n = 600000
    with hstest.Fixture(interp.exe, "bench_heap.py", args=[str(n)], timeout=300) as fx:
        pid = str(fx.pid)
        p = hstest.run(["top", "-n", "1", pid], env=interp.env)
        said = [l for l in p.stderr.splitlines() if l.startswith("heapscope: capture:")]
        hstest.ok(p.returncode == 0 and len(said) == 1 and
                  re.search(r"process %s paused [0-9.]+ (ms|s) to copy [0-9.]+ [KMG]?i?B, "
                            r"walked in" % pid, said[0]) is not None,
                  "top PID: its text output says how long the target was paused, and for "
                  "what", p.stderr)
        p = hstest.run(["top", "-n", "1", "--max-copy", "1K", "--max-pause", "0", pid],
                       env=interp.env, timeout=300)
        lines = p.stderr.splitlines()
        warn = [i for i, l in enumerate(lines) if "over the copy budget" in l]
        said = [i for i, l in enumerate(lines) if l.startswith("heapscope: capture:")]
        hstest.ok(p.returncode == 0 and warn and said and warn[0] < said[0] and
                  re.search(r"stays frozen while it is walked, about [0-9.]+ (ms|s)",
                            lines[warn[0]]) and "walked frozen" in lines[said[0]],
                  "past the copy budget: said before, with an estimate; then the pause of "
                  "the frozen walk", p.stderr)
        # a cap well under what the walk takes frozen
        full, p = hstest.run_json(["top", "-n", "0", "--max-copy", "1K", "--max-pause", "0",
                                   pid], env=interp.env, timeout=300)
        cap = full["pause_ms"] / 1000.0 / 4 if full else 0.2
        got, p = hstest.run_json(["top", "-n", "0", "--max-copy", "1K", "--max-pause",
                                  "%.3f" % cap, pid], env=interp.env, timeout=300)
        hstest.ok(full is not None and full["mode"] == "frozen" and got is not None and
                  p.returncode == 0 and got["mode"] == "live" and got["warnings"] >= 1 and
                  cap * 1000 <= got["pause_ms"] < full["pause_ms"] and
                  got["objects"] >= n,
                  "--max-pause=%.2f s: the target let go in the middle of the walk (paused "
                  "%s ms, against %s ms frozen whole), the result marked as read running, "
                  "every object still found" % (cap, got and got["pause_ms"],
                                                 full and full["pause_ms"]),
                  [str(full)[:200], str(got)[:200], p.stderr])
        hstest.ok(hstest.untouched(fx.pid), "%s: the target runs on, untraced" % interp.name)
    for bad in ("-1", "abc", "1e9", ""):
        p = hstest.run(["top", "--max-pause", bad, "1"])
        hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and "--max-pause" in p.stderr,
                  "--max-pause '%s': a usage error" % bad, p.stderr)


def peak_run(args, env):
    """Run heapscope: (exit status, stdout, stderr, its own peak RSS from
    wait4)."""
    out, err = tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([hstest.HEAPSCOPE] + args, stdout=out, stderr=err,
                         env=dict(os.environ, **env))
    _, status, ru = os.wait4(p.pid, 0)
    out.seek(0)
    err.seek(0)
    return os.waitstatus_to_exitcode(status), out.read(), err.read(), ru.ru_maxrss * 1024


def max_memory_file(interp, snap, nobj):
    """--max-memory on a snapshot file: the file mapped counts, then what
    a command builds from it (retained sizes here).  Returns the peaks
    seen under a bound, as (what, peak, bound)."""
    rc, want, err, need = peak_run(["suspects", "--json", snap], interp.env)
    if not hstest.ok(rc == 0, "%s: suspects on the file without --max-memory" % interp.name,
                     err):
        return []
    rc, out, err, loaded = peak_run(["top", "--json", snap], interp.env)
    hstest.ok(rc == 0 and need > loaded, "%s: top on the file without --max-memory (peak %d "
              "MiB; suspects %d MiB)" % (interp.name, loaded >> 20, need >> 20), err)
    peaks = []
    # twice what the dominators took: the same answer, under the bound
    size = loaded + 2 * (need - loaded)
    rc, out, err, peak = peak_run(["suspects", "--json", "--max-memory", str(size), snap],
                                  interp.env)
    hstest.ok(rc == 0 and out == want,
              "%s: suspects on the file, --max-memory=%d MiB (twice what it takes): the "
              "same answer" % (interp.name, size >> 20), err)
    peaks.append(("suspects on the file", peak, size))
    # retained sizes of nobj objects take 16 bytes an object while they
    # are computed: 8 MiB past the file cannot hold them
    size = loaded + (8 << 20)
    rc, out, err, peak = peak_run(["suspects", "--max-memory", str(size), snap], interp.env)
    lines = err.splitlines()
    hstest.ok(rc == ENOMEM and lines and
              lines[0].startswith("heapscope: retained sizes of %d objects take about" % nobj)
              and "and --max-memory leaves" in lines[0] and not out and
              any(l.startswith("hint: raise --max-memory") for l in lines),
              "%s: suspects on the file, --max-memory=%d MiB: retained sizes do not fit; "
              "exit 11, says what and how much" % (interp.name, size >> 20), err)
    peaks.append(("suspects refused", peak, size))
    # a bound under the file itself: said at once
    rc, out, err, peak = peak_run(["top", "--max-memory", "4M", snap], interp.env)
    hstest.ok(rc == ENOMEM and "mapped, past --max-memory=4.0 MiB" in err and
              not out,
              "%s: top on the file, --max-memory=4M: the file alone is more; exit 11, says "
              "so" % interp.name, err)
    return peaks


def max_memory(interp, tmp):
    """--max-memory bounds heapscope's memory: a capture that fits is the
    same as without it; one whose copy does not fit in half is walked
    frozen, whole; one whose graph does not fit is given up, saying so;
    the peak stays under the bound."""
    n = 1000000
    with hstest.Fixture(interp.exe, "bench_heap.py", args=[str(n), "--no-walks"],
                        timeout=300) as fx:
        pid = str(fx.pid)
        snap = os.path.join(tmp, "mm.hsnap")
        rc, out, err, free_peak = peak_run(["snapshot", "--json", "-o", snap, pid],
                                           interp.env)
        base = json.loads(out) if rc == 0 else None
        if not hstest.ok(base is not None and base["objects"] > n,
                         "%s: snapshot without --max-memory" % interp.name, err):
            return
        os.rename(snap, os.path.join(tmp, "mmfile.hsnap"))
        size = 2 * free_peak
        rc, out, err, peak = peak_run(["snapshot", "--json", "--max-memory", str(size),
                                       "-o", snap, pid], interp.env)
        got = json.loads(out) if rc == 0 else {}
        hstest.ok(got.get("objects") == base["objects"] and got.get("copied_bytes") ==
                  base["copied_bytes"],
                  "%s: --max-memory=%d MiB, twice what it needs: the same capture (%s "
                  "objects, %d MiB copied)" % (interp.name, size >> 20, got.get("objects"),
                                               got.get("copied_bytes", 0) >> 20), err)
        peaks = [("twice what it needs", peak, size)]
        if os.path.exists(snap):
            os.remove(snap)
        # walked frozen (--max-copy): the block cache and the graph fit
        size = free_peak + (64 << 20)
        rc, out, err, peak = peak_run(["snapshot", "--json", "--max-memory", str(size),
                                       "--max-copy", "1K", "--max-pause", "0", "-o", snap,
                                       pid], interp.env)
        got = json.loads(out) if rc == 0 else {}
        info, _ = hstest.run_json(["info", snap]) if rc == 0 else (None, None)
        hstest.ok(got.get("objects") == base["objects"] and (info or {}).get("mode") ==
                  "frozen",
                  "%s: --max-memory=%d MiB, walked frozen: every object found"
                  % (interp.name, size >> 20), [str(got), str(info)[:200], err])
        peaks.append(("walked frozen", peak, size))
        if os.path.exists(snap):
            os.remove(snap)
        # the copy over half the bound: not copied; whole or given up, under it
        size = 2 * base["copied_bytes"] - (2 << 20)
        rc, out, err, peak = peak_run(["snapshot", "--max-memory", str(size),
                                       "--max-pause", "0", "-o", snap, pid], interp.env)
        got = (hstest.run_json(["info", snap])[0] or {}) if rc == 0 else {}
        hstest.ok("over the copy budget" in err and "half of --max-memory" in err and
                  ((rc == 0 and got.get("objects") == base["objects"]) or
                   (rc == ENOMEM and "outgrew --max-memory" in err)),
                  "%s: --max-memory=%d MiB, the %d MiB copy over half of it: not copied, "
                  "said so; %s" % (interp.name, size >> 20, base["copied_bytes"] >> 20,
                                   "every object found" if rc == 0 else "given up"),
                  [str(got), err])
        peaks.append(("the copy over half of it", peak, size))
        if os.path.exists(snap):
            os.remove(snap)
        # finding the interpreter comes first (reading DWARF when the
        # layout is not cached yet takes tens of MiB): a bound under
        # that gives up before copying or walking anything
        rc, out, err, peak = peak_run(["snapshot", "--max-memory", "8M", "-o", snap, pid],
                                      interp.env)
        lines = err.splitlines()
        hstest.ok(rc == ENOMEM and "--max-memory leaves nothing for the heap graph" in err and
                  hstest.untouched(fx.pid) and "over the copy budget" not in err and
                  any(l.startswith("hint: raise --max-memory") for l in lines) and
                  not os.path.exists(snap) and not hstest.leftovers(tmp) and
                  peak < base["copied_bytes"] // 2,
                  "%s: --max-memory=8M: given up before freezing anything, exit 11, says "
                  "why and what to do, no file, peak %d MiB" % (interp.name, peak >> 20), err)
        hstest.ok(hstest.untouched(fx.pid), "%s: the target runs on after --max-memory "
                  "captures" % interp.name)
    peaks += max_memory_file(interp, os.path.join(tmp, "mmfile.hsnap"), base["objects"])
    said = ", ".join("%s: %d MiB of %d" % (w, p >> 20, s >> 20) for w, p, s in peaks)
    if hstest.sanitized():
        hstest.skip("%s: heapscope's peak RSS under --max-memory" % interp.name,
                    "a sanitizer build's allocator adds shadow memory and keeps what is "
                    "freed (%s)" % said)
    else:
        hstest.ok(all(p <= s for _, p, s in peaks),
                  "%s: heapscope's peak RSS under --max-memory each time (%s)"
                  % (interp.name, said))
    for bad in ("-1", "abc", ""):
        p = hstest.run(["snapshot", "--max-memory", bad, "1"])
        hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and "--max-memory" in p.stderr,
                  "--max-memory '%s': a usage error" % bad, p.stderr)


def main():
    interp = hstest.pick_interp()
    if interp is None:
        hstest.skip("heap commands", "no interpreter available")
        hstest.done()
        return
    tmp = tempfile.mkdtemp(prefix="hs-cli-")
    snap = os.path.join(tmp, "m.hsnap")
    with hstest.Fixture(interp.exe, "mutator.py") as fx:
        warned = 0
        good = 0
        for _ in range(RUNS):
            got, p = hstest.run_json(["top", "--no-stop", str(fx.pid)], env=interp.env,
                                     timeout=120)
            if got and p.returncode == 0 and got["objects"] > 1000:
                good += 1
                warned += 1 if got.get("warnings") else 0
        hstest.ok(good == RUNS, "%s: %d --no-stop walks of a mutating target all finish"
                  % (interp.name, RUNS), p.stderr)
        # past the copy budget a --no-stop walk reads the running process
        got, p = hstest.run_json(["top", "--no-stop", "--max-copy", "1K", str(fx.pid)],
                                 env=interp.env, timeout=300)
        hstest.ok(got is not None and p.returncode == 0 and got["objects"] > 1000 and
                  got["mode"] == "live",
                  "%s: a --no-stop walk of the running process itself finishes" % interp.name,
                  p.stderr)
        hstest.diag("walks that met inconsistencies: %d of %d" % (warned, RUNS))
        hstest.ok(hstest.untouched(fx.pid), "the target was never stopped or left traced")

        got, p = hstest.run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        hstest.ok(got is not None and p.returncode == 0 and os.path.exists(snap),
                  "snapshot of a mutating target (frozen)", p.stderr)
        hstest.ok(stat.S_IMODE(os.stat(snap).st_mode) == 0o600,
                  "the snapshot file is readable by its owner only",
                  oct(os.stat(snap).st_mode))
        info, p = hstest.run_json(["info", snap])
        hstest.ok(info is not None and info["objects"] == got["objects"] and
                  info["pid"] == fx.pid and "mutator.py" in info["cmdline"] and
                  info["mode"] == "copy" and info["threads"] == 9,
                  "info on the snapshot: the process, the mode, what it holds",
                  [str(info), p.stderr])
        stacks, p = hstest.run_json(["stacks", snap])
        threads = (stacks or {}).get("threads", [])
        workers = [t for t in threads
                   if any(f["function"] == "work" for f in t["frames"])]
        hstest.ok(len(threads) == 9 and len(workers) == 8 and stacks["pid"] == fx.pid,
                  "stacks on the snapshot: the 8 workers in work() and the main thread",
                  [str(stacks)[:300], p.stderr])
        p = hstest.run(["stacks", "--native", snap])
        hstest.ok(p.returncode == EUSAGE and "running process" in p.stderr,
                  "stacks --native on a snapshot: usage error", p.stderr)
        before = open(snap, "rb").read()
        p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "exists" in p.stderr and
                  open(snap, "rb").read() == before,
                  "an existing file is refused and left as it was", p.stderr)
        p = hstest.run(["snapshot", "--force", "-o", snap, str(fx.pid)], env=interp.env)
        hstest.ok(p.returncode == 0 and open(snap, "rb").read() != before,
                  "--force replaces it", p.stderr)
        bad = os.path.join(tmp, "no-such-dir", "x.hsnap")
        p = hstest.run(["snapshot", "-o", bad, str(fx.pid)], env=interp.env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and not os.path.exists(bad),
                  "unwritable place: exit 10, nothing written", p.stderr)
        # killed while it captures: the temporary file goes too
        dest = os.path.join(tmp, "killed.hsnap")
        hs = subprocess.Popen([hstest.HEAPSCOPE, "snapshot", "-o", dest, str(fx.pid)],
                              env=dict(os.environ, HEAPSCOPE_TEST_STOP_AT="capturing",
                                       **interp.env),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=hstest.default_signals)
        stopped = hstest.wait_state(hs.pid, "T")
        had_tmp = bool(hstest.leftovers(tmp))
        os.kill(hs.pid, signal.SIGINT)
        os.kill(hs.pid, signal.SIGCONT)
        rc = hs.wait(timeout=60)
        hstest.ok(stopped and had_tmp and rc == -signal.SIGINT and not os.path.exists(dest),
                  "SIGINT during a capture: dies of it, no file under the name asked for",
                  "stopped %s, temporary file %s, exit %s" % (stopped, had_tmp, rc))
        hstest.ok(not hstest.leftovers(tmp), "no temporary file left behind",
                  hstest.leftovers(tmp))
        hstest.ok(hstest.untouched(fx.pid), "the target runs on after the captures")
    stopped, rc, out, err = killed_while_walked(interp, frozen=True)
    hstest.ok(stopped and rc == 7 and "exited during the capture" in err,
              "the target killed while walked frozen: exit 7, says so",
              "stopped %s, exit %s: %s" % (stopped, rc, err))
    stopped, rc, out, err = killed_while_walked(interp, frozen=False)
    hstest.ok(stopped and rc == 0 and json.loads(out or "{}").get("objects", 0) > 20000,
              "the target killed after its memory was copied: the copy is walked whole",
              "stopped %s, exit %s: %s" % (stopped, rc, err))
    big_payload(interp, tmp)
    file_errors(tmp, snap)
    type_names(interp, tmp)
    pauses(interp)
    max_memory(interp, tmp)
    hstest.done()


main()
