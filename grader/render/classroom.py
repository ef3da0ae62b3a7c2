"""GitHub Classroom's autograding reporter input: one runner per exercise, version-1 JSON, base64.

How the reporter (classroom-resources/autograding-grading-reporter@v1) reads it, per its docs:
- `runners: a,b,c` names the runners; it reads `process.env[runner.trim().toUpperCase() + "_RESULTS"]`,
  base64-decodes it and parses {"version", "status", "max_score", "tests": [...]}. Runner names are
  kept alphanumeric (its error path checks `^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$`).
- Classroom records Σ tests[].score over Σ max_score (runners whose max_score is 0 are left out).
- The log it prints computes each runner's points as (tests with status "pass" / tests) × max_score.

So that both agree, each exercise's tests are of equal weight, one point each (half a point where
a check is worth 1.5): a check worth 3 points is three tests (named "check (part 2 of 3)" after the
first). Then passed tests / tests is score / max_score for every learner, and "tests passed" in
the log counts points.

Each runner's value is one environment string, which Linux caps at 128 KiB (MAX_ARG_STRLEN); it is
kept under BUDGET for every learner state: short messages for untouched stubs, an exercise-wide
error shown once, long messages cut with a marker, and cut shorter still until the value fits.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from math import gcd
from typing import Iterable

from ..results import CheckResult, ExerciseResult, GradeReport
from . import common

BUDGET = 64 * 1024  # bytes of one runner's base64 value; Linux refuses an env string over 128 KiB
MESSAGE_LIMIT = 1500  # characters of one check's message, before any further cut for the budget
NAME_LIMIT = 160
MAX_UNITS = 2000  # tests per runner; beyond this (odd point values) one test per check
CUT = "… [cut: {n} more characters; the job summary and the HTML report have the full text]"
MORE = "See the job summary (or the kata-report artifact) for every message."


@dataclass(frozen=True)
class Runner:
    name: str  # alphanumeric; the reporter reads the variable <NAME upper-cased>_RESULTS
    exercise_id: str
    value: str  # base64 of the reporter JSON

    @property
    def env_var(self) -> str:
        return f"{self.name.upper()}_RESULTS"


def runner_names(exercise_ids: Iterable[str]) -> dict[str, str]:
    """Exercise id → runner name: the id without underscores (and any other non-alphanumeric);
    ids that would collide get their underscore positions appended, so a name never depends on
    which other exercises were graded in the same run beyond those that collide."""
    ids = list(exercise_ids)
    base = {i: re.sub(r"[^A-Za-z0-9]", "", i) or "exercise" for i in ids}
    names = {}
    for i in ids:
        clash = sum(1 for j in ids if base[j].lower() == base[i].lower()) > 1
        names[i] = base[i] + ("x" + "".join(str(k) for k, ch in enumerate(i) if not ch.isalnum()) if clash else "")
    return names


# --- one exercise → one runner's JSON -----------------------------------------------------------

def runner_dict(exercise: ExerciseResult, *, message_limit: int = MESSAGE_LIMIT) -> dict:
    """The reporter's JSON for one exercise. `status` says whether kata graded it ("pass": the
    grade below is the learner's, whatever it is); each test says how its point went."""
    counted = common.counted_checks(exercise)
    tests: list[dict] = []
    if not counted:  # skipped here, or a fault before any check ran: one line that says why
        why = exercise.skipped_reason or exercise.message or exercise.status.replace("_", " ")
        failed = exercise.status in common.FAULTS
        tests.append(_test(f"{exercise.status.replace('_', ' ')}: {_first_line(why)}", "error" if failed else "pass",
                           0, 0, message=_cut(why, message_limit) if failed else ""))
    else:
        unit = _unit([c.max_points for c in counted])
        shared_shown = False  # an exercise-wide message (import error, timeout) is shown once
        for c in counted:
            units = _units(c.max_points, unit)
            first, shared_shown = _first_test(exercise, c, units, message_limit, shared_shown)
            tests.append(first)
            for k in range(2, len(units) + 1):
                tests.append(_test(f"{c.name} (part {k} of {len(units)})",
                                   "pass" if c.outcome == "passed" else "fail",
                                   units[k - 1] if c.outcome == "passed" else 0, units[k - 1],
                                   line=c.line))
    return {"version": 1, "status": "pass", "max_score": exercise.max_score, "tests": tests}


