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

import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from . import courses
from . import events as ev
from .checks.helpers import Feedback, take_curves
from .course import CourseError
from .explain import explain
from .jobs import LearnerJob
from .judge import Connection, Learner, LearnerError, learner_error
from .manifest import ExerciseSpec, ManifestError
from .results import clean_curves

# Checks work on small tensors: a second thread gains nothing and, on a busy machine, spins
# against other processes (measured 5-20x slower training checks with two threads on two cores).
DEFAULT_THREADS = 1
MESSAGE_LIMIT = 4000  # characters of one check's message
OUTPUT_LIMIT = 4000  # characters of one check's captured output
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
    config.addinivalue_line("markers", "timed: a speed check; what its calls return depends on time, so the"
                            " mistake library keeps none of it (grader/mistakes.py)")
    session = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, KataSession)), None)
    if session is None:  # plain pytest: settings come from the command line
        session = KataSession.from_options(config)
        config.pluginmanager.register(session, "kata-session")
    config.stash[SESSION_KEY] = session


@dataclass
class CheckedFile:
    """One check module and the learner file it grades."""
    id: str
    path: Path  # the learner's file
    display: str  # how the learner's file is named in messages
    forbid: tuple[str, ...] = ()
    memory: int = 2048  # MiB

    check_module: Path | None = None

    def learner_job(self, threads: int) -> LearnerJob:
        return LearnerJob(path=str(self.path), display=self.display, module_name=f"kata_submission_{self.id}",
                          forbid=self.forbid, memory=self.memory, threads=threads)


class KataSession:
    """Per-session state and hooks. `emit` streams events to the grading parent."""

    def __init__(self, *, root: Path | None = None, file: Path | None = None,
                 spec: ExerciseSpec | None = None, display: str | None = None,
                 emit: Callable[[ev.Event], None] | None = None, only: set[str] | None = None,
                 require_gpu: bool = False, memory_mib: int | None = None,
                 threads: int = DEFAULT_THREADS, connection: Connection | None = None):
        self.root, self.file, self.spec, self.display = root, file, spec, display
        self.threads = max(1, threads)
        self.emit, self.only = emit, only
        self.require_gpu, self.memory_mib = require_gpu, memory_mib
        self.connection = connection  # a grading judge's one learner's process
        self.exercises: dict[str, CheckedFile] = {}
        self.records: dict[str, dict] = {}  # nodeid -> the check's outcome so far
        self.begun: set[str] = set()  # checks whose learner's module was loaded
        self._specs: dict[str, ExerciseSpec] | None = None
        self._local: dict[str, _LocalLearner] = {}  # plain pytest: a learner's process per exercise

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

    def exercise_for(self, item: pytest.Item) -> CheckedFile:
        module_path = Path(str(item.path))
        exercise_id = module_path.stem.removeprefix("test_")
        if exercise_id not in self.exercises:
            path = self.file or (self.root / module_path.parent.name / f"{exercise_id}.py")
            spec = self.spec if self.spec and self.spec.id == exercise_id else self._lookup(exercise_id)
            self.exercises[exercise_id] = CheckedFile(
                exercise_id, path, self.display or _relative(path), forbid=spec.forbid if spec else (),
                memory=spec.memory if spec else 2048, check_module=module_path)
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
        """In a grading judge, have the file imported once up front, so a hang or crash at import
        time is told apart from one inside a check."""
        if self.emit is None or not session.items:
            return
        exercise = self.exercise_for(session.items[0])
        self._emit(ev.Loading())
        loaded = self.connection_for(exercise).request("load")
        output = _field(loaded, "output")
        error = loaded.get("error") if type(loaded) is dict else None
        if error is not None:
            error = learner_error(error)
            self._emit(ev.LoadError(error.message, error.line, error.memory, output))
        else:
            self._emit(ev.Loaded(output))

    # --- running a check ------------------------------------------------------------------------

    def connection_for(self, exercise: CheckedFile) -> Connection:
        if self.connection is not None:
            return self.connection
        if exercise.id not in self._local:
            torch = sys.modules.get("torch")
            if torch is not None:  # the oracles sum in the same order as the learner's process, as under kata
                torch.set_num_threads(self.threads)
            self._local[exercise.id] = _LocalLearner(exercise.learner_job(self.threads))
        return self._local[exercise.id].connection

    def begin(self, item: pytest.Item) -> Learner:
        """The learner's module, fresh in its process for this check, with seeded global state."""
        connection = self.connection_for(self.exercise_for(item))
        self.begun.add(item.nodeid)
        connection.request("begin")
        connection.trace = []
        connection.tracing = item.get_closest_marker("timed") is None
        return Learner(connection)

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self._emit(ev.Start(_name_from_nodeid(nodeid)))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        _curves_of_check()  # drop what an earlier check left behind
        yield
        ended, trace = {}, []
        if item.nodeid in self.begun:
            self.begun.discard(item.nodeid)
            connection = self.connection_for(self.exercise_for(item))
            trace = connection.trace  # begin() started it afresh
            ended = connection.request("end")
        record = self.records.get(item.nodeid)
        if record is not None and self.emit is not None:
            self._emit(ev.Outcome(**record, output=_field(ended, "output"), curves=tuple(_curves_of_check()),
                                  hits=_hits(ended), trace=tuple(trace)))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        exercise = self.exercise_for(item)
        name = check_name(item)
        record = self.records.get(item.nodeid)
        if report.skipped and record is None:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            if _skip_reason(item) is not None:
                record = _record(name, "skipped", reason.removeprefix("Skipped: "))
            else:  # only a skip declared at collection (needs GPU, a package) leaves the maximum
                record = _record(name, "error", "This check was skipped while running, and only checks that"
                                 " declare why they may be skipped (a GPU, a package) can be; it counts as not passed.")
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

    def classify(self, excinfo: pytest.ExceptionInfo | None, exercise: CheckedFile):
        """(outcome, message, line, not_implemented, memory) for a check that raised."""
        exc = excinfo.value if excinfo else None
        if isinstance(exc, LearnerError):
            return _learner_outcome(exc, self.memory_mib)
        if isinstance(exc, Feedback) or (isinstance(exc, AssertionError) and str(exc)):
            return "failed", _bounded(str(exc) or "The check failed."), None, False, False
        return ("error", f"{type(exc).__name__}: {_first_line(exc)} (raised while checking what your"
                " code returned: look at the type and shape of your result).", None, False, False)

    def _emit(self, event: ev.Event) -> None:
        if self.emit is not None:
            self.emit(event)

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        for local in self._local.values():
            local.close()
        self._local.clear()

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
def sub(request: pytest.FixtureRequest) -> Learner:
    """The learner's module, freshly loaded in its own process for this check (grader/judge.py)."""
    return request.config.stash[SESSION_KEY].begin(request.node)


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
        torch = sys.modules.get("torch")
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


