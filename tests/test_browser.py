"""The terminal browser, driven as a person would drive it.

heapscope runs inside tmux (a real terminal emulator): keys go in with
send-keys, the screen comes out with capture-pane, and each step asserts
what is on screen against what the fixture's interpreter reports about
itself (fixtures/browse_target.py: ids, counts, names).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import hstest
from hstest import ok, skip, diag, done, Fixture

TMUX = shutil.which("tmux")
_term_no = 0


class Term:
    """heapscope in a tmux pane of its own tmux server.

    The pane runs a shell that records the terminal settings, runs
    heapscope, prints its exit status and the settings again, then waits:
    the screen after heapscope has quit tells whether it left the terminal
    as it was."""

    def __init__(self, args, cols=100, rows=30, env=None):
        global _term_no
        _term_no += 1
        self.sock = "hs-test-%d-%d" % (os.getpid(), _term_no)
        self.dir = tempfile.mkdtemp(prefix="hs-term-")
        env = dict(env or {})
        env["HS_TERM"] = self.dir     # tells which heapscope is this pane's
        envs = " ".join("%s=%s" % (k, shq(v)) for k, v in env.items())
        cmd = " ".join(shq(a) for a in [hstest.HEAPSCOPE] + list(args))
        script = ("stty -g > {d}/before; printf 'BEFORE-HEAPSCOPE\\n'; "
                  "env {e} {c}; echo \"EXIT=$?\"; stty -g > {d}/after; sleep 600"
                  ).format(d=self.dir, e=envs, c=cmd)
        self.tmux("new-session", "-d", "-x", str(cols), "-y", str(rows), "-s", "t",
                  "sh", "-c", script)

    def tmux(self, *args):
        return subprocess.run([TMUX, "-L", self.sock, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, timeout=30)

    def keys(self, *keys):
        """Type keys (tmux key names, e.g. Enter, BSpace, C-l) one by one."""
        for k in keys:
            self.tmux("send-keys", "-t", "t", k)

    def text(self, s):
        self.tmux("send-keys", "-t", "t", "-l", s)

    def screen(self, attrs=False):
        a = ["capture-pane", "-p", "-t", "t"] + (["-e"] if attrs else [])
        return self.tmux(*a).stdout

    def wait(self, pred, timeout=20):
        """Poll the screen until pred(screen) holds on a screen that has
        settled (the same on two captures in a row: a slow build, under
        sanitizers, is caught drawing half a frame); the screen, or None
        (then self.last has the last screen seen)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            self.last = s
            if pred(s):
                time.sleep(0.03)
                again = self.screen()
                if again == s or time.monotonic() > deadline:
                    return s
                continue
            if time.monotonic() > deadline:
                return None
            time.sleep(0.03)

    def wait_text(self, text, timeout=20):
        return self.wait(lambda s: text in s, timeout)

    def title(self):
        return self.screen().split("\n")[0]

    def selected(self):
        """The row drawn in reverse video below the title (the cursor)."""
        lines = self.screen(attrs=True).split("\n")
        for line in lines[1:]:
            if "\x1b[7m" in line:
                return re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip()
        return None

    def mouse(self, button, x, y, release=False):
        """An xterm SGR mouse event at column x, row y (0-based)."""
        self.text("\x1b[<%d;%d;%d%s" % (button, x + 1, y + 1, "m" if release else "M"))

    def close(self):
        self.tmux("kill-server")
        shutil.rmtree(self.dir, True)


