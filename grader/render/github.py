"""GitHub Actions: the markdown report in the job summary, annotations at the learner's failing
lines, and one step output per exercise for GitHub Classroom's reporter (see render/classroom.py).

Active only when GITHUB_ACTIONS=true; every write is to a file GitHub names in the environment.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

from ..results import GradeReport
from . import common


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def publish(report: GradeReport, *, root: Path | None = None, env: Mapping[str, str] | None = None,
            echo: Callable[[str], None] = print) -> None:
    """Summary, annotations and step output for one grade (call only inside GitHub Actions)."""
    env = os.environ if env is None else env
    from .classroom import runners
    from .pages import render_md
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(render_md(report) + "\n")
    for line in annotations(report, root=root, env=env):
        echo(line)
    output = env.get("GITHUB_OUTPUT")
    if output:  # `name=value` is safe: a runner name is alphanumeric and base64 has no newline
        with open(output, "a", encoding="utf-8") as f:
            for runner in runners(report):
                f.write(f"{runner.name}={runner.value}\n")


def annotations(report: GradeReport, *, root: Path | None = None,
                env: Mapping[str, str] | None = None) -> list[str]:
    """`::error` workflow commands, one per distinct failure, at the learner's line when known.

    Checks that only hit the stub's NotImplementedError are not annotated: an untouched stub is
    not an error, and GitHub shows only the first few annotations of a step.
    """
    env = os.environ if env is None else env
    seen, lines = set(), []
    for e in report.exercises:
        path = _repo_path(e.path, root, env.get("GITHUB_WORKSPACE"))
        failing = [c for c in common.counted_checks(e)
                   if c.outcome in ("failed", "error") and not c.not_implemented]
        if not failing and e.status in common.FAULTS and e.message:
            failing_msgs = [(None, e.message, f"{e.id}: {e.status}")]
        else:
            failing_msgs = [(c.line, common.check_feedback(e, c),
                             f"{e.id}: {c.name} ({common.pts(c.points)}/{common.pts(c.max_points)})")
                            for c in failing]
        for line, message, title in failing_msgs:
            key = (path, line, message)
            if key in seen:
                continue
            seen.add(key)
            props = [f"file={_prop(path)}"] + ([f"line={int(line)}"] if line else []) + [f"title={_prop(title)}"]
            lines.append(f"::error {','.join(props)}::{_data(message)}")
    return lines


def _repo_path(path: str, root: Path | None, github_workspace: str | None) -> str:
    """The file as GitHub names it: relative to the checked-out repository when possible."""
    if root is None or not github_workspace:
        return path
    full = Path(path) if Path(path).is_absolute() else Path(root) / path
    try:
        return full.resolve().relative_to(Path(github_workspace).resolve()).as_posix()
    except ValueError:
        return path


def _data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
