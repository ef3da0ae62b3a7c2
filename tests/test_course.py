"""`kata dev check` over the real course: every exercise proves itself.

Solutions score full marks, stubs score 0 with status not_started, every mutant loses points
with the message its docstring names, and every alternative solution gets full marks. The course
is checked once, on every core (as `kata dev check --jobs N` would), and each exercise reports
its own findings. Minutes of grading: the slow tier (`pytest -m "not slow"` leaves it out).
"""
from __future__ import annotations

import pytest

from grader import devcheck
from grader.api import _cpu_count
from grader.courses import default as default_course

COURSE = default_course()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def findings():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("KATA_COURSE", raising=False)
        # The proof is about the course, not the sandbox (tests/test_hostile*.py cover that): forked
        # learner's processes spare a sandbox start per lane and per killed attempt.
        mp.setenv("KATA_SANDBOX", "none")
        return devcheck.run(COURSE, jobs=max(2, _cpu_count()))


def test_manifest_and_files_agree(findings):
    bad = [f.detail for f in findings if f.exercise == "course" and not f.ok]
    assert not bad, bad


@pytest.mark.parametrize("exercise", COURSE.manifest.ids)
def test_exercise_proves_itself(findings, exercise):
    mine = [f for f in findings if f.exercise == exercise]
    failed = [f"{f.subject}: {f.detail}" for f in mine if not f.ok]
    assert not failed, "\n".join(failed)
    subjects = {f.subject.split()[0] for f in mine}
    assert {"files", "solution", "stub", "mutant"} <= subjects
