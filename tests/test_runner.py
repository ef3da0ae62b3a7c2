"""The parent judges: events count only in protocol order, and the verdict is the parent's own."""
from __future__ import annotations

from pathlib import Path

from grader import events as ev
from grader import runner
from grader.forbid import Violation
from grader.manifest import ExerciseSpec

SPEC = ExerciseSpec("adder", "00_fake", "Adder", forbid=("operator",))
JOB = runner.Job(SPEC, Path("checks.py"), Path("adder.py"), "exercises/00_fake/adder.py")
CHECKS = ev.Collected((ev.CheckInfo("add", 2.0), ev.CheckInfo("mul", 1.0), ev.CheckInfo("gpu", 1.0, "needs GPU")))
OPENING = [CHECKS, ev.Loading(), ev.Loaded()]


def fold(events):
    fold, run = runner.Fold(), runner._Run()
    for event in events:
        runner._apply(event, run, fold)
    return fold, run


def judged(events, violations=()):
    fold_, _ = fold(events)
    runner._charge(fold_, runner._left(fold_), "Not run")
    return runner._judge(JOB, fold_, list(violations))


def passed(name):
    return [ev.Start(name), ev.Outcome(name, "passed")]


def test_points_come_from_the_collection_not_from_the_outcome():
    result = judged([*OPENING, *passed("add"), *passed("mul"), ev.Done()])
    assert [(c.name, c.points, c.max_points) for c in result.checks][:2] == [("add", 2.0, 2.0), ("mul", 1.0, 1.0)]
    assert result.status == "passed" and result.score == result.max_score == 4.0  # 2 + 1 + allowed-APIs check


def test_events_out_of_order_are_ignored():
    forged = [ev.Outcome("add", "passed"),                       # before the collection
              CHECKS, ev.Start("add"), ev.Outcome("add", "passed"),  # a check before the file was loaded
              ev.Loading(), ev.Loaded(),
              ev.Start("mul"), ev.Outcome("add", "passed"),      # an outcome for another check than started
              ev.Outcome("mul", "failed", "mul(2, 3) is 5"),
              ev.Start("nope"), ev.Outcome("nope", "passed"),    # a check that was never collected
              ev.Start("add"), ev.Outcome("add", "failed", "wrong"),
              ev.Start("add"), ev.Outcome("add", "passed")]      # a second outcome for the same check
    fold_, _ = fold(forged)
    assert {n: c.outcome for n, c in fold_.checks.items()} == {"mul": "failed", "add": "failed"}


def test_a_second_collection_cannot_change_the_points():
    fold_, _ = fold([*OPENING, ev.Collected((ev.CheckInfo("add", 100.0),))])
    assert fold_.max_points["add"] == 2.0


def test_nothing_counts_after_done():
    fold_, run = fold([*OPENING, ev.Done(), *passed("add")])
    assert run.stage == "done" and fold_.checks == {}


def test_a_crash_never_yields_full_credit_and_status_and_score_agree():
    fold_, _ = fold([*OPENING, *passed("add"), *passed("mul")])
    fold_.faults.append(("error", "Crashed: the process ended (SIGSEGV)"))
    result = runner._judge(JOB, fold_, [])
    assert result.status == "error" and result.score < result.max_score


def test_the_forbidden_api_verdict_is_the_parents():
    events = [*OPENING, *passed("add"), ev.Start("mul"),
              ev.Outcome("mul", "passed", hits=(ev.Hit("operator.mul", 9),)), ev.Done()]
    result = judged(events)
    # Reached at run time, it costs the checks whose run reached it; the others computed theirs.
    points = {c.name: (c.outcome, c.points) for c in result.checks}
    assert points["add"] == ("passed", 2.0) and points["mul"][0] == "failed" and points["mul"][1] == 0
    assert "Not credited" in next(c.message for c in result.checks if c.name == "mul")
    allowed = result.checks[-1]
    assert allowed.name == runner.FORBID_CHECK and "uses operator.mul (line 9) (reached while your code ran)" in allowed.message
    result = judged([*OPENING, *passed("add"), *passed("mul"), ev.Done()],
                    violations=[Violation("operator.add", 4, "operator")])
    assert result.score == 0 and "operator.add (line 4)" in result.checks[0].message


def test_an_untouched_stub_is_not_started():
    stub = [ev.Start("add"), ev.Outcome("add", "failed", "Not implemented yet", not_implemented=True),
            ev.Start("mul"), ev.Outcome("mul", "failed", "Not implemented yet", not_implemented=True)]
    result = judged([*OPENING, *stub, ev.Done()])
    assert result.status == "not_started" and result.score == 0


def test_a_file_that_does_not_import_is_reported_once():
    error = "exercises/00_fake/adder.py does not compile:\n  line 3\nSyntaxError: '(' was never closed"
    events = [CHECKS, ev.Loading(), ev.LoadError(error, 3),
              ev.Start("add"), ev.Outcome("add", "error", error, 3),
              ev.Start("mul"), ev.Outcome("mul", "error", error, 3), ev.Done()]
    result = judged(events)
    assert result.status == "error" and result.message == error
    assert all(error not in c.message for c in result.checks)
    assert "does not import" in result.checks[0].message


def test_an_output_printed_in_every_check_is_kept_once():
    events = [CHECKS, ev.Loading(), ev.Loaded("hello\n"), ev.Start("add"), ev.Outcome("add", "passed", output="hello\n"),
              ev.Start("mul"), ev.Outcome("mul", "passed", output="hello\n"), ev.Done()]
    assert judged(events).output == "hello\n"


def test_learned_limits_have_a_floor_and_never_pass_the_exercise_timeout():
    limits = dict(runner.learned_limits(ExerciseSpec("a", "d", "A", timeout=30), {"fast": 0.01, "slow": 2.5, "huge": 9}))
    assert limits == {"fast": runner.LIMIT_FLOOR_S, "slow": 25.0, "huge": 30}


def test_links_and_files_outside_the_workspace_are_refused(tmp_path):
    root = tmp_path / "ws"
    (root / "exercises").mkdir(parents=True)
    outside = tmp_path / "solution.py"
    outside.write_text("x = 1\n")
    link = root / "exercises" / "adder.py"
    link.symlink_to(outside)
    for path in (link, outside):
        try:
            runner.read_submission(path, root)
        except runner.SubmissionRefused as exc:
            assert "link" in str(exc) or "outside" in str(exc)
        else:
            raise AssertionError(f"{path} was accepted")
    (root / "exercises" / "mine.py").write_text("y = 2\n")
    assert runner.read_submission(root / "exercises" / "mine.py", root) == b"y = 2\n"
