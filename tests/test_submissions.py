"""Broken and hostile submissions cost only what they break.

Each submission under tests/submissions/adder/ is graded next to a correct neighbour exercise
(greeter). The table gives the exact exercise status, the score bounds, and what the message
must say; the neighbour must keep full marks and no learner file may change.
"""
from __future__ import annotations

import pytest

from grader import api

from .conftest import SUBMISSIONS, digest, install

# adder: add 1 pt, mul 2 pt, scale 1 pt, the forbidden-API check 1 pt; a GPU-only check is skipped.
CASES = {
    # name: (status, min score, max score, phrase in the exercise or check messages)
    "passing": ("passed", 5, 5, ""),
    "failing": ("failed", 4, 4, "add(2, 3) is -1, expected 5"),
    "not_started": ("not_started", 0, 0, "Not implemented yet"),
    "syntax_error": ("error", 0, 0, "SyntaxError"),
    "import_exception": ("error", 0, 0, "KeyError: 'missing'"),
    "sys_exit_import": ("error", 0, 0, "sys.exit(0)"),
    "os_exit_import": ("error", 0, 0, "exit status 0"),
    "hang_import": ("timeout", 0, 0, "importing"),
    "hang_in_mul": ("timeout", 3, 3, "check 'mul'"),
    "segfault_in_mul": ("error", 3, 3, "SIGSEGV"),
    "memory_hog_in_mul": ("memory", 3, 3, "memory"),
    "flood_of_output": ("passed", 5, 5, ""),
    "forged_records": ("failed", 3, 3, "added instead of multiplied"),
    "reads_stdin": ("failed", 4, 4, "EOFError"),
    "forbidden_call": ("failed", 0, 0, "math.prod (line 10)"),
    "chdir_import": ("passed", 5, 5, ""),
    "thread_forever": ("passed", 5, 5, ""),
    "crash_late": ("error", 4, 4, "SIGABRT"),
    "patches_comparisons": ("failed", 0, 0, "expected 5"),
}


def _grade(space, name):
    install(space, "greeter", space.root / ".." / "greeter_solution.py")
    install(space, "adder", SUBMISSIONS / "adder" / f"{name}.py")
    before = digest(space.exercises_dir)
    report = api.grade(workspace=space)
    assert digest(space.exercises_dir) == before, "grading changed the learner's files"
    return report


@pytest.fixture
def neighbour(course, workspace):
    (workspace.root.parent / "greeter_solution.py").write_bytes(
        (course.solutions_dir / "01_basics" / "greeter.py").read_bytes())
    return workspace


@pytest.mark.parametrize("name", sorted(CASES))
def test_submission_costs_only_what_it_breaks(neighbour, name):
    status, low, high, phrase = CASES[name]
    report = _grade(neighbour, name)
    adder, greeter = report.get("adder"), report.get("greeter")
    assert greeter.status == "passed" and greeter.score == greeter.max_score == 1
    assert adder.max_score == 5, [c.to_dict() for c in adder.checks]
    assert adder.status == status, (adder.message, [c.to_dict() for c in adder.checks])
    assert low <= adder.score <= high, [c.to_dict() for c in adder.checks]
    messages = adder.message + "\n".join(c.message for c in adder.checks)
    assert phrase in messages
    assert "def test_" not in messages and "checks/01_basics" not in messages  # no check source
    assert len(adder.output) <= 20_000
    skipped = [c for c in adder.checks if c.outcome == "skipped"]
    assert [c.message for c in skipped] == ["needs GPU"]


def test_import_error_shows_the_learners_line(neighbour):
    adder = _grade(neighbour, "import_exception").get("adder")
    assert 'adder.py", line 2' in adder.message
    assert 'SCALE = {"k": 1}["missing"]' in adder.message


def test_not_started_reports_every_check_as_not_implemented(neighbour):
    adder = _grade(neighbour, "not_started").get("adder")
    counted = [c for c in adder.checks if c.outcome != "skipped"]
    assert counted and all(c.not_implemented for c in counted)


def test_forbidden_call_is_named_with_its_line(neighbour):
    adder = _grade(neighbour, "forbidden_call").get("adder")
    check = next(c for c in adder.checks if c.name == "uses_only_allowed_apis")
    assert check.outcome == "failed" and "math.prod (line 10)" in check.message
    assert all(c.outcome != "passed" for c in adder.checks)


def test_flood_keeps_a_bounded_tail(neighbour):
    adder = _grade(neighbour, "flood_of_output").get("adder")
    assert "flood" in adder.output and "dropped" in adder.output


def test_same_submission_same_score(neighbour):
    first = _grade(neighbour, "failing").get("adder")
    second = _grade(neighbour, "failing").get("adder")
    assert [c.to_dict()["points"] for c in first.checks] == [c.to_dict()["points"] for c in second.checks]
    assert [c.message for c in first.checks] == [c.message for c in second.checks]


def test_parallel_grading_matches_serial(neighbour):
    install(neighbour, "adder", SUBMISSIONS / "adder" / "hang_in_mul.py")
    serial = api.grade(workspace=neighbour, jobs=1)
    parallel = api.grade(workspace=neighbour, jobs=2)
    assert [(e.id, e.status, e.score) for e in serial.exercises] == \
           [(e.id, e.status, e.score) for e in parallel.exercises]


def test_an_exercise_that_keeps_hanging_stops_at_its_time_budget(neighbour, monkeypatch):
    """After its budget (here one timeout in all), the checks still to run are charged, not run."""
    from grader import runner
    monkeypatch.setattr(runner, "BUDGET_TIMEOUTS", 1)
    adder = _grade(neighbour, "hang_in_mul").get("adder")
    outcomes = {c.name: (c.outcome, c.message) for c in adder.checks}
    assert outcomes["add"][0] == "passed"
    assert outcomes["mul"][0] == "error" and "Timed out" in outcomes["mul"][1]
    assert outcomes["scale"][0] == "error" and "ran longer than 1 x 8 s in all" in outcomes["scale"][1]
    assert adder.status == "timeout" and adder.score == 2  # add, and the forbidden-API check it unlocks
    assert adder.duration_s < 14
