"""test_files - what heapscope writes and what it reads from files.

1. Writing a snapshot or an export where it cannot: a full disk (a tmpfs
   filled to the last byte, in a mount namespace of its own) and a
   read-only file system: exit 10, one line that says why, and nothing
   left behind, neither under the name asked for nor as a temporary file.
2. Its output never goes through a symbolic link (to a file, or to a name
   that does not exist yet), --force included; an existing file is never
   replaced without --force.
3. Every file it creates is readable by its owner only (mode 0600), even
   under umask 000.
4. A damaged snapshot given to every command that reads files (the
   browser on a terminal too), through the real binary: cut short at the
   places where its structure changes and at random lengths, a bit
   flipped at random bytes, bytes that are no snapshot: exit 10, one line
   naming the file and what is wrong, a hint, no crash.  (unit-damaged
   does every length and every byte, in process.)  A FIFO (which would
   block a plain open) and a directory: refused at once.
5. heapscope runs no other program: under strace -f, no command execs
   anything, whatever the target's memory holds.
"""
import os
import pty
import random
import shutil
import stat
import subprocess
import tempfile

import hstest

EFILE = 10


def exports(snap, root, out):
    """Every way to write a file from a snapshot: (what, args)."""
    return [
        ("export sqlite", ["export", "--format", "sqlite", "-o", out + ".db", snap]),
        ("export heapsnapshot", ["export", "--format", "heapsnapshot", "-o",
                                 out + ".heapsnapshot", snap]),
        ("export meliae", ["export", "--format", "meliae", "-o", out + ".json", snap]),
        ("export dot", ["export", "--format", "dot", "--root", root, "-o", out + ".dot",
                        snap]),
    ]


# ---- 1. a full disk, a read-only file system -------------------------------

PLACE = r'''
d=$1; how=$2; shift 2
case $how in
full) mount -t tmpfs -o size=1m tmpfs "$d" || exit 77
      head -c 2m /dev/zero > "$d/fill" 2>/dev/null ;;
ro)   mount -t tmpfs -o ro,size=1m tmpfs "$d" || exit 77 ;;
esac
"$@" > /dev/null
echo "rc=$?"
ls -A "$d"
'''


def unwritable(interp, pid, snap, root, tmp):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        hstest.skip("a full disk and a read-only file system",
                    "needs root and unshare(1) for a tmpfs of its own")
        return
    d = os.path.join(tmp, "place")
    os.mkdir(d)
    cases = [("snapshot", ["snapshot", "-o", os.path.join(d, "x.hsnap"), str(pid)])]
    cases += exports(snap, root, os.path.join(d, "x"))
    # SQLite says a full disk in its own words
    for how, why in (("full", ("No space left on device", "disk is full")),
                     ("ro", ("Read-only file system",))):
        for what, args in cases:
            e = dict(os.environ)
            e.update(interp.env)
            p = subprocess.run(["unshare", "-m", "sh", "-c", PLACE, "sh", d, how,
                                hstest.HEAPSCOPE] + args,
                               capture_output=True, text=True, env=e, timeout=300)
            if p.returncode == 77:
                hstest.skip("%s: %s" % (what, how), "cannot mount a tmpfs here: " +
                            p.stderr.strip())
                continue
            lines = p.stdout.split()
            rc = int(lines[0][3:]) if lines and lines[0].startswith("rc=") else None
            left = [n for n in lines[1:] if n != "fill"]
            hstest.ok(rc == EFILE and hstest.one_line(p) and not left and
                      any(w in p.stderr for w in why),
                      "%s on %s: exit 10, says '%s', nothing left behind" % (
                          what, "a full disk" if how == "full" else "a read-only file system",
                          "' or '".join(why)),
                      "exit %s, left %s: %s" % (rc, left, p.stderr))


# ---- 2. symbolic links, existing files -------------------------------------

