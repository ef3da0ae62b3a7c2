"""The terminal says each thing once: one error for a file that does not import, one entry for
checks that share a message, each warning once, runs of repeated output collapsed."""
from __future__ import annotations

import click
from click.testing import CliRunner

from grader import api
from grader.cli import cli
from grader.render import terminal as term
from grader.results import CheckResult, ExerciseResult

from .conftest import SUBMISSIONS, install

TRACEBACK = ('  File "exercises/01_basics/adder.py", line 4\n    def add(a, b)\n                 ^\n'
             "SyntaxError: expected ':'")


def detail(result: ExerciseResult) -> str:
    return click.unstyle(term.exercise_detail(result))


def test_a_syntax_error_is_shown_once_through_the_runner(workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "syntax_error.py")
    result = api.grade(workspace=workspace, ids=["adder"]).exercises[0]
    assert result.status == "error"
    text = detail(result)
    assert text.count("SyntaxError") == 1, text
    assert text.count("def add(a, b)") == 1, text
    assert len(text.splitlines()) <= 14, text  # a handful of lines, not one traceback per check
    for check in result.checks:  # every check is still named, with its points
        if check.outcome != "skipped":
            assert check.name in text
    assert "error, 0/5" in text


def test_kata_check_of_a_syntax_error_is_short(workspace):
    install(workspace, "adder", SUBMISSIONS / "adder" / "syntax_error.py")
    result = CliRunner().invoke(cli, ["check", "adder"])
    assert result.exit_code == 1
    assert result.output.count("SyntaxError") == 1 and len(result.output.splitlines()) <= 14, result.output


def _broken(check_message: str) -> ExerciseResult:
    names = ["add", "mul", "scale", "forbidden_api", "extra[1-2]", "extra[3-4]"]
    return ExerciseResult("adder", "Adding", "exercises/01_basics/adder.py", fault="error",
                          message="exercises/01_basics/adder.py does not compile:\n" + TRACEBACK,
                          checks=tuple(CheckResult(n, "error", 1.0, check_message) for n in names))


def test_checks_carrying_the_exercise_error_are_named_once():
    """Today's runner: each check carries the exercise's whole traceback."""
    text = detail(_broken("exercises/01_basics/adder.py does not compile:\n" + TRACEBACK))
    assert text.count("SyntaxError") == 1
    assert "! 6 checks (0/6) stopped by the error above: add, mul, scale, forbidden_api and 2 more" in text
    assert len(text.splitlines()) == 8


def test_checks_with_one_short_message_are_grouped():
    """The runner to come: the traceback on the exercise, a short message on each check."""
    text = detail(_broken("Not run: exercises/01_basics/adder.py does not import (see above)."))
    assert text.count("SyntaxError") == 1
    assert text.count("Not run:") == 1
    assert "! 6 checks (0/6): add, mul, scale, forbidden_api and 2 more" in text


def test_different_messages_stay_with_their_checks():
    checks = (CheckResult("add", "failed", 1.0, "add(2, 3) is -1, expected 5"),
              CheckResult("mul", "passed", 2.0),
              CheckResult("scale", "failed", 1.0, "scale([1, 2], 3) is [1, 2], expected [3, 6]"),
              CheckResult("scale_more", "failed", 1.0, "Not implemented yet",
                          not_implemented=True),
              CheckResult("again", "failed", 1.0, "Not implemented yet", not_implemented=True))
    text = detail(ExerciseResult("adder", "Adding", "a.py", checks=checks))
    lines = text.splitlines()
    assert lines[2:] == ["  ✗ add (0/1)", "      add(2, 3) is -1, expected 5", "  ✓ mul (2/2)",
                         "  ✗ scale (0/1)", "      scale([1, 2], 3) is [1, 2], expected [3, 6]",
                         "  · scale_more (0/1)  not implemented yet", "  · again (0/1)  not implemented yet"]


def test_a_warning_given_many_times_is_shown_once_with_its_count():
    warning = ("/ws/exercises/02/update.py:12: RuntimeWarning: overflow encountered in multiply\n"
               "  w = w - lr * grad\n")
    other = "/ws/exercises/02/update.py:13: RuntimeWarning: invalid value encountered in subtract\n  b -= g\n"
    output = "epoch 1\n" + (warning + other) * 200 + "done\n"
    text = detail(ExerciseResult("x", "X", "x.py", checks=(CheckResult("c", "passed"),), output=output))
    printed = text.split("Your code printed:\n")[1].splitlines()
    assert printed == ["    epoch 1",
                       "    /ws/exercises/02/update.py:12: RuntimeWarning: overflow encountered in multiply",
                       "      w = w - lr * grad", "    [this warning was given 200 times in all]",
                       "    /ws/exercises/02/update.py:13: RuntimeWarning: invalid value encountered in subtract",
                       "      b -= g", "    [this warning was given 200 times in all]",
                       "    done"]


def test_runs_of_repeated_lines_collapse():
    lines = ["start"] + ["loss nan"] * 200 + ["step", "loss inf"] * 50 + ["x", "x", "end"]
    assert term.tidy_output("\n".join(lines)).splitlines() == [
        "start", "loss nan", "... (the line above repeated 200 times)",
        "step", "loss inf", "... (the 2 lines above repeated 50 times)", "x", "x", "end"]


def test_printed_floods_collapse_through_the_runner(workspace, tmp_path):
    source = tmp_path / "chatty.py"
    source.write_text(
        '"""Prints the same line on every call, then answers."""\n\n\n'
        "def add(a, b):\n    for _ in range(300):\n        print('still adding')\n    return a + b\n\n\n"
        "def mul(a, b):\n    return a * b\n\n\n"
        "def scale(xs, k):\n    return [k * x for x in xs]\n")
    install(workspace, "adder", source)
    result = api.grade(workspace=workspace, ids=["adder"]).exercises[0]
    assert result.passed and result.output.count("still adding") >= 300
    text = detail(result)
    assert text.count("still adding") == 1
    assert "still adding\n    ... (the line above repeated 300 times)" in text


def test_a_single_check_carrying_the_exercise_message_points_up_to_it():
    timed_out = "Timed out: check 'mul' ran longer than 8 s and was stopped. Look for an infinite loop."
    result = ExerciseResult("adder", "Adding", "a.py", fault="timeout", message=timed_out,
                            checks=(CheckResult("add", "passed"), CheckResult("mul", "error", 2.0, timed_out)))
    text = detail(result)
    assert text.count("Timed out") == 1 and "  ! mul (0/2): see above" in text.splitlines()
