"""test_attach - attaching never hurts the target.

Against fixtures/attach_target.py (records every signal it gets, counts in
a worker thread, checks its sleeps), for Debian's python3.11 and one pyenv
build:

1. 200 attach/detach cycles in a row: every run exits 0, the target saw
   no signal and no error, and its counter went on.
2. heapscope killed while the target is frozen (SIGKILL, and SIGTERM,
   SIGINT, SIGHUP caught by its handlers): the target runs on, untraced.
3. The target killed while heapscope holds it: heapscope says "target
   exited" (status 7) on one line, no crash.
4. A target stopped with SIGSTOP stays stopped, also when heapscope is
   SIGKILLed while holding it; a running one runs on.  A signal sent to
   the target while it is frozen arrives once, after heapscope lets go.
5. ptrace refused: another tracer (status 6, its pid named), and an
   unprivileged user against a root process (status 6, explained).

The "frozen" moments use heapscope's test hook: with
HEAPSCOPE_TEST_STOP_AT=attached it stops itself (SIGSTOP) right after
attaching.
"""

import json
import os
import shutil
import signal
import subprocess
import time

import hstest

FIXTURE = "attach_target.py"
ATTACHES = 200
GONE_STATUS = 7
EPERM_STATUS = 6


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def tracer_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def wait_for(pred, timeout=10.0, step=0.01):
    """Poll pred() until true or timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    v = pred()
    while not v and time.monotonic() < deadline:
        time.sleep(step)
        v = pred()
    return v


def report(fx):
    fx.send("report")
    line = fx.readline(timeout=30)
    if not line:
        raise RuntimeError("fixture did not answer 'report'")
    return json.loads(line)


def runs_on(fx, wait=0.3):
    """(ok, diag): fixture running, untraced, counter advancing."""
    st = wait_for(lambda: proc_state(fx.pid) not in ("t", "T") and proc_state(fx.pid),
                  timeout=5)
    tr = tracer_of(fx.pid)
    try:
        a = report(fx)
        time.sleep(wait)
        b = report(fx)
    except (RuntimeError, ValueError, OSError) as e:
        return False, "fixture does not answer: %s (state %s)" % (e, proc_state(fx.pid))
    good = (proc_state(fx.pid) not in ("t", "T", "Z", None) and tr == 0 and
            b["count"] > a["count"] and b["worker_alive"])
    return good, "state %s, TracerPid %s, count %d -> %d, worker alive %s" % (
        st, tr, a["count"], b["count"], b["worker_alive"])


def clean(fx, expect_signals=()):
    """(ok, diag): the fixture saw exactly expect_signals and no error."""
    r = report(fx)
    good = r["signals"] == list(expect_signals) and not r["errors"]
    return good, "signals %s (expected %s), errors %s" % (
        r["signals"], list(expect_signals), r["errors"])


def start_held(interp, pid, args=("stacks",)):
    """Start heapscope with the test hook and wait until it has stopped
    itself with the target frozen.  Returns (Popen, error or None)."""
    env = dict(os.environ)
    env.update(interp.env)
    env["HEAPSCOPE_TEST_STOP_AT"] = "attached"
    p = subprocess.Popen([hstest.HEAPSCOPE] + list(args) + [str(pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, preexec_fn=hstest.default_signals)
    st = wait_for(lambda: p.poll() is not None or proc_state(p.pid) == "T",
                  timeout=60)
    if p.poll() is not None or not st:
        err = ""
        if p.poll() is None:
            p.kill()
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return None, "heapscope did not stop in the hook (status %s): %s" % (
            p.returncode, (err or "").strip())
    return p, None


def finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out, err


def case_repeat(interp):
    name = "%s: %d attaches in a row" % (interp.name, ATTACHES)
    with hstest.Fixture(interp.exe, FIXTURE) as fx:
        before = report(fx)
        failures = []
        for i in range(ATTACHES):
            p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
            if p.returncode != 0:
                failures.append("run %d: status %d: %s" % (i, p.returncode,
                                                          p.stderr.strip()))
                if len(failures) >= 5:
                    break
        hstest.ok(not failures, name + ": every run exits 0", failures)
        good, d = clean(fx)
        hstest.ok(good, name + ": target saw no signal and no error", d)
        after = report(fx)
        hstest.ok(after["count"] > before["count"] and after["worker_alive"],
                  name + ": target's worker thread went on",
                  "count %d -> %d" % (before["count"], after["count"]))
        good, d = runs_on(fx)
        hstest.ok(good, name + ": target running and untraced afterwards", d)


def case_kill_heapscope(interp):
    name = "%s: heapscope killed while attached" % interp.name
    with hstest.Fixture(interp.exe, FIXTURE) as fx:
        for i in range(3):
            p, e = start_held(interp, fx.pid)
            if not p:
                hstest.ok(False, "%s: SIGKILL #%d" % (name, i + 1), e)
                return
            frozen = proc_state(fx.pid) == "t" and tracer_of(fx.pid) == p.pid
            p.kill()
            st, _, _ = finish(p)
            good, d = runs_on(fx)
            hstest.ok(frozen and good and st == -signal.SIGKILL,
                      "%s: SIGKILL #%d: target runs on" % (name, i + 1),
                      "frozen in hook: %s; heapscope status %s; %s" % (frozen, st, d))
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            p, e = start_held(interp, fx.pid)
            if not p:
                hstest.ok(False, "%s: %s" % (name, sig.name), e)
                continue
            frozen = proc_state(fx.pid) == "t"
            os.kill(p.pid, sig)
            os.kill(p.pid, signal.SIGCONT)
            st, _, err = finish(p)
            good, d = runs_on(fx)
            hstest.ok(frozen and good and st == -sig,
                      "%s: %s then SIGCONT: target runs on, heapscope dies of %s" %
                      (name, sig.name, sig.name),
                      "frozen in hook: %s; heapscope status %s %s; %s" %
                      (frozen, st, err.strip(), d))
        good, d = clean(fx)
        hstest.ok(good, name + ": target saw no signal and no error", d)


def case_target_exits(interp):
    name = "%s: target killed while attached" % interp.name
    fx = hstest.Fixture(interp.exe, FIXTURE)
    try:
        p, e = start_held(interp, fx.pid)
        if not p:
            hstest.ok(False, name, e)
            return
        fx.proc.kill()
        # the dead threads are heapscope's to reap: they stay zombies
        time.sleep(0.1)
        os.kill(p.pid, signal.SIGCONT)
        st, out, err = finish(p)
        hstest.ok(st == GONE_STATUS and hstest.one_line(err),
                  name + ": heapscope says 'target exited' (status %d)" % GONE_STATUS,
                  "status %s, stderr: %s" % (st, err.strip()))
        hstest.ok(st is not None and 0 <= st < 128, name + ": heapscope did not crash",
                  "status %s" % st)
        try:
            rc = fx.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        hstest.ok(rc == -signal.SIGKILL, name + ": its parent collects the target",
                  "wait status %s" % rc)
    finally:
        fx.stop()


def case_stopped_target(interp):
    name = "%s: stopped target" % interp.name
    with hstest.Fixture(interp.exe, FIXTURE) as fx:
        os.kill(fx.pid, signal.SIGSTOP)
        wait_for(lambda: proc_state(fx.pid) == "T", timeout=10)
        p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
        time.sleep(0.1)
        st = proc_state(fx.pid)
        hstest.ok(p.returncode == 0 and st == "T" and tracer_of(fx.pid) == 0,
                  name + ": stays stopped after heapscope stacks",
                  "status %d, state %s, TracerPid %s, stderr %s" %
                  (p.returncode, st, tracer_of(fx.pid), p.stderr.strip()))
        h, e = start_held(interp, fx.pid)
        if h:
            h.kill()
            finish(h)
            time.sleep(0.1)
            st = proc_state(fx.pid)
            hstest.ok(st == "T" and tracer_of(fx.pid) == 0,
                      name + ": stays stopped when heapscope is SIGKILLed",
                      "state %s, TracerPid %s" % (st, tracer_of(fx.pid)))
        else:
            hstest.ok(False, name + ": stays stopped when heapscope is SIGKILLed", e)
        os.kill(fx.pid, signal.SIGCONT)
        good, d = runs_on(fx)
        hstest.ok(good, name + ": runs again after SIGCONT", d)
        # SIGSTOP cannot be caught; the SIGCONT we sent is the only signal
        good, d = clean(fx, ["SIGCONT"])
        hstest.ok(good, name + ": no signal but our SIGCONT", d)
        p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
        good, d = runs_on(fx)
        hstest.ok(p.returncode == 0 and good, name + ": a running one runs on", d)


def case_signal_while_frozen(interp):
    name = "%s: signal sent while frozen" % interp.name
    with hstest.Fixture(interp.exe, FIXTURE) as fx:
        expect = []
        for how in ("heapscope finishes", "heapscope SIGKILLed"):
            p, e = start_held(interp, fx.pid)
            if not p:
                hstest.ok(False, "%s: %s" % (name, how), e)
                continue
            os.kill(fx.pid, signal.SIGUSR1)
            time.sleep(0.05)
            if how == "heapscope finishes":
                os.kill(p.pid, signal.SIGCONT)
            else:
                p.kill()
            st, _, err = finish(p)
            expect.append("SIGUSR1")
            wait_for(lambda: len(report(fx)["signals"]) >= len(expect), timeout=5,
                     step=0.05)
            good, d = clean(fx, expect)
            want = 0 if how == "heapscope finishes" else -signal.SIGKILL
            hstest.ok(good and st == want,
                      "%s: %s: delivered exactly once" % (name, how),
                      "heapscope status %s %s; %s" % (st, err.strip(), d))


def unprivileged_cmd():
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--"]
    return None


def case_refused(interp):
    name = "%s: ptrace refused" % interp.name
    with hstest.Fixture(interp.exe, FIXTURE) as fx:
        holder, e = start_held(interp, fx.pid)
        if not holder:
            hstest.ok(False, name + ": another tracer", e)
        else:
            p = hstest.run(["stacks", str(fx.pid)], env=interp.env)
            os.kill(holder.pid, signal.SIGCONT)
            hst, _, herr = finish(holder)
            hstest.ok(p.returncode == EPERM_STATUS and
                      ("traced by %d" % holder.pid) in p.stderr and
                      hstest.one_line(p.stderr),
                      name + ": another tracer: status %d naming its pid" % EPERM_STATUS,
                      "status %d, stderr: %s" % (p.returncode, p.stderr.strip()))
            hstest.ok(hst == 0, name + ": the first tracer finishes normally",
                      "status %s: %s" % (hst, herr.strip()))

        if os.geteuid() != 0:
            hstest.skip(name + ": unprivileged user",
                        "needs root to run heapscope as another user")
        elif not unprivileged_cmd():
            hstest.skip(name + ": unprivileged user", "neither setpriv nor runuser here")
        else:
            env = dict(os.environ)
            env.update(interp.env)
            p = subprocess.run(unprivileged_cmd() + [hstest.HEAPSCOPE, "stacks",
                                                     str(fx.pid)],
                               capture_output=True, text=True, env=env, timeout=120)
            if p.returncode in (126, 127) or (p.returncode != EPERM_STATUS and
                                              "Permission denied" in p.stderr and
                                              "heapscope:" not in p.stderr):
                hstest.skip(name + ": unprivileged user",
                            "user nobody cannot run %s" % hstest.HEAPSCOPE)
            else:
                hstest.ok(p.returncode == EPERM_STATUS and str(fx.pid) in p.stderr and
                          "hint:" in p.stderr and hstest.one_line(p.stderr),
                          name + ": unprivileged user: status %d, cause and hint" %
                          EPERM_STATUS,
                          "status %d, stderr: %s" % (p.returncode, p.stderr.strip()))
        good, d = runs_on(fx)
        hstest.ok(good, name + ": target runs on", d)
        good, d = clean(fx)
        hstest.ok(good, name + ": target saw no signal and no error", d)


def held_as_nobody():
    """A Python process of user nobody (Debian's interpreter: pyenv's live
    under /root, which nobody cannot read)."""
    cmd = unprivileged_cmd()
    return subprocess.Popen(cmd + ["/usr/bin/python3.11", "-c",
                                   "import time\nprint('ready', flush=True)\n"
                                   "time.sleep(1000)"],
                            stdout=subprocess.PIPE, text=True)


def case_no_cap():
    """Root without CAP_SYS_PTRACE (a container's root) against another
    user's process: refused, and the message says which capability."""
    name = "debian-3.11: ptrace refused without CAP_SYS_PTRACE"
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv or not unprivileged_cmd():
        hstest.skip(name, "needs root and setpriv")
        return
    if not os.access("/usr/bin/python3.11", os.X_OK):
        hstest.skip(name, "needs /usr/bin/python3.11 for a process of user nobody")
        return
    proc = held_as_nobody()
    try:
        proc.stdout.readline()
        p = subprocess.run([setpriv, "--bounding-set=-sys_ptrace", hstest.HEAPSCOPE,
                            "stacks", str(proc.pid)], capture_output=True, text=True,
                           timeout=60)
        hstest.ok(p.returncode == EPERM_STATUS and "CAP_SYS_PTRACE" in p.stderr and
                  "--cap-add=SYS_PTRACE" in p.stderr and hstest.one_line(p.stderr),
                  name + ": status %d, names the capability and the container fix"
                  % EPERM_STATUS, "status %d, stderr: %s" % (p.returncode, p.stderr))
        hstest.ok(proc.poll() is None and tracer_of(proc.pid) == 0,
                  name + ": target runs on, untraced")
    finally:
        proc.kill()
        proc.wait()


def case_yama():
    """kernel.yama.ptrace_scope = 2 (admin only): a plain user is refused
    and told why.  The old value is put back."""
    name = "debian-3.11: ptrace refused by yama"
    knob = "/proc/sys/kernel/yama/ptrace_scope"
    if not os.path.exists(knob):
        hstest.skip(name, "this kernel has no Yama LSM (%s missing)" % knob)
        return
    if os.geteuid() != 0 or not unprivileged_cmd() or \
            not os.access("/usr/bin/python3.11", os.X_OK):
        hstest.skip(name, "needs root, setpriv or runuser, and /usr/bin/python3.11")
        return
    with open(knob) as f:
        old = f.read().strip()
    if old == "3":
        hstest.skip(name, "ptrace_scope is 3: ptrace is off until reboot")
        return
    proc = held_as_nobody()
    try:
        proc.stdout.readline()
        with open(knob, "w") as f:
            f.write("2")
        try:
            p = subprocess.run(unprivileged_cmd() + [hstest.HEAPSCOPE, "stacks",
                                                     str(proc.pid)],
                               capture_output=True, text=True, timeout=60)
        finally:
            with open(knob, "w") as f:
                f.write(old)
        hstest.ok(p.returncode == EPERM_STATUS and "ptrace_scope" in p.stderr and
                  hstest.one_line(p.stderr),
                  name + ": status %d naming kernel.yama.ptrace_scope" % EPERM_STATUS,
                  "status %d, stderr: %s" % (p.returncode, p.stderr))
    finally:
        proc.kill()
        proc.wait()


CASES = (case_repeat, case_kill_heapscope, case_signal_while_frozen,
         case_target_exits, case_stopped_target, case_refused)
# these run once, against a process of user nobody under Debian's python3.11
ONCE = (case_no_cap, case_yama)


def chosen_interpreters():
    """Debian's python3.11 (with its debug file if there), the newest
    pyenv build present, and the 3.14 builds (GIL and free-threaded)."""
    allp = hstest.interpreters()
    res = []
    deb = [i for i in allp if i.name.startswith("debian-3.11") and
           not i.name.startswith("debian-3.11d")]
    deb_ok = [i for i in deb if i.available()]
    res.append(deb_ok[0] if deb_ok else deb[0])
    pyenv = [i for i in allp if i.name.startswith("pyenv-")]
    pyenv_ok = [i for i in pyenv if i.available()]
    res.append(pyenv_ok[-1] if pyenv_ok else pyenv[-1])
    # 3.14, and 3.14t, whose threads run truly in parallel while freezing
    res += [i for i in allp if i.name.startswith("cpython-") and i.minor == 14 and
            not i.stripped and not i.name.endswith("d")]
    return res


def main():
    if not os.access(hstest.HEAPSCOPE, os.X_OK):
        hstest.bail("no heapscope at %s" % hstest.HEAPSCOPE)
    for interp in chosen_interpreters():
        if not interp.available():
            for case in CASES:
                hstest.skip("%s: %s" % (interp.name, case.__name__), interp.why)
            continue
        for case in CASES:
            try:
                case(interp)
            except (RuntimeError, OSError, ValueError,
                    subprocess.SubprocessError) as e:
                hstest.ok(False, "%s: %s" % (interp.name, case.__name__), repr(e))
    for case in ONCE:
        try:
            case()
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
            hstest.ok(False, case.__name__, repr(e))
    hstest.done()


if __name__ == "__main__":
    main()