def heapscope_pids(term):
    """The heapscope processes running in term's pane (their environment
    has the pane's HS_TERM)."""
    res = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            with open("/proc/%s/environ" % d, "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if argv0 == hstest.HEAPSCOPE.encode() and \
                ("HS_TERM=" + term.dir).encode() in environ:
            res.append(int(d))
    return res


def read_when_there(path, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                s = f.read()
            if s:
                return s
        except OSError:
            pass
        time.sleep(0.05)
    return ""


def shq(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def hexaddr(i):
    return "0x%x" % i


def wait_title(term, pattern, timeout=20):
    return term.wait(lambda s: re.search(pattern, s.split("\n")[0]) is not None, timeout)


def count_text(n):
    return "{:,}".format(n)


def session(interp):
    """The whole walk through the views on one interpreter."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "browse_target.py")
    except RuntimeError as e:
        ok(False, "%s: fixture starts" % name, str(e))
        return
    facts = fx.info
    env = dict(interp.env or {})
    env["TERM"] = "xterm"
    term = Term([str(fx.pid)], env=env)
    try:
        walk_views(term, fx, facts, name, interp.minor)
    finally:
        term.close()
        fx.stop()


def walk_views(term, fx, facts, name, minor):
    widget = "__main__.Widget"
    # (a progress line may come first: wait for the view itself)
    s = wait_title(term, "Types:", timeout=120)
    if not ok(s is not None, "%s: heapscope PID opens the Types view" % name, term.last):
        return
    ok("pid %d" % fx.pid in s and "Python %s" % facts["version"] in s and "paused" in s,
       "%s: status line: pid, Python version, objects, pause" % name, s)

    # filter as you type: only the fixture's class is left, with its count
    term.keys("f")
    term.text("Widget")
    s = term.wait(lambda s: "filter: Widget" in s.split("\n")[0])
    rows = [l for l in (s or "").split("\n")[2:-3] if l.strip() and "Widget" in l]
    ok(s is not None and len(rows) == 1 and widget in rows[0] and
       rows[0].split()[0] == count_text(facts["widgets"]),
       "%s: filter 'Widget' leaves one type, with the interpreter's count %d" %
       (name, facts["widgets"]), term.last)
    term.keys("Enter")      # ends the filter prompt
    term.keys("Enter")      # opens the row

    # Enter: the instances of the class
    s = wait_title(term, re.escape(widget) + r": [\d,]+ instances")
    ok(s is not None and "%s: %s instances" % (widget, count_text(facts["widgets"])) in s,
       "%s: Enter opens the instances of %s" % (name, widget), term.last)

    # : goes to one instance by address; its referents carry its name
    w7 = hexaddr(facts["widget7"])
    term.keys(":")
    term.text(w7)
    term.keys("Enter")
    s = wait_title(term, "Object " + w7)
    if minor <= 10:
        # before 3.11 attributes live in the instance's __dict__
        term.keys("/")
        term.text("__dict__")
        term.keys("Enter", "Enter")
        s = wait_title(term, r"Object 0x[0-9a-f]+\s+dict")
        attr = r"\['name'\]"
    else:
        attr = r"\.name"
    ok(s is not None and re.search(attr + r"\s+0x[0-9a-f]+\s+str .*'%s'" %
                                   facts["widget7_name"], s) is not None,
       "%s: ':' opens widget 7; its name is '%s'" % (name, facts["widget7_name"]), term.last)
    if minor <= 10:
        term.keys("BSpace")
        wait_title(term, "Object " + w7)

    # its referrer is the registry list, at index 7
    term.keys("/")
    term.text("[7]")
    term.keys("Enter")
    sel = None
    for _ in range(100):
        sel = term.selected()
        if sel and "[7]" in sel:
            break
        time.sleep(0.03)
    ok(sel is not None and hexaddr(facts["registry"]) in sel and "list" in sel,
       "%s: search finds the referrer: the registry list, edge [7]" % name, sel)
    term.keys("Enter")
    s = wait_title(term, "Object " + hexaddr(facts["registry"]))
    ok(s is not None and "list of %d" % facts["registry_len"] in s,
       "%s: Enter follows the referrer to the registry list" % name, term.last)

    # p: the path from a root, through the module's 'registry' name
    term.keys("p")
    s = wait_title(term, "Path from a root to " + hexaddr(facts["registry"]))
    ok(s is not None and re.search(r"\['registry'\]\s+" + hexaddr(facts["registry"]), s)
       and "root:" in s,
       "%s: p shows the path from a root ending in ['registry']" % name, term.last)

    # back through the history: list, widget 7, instances, types
    expect = ["Object " + hexaddr(facts["registry"]), "Object " + w7,
              re.escape(widget) + ": ", "Types:"]
    for i, pat in enumerate(expect):
        term.keys("BSpace" if i % 2 == 0 else "h")
        s = wait_title(term, pat)
        ok(s is not None, "%s: back %d returns to %s" % (name, i + 1, pat), term.last)
    term.keys("h")
    s = term.wait_text("this is the first view")
    ok(s is not None and "Types:" in s.split("\n")[0],
       "%s: back on the first view stays there and says so" % name, term.last)

    # threads: the worker's frame, then its local 'token'
    term.keys("T")
    s = wait_title(term, "Threads")
    ok(s is not None and re.search(r"thread %d browse-worker" % facts["worker_tid"], s)
       and re.search(r"worker_loop \(.*browse_target\.py:%d\)" % facts["worker_line"], s),
       "%s: T lists the worker thread and its frame worker_loop at line %d" %
       (name, facts["worker_line"]), term.last)
    with open(fx.script) as f:
        text = f.read().splitlines()[facts["worker_line"] - 1].strip()
    ok(s is not None and re.search(r"worker_loop \(.*browse_target\.py:%d\)\s*\n\s+%s" %
                                   (facts["worker_line"], re.escape(text[:50])), s),
       "%s: under the frame, its source line: %s" % (name, text), term.last)
    term.keys("/")
    term.text("worker_loop")
    term.keys("Enter", "Enter")
    s = wait_title(term, "Held by thread %d" % facts["worker_tid"])
    ok(s is not None and re.search(r"token\s+%s\s+__main__\.Widget" % hexaddr(facts["token"]),
                                   s) is not None,
       "%s: Enter on the frame lists its local 'token'" % name, term.last)
    term.keys("/")
    term.text("token")
    term.keys("Enter", "Enter")
    s = wait_title(term, "Object " + hexaddr(facts["token"]))
    # its name: an attribute from 3.11, in its __dict__ before
    ok(s is not None and ("'thread-token'" in s if minor >= 11 else "__dict__" in s),
       "%s: the local opens as an object" % name, term.last)
    term.keys("p")
    s = wait_title(term, "Path from a root to " + hexaddr(facts["token"]))
    # (up to 3.10 the frame is an object on the path, 'token' its edge)
    ok(s is not None and re.search(r"root: thread %d .*worker_loop" % facts["worker_tid"], s)
       and re.search(r"(^|\s)token\s", s) is not None,
       "%s: the token's root is the worker's frame, local 'token'" % name, term.last)

    # a recursion stopped at one line: each level's frame its own locals
    term.keys("T")
    wait_title(term, "Threads")
    term.keys("/")
    term.text("browse_target.py:%d)" % facts["rec_line"])
    term.keys("Enter")
    term.keys("n")
    term.keys("Enter")
    s = wait_title(term, r"Held by thread \d+ frame rec \(.*:%d\) #2" % facts["rec_line"])
    depth_rows = re.findall(r"^\s+depth\s+0x[0-9a-f]+\s+int\s+.*\s(\d+)\s*$", s or "", re.M)
    ok(s is not None and depth_rows == ["2"],
       "%s: recursion: the second frame at line %d holds its own 'depth' (2) only" %
       (name, facts["rec_line"]), [term.last, depth_rows])

    # values: escapes drawn as text, never sent; a long str in full
    term.keys(":")
    term.text(hexaddr(facts["odd"]))
    term.keys("Enter")
    s = wait_title(term, "Object " + hexaddr(facts["odd"]))
    raw = term.screen(attrs=True)
    ok(s is not None and "before?[31mRED?[0m?after" in s and "\x1b[31m" not in raw,
       "%s: escape sequences in a str are shown as text, not obeyed" % name, term.last)
    term.keys(":")
    term.text(hexaddr(facts["long_text"]))
    term.keys("Enter")
    s = wait_title(term, "Object " + hexaddr(facts["long_text"]))
    ok(s is not None and "first line" in s and "second line" in s,
       "%s: a str's lines are shown as lines" % name, term.last)
    # 4,000 characters: scroll until the end shows
    s = None
    for _ in range(12):
        term.keys("PageDown")
        s = term.wait_text("END-OF-LONG", timeout=0.5)
        if s:
            break
    ok(s is not None, "%s: the whole value scrolls into view, to END-OF-LONG" % name,
       term.last)

    # u: the unreachable cycle the fixture dropped, and nothing reachable
    # (on a free-threaded build, functions and types freed since the last
    # collection wait for the next one: they are garbage too, listed first
    # when larger, so page down to the cycle)
    term.keys("u")
    s = wait_title(term, r"Garbage: [\d,]+ unreachable object")
    first = s
    seen = s or ""
    for _ in range(20):
        if s is None or hexaddr(facts["lost"]) in s:
            break
        term.keys("PageDown")
        s = term.wait_text(hexaddr(facts["lost"]), timeout=0.5) or term.screen()
        seen += s
    ok(first is not None and re.search(r"island 1: \d+ object", first) and
       s is not None and hexaddr(facts["lost"]) in s and
       hexaddr(facts["registry"]) not in seen,
       "%s: u lists the dropped cycle as garbage" % name, term.last)
    term.keys("BSpace")
    wait_title(term, "Object " + hexaddr(facts["long_text"]))

    # help: the keys of the view, q closes it
    term.keys("?")
    s = wait_title(term, "Help: keys of the object view")
    term.keys("G")      # (the common keys go on past one screen)
    end = term.wait(lambda s: re.search(r" (\d+)/\1 ", s.split("\n")[0]) is not None)
    ok(s is not None and "path from a root" in s and end is not None and "quit" in end,
       "%s: ? shows the object view's keys and the common ones" % name, [s, term.last])
    term.keys("q")
    s = wait_title(term, "Object " + hexaddr(facts["long_text"]))
    ok(s is not None, "%s: q closes the help" % name, term.last)

    # resize: everything is laid out again for the new size, the value
    # wrapped to the new width (the second time while a prompt is open)
    for cols, rows, in_prompt in ((60, 20, False), (130, 40, True)):
        if in_prompt:
            term.keys(":")
            term.wait_text("go to address:")
        term.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))
        if in_prompt:
            term.wait(lambda s: len(s.rstrip("\n").split("\n")) >= rows - 1)
            term.keys("Escape")
        full = re.compile(r"^ {10}y{%d}$" % (cols - 10))
        s = term.wait(lambda s: len(s.rstrip("\n").split("\n")) >= rows - 1 and
                      "pid %d" % fx.pid in s.split("\n")[rows - 2] and
                      any(full.match(l) for l in s.split("\n")))
        lines = (s or "").split("\n")
        ok(s is not None and "Object" in lines[0] and lines[0].rstrip().endswith("? help"),
           "%s: resize to %dx%d%s: title at the top, status line at row %d, the value "
           "wrapped at %d columns" % (name, cols, rows, " under a prompt" if in_prompt else "",
                                      rows - 1, cols - 10), term.last)

    # mouse: a click moves the cursor, a click on it opens, the wheel moves
    term.keys("t")
    wait_title(term, "Types:")
    term.keys("g")
    term.mouse(0, 5, 5)
    term.mouse(0, 5, 5, release=True)
    s = term.wait(lambda s: re.search(r" 4/\d+ ", s.split("\n")[0]) is not None, timeout=5)
    ok(s is not None, "%s: a click selects the row under it" % name, term.last)
    term.mouse(65, 5, 5)
    s = term.wait(lambda s: re.search(r" 7/\d+ ", s.split("\n")[0]) is not None, timeout=5)
    ok(s is not None, "%s: the wheel moves down 3 rows" % name, term.last)
    term.mouse(0, 5, 8)
    term.mouse(0, 5, 8, release=True)
    s = wait_title(term, r"instances", timeout=5)
    ok(s is not None, "%s: a click on the selected row opens it" % name, term.last)

    # R: capture again; the class grew by 500 and the Types view says so
    fx.proc.stdin.write("grow 500\n")
    fx.proc.stdin.flush()
    grown = json.loads(hstest._readline_timeout(fx.proc.stdout, 30) or "{}")
    term.keys("R")
    s = term.wait_text("captured again", timeout=60)
    row = [l for l in (s or "").split("\n") if widget in l]
    ok(s is not None and row and re.search(r"\s\+500\s", row[0]) is not None and
       count_text(grown.get("widgets", -1)) in row[0] and "+count" in s,
       "%s: R captures again and shows Widget +500 (now %s)" %
       (name, grown.get("widgets")), term.last)

    # q: the terminal is left as it was, the target runs
    term.keys("q")
    s = term.wait_text("EXIT=", timeout=20)
    before = open(os.path.join(term.dir, "before")).read() if s else ""
    after = ""
    for _ in range(50):
        if os.path.exists(os.path.join(term.dir, "after")):
            after = open(os.path.join(term.dir, "after")).read()
            if after:
                break
        time.sleep(0.05)
    ok(s is not None and "EXIT=0" in s and "BEFORE-HEAPSCOPE" in s and
       "Types:" not in s,
       "%s: q exits 0 and the screen is the shell's again" % name, term.last)
    ok(before and before == after, "%s: terminal settings restored (stty -g)" % name,
       [before, after])
    state = fx.state()
    ok(fx.alive() and state in ("S", "R") and fx.tracer() == 0,
       "%s: the target runs on, not stopped, not traced (state %s)" % (name, state))


def snapshot_and_terms(interp):
    """A snapshot file in the browser; TERM=vt100 and NO_COLOR."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "browse_target.py")
    except RuntimeError as e:
        ok(False, "%s: fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-browse-")
    snap = os.path.join(tmp, "t.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot for browse FILE" % name, p.stderr):
        return
    for termname, nocolor in (("vt100", True), ("xterm", True), ("xterm", False)):
        env = {"TERM": termname}
        if nocolor:
            env["NO_COLOR"] = "1"
        how = "TERM=%s%s" % (termname, " NO_COLOR" if nocolor else "")
        term = Term(["browse", snap], cols=80, rows=24, env=env)
        try:
            s = wait_title(term, "Types:", timeout=60)
            ok(s is not None and "__main__.Widget" in s and
               "pid " in s.split("\n")[22] and s.split("\n")[0].rstrip().endswith("? help"),
               "%s: browse FILE in 80x24, %s" % (name, how), term.last)
            # the threads view has headings, drawn in colour where allowed
            term.keys("T")
            wait_title(term, "Threads")
            raw = term.screen(attrs=True)
            colour = re.search(r"\x1b\[(?:[0-9;]*;)?3[0-7](?:;[0-9;]*)?m", raw) is not None
            if nocolor or termname == "vt100":
                ok(not colour, "%s: %s: no colour on screen" % (name, how), repr(raw[:600]))
            else:
                ok(colour, "%s: %s: headings in colour" % (name, how), repr(raw[:600]))
            term.keys("R")
            s = term.wait_text("needs a running process", timeout=10)
            ok(s is not None, "%s: R on a snapshot file says it needs a process" % name,
               term.last)
            term.keys("q")
            s = term.wait_text("EXIT=0", timeout=10)
            ok(s is not None, "%s: %s: q exits 0" % (name, how), term.last)
        finally:
            term.close()
    # retained size and dominator: the same as show's, and the tree
    shown, p = hstest.run_json(["show", snap, hexaddr(fx.info["registry"])])
    term = Term(["browse", snap], cols=120, rows=40, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        s = term.screen()
        ok("retained" in s.split("\n")[1], "%s: the Types view has a retained column" % name,
           s)
        term.keys(":")
        term.text(hexaddr(fx.info["registry"]))
        term.keys("Enter")
        s = wait_title(term, "Object " + hexaddr(fx.info["registry"]))
        ok(s is not None and shown and
           "retained  %d bytes" % shown["retained"] in s and
           "dominator %s" % shown["dominator"]["address"] in s,
           "%s: the object view gives show's retained size (%s) and dominator" %
           (name, shown and shown["retained"]), [term.last, shown])
        term.keys("D")
        s = wait_title(term, "Dominator tree")
        sel = term.selected()
        lines = (s or "").split("\n")
        above = [l for l in lines if shown and shown["dominator"]["address"] + " " in l]
        # the list's row is indented below its dominator's
        ok(s is not None and sel and hexaddr(fx.info["registry"]) in sel and
           sel.startswith("+") and above and
           above[0].index(shown["dominator"]["address"]) <
           sel.index(hexaddr(fx.info["registry"])),
           "%s: D opens the dominator tree at the list, under its dominator" % name,
           [term.last, sel])
        term.keys("Enter")
        s = term.wait(lambda s: (term.selected() or "").startswith("-"), timeout=10)
        n_widgets = fx.info["widgets"] - 1
        group = re.search(r"^\+ .*\s([\d,]+) x __main__\.Widget\s*$", s or "", re.M)
        # (a widget a running frame holds too is not the list's alone)
        ok(s is not None and group and
           n_widgets - 3 <= int(group.group(1).replace(",", "")) <= n_widgets,
           "%s: Enter expands it: its %d widgets below it in one row of their type"
           % (name, n_widgets), term.last)
        term.keys("Down", "Enter")
        s = term.wait(lambda s: len(re.findall(r"\[\d+\] __main__\.Widget 0x", s)) > 10,
                      timeout=10)
        ok(s is not None, "%s: Enter on that row lists the widgets, each named by its "
           "index in the list" % name, term.last)
        term.keys("Up")
        term.wait(lambda s: hexaddr(fx.info["registry"]) in (term.selected() or ""),
                  timeout=10)
        term.keys("o")
        s = wait_title(term, "Object " + hexaddr(fx.info["registry"]))
        ok(s is not None, "%s: o opens the object of the row" % name, term.last)
        # an object inside a group: D opens the group down to it
        term.keys(":")
        term.text(hexaddr(fx.info["widget7"]))
        term.keys("Enter")
        wait_title(term, "Object " + hexaddr(fx.info["widget7"]))
        term.keys("D")
        s = term.wait(lambda s: "Dominator tree" in s and
                      hexaddr(fx.info["widget7"]) in (term.selected() or ""), timeout=10)
        ok(s is not None and "[7] __main__.Widget" in (term.selected() or ""),
           "%s: D on a widget opens the tree at it, inside its open group, named [7]"
           % name, [term.last, term.selected()])
        term.keys("q")
    finally:
        term.close()

    # killed while browsing: the terminal is put back all the same
    for sig in (signal.SIGTERM, signal.SIGHUP):
        term = Term(["browse", snap], cols=80, rows=24, env={"TERM": "xterm"})
        try:
            s = wait_title(term, "Types:", timeout=60)
            pids = heapscope_pids(term)
            for pid in pids:
                os.kill(pid, sig)
            s = term.wait_text("EXIT=", timeout=10)
            before = read_when_there(os.path.join(term.dir, "before"))
            after = read_when_there(os.path.join(term.dir, "after"))
            modes = term.tmux("display", "-p", "-t", "t",
                              "#{mouse_any_flag}#{keypad_flag}").stdout.strip()
            ok(pids and s is not None and "EXIT=%d" % (128 + sig) in s and
               "Types:" not in s and before and before == after and modes == "00",
               "%s: %s while browsing: terminal settings, screen, mouse and keypad modes "
               "restored" % (name, signal.Signals(sig).name),
               [term.last, before, after, "mouse, keypad: " + modes])
        finally:
            term.close()
    # not a terminal: a clear error, not a garbled screen
    p = hstest.run(["browse", snap])
    ok(p.returncode == 2 and "needs a terminal" in p.stderr,
       "%s: browse without a terminal fails with a hint (exit %d)" % (name, p.returncode),
       p.stderr)
    shutil.rmtree(tmp, True)


def fixture_snapshot(interp, script, what, args=(), timeout=90):
    """A snapshot of fixture script (reported as what) in a new folder:
    (folder, snapshot path, the fixture's info), or None (reported)."""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-browse-")
    try:
        fx = Fixture(interp.exe, script, args=[a.replace("{tmp}", tmp) for a in args],
                     timeout=timeout)
    except RuntimeError as e:
        ok(False, "%s: %s fixture starts" % (name, what), str(e))
        shutil.rmtree(tmp, True)
        return None
    snap = os.path.join(tmp, "s.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot of the %s" % (name, what), p.stderr):
        shutil.rmtree(tmp, True)
        return None
    return tmp, snap, fx.info


def suspects_view(interp):
    """L: the same suspects, in the same words, as heapscope suspects."""
    name = interp.name
    got = fixture_snapshot(interp, "leak_pool.py", "leaking pool",
                           args=["{tmp}/t.json", "3000"], timeout=120)
    if not got:
        return
    tmp, snap, _ = got
    sus, p = hstest.run_json(["suspects", snap])
    first = sus["suspects"][0] if sus and sus.get("suspects") else None
    term = Term(["browse", snap], cols=200, rows=40, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("L")
        s = wait_title(term, "Leak suspects: ")
        ok(s is not None and first and ("1. " + first["sentence"]) in s and
           "pool._finished" in first["sentence"] and "3,000 Thread objects" in s,
           "%s: L names the pool's list as suspects does: %s" %
           (name, first and first["sentence"]), [term.last, first])
        # the sentence and the line below it give one size in one unit
        ret = hstest.size_text(first["retained"]) if first else "?"
        ok(s is not None and ("(%s retained)" % ret) in s and
           re.search(r"accumulation point 0x[0-9a-f]+ .*, retains %s\s*$" % re.escape(ret),
                     s, re.M),
           "%s: the sentence and the accumulation point both say %s retained" % (name, ret),
           term.last)
        term.keys("g", "Enter")
        s = wait_title(term, "Object " + (first["point"]["address"] if first else "?"))
        ok(s is not None and "list of 3000" in s,
           "%s: Enter on a suspect opens its accumulation point" % name, term.last)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def tasks_view(interp):
    """a: the asyncio tasks, as heapscope tasks prints them; Enter opens one."""
    name = interp.name
    got = fixture_snapshot(interp, "tasks.py", "tasks fixture")
    if not got:
        return
    tmp, snap, _ = got
    want, p = hstest.run_json(["tasks", snap])
    leaf = [t for t in want["tasks"] if t["name"] == "leaf-1"] if want else []
    term = Term(["browse", snap], cols=160, rows=60, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("a")
        s = wait_title(term, "Tasks: %d asyncio tasks" % len(want["tasks"]) if want else "?")
        ok(s is not None and re.search(r"^  Task 'gatherer' pending", s, re.M) and
           re.search(r"^    Task 'leaf-1' pending", s, re.M) and
           "waits for gather 0x" in s,
           "%s: a lists the tasks, a gather's tasks under the task awaiting it" % name,
           term.last)
        term.text("/leaf-1")
        term.keys("Enter", "Enter")
        s = wait_title(term, "Object " + (leaf[0]["address"] if leaf else "?"))
        ok(s is not None and "pending name='leaf-1'" in s,
           "%s: Enter on a task opens it" % name, term.last)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def memory_view(interp):
    """M: where the memory went, in the words of heapscope info FILE."""
    name = interp.name
    got = fixture_snapshot(interp, "memory_zoo.py", "memory fixture", timeout=120)
    if not got:
        return
    tmp, snap, _ = got
    info = hstest.run(["info", snap]).stdout
    want = [ln.strip() for ln in info.split("memory\n", 1)[-1].splitlines()
            if ln.strip().split()[0] in ("RSS", "pymalloc", "Python", "unaccounted")]
    term = Term(["browse", snap], cols=160, rows=40, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("M")
        s = wait_title(term, "Memory: ")
        lines = [ln.strip() for ln in (s or "").splitlines()]
        ok(s is not None and len(want) == 4 and all(w in lines for w in want),
           "%s: M shows the breakdown as info FILE words it (%s)" % (name, "; ".join(want)),
           [term.last, info])
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def threads_deadlock(interp):
    """T: the deadlocks first, in the words of heapscope stacks; under a
    blocked thread what it waits for; Enter there opens the lock."""
    name = interp.name
    got = fixture_snapshot(interp, "deadlock.py", "two deadlocks")
    if not got:
        return
    tmp, snap, _ = got
    text = hstest.run(["stacks", snap]).stdout
    want = [ln for ln in text.splitlines() if ln.startswith("deadlock: ")]
    term = Term(["browse", snap], cols=400, rows=60, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("T")
        s = wait_title(term, "Threads: ")
        rows = [ln.strip() for ln in (s or "").splitlines()]
        # (a heading wider than the screen loses its middle: its start is there)
        ok(s is not None and "deadlocks" in rows[0] and len(want) == 2 and
           all(any(r.startswith(w[:100]) for r in rows) for w in want),
           "%s: T shows each deadlock first, as stacks says it" % name, [term.last, want])
        term.text("/; held by thread")
        term.keys("Enter", "Enter")
        s = wait_title(term, "Object 0x")
        ok(s is not None and re.search(r"_thread\.R?[lL]ock", s.split("\n")[0]),
           "%s: Enter on a wait opens the lock" % name, term.last)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def demo_findings(interp):
    """heapscope demo opens the browser with what it found, each one key
    away: the deadlock (T), the leaking cache (L), the asyncio tasks (a)."""
    if not shutil.which("python3"):
        skip("demo findings", "no python3 on PATH")
        return
    term = Term(["demo"], cols=200, rows=40, env={"TERM": "xterm"})
    try:
        s = wait_title(term, "Types:", timeout=90)
        line = (s or "").rstrip("\n").split("\n")[-1]
        ok(s is not None and line.startswith("2 threads deadlocked - T; ") and
           "leak suspect: dict `cache` retains " in line and line.endswith("asyncio tasks - a"),
           "demo: the first screen says what heapscope found", term.last)
        term.keys("T")
        s = wait_title(term, "Threads: ")
        ok(s is not None and 'deadlock: thread "ledger-' in s,
           "demo: T shows the deadlock first", term.last)
        term.keys("L")
        s = wait_title(term, "Leak suspects: ")
        ok(s is not None and "cache" in s, "demo: L names the cache", term.last)
        term.keys("a")
        s = wait_title(term, "Tasks: ")
        ok(s is not None and "Task 'upstream-poller' pending" in s and
           "waits for sleep(30)" in s, "demo: a lists its asyncio tasks", term.last)
        term.keys("q")
    finally:
        term.close()


def big_snapshot(interp):
    """~2 million objects: opening and paging the biggest list stay fast."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "bench_heap.py", args=["2000000"], timeout=300)
    except RuntimeError as e:
        ok(False, "%s: bench_heap fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-browse-big-")
    snap = os.path.join(tmp, "big.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=600)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot of 2M objects" % name, p.stderr):
        return
    term = Term(["browse", snap], cols=120, rows=40)
    try:
        t0 = time.monotonic()
        s = wait_title(term, "Types:", timeout=60)
        t_open = time.monotonic() - t0
        # the biggest list by count: sort by count, open it
        for _ in range(6):
            term.keys("s")
            s = term.wait_text("by count", timeout=5)
            if s:
                break
        top = [l for l in (s or "").split("\n")[2:] if l.strip()]
        biggest = top[0].split()[-1] if top else "?"
        t0 = time.monotonic()
        term.keys("Enter")
        s = wait_title(term, re.escape(biggest) + r": [\d,]+ instances", timeout=60)
        t_list = time.monotonic() - t0
        t0 = time.monotonic()
        for _ in range(20):
            term.keys("PageDown")
        s = term.wait(lambda s: re.search(r" 7\d\d/", s.split("\n")[0]) is not None, 60)
        t_page = time.monotonic() - t0
        t0 = time.monotonic()
        term.keys("G")
        s = term.wait(lambda s: re.search(r" ([\d]+)/\1 ", s.split("\n")[0]) is not None, 60)
        t_end = time.monotonic() - t0
        diag("%s: 2M-object snapshot: open %.3f s, open the %s list %.3f s, "
             "20 pages %.3f s, last page %.3f s" % (name, t_open, biggest, t_list,
                                                   t_page, t_end))
        # asserted loosely: the machines are noisy
        ok(t_open < 10 and t_list < 10 and t_page < 10 and t_end < 10 and s is not None,
           "%s: 2M objects: open, the biggest list, paging, end each well under 10 s" %
           name, term.last)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def scanned_edges(interp):
    """The referents of an object of no known layout (an asyncio Future's
    iterator), found by a conservative scan, are said to be scanned once
    on their rows, as show says it."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "future_iter.py")
    except RuntimeError as e:
        ok(False, "%s: future_iter fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-browse-task-")
    snap = os.path.join(tmp, "task.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot of a held FutureIter" % name, p.stderr):
        return
    task = hexaddr(fx.info["object"])
    shown, p = hstest.run_json(["show", snap, task])
    scanned = [r for r in (shown or {}).get("referents", []) if r["kind"] == "scanned"]
    # (the interpreter's own referents of the task are among those found)
    want = set(hexaddr(i) for i in fx.info["referents"])
    term = Term(["browse", snap], cols=160, rows=30, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys(":")
        term.text(task)
        term.keys("Enter")
        s = wait_title(term, "Object " + task)
        # the referents' rows only: a referrer may be scanned too (3.14's
        # Future points back at its Task)
        refs = (s or "").split("referents (")[-1].split("referrers (")[0]
        rows = [l for l in refs.split("\n") if re.search(r"\s0x[0-9a-f]+\s", l) and
                "(sc" in l]
        bad = [l for l in rows if l.count("(scan") != 1 or "(scanned)" not in l]
        missing = [a for a in want if a not in refs]
        ok(s is not None and scanned and len(rows) == len(scanned) and not bad and
           not missing,
           "%s: a FutureIter's %d scanned referents say '(scanned)' once each, as show does" %
           (name, len(scanned)), [term.last] + bad + ["missing: %s" % missing])
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def help_keys(interp):
    """? says what each key does in the view it is pressed in: Enter
    expands in the dominator tree, opens instances in the Types view."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "browse_target.py")
    except RuntimeError as e:
        ok(False, "%s: fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-browse-help-")
    snap = os.path.join(tmp, "t.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot for the help" % name, p.stderr):
        return
    # (key that opens the view, its title, its name in the help, words the
    # help's Enter line must have)
    views = [(None, "Types:", "types", ("instances",)),
             ("Enter", "instances", "instances", ("open", "object")),
             ("D", "Dominator tree", "dominator tree", ("expand", "collapse")),
             ("T", "Threads", "threads", ("local variables",)),
             ("L", "Leak suspects", "suspects", ("open", "object")),
             ("u", "Garbage", "garbage", ("open", "object"))]
    term = Term(["browse", snap], cols=100, rows=40, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        for key, title, view, words in views:
            if key:
                term.keys(key)
            wait_title(term, title)
            term.keys("?")
            s = wait_title(term, "Help: keys of the %s view" % view)
            enter = [l for l in (s or "").split("\n") if l.strip().startswith("Enter")]
            ok(s is not None and len(enter) == 1 and all(w in enter[0] for w in words),
               "%s: help of the %s view: Enter says %s" % (name, view, " ".join(words)),
               term.last)
            term.keys("q")
            wait_title(term, title)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def filter_typing(interp):
    """f as you type, in steps between keys and narrowing as the text
    grows: whatever keys come while it works, the rows in the end are the
    strs that contain the text, as many as the fixture made."""
    name = interp.name
    try:
        fx = Fixture(interp.exe, "browse_target.py")
    except RuntimeError as e:
        ok(False, "%s: fixture starts" % name, str(e))
        return
    tmp = tempfile.mkdtemp(prefix="hs-browse-filter-")
    snap = os.path.join(tmp, "t.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    fx.stop()
    if not ok(p.returncode == 0, "%s: snapshot for the filter" % name, p.stderr):
        return
    names = ["widget-%d" % i for i in range(fx.info["registry_len"])]
    term = Term(["browse", snap], cols=120, rows=40, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("f")
        term.text("str")
        s = wait_title(term, "filter: str")
        rows = [l for l in (s or "").split("\n")[2:-3] if l.strip()]
        at = [i for i, l in enumerate(rows) if l.split()[-1] == "str"]
        term.keys("Enter")
        term.keys(*(["j"] * (at[0] if at else 0)))
        term.keys("Enter")
        s = wait_title(term, r"^ *str: [\d,]+ instances")
        ok(s is not None and at, "%s: the str instances open" % name, term.last)
        term.keys("f")
        # (typed at once: the keys come while the filter works)
        for keys, text in ((["widget-12"], "widget-12"), (["BSpace"], "widget-1"),
                           (["0"], "widget-10"), (["BSpace", "BSpace", "2"], "widget-2")):
            for k in keys:
                if k == "BSpace":
                    term.keys(k)
                else:
                    term.text(k)
            want = sum(text in n for n in names)
            s = term.wait(lambda s: re.search(r"str: [\d,]+ of [\d,]+ instances, .*filter: %s"
                                              r"\s+\d+/" % re.escape(text),
                                              s.split("\n")[0]) is not None)
            m = re.search(r"str: (\d+) of", (s or "").split("\n")[0])
            ok(m is not None and int(m.group(1)) == want,
               "%s: filter '%s': the %d strs that contain it" % (name, text, want), term.last)
        term.keys("Escape", "q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


def reveal(term, y, cols, lines):
    """The whole of screen line y, scrolling sideways with Right until it
    says it goes no further: each look shows columns left+1 .. left+cols-2
    of the text (the first and last hold the '<' and '>' marks), at the
    left the view gives after each Right (half a screen).  The text, and
    whether the first look marked the line as going on ('>')."""
    text = {}
    first = lines[y]
    left = 0
    for _ in range(12):
        line = lines[y].ljust(cols)
        for i in range(cols):
            if (i == 0 and left) or (i == cols - 1 and line[i] == ">"):
                continue
            text.setdefault(left + i, line[i])
        if line[cols - 1] != ">":
            break
        term.keys("Right")
        left += cols // 2
        s = term.wait(lambda s: s.split("\n")[y].startswith("<"), timeout=10)
        lines = (s or term.last).split("\n")
    for _ in range(12):
        term.keys("Left")
    return "".join(text.get(i, " ") for i in range(max(text) + 1)).rstrip(), \
        first.ljust(cols)[cols - 1] == ">"


def narrow_screen(interp):
    """80x24: no text longer than the screen is lost.  The suspect's
    sentence wraps; a frame's file (a fixture in a folder with a long
    name) is cut with '>' and Right scrolls to its end."""
    name = interp.name
    tmp = tempfile.mkdtemp(prefix="hs-browse-narrow-")
    deep = os.path.join(tmp, "a-folder-with-a-name-long-enough-to-push-the-line-past-80-columns")
    os.makedirs(deep)
    shutil.copy(os.path.join(hstest.FIXTURES, "browse_target.py"), deep)
    try:
        fx = Fixture(interp.exe, os.path.join(deep, "browse_target.py"))
        pool = Fixture(interp.exe, "leak_pool.py", args=[os.path.join(tmp, "t.json"), "3000"],
                       timeout=120)
    except RuntimeError as e:
        ok(False, "%s: fixtures start" % name, str(e))
        return
    snap, leak = os.path.join(tmp, "t.hsnap"), os.path.join(tmp, "leak.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env)
    p2 = hstest.run(["snapshot", "-o", leak, str(pool.pid)], env=interp.env)
    fx.stop()
    pool.stop()
    if not ok(p.returncode == 0 and p2.returncode == 0, "%s: snapshots for 80x24" % name,
              p.stderr + p2.stderr):
        return
    sus, p = hstest.run_json(["suspects", leak])
    sentence = "1. " + sus["suspects"][0]["sentence"] if sus and sus["suspects"] else None
    term = Term(["browse", leak], cols=80, rows=24, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("L")
        s = wait_title(term, "Leak suspects")
        lines = (s or "").split("\n")[2:22]
        start = [i for i, l in enumerate(lines) if l.startswith("1. ")]
        words = []
        for l in lines[start[0]:] if start else []:
            if words and not l.startswith("   ") or "accumulation point" in l:
                break
            words.extend(l.split())
        ok(sentence and len(sentence) > 80 and " ".join(words) == " ".join(sentence.split()),
           "%s: 80x24: the suspect's sentence (%d characters) wraps, whole" %
           (name, len(sentence or "")), [term.last, sentence])
        term.keys("q")
    finally:
        term.close()
    term = Term(["browse", snap], cols=80, rows=24, env={"TERM": "xterm"})
    try:
        wait_title(term, "Types:", timeout=60)
        term.keys("T")
        s = wait_title(term, "Threads")
        lines = (s or "").split("\n")
        y = [i for i, l in enumerate(lines) if l.startswith("    worker_loop (")]
        want = "    worker_loop (%s:%d)" % (os.path.join(deep, "browse_target.py"),
                                           fx.info["worker_line"])
        text, marked = reveal(term, y[0], 80, lines) if y else ("", False)
        ok(len(want) > 80 and marked and text == want,
           "%s: 80x24: a frame's row cut at 80 columns says so ('>'), Right scrolls to its "
           "end" % name, [term.last, text, want])
        s = wait_title(term, "Threads")
        ok(s is not None and s.split("\n")[y[0] if y else 0].startswith("    worker_loop ("),
           "%s: Left scrolls back" % name, term.last)
        term.keys("q")
    finally:
        term.close()
        shutil.rmtree(tmp, True)


# Parts of the test, to run one alone: HS_BROWSER_PART=scanned_edges
PARTS = ("session", "snapshot_and_terms", "suspects_view", "tasks_view", "memory_view",
         "threads_deadlock",
         "demo_findings",
         "big_snapshot",
         "scanned_edges",
         "help_keys", "filter_typing", "narrow_screen")


def main():
    if not TMUX:
        skip("browser tests", "tmux is not installed (setup.sh installs it)")
        done()
        return
    interps = [i for i in hstest.interpreters() if i.available()]
    # the browser reads the same graph on every version: one full walk
    # through the views per Python minor version present, Debian's first,
    # and one on a free-threaded build (another heap walk)
    byname = {}
    for i in interps:
        if i.name == "debian-3.11-nodebug" or i.name == "debian-3.11d":
            continue
        byname.setdefault("%d%s" % (i.minor, "t" if i.free_threaded else ""), i)
    if not byname:
        skip("browser tests", "no Python interpreter available")
        done()
        return
    only = os.environ.get("HS_BROWSER_MINOR")   # to debug one version
    parts = os.environ.get("HS_BROWSER_PART", ",".join(PARTS)).split(",")
    for minor in sorted(byname, key=lambda k: (int(k.rstrip("t")), k)):
        if only and minor != only:
            continue
        if "session" in parts:
            session(byname[minor])
    gil = [i for i in byname.values() if not i.free_threaded]
    first = max(gil or byname.values(), key=lambda i: i.minor)
    for part in PARTS[1:]:
        if part in parts:
            globals()[part](first)
    done()


if __name__ == "__main__":
    main()
