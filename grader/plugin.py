"""The kata pytest plugin: loads the submission, scores checks, turns failures into feedback.

The plugin reports, the parent judges: inside a grading child it sends facts as typed events
(grader/events.py: which checks exist, which starts, how each ended, what it said, which forbidden
operations the learner's code reached) and never computes a score or an exercise status.

Runs in two modes:
- inside a grading child (runner.py), with an `emit` callback that streams one event at a time;
- under plain pytest, for instructors and benchmarks:
  `python -m pytest -p grader.plugin grader/checks --kata-root DIR` (default: the solutions).

Hooks appear in lifecycle order: options, configure, collection, the `sub` fixture, each check's
report, the terminal summary.
"""
from __future__ import annotations

import io
import os
import random
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from . import events as ev
from .checks.helpers import Feedback, take_curves
from . import courses
from .course import CourseError
from .loader import SubmissionLoadError, learner_frames, learner_traceback, load_submission
from .manifest import ExerciseSpec, ManifestError
from .results import clean_curves

try:
    if os.environ.get("KATA_WITHOUT_TORCH") == "1":  # this exercise's checks never use torch
        raise ImportError
    import torch

    _torch_seed = torch.manual_seed
    _torch_set_default_dtype = torch.set_default_dtype
    _torch_set_grad_enabled = torch.set_grad_enabled
    _torch_set_num_threads = torch.set_num_threads
    _torch_float32 = torch.float32
except ImportError:  # pragma: no cover - torch is a dependency
    torch = None

# Bound now: a submission may reseed or replace these at import time.
_py_seed = random.seed
_np_seed = np.random.seed
_chdir = os.chdir

SEED = 0
# Checks work on small tensors: a second thread gains nothing and, on a busy machine, spins
# against other processes (measured 5-20x slower training checks with two threads on two cores).
DEFAULT_THREADS = 1
OUTPUT_LIMIT = 4000  # characters of captured output kept per check
SESSION_KEY = pytest.StashKey["KataSession"]()
_ITEMS_KEY = pytest.StashKey[list]()


# --- options and configuration ------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata")
    group.addoption("--kata-root", default=None,
                    help="folder whose <dir>/<id>.py files are graded (default: the solutions)")
    group.addoption("--kata-file", default=None,
                    help="grade this one file against the collected check module")
    group.addoption("--kata-require-gpu", action="store_true", default=False,
                    help="count checks that need a GPU even where there is none")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points this check is worth (default 1)")
    config.addinivalue_line("markers", "requires(*what): 'cuda' or a package the check needs")
    session = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, KataSession)), None)
    if session is None:  # plain pytest: settings come from the command line
        session = KataSession.from_options(config)
        config.pluginmanager.register(session, "kata-session")
    config.stash[SESSION_KEY] = session


@dataclass
class Exercise:
    """One check module and the learner file it grades."""
    id: str
    path: Path  # the learner's file
    display: str  # how the learner's file is named in messages
    forbid: tuple[str, ...] = ()


