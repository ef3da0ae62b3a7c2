"""kata's GitHub Classroom runners through the model of the reporter (tests/actions_model.py):
what Classroom records and what the learner's log prints are kata's total, and every runner's
value fits in one environment string, for every learner state of the real course."""
from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from grader.render.classroom import BUDGET, runners
from grader.results import CheckResult, ExerciseResult, GradeReport

from .actions_model import MAX_ARG_STRLEN, js_number, js_to_fixed, run_reporter
from .test_packaging import SHIPPED


def reporter_env(report: GradeReport) -> tuple[str, dict[str, str]]:
    rs = runners(report)
    return ",".join(r.name for r in rs), {r.env_var: r.value for r in rs}


def partial_report() -> GradeReport:
    """91 points in checks worth 1-4, 77 of them passed (the learner in the issue saw 76.63)."""
    weights = [[1, 2, 3, 4, 1, 2], [4, 4, 3, 2, 1, 1, 2], [2, 2, 2, 3, 3, 1, 1, 4, 4],
               [1, 1, 1, 1, 2, 2, 3, 4, 4, 3, 2, 1], [4, 4, 3, 2, 1]]
    failing = {(0, 3), (1, 2), (2, 1), (2, 6), (3, 5), (3, 11), (3, 2)}  # 4 + 3 + 2 + 1 + 2 + 1 + 1 = 14
    exercises = []
    for n, ws in enumerate(weights):
        checks = tuple(CheckResult(f"check_{k}", "failed" if (n, k) in failing else "passed", w,
                                   "" if (n, k) not in failing else f"value {k} is off by 0.5", line=k + 3)
                       for k, w in enumerate(ws))
        exercises.append(ExerciseResult(f"exercise_{n}", f"Exercise {n}", f"exercises/e{n}.py", checks=checks))
    return GradeReport(tuple(exercises))


def test_classroom_records_and_the_log_prints_kata_total_for_partial_scores():
    report = partial_report()
    assert (report.score, report.max_score) == (77, 91)
    run = run_reporter(*reporter_env(report))
    assert run.recorded == (77, 91)  # what Classroom records
    assert run.total_row == ("77", "91")  # the table's Total row, as the learner reads it
    assert run.failed is None
    for e, (name, score, maximum) in zip(report.exercises, run.table):
        assert (score, maximum) == (js_number(e.score), js_number(e.max_score))
        assert f"Total points for {name}: {js_to_fixed(e.score)}/{maximum}" in run.log
    assert "Grand total tests passed: 77/91" in run.log  # a test per point


def test_one_test_per_check_is_what_made_the_log_disagree():
    """The model tells the two computations apart: with one test per check (weights 1-4), the
    printed table is (passed checks / checks) x max, not the points."""
    report = partial_report()
    value = {}
    for e in report.exercises:
        tests = [{"name": c.name, "status": "pass" if c.outcome == "passed" else "fail", "score": c.points,
                  "max_score": c.max_points, "line_no": 0} for c in e.checks]
        data = {"version": 1, "status": "pass", "max_score": e.max_score, "tests": tests}
        value[e.id.replace("_", "").upper() + "_RESULTS"] = base64.b64encode(json.dumps(data).encode()).decode()
    run = run_reporter(",".join(e.id.replace("_", "") for e in report.exercises), value)
    assert run.recorded == (77, 91) and float(run.total_row[0]) != 77


