"""heapscope export in each format, read back by the tools the formats
are for, against what the interpreter itself reports.

fixtures/export_zoo.py holds an object with named references of each
kind, a known referrer, a wide list, strings that break naive writers
(quotes, backslashes, newlines, NUL, a lone surrogate, a very long one),
a class named with a quote, a newline and a backslash, and records
gc.get_referents, sys.getsizeof and the addresses.  For two interpreter
builds (a pyenv 3.12, Debian's 3.11) heapscope snapshots it, then:
  - dot: Graphviz renders it; the start object, its gc.get_referents and
    the references' names are there; --backrefs finds the known
    referrer and a root; --depth and --max-nodes bound it, and say so;
  - heapsnapshot: on a heap of many pieces (formatted on both cores),
    every node named as meliae says, every dict value's edge and str
    named right, and the same bytes from one core (SQLite's too);
  - heapsnapshot: the JSON's structure (field counts, edge counts,
    to_node multiples of 7); memlab (npm) loads it with the node count,
    self sizes and edge names and types heapscope has; its retained
    sizes against heapscope's show --json "retained";
  - sqlite: the sqlite3 tool's counts and sizes per type agree with
    top --json, edge counts with show;
  - meliae: every line is JSON with meliae's fields; on the heap of many
    pieces, a line per object, a list of 200000 dicts whole (streamed,
    not buffered), and the same lines from one core;
  - the nasty strings come through each format whole (or cut, as said);
  - errors: unknown format, dot without --root or with an unknown one,
    sqlite to stdout, an existing file without --force, a symlink, a
    directory that is not there: one line, the right exit status, no file.
Cases whose consumer is missing here skip with the reason.
"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile

# memlab is installed once into the user's cache, kept across builds and
# runs; hstest points XDG_CACHE_HOME elsewhere, so read it first
USER_CACHE = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                              ".cache")
import hstest  # noqa: E402

EUSAGE, EFILE = 2, 10
MEMLAB_PKG = os.path.join(hstest.SRCDIR, "tests", "memlab")
STR_MAX = 1024          # heapsnapshot strings are cut there
LABEL_CHARS = 48        # dot labels too


def pick_interps():
    """A pyenv 3.12, Debian's 3.11, and the 3.14 builds (GIL and
    free-threaded: another heap walk), as far as they are here."""
    res = []
    avail = [i for i in hstest.interpreters() if i.available()]
    for prefix in ("pyenv-3.12", "debian-3.11+dbg"):
        res += [i for i in avail if i.name.startswith(prefix)][:1]
    for i in avail:
        if i.name.startswith("cpython-") and i.minor == 14 and not i.stripped and \
                not i.name.endswith("d"):
            res.append(i)
    if not any(i.name.startswith("debian") for i in res):
        res += [i for i in avail if i.name == "debian-3.11-nodebug"][:1]
    return res or avail[:1]


def expected_str(hexed):
    """A fixture string as heapscope keeps it: lone surrogates become
    U+FFFD."""
    s = bytes.fromhex(hexed).decode("utf-8", "surrogatepass")
    return re.sub("[\ud800-\udfff]", "\ufffd", s)


def mode600(path):
    return os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600


# ---- meliae ----

# The layout meliae's loader matches before it parses a line (its dumper's
# own): ", " and ": " separators, fields in this order, refs as numbers.
MELIAE_LINE = re.compile(
    r'^\{"address": \d+, "type": "(?:[^"\\]|\\.)*", "size": \d+'
    r'(?:, "name": "(?:[^"\\]|\\.)*")?(?:, "len": \d+)?'
    r'(?:, "value": (?:-?\d+|"(?:[^"\\]|\\.)*"))?'
    r', "refs": \[(?:\d+(?:, \d+)*)?\]\}$')


def meliae(snap, env, truth, tmp, name):
    p = hstest.run(["export", "--format", "meliae", snap], env=env, timeout=300)
    bad, objs, order = [], {}, []
    for n, line in enumerate(p.stdout.splitlines()):
        if not MELIAE_LINE.match(line):
            bad.append("line %d is not laid out as meliae's loader reads: %s" %
                       (n + 1, line[:160]))
        try:
            o = json.loads(line)
        except ValueError as e:
            bad.append("line %d: %s" % (n + 1, e))
            continue
        miss = [k for k in ("address", "type", "size", "len", "refs") if k not in o]
        if miss or not isinstance(o["refs"], list):
            bad.append("line %d lacks %s" % (n + 1, miss))
        if o.get("type") in ("str", "int", "float", "bytes") and "value" not in o:
            bad.append("line %d: a %s without value" % (n + 1, o["type"]))
        if o.get("type") == "function" and "name" not in o:
            bad.append("line %d: a %s without name" % (n + 1, o["type"]))
        objs[o.get("address")] = o
        order.append(o.get("address"))
    hstest.ok(p.returncode == 0 and order and not bad,
              "%s: meliae: %d lines, each JSON laid out as meliae's loader matches it, "
              "with address, type, size, len, refs (value, name of functions)" %
              (name, len(order)), bad[:10] or p.stderr)
    wrong = []
    for k, addr in truth["nasty"].items():
        want = expected_str(truth["nasty_text"][k])
        got = objs.get(addr, {}).get("value")
        if got is None or not (got == want or (k == "long" and len(got) >= 1000 and
                                               want.startswith(got))):
            wrong.append("%s: %r" % (k, (got or "")[:80]))
    b = objs.get(truth["nasty_bytes"], {}).get("value")
    if b is None or b.encode("latin-1") != b"\xff\xfe\"\\\n\x00 bytes":
        wrong.append("bytes: %r" % b)
    hstest.ok(not wrong, "%s: meliae: the nasty strings and bytes come through whole" % name,
              wrong)
    out = os.path.join(tmp, "m.json")
    p2 = hstest.run(["export", "--format", "meliae", "-o", out, snap], env=env, timeout=300)
    hstest.ok(p2.returncode == 0 and mode600(out) and open(out).read() == p.stdout,
              "%s: meliae -o FILE: the same lines, in a file readable by its owner only"
              % name, p2.stderr)
    return objs, order


# ---- dot ----

def dot_escape(s):
    out = []
    for ch in s[:LABEL_CHARS]:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("\\\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out) + ("\u2026" if len(s) > LABEL_CHARS else "")


NODE_RE = re.compile(r'^\t"(0x[0-9a-f]+)" \[label="((?:[^"\\]|\\.)*)"(.*)\];$', re.M)
EDGE_RE = re.compile(r'^\t"(0x[0-9a-f]+)" -> "(0x[0-9a-f]+)" \[label="((?:[^"\\]|\\.)*)"',
                     re.M)


def parse_dot(text):
    nodes = {int(a, 16): (label, rest) for a, label, rest in NODE_RE.findall(text)}
    edges = [(int(a, 16), int(b, 16), label) for a, b, label in EDGE_RE.findall(text)]
    m = re.search(r'graph \[[^\n]*label="((?:[^"\\]|\\.)*)"\]', text)
    return nodes, edges, m.group(1) if m else ""


def render(path):
    """Graphviz's verdict: (ok, stderr)."""
    p = subprocess.run(["dot", "-Tsvg", path, "-o", path + ".svg"], capture_output=True,
                       text=True, timeout=120)
    ok = (p.returncode == 0 and os.path.getsize(path + ".svg") > 0 and
          not re.search(r"error|invalid|syntax", p.stderr, re.I))
    return ok, p.stderr


