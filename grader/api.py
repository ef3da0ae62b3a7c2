"""What every `kata` verb does, as keyword-only functions that return results.

The CLI is a thin layer over this module. Functions used by `kata next`, `list` and `hint`
import nothing heavy; grading imports the runner (numpy, torch, pytest) only when called.
"""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__, workspace as ws
from .course import Course, default_course
from .manifest import ExerciseSpec
from .results import ExerciseResult, GradeReport


class KataError(Exception):
    """A request that cannot be carried out; the message is one line for the user."""


@dataclass(frozen=True)
class Progress:
    spec: ExerciseSpec | None  # the next pending exercise, None when all have passed
    result: ExerciseResult | None  # its last result, if it was graded
    passed: int
    total: int
    path: str = ""
    summary: str = ""  # the first paragraph of the exercise file's docstring


def open_workspace(*, workspace: Path | None = None, solutions: bool = False,
                   course: Course | None = None) -> ws.Workspace:
    course = course or default_course()
    return ws.for_solutions(course) if solutions else ws.find(explicit=workspace)


# --- learner verbs that never import torch ------------------------------------------------------

def statuses(*, workspace: ws.Workspace, course: Course | None = None
             ) -> list[tuple[ExerciseSpec, ExerciseResult | None]]:
    course = course or default_course()
    report = workspace.load_results()
    return [(spec, report.get(spec.id) if report else None) for spec in course.manifest]


def next_exercise(*, workspace: ws.Workspace, course: Course | None = None) -> Progress:
    rows = statuses(workspace=workspace, course=course)
    passed = sum(1 for _, r in rows if r is not None and r.passed)
    for spec, result in rows:
        if result is None or not result.passed:
            return Progress(spec, result, passed, len(rows), workspace.display(spec),
                            _summary(workspace.exercise_file(spec)))
    return Progress(None, None, passed, len(rows))


def resolve(exercise_id: str | None, *, workspace: ws.Workspace, course: Course | None = None) -> ExerciseSpec:
    """The named exercise, or the next pending one."""
    course = course or default_course()
    if exercise_id:
        return course.manifest.get(exercise_id)
    progress = next_exercise(workspace=workspace, course=course)
    if progress.spec is None:
        raise KataError("every exercise has passed; name one, e.g. `kata check autograd_basics`")
    return progress.spec


@dataclass(frozen=True)
class Hint:
    spec: ExerciseSpec
    number: int  # which hint this is, from 1 (0: the exercise has none)
    text: str | None  # None when the exercise has no hints
    exhausted: bool = False  # every hint was already shown: `text` is the last one again

    @property
    def total(self) -> int:
        return len(self.spec.hints)


def hint(*, workspace: ws.Workspace, exercise_id: str | None = None, course: Course | None = None) -> Hint:
    """The next hint of an exercise (default: the next pending), one more per call; past the
    last one, the last one again with `exhausted` set."""
    spec = resolve(exercise_id, workspace=workspace, course=course)
    if not spec.hints:
        return Hint(spec, 0, None)
    shown = workspace.hints_shown()
    seen = shown.get(spec.id, 0)
    number = min(seen + 1, len(spec.hints))
    shown[spec.id] = number
    workspace.save_hints_shown(shown)
    return Hint(spec, number, spec.hints[number - 1], exhausted=seen >= len(spec.hints))


def solution(*, workspace: ws.Workspace, exercise_id: str, course: Course | None = None) -> str:
    course = course or default_course()
    spec = course.manifest.get(exercise_id)
    report = workspace.load_results()
    result = report.get(spec.id) if report else None
    if result is None or not result.passed:
        raise KataError(f"the solution of '{spec.id}' opens once your exercise passes (`kata check {spec.id}`)")
    return (course.solutions_dir / spec.relpath).read_text(encoding="utf-8")


