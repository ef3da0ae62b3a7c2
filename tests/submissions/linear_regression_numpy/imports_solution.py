"""Runs the shipped reference solution instead of its own code: looks for it in the installed
course (next to the grader package in a source checkout, inside it in a wheel, wherever
default_course() says) and at the path the test writes into SOLUTIONS, and executes it in this
module. Where none can be read, every function says so."""
from pathlib import Path

import numpy as np

SOLUTIONS = []  # absolute paths the test fills in (an attacker knows where the course lives)
RELPATH = Path("02_from_scratch") / "linear_regression_numpy.py"
FOUND = None


def _candidates():
    yield from SOLUTIONS
    import grader
    package = Path(grader.__file__).parent
    yield package.parent / "solutions" / RELPATH
    yield package / "course" / "solutions" / RELPATH
    try:
        from grader.courses import default as default_course
        yield default_course().solutions_dir / RELPATH
    except Exception:  # noqa: BLE001
        pass


for _path in _candidates():
    try:
        _source = Path(_path).read_text()
    except OSError:
        continue
    if "def train" in _source:
        exec(compile(_source, str(_path), "exec"))
        FOUND = str(_path)
        break

if FOUND is None:
    def _missing(*args, **kwargs):
        raise RuntimeError("no reference solution within reach")

    forward = mse = gradients = step = train = _missing
    _ = np
