"""benchlib - what the benchmarks share."""
import glob
import os
import subprocess


def python():
    """The interpreter a benchmark's target runs under: $PYTHON, else the
    newest pyenv 3.12 build, else python3."""
    if os.environ.get("PYTHON"):
        return os.environ["PYTHON"]
    root = os.path.expanduser("~/.pyenv")
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True,
                              text=True).stdout.strip() or root
    except OSError:
        pass
    c = sorted(glob.glob(os.path.join(root, "versions", "3.12.*", "bin", "python3.12")))
    return c[-1] if c else "python3"
