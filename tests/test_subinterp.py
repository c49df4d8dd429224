"""Subinterpreters: their objects are walked too, and their roots say
which interpreter holds them."""
import hstest


def check_interp(interp):
    name = interp.name
    try:
        fx = hstest.Fixture(interp.exe, "subinterp.py", timeout=60)
    except RuntimeError as e:
        if "No module named" in str(e):
            hstest.skip("%s: subinterpreter" % name, "no subinterpreter module in this build")
        else:
            hstest.ok(False, "%s: fixture starts" % name, str(e))
        return
    with fx:
        got, p = hstest.run_json(["objects", "--type", "SubOnly", str(fx.pid)], env=interp.env)
        objs = (got or {}).get("objects", [])
        hstest.ok(len(objs) == fx.info["instances"],
                  "%s: the %d objects a subinterpreter holds are found"
                  % (name, fx.info["instances"]), [str(len(objs)), p.stderr])
        if objs:
            path, p = hstest.run_json(["path", str(fx.pid), objs[0]["address"]],
                                      env=interp.env)
            label = ((path or {}).get("root") or {}).get("label", "")
            hstest.ok(bool(path and path.get("found")) and label.startswith("interpreter "),
                      "%s: its path starts at that interpreter's roots" % name,
                      [label, p.stderr])


hstest.for_each_interpreter(check_interp, "subinterpreter")