def export_dot(snap, env, tmp, fname, args):
    out = os.path.join(tmp, fname)
    p = hstest.run(["export", "--format", "dot", "-o", out] + args + [snap], env=env)
    if p.returncode != 0 or not os.path.exists(out):
        return None, p
    with open(out, encoding="utf-8") as f:
        return (out, f.read()), p


def dot(snap, env, truth, tmp, name):
    if not shutil.which("dot"):
        hstest.skip("%s: dot" % name, "Graphviz's dot is missing (apt-get install graphviz)")
        return
    root = truth["root"]
    got, p = export_dot(snap, env, tmp, "root.dot", ["--root", hex(root)])
    if not hstest.ok(got is not None and mode600(got[0]),
                     "%s: dot --root: written, readable by its owner only" % name, p.stderr):
        return
    path, text = got
    ok, err = render(path)
    hstest.ok(ok, "%s: dot: Graphviz renders it (nasty class and attribute names in it)"
              % name, err)
    nodes, edges, title = parse_dot(text)
    from_root = {(b, l) for a, b, l in edges if a == root}
    missing = [hex(r) for r in truth["referents"]
               if r not in nodes or not any(b == r for b, _ in from_root)]
    hstest.ok(root in nodes and "fillcolor" in nodes[root][1] and not missing,
              "%s: dot: the start object and its %d gc.get_referents, each with an edge"
              % (name, len(truth["referents"])), missing)
    # attributes: .name from the object itself, or ['name'] from its __dict__
    dicts = {b for b, l in from_root if l == "__dict__"}
    unnamed = []
    for attr, addr in truth["attrs"].items():
        direct = (addr, dot_escape("." + attr)) in from_root
        via = any(a in dicts and b == addr and l == dot_escape("['%s']" % attr)
                  for a, b, l in edges) if not direct else True
        if not via:
            unnamed.append(attr)
    hstest.ok(not unnamed, "%s: dot: each attribute's edge is named after it "
              "(quotes and newlines escaped)" % name,
              unnamed + [l for _, l in sorted(from_root)[:20]])
    hstest.ok(truth["evil"] in nodes and "Evil\\\"\\\\x0a\\\\Name" in nodes[truth["evil"]][0],
              "%s: dot: the class named with a quote, a newline and a backslash is "
              "labelled escaped" % name, nodes.get(truth["evil"]))

    got, p = export_dot(snap, env, tmp, "back.dot", ["--root", hex(root), "--backrefs"])
    if hstest.ok(got is not None, "%s: dot --backrefs written" % name, p.stderr):
        ok, err = render(got[0])
        nodes, edges, title = parse_dot(got[1])
        child = truth["child"]
        into = [(a, l) for a, b, l in edges if b == root]
        back = any(l in (".back", "['back']") for a, l in into)
        marked = [a for a, (label, rest) in nodes.items() if a != root and "peripheries=2" in rest]
        hstest.ok(ok and child in nodes and back and marked and "what refers to" in title,
                  "%s: dot --backrefs: renders, holds the known referrer by .back and "
                  "reaches roots (%d marked)" % (name, len(marked)),
                  [err, str(into[:10]), title])

    got, p = export_dot(snap, env, tmp, "d1.dot", ["--root", hex(root), "--depth", "1"])
    if hstest.ok(got is not None, "%s: dot --depth 1 written" % name, p.stderr):
        nodes, edges, title = parse_dot(got[1])
        targets = {b for a, b, l in edges}
        far = [hex(n) for n in nodes if n != root and n not in targets]
        hstest.ok(all(a == root for a, b, l in edges) and not far and
                  set(truth["referents"]) <= set(nodes),
                  "%s: dot --depth 1: only the object and what it refers to" % name,
                  far[:10] + [str(e) for e in edges if e[0] != root][:10])

    got, p = export_dot(snap, env, tmp, "cut.dot", ["--root", hex(root), "--max-nodes", "5"])
    if hstest.ok(got is not None, "%s: dot --max-nodes 5 written" % name, p.stderr):
        nodes, edges, title = parse_dot(got[1])
        ok, err = render(got[0])
        hstest.ok(ok and len(nodes) == 5 and re.search(r"\d+ more left out", title) and
                  re.search(r'label="\d+ more"', got[1]),
                  "%s: dot --max-nodes 5: 5 objects, and it says how many were left out"
                  % name, [title, str(len(nodes)), err])

    got, p = export_dot(snap, env, tmp, "wide.dot", ["--root", hex(truth["wide"])])
    if hstest.ok(got is not None, "%s: dot of a 300-item list written" % name, p.stderr):
        nodes, edges, title = parse_dot(got[1])
        hstest.ok('label="260 more"' in got[1] and "at most 40 references" in title and
                  sum(1 for a, b, l in edges if a == truth["wide"]) == 40,
                  "%s: dot: a 300-item list shows 40 items and says 260 more" % name, title)

    got, p = export_dot(snap, env, tmp, "nasty.dot", ["--root", hex(truth["nasty_list"])])
    if hstest.ok(got is not None, "%s: dot of the nasty strings written" % name, p.stderr):
        ok, err = render(got[0])
        nodes, edges, title = parse_dot(got[1])
        lost = [k for k, a in truth["nasty"].items() if a not in nodes]
        long_label = nodes.get(truth["nasty"]["long"], ("",))[0]
        hstest.ok(ok and not lost and "\u2026" in long_label and len(long_label) < 200 and
                  "nul\\\\x00byte" in nodes.get(truth["nasty"]["nul"], ("",))[0],
                  "%s: dot: quotes, backslashes, newlines, NUL, a lone surrogate and a "
                  "100,000-character string render, escaped and cut" % name,
                  [err] + lost + [long_label[:100]])