@pytest.mark.parametrize("weights", [[1, 2, 2, 3, 4, 1], [0.5, 1, 1.5], [3, 3, 3], [1] * 29, [4, 2, 2, 1, 3, 1, 2]])
def test_every_score_of_an_exercise_prints_as_recorded(weights):
    """Every subset of passed checks: the runner's 'Total points' line and Classroom's record
    both show kata's score for the exercise."""
    n = len(weights)
    subsets = range(2 ** n) if n <= 12 else [0, 2 ** n - 1] + [(1 << k) - 1 for k in range(1, n)]
    for mask in subsets:
        checks = tuple(CheckResult(f"c{k}", "passed" if mask >> k & 1 else "failed", w) for k, w in enumerate(weights))
        e = ExerciseResult("ex", "Ex", "ex.py", checks=checks)
        run = run_reporter(*reporter_env(GradeReport((e,))))
        assert run.recorded == (e.score, e.max_score)
        assert f"Total points for ex: {js_to_fixed(e.score)}/{js_number(e.max_score)}" in run.log
        # the table cell is (passed / tests) x max in floating point: equal to the score up to
        # the last bit (JavaScript prints 12.999999999999998 for a few pairs such as 13 of 23)
        assert abs(float(run.table[0][1]) - e.score) < 1e-9 * max(1, e.max_score)
        unit = 0.5 if any(w % 1 for w in weights) else 1  # a test per point, per half point for 1.5
        assert f"Grand total tests passed: {js_number(e.score / unit)}/{js_number(e.max_score / unit)}" in run.log


# --- the real course: every learner state fits ------------------------------------------------

@pytest.fixture(scope="module")
def untouched_real_course(tmp_path_factory):
    """The real course's untouched stubs, graded (the state whose single result was 141 KB)."""
    import os

    from grader import api
    from grader.courses import default as default_course
    saved = os.environ.pop("KATA_COURSE", None)
    try:
        course = default_course()
        specs = list(course.manifest)
        space = api.init(dest=tmp_path_factory.mktemp("real") / "ws", course=course)
        work = api.pairs(specs, {s.id: space.exercise_file(s) for s in specs}, {s.id: space.display(s) for s in specs})
        results = api.grade_pairs(work, course=course, jobs=2)
    finally:
        if saved is not None:
            os.environ["KATA_COURSE"] = saved
    return GradeReport(tuple(results))


TRACEBACK = "".join(f'  File "/home/learner/kata/exercises/04_conv/conv2d.py", line {i}, in helper_{i}\n'
                    f"    value = helper_{i + 1}(x)  # a long line of the learner's code, repeated\n"
                    for i in range(120)) + "RecursionError: maximum recursion depth exceeded\n"


def _every_exercise_erroring(report: GradeReport) -> GradeReport:
    exercises = []
    for e in report.exercises:
        checks = tuple(replace(c, outcome="error", not_implemented=False, message=f"{c.name} crashed:\n{TRACEBACK}")
                       for c in e.checks)
        exercises.append(replace(e, checks=checks, message="Traceback (most recent call last):\n" + TRACEBACK * 3,
                                 fault="error", output="x = 1\n" * 2000))
    return replace(report, exercises=tuple(exercises))


def _every_exercise_passing(report: GradeReport) -> GradeReport:
    return replace(report, exercises=tuple(
        replace(e, checks=tuple(replace(c, outcome="passed", not_implemented=False, message="")
                                for c in e.checks)) for e in report.exercises))


@pytest.mark.parametrize("state", ["untouched", "every exercise erroring", "every exercise passing"])
def test_every_runner_fits_in_an_environment_string(untouched_real_course, state):
    report = {"untouched": lambda r: r, "every exercise erroring": _every_exercise_erroring,
              "every exercise passing": _every_exercise_passing}[state](untouched_real_course)
    assert len(report.exercises) == len(SHIPPED) and report.max_score > 500
    names, env = reporter_env(report)
    for key, value in env.items():
        assert len(value) <= BUDGET, f"{key}: {len(value)} bytes"
        assert len(f"{key}={value}".encode()) + 1 < MAX_ARG_STRLEN
    assert sum(len(k) + len(v) + 2 for k, v in env.items()) < 1024 * 1024  # all of them: far below ARG_MAX
    run = run_reporter(names, env)  # raises where Linux or the reporter would refuse
    assert run.recorded == (report.score, report.max_score)
    assert float(run.total_row[0]) == report.score and float(run.total_row[1]) == report.max_score
    assert run.failed is None
    if state == "untouched":  # short lines, no repeated file names
        assert max(len(v) for v in env.values()) < 16 * 1024
        assert not any(".py" in line for line in run.log)