def links(interp, pid, snap, root, tmp):
    d = tempfile.mkdtemp(dir=tmp)
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("precious")
    link, dangling = os.path.join(d, "link"), os.path.join(d, "dangling")
    os.symlink(victim, link)
    os.symlink(os.path.join(d, "nothing-yet"), dangling)
    for target, what in ((link, "a symlink to a file"), (dangling, "a dangling symlink")):
        for force in ([], ["--force"]):
            p = hstest.run(["snapshot"] + force + ["-o", target, str(pid)], env=interp.env)
            hstest.ok(p.returncode == EFILE and hstest.one_line(p) and
                      "symbolic link" in p.stderr and open(victim).read() == "precious" and
                      os.path.islink(target) and not os.path.exists(os.path.join(
                          d, "nothing-yet")) and
                      not hstest.leftovers(d),
                      "snapshot %s-o %s: refused, exit 10, nothing written through it" % (
                          "--force " if force else "", what), p.stderr)
    for what, args in exports(snap, root, link):
        out = args[args.index("-o") + 1]
        os.symlink(victim, out)
        p = hstest.run(args, env=interp.env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "symbolic link" in p.stderr
                  and open(victim).read() == "precious",
                  "%s -o through a symlink: refused, the file it points to kept" % what,
                  p.stderr)
        os.unlink(out)
    existing = os.path.join(d, "existing.hsnap")
    with open(existing, "w") as f:
        f.write("precious")
    for what, args in [("snapshot", ["snapshot", "-o", existing, str(pid)])] + [
            (w, a[:a.index("-o") + 1] + [existing] + a[a.index("-o") + 2:])
            for w, a in exports(snap, root, existing)]:
        p = hstest.run(args, env=interp.env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "exists" in p.stderr and
                  open(existing).read() == "precious",
                  "%s over an existing file without --force: refused, the file kept" % what,
                  p.stderr)


# ---- 3. mode 0600 -----------------------------------------------------------

def modes(interp, pid, snap, root, tmp):
    d = tempfile.mkdtemp(dir=tmp)
    out = os.path.join(d, "m")
    cases = [("snapshot", ["snapshot", "-o", out + ".hsnap", str(pid)])]
    cases += exports(snap, root, out)
    for what, args in cases:
        e = dict(os.environ)
        e.update(interp.env)
        p = subprocess.run([hstest.HEAPSCOPE] + args, capture_output=True, text=True, env=e,
                           timeout=300, preexec_fn=lambda: os.umask(0))
        path = args[args.index("-o") + 1]
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
        hstest.ok(p.returncode == 0 and mode == 0o600,
                  "%s under umask 000: the file is mode 0600" % what,
                  "exit %d, mode %s: %s" % (p.returncode, oct(mode or 0), p.stderr))


# ---- 4. damaged snapshots through the binary --------------------------------

def readers(path, addr):
    return [["info", path], ["stacks", path], ["top", path], ["show", path, addr],
            ["path", path, addr], ["objects", "--type", "dict", path], ["suspects", path],
            ["garbage", path], ["diff", path, path],
            ["export", "--format", "meliae", path], ["top", "--json", path]]


