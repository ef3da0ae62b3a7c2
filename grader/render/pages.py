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
    env.filters.update(pts=common.pts, md_inline=md_inline, md_cell=md_cell, fence=fence, tail=tail,
                       clean=common.strip_ansi, collapsed=collapsed_output)
    env.globals.update(pct=common.percent, pct_text=common.pct_text, feedback=common.check_feedback,
                       curve_svg=curve_svg, curve_text=curve_text, curves_of=common.curves_of,
                       md_check=md_check, icon=lambda status: ICONS.get(status, "❔"),
                       outcome_of=outcome_of, html_escape=html_mod.escape, output_blocks=output_blocks)
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


# --- captured output ----------------------------------------------------------------------------

MAX_BLOCK = 200  # lines in the longest repeated block looked for


def output_blocks(text: str) -> list[tuple[str, int]]:
    """A learner's captured output as (block, times) pairs, where a block that was printed several
    times in a row (an import-time print, once per check) is kept once with its count. Colour
    escapes are removed."""
    lines = common.strip_ansi(text).rstrip("\n").split("\n")
    if lines == [""]:
        return []
    blocks: list[tuple[list[str], int]] = []
    i, n = 0, len(lines)
    while i < n:
        best_size, best_times = 1, 1
        for size in range(1, min(MAX_BLOCK, (n - i) // 2) + 1):
            times = 1
            while lines[i + times * size:i + (times + 1) * size] == lines[i:i + size]:
                times += 1
            if times > 1 and size * times > best_size * best_times:
                best_size, best_times = size, times
        chunk = lines[i:i + best_size]
        if best_times == 1 and blocks and blocks[-1][1] == 1:  # run of single lines: one block
            blocks[-1] = (blocks[-1][0] + chunk, 1)
        else:
            blocks.append((chunk, best_times))
        i += best_size * best_times
    return [("\n".join(chunk), times) for chunk, times in blocks]


def collapsed_output(text: str) -> str:
    """The captured output as plain text, each repeated block once with a line that counts it."""
    parts = []
    for chunk, times in output_blocks(text):
        parts.append(chunk)
        if times > 1:
            n = len(chunk.split("\n"))
            parts.append(f"[the {n} line{'s' if n != 1 else ''} above, {times} times in a row]")
    return "\n".join(parts) + ("\n" if parts else "")


# --- markdown helpers -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_inline(text: str) -> str:
    """One line of plain text, safe inside markdown (no accidental emphasis, links or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(common.strip_ansi(text).split()))


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
    text = common.strip_ansi(common.check_feedback(exercise, check))
    if "\n" not in text.strip():
        return head + ": " + md_inline(text)
    return head + "\n" + "\n".join("  " + line if line else "" for line in fence(text).splitlines())


# --- loss curves ------------------------------------------------------------------------------

def curve_svg(name: str, curves, width: int = 480, height: int = 220) -> str:
    """One check's loss curves as an inline SVG: a polyline per series on shared axes (log scale
    when the loss falls by orders of magnitude), the lowest and highest loss on the y axis, and a
    legend. '' when there is nothing to draw."""
    if not curves:
        return ""
    box = common.Box(left=64, top=12, width=width - 64 - 12, height=height - 12 - 30)
    series, log = common.log_scaled([values for _, values in curves])
    low, high = common.value_range(series)
    count = max(len(values) for values in series)
    right, bottom = box.left + box.width, box.top + box.height
    title = html_mod.escape(f"Loss curve of {name}: "
                            + "; ".join(common.curve_summary(label, values) for label, values in curves))
    parts = [f'<svg class="curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
             f' role="img" aria-label="{title}"><title>{title}</title>',
             f'<rect x="{box.left}" y="{box.top}" width="{box.width}" height="{box.height}" class="plot"/>']
    for i, ((label, _), values) in enumerate(zip(curves, series)):
        points = common.svg_points(values, count=count, low=low, high=high, box=box)
        if len(points) == 1:
            (x, y), = points
            parts.append(f'<circle cx="{x:g}" cy="{y:g}" r="3" class="series-{i}"/>')
        else:
            line = " ".join(f"{x:g},{y:g}" for x, y in points)
            parts.append(f'<polyline points="{line}" class="series-{i}"/>')
        key_y = box.top + 14 + 15 * i  # the legend, top right, where a falling loss leaves room
        parts.append(f'<line x1="{right - 26}" y1="{key_y - 4}" x2="{right - 8}" y2="{key_y - 4}"'
                     f' class="series-{i}"/><text x="{right - 32}" y="{key_y}" text-anchor="end">'
                     f'{html_mod.escape(label)}</text>')
    top_label, bottom_label = (10 ** high, 10 ** low) if log else (high, low)
    parts += [f'<text x="{box.left - 6}" y="{box.top + 10}" text-anchor="end">{top_label:.3g}</text>',
              f'<text x="{box.left - 6}" y="{bottom}" text-anchor="end">{bottom_label:.3g}</text>',
              f'<text x="{box.left}" y="{height - 10}">first</text>',
              f'<text x="{right}" y="{height - 10}" text-anchor="end">last</text>',
              f'<text x="{box.left + box.width / 2:g}" y="{height - 10}" text-anchor="middle">'
              f'loss{" (log scale)" if log else ""} over {count} point{"s" if count != 1 else ""}</text>',
              '</svg>']
    return "".join(parts)


def curve_text(exercise: ExerciseResult) -> str:
    """The exercise's loss curves in markdown: a line per series with its numbers and a
    sparkline ('' when there are none)."""
    lines = []
    for name, curves in common.curves_of(exercise):
        series, log = common.log_scaled([values for _, values in curves])
        low, high = common.value_range(series)
        for (label, values), scaled in zip(curves, series):
            spark = common.sparkline(scaled, low=low, high=high)
            lines.append(f"- **{md_inline(name)}**, {md_inline(common.curve_summary(label, values))}"
                         f" `{spark}`{' (log scale)' if log else ''}")
    if not lines:
        return ""
    return "Loss curves (the html report plots them):\n\n" + "\n".join(lines)
