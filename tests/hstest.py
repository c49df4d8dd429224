"""hstest - shared helpers for heapscope's integration tests.

Each test script prints TAP (read by automake's tap-driver): one case per
check and per interpreter, "ok N # SKIP reason" where a case cannot run
here.  Interpreters come from pyenv (3.8-3.13 builds with DWARF, when
present), from Debian's packages (python3.11, its separate debug file,
python3.11d), and from CPython builds under /opt/cpython (HS_CPYTHON_DIR):
3.14.7 (shared, DWARF), 3.14.7d (--with-pydebug), 3.14.7t (free-threaded)
and 3.14.7-stripped (the 3.14.7 libpython without symbols, DWARF or
build-id, loaded through LD_LIBRARY_PATH); docs/internals.md says how
to build them.
"""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HEAPSCOPE = os.environ.get("HEAPSCOPE") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "heapscope")
SRCDIR = os.environ.get("HS_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.environ.get("HS_BUILDDIR") or SRCDIR
FIXTURES = os.path.join(SRCDIR, "fixtures")

# An empty folder used as debug directory to hide separate debug files.
NO_DEBUG_DIR = "/nonexistent-heapscope-debug-dir"

# heapscope's layout cache goes to a folder of this test run, so that no
# earlier run (or the user's own cache) decides where a layout comes from.
import atexit
import tempfile
_tmp = tempfile.mkdtemp(prefix="hstest-")
atexit.register(shutil.rmtree, _tmp, True)
os.environ["XDG_CACHE_HOME"] = os.path.join(_tmp, "cache")
# every temporary file of the test, of its fixtures and of heapscope
# goes there too, and with it at the end: a run leaves nothing in /tmp
tempfile.tempdir = _tmp
os.environ["TMPDIR"] = _tmp
# the Debian build without its debug file must not find DWARF results
# cached from the run with it (same build-id)
NODEBUG_CACHE = os.path.join(_tmp, "cache-nodebug")

_n = 0
_failed = 0


def sanitized():
    """Whether HEAPSCOPE is built with AddressSanitizer (./configure
    --enable-sanitizers): its memory is then not heapscope's own."""
    try:
        with open(HEAPSCOPE, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def ok(cond, name, diag=None):
    """Report one case; diag (str or list) is printed when it fails."""
    global _n, _failed
    _n += 1
    print("%sok %d - %s" % ("" if cond else "not ", _n, name))
    if not cond:
        _failed += 1
        if diag:
            for line in (diag if isinstance(diag, list) else str(diag).splitlines()):
                print("#   " + str(line))
    sys.stdout.flush()
    return cond


def skip(name, why):
    global _n
    _n += 1
    print("ok %d - %s # SKIP %s" % (_n, name, why))
    sys.stdout.flush()


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


def done():
    print("1..%d" % _n)
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)


def bail(why):
    print("Bail out! %s" % why)
    sys.exit(1)


def pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root and os.path.isdir(root):
        return root
    exe = shutil.which("pyenv")
    if exe:
        try:
            out = subprocess.run([exe, "root"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
            if out and os.path.isdir(out):
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    for cand in (os.path.expanduser("~/.pyenv"), "/root/.pyenv"):
        if os.path.isdir(cand) and os.access(cand, os.R_OK | os.X_OK):
            return cand
    return None


class Interp:
    """One interpreter build to test against."""

    def __init__(self, name, exe, minor, env=None, layout=None, why=None, stripped=False,
                 free_threaded=False):
        self.name = name          # e.g. "pyenv-3.12.1", "debian-3.11-nodebug"
        self.exe = exe            # path, or None if missing
        self.minor = minor        # 8..14
        self.env = env or {}      # extra environment for heapscope
        self.layout = layout      # layout source expected in "auto" mode
        self.why = why            # reason it is missing
        self.stripped = stripped  # no symbol table and no DWARF to be found
        self.free_threaded = free_threaded  # a --disable-gil build, run with its GIL off

    def available(self):
        return self.exe is not None and os.access(self.exe, os.X_OK)

    def __repr__(self):
        return self.name


def _debian_debug_file(exe):
    """The separate debug file of a Debian binary, by build-id, or None."""
    try:
        out = subprocess.run(["readelf", "-n", exe], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"Build ID:\s*([0-9a-f]+)", out)
    if not m:
        return None
    bid = m.group(1)
    path = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
    return path if os.path.exists(path) else None


def interpreters():
    """Every interpreter build the tests cover, present or not."""
    res = []
    root = pyenv_root()
    for minor in range(8, 14):
        exe = None
        if root:
            cands = sorted(glob.glob(os.path.join(
                root, "versions", "3.%d.*" % minor, "bin", "python3.%d" % minor)))
            cands = [c for c in cands if not re.search(r"/3\.\d+\.\d+t/", c)]
            if cands:
                exe = cands[-1]
        name = "pyenv-3.%d" % minor
        if exe:
            name = "pyenv-" + exe.split("/versions/")[1].split("/")[0]
        res.append(Interp(name, exe, minor,
                          layout="debug-offsets" if minor >= 13 else "dwarf",
                          why=None if exe else
                          "no pyenv build of 3.%d here (pyenv versions)" % minor))
    deb = "/usr/bin/python3.11"
    have = os.access(deb, os.X_OK)
    dbg = _debian_debug_file(deb) if have else None
    res.append(Interp("debian-3.11+dbg", deb if have and dbg else None, 11,
                      layout="dwarf",
                      why="/usr/bin/python3.11 missing" if not have else
                      "no separate debug file (apt-get install python3.11-dbg)"))
    res.append(Interp("debian-3.11-nodebug", deb if have else None, 11,
                      env={"HEAPSCOPE_DEBUG_DIR": NO_DEBUG_DIR,
                           "XDG_CACHE_HOME": NODEBUG_CACHE}, layout="table",
                      why="/usr/bin/python3.11 missing", stripped=True))
    debd = "/usr/bin/python3.11d"
    res.append(Interp("debian-3.11d", debd if os.access(debd, os.X_OK) else None,
                      11, layout="dwarf",
                      why="python3.11d missing (apt-get install python3.11-dbg)"))
    return _selected(res + cpython_interpreters())


def _selected(interps):
    """HS_INTERP=PATTERN[,PATTERN...] (shell patterns of names, e.g.
    'cpython-3.14*'): run only those; the others skip, saying so."""
    import fnmatch
    pats = [p for p in os.environ.get("HS_INTERP", "").split(",") if p]
    if not pats:
        return interps
    for i in interps:
        if not any(fnmatch.fnmatch(i.name, p) for p in pats):
            i.exe, i.why = None, "not selected by HS_INTERP=%s" % ",".join(pats)
    return interps


CPYTHON_DIR = os.environ.get("HS_CPYTHON_DIR", "/opt/cpython")
# the builds of each minor version made under CPYTHON_DIR for the tests
CPYTHON_VERSIONS = {14: "3.14.7"}


def _launcher(name, exe, env):
    """A script that runs exe with env set: what a test starts stands for
    the interpreter (exec keeps the pid)."""
    path = os.path.join(_tmp, "python-" + name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
        for k, v in env.items():
            f.write("%s='%s'; export %s\n" % (k, v, k))
        f.write("exec '%s' \"$@\"\n" % exe)
    os.chmod(path, 0o755)
    return path


def cpython_interpreters():
    """The builds under CPYTHON_DIR, present or not."""
    res = []
    for minor, ver in sorted(CPYTHON_VERSIONS.items()):
        base = os.path.join(CPYTHON_DIR, ver)
        built = "no %s here (build it as docs/internals.md says)" % base
        exe = os.path.join(base, "bin", "python3.%d" % minor)
        have = os.access(exe, os.X_OK)
        res.append(Interp("cpython-" + ver, exe if have else None, minor,
                          layout="debug-offsets", why=built))
        dexe = os.path.join(CPYTHON_DIR, ver + "d", "bin", "python3.%dd" % minor)
        res.append(Interp("cpython-%sd" % ver, dexe if os.access(dexe, os.X_OK) else None,
                          minor, layout="debug-offsets",
                          why="no %sd here (a --with-pydebug build)" % base))
        slib = os.path.join(CPYTHON_DIR, ver + "-stripped", "lib")
        sexe = None
        if have and os.path.isdir(slib):
            sexe = _launcher("%s-stripped" % ver, exe, {"LD_LIBRARY_PATH": slib})
        texe = os.path.join(CPYTHON_DIR, ver + "t", "bin", "python3.%dt" % minor)
        if os.access(texe, os.X_OK):
            # the GIL off, as free-threaded builds run when nothing turns it on
            texe = _launcher("%st" % ver, texe, {"PYTHON_GIL": "0"})
        else:
            texe = None
        res.append(Interp("cpython-%st" % ver, texe, minor, layout="debug-offsets",
                          why="no %st here (a --disable-gil build)" % base,
                          free_threaded=True))
        res.append(Interp("cpython-%s-stripped" % ver, sexe, minor, layout="debug-offsets",
                          stripped=True,
                          why="no %s (the libpython of %s stripped: strip --strip-all, "
                          "no .note.gnu.build-id)" % (slib, ver)))
    return res


def pick_interp():
    """One interpreter for tests that need just one: pyenv's 3.12 if it is
    here, else the first present; None if there is none."""
    avail = [i for i in interpreters() if i.available()]
    for i in avail:
        if i.name.startswith("pyenv-3.12"):
            return i
    return avail[0] if avail else None


def for_each_interpreter(check, what):
    """Run check(interp) for every interpreter present; skip the others
    with the reason they are missing; then finish the TAP stream."""
    for interp in interpreters():
        if not interp.available():
            skip("%s: %s" % (interp.name, what), interp.why)
            continue
        check(interp)
    done()


def unsupported_interpreters():
    """Pythons heapscope refuses (2.7, 3.6, 3.7), present ones only."""
    res = []
    root = pyenv_root()
    if root:
        for ver in ("2.7", "3.6", "3.7"):
            cands = sorted(glob.glob(os.path.join(root, "versions", ver + ".*",
                                                  "bin", "python" + ver)))
            if cands:
                res.append((ver, cands[-1]))
    return res


class Fixture:
    """A fixture program running under an interpreter.

    The fixture prints one JSON line on stdout once it has reached the
    state it promises (blocked at known places); .info holds it.
    """

    def __init__(self, interp_exe, script, args=(), env=None, timeout=60, same_addresses=False,
                 group=False):
        """same_addresses: without address space randomization, so that
        values made of addresses (ids, hashes of objects) are the same
        on every run, and with them the sizes of the ints holding them.
        group: in a process group of its own, which stop() kills whole
        (a fixture that starts processes of its own)."""
        self.group = group
        self.script = os.path.join(FIXTURES, script)
        e = dict(os.environ)
        e.pop("PYTHONPATH", None)
        e["PYTHONDONTWRITEBYTECODE"] = "1"
        if env:
            e.update(env)
        self.proc = subprocess.Popen([interp_exe, "-u", self.script] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=e, text=True,
                                     preexec_fn=_no_aslr if same_addresses else None,
                                     start_new_session=group)
        self.pid = self.proc.pid
        self.info = None
        line = _readline_timeout(self.proc.stdout, timeout)
        if not line:
            err = ""
            try:
                self.proc.kill()
                err = self.proc.stderr.read()
            except OSError:
                pass
            raise RuntimeError("fixture %s did not start: %s" % (script, err.strip()))
        self.info = json.loads(line)

    def alive(self):
        return self.proc.poll() is None

    def state(self):
        """Process state letter from /proc/PID/stat (R, S, T, t, Z...)."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return None

    def tracer(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def readline(self, timeout=30):
        return _readline_timeout(self.proc.stdout, timeout)

    def stop(self):
        if self.group:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _no_aslr():
    """For preexec_fn: no address space randomization (personality(2)
    ADDR_NO_RANDOMIZE), as setarch -R does."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).personality(0x0040000)


def _readline_timeout(stream, timeout):
    import select
    deadline = time.monotonic() + timeout
    fd = stream.fileno()
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        ch = os.read(fd, 1)
        if not ch:
            break
        if ch == b"\n":
            return buf.decode("utf-8", "replace")
        buf += ch
    return buf.decode("utf-8", "replace") if buf else None


def size_text(n):
    """A size in bytes as heapscope writes it everywhere (binary units,
    heap_size_text): "512 B", "12.3 KiB", "1.5 GiB"."""
    if n < 1024:
        return "%d B" % n
    units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    v, u = n / 1024.0, 0
    while v >= 1024 and u < 5:
        v /= 1024
        u += 1
    return "%.1f %s" % (1023.9 if v >= 1023.95 and u < 5 else v, units[u])


def run(args, env=None, timeout=120, input=None, one_core=False):
    """Run heapscope with args; returns CompletedProcess (text).  one_core:
    on CPU 0 only (taskset), where heapscope starts no helper thread."""
    e = dict(os.environ)
    if env:
        e.update(env)
    prefix = ["taskset", "-c", "0"] if one_core else []
    return subprocess.run(prefix + [HEAPSCOPE] + list(args), capture_output=True, text=True,
                          env=e, timeout=timeout, input=input)


def run_json(args, env=None, timeout=120):
    """Run heapscope with --json; returns (parsed or None, CompletedProcess)."""
    p = run(list(args) + ["--json"], env=env, timeout=timeout)
    try:
        return json.loads(p.stdout), p
    except ValueError:
        return None, p


def truth_and_snapshot(interp, script, snap_name, timeout=180):
    """Start a fixture that writes the interpreter's own answers to a
    file (its argument) before printing its JSON line; snapshot it.
    Returns (fixture, truth, snapshot path, snapshot --json), or None
    after reporting why (the caller stops the fixture)."""
    tmp = tempfile.mkdtemp(prefix="hs-truth-")
    truth_path = os.path.join(tmp, "truth.json")
    snap = os.path.join(tmp, snap_name)
    try:
        fx = Fixture(interp.exe, script, args=[truth_path], timeout=timeout)
    except RuntimeError as e:
        ok(False, "%s: fixture %s starts" % (interp.name, script), str(e))
        return None
    with open(truth_path) as f:
        truth = json.load(f)
    got, p = run_json(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
    if not ok(got is not None and p.returncode == 0, "%s: snapshot" % interp.name, p.stderr):
        fx.stop()
        return None
    return fx, truth, snap, got


def export_objects(snapshot, env=None):
    """heapscope's objects in a snapshot, by address, from its meliae
    export: {address: {"type", "size", "refs", "value"...}}."""
    p = run(["export", "--format", "meliae", snapshot], env=env, timeout=300)
    objs = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        # meliae writes an int's value as a number; the tests compare text
        if isinstance(o.get("value"), int) and not isinstance(o.get("value"), bool):
            o["value"] = str(o["value"])
        objs[o["address"]] = o
    return objs


def wait_state(pid, letter, timeout=60):
    """Wait until process pid is in state letter (T: stopped); False if
    it is not by then, or is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == letter:
                    return True
        except OSError:
            return False
        time.sleep(0.01)
    return False


def wait_syscall(pid, nr, timeout=60):
    """Wait until process pid is blocked in system call nr (x86-64
    numbers: 0 read), as /proc/PID/syscall says; False if it is not by
    then.  A fixture that printed its line may still be finishing the
    print when the test reads it: this is when it has stopped moving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/syscall" % pid) as f:
                if f.read().split(" ", 1)[0] == str(nr):
                    return True
        except OSError:
            return False
        time.sleep(0.005)
    return False


def one_line(p):
    """p's stderr (p: a CompletedProcess, or the text) is one 'heapscope:'
    line and at most one 'hint:' line (warnings and notes about the
    capture aside): how every error is said."""
    err = p if isinstance(p, str) else p.stderr
    lines = [l for l in err.strip().splitlines()
             if not l.startswith(("heapscope: warning:", "heapscope: capture:"))]
    return (1 <= len(lines) <= 2 and lines[0].startswith("heapscope: ")
            and (len(lines) == 1 or lines[1].startswith("hint: ")))


def default_signals():
    """For preexec_fn: heapscope sees SIGINT, SIGHUP... as a terminal would
    send them, even when make runs the tests with some of them ignored."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
              signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def proc_status(pid):
    """/proc/PID/status as a dict of stripped strings, or None if gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict((k, v.strip()) for k, v in
                        (l.split(":", 1) for l in f if ":" in l))
    except OSError:
        return None


def untouched(pid):
    """Every thread of the process runs (sleeping or running, not
    stopped), nobody traces it and no signal is pending for it or the
    process: as heapscope must leave it."""
    try:
        tids = [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    except OSError:
        return False
    for tid in tids:
        st = proc_status(tid)
        if st is None:
            continue        # a thread that ended meanwhile
        if (st["State"].split()[0] not in ("S", "R") or st["TracerPid"] != "0" or
                int(st["SigPnd"], 16) or int(st["ShdPnd"], 16)):
            return False
    return bool(tids)


def leftovers(d):
    """heapscope's temporary files left in folder d."""
    return [n for n in os.listdir(d) if n.startswith(".heapscope-")]


def unused_pid():
    """A pid that no process has right now."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise RuntimeError("no free pid")
