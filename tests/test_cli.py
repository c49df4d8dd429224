"""The command line: help, version, the demo, the man page."""
import os
import re
import shutil
import subprocess

import hstest

COMMANDS = ("info", "stacks", "snapshot", "top", "show", "path", "objects", "export", "demo")


def main():
    p = hstest.run(["--help"])
    hstest.ok(p.returncode == 0 and all(c in p.stdout for c in COMMANDS),
              "--help lists every command", p.stdout + p.stderr)
    p = hstest.run(["--version"])
    hstest.ok(p.returncode == 0 and re.match(r"heapscope \d+\.\d+", p.stdout),
              "--version", p.stdout + p.stderr)
    for c in COMMANDS:
        a = hstest.run([c, "--help"])
        b = hstest.run(["help", c])
        hstest.ok(a.returncode == 0 and a.stdout.startswith("usage: heapscope " + c)
                  and a.stdout == b.stdout,
                  "%s --help and help %s print its usage" % (c, c), a.stdout + a.stderr)
    p = hstest.run([])
    hstest.ok(p.returncode == 2 and "usage" in p.stderr, "no command: usage, exit 2")

    if not shutil.which("python3"):
        hstest.skip("demo", "no python3 on PATH")
    else:
        p = hstest.run(["demo"], timeout=120)
        hstest.ok(p.returncode == 0 and "feed_forever" in p.stdout and
                  "worker" in p.stdout and "python " in p.stdout and
                  '\ndeadlock: thread "ledger-' in p.stdout,
                  "heapscope demo shows the demo's info and stacks",
                  "exit %d\n%s\n%s" % (p.returncode, p.stdout, p.stderr))
        p = hstest.run(["demo", "--json"], timeout=120)
        lines = p.stdout.strip().splitlines()
        try:
            import json
            objs = [json.loads(l) for l in lines]
            good = len(objs) == 2 and "layout" in objs[0] and "threads" in objs[1]
        except ValueError:
            good = False
        hstest.ok(p.returncode == 0 and good, "heapscope demo --json: info and stacks",
                  p.stdout + p.stderr)

    man = os.path.join(hstest.SRCDIR, "docs", "heapscope.1")
    if not shutil.which("man"):
        hstest.skip("man page renders", "man is not installed")
    else:
        r = subprocess.run(["man", "--warnings", "-l", "-E", "UTF-8", man],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        hstest.ok(r.returncode == 0 and not r.stderr.strip() and
                  all(c in r.stdout for c in COMMANDS),
                  "man page renders without warnings and names every command",
                  r.stderr)
    hstest.done()


main()