# ---- heapsnapshot ----

def memlab_dir():
    """Where memlab goes: the user's cache, by the hash of package.json
    (a new version installs anew); the build directory if that fails."""
    with open(os.path.join(MEMLAB_PKG, "package.json"), "rb") as f:
        tag = hashlib.sha1(f.read()).hexdigest()[:12]
    d = os.path.join(USER_CACHE, "heapscope", "memlab-" + tag)
    try:
        os.makedirs(d, exist_ok=True)
        return d
    except OSError:
        return os.path.join(hstest.BUILDDIR, "tests", "memlab-" + tag)


def memlab_works(node, mods):
    """1 if node can load memlab's heap analysis from mods."""
    try:
        p = subprocess.run([node, "-e", "require('@memlab/heap-analysis')"],
                           env=dict(os.environ, NODE_PATH=mods), capture_output=True,
                           timeout=120)
        return p.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def memlab():
    """Where memlab is installed (for NODE_PATH), or (None, why not).
    It is installed into a folder of its own, then renamed into place, so
    that an interrupted or concurrent install is never taken for one."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, "Node.js or npm missing (apt-get install nodejs npm)"
    d = memlab_dir()
    mods = os.path.join(d, "node_modules")
    if os.path.isdir(mods) and memlab_works(node, mods):
        return mods, None
    work = "%s.tmp.%d" % (d, os.getpid())
    hstest.diag("installing memlab into %s (npm install, once)" % d)
    try:
        shutil.rmtree(work, True)
        os.makedirs(work)
        shutil.copy(os.path.join(MEMLAB_PKG, "package.json"),
                    os.path.join(work, "package.json"))
        p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                            "--no-package-lock"], cwd=work,
                           env=dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1"),
                           capture_output=True, text=True, timeout=900)
        if p.returncode or not memlab_works(node, os.path.join(work, "node_modules")):
            last = (p.stderr.strip().splitlines() or ["?"])[-1]
            return None, "npm install memlab failed: %s" % last[:200]
        shutil.rmtree(d, True)
        os.rename(work, d)
    except (OSError, subprocess.SubprocessError) as e:
        return None, "npm install memlab failed: %s" % e
    finally:
        shutil.rmtree(work, True)
    if not memlab_works(node, mods):
        return None, "memlab does not load from %s" % mods
    return mods, None


def edge_expect(e):
    """(type, name_or_index) heapscope's heapsnapshot gives an edge that
    show --json lists as e."""
    t = e["edge"]
    if e["kind"] == "weak":
        return "weak", t
    if re.fullmatch(r"\[\d+\]", t):
        return "element", int(t[1:-1])
    if t.startswith("."):
        return "property", t[1:]
    if t.startswith("[") or t.startswith("key "):
        return "property", t
    return "internal", t


def heapsnapshot(snap, env, truth, tmp, name, objs, order, got, mem):
    out = os.path.join(tmp, "x.heapsnapshot")
    p = hstest.run(["export", "--format", "heapsnapshot", "-o", out, snap], env=env,
                   timeout=300)
    if not hstest.ok(p.returncode == 0 and mode600(out),
                     "%s: heapsnapshot written, readable by its owner only" % name, p.stderr):
        return
    try:
        with open(out, encoding="utf-8") as f:
            hs = json.load(f)
        err = None
    except ValueError as e:
        hs, err = None, str(e)
    if not hstest.ok(hs is not None, "%s: heapsnapshot: strict JSON" % name, err):
        return
    meta = hs["snapshot"]["meta"]
    nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
    nodes, edges, strings = hs["nodes"], hs["edges"], hs["strings"]
    nn, ne = hs["snapshot"]["node_count"], hs["snapshot"]["edge_count"]
    problems = []
    if meta["node_fields"] != ["type", "name", "id", "self_size", "edge_count",
                               "trace_node_id", "detachedness"]:
        problems.append("node_fields %s" % meta["node_fields"])
    if meta["edge_fields"] != ["type", "name_or_index", "to_node"]:
        problems.append("edge_fields %s" % meta["edge_fields"])
    if len(nodes) != nn * nf or len(edges) != ne * ef:
        problems.append("%d node values for %d nodes, %d edge values for %d edges"
                        % (len(nodes), nn, len(edges), ne))
    if sum(nodes[i * nf + 4] for i in range(nn)) != ne:
        problems.append("edge_count sums to %d, not %d"
                        % (sum(nodes[i * nf + 4] for i in range(nn)), ne))
    etypes = meta["edge_types"][0]
    for k in range(0, len(edges), ef):
        t, ni, to = edges[k:k + 3]
        if to % nf or to >= len(nodes):
            problems.append("edge %d: to_node %d" % (k // ef, to))
        if etypes[t] in ("element", "hidden") and not isinstance(ni, int):
            problems.append("edge %d: element without an index" % (k // ef))
        elif etypes[t] not in ("element", "hidden") and not 0 <= ni < len(strings):
            problems.append("edge %d: name %d outside strings" % (k // ef, ni))
        if len(problems) > 10:
            break
    if any(not 0 <= nodes[i * nf + 1] < len(strings) for i in range(nn)):
        problems.append("a node name outside strings")
    ntypes = meta["node_types"][0]
    if ntypes[nodes[0]] != "synthetic" or nodes[2] != 1 or nodes[4] != got["roots"]:
        problems.append("node 0 is not the synthetic root with an edge per root")
    hstest.ok(not problems and nn == got["objects"] + 1 and ne == got["edges"] + got["roots"],
              "%s: heapsnapshot: %d nodes (objects + the root), %d edges (references + "
              "roots), fields and indexes consistent" % (name, nn, ne), problems)
    sizes = [("%x" % a, objs[a]["size"], nodes[(k + 1) * nf + 3])
             for k, a in enumerate(order) if objs[a]["size"] != nodes[(k + 1) * nf + 3]
             and objs[a]["size"] < 2 ** 32]
    hstest.ok(not sizes, "%s: heapsnapshot: every self size is heapscope's" % name, sizes[:10])
    idx = {a: k + 1 for k, a in enumerate(order)}
    wrong = []
    for k, addr in truth["nasty"].items():
        want = expected_str(truth["nasty_text"][k])
        n = idx.get(addr)
        s = strings[nodes[n * nf + 1]] if n else None
        if n is None or ntypes[nodes[n * nf]] != "string" or not (
                s == want or (k == "long" and len(s.encode()) <= STR_MAX and
                              want.startswith(s) and len(s) > 1000)):
            wrong.append("%s: %r" % (k, (s or "")[:60]))
    hstest.ok(not wrong, "%s: heapsnapshot: the nasty strings are string nodes named by "
              "their value (the long one cut at %d bytes)" % (name, STR_MAX), wrong)
    # the start object's edges against show
    root = truth["root"]
    shown, p = hstest.run_json(["show", "-n", "100000", snap, hex(root)], env=env)
    n = idx[root]
    first = sum(nodes[i * nf + 4] for i in range(n))
    mine = [(etypes[edges[(first + j) * ef]],
             edges[(first + j) * ef + 1] if etypes[edges[(first + j) * ef]] == "element"
             else strings[edges[(first + j) * ef + 1]],
             order[edges[(first + j) * ef + 2] // nf - 1])
            for j in range(nodes[n * nf + 4])]
    want = [edge_expect(e) + (int(e["address"], 16),) for e in (shown or {}).get("referents", [])]
    hstest.ok(shown is not None and mine == want and mine,
              "%s: heapsnapshot: the start object's %d edges have show's names, types "
              "and targets" % (name, len(want)), [str(mine[:8]), str(want[:8])])

    if mem[0] is None:
        for what in ("loads it", "edges", "retained sizes"):
            hstest.skip("%s: memlab %s" % (name, what), mem[1])
        return
    res = os.path.join(tmp, "memlab.json")
    ids = "%d" % (n + 1)
    try:
        p = subprocess.run(["node", os.path.join(MEMLAB_PKG, "check.js"), out, res, ids],
                           env=dict(os.environ, NODE_PATH=mem[0]), capture_output=True,
                           text=True, timeout=600)
        ml = json.load(open(res)) if p.returncode == 0 else None
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        p, ml = None, None
        hstest.diag(str(e))
    mnodes = (ml or {}).get("nodes", [])
    diffs = [(m[0], m[2], nodes[k * nf + 3]) for k, m in enumerate(mnodes)
             if m[2] != nodes[k * nf + 3] or m[0] != nodes[k * nf + 2]]
    hstest.ok(ml is not None and ml["node_count"] == nn and ml["edge_count"] == ne and
              not diffs,
              "%s: memlab loads it: %s nodes, %s edges, the same ids and self sizes"
              % (name, (ml or {}).get("node_count"), (ml or {}).get("edge_count")),
              (p.stderr[-2000:] if p else "") + str(diffs[:10]))
    if ml is None:
        return
    id2addr = {k + 2: a for k, a in enumerate(order)}
    medges = [(t, ni, id2addr.get(to)) for t, ni, to in (ml["edges"].get(ids) or [])]
    hstest.ok(medges == want, "%s: memlab reads the start object's edges with show's "
              "names, types and targets" % name, [str(medges[:8]), str(want[:8])])
    # retained sizes: memlab's dominators against heapscope's (show --json
    # "retained", from the dominator work)
    top = sorted(mnodes[1:], key=lambda m: -m[3])[:12]
    top += [mnodes[idx[truth[k]]] for k in ("root", "wide", "nasty_list")]
    if "retained" not in (shown or {}):
        hstest.skip("%s: memlab's retained sizes (its 12 largest, 3 of the fixture's) "
                    "equal heapscope's" % name,
                    "heapscope has no retained sizes yet")
        return
    rows, differ = [], []
    for m in top:
        addr = id2addr[m[0]]
        s, p = hstest.run_json(["show", "-n", "0", snap, hex(addr)], env=env)
        ours = (s or {}).get("retained")
        rows.append("%14x %-24s memlab %10d heapscope %10s" % (addr, objs[addr]["type"][:24],
                                                                 m[3], ours))
        if ours != m[3]:
            differ.append(rows[-1])
    hstest.diag("retained sizes of memlab's 12 largest and 3 of the fixture's:\n" +
                "\n".join(rows))
    hstest.ok(not differ, "%s: memlab's retained sizes (its 12 largest, 3 of the "
              "fixture's) equal heapscope's" % name, differ)


# ---- sqlite ----

def sql(db, query):
    """Rows of the sqlite3 tool's answer, as lists."""
    p = subprocess.run(["sqlite3", "-batch", "-json", db, query], capture_output=True,
                       text=True, errors="replace", timeout=120)
    try:
        rows = json.loads(p.stdout) if p.stdout.strip() else []
    except ValueError:
        rows = [["unparsable", p.stdout[:200]]]
    return [list(r.values()) if isinstance(r, dict) else r for r in rows], p


