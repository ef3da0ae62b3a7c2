"""Hostile submissions against the judge and against the run-time refusals (issue 17's classes).

Written by someone who had not read the implementation, before the judge left the learner's
process. Each case under tests/submissions/hostile/<class>/<name>/ is an exercise file
(`attack.py`) and a `meta.json` saying which exercise it attacks and what containment means:

- A: the judge edited from inside its own process (rebinding a check's oracle or helpers, trace
  and profile hooks, lying objects, pytest hooks and skips, poisoned generators): it computes
  nothing right, so it must not get full marks ("not_full") or must get none ("zero");
- B: forbidden work by a route a tripwire might not see (a thread, a forked or spawned process,
  another library's kernel, a subclass walk, autograd's graph walked by hand): it computes the
  right answer, so only the forbid rule stands between it and full marks;
- C (the cases kept here): reports must not leak check source ("no_leak").

All cases are graded together in the bubblewrap sandbox, two lanes, like a class.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import api
from grader import sandbox as sandboxing
from grader.courses import default as default_course

HOSTILE = Path(__file__).resolve().parent / "submissions" / "hostile"
COURSE = default_course()
CHECKS = Path(__file__).resolve().parent.parent / "grader" / "checks"
# A leak is a line of the course's own check modules (other libraries' tests are no secret).
CHECK_LINES = {line.strip() for module in CHECKS.glob("*/test_*.py")
               for line in module.read_text().splitlines() if len(line.strip()) >= 24}

pytestmark = pytest.mark.slow


def cases() -> list[tuple[str, dict, Path]]:
    found = []
    for meta in sorted(HOSTILE.glob("*/*/meta.json")):
        data = json.loads(meta.read_text())
        if data["contained_if"] in ("not_full", "zero", "no_leak"):
            found.append((f"{meta.parent.parent.name}/{meta.parent.name}", data, meta.parent / "attack.py"))
    return found


@pytest.fixture(scope="module")
def graded():
    if sandboxing.unavailable() is not None:
        pytest.skip(f"bubblewrap cannot sandbox here: {sandboxing.unavailable()}")
    work = [(COURSE.manifest.get(meta["exercise"]), path, f"exercises/{COURSE.manifest.get(meta['exercise']).relpath}")
            for _, meta, path in cases()]
    results = api.grade_pairs(work, course=COURSE, jobs=2, sandbox="required")
    return {name: result for (name, _, _), result in zip(cases(), results)}


def breach(meta: dict, result) -> str | None:
    """Why this result is not contained, or None."""
    rule = meta["contained_if"]
    scored = f"{result.score:g}/{result.max_score:g} ({result.status})"
    if rule == "zero":
        real = [c for c in result.checks if c.counts and c.name != "uses_only_allowed_apis"]
        return None if all(c.points == 0 for c in real) else f"earned points: {scored}"
    if rule == "not_full":
        return None if result.max_score > 0 and result.score < result.max_score else f"full marks: {scored}"
    if rule == "no_leak":
        text = "\n".join([result.message, result.output, *(c.message for c in result.checks)])
        leaked = [line for line in text.splitlines() if line.strip() in CHECK_LINES]
        return f"leaked {len(leaked)} lines of check source" if leaked else None
    return None  # batch rows and a clean host /tmp: tests/test_hostile.py


def test_every_hostile_submission_is_contained(graded):
    assert len(graded) >= 70, "the hostile set is missing"
    breaches = {}
    for name, meta, _ in cases():
        why = breach(meta, graded[name])
        if why is not None:
            breaches[name] = f"{why} — {meta['what']}"
    assert not breaches, "\n".join(f"{k}: {v}" for k, v in breaches.items())


def test_refusals_name_the_learners_line(graded):
    """Forbidden work refused at run time is named, with the learner's line where it ran there."""
    named = 0
    for name, meta, _ in cases():
        if meta["class"] != "B":
            continue
        forbid = next((c for c in graded[name].checks if c.name == "uses_only_allowed_apis"), None)
        assert forbid is not None and forbid.outcome == "failed", f"{name}: {graded[name].status}"
        named += "(line " in forbid.message
    assert named >= 10
