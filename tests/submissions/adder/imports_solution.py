"""Runs the reference solution instead of its own code: looks for it wherever the course keeps
it (the installed course's solutions folder, next to the package, and the course's path the
test writes into SOLUTIONS) and executes it in this module. Where none can be read, every
function says so."""
import os
from pathlib import Path

SOLUTIONS = []  # absolute paths the test fills in (an attacker knows where the course lives)
FOUND = None


def _candidates():
    yield from SOLUTIONS
    try:
        from grader.courses import default as default_course
        yield default_course().solutions_dir / "01_basics" / "adder.py"
    except Exception:  # noqa: BLE001
        pass
    import grader
    package = Path(grader.__file__).parent
    yield package.parent / "solutions" / "01_basics" / "adder.py"
    yield package / "course" / "solutions" / "01_basics" / "adder.py"
    yield package.parent / "tests" / "fixtures" / "course" / "solutions" / "01_basics" / "adder.py"
    if os.environ.get("KATA_COURSE"):
        yield Path(os.environ["KATA_COURSE"]) / "solutions" / "01_basics" / "adder.py"


for _path in _candidates():
    try:
        _source = Path(_path).read_text()
    except OSError:
        continue
    if "def add" in _source:
        exec(compile(_source, str(_path), "exec"))
        FOUND = str(_path)
        break

if FOUND is None:
    def add(a: float, b: float) -> float:
        raise RuntimeError("no reference solution within reach")

    def mul(a: float, b: float) -> float:
        raise RuntimeError("no reference solution within reach")

    def scale(xs: list[float], k: float) -> list[float]:
        raise RuntimeError("no reference solution within reach")
