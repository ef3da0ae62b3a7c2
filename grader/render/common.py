"""Small helpers every renderer shares, so a number is written the same way in every format."""
from __future__ import annotations

from ..results import CheckResult, ExerciseResult, GradeReport

FAULTS = ("error", "timeout", "memory")


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


def curve_of(exercise: ExerciseResult) -> list[tuple[float, float]]:
    """The loss curve an exercise result carries, as (step, loss) points; [] when it has none.

    The result model has no curve field today; a result that carries a `curve` attribute (a list
    of losses, or of (step, loss) pairs) gets a plot. Anything else is ignored, never an error.
    """
    raw = getattr(exercise, "curve", None)
    if not raw:
        return []
    points: list[tuple[float, float]] = []
    try:
        for i, item in enumerate(raw):
            if isinstance(item, (list, tuple)) and len(item) == 2:
                x, y = float(item[0]), float(item[1])
            else:
                x, y = float(i), float(item)
            if x == x and y == y and abs(y) != float("inf"):  # drop NaN / inf
                points.append((x, y))
    except (TypeError, ValueError):
        return []
    return points if len(points) >= 2 else []


def overall_status(report: GradeReport) -> str:
    """pass | fail | error, as CI sees the whole grade."""
    if any(e.status in FAULTS for e in report.exercises):
        return "error"
    if any(c.outcome != "passed" for e in report.exercises for c in counted_checks(e)):
        return "fail"
    return "pass"
