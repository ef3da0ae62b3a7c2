"""The human-readable reports, html and md, drawn by Jinja templates from the same GradeReport."""
from __future__ import annotations

import html as html_mod
import re
from functools import lru_cache
from pathlib import Path

from ..results import ExerciseResult, GradeReport
from . import common

TEMPLATES = Path(__file__).resolve().parent / "templates"
MD_OUTPUT_TAIL = 3000  # characters of captured output a markdown summary keeps per exercise

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "memory": "💾",
         "not_started": "⚪", "skipped": "⏭️"}


@lru_cache(maxsize=None)
def _env():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=lambda name: bool(name) and ".html" in name,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(pts=common.pts, md_inline=md_inline, md_cell=md_cell, fence=fence, tail=tail)
    env.globals.update(pct=common.percent, pct_text=common.pct_text, feedback=common.check_feedback,
                       curve_svg=curve_svg, curve_text=curve_text, md_check=md_check, icon=lambda status: ICONS.get(status, "❔"),
                       outcome_of=outcome_of, html_escape=html_mod.escape)
    return env


def render_html(report: GradeReport) -> str:
    return _env().get_template("report.html.j2").render(report=report, env=_environment(report))


def render_md(report: GradeReport) -> str:
    return _env().get_template("report.md.j2").render(report=report, env=_environment(report),
                                                       tail_chars=MD_OUTPUT_TAIL)


def outcome_of(check) -> str:
    return "not_started" if check.not_implemented else check.outcome


def _environment(report: GradeReport) -> str:
    info = report.environment or {}
    parts = []
    if info.get("device"):
        parts.append(f"device {info['device']}" + (f" ({info['gpu']})" if info.get("gpu") else ""))
    for key in ("python", "torch", "numpy"):
        if info.get(key):
            parts.append(f"{key} {info[key]}")
    if report.kata_version:
        parts.append(f"kata {report.kata_version}")
    return " · ".join(parts)


# --- markdown helpers -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_inline(text: str) -> str:
    """One line of plain text, safe inside markdown (no accidental emphasis, links or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_cell(text: str) -> str:
    return md_inline(text)


def fence(text: str, lang: str = "text") -> str:
    """A fenced code block that the text itself cannot close."""
    text = str(text).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def tail(text: str, limit: int) -> str:
    text = str(text)
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return f"… ({len(text) - limit} earlier characters left out)\n" + cut.split("\n", 1)[-1]


def md_check(exercise: ExerciseResult, check) -> str:
    """One check as a markdown list item, its feedback inline or in a block under it."""
    outcome = outcome_of(check)
    head = (f"- {ICONS.get(outcome, '❔')} **{md_inline(check.name)}** ({common.pts(check.points)}/"
            f"{common.pts(check.max_points)}{'' if check.counts else ', not counted'})")
    if check.not_implemented:
        return head + ": not implemented yet"
    if check.outcome == "skipped":
        return head + (f": {md_inline(check.message)}" if check.message else ": skipped")
    if check.outcome == "passed":
        return head
    if exercise.message and check.message in ("", exercise.message):
        return head + ": see the message above"
    text = common.check_feedback(exercise, check)
    if "\n" not in text.strip():
        return head + ": " + md_inline(text)
    return head + "\n" + "\n".join("  " + line if line else "" for line in fence(text).splitlines())


# --- the loss curve ---------------------------------------------------------------------------

def curve_svg(exercise: ExerciseResult, width: int = 480, height: int = 200) -> str:
    """An inline SVG line plot of the exercise's loss curve ('' when it carries none)."""
    points = common.curve_of(exercise)
    if not points:
        return ""
    pad_l, pad_r, pad_t, pad_b = 48, 12, 12, 28
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def sx(x):
        return pad_l + (x - x0) / (x1 - x0) * w

    def sy(y):
        return pad_t + (1 - (y - y0) / (y1 - y0)) * h

    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    label = html_mod.escape(f"loss curve of {exercise.id}: {len(points)} points, "
                            f"from {ys[0]:.4g} to {ys[-1]:.4g}")
    return (f'<svg class="curve" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
            f'<title>{label}</title>'
            f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" class="plot"/>'
            f'<polyline points="{line}" class="loss"/>'
            f'<text x="{pad_l - 6}" y="{pad_t + 10}" text-anchor="end">{y1:.3g}</text>'
            f'<text x="{pad_l - 6}" y="{pad_t + h}" text-anchor="end">{y0:.3g}</text>'
            f'<text x="{pad_l}" y="{height - 8}">{x0:g}</text>'
            f'<text x="{pad_l + w}" y="{height - 8}" text-anchor="end">{x1:g}</text>'
            f'<text x="{pad_l + w / 2:.0f}" y="{height - 8}" text-anchor="middle">step · loss</text>'
            f'</svg>')


def curve_text(exercise: ExerciseResult) -> str:
    """The loss curve in one line, for formats without pictures ('' when there is none)."""
    points = common.curve_of(exercise)
    if not points:
        return ""
    ys = [y for _, y in points]
    return (f"Training loss: {len(points)} points, from {ys[0]:.4g} to {ys[-1]:.4g}"
            f" (lowest {min(ys):.4g}); the html report plots it.")
