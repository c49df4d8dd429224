"""The built-in layout tables (offsets/py3*.c) against DWARF and against
the interpreters themselves.

1. For every build with DWARF on this machine (pyenv 3.8-3.13, Debian's
   python3.11 separate debug file, python3.11d, the 3.14.7 and 3.14.7t
   builds under /opt/cpython), regenerate the table with
   offsets/gen-offsets and compare it field by field with the committed one:
   any difference fails, listing the fields.
2. On the very build each table was made from (its reference line),
   offsets/gen-offsets writes the committed file byte for byte, as
   "make offsets" would.
3. Each interpreter reports the sizes of its own types (__basicsize__);
   they must equal the table's values for its minor version.
"""
import difflib
import glob
import json
import os
import re
import subprocess

import hstest

GEN = os.path.join(hstest.BUILDDIR, "offsets", "gen-offsets")
FIELD = re.compile(r"\[LF_(\w+)\]\s*=\s*(-?\d+),")


def parse(text):
    return dict((m.group(1), int(m.group(2))) for m in FIELD.finditer(text))


def table_text(minor, ft=False):
    with open(os.path.join(hstest.SRCDIR, "offsets",
                           "py3%d%s.c" % (minor, "t" if ft else ""))) as f:
        return f.read()


def table(minor, ft=False):
    return parse(table_text(minor, ft))


# the extension modules whose DWARF gives fields (as regen.sh finds
# them beside libpython), and those fields
MODULES = ("_asyncio", "array", "_struct", "_decimal", "_elementtree")
MODULE_FIELDS = re.compile(r"(future|task|array|arraydescr|struct|formatcode|decimal|element|"
                           r"elementextra)_")


def module_options(lib):
    """gen-offsets options for the extension modules beside libpython lib."""
    opts = []
    for m in MODULES:
        mods = glob.glob(os.path.join(os.path.dirname(lib), "python3.*", "lib-dynload",
                                      m + ".*.so"))
        if mods:
            opts += ["-m", mods[0]]
    return opts


# the reference line gen-offsets writes: the version and where its build is
REFERENCE = re.compile(r'\.reference = "CPython (3\.\d+\.\w+) \((pyenv|[^,]+), DWARF\)"')


def dwarf_builds():
    """(name, file with DWARF, minor, why missing, free-threaded) for every
    build, present or not."""
    res = []
    for it in hstest.interpreters():
        if it.name.startswith("pyenv-"):
            lib = None
            if it.exe:
                root = os.path.dirname(os.path.dirname(it.exe))
                cand = os.path.join(root, "lib", "libpython3.%d.so" % it.minor)
                lib = cand if os.path.exists(cand) else None
            res.append((it.name, lib, it.minor, it.why or "no libpython3.%d.so" % it.minor,
                        False))
    for it in hstest.cpython_interpreters():
        # a shared build's libpython, a static one's executable; the
        # tables are release builds' (a Py_DEBUG build's interpreter state
        # is larger: its layout comes from its own DWARF)
        if it.stripped or it.name.endswith("d"):
            continue
        path, why = None, it.why
        if it.exe:
            real = open(it.exe).read() if it.exe.startswith(hstest._tmp) else ""
            exe = real.split("exec '")[1].split("'")[0] if "exec '" in real else it.exe
            root = os.path.dirname(os.path.dirname(exe))
            libs = [os.path.join(root, "lib", n) for n in sorted(os.listdir(
                os.path.join(root, "lib"))) if re.match(r"libpython3\.\d+t?\.so$", n)]
            path = libs[0] if libs else exe
        res.append((it.name, path, it.minor, why, it.free_threaded))
    deb = "/usr/bin/python3.11"
    dbg = hstest._debian_debug_file(deb) if os.path.exists(deb) else None
    res.append(("debian-3.11 debug file", dbg, 11,
                "no separate debug file for /usr/bin/python3.11 (python3.11-dbg)", False))
    d = "/usr/bin/python3.11d"
    has = os.path.exists(d) and ".debug_info" in subprocess.run(
        ["readelf", "-S", d], capture_output=True, text=True).stdout
    res.append(("debian-3.11d", d if has else None, 11, "no python3.11d with DWARF", False))
    return res