def sqlite(snap, env, truth, tmp, name):
    db = os.path.join(tmp, "x.db")
    p = hstest.run(["export", "--format", "sqlite", "-o", db, snap], env=env, timeout=300)
    if not hstest.ok(p.returncode == 0 and mode600(db) and not hstest.leftovers(tmp),
                     "%s: sqlite written, readable by its owner only, nothing else left"
                     % name, p.stderr):
        return
    if not shutil.which("sqlite3"):
        hstest.skip("%s: sqlite3 reads it" % name, "the sqlite3 tool is missing "
                    "(apt-get install sqlite3)")
        return
    rows, p = sql(db, "PRAGMA integrity_check;")
    hstest.ok(rows == [["ok"]], "%s: sqlite: integrity_check ok" % name, p.stderr)
    top, p = hstest.run_json(["top", "-n", "100000", snap], env=env)
    want = {t["type"]: (t["count"], t["size"]) for t in (top or {}).get("types", [])}
    rows, p = sql(db, "SELECT t.name, count(*), sum(o.size) FROM objects o "
                      "JOIN types t ON t.id = o.type GROUP BY t.id;")
    have = {r[0]: (int(r[1]), int(r[2])) for r in rows if len(r) == 3}
    diffs = ["%s: %s, top %s" % (k, have.get(k), v) for k, v in want.items() if have.get(k) != v]
    tot, p2 = sql(db, "SELECT count(*), sum(size) FROM objects;")
    hstest.ok(top is not None and want and not diffs and len(have) == len(want) and
              tot == [[top["objects"], top["size"]]],
              "%s: sqlite: count and size per type (%d types) and in all equal top --json"
              % (name, len(want)), diffs[:10] or [p.stderr, str(tot)])
    rows, p = sql(db, "SELECT name, count, size FROM types WHERE count > 0;")
    have = {r[0]: (int(r[1]), int(r[2])) for r in rows if len(r) == 3}
    hstest.ok(have == want, "%s: sqlite: the types table's counts and sizes agree" % name,
              [k for k in want if have.get(k) != want[k]][:10])
    bad = []
    for addr in (truth["root"], truth["child"], truth["wide"], truth["nasty_list"]):
        shown, p = hstest.run_json(["show", "-n", "0", snap, hex(addr)], env=env)
        rows, p = sql(db, "SELECT (SELECT count(*) FROM edges WHERE src = o.id), "
                          "(SELECT count(*) FROM edges WHERE dst = o.id) FROM objects o "
                          "WHERE address = %d;" % addr)
        if not shown or rows != [[shown["referents_total"], shown["referrers_total"]]]:
            bad.append("%#x: %s, show %s" % (addr, rows, shown and (shown["referents_total"],
                                                                    shown["referrers_total"])))
    hstest.ok(not bad, "%s: sqlite: edges from and to four objects number as show says"
              % name, bad)
    bad = []
    for addr in (truth["root"], truth["child"], truth["wide"], truth["nasty_list"]):
        shown, p = hstest.run_json(["show", "-n", "0", snap, hex(addr)], env=env)
        rows, p = sql(db, "SELECT o.retained, d.address FROM objects o LEFT JOIN objects d "
                          "ON d.id = o.dominator WHERE o.address = %d;" % addr)
        dom = (shown or {}).get("dominator")
        want = [[shown and shown["retained"],
                 int(dom["address"], 16) if isinstance(dom, dict) else None]]
        if not shown or rows != want:
            bad.append("%#x: %s, show %s" % (addr, rows, want))
    rows, p = sql(db, "SELECT value FROM meta WHERE key = 'mode';")
    hstest.ok(not bad and rows == [[top["mode"]]],
              "%s: sqlite: retained sizes, immediate dominators and the capture mode of "
              "four objects as show and top say" % name, bad + [str(rows)])
    rows, p = sql(db, "SELECT e.name, e.kind FROM edges e JOIN objects s ON s.id = e.src "
                      "JOIN objects d ON d.id = e.dst WHERE s.address = %d AND d.address = %d;"
                      % (truth["child"], truth["root"]))
    hstest.ok(["['back']", "strong"] in rows or [".back", "strong"] in rows,
              "%s: sqlite: the known referrer's edge is named" % name, str(rows))
    wrong = []
    for k, addr in truth["nasty"].items():
        want_hex = expected_str(truth["nasty_text"][k]).encode("utf-8").hex().upper()
        rows, p = sql(db, "SELECT typeof(value), hex(value) FROM objects WHERE address = %d;"
                      % addr)
        if not (rows and rows[0][0] == "text" and
                (rows[0][1] == want_hex or (k == "long" and want_hex.startswith(rows[0][1])
                                            and len(rows[0][1]) > 2000))):
            wrong.append("%s: %s" % (k, str(rows)[:80]))
    rows, p = sql(db, "SELECT typeof(value), hex(value) FROM objects WHERE address = %d;"
                  % truth["nasty_bytes"])
    if rows != [["blob", b"\xff\xfe\"\\\n\x00 bytes".hex().upper()]]:
        wrong.append("bytes: %s" % rows)
    hstest.ok(not wrong, "%s: sqlite: the nasty strings are text, whole (NUL included), "
              "the bytes a blob" % name, wrong)


