"""The mistake library: a course's mutants, as data, name the mistakes learners make again.

Every mutant under mutants/<id>/ is a known mistake. `kata dev mistakes` grades the reference
solution and each mutant and keeps, per check, the fingerprints of what their calls returned
(grader/fingerprint.py): data, never code, so no near-solution reaches a learner's process. The
file lives beside the check module (test_<id>.mistakes.json), hidden from the sandbox with it.

At grading time, a learner whose results agree with a mutant's on at least two calls where that
mutant differs from the reference, and disagree with it nowhere, is told that mutant's mistake
(its docstring's first line) in the first failing check that showed it, unless that check has
named a mistake of its own. Anything less names nothing. Adding a mutant improves the feedback
with no code. `kata dev check` says when a library no longer matches its mutants.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

from .fingerprint import agree
from .results import CheckResult

FORMAT = 1
TOLD = "Likely mistake (your results are those of a known one):"
MIN_EVIDENCE = 2  # calls where the mutant differs from the reference and the learner agrees with it
Traces = Mapping[str, Sequence]  # check name -> fingerprints of its calls, in order


@dataclass(frozen=True)
class Mistake:
    name: str  # the mutant's file stem
    description: str
    traces: Traces


@dataclass(frozen=True)
class Library:
    reference: Traces
    mistakes: tuple[Mistake, ...]

    def named(self, checks: Sequence[CheckResult]) -> list[CheckResult]:
        """The checks, with the known mistake the learner's results show named where it shows."""
        shown = [[_shown(self.reference, m.traces, c) for c in checks] for m in self.mistakes]
        evidence = [-1 if None in counts else sum(counts) for counts in shown]
        best = max(evidence, default=-1)
        if best < MIN_EVIDENCE:
            return list(checks)
        chosen = [k for k, e in enumerate(evidence) if e == best]
        text = "; or else: ".join(dict.fromkeys(self.mistakes[k].description for k in chosen))
        out, told = [], False
        for i, check in enumerate(checks):
            shows = any(shown[k][i] for k in chosen)
            if (not told and shows and check.counts and check.outcome != "passed"
                    and "Likely mistake" not in check.message):
                check = replace(check, message=f"{check.message}\n{TOLD} {text}.".lstrip("\n"))
                told = True
            out.append(check)
        return out


def _shown(reference: Traces, mutant: Traces, check: CheckResult) -> int | None:
    """How many of the check's calls show the mutant's mistake (agree with the mutant where it
    differs from the reference); None when one call contradicts it."""
    theirs, ours = mutant.get(check.name), reference.get(check.name) or []
    if theirs is None:
        return 0
    count = 0
    for i, (got, mutant_got) in enumerate(zip(check.trace, theirs)):
        if not agree(got, mutant_got):
            return None
        count += i >= len(ours) or not agree(mutant_got, ours[i])
    return count


# --- the file --------------------------------------------------------------------------------------

def path_for(check_module: Path) -> Path:
    check_module = Path(check_module)
    return check_module.with_name(check_module.stem + ".mistakes.json")


def load(check_module: Path | None) -> Library | None:
    """The exercise's library, or None (no file, or one kata cannot read: grading goes on)."""
    if check_module is None:
        return None
    try:
        data = json.loads(path_for(check_module).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return Library(dict(data["reference"]), tuple(
            Mistake(name, _plain(str(entry["description"])), dict(entry["traces"]))
            for name, entry in sorted(data["mistakes"].items())))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def traces(checks: Sequence[CheckResult]) -> dict:
    return {c.name: list(c.trace) for c in checks if c.trace}


def description(mutant: Path) -> str:
    """A mutant's mistake as a learner reads it: its docstring's first line, without the
    "Wrong on purpose:" that marks it as a mutant."""
    text = Path(mutant).read_text(encoding="utf-8", errors="replace")
    found = re.search(r'^\s*(?:"""|\'\'\')\s*(.+)', text)
    line = found.group(1).strip().rstrip('"').rstrip("'") if found else Path(mutant).stem.replace("_", " ")
    return _plain(line)


def _plain(line: str) -> str:
    """Without the label that marks a mutant as one ("Wrong on purpose:", "Mistake:", "Mutant:")."""
    return re.sub(r"^(?:wrong on purpose|mistake|mutant)\s*:\s*", "", line.strip(), flags=re.I).rstrip(".")


def build(reference: Sequence[CheckResult], mutants: Mapping[Path, Sequence[CheckResult]]) -> dict:
    return {"format": FORMAT, "reference": traces(reference),
            "mistakes": {Path(m).stem: {"description": description(m), "traces": traces(checks)}
                         for m, checks in sorted(mutants.items())}}


def stale(stored: Library, reference: Sequence[CheckResult], mutants: Mapping[Path, Sequence[CheckResult]]) -> list[str]:
    """What in a stored library no longer matches the course (an empty list when it all does)."""
    problems = []
    names = {Path(m).stem for m in mutants}
    kept = {m.name for m in stored.mistakes}
    if names - kept:
        problems.append(f"mutants not in it: {', '.join(sorted(names - kept))}")
    if kept - names:
        problems.append(f"mutants no longer in the course: {', '.join(sorted(kept - names))}")
    fresh = {Path(m).stem: traces(c) for m, c in mutants.items()}
    for label, old, new in [("the reference", stored.reference, traces(reference))] + [
            (f"mutant {m.name}", m.traces, fresh[m.name]) for m in stored.mistakes if m.name in fresh]:
        if not _same(old, new):
            problems.append(f"{label} now returns other results")
    return problems


def _same(a: Traces, b: Traces) -> bool:
    """The same checks, whose calls agree as far as both go: how many calls a check makes may
    depend on time (a speed check retries only when slow), never what each call returns."""
    return set(a) == set(b) and all(all(map(agree, a[k], b[k])) for k in a)
