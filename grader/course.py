"""Where a course lives: its manifest, stubs, reference solutions, hidden checks and mutants.

The default course is the one that ships with kata. An instructor (or the framework's own tests)
can point `KATA_COURSE` at another folder laid out as exercises/, solutions/, checks/, mutants/,
alternatives/. Standard library only: `kata next` imports this.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import manifest as manifest_mod

PACKAGE_DIR = Path(__file__).resolve().parent


class CourseError(Exception):
    """The course files cannot be found."""


@dataclass(frozen=True)
class Course:
    root: Path
    stubs_dir: Path  # exercises/: the stubs and manifest.toml
    solutions_dir: Path
    checks_dir: Path
    mutants_dir: Path
    alternatives_dir: Path

    @property
    def manifest_path(self) -> Path:
        return self.stubs_dir / "manifest.toml"

    @cached_property
    def manifest(self) -> manifest_mod.Manifest:
        return manifest_mod.load(self.manifest_path)

    def check_module(self, spec: manifest_mod.ExerciseSpec) -> Path:
        return self.checks_dir / spec.check_relpath

    @property
    def timings_path(self) -> Path:
        """The reference solution's time per check (`kata dev timings`), for per-check limits."""
        return self.checks_dir / "timings.json"


def default_course() -> Course:
    custom = os.environ.get("KATA_COURSE")
    if custom:
        root = Path(custom).resolve()
        return Course(root, root / "exercises", root / "solutions", root / "checks",
                      root / "mutants", root / "alternatives")
    for root in (PACKAGE_DIR.parent, PACKAGE_DIR / "course"):  # a source checkout, or a wheel
        if (root / "exercises" / "manifest.toml").is_file():
            return Course(root, root / "exercises", root / "solutions", PACKAGE_DIR / "checks",
                          root / "tests" / "mutants", root / "tests" / "alternatives")
    raise CourseError("the course files are missing from this kata installation")