# ---- errors ----

def errors(snap, env, truth, tmp):
    d = os.path.join(tmp, "err")
    os.makedirs(d)
    out = os.path.join(d, "out")
    cases = [
        (["--format", "svg"], EUSAGE, "unknown format"),
        ([], EUSAGE, "no --format"),
        (["--format", "dot"], EUSAGE, "dot without --root"),
        (["--format", "dot", "--root", "zz"], EUSAGE, "dot --root that is not an address"),
        (["--format", "dot", "--root", "0x10"], EUSAGE, "dot --root with no object there"),
        (["--format", "meliae", "--root", hex(truth["root"])], EUSAGE,
         "--root for another format"),
        (["--format", "dot", "--root", hex(truth["root"]), "--depth", "x"], EUSAGE,
         "--depth that is not a number"),
    ]
    for args, st, what in cases:
        p = hstest.run(["export"] + args + ["-o", out, snap], env=env)
        hstest.ok(p.returncode == st and hstest.one_line(p) and not os.listdir(d),
                  "export: %s: exit %d, one line, no file" % (what, st),
                  "exit %d: %s %s" % (p.returncode, p.stderr, os.listdir(d)))
    p = hstest.run(["export", "--format", "sqlite", snap], env=env)
    hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and "-o FILE" in p.stderr,
              "export: sqlite without -o: exit 2, asks for a file", p.stderr)
    for fmt in ("heapsnapshot", "sqlite", "dot"):
        with open(out, "w") as f:
            f.write("precious")
        args = ["--root", hex(truth["root"])] if fmt == "dot" else []
        p = hstest.run(["export", "--format", fmt, "-o", out] + args + [snap], env=env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "exists" in p.stderr and
                  open(out).read() == "precious" and not hstest.leftovers(d),
                  "export --format %s over an existing file: exit 10, file kept" % fmt,
                  p.stderr)
    p = hstest.run(["export", "--format", "heapsnapshot", "--force", "-o", out, snap], env=env)
    hstest.ok(p.returncode == 0 and open(out).read(1) == "{" and mode600(out),
              "export --force replaces it", p.stderr)
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious")
    link = os.path.join(d, "link")
    os.symlink(victim, link)
    p = hstest.run(["export", "--format", "meliae", "--force", "-o", link, snap], env=env)
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "symbolic link" in p.stderr and
              open(victim).read() == "precious" and os.path.islink(link),
              "export -o through a symlink: refused, exit 10, its target kept", p.stderr)
    for where, what in ((os.path.join(tmp, "no-such-dir", "x.db"), "a missing directory"),
                        (os.path.join(victim, "x.db"), "a path under a file")):
        p = hstest.run(["export", "--format", "sqlite", "-o", where, snap], env=env)
        hstest.ok(p.returncode == EFILE and hstest.one_line(p) and not os.path.exists(where),
                  "export -o in %s: exit 10, one line, nothing written" % what, p.stderr)
    # --force replaces a file, never a pipe (or a device)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    p = hstest.run(["export", "--format", "meliae", "--force", "-o", fifo, snap], env=env)
    hstest.ok(p.returncode == EFILE and hstest.one_line(p) and "not a regular file" in p.stderr and
              stat.S_ISFIFO(os.lstat(fifo).st_mode),
              "export --force -o FIFO: refused, exit 10, the pipe kept", p.stderr)
    os.unlink(fifo)
    p = hstest.run(["export", "--format", "meliae", "--force", snap], env=env)
    hstest.ok(p.returncode == EUSAGE and hstest.one_line(p) and not p.stdout,
              "export --force without -o: usage error", p.stderr)
    # past the file size limit: an error and no file, not a death by SIGXFSZ
    import resource
    big = os.path.join(d, "big.db")
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([hstest.HEAPSCOPE, "export", "--format", "sqlite", "-o", big, snap],
                       capture_output=True, text=True, env=e, timeout=300,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                             (65536, 65536)))
    hstest.ok(p.returncode == EFILE and not os.path.exists(big) and not hstest.leftovers(d),
              "export past the file size limit: exit 10, no file, no temporary file",
              "exit %d: %s" % (p.returncode, p.stderr))
    hstest.ok(not hstest.leftovers(d) and not hstest.leftovers(tmp), "no temporary file left behind",
              hstest.leftovers(d) + hstest.leftovers(tmp))