class KataSession:
    """Per-session state and hooks. `emit` streams events to the grading parent."""

    def __init__(self, *, root: Path | None = None, file: Path | None = None,
                 spec: ExerciseSpec | None = None, display: str | None = None,
                 emit: Callable[[ev.Event], None] | None = None, only: set[str] | None = None,
                 require_gpu: bool = False, memory_mib: int | None = None,
                 threads: int = DEFAULT_THREADS):
        self.root, self.file, self.spec, self.display = root, file, spec, display
        self.threads = max(1, threads)
        self.emit, self.only = emit, only
        self.require_gpu, self.memory_mib = require_gpu, memory_mib
        self.cwd = os.getcwd()
        self.exercises: dict[str, Exercise] = {}
        self.records: dict[str, dict] = {}  # nodeid -> the check's outcome so far
        self._specs: dict[str, ExerciseSpec] | None = None

    @classmethod
    def from_options(cls, config: pytest.Config) -> "KataSession":
        root, file = config.getoption("kata_root"), config.getoption("kata_file")
        if root is None and file is None:
            try:
                root = courses.for_dev().solutions_dir
            except CourseError as exc:
                raise pytest.UsageError(str(exc)) from None
        return cls(root=Path(root).resolve() if root else None,
                   file=Path(file).resolve() if file else None,
                   require_gpu=config.getoption("kata_require_gpu"))

    # --- collection -----------------------------------------------------------------------------

    def exercise_for(self, item: pytest.Item) -> Exercise:
        module_path = Path(str(item.path))
        exercise_id = module_path.stem.removeprefix("test_")
        if exercise_id not in self.exercises:
            path = self.file or (self.root / module_path.parent.name / f"{exercise_id}.py")
            spec = self.spec if self.spec and self.spec.id == exercise_id else self._lookup(exercise_id)
            self.exercises[exercise_id] = Exercise(
                exercise_id, path, self.display or _relative(path), forbid=spec.forbid if spec else ())
        return self.exercises[exercise_id]

    def _lookup(self, exercise_id: str) -> ExerciseSpec | None:
        if self._specs is None:
            try:
                self._specs = {s.id: s for s in courses.for_dev().manifest}
            except (CourseError, ManifestError):
                self._specs = {}
        return self._specs.get(exercise_id)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        config.stash[_ITEMS_KEY] = items
        ordered: list[pytest.Item] = []
        for module_items in _group_by_module(items):
            self.exercise_for(module_items[0])
            for item in module_items:
                self._mark_requirements(item)
            ordered.extend(module_items)
        if self.only is not None:
            config.hook.pytest_deselected(items=[i for i in ordered if check_name(i) not in self.only])
            ordered = [i for i in ordered if check_name(i) in self.only]
        items[:] = ordered
        # Sent before the learner's file is loaded: the checks and their points are the course's.
        self._emit(ev.Collected(tuple(ev.CheckInfo(check_name(i), points_of(i), _skip_reason(i))
                                      for i in items)))

    def _mark_requirements(self, item: pytest.Item) -> None:
        for mark in item.iter_markers("requires"):
            for need in mark.args:
                reason = missing_requirement(need, self.require_gpu)
                if reason:
                    item.add_marker(pytest.mark.skip(reason=reason))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """In a grading child, import the file once up front, so a hang or crash at import time
        is told apart from one inside a check."""
        if self.emit is None or not session.items:
            return
        # Each distinct warning once per child: a diverging loop must not bury the feedback
        # under thousands of identical overflow warnings.
        warnings.simplefilter("once")
        exercise = self.exercise_for(session.items[0])
        self._emit(ev.Loading())
        with _Captured() as out, _tripwire(exercise) as wire:
            try:
                self.load(exercise)
            except SubmissionLoadError as exc:
                self._emit(ev.LoadError(str(exc), exc.line, exc.out_of_memory, out.text()))
                return
        self.import_hits = _hits(wire)
        self._emit(ev.Loaded(out.text()))

    # --- running a check ------------------------------------------------------------------------

    def reset_globals(self) -> None:
        """Every check starts from the same seeded state, whatever an earlier one left behind."""
        _chdir(self.cwd)
        _py_seed(SEED)
        _np_seed(SEED)
        if torch is not None:
            _torch_seed(SEED)
            _torch_set_default_dtype(_torch_float32)
            _torch_set_grad_enabled(True)
            _torch_set_num_threads(self.threads)

    def load(self, exercise: Exercise):
        self.reset_globals()
        module = load_submission(exercise.path, f"kata_submission_{exercise.id}", exercise.display)
        self.reset_globals()
        return module

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self._emit(ev.Start(_name_from_nodeid(nodeid)))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        _curves_of_check()  # drop what an earlier check (or an import) left behind
        if self.emit is None:
            yield
            return
        with _Captured() as out, _tripwire(self.exercise_for(item)) as wire:
            yield
        record = self.records.get(item.nodeid)
        if record is not None:
            hits = (*getattr(self, "import_hits", ()), *_hits(wire))
            self._emit(ev.Outcome(**record, output=out.text(), curves=tuple(_curves_of_check()),
                                  hits=tuple(dict.fromkeys(hits))))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        exercise = self.exercise_for(item)
        name = check_name(item)
        record = self.records.get(item.nodeid)
        if report.skipped and record is None:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            record = _record(name, "skipped", reason.removeprefix("Skipped: "))
        elif report.failed and (record is None or record["outcome"] == "passed"):
            kind, message, line, not_implemented, memory = self.classify(call.excinfo, exercise)
            record = _record(name, kind, message, line, not_implemented, memory)
        elif call.when == "call" and report.passed:
            record = _record(name, "passed")
        if record is None:
            return
        record["duration_s"] = record.get("duration_s", 0.0) + call.duration
        self.records[item.nodeid] = record
        if record["outcome"] in ("failed", "error") and call.when != "teardown":
            report.outcome = "failed"
            report.longrepr = record["message"]

    def classify(self, excinfo: pytest.ExceptionInfo | None, exercise: Exercise):
        """(outcome, points-free fields...) for a check that raised: the learner-facing message."""
        exc = excinfo.value if excinfo else None
        if isinstance(exc, SubmissionLoadError):
            return "error", str(exc), exc.line, False, False
        frames = learner_frames(exc, exercise.path) if exc is not None else []
        line = frames[-1].lineno if frames else None
        if isinstance(exc, NotImplementedError) and frames:
            where = f"{frames[-1].name} (line {line})"
            return ("failed", f"Not implemented yet: {where} still raises NotImplementedError"
                    f"{': ' + str(exc) if str(exc) else ''}.", line, True, False)
        if _is_out_of_memory(exc):
            limit = f" (the limit is {self.memory_mib} MiB)" if self.memory_mib else ""
            return ("error", f"Ran out of memory{limit}: {type(exc).__name__}: {_first_line(exc)}."
                    " Look for an array or tensor far larger than the inputs.", line, False, True)
        if isinstance(exc, AssertionError) and not (frames and _raised_in_learner(exc, exercise.path)):
            return "failed", str(exc) or "The check failed.", line, False, False
        if isinstance(exc, SystemExit):
            return ("error", f"Your code called sys.exit({exc.code!r}) during the check"
                    f"{f' (line {line})' if line else ''}; return a value instead.", line, False, False)
        if isinstance(exc, RecursionError):
            return ("error", "Your code recursed too deeply (RecursionError)"
                    f"{f' at line {line}' if line else ''}: is there a missing base case?", line, False, False)
        if frames:
            return ("error", "Your code raised an exception:\n"
                    + learner_traceback(exc, exercise.path, exercise.display), line, False, False)
        return ("error", f"{type(exc).__name__}: {_first_line(exc)} (raised while checking what your"
                " code returned: look at the type and shape of your result).", None, False, False)

    def _emit(self, event: ev.Event) -> None:
        if self.emit is not None:
            self.emit(event)

    # --- plain pytest: a kata summary at the end --------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        if self.emit is not None or not self.records:
            return
        tr = terminalreporter
        tr.section("kata")
        total = maximum = 0.0
        items = {i.nodeid: i for i in terminalreporter.config.stash.get(_ITEMS_KEY, [])}
        for nodeid, record in self.records.items():
            max_points = points_of(items[nodeid]) if nodeid in items else 1.0
            points = max_points if record["outcome"] == "passed" else 0.0
            counted = record["outcome"] != "skipped"
            total += points if counted else 0
            maximum += max_points if counted else 0
            tr.write_line(f"{record['outcome']:8} {points:g}/{max_points:g}  {record['name']}")
        tr.write_line(f"score {total:g}/{maximum:g}")