SIZES = r"""
import _asyncio, json, sys, types, weakref
m = sys.version_info[1]
print(json.dumps({
    "future_size": _asyncio.Future.__basicsize__,
    "task_size": _asyncio.Task.__basicsize__,
    "object_size": object.__basicsize__,
    "heaptype_size": type.__basicsize__,
    "list_size": list.__basicsize__,
    "dict_size": dict.__basicsize__,
    "set_size": set.__basicsize__,
    "float_size": float.__basicsize__,
    "long_digit": int.__basicsize__,
    "bytes_sval": bytes.__basicsize__ - 1,
    "tuple_item": tuple.__basicsize__,
    "func_size": types.FunctionType.__basicsize__,
    "module_size": types.ModuleType.__basicsize__,
    "weakref_size": weakref.ref.__basicsize__,
    "exc_size": BaseException.__basicsize__,
    # code objects are variable-sized from 3.11: basicsize ends where
    # the inline bytecode starts
    ("code_code_adaptive" if m >= 11 else "code_size"): types.CodeType.__basicsize__,
}))
"""


def main():
    if not os.access(GEN, os.X_OK):
        hstest.bail("%s not built" % GEN)
    for name, path, minor, why, ft in dwarf_builds():
        if not path:
            hstest.skip("%s: table regenerates from DWARF" % name, why)
            continue
        mod = module_options(path)
        p = subprocess.run([GEN] + mod + [path, "3", str(minor), "check"] +
                           (["t"] if ft else []), capture_output=True, text=True, timeout=120)
        got = parse(p.stdout)
        want = table(minor, ft)
        if not mod:
            # no extension modules with DWARF beside it (a Debian debug
            # file): the asyncio fields are checked by their sizes below,
            # the others by test_sizeof
            got = {k: v for k, v in got.items() if not MODULE_FIELDS.match(k)}
            want = {k: v for k, v in want.items() if not MODULE_FIELDS.match(k)}
        diff = ["%s: table %s, DWARF %s" % (k, want.get(k), got.get(k))
                for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
        hstest.ok(p.returncode == 0 and got and not diff,
                  "%s: offsets/py3%d%s.c equals what its DWARF gives"
                  % (name, minor, "t" if ft else ""),
                  [p.stderr.strip()] + diff)

    # make offsets (regen.sh) on the build a table was made from writes
    # that very file: the generator and the tree agree, to the byte
    for name in sorted(os.listdir(os.path.join(hstest.SRCDIR, "offsets"))):
        mm = re.match(r"py3(\d+)(t?)\.c$", name)
        if not mm:
            continue
        minor, ft = int(mm.group(1)), bool(mm.group(2))
        text = table_text(minor, ft)
        m = REFERENCE.search(text)
        what = "make offsets writes offsets/%s as it is" % name
        if not m:
            hstest.ok(False, what, "no reference line in offsets/%s" % name)
            continue
        ver, where = m.group(1), m.group(2)
        lib = "libpython3.%d%s.so" % (minor, "t" if ft else "")
        if where == "pyenv":
            root = hstest.pyenv_root()
            lib = os.path.join(root, "versions", ver, "lib", lib) if root else None
        else:
            lib = os.path.join(where, ver, "lib", lib)
        if not lib or not os.path.exists(lib):
            hstest.skip(what, "the table's reference build, %s %s, is not here" % (where, ver))
            continue
        p = subprocess.run([GEN] + module_options(lib) +
                           [lib, "3", str(minor), "CPython %s (%s, DWARF)" % (ver, where)] +
                           (["t"] if ft else []), capture_output=True, text=True, timeout=120)
        lines = [d for d in difflib.unified_diff(text.splitlines(), p.stdout.splitlines(),
                                                 "offsets/" + name, "gen-offsets",
                                                 lineterm="", n=0)]
        hstest.ok(p.returncode == 0 and not lines, what, [p.stderr.strip()] + lines[:20])

    for it in hstest.interpreters():
        if not it.available() or it.name.endswith("-nodebug"):
            if not it.available():
                hstest.skip("%s: type sizes" % it.name, it.why)
            continue
        p = subprocess.run([it.exe, "-c", SIZES], capture_output=True, text=True,
                           timeout=60)
        try:
            sizes = json.loads(p.stdout)
        except ValueError:
            hstest.ok(False, "%s: type sizes" % it.name, p.stderr)
            continue
        want = table(it.minor, it.free_threaded)
        diff = ["%s: interpreter %d, table %s" % (k, v, want.get(k))
                for k, v in sorted(sizes.items()) if want.get(k) != v]
        hstest.ok(not diff, "%s: %d type sizes the interpreter reports match the 3.%d table"
                  % (it.name, len(sizes), it.minor), diff)
    hstest.done()


main()
