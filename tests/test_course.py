"""`kata dev check` over the real course: every exercise proves itself.

Solutions score full marks, stubs score 0 with status not_started, every mutant loses points
with the message its docstring names, and every alternative solution gets full marks.
"""
from __future__ import annotations

import pytest

from grader import devcheck
from grader.course import default_course

COURSE = default_course()


@pytest.fixture(autouse=True)
def real_course(monkeypatch):
    monkeypatch.delenv("KATA_COURSE", raising=False)


def test_manifest_and_files_agree():
    bad = [f.detail for f in devcheck.stray_files(COURSE) if not f.ok]
    assert not bad, bad


@pytest.mark.parametrize("exercise", COURSE.manifest.ids)
def test_exercise_proves_itself(exercise):
    findings = devcheck.run(COURSE, only=[exercise], jobs=2)
    failed = [f"{f.subject}: {f.detail}" for f in findings if not f.ok]
    assert not failed, "\n".join(failed)
    subjects = {f.subject.split()[0] for f in findings}
    assert {"files", "solution", "stub", "mutant"} <= subjects
