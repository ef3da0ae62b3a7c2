"""GitHub Classroom's autograding reporter input: version-1 JSON, base64-encoded.

The reporter (classroom-resources/autograding-grading-reporter) reads `<RUNNER>_RESULTS` from the
environment, base64-decodes it and parses {"version", "status", "max_score", "tests": [...]}. It
adds up each test's `score` for the points it sends to Classroom and counts a test as passed
when its status is "pass". One test per counted check, so the sum is kata's total.
"""
from __future__ import annotations

import base64
import json

from ..results import GradeReport
from . import common

STATUS = {"passed": "pass", "failed": "fail", "error": "error"}


def classroom_dict(report: GradeReport) -> dict:
    tests = []
    for e in report.exercises:
        for c in common.counted_checks(e):
            tests.append({"name": f"{e.id}: {c.name}", "status": STATUS.get(c.outcome, "fail"),
                          "score": c.points, "max_score": c.max_points,
                          "message": "" if c.outcome == "passed" else common.check_feedback(e, c),
                          "filename": e.path, "line_no": c.line or 0,
                          "duration": round(c.duration_s, 4)})
    return {"version": 1, "status": common.overall_status(report), "max_score": report.max_score,
            "tests": tests}


def encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode("utf-8")).decode("ascii")


def render_classroom(report: GradeReport) -> str:
    return encode(classroom_dict(report)) + "\n"