def heapsnapshot_pieces(interp):
    """heapsnapshot is written in pieces formatted on both cores, each
    replaying the strings table's numbering from its start: on a heap of
    many pieces, every node is named as the meliae export says (its type,
    a str its value), every dict's value edge leads to its own str and is
    named by its key, and one core writes the same bytes; so does it for
    the SQLite export."""
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "export_many.py", timeout=120)
    except RuntimeError as e:
        hstest.ok(False, "%s: export_many.py starts" % name, str(e))
        return
    list_addr = fx.info["list"]
    tmp = tempfile.mkdtemp(prefix="hs-many-")
    snap = os.path.join(tmp, "many.hsnap")
    p = hstest.run(["snapshot", "-o", snap, str(fx.pid)], env=interp.env, timeout=300)
    fx.stop()
    if not hstest.ok(p.returncode == 0, "%s: many pieces: snapshot" % name, p.stderr):
        shutil.rmtree(tmp, True)
        return
    two = os.path.join(tmp, "two.heapsnapshot")
    p = hstest.run(["export", "--format", "heapsnapshot", "-o", two, snap], env=interp.env,
                   timeout=300)
    with open(two, encoding="utf-8") as f:
        hs = json.load(f)
    nodes, edges, strings = hs["nodes"], hs["edges"], hs["strings"]
    found, wrong, e0 = set(), [], 0
    for n in range(0, len(nodes), 7):
        ne = nodes[n + 4]
        if strings[nodes[n + 1]] == "dict" and ne == 2:
            for e in range(e0, e0 + 3 * ne, 3):
                to = edges[e + 2]
                text = strings[nodes[to + 1]]
                if nodes[to] != 2 or not re.fullmatch(r"s[0-9]+", text):
                    continue
                k = int(text[1:])
                if edges[e] == 2 and ("key%d'" % (k % 97)) in strings[edges[e + 1]]:
                    found.add(k)
                else:
                    wrong.append((text, edges[e], strings[edges[e + 1]]))
        e0 += 3 * ne
    pieces = (len(nodes) // 7 + 16383) // 16384
    # every node's name against the meliae export's type and value, in
    # the same order (strs' values, other objects' type names)
    p = hstest.run(["export", "--format", "meliae", snap], env=interp.env, timeout=300)
    meliae_text = p.stdout
    checked, names_wrong, lines = 0, [], []
    for k, text in enumerate(p.stdout.splitlines()):
        o = json.loads(text)
        lines.append(o)
        want_name = o["type"]
        if o["type"] == "function":
            continue
        if o["type"] == "str":
            v = o.get("value")
            if not isinstance(v, str) or len(v) > 1000 or not v.isascii():
                continue
            want_name = v
        checked += 1
        if 7 * (k + 1) + 1 >= len(nodes) or strings[nodes[7 * (k + 1) + 1]] != want_name:
            names_wrong.append((k, want_name))
    hstest.ok(checked > 400000 and not names_wrong,
              "%s: heapsnapshot: %d nodes named as meliae says (type, or a str's value)"
              % (name, checked), str(names_wrong[:5]))
    # meliae's lines are formatted in pieces too; the list of 200000
    # dicts, a line too long for a piece's buffer, is streamed in its place
    dicts = set(o["address"] for o in lines if o["type"] == "dict")
    big = [o for o in lines if o["address"] == list_addr]
    hstest.ok(len(lines) == len(nodes) // 7 - 1 and len(big) == 1 and
              len(big[0]["refs"]) == 200000 and big[0]["len"] == 200000 and
              set(big[0]["refs"]) <= dicts and len(set(big[0]["refs"])) == 200000,
              "%s: meliae: a line per object (%d), the list's line with its 200000 dicts"
              % (name, len(lines)), big[0]["refs"][:3] if big else "no line for the list")
    want = set(k for k in range(200000) if k < 150000 or k % 2 == 0)
    hstest.ok(found == want and not wrong,
              "%s: heapsnapshot of %d nodes (%d pieces): the dicts' str values, each "
              "its own str, named by its key" % (name, len(nodes) // 7, pieces),
              "%d found, wrong: %s" % (len(found), wrong[:5]))
    if not shutil.which("taskset"):
        hstest.skip("%s: heapsnapshot: one core writes the same bytes" % name,
                    "taskset is missing (util-linux)")
        hstest.skip("%s: meliae: one core writes the same lines" % name,
                    "taskset is missing (util-linux)")
    else:
        one = os.path.join(tmp, "one.heapsnapshot")
        p = hstest.run(["export", "--format", "heapsnapshot", "-o", one, snap],
                       env=interp.env, timeout=300, one_core=True)
        same = p.returncode == 0 and open(one, "rb").read() == open(two, "rb").read()
        hstest.ok(same, "%s: heapsnapshot: one core writes the same bytes" % name, p.stderr)
        p = hstest.run(["export", "--format", "meliae", snap], env=interp.env, timeout=300,
                       one_core=True)
        hstest.ok(p.returncode == 0 and p.stdout == meliae_text,
                  "%s: meliae: one core writes the same lines" % name, p.stderr)
        # the SQLite export's sorts, dominators and writer: helper threads
        # on two cores, the caller alone on one
        two_db, one_db = os.path.join(tmp, "two.db"), os.path.join(tmp, "one.db")
        p = hstest.run(["export", "--format", "sqlite", "-o", two_db, snap], env=interp.env,
                       timeout=300)
        q = hstest.run(["export", "--format", "sqlite", "-o", one_db, snap], env=interp.env,
                       timeout=300, one_core=True)
        same = (p.returncode == 0 and q.returncode == 0 and
                open(one_db, "rb").read() == open(two_db, "rb").read())
        hstest.ok(same, "%s: sqlite: one core writes the same bytes" % name,
                  [p.stderr, q.stderr])
    shutil.rmtree(tmp, True)


def check(interp, mem, first):
    name = interp.name
    started = hstest.truth_and_snapshot(interp, "export_zoo.py", "x.hsnap", timeout=120)
    if started is None:
        return
    fx, truth, snap, got = started
    fx.stop()       # the snapshot is all the rest needs
    tmp = os.path.dirname(snap)
    env = interp.env
    objs, order = meliae(snap, env, truth, tmp, name)
    dot(snap, env, truth, tmp, name)
    heapsnapshot(snap, env, truth, tmp, name, objs, order, got, mem)
    sqlite(snap, env, truth, tmp, name)
    if first:
        errors(snap, env, truth, tmp)
    shutil.rmtree(tmp, True)
    if first:
        heapsnapshot_pieces(interp)


def main():
    interps = pick_interps()
    if not interps:
        hstest.skip("export", "no interpreter available")
        hstest.done()
        return
    mem = memlab()
    if mem[0] is None:
        hstest.diag("memlab: " + mem[1])
    for k, interp in enumerate(interps):
        check(interp, mem, k == 0)
    hstest.done()


main()