@pytest.fixture
def sub(request: pytest.FixtureRequest):
    """The learner's module, freshly loaded for this check, with seeded global state."""
    session = request.config.stash[SESSION_KEY]
    return session.load(session.exercise_for(request.node))


# --- small pieces -------------------------------------------------------------------------------

def check_name(item: pytest.Item) -> str:
    return item.name.removeprefix("test_")


def _name_from_nodeid(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1].removeprefix("test_")


def points_of(item: pytest.Item) -> float:
    mark = item.get_closest_marker("points")
    return float(mark.args[0]) if mark and mark.args else 1.0


def _skip_reason(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("skip")
    return mark.kwargs.get("reason", "skipped") if mark else None


def missing_requirement(need: str, require_gpu: bool = False) -> str | None:
    """Why a check needing `need` cannot run here, or None."""
    if need == "cuda":
        available = torch is not None and torch.cuda.is_available()
        return None if available or require_gpu else "needs GPU"
    import importlib.util
    return None if importlib.util.find_spec(need) else f"needs {need}"


def _group_by_module(items: list[pytest.Item]) -> list[list[pytest.Item]]:
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(str(item.path), []).append(item)
    return list(groups.values())


def _record(name: str, outcome: str, message: str = "", line: int | None = None,
             not_implemented: bool = False, memory: bool = False) -> dict:
    """A check's outcome so far, as the fields of events.Outcome."""
    return {"name": name, "outcome": outcome, "message": message, "line": line,
            "not_implemented": not_implemented, "memory": memory, "duration_s": 0.0}


class _NoWire:
    hits: tuple = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _tripwire(exercise: Exercise):
    """The run-time forbidden-API tripwire for this exercise (grader/tripwire.py), active while
    the learner's code runs; a no-op for exercises that forbid nothing."""
    if not exercise.forbid:
        return _NoWire()
    if "torch" not in sys.modules:  # a NumPy exercise graded without torch: importing it is the hit
        return _ImportWire(exercise.forbid)
    from .tripwire import Tripwire
    return Tripwire(exercise.forbid, exercise.path)


class _ImportWire:
    """Where torch was not loaded for the checks, a forbidden torch is seen by its arrival in
    sys.modules, whatever route imported it (`__import__("to" + "rch")` included)."""

    def __init__(self, forbid: tuple[str, ...]) -> None:
        self.watched = [name for name in ("torch", "torchvision") if name in forbid]
        self.hits: list[ev.Hit] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.hits = [ev.Hit(name) for name in self.watched if name in sys.modules]


def _hits(wire) -> tuple[ev.Hit, ...]:
    try:
        return tuple(ev.Hit(str(h.name), h.line if type(h.line) is int else None) for h in wire.hits)
    except Exception:  # noqa: BLE001 - a tripwire fault must not cost the check's record
        return ()


def _curves_of_check() -> list:
    """The curves the check recorded, as plain lists ready for the pipe; [] if they are unusable."""
    try:
        return [[label, list(values)] for label, values in clean_curves(take_curves())]
    except Exception:  # noqa: BLE001 - a curve is decoration: never let it cost the record
        return []


def _raised_in_learner(exc: BaseException, path: Path) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename == str(path)


def _is_out_of_memory(exc: BaseException | None) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc) if isinstance(exc, RuntimeError) else ""
    return "can't allocate memory" in text or "out of memory" in text.lower()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Captured:
    """Swap sys.stdout/sys.stderr for a bounded buffer (head and tail kept, the middle dropped)."""

    def __enter__(self) -> "_Captured":
        self.saved = sys.stdout, sys.stderr
        self.buffer = _BoundedText(OUTPUT_LIMIT)
        sys.stdout = sys.stderr = self.buffer
        return self

    def __exit__(self, *exc) -> None:
        sys.stdout, sys.stderr = self.saved

    def text(self) -> str:
        return self.buffer.getvalue()


class _BoundedText(io.TextIOBase):
    def __init__(self, limit: int):
        self.limit, self.head, self.tail, self.dropped = limit, [], "", 0
        self.head_size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        written = len(text)
        half = self.limit // 2
        if self.head_size < half:
            take = text[: half - self.head_size]
            self.head.append(take)
            self.head_size += len(take)
            text = text[len(take):]
        if text:
            joined = self.tail + text
            self.dropped += max(0, len(joined) - half)
            self.tail = joined[-half:]
        return written

    def getvalue(self) -> str:
        middle = f"\n[... {self.dropped} characters of output dropped ...]\n" if self.dropped else ""
        return "".join(self.head) + middle + self.tail
