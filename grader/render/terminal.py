"""Plain terminal output for the learner verbs (click.style for colour, nothing heavy)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..results import CheckResult, ExerciseResult, GradeReport

if TYPE_CHECKING:
    from ..api import Hint

MARKS = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("!", "red"),
         "skipped": ("-", "yellow"), "not_started": ("·", "blue"), "timeout": ("⏱", "red"),
         "memory": ("M", "red"), "pending": (" ", None)}


def mark(status: str) -> str:
    symbol, colour = MARKS.get(status, ("?", None))
    return click.style(symbol, fg=colour, bold=True)


def status_word(status: str) -> str:
    return click.style(status.replace("_", " "), fg=MARKS.get(status, ("", None))[1])


def score(result: ExerciseResult) -> str:
    return f"{result.score:g}/{result.max_score:g}"


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def hint_text(shown: "Hint", path: str) -> str:
    """A hint as `kata hint` and `kata watch` show it; past the last one, say so."""
    spec = shown.spec
    if shown.text is None:
        return f"{spec.id} has no hints: the docstring at the top of {path} explains the idea."
    if shown.exhausted:
        return (f"No more hints for {spec.id}: that was the last hint ({shown.total}/{shown.total}):\n"
                f"  {shown.text}\n"
                f"The docstring at the top of {path} explains the idea with a worked example;"
                f" `kata solution {spec.id}` shows the reference once your exercise passes.")
    last = "  (that was the last hint)" if shown.number == shown.total else ""
    return f"Hint {shown.number}/{shown.total} for {spec.id}:{last}\n  {shown.text}"


def exercise_line(result: ExerciseResult) -> str:
    return f"{mark(result.status)} {result.id:28} {score(result):>9}  {status_word(result.status)}"


def report_summary(report: GradeReport) -> str:
    lines = [exercise_line(e) for e in report.exercises]
    for e in report.exercises:
        if e.status in ("error", "timeout", "memory") and e.message:
            lines.append(f"\n{mark(e.status)} {e.id}: {_indent(e.message, 2).lstrip()}")
    lines.append(f"\nScore {report.score:g}/{report.max_score:g} ({100 * report.fraction:.0f} %)"
                 f" in {report.duration_s:.1f} s")
    return "\n".join(lines)


def exercise_detail(result: ExerciseResult) -> str:
    """Every check with its feedback, as `kata check` shows it."""
    lines = [f"{mark(result.status)} {result.title} — {status_word(result.status)}, {score(result)}",
             f"  {result.path}"]
    if result.message:
        lines.append(_indent(result.message, 2))
    for check in result.checks:
        lines.append(check_line(check))
    if result.output.strip():
        lines.append("  Your code printed:")
        lines.append(_indent(result.output.rstrip(), 4))
    return "\n".join(lines)


def check_line(check: CheckResult) -> str:
    outcome = "not_started" if check.not_implemented else check.outcome
    head = f"  {mark(outcome)} {check.name} ({check.points:g}/{check.max_points:g})"
    if check.outcome == "passed" or not check.message:
        return head
    if check.not_implemented:
        return head + click.style("  not implemented yet", fg="blue")
    return head + "\n" + _indent(check.message, 6)


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())