def _field(reply, key: str) -> str:
    value = reply.get(key) if type(reply) is dict else None
    return _bounded(value, OUTPUT_LIMIT) if type(value) is str else ""


def _hits(ended) -> tuple[ev.Hit, ...]:
    """The forbidden operations the learner's process refused during the check, as it reported them."""
    hits = ended.get("hits") if type(ended) is dict else None
    found = []
    for hit in (hits if type(hits) is list else [])[:50]:
        if type(hit) is list and len(hit) == 2 and type(hit[0]) is str:
            found.append(ev.Hit(hit[0][:200], hit[1] if type(hit[1]) is int else None))
    return tuple(dict.fromkeys(found))


def _learner_outcome(exc: LearnerError, memory_mib: int | None):
    """The learner-facing record of an exception raised by the learner's code."""
    line = exc.line
    at = f" (line {line})" if line else ""
    if exc.load:
        return "error", exc.message, line, False, exc.memory
    if exc.not_implemented:
        where = f"{exc.function} (line {line})" if exc.function else f"your code{at}"
        return ("failed", f"Not implemented yet: {where} still raises NotImplementedError"
                f"{': ' + exc.message if exc.message else ''}.", line, True, False)
    if exc.memory:
        limit = f" (the limit is {memory_mib} MiB)" if memory_mib else ""
        return ("error", f"Ran out of memory{limit}: {exc.type_name}: {exc.message.splitlines()[0] if exc.message else ''}."
                " Look for an array or tensor far larger than the inputs.", line, False, True)
    if exc.exit is not None:
        return ("error", f"Your code called sys.exit({exc.exit}) during the check{at}; return a value instead.",
                line, False, False)
    if exc.recursion:
        return ("error", f"Your code recursed too deeply (RecursionError){at}: is there a missing base case?",
                line, False, False)
    reading = explain(exc.message)
    return ("error", _bounded("Your code raised an exception:\n" + exc.traceback)
            + (f"\nReading it: {reading}" if reading else ""), line, False, False)


def _bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 40] + f"\n[... {len(text) - limit + 40} characters cut]"


class _LocalLearner:
    """Under plain pytest: the learner's process for one exercise, forked from this process."""

    def __init__(self, job: LearnerJob) -> None:
        from . import learner
        ours, theirs = socket.socketpair()
        out_fd, out_path = tempfile.mkstemp(prefix="kata-learner-")
        os.close(out_fd)
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            learner.main(theirs.detach(), job, out_path)
        theirs.close()
        self.out_path = out_path
        self.connection = Connection(ours)

    def close(self) -> None:
        self.connection.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        try:
            os.unlink(self.out_path)
        except OSError:
            pass


def _curves_of_check() -> list:
    """The curves the check recorded, as plain lists ready for the pipe; [] if they are unusable."""
    try:
        return [[label, list(values)] for label, values in clean_curves(take_curves())]
    except Exception:  # noqa: BLE001 - a curve is decoration: never let it cost the record
        return []


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
