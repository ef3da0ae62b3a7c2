"""Shared fixtures: a small fake course (tests/fixtures/course) and learner workspaces of it."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from grader import api
from grader.courses import default as default_course
from grader.loader import load_submission

HERE = Path(__file__).parent
FAKE_COURSE = HERE / "fixtures" / "course"
SUBMISSIONS = HERE / "submissions"


@pytest.fixture
def course(monkeypatch):
    """The fake course, selected the way an instructor would: through KATA_COURSE."""
    monkeypatch.setenv("KATA_COURSE", str(FAKE_COURSE))
    return default_course()


@pytest.fixture
def workspace(course, tmp_path, monkeypatch):
    """A fresh learner workspace of the fake course; the current directory is inside it."""
    space = api.init(dest=tmp_path / "ws", course=course)
    monkeypatch.chdir(space.root)
    return space


def install(space, exercise: str, source: Path) -> Path:
    """Put a submission in place of the learner's file for `exercise`."""
    target = space.exercises_dir / "01_basics" / f"{exercise}.py"
    shutil.copyfile(source, target)
    return target


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load(path: Path):
    """A course file (a stub or a solution) as a fresh module, loaded the way the grader loads it."""
    return load_submission(path, f"given_{path.parent.parent.name}_{path.stem}")
