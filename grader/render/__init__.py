"""Renderers: every format is drawn from the same GradeReport, so a score reads the same everywhere.

Heavy or format-specific modules are imported only when their format is asked for.
"""
from __future__ import annotations

from ..results import GradeReport

FORMATS = ("json",)


def render(report: GradeReport, fmt: str) -> str:
    if fmt == "json":
        return report.to_json() + "\n"
    raise ValueError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