def run_on_tty(args):
    """heapscope with a terminal for stdin and stdout (the browser wants
    one), stderr apart: (exit status, stderr)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.run([hstest.HEAPSCOPE] + args, stdin=slave, stdout=slave,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    return p.returncode, p.stderr


def damaged(tmp, snaps):
    rng = random.Random(6)
    bad, runs = [], 0
    for src, addr in snaps:
        data = open(src, "rb").read()
        n = len(data)
        # the header, the section table, the first sections, the end
        cuts = sorted(set([0, 1, 7, 8, 16, 127, 128, 129, 128 + 12 * 24 - 1, 128 + 12 * 24,
                           n // 2, n - 8, n - 1] + [rng.randrange(n) for _ in range(8)]))
        damages = [("cut to %d bytes" % c, data[:c]) for c in cuts if c < n]
        damages.append(("8 bytes more", data + b"\0" * 8))
        for pos in [rng.randrange(n) for _ in range(8)] + [0, 12, 20, 30, n - 1]:
            b = bytearray(data)
            b[pos] ^= 1 << rng.randrange(8)
            damages.append(("bit flipped at byte %d" % pos, bytes(b)))
        damages.append(("random bytes", bytes(rng.randrange(256) for _ in range(4096))))
        damages.append(("an empty file", b""))
        for what, content in damages:
            path = os.path.join(tmp, "damaged.hsnap")
            with open(path, "wb") as f:
                f.write(content)
            for args in readers(path, addr) + [["browse", path]]:
                if args[0] == "browse":
                    rc, err = run_on_tty(args)
                    out = ""
                else:
                    p = hstest.run(args)
                    rc, err, out = p.returncode, p.stderr, p.stdout
                runs += 1
                lines = err.strip().splitlines()
                if not (rc == EFILE and hstest.one_line(err) and len(lines) == 2 and
                        lines[0].startswith("heapscope: %s: " % path) and
                        "snapshot" in lines[1] and not out):
                    bad.append("%s, %s: exit %d: %s" % (
                        what, " ".join(args[:-1] if args[-1] == path else args), rc,
                        err.strip()))
    hstest.ok(not bad and runs, "%d runs of %d commands (the browser on a terminal among "
              "them) on damaged snapshots: each exits 10 with one line naming the file and "
              "what is wrong, and a hint" % (runs, len(readers("f", "0x1")) + 1), bad[:8])
    # what would block a plain open(): a FIFO with no writer; a directory
    fifo = os.path.join(tmp, "fifo.hsnap")
    os.mkfifo(fifo)
    bad = []
    for path in (fifo, tmp):
        for args in readers(path, "0x1000"):
            try:
                p = hstest.run(args, timeout=30)
            except subprocess.TimeoutExpired:
                bad.append("%s: hangs" % " ".join(args))
                continue
            if not (p.returncode == EFILE and hstest.one_line(p) and
                    "not a regular file" in p.stderr):
                bad.append("%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    os.unlink(fifo)
    hstest.ok(not bad, "a FIFO and a directory given as snapshots: every command refuses "
              "them at once (exit 10, not a regular file)", bad[:8])


# ---- 5. no other program --------------------------------------------------

def no_exec(interp, pid, snap, root, tmp):
    strace = shutil.which("strace")
    if not strace:
        hstest.skip("heapscope runs no other program", "strace is not installed")
        return
    d = tempfile.mkdtemp(dir=tmp)
    cases = [["snapshot", "-o", os.path.join(d, "s.hsnap"), str(pid)], ["top", str(pid)],
             ["stacks", "--native", str(pid)], ["info", str(pid)], ["garbage", str(pid)],
             ["suspects", str(pid)], ["watch", "--count", "2", "--interval", "0.2", str(pid)],
             ["diff", snap, snap], ["show", snap, root], ["path", snap, root]]
    cases += [a for _, a in exports(snap, root, os.path.join(d, "e"))]
    for args in cases:
        log = os.path.join(d, "strace.log")
        e = dict(os.environ)
        e.update(interp.env)
        # a sanitizer build's leak check stops the threads with ptrace at
        # exit, which it cannot while strace traces them
        e["ASAN_OPTIONS"] = "detect_leaks=0"
        p = subprocess.run([strace, "-f", "-qq", "-e", "trace=execve,execveat", "-o", log,
                            hstest.HEAPSCOPE] + args, capture_output=True, text=True, env=e,
                           timeout=300)
        execs = [l for l in open(log) if "exec" in l]
        hstest.ok(p.returncode == 0 and len(execs) == 1 and hstest.HEAPSCOPE in execs[0],
                  "%s: runs no other program (one execve: heapscope's own)" % args[0],
                  ["exit %d: %s" % (p.returncode, p.stderr.strip())] + execs[:5])


def main():
    interp = hstest.pick_interp()
    if interp is None:
        hstest.skip("files", "no interpreter available")
        hstest.done()
        return
    tmp = tempfile.mkdtemp(prefix="hs-files-")
    mksnap = os.path.join(hstest.BUILDDIR, "tests", "mksnap")
    small = os.path.join(tmp, "small")
    os.mkdir(small)
    have_small = subprocess.run([mksnap, small]).returncode == 0
    hstest.ok(have_small, "mksnap writes the small snapshots")
    with hstest.Fixture(interp.exe, "browse_target.py") as fx:
        snap = os.path.join(tmp, "real.hsnap")
        got, p = hstest.run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
        if not hstest.ok(got is not None, "%s: a snapshot to read" % interp.name, p.stderr):
            hstest.done()
            return
        objs, _ = hstest.run_json(["objects", "--type", "list", snap])
        root = objs["objects"][0]["address"]
        unwritable(interp, fx.pid, snap, root, tmp)
        links(interp, fx.pid, snap, root, tmp)
        modes(interp, fx.pid, snap, root, tmp)
        no_exec(interp, fx.pid, snap, root, tmp)
        hstest.ok(hstest.untouched(fx.pid), "the target runs on after all of it")
    snaps = [(snap, root)]
    if have_small:
        snaps.append((os.path.join(small, "zoo.hsnap"), "0x7f0000100040"))
    damaged(tmp, snaps)
    shutil.rmtree(tmp, ignore_errors=True)
    hstest.done()


main()