def _first_test(e: ExerciseResult, c: CheckResult, units: list[float], limit: int,
                shared_shown: bool) -> tuple[dict, bool]:
    worth = f"{common.pts(c.max_points)} point{'' if c.max_points == 1 else 's'}"
    score, unit_max = (units[0] if c.outcome == "passed" else 0), units[0]
    if c.outcome == "passed":
        return _test(f"{c.name} ({worth})", "pass", score, unit_max), shared_shown
    if c.not_implemented:
        return _test(f"{c.name} ({worth}): not implemented yet", "fail", 0, unit_max, line=c.line), shared_shown
    text = common.check_feedback(e, c)
    if e.message and text == e.message:
        if shared_shown:
            return _test(f"{c.name} ({worth}): see the {e.status} above", "fail", 0, unit_max, line=c.line), True
        shared_shown = True
    # "error" is the status whose message the reporter prints; the name goes in front of it
    head = f"{_cut(c.name, NAME_LIMIT, marker=False)} (0/{common.pts(c.max_points)})"
    return _test(c.name, "error", 0, unit_max, line=c.line, message=f"{head}: {_cut(text, limit)}"), shared_shown


def _test(name: str, status: str, score: float, max_score: float, *, line: int | None = None,
          message: str = "") -> dict:
    test = {"name": _cut(name, NAME_LIMIT, marker=False), "status": status, "score": score,
            "max_score": max_score, "line_no": int(line or 0)}
    if message:
        test["message"] = message
    return test


def _unit(points: list[float]) -> Fraction | None:
    """The weight of one test: one point, or the fraction of a point that makes every check's
    points whole (half a point for 1.5); None when that would take more than MAX_UNITS tests."""
    fractions = [Fraction(p).limit_denominator(1000) for p in points if p > 0]
    if not fractions:
        return None
    denominator = reduce(lambda a, b: a * b // gcd(a, b), (f.denominator for f in fractions), 1)
    unit = Fraction(1, denominator)
    if sum(f / unit for f in fractions) > MAX_UNITS:
        return None
    return unit


def _units(points: float, unit: Fraction | None) -> list[float]:
    """A check's points as tests of one unit each (the last takes any rounding remainder)."""
    if unit is None or points <= 0:
        return [points]
    n = int(Fraction(points).limit_denominator(1000) / unit)
    if n <= 1:
        return [points]
    each = float(unit)
    return [each] * (n - 1) + [points - each * (n - 1)]


def _first_line(text: str, limit: int = 100) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return _cut(line, limit, marker=False)


def _cut(text: str, limit: int, *, marker: bool = True) -> str:
    text = str(text)
    if len(text) <= limit:
        return text
    if not marker:
        return text[: max(0, limit - 1)] + "…"
    return text[:limit] + CUT.format(n=len(text) - limit)


# --- every runner -------------------------------------------------------------------------------

def encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).decode("ascii")


def runner_value(exercise: ExerciseResult, budget: int = BUDGET) -> str:
    """The runner's base64 value, under `budget` bytes: messages are cut shorter until it fits,
    then test names (a course of thousands of long-named checks), then messages go."""
    limit = MESSAGE_LIMIT
    while True:
        data = runner_dict(exercise, message_limit=limit)
        value = encode(data)
        if len(value) <= budget or limit == 0:
            break
        limit = limit // 2 if limit > 40 else 0
    for name_limit in (80, 40, 20):
        if len(value) <= budget:
            return value
        for t in data["tests"]:
            t["name"] = _cut(t["name"], name_limit, marker=False)
        value = encode(data)
    if len(value) > budget:
        for t in data["tests"]:
            t.pop("message", None)
        data["tests"][0]["message"] = MORE
        value = encode(data)
    return value


def runners(report: GradeReport) -> list[Runner]:
    """One runner per exercise, in course order."""
    names = runner_names(e.id for e in report.exercises)
    return [Runner(names[e.id], e.id, runner_value(e)) for e in report.exercises]


def render_classroom(report: GradeReport) -> str:
    """`NAME=BASE64`, a line per runner: the step-output lines kata writes to $GITHUB_OUTPUT."""
    return "".join(f"{r.name}={r.value}\n" for r in runners(report))


def decode(value: str) -> dict:
    return json.loads(base64.b64decode(value))
