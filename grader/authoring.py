"""`kata dev new` and `kata dev add`: a course project, and exercises in the course's idiom.

The files come from the templates in grader/scaffold/ (string.Template, `$name` placeholders). What
`dev add` writes passes `kata dev check` as it stands: a stub that raises NotImplementedError, a
solution, a check module with points, a mutant the checks catch, and two hints; the author then
replaces the placeholder exercise (the mean of a list) with the real one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from . import __version__, courses
from .course import Course, CourseError
from .manifest import load as load_manifest, tomllib

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
COURSE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
EXERCISE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
CHAPTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SAMPLE = ("mean", "01_basics")  # the exercise `dev new` starts a course with


@dataclass(frozen=True)
class Added:
    """What `dev add` wrote, for the author to edit next."""
    id: str
    files: tuple[Path, ...]


def new_course(dest: Path, *, name: str) -> tuple[Path, Added]:
    """A course project in `dest` (new or empty): pyproject.toml with the `kata.courses` entry
    point, a README for its author, the package, and one sample exercise."""
    if not COURSE_NAME.match(name):
        raise CourseError(f"--name {name!r}: a course name is lower case letters and digits, words joined by - or _"
                          " (e.g. nlp-basics)")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CourseError(f"{dest} is not empty; choose a new or empty folder")
    package = name.replace("-", "_")
    values = {"name": name, "package": package, "distribution": name, "title": _title(name),
              "kata_version": __version__}
    _write(dest / "pyproject.toml", "pyproject.toml", values)
    _write(dest / "README.md", "README.md", values)
    _write(dest / package / "__init__.py", "package_init.py", values)
    _write(dest / package / "exercises" / "manifest.toml", "manifest.toml", values)
    course = courses.project(dest)
    return dest, add_exercise(course, SAMPLE[0], chapter=SAMPLE[1])


def add_exercise(course: Course, exercise_id: str, *, chapter: str, title: str | None = None) -> Added:
    """Add an exercise to a course being written: stub, solution, check module, a mutant, a chapter
    README when the chapter is new, and a manifest entry with two hints (appended as text, so the
    manifest's comments stay)."""
    if not EXERCISE_ID.match(exercise_id):
        raise CourseError(f"exercise id {exercise_id!r}: lower_snake_case, starting with a letter")
    if not CHAPTER.match(chapter):
        raise CourseError(f"--chapter {chapter!r}: one folder name, such as 02_vectors")
    if exercise_id in _ids(course):
        raise CourseError(f"the course '{course.name}' already has an exercise '{exercise_id}'")
    values = {"id": exercise_id, "chapter": chapter, "title": title or _title(exercise_id)}
    files = {
        course.stubs_dir / chapter / f"{exercise_id}.py": "stub.py",
        course.solutions_dir / chapter / f"{exercise_id}.py": "solution.py",
        course.checks_dir / chapter / f"test_{exercise_id}.py": "check.py",
        course.mutants_dir / exercise_id / "summed.py": "mutant.py",
    }
    taken = [p for p in files if p.exists()]
    if taken:
        raise CourseError(f"{taken[0]} exists already; remove it or choose another id")
    readme = course.stubs_dir / chapter / "README.md"
    if not readme.exists():
        files[readme] = "chapter_README.md"
    for path, template in files.items():
        _write(path, template, values)
    manifest = course.manifest_path
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.rstrip("\n") + "\n" + _fill("manifest_entry.toml", values), encoding="utf-8")
    load_manifest(manifest)  # the entry reads back, or the author hears why now
    return Added(exercise_id, (*files, manifest))


def editable_course() -> Course:
    """The course `kata dev add` may write into: KATA_COURSE, or the course project around the
    current folder (never an installed copy)."""
    course = courses.from_env()
    if course is not None:
        return course
    root = courses.project_root()
    if root is None:
        raise CourseError("not inside a course project (no pyproject.toml declaring a kata.courses entry point"
                          " here or above); make one with `kata dev new DIR --name NAME`, or set KATA_COURSE=DIR")
    return courses.project(root)


def _ids(course: Course) -> list[str]:
    """The manifest's ids; a new course's manifest has none yet (which `manifest.load` refuses)."""
    try:
        entries = tomllib.loads(course.manifest_path.read_text(encoding="utf-8")).get("exercises", [])
    except (OSError, ValueError) as exc:
        raise CourseError(f"{course.manifest_path} cannot be read: {exc}") from None
    return [e.get("id") for e in entries if isinstance(e, dict)]


def _title(name: str) -> str:
    words = re.split(r"[-_]+", name)
    return " ".join(words).capitalize()


def _fill(template: str, values: dict[str, str]) -> str:
    return Template((SCAFFOLD / f"{template}.tmpl").read_text(encoding="utf-8")).substitute(values)


def _write(path: Path, template: str, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_fill(template, values), encoding="utf-8")
