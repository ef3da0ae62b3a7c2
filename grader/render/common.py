"""Small helpers every renderer shares, so a number is written the same way in every format."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from ..results import CheckResult, Curve, ExerciseResult, GradeReport, thin

FAULTS = ("error", "timeout", "memory")

# ANSI escape sequences (colours, cursor moves) and other C0 controls but tab and newline
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")


def strip_ansi(text: str) -> str:
    """Text without terminal escapes (a learner's coloured print) or stray control characters."""
    return _ANSI.sub("", str(text).replace("\r\n", "\n"))


def pts(value: float) -> str:
    """Points as every format writes them: 4, 2.5, 0.333333."""
    return f"{value:g}"


def percent(score: float, max_score: float) -> float:
    return 100.0 * score / max_score if max_score else 0.0


def pct_text(score: float, max_score: float) -> str:
    return f"{percent(score, max_score):.0f} %"


def counted_checks(exercise: ExerciseResult) -> list[CheckResult]:
    """The checks that count towards the score (skipped ones are left out of the max)."""
    return [c for c in exercise.checks if c.counts]


def check_feedback(exercise: ExerciseResult, check: CheckResult) -> str:
    """What a check tells the learner: its own message, else the exercise's (timeout, crash)."""
    if check.outcome == "passed":
        return check.message
    if check.message:
        return check.message
    if exercise.message:
        return exercise.message
    return "The check did not pass." if check.outcome != "skipped" else "skipped"


# --- loss curves ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """The plot area inside an SVG, in SVG units."""
    left: float
    top: float
    width: float
    height: float


def curves_of(exercise: ExerciseResult) -> list[tuple[str, tuple[Curve, ...]]]:
    """(check name, its curves) for every check of the exercise that recorded some."""
    return [(c.name, c.curves) for c in exercise.checks if c.curves]


def value_range(series: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(low, high) over every series, widened when flat so that a constant curve sits mid-plot."""
    values = [v for s in series for v in s]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    return low, high


def log_scaled(series: Sequence[Sequence[float]]) -> tuple[list[list[float]], bool]:
    """The series as plotted, and whether on a log scale: log10 of the values when all are
    positive and they span at least two orders of magnitude (a loss that falls exponentially
    is otherwise an L against the axes), else the values as they are."""
    values = [v for s in series for v in s]
    if values and min(values) > 0 and max(values) >= 100 * min(values):
        return [[math.log10(v) for v in s] for s in series], True
    return [list(s) for s in series], False


def svg_points(values: Sequence[float], *, count: int, low: float, high: float,
               box: Box) -> list[tuple[float, float]]:
    """Map values to SVG coordinates: entry i at the i-th of `count` evenly spaced x positions
    (so series of one length line up), `high` at the top of the box, `low` at the bottom. A lone
    point sits in the middle; values outside [low, high] are clamped to the box."""
    points = []
    for i, value in enumerate(values):
        fx = i / (count - 1) if count > 1 else 0.5
        fy = _height(value, low, high)
        points.append((round(box.left + fx * box.width, 1), round(box.top + (1 - fy) * box.height, 1)))
    return points


def _height(value: float, low: float, high: float) -> float:
    """Where value sits between low (0) and high (1), clamped; 0.5 when the range is flat."""
    # Halves, so that high - low cannot overflow to inf when the range spans most of the floats.
    span = high / 2 - low / 2
    if not 0 < span < math.inf:
        return 0.5
    return min(1.0, max(0.0, (value / 2 - low / 2) / span))


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], *, low: float, high: float, width: int = 24) -> str:
    """A curve as a row of unicode blocks, at most `width` wide (the md report's picture)."""
    levels = [_height(v, low, high) for v in thin(list(values), width)]
    return "".join(SPARKS[min(len(SPARKS) - 1, int(f * len(SPARKS)))] for f in levels)


def curve_summary(label: str, values: Sequence[float]) -> str:
    """One series in words: how many points, where it starts and ends, and its lowest value."""
    n = len(values)
    if n == 1:
        return f"{label}: 1 point, {values[0]:.4g}"
    return (f"{label}: {n} points, first {values[0]:.4g}, last {values[-1]:.4g},"
            f" lowest {min(values):.4g}")


def overall_status(report: GradeReport) -> str:
    """pass | fail | error, as CI sees the whole grade."""
    if any(e.status in FAULTS for e in report.exercises):
        return "error"
    if any(c.outcome != "passed" for e in report.exercises for c in counted_checks(e)):
        return "fail"
    return "pass"
