"""Plain terminal output for the learner verbs (click.style for colour, nothing heavy).

Feedback is said once: a file that does not import fails every check with the same traceback,
so checks that share a message are shown as one entry that names them (and a message that is the
exercise's own, shown at the top, is not repeated). Captured output is tidied the same way: a
warning given many times is shown once with its count, and a run of identical lines (or of
identical groups of a few lines) is shown once with "repeated N times".
"""
from __future__ import annotations

import re
from collections import Counter
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
    lines += check_lines(result)
    if result.output.strip():
        lines.append("  Your code printed:")
        lines.append(_indent(tidy_output(result.output.rstrip()), 4))
    return "\n".join(lines)


def check_lines(result: ExerciseResult) -> list[str]:
    """One entry per check, except that checks sharing one message (or carrying the exercise's own
    message) become one entry naming them all, with the message once."""
    said = result.message.strip()
    shared = Counter(c.message.strip() for c in result.checks if _has_feedback(c))
    lines, done = [], set()
    for check in result.checks:
        text = check.message.strip()
        if not _has_feedback(check) or (shared[text] < 2 and text != said):
            lines.append(check_line(check))
        elif text not in done:
            done.add(text)
            group = [c for c in result.checks if _has_feedback(c) and c.message.strip() == text]
            lines.append(_group_line(group, repeats_exercise=text == said))
    return lines


def _has_feedback(check: CheckResult) -> bool:
    return check.outcome != "passed" and not check.not_implemented and bool(check.message.strip())


def _group_line(group: list[CheckResult], *, repeats_exercise: bool, shown: int = 4) -> str:
    points = sum(c.points for c in group)
    most = sum(c.max_points for c in group)
    names = ", ".join(c.name for c in group[:shown])
    if len(group) > shown:
        names += f" and {len(group) - shown} more"
    outcome = "error" if any(c.outcome == "error" for c in group) else group[0].outcome
    count = f"{len(group)} checks" if len(group) > 1 else "1 check"
    if repeats_exercise and len(group) == 1:
        return f"  {mark(outcome)} {names} ({points:g}/{most:g}): see above"
    if repeats_exercise:
        return f"  {mark(outcome)} {count} ({points:g}/{most:g}) stopped by the error above: {names}"
    return f"  {mark(outcome)} {count} ({points:g}/{most:g}): {names}\n" + _indent(group[0].message, 6)


def check_line(check: CheckResult) -> str:
    outcome = "not_started" if check.not_implemented else check.outcome
    head = f"  {mark(outcome)} {check.name} ({check.points:g}/{check.max_points:g})"
    if check.outcome == "passed" or not check.message:
        return head
    if check.not_implemented:
        return head + click.style("  not implemented yet", fg="blue")
    return head + "\n" + _indent(check.message, 6)


# --- captured output ------------------------------------------------------------------------------

_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")  # "file.py:12: RuntimeWarning: overflow ..."
MAX_PERIOD = 6  # the longest group of lines looked for when collapsing repeats
MIN_REPEATS = 3  # fewer repeats than this are shown as they are


def tidy_output(text: str) -> str:
    """What a submission printed, with each warning shown once (and counted) and runs of
    repeated lines collapsed."""
    return "\n".join(_collapse_runs(_once_per_warning(text.splitlines())))


def _once_per_warning(lines: list[str]) -> list[str]:
    """Each distinct warning (its line, and the source line Python prints under it) once, followed by
    how many times it was given in all."""
    blocks, counts, i = [], Counter(), 0
    while i < len(lines):
        if _WARNING.match(lines[i]):
            end = i + 2 if i + 1 < len(lines) and lines[i + 1][:1].isspace() else i + 1
            block = tuple(lines[i:end])
            counts[block] += 1
            if counts[block] == 1:
                blocks.append(block)
            i = end
        else:
            blocks.append(lines[i])
            i += 1
    out = []
    for block in blocks:
        if isinstance(block, tuple):
            out += block
            if counts[block] > 1:
                out.append(f"[this warning was given {counts[block]} times in all]")
        else:
            out.append(block)
    return out


def _collapse_runs(lines: list[str]) -> list[str]:
    """A line, or a group of up to MAX_PERIOD lines, repeated MIN_REPEATS times or more in a row
    is shown once, then "... (repeated N times)"."""
    out, i = [], 0
    while i < len(lines):
        best_period, best_repeats = 1, 1
        for period in range(1, MAX_PERIOD + 1):
            block = lines[i:i + period]
            if len(block) < period:
                break
            repeats = 1
            while lines[i + repeats * period:i + (repeats + 1) * period] == block:
                repeats += 1
            if repeats >= MIN_REPEATS and repeats * period > best_repeats * best_period:
                best_period, best_repeats = period, repeats
        if best_repeats >= MIN_REPEATS:
            out += lines[i:i + best_period]
            what = "the line above" if best_period == 1 else f"the {best_period} lines above"
            out.append(f"... ({what} repeated {best_repeats} times)")
            i += best_period * best_repeats
        else:
            out.append(lines[i])
            i += 1
    return out


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())