def reset(*, workspace: ws.Workspace, exercise_id: str, course: Course | None = None) -> Path | None:
    """Restore the stub and forget the exercise's last verdict and hints shown (its old verdict
    would say "passed" about a file that is gone); the learner's file is first backed up.
    Returns the backup's path."""
    course = course or default_course()
    if not workspace.writable:
        raise KataError("reset works on a learner's workspace, not on the solutions")
    spec = course.manifest.get(exercise_id)
    results, shown = workspace.load_results(), workspace.hints_shown()  # corrupt state fails before any write
    backup = workspace.backup(spec)
    target = workspace.exercise_file(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((course.stubs_dir / spec.relpath).read_bytes())
    if results is not None and results.get(spec.id) is not None:
        kept = tuple(e for e in results.exercises if e.id != spec.id)
        workspace.save_results(replace(results, exercises=kept))
    if shown.pop(spec.id, None) is not None:
        workspace.save_hints_shown(shown)
    return backup


def init(*, dest: Path, course: Course | None = None) -> ws.Workspace:
    return ws.init(dest, course or default_course())


# --- grading ------------------------------------------------------------------------------------

def grade(*, workspace: ws.Workspace, ids: list[str] | None = None, jobs: int = 1,
          require_gpu: bool = False, course: Course | None = None) -> GradeReport:
    """Grade the named exercises (default: all) and save the merged results in the workspace."""
    course = course or default_course()
    specs = [course.manifest.get(i) for i in ids] if ids else list(course.manifest)
    previous = workspace.load_results()  # fail on corrupt state before spending time grading
    files = {spec.id: workspace.exercise_file(spec) for spec in specs}
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.perf_counter()
    results = grade_files(specs, files, course=course, jobs=jobs, require_gpu=require_gpu,
                          display={s.id: workspace.display(s) for s in specs})
    report = GradeReport(tuple(results), started_at=started, duration_s=time.perf_counter() - clock,
                         environment=environment(), kata_version=__version__)
    workspace.save_results(report.merged_into(previous))
    return report


def grade_files(specs: list[ExerciseSpec], files: dict[str, Path], *, course: Course, jobs: int = 1,
                require_gpu: bool = False, display: dict[str, str] | None = None,
                threads: int | None = None) -> list[ExerciseResult]:
    """Grade one file per exercise, `jobs` at a time, in manifest order. Never raises.

    `threads`: the torch threads each check may use (default: one; see plugin.DEFAULT_THREADS).
    """
    pairs = [(spec, Path(files[spec.id]), (display or {}).get(spec.id, str(files[spec.id]))) for spec in specs]
    return grade_pairs(pairs, course=course, jobs=jobs, require_gpu=require_gpu, threads=threads)


def grade_pairs(pairs: list[tuple[ExerciseSpec, Path, str]], *, course: Course, jobs: int = 1,
                require_gpu: bool = False, threads: int | None = None) -> list[ExerciseResult]:
    """Grade (exercise, file, display name) triples, `jobs` at a time, in order. Never raises.

    The same exercise may appear many times (`kata dev check` grades every mutant of one).
    """
    from . import runner
    runner.warm_up()
    work = [runner.Job(spec, course.check_module(spec), Path(path).resolve(), display, require_gpu, threads or 1)
            for spec, path, display in pairs]
    if jobs <= 1 or len(work) <= 1:
        return [runner.grade(job) for job in work]
    from concurrent.futures import ThreadPoolExecutor  # here, not at the top: `kata next` stays light
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(runner.grade, work))


def environment() -> dict:
    import platform

    import numpy
    info = {"python": platform.python_version(), "numpy": numpy.__version__, "torch": None,
            "device": "cpu", "gpu": None}
    try:
        import torch
        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["device"], info["gpu"] = "cuda", torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def _cpu_count() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _summary(path: Path) -> str:
    """The first paragraph of a file's module docstring ('' if it has none or does not parse)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError, ValueError):
        return ""
    return doc.strip().split("\n\n")[0]
