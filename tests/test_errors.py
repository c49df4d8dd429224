"""Errors a user will meet: one line (plus a hint), a distinct exit
status, and the target untouched."""
import os
import re
import struct
import shutil
import subprocess
import tempfile
import time

import hstest

ENOPROC, ENOTPYTHON, EUNSUPPORTED, EUSAGE, EFILE = 3, 4, 5, 2, 10



def newer_python():
    """A Python newer than heapscope reads: a copy of 3.14's libpython
    whose Py_Version and _Py_DebugOffsets say 3.15.0 (the interpreter
    runs as before: only these words change).  Refused, the version
    named, the supported range said, and no hint to upgrade."""
    ver = hstest.CPYTHON_VERSIONS.get(14)
    base = os.path.join(hstest.CPYTHON_DIR, ver or "", "lib")
    lib = os.path.join(base, "libpython3.14.so.1.0")
    exe = os.path.join(hstest.CPYTHON_DIR, ver or "", "bin", "python3.14")
    if not ver or not os.path.exists(lib) or not os.access(exe, os.X_OK):
        hstest.skip("a newer Python refused", "no %s (a 3.14 build to disguise)" % lib)
        return
    d = tempfile.mkdtemp(prefix="hs-newer-")
    data = bytearray(open(lib, "rb").read())
    old = struct.pack("<Q", int(subprocess.run(
        [exe, "-c", "import sys; print(sys.hexversion)"], capture_output=True,
        text=True).stdout))
    new = struct.pack("<Q", 0x030F00F0)
    syms = subprocess.run(["readelf", "-sW", "--dyn-syms", lib], capture_output=True,
                          text=True).stdout
    secs = subprocess.run(["readelf", "-SW", lib], capture_output=True, text=True).stdout
    done = 0
    # Py_Version (8 bytes in .rodata) and _Py_DebugOffsets.version, the
    # word after the cookie at the start of .PyRuntime: file offsets from
    # the section headers
    sections = [(int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16), m.group(1))
                for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)",
                                     secs)]

    def file_off(vaddr):
        for addr, off, size, _ in sections:
            if addr <= vaddr < addr + size:
                return vaddr - addr + off
        return None
    m = re.search(r"\s([0-9a-f]+)\s+8\s+OBJECT\s+GLOBAL\s+DEFAULT\s+\d+\s+Py_Version$", syms,
                  re.M)
    targets = [int(m.group(1), 16)] if m else []
    targets += [addr + 8 for addr, off, size, name in sections if name == ".PyRuntime"]
    for vaddr in targets:
        off = file_off(vaddr)
        if off is not None and data[off:off + 8] == old:
            data[off:off + 8] = new
            done += 1
    if not hstest.ok(done == 2, "a copy of libpython3.14 made to say 3.15.0 (Py_Version and "
                     "_Py_DebugOffsets)", "patched %d of 2 words" % done):
        return
    with open(os.path.join(d, "libpython3.14.so.1.0"), "wb") as f:
        f.write(data)
    env = dict(os.environ, LD_LIBRARY_PATH=d)
    proc = subprocess.Popen([exe, "-c", "import sys, time; print(1); sys.stdout.flush(); "
                             "time.sleep(1000)"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        proc.stdout.readline()
        p = hstest.run(["stacks", str(proc.pid)])
        hstest.ok(p.returncode == EUNSUPPORTED and hstest.one_line(p) and
                  "Python 3.15.0 is not supported" in p.stderr and
                  "3.8 to 3.14" in p.stderr and "upgrade" not in p.stderr and
                  "newer than this heapscope" in p.stderr,
                  "a Python newer than heapscope (3.15.0) refused: exit 5, the version and the "
                  "range named, no hint to upgrade", "exit %d: %s" % (p.returncode, p.stderr))
        hstest.ok(hstest.untouched(proc.pid), "the newer Python left untouched")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(d, True)

def kernel_thread():
    """The pid of a kernel thread (a child of kthreadd), or None."""
    for name in sorted(os.listdir("/proc")):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if st.get("PPid", "").strip() == "2":
            return int(name)
    return None


def main():
    pid = hstest.unused_pid()
    for cmd in ("stacks", "info"):
        p = hstest.run([cmd, str(pid)])
        hstest.ok(p.returncode == ENOPROC and hstest.one_line(p),
                  "%s on a pid that does not exist: exit 3, one line" % cmd,
                  "exit %d: %s" % (p.returncode, p.stderr))

    kthread = kernel_thread()
    if kthread is None:
        hstest.skip("a kernel thread: exit 4", "no kernel thread visible here (pid namespace)")
    else:
        p = hstest.run(["stacks", str(kthread)])
        hstest.ok(p.returncode == ENOTPYTHON and hstest.one_line(p) and "kernel thread" in p.stderr,
                  "a kernel thread (pid %d): exit 4, says so" % kthread,
                  "exit %d: %s" % (p.returncode, p.stderr))

    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        time.sleep(0.1)
        p = hstest.run(["stacks", str(sleeper.pid)])
        hstest.ok(p.returncode == ENOTPYTHON and hstest.one_line(p) and
                  "not a Python process" in p.stderr,
                  "a process that is not Python: exit 4",
                  "exit %d: %s" % (p.returncode, p.stderr))
        hstest.ok(hstest.untouched(sleeper.pid), "the non-Python process is left untouched")
    finally:
        sleeper.kill()
        sleeper.wait()

    unsup = hstest.unsupported_interpreters()
    if not unsup:
        hstest.skip("unsupported Python refused", "no pyenv 2.7, 3.6 or 3.7 here")
    for ver, exe in unsup:
        proc = subprocess.Popen([exe, "-c", "import sys, time; print(sys.version.split()[0]);"
                                 "sys.stdout.flush(); time.sleep(1000)"],
                                stdout=subprocess.PIPE, text=True)
        try:
            full = proc.stdout.readline().strip()
            p = hstest.run(["stacks", str(proc.pid)])
            hstest.ok(p.returncode == EUNSUPPORTED and hstest.one_line(p) and
                      ("Python %s " % full) in p.stderr,
                      "Python %s refused: exit 5, names the version" % full,
                      "exit %d: %s" % (p.returncode, p.stderr))
            hstest.ok(hstest.untouched(proc.pid), "Python %s left untouched" % full)
        finally:
            proc.kill()
            proc.wait()

    newer_python()

    # what is no process id names a snapshot file, for every command
    for cmd in ("stacks", "info", "top"):
        for bad in ("abc", "12ab"):
            p = hstest.run([cmd, bad])
            hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "cannot open %s" % bad in p.stderr
                      and "give a process id or the path of a snapshot file" in p.stderr,
                      "%s %s: no such file: exit 10, one line and the hint" % (cmd, bad),
                      "exit %d: %s" % (p.returncode, p.stderr))
    # a number that can be no process id is a usage error that says so,
    # wherever a PID is taken
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for bad in ("0", "00", str(pid_max), "99999999999999999999"):
        for args in (["stacks", bad], ["info", bad], ["top", bad], ["snapshot", bad],
                     ["show", bad, "0x1"], ["objects", "--type", "x", bad], ["browse", bad],
                     ["watch", bad], ["diff", "/nonexistent.hsnap", bad], [bad]):
            p = hstest.run(args)
            hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and
                      ("'%s' is not a process id: process ids run from 1 to %d" %
                       (bad, pid_max - 1)) in p.stderr,
                      "%s: not a process id, a usage error that says so" % " ".join(args),
                      "exit %d: %s" % (p.returncode, p.stderr))
    # ... unless a file has that name: then it is a snapshot file
    tmp = tempfile.mkdtemp(prefix="hs-errors-")
    with open(os.path.join(tmp, "0"), "wb") as f:
        f.write(b"not a snapshot")
    p = subprocess.run([hstest.HEAPSCOPE, "top", "0"], cwd=tmp, capture_output=True,
                       text=True, timeout=60)
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "snapshot" in p.stderr,
              "top 0 with a file named 0 here reads the file: exit 10",
              "exit %d: %s" % (p.returncode, p.stderr))
    shutil.rmtree(tmp, True)
    for bad in (["stacks", "-5"], ["stacks"],
                ["info", "1", "2"], ["stacks", "--layout=bogus", "1"],
                ["stacks", "--bogus", "1"], ["nosuchcommand"]):
        p = hstest.run(bad)
        hstest.ok(p.returncode == EUSAGE and hstest.one_line(p),
                  "usage error for %s: exit 2, one line" % " ".join(bad),
                  "exit %d: %s" % (p.returncode, p.stderr))
    hstest.done()


main()
