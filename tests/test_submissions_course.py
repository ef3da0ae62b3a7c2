"""Broken and hostile submissions to real exercises cost only what they break.

Like test_submissions.py, but on the course's own exercises, where the hidden checks use torch and
NumPy and a submission can patch their global state. Each submission under
tests/submissions/<exercise>/ is graded next to a correct feed_forward; the table gives the exact
status, the score bounds and a phrase the messages must contain. The neighbour keeps full marks,
no learner file changes, and nothing the submission prints or writes is credited.
"""
from __future__ import annotations

import shutil

import pytest

from grader import api
from grader.courses import default as default_course

from .conftest import SUBMISSIONS, digest

COURSE = default_course()
NEIGHBOUR = "feed_forward"

# Points: update_weights 22 (train 5), chain_rule 30 (the 4 checks that call train: 6), losses 41
# (binary_cross_entropy 7, mse values 4).
MAX_SCORE = {"update_weights": 22, "chain_rule": 30, "losses": 41}
CASES = {
    # (exercise, name): (status, min score, max score, phrase in the exercise or check messages)
    ("update_weights", "hang_in_train"): ("timeout", 17, 17, "check 'train_worked_setup' ran longer than its limit"),
    ("update_weights", "exit_zero_in_update"): ("failed", 13, 13, "called sys.exit(0) during the check (line 66)"),
    ("update_weights", "os_exit_in_train"): ("error", 17, 17, "exit status 0"),
    ("update_weights", "memory_bomb_at_import"): ("memory", 0, 0, "ran out of memory while being imported"),
    ("update_weights", "reseeds_random_generators"): ("passed", 22, 22, ""),
    ("chain_rule", "segfault_in_train"): ("error", 24, 24, "SIGSEGV"),
    ("chain_rule", "flood_in_backprop"): ("passed", 30, 30, ""),
    ("chain_rule", "reads_stdin_in_train"): ("failed", 24, 24, "EOFError"),
    ("chain_rule", "thread_never_ends"): ("passed", 30, 30, ""),
    ("chain_rule", "syntax_error"): ("error", 0, 0, "does not compile"),
    ("chain_rule", "chdir_and_write_files"): ("passed", 30, 30, ""),
    ("losses", "default_dtype_float64"): ("passed", 41, 41, ""),
    ("losses", "patches_comparisons"): ("failed", 0, 0, "is 0, expected"),
    ("losses", "forges_results"): ("failed", 37, 37, "mse(pred, target"),
    ("losses", "crash_late"): ("error", 34, 34, "SIGABRT"),
    # The learner's process holds no pipe of the grader's: what it writes reaches nobody.
    ("losses", "writes_to_descriptors"): ("passed", 41, 41, ""),
}


@pytest.fixture
def space(tmp_path, monkeypatch):
    monkeypatch.delenv("KATA_COURSE", raising=False)
    space = api.init(dest=tmp_path / "ws", course=COURSE)
    spec = COURSE.manifest.get(NEIGHBOUR)
    shutil.copyfile(COURSE.solutions_dir / spec.relpath, space.exercise_file(spec))
    return space


@pytest.mark.parametrize("exercise,name", sorted(CASES))
def test_submission_costs_only_what_it_breaks(space, exercise, name):
    status, low, high, phrase = CASES[exercise, name]
    spec = COURSE.manifest.get(exercise)
    shutil.copyfile(SUBMISSIONS / exercise / f"{name}.py", space.exercise_file(spec))
    before = digest(space.exercises_dir)
    report = api.grade(workspace=space, ids=[exercise, NEIGHBOUR])
    assert digest(space.exercises_dir) == before, "grading changed the learner's files"

    neighbour, graded = report.get(NEIGHBOUR), report.get(exercise)
    assert neighbour.status == "passed" and neighbour.score == neighbour.max_score > 0
    details = (graded.message, [(c.name, c.outcome, c.points, c.message[:200]) for c in graded.checks])
    assert graded.status == status, details
    assert low <= graded.score <= high, details
    assert graded.max_score == MAX_SCORE[exercise], details
    assert phrase in graded.message + "\n".join(c.message for c in graded.checks), details
    assert "def test_" not in graded.message and len(graded.output) <= 20_000
    saved = {e["id"]: e for e in space.load_results().to_dict()["exercises"]}  # what kata report reads
    assert saved[exercise]["score"] == graded.score and saved[exercise]["status"] == status
