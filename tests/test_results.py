"""The result model: derived scores and statuses, and the JSON round trip."""
from __future__ import annotations

import json

import pytest

from grader.results import CheckResult, ExerciseResult, GradeReport, ResultsError


def ex(*checks, fault=None, **kw):
    return ExerciseResult("x", "X", "exercises/x.py", checks=tuple(checks), fault=fault, **kw)


def test_scores_are_derived_and_skips_leave_the_max():
    e = ex(CheckResult("a", "passed", 2), CheckResult("b", "failed", 1), CheckResult("gpu", "skipped", 3))
    assert (e.score, e.max_score, e.status) == (2, 3, "failed")


@pytest.mark.parametrize("checks, fault, status", [
    ([CheckResult("a", "passed")], None, "passed"),
    ([CheckResult("a", "failed", not_implemented=True)], None, "not_started"),
    ([CheckResult("a", "failed", not_implemented=True), CheckResult("b", "passed")], None, "failed"),
    ([CheckResult("a", "passed"), CheckResult("b", "error")], "timeout", "timeout"),
    ([CheckResult("a", "skipped")], None, "skipped"),
    ([], "error", "error"),
])
def test_status(checks, fault, status):
    assert ex(*checks, fault=fault).status == status


def test_report_round_trip_keeps_every_field():
    report = GradeReport((ex(CheckResult("a", "passed", 2, duration_s=0.5), CheckResult("b", "failed", 1, "off by 1", line=7),
                             message="m", output="o"),
                          ExerciseResult("y", "Y", "p", fault="timeout", message="too slow")),
                         started_at="2026-01-01T00:00:00", duration_s=1.5, environment={"device": "cpu"},
                         kata_version="0.1.0")
    data = json.loads(report.to_json())
    assert data["schema"] == "kata-results/1" and data["score"] == 2 and data["max_score"] == 3
    assert data["exercises"][0]["checks"][1] == {"name": "b", "outcome": "failed", "points": 0.0, "max_points": 1.0,
                                                 "message": "off by 1", "duration_s": 0.0, "line": 7}
    again = GradeReport.from_dict(data)
    assert again.to_dict() == data
    assert again.get("y").status == "timeout"


def test_merge_keeps_exercises_not_regraded():
    old = GradeReport((ex(CheckResult("a", "passed")), ExerciseResult("y", "Y", "p", fault="error")))
    new = GradeReport((ExerciseResult("y", "Y", "p", checks=(CheckResult("c", "passed"),)),))
    merged = new.merged_into(old)
    assert [(e.id, e.status) for e in merged.exercises] == [("x", "passed"), ("y", "passed")]


@pytest.mark.parametrize("data", [{}, {"schema": "other"}, {"schema": "kata-results/1"},
                                  {"schema": "kata-results/1", "exercises": [{"id": "x", "status": "weird"}]}])
def test_malformed_documents_are_refused(data):
    with pytest.raises(ResultsError):
        GradeReport.from_dict(data)
