"""JUnit XML: a testsuite per exercise, a testcase per check; failures carry kata's message."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..results import GradeReport
from . import common


def render_junit(report: GradeReport) -> str:
    checks = [c for e in report.exercises for c in e.checks]
    root = ET.Element("testsuites", name="kata", **_counts(checks, report.duration_s))
    root.set("score", common.pts(report.score))
    root.set("max_score", common.pts(report.max_score))
    for e in report.exercises:
        suite = ET.SubElement(root, "testsuite", name=e.id, **_counts(e.checks, e.duration_s))
        if report.started_at:
            suite.set("timestamp", report.started_at)
        props = ET.SubElement(suite, "properties")
        for key, value in (("title", e.title), ("path", e.path), ("status", e.status),
                           ("score", common.pts(e.score)), ("max_score", common.pts(e.max_score))):
            ET.SubElement(props, "property", name=key, value=_clean(value))
        for c in e.checks:
            case = ET.SubElement(suite, "testcase", classname=f"kata.{e.id}", name=c.name,
                                 time=f"{c.duration_s:.4f}", file=e.path)
            if c.line:
                case.set("line", str(c.line))
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="points", value=common.pts(c.points))
            ET.SubElement(cprops, "property", name="max_points", value=common.pts(c.max_points))
            message = _clean(common.check_feedback(e, c))
            if c.outcome == "failed":
                tag = "failure"
            elif c.outcome == "error":
                tag = "error"
            elif c.outcome == "skipped":
                tag = "skipped"
            else:
                continue
            kind = "NotImplemented" if c.not_implemented else c.outcome
            node = ET.SubElement(case, tag, message=message.split("\n", 1)[0][:500], type=kind)
            node.text = message
        if e.output.strip():
            ET.SubElement(suite, "system-out").text = _clean(e.output)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _counts(checks, duration: float) -> dict:
    return {"tests": str(len(checks)),
            "failures": str(sum(c.outcome == "failed" for c in checks)),
            "errors": str(sum(c.outcome == "error" for c in checks)),
            "skipped": str(sum(c.outcome == "skipped" for c in checks)),
            "time": f"{duration:.3f}"}


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters; a learner's output may contain them."""
    return "".join(ch if ch in "\t\n\r" or (0x20 <= ord(ch) < 0xD800 or 0xE000 <= ord(ch) < 0xFFFE
                                              or ord(ch) > 0xFFFF) else "\ufffd"
                   for ch in str(text))
