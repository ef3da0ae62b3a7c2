"""What a course is: its name and version, and where its parts lie on disk.

A course is a folder of parts (a `Layout`): the manifest and stubs (exercises/), the reference
solutions, the hidden checks, the mutants and the alternatives. Installed courses are found by
grader/courses.py; this module only describes one. Standard library only: `kata next` imports this.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from . import manifest as manifest_mod


class CourseError(Exception):
    """The course cannot be found or used; the message is one line for the user."""


@dataclass(frozen=True)
class Layout:
    """Where a course's parts lie, relative to the folder (or package) that holds it. A course
    package's entry point names a package (this default layout inside it) or a Layout."""
    package: str = ""  # the import package whose files hold the course ('' for a plain folder)
    exercises: str = "exercises"  # manifest.toml, the stubs, the chapter READMEs
    solutions: str = "solutions"
    checks: str = "checks"  # test_<id>.py per chapter, and timings.json
    mutants: str = "mutants"
    alternatives: str = "alternatives"

    PARTS = ("exercises", "solutions", "checks", "mutants", "alternatives")


@dataclass(frozen=True)
class Course:
    name: str
    version: str
    distribution: str  # what pip installs to get it ('' for a folder in development)
    root: Path  # the folder its layout is relative to
    stubs_dir: Path  # exercises/: the stubs and manifest.toml
    solutions_dir: Path
    checks_dir: Path
    mutants_dir: Path
    alternatives_dir: Path
    only: tuple[str, ...] = ()  # an assignment: these exercises alone, in course order
    project: Path | None = field(default=None, compare=False)  # its pyproject.toml's folder, if any

    @classmethod
    def at(cls, root: Path, layout: Layout, *, name: str, version: str, distribution: str = "",
           project: Path | None = None) -> "Course":
        root = Path(root)
        parts = [(root / getattr(layout, part)).resolve() for part in Layout.PARTS]
        return cls(name, version, distribution, root.resolve(), *parts, project=project)

    @property
    def manifest_path(self) -> Path:
        return self.stubs_dir / "manifest.toml"

    @cached_property
    def full_manifest(self) -> manifest_mod.Manifest:
        return manifest_mod.load(self.manifest_path)

    @cached_property
    def manifest(self) -> manifest_mod.Manifest:
        """The exercises this course grades: all of them, or the assignment's (`only`)."""
        if not self.only:
            return self.full_manifest
        return self.full_manifest.subset(self.only)

    def assignment(self, ids: list[str] | tuple[str, ...] | None) -> "Course":
        """This course restricted to `ids` (ids or numbers; ManifestError for an unknown one)."""
        if not ids:
            return self
        chosen = {self.manifest.get(i).id for i in ids}
        return replace(self, only=tuple(i for i in self.manifest.ids if i in chosen))

    def check_module(self, spec: manifest_mod.ExerciseSpec) -> Path:
        return self.checks_dir / spec.check_relpath

    @property
    def timings_path(self) -> Path:
        """The reference solution's time per check (`kata dev timings`), for per-check limits."""
        return self.checks_dir / "timings.json"

    @property
    def major(self) -> str:
        return major(self.version)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def major(version: str) -> str:
    """The part of a version that a workspace must match: its first number."""
    return version.split(".")[0]
