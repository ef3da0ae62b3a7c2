"""What every `kata` verb does, as keyword-only functions that return results.

The CLI is a thin layer over this module. Functions used by `kata next`, `list` and `hint`
import nothing heavy; grading imports the runner (numpy, torch, pytest) only when called.
"""
from __future__ import annotations

import ast
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__, courses, workspace as ws
from .course import Course
from .manifest import ExerciseSpec
from .results import ExerciseResult, GradeReport


class KataError(Exception):
    """A request that cannot be carried out; the message is one line for the user."""


class GradeCancelled(Exception):
    """`cancel` was set while grading (a newer save in `kata watch`); nothing was saved."""


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
    """The learner's workspace (found from the current directory, or `workspace`), or with
    `solutions` the reference solutions of `course` (default: the course being developed here)."""
    if solutions:
        if course is None:  # the course of the workspace here, else the one being developed here
            try:
                course = course_of(ws.find(explicit=workspace))
            except ws.WorkspaceError:
                course = courses.for_dev()
        return ws.for_solutions(course)
    return ws.find(explicit=workspace)


def course_of(workspace: ws.Workspace) -> Course:
    """The course a workspace belongs to (its `.kata/course.json`; KATA_COURSE overrides it)."""
    return workspace.course or courses.for_workspace(workspace.state_dir)


# --- learner verbs that never import torch ------------------------------------------------------

def statuses(*, workspace: ws.Workspace, course: Course | None = None
             ) -> list[tuple[ExerciseSpec, ExerciseResult | None]]:
    course = course or course_of(workspace)
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
    course = course or course_of(workspace)
    if exercise_id:
        return course.manifest.get(exercise_id)
    progress = next_exercise(workspace=workspace, course=course)
    if progress.spec is None:
        raise KataError(f"every exercise has passed; name one, e.g. `kata check {course.manifest.ids[0]}`")
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
    course = course or course_of(workspace)
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
    course = course or course_of(workspace)
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


def init(*, dest: Path, course: Course | None = None, only: list[str] | None = None) -> ws.Workspace:
    """A fresh workspace of `course` (default: KATA_COURSE, else the shipped course), holding the
    stubs of `only` (an assignment) or of every exercise; `.kata/course.json` records which."""
    return ws.init(dest, (course or courses.default()).assignment(only))


# --- grading ------------------------------------------------------------------------------------

def grade(*, workspace: ws.Workspace, ids: list[str] | None = None, jobs: int | None = None,
          require_gpu: bool = False, course: Course | None = None, sandbox: str | None = None,
          cancel: "threading.Event | None" = None) -> GradeReport:
    """Grade the named exercises (default: all) and save the merged results in the workspace.

    `jobs`: exercises graded side by side (default: one per core). `sandbox`: "auto" (bubblewrap
    when it can run here), "required" or "none" (default: $KATA_SANDBOX, else "auto").
    `cancel`: when set, the running checks are stopped and GradeCancelled is raised.
    """
    course = course or course_of(workspace)
    specs = [course.manifest.get(i) for i in ids] if ids else list(course.manifest)
    previous = workspace.load_results()  # fail on corrupt state before spending time grading
    files = {spec.id: workspace.exercise_file(spec) for spec in specs}
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.perf_counter()
    results, env = grade_pairs(pairs(specs, files, {s.id: workspace.display(s) for s in specs}), course=course,
                               jobs=jobs, require_gpu=require_gpu, root=workspace.root, sandbox=sandbox,
                               cancel=cancel, with_environment=True)
    report = GradeReport(tuple(results), started_at=started, duration_s=time.perf_counter() - clock,
                         environment=env, kata_version=__version__)
    workspace.save_results(report.merged_into(previous))  # written here, after every child is gone
    return report


def pairs(specs: list[ExerciseSpec], files: dict[str, Path], display: dict[str, str] | None = None
          ) -> list[tuple[ExerciseSpec, Path, str]]:
    """(exercise, file, display name) for each exercise, in the given order."""
    return [(spec, Path(files[spec.id]), (display or {}).get(spec.id, str(files[spec.id]))) for spec in specs]


def grade_pairs(work: list[tuple[ExerciseSpec, Path, str]], *, course: Course, jobs: int | None = 1,
                require_gpu: bool = False, threads: int | None = None, root: Path | None = None,
                sandbox: str | None = None, cancel=None, with_environment: bool = False):
    """Grade (exercise, file, display name) triples, `jobs` at a time, in order (grader/scheduler.py).
    Never raises (but GradeCancelled, or KataError when the sandbox is required and cannot run).
    `threads`: the torch threads each check may use (default: one). With `with_environment`,
    returns (results, environment)."""
    from . import sandbox as sandboxing
    from . import scheduler
    try:
        kind = sandboxing.choose(sandbox or os.environ.get("KATA_SANDBOX", "auto"))
    except sandboxing.SandboxError as exc:
        raise KataError(str(exc)) from None
    try:
        results, environment = scheduler.grade(work, course=course, sandbox=kind, jobs=jobs or _cpu_count(),
                                               require_gpu=require_gpu, threads=threads or 1, root=root,
                                               cancel=cancel, timings=_timings(course),
                                               with_torch=any(_needs_torch(course, spec) for spec, _, _ in work),
                                               with_environment=with_environment)
    except scheduler.Cancelled:
        raise GradeCancelled() from None
    except sandboxing.SandboxError as exc:
        raise KataError(str(exc)) from None
    return (results, environment) if with_environment else results


def _timings(course: Course) -> dict[str, dict[str, float]]:
    """The reference solution's time per check, as `kata dev timings` measured it."""
    import json
    try:
        data = json.loads(course.timings_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): {str(n): float(t) for n, t in v.items()} for k, v in data.items() if isinstance(v, dict)}


def _needs_torch(course: Course, spec: ExerciseSpec) -> bool:
    """Whether the exercise's hidden checks import torch (read from their source, not run)."""
    import re
    try:
        source = course.check_module(spec).read_text(encoding="utf-8")
    except OSError:
        return True
    pattern = re.compile(r"^\s*(import torch|from torch|import torchvision|from torchvision"
                         r"|from grader\.checks\.network|from \.network)", re.MULTILINE)
    return bool(pattern.search(source)) or "torch" in spec.requires or "torchvision" in spec.requires


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
