"""A learner's folder: the exercise files they edit, and `.kata/` (results, hints, backups).

Found by walking up from the current directory to a folder that holds exercises/manifest.toml.
Standard library only: `kata next` imports this.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import courses
from .course import Course
from .manifest import MANIFEST, ExerciseSpec
from .results import GradeReport, ResultsError

STATE = ".kata"


class WorkspaceError(Exception):
    """No workspace here, or its state cannot be used."""


@dataclass(frozen=True)
class Workspace:
    root: Path
    exercises_dir: Path
    writable: bool = True  # False when grading the reference solutions
    course: Course | None = None  # set for the reference solutions; a learner's is in .kata/course.json

    @property
    def state_dir(self) -> Path:
        return self.root / STATE

    @property
    def results_path(self) -> Path:
        return self.state_dir / "results.json"

    def exercise_file(self, spec: ExerciseSpec) -> Path:
        return self.exercises_dir / spec.relpath

    def display(self, spec: ExerciseSpec) -> str:
        """The exercise file as the learner names it (relative to the workspace)."""
        try:
            return str(self.exercise_file(spec).relative_to(self.root))
        except ValueError:
            return str(self.exercise_file(spec))

    # --- state ------------------------------------------------------------------------------

    def load_results(self) -> GradeReport | None:
        if not self.writable:
            return None
        try:
            return GradeReport.load(self.results_path)
        except FileNotFoundError:
            return None
        except ResultsError as exc:
            raise WorkspaceError(f"{exc}; move it away (or delete it) and run `kata grade` to rebuild it") from None

    def save_results(self, report: GradeReport) -> None:
        if self.writable:
            _write_atomic(self.results_path, report.to_json())

    def hints_shown(self) -> dict[str, int]:
        path = self.state_dir / "hints.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise WorkspaceError(f"{path} is corrupt; delete it to start the hints again") from None
        if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
            raise WorkspaceError(f"{path} is corrupt; delete it to start the hints again")
        return data

    def save_hints_shown(self, shown: dict[str, int]) -> None:
        if self.writable:
            _write_atomic(self.state_dir / "hints.json", json.dumps(shown, indent=2))

    def backup(self, spec: ExerciseSpec) -> Path | None:
        """Copy the learner's file under .kata/backups/ (timestamped); None if there is no file."""
        source = self.exercise_file(spec)
        if not source.exists():
            return None
        target = self.state_dir / "backups" / f"{spec.id}-{time.strftime('%Y%m%d-%H%M%S')}.py"
        n = 1
        while target.exists():
            target = target.with_name(f"{spec.id}-{time.strftime('%Y%m%d-%H%M%S')}-{n}.py")
            n += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        return target


def find(start: Path | None = None, explicit: Path | None = None) -> Workspace:
    if explicit is not None:
        root = Path(explicit).resolve()
        if not (root / MANIFEST).is_file():
            raise WorkspaceError(f"{explicit} is not a kata workspace (no {MANIFEST}); create one with `kata init DIR`")
        return Workspace(root, root / "exercises")
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST).is_file():
            return Workspace(folder, folder / "exercises")
    raise WorkspaceError("not inside a kata workspace (no exercises/manifest.toml here or above);"
                         " create one with `kata init DIR`, or pass --workspace DIR")


def for_solutions(course: Course) -> Workspace:
    # rooted at the solutions' parent: a layout may keep them outside the course's own folder
    return Workspace(course.solutions_dir.parent, course.solutions_dir, writable=False, course=course)


def init(dest: Path, course: Course) -> Workspace:
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise WorkspaceError(f"{dest} is not empty; choose a new or empty folder")
    exercises = dest / "exercises"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if not course.only:
        shutil.copytree(course.stubs_dir, exercises, ignore=ignore)
    else:  # an assignment: its stubs and their chapters' READMEs alone
        exercises.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.manifest_path, exercises / "manifest.toml")
        for spec in course.manifest:
            for name in (spec.relpath, f"{spec.dir}/README.md"):
                source = course.stubs_dir / name
                if source.is_file():
                    (exercises / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, exercises / name)
    (dest / STATE).mkdir()
    (dest / STATE / ".gitignore").write_text("backups/\n", encoding="utf-8")
    courses.write_record(dest / STATE, course)
    return Workspace(dest.resolve(), exercises.resolve())


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
