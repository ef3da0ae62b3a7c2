"""Gradescope autograder results.json: one test per counted check, points as kata gives them.

Every output is declared plain text (`output_format`, `test_output_format` and each test's
`output_format`): Gradescope's default, `simple_format`, reads the text as HTML, which collapses
the aligned summary and turns a learner's `<class 'torch.Tensor'>` into a tag. Colour escapes
from the learner's output are removed, since plain text would show them raw.
"""
from __future__ import annotations

import json

from ..results import GradeReport
from . import common

OUTPUT_FORMAT = "text"  # one of Gradescope's text-like formats (text, md, ansi); never its HTML default


def gradescope_dict(report: GradeReport) -> dict:
    tests = []
    for n, e in enumerate(report.exercises, start=1):
        counted = common.counted_checks(e)
        for m, c in enumerate(counted, start=1):
            tests.append({"name": f"{e.id}: {c.name}", "number": f"{n}.{m}",
                          "score": c.points, "max_score": c.max_points,
                          "status": "passed" if c.outcome == "passed" else "failed",
                          "output": common.strip_ansi(_output(e, c)), "output_format": OUTPUT_FORMAT,
                          "visibility": "visible"})
        if not counted and e.status in common.FAULTS:  # nothing graded, but say why
            tests.append({"name": f"{e.id}: {e.status}", "number": f"{n}.0", "score": 0.0,
                          "max_score": 0.0, "status": "failed", "output": common.strip_ansi(e.message),
                          "output_format": OUTPUT_FORMAT, "visibility": "visible"})
    return {"score": report.score, "output": common.strip_ansi(_summary(report)), "output_format": OUTPUT_FORMAT,
            "test_output_format": OUTPUT_FORMAT, "test_name_format": OUTPUT_FORMAT, "visibility": "visible",
            "stdout_visibility": "hidden", "execution_time": round(report.duration_s, 3), "tests": tests}


def render_gradescope(report: GradeReport) -> str:
    return json.dumps(gradescope_dict(report), indent=2) + "\n"


def _output(e, c) -> str:
    if c.outcome == "passed":
        text = "passed"
    elif c.not_implemented:
        text = "Not implemented yet: fill in the TODO in " + e.path
    else:
        text = common.check_feedback(e, c)
    curves = "; ".join(common.curve_summary(label, values) for label, values in c.curves)
    return f"{text}\nLoss curve: {curves}" if curves else text


def _summary(report: GradeReport) -> str:
    lines = [f"Score {common.pts(report.score)}/{common.pts(report.max_score)}"
             f" ({common.pct_text(report.score, report.max_score)})", ""]
    for e in report.exercises:
        lines.append(f"{e.id:28} {common.pts(e.score):>5}/{common.pts(e.max_score):<5} {e.status.replace('_', ' ')}")
    skipped = [(e.id, c) for e in report.exercises for c in e.checks if not c.counts]
    if skipped:
        lines += ["", "Not counted:"] + [f"  {eid}: {c.name} ({c.message or 'skipped'})" for eid, c in skipped]
    for e in report.exercises:
        if e.output.strip():
            lines += ["", f"--- {e.id} printed ---", e.output.rstrip()]
    return "\n".join(lines)
