"""Renderers: every format is drawn from the same GradeReport, so a score reads the same everywhere.

Heavy or format-specific modules are imported only when their format is asked for.
"""
from __future__ import annotations

from ..results import GradeReport

FORMATS = ("json", "html", "md", "gradescope", "classroom", "junit")


def render(report: GradeReport, fmt: str) -> str:
    if fmt == "json":
        return report.to_json() + "\n"
    if fmt == "html":
        from .pages import render_html
        return render_html(report)
    if fmt == "md":
        from .pages import render_md
        return render_md(report)
    if fmt == "gradescope":
        from .gradescope import render_gradescope
        return render_gradescope(report)
    if fmt == "classroom":
        from .classroom import render_classroom
        return render_classroom(report)
    if fmt == "junit":
        from .junit import render_junit
        return render_junit(report)
    raise ValueError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
