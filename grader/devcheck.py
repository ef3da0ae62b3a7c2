"""`kata dev check`: the course proves itself.

For every exercise (or the ones named): the manifest and the files agree, the stub has a TODO,
there are at least MIN_HINTS hints (`kata hint` is the learner's first help when stuck),
the reference solution scores full marks, the stub scores 0 with status not_started, every
mutant under mutants/<id>/ loses points with a message containing its `expect:` phrase (in the
checks' own words, not the mistake library's), every alternative solution under
alternatives/<id>/ scores full marks, and an exercise's mistake library (grader/mistakes.py),
where it has one, still matches what its solution and mutants return.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import mistakes
from .course import Course
from .manifest import ExerciseSpec
from .results import ExerciseResult

MIN_HINTS = 2
_EXPECT = re.compile(r"^\s*expect:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Proof:
    exercise: str
    subject: str  # what was checked: "files", "solution", "stub", "mutant x.py", ...
    ok: bool
    detail: str = ""


def run(course: Course, *, only: list[str] | None = None, jobs: int = 1) -> list[Proof]:
    from .api import grade_pairs
    specs = [course.manifest.get(i) for i in only] if only else list(course.manifest)
    findings = [] if only else stray_files(course)
    gradings: list[tuple[ExerciseSpec, str, Path]] = []  # (exercise, subject, file to grade)
    for spec in specs:
        problems = _missing_files(course, spec)
        findings.append(Proof(spec.id, "files", not problems, "; ".join(problems)))
        findings.append(_hints(spec))
        if problems:
            continue
        gradings.append((spec, "solution", course.solutions_dir / spec.relpath))
        gradings.append((spec, "stub", course.stubs_dir / spec.relpath))
        mutants = sorted((course.mutants_dir / spec.id).glob("*.py"))
        if not mutants:
            findings.append(Proof(spec.id, "mutants", False, f"no mutants under {course.mutants_dir / spec.id}"))
        gradings += [(spec, f"mutant {m.name}", m) for m in mutants]
        gradings += [(spec, f"alternative {a.name}", a)
                     for a in sorted((course.alternatives_dir / spec.id).glob("*.py"))]
    results = grade_pairs([(spec, path, str(path)) for spec, _, path in gradings], course=course, jobs=jobs)
    for (spec, subject, path), result in zip(gradings, results):
        findings.append(_judge(spec, subject, path, result))
    for spec in specs:
        findings += _library(course, spec, [(s, p, r) for (x, s, p), r in zip(gradings, results) if x is spec])
    return findings


def _library(course: Course, spec: ExerciseSpec, graded: list) -> list[Proof]:
    """The exercise's mistake library still matches its solution and mutants (when it has one)."""
    stored = mistakes.load(course.check_module(spec))
    if stored is None or not graded:
        return []
    reference = next((r.checks for s, _, r in graded if s == "solution"), ())
    mutants = {p: r.checks for s, p, r in graded if s.startswith("mutant")}
    problems = mistakes.stale(stored, reference, mutants)
    return [Proof(spec.id, "mistake library", not problems,
                  "; ".join(problems) + f": run `kata dev mistakes --only {spec.id}`" if problems
                  else f"{len(stored.mistakes)} known mistakes")]


def build_libraries(course: Course, *, only: list[str] | None = None, jobs: int = 1) -> list[tuple[str, Path, int]]:
    """Grade each exercise's solution and mutants and write its mistake library:
    (exercise, file, mistakes kept) for each exercise with mutants."""
    from .api import grade_pairs
    specs = [course.manifest.get(i) for i in only] if only else list(course.manifest)
    work = []
    for spec in specs:
        mutants = sorted((course.mutants_dir / spec.id).glob("*.py"))
        if mutants and (course.solutions_dir / spec.relpath).is_file():
            work += [(spec, course.solutions_dir / spec.relpath)] + [(spec, m) for m in mutants]
    results = grade_pairs([(spec, path, str(path)) for spec, path in work], course=course, jobs=jobs)
    written = []
    for spec in dict.fromkeys(spec for spec, _ in work):
        mine = [(path, r) for (s, path), r in zip(work, results) if s is spec]
        reference, mutants = mine[0][1].checks, {path: r.checks for path, r in mine[1:]}
        target = mistakes.path_for(course.check_module(spec))
        target.write_text(json.dumps(mistakes.build(reference, mutants), separators=(",", ":")) + "\n",
                          encoding="utf-8")
        written.append((spec.id, target, len(mutants)))
    return written


def _judge(spec: ExerciseSpec, subject: str, path: Path, result: ExerciseResult) -> Proof:
    score = f"{result.score:g}/{result.max_score:g} ({result.status})"
    if subject == "solution" or subject.startswith("alternative"):
        ok = result.status == "passed" and result.max_score > 0
        return Proof(spec.id, subject, ok, score if ok else f"{score}: {_failures(result)}")
    if subject == "stub":
        ok = result.score == 0 and result.status == "not_started"
        return Proof(spec.id, subject, ok, score if ok else f"{score}: {_failures(result, not_started=False)}")
    match = _EXPECT.search(_docstring(path))
    if not match:
        return Proof(spec.id, subject, False, "its docstring has no `expect: <phrase>` line")
    phrase = match.group(1).strip().strip("\"'")
    if result.score >= result.max_score:
        return Proof(spec.id, subject, False, f"{score}: the mistake is not caught")
    # The checks' own words: the mistake library's naming (a mutant naming itself) left out.
    messages = [_own(c.message) for c in result.checks if c.outcome in ("failed", "error")] + [result.message]
    if not any(phrase.lower() in m.lower() for m in messages):
        return Proof(spec.id, subject, False, f"{score}: no failing message mentions '{phrase}'")
    return Proof(spec.id, subject, True, f"{score}, caught: '{phrase}'")


def _own(message: str) -> str:
    return "\n".join(line for line in message.split("\n") if not line.startswith(mistakes.TOLD))


def _failures(result: ExerciseResult, not_started: bool = True) -> str:
    if result.message:
        return result.message.splitlines()[0]
    bad = [c for c in result.checks if c.outcome != "passed" and (not_started or not c.not_implemented)]
    bad = bad or [c for c in result.checks if c.outcome == "passed"]
    return "; ".join(f"{c.name}: {c.outcome} {c.message.splitlines()[0] if c.message else ''}".strip()
                     for c in bad[:3])


def _hints(spec: ExerciseSpec) -> Proof:
    count = len(spec.hints)
    if count >= MIN_HINTS:
        return Proof(spec.id, "hints", True, f"{count} hints")
    return Proof(spec.id, "hints", False, f"{count} hint{'' if count == 1 else 's'} in the manifest;"
                   f" give every exercise at least {MIN_HINTS}, from the idea to the concrete step")


def _missing_files(course: Course, spec: ExerciseSpec) -> list[str]:
    problems = []
    stub = course.stubs_dir / spec.relpath
    for label, path in (("stub", stub), ("solution", course.solutions_dir / spec.relpath),
                        ("hidden checks", course.check_module(spec))):
        if not path.is_file():
            problems.append(f"{label} {path} is missing")
    if stub.is_file() and "TODO" not in stub.read_text(encoding="utf-8"):
        problems.append(f"stub {stub} has no TODO")
    return problems


def stray_files(course: Course) -> list[Proof]:
    """Every way the course's files and its manifest disagree, one finding each (one that holds
    when there is none): files no manifest entry accounts for, stale timings, and stubs whose
    functions the solution does not define."""
    known = {spec.relpath for spec in course.manifest}
    checks = {spec.check_relpath for spec in course.manifest}
    ids = {spec.id for spec in course.manifest}
    problems = [f"{p} is not in the manifest" for folder in (course.stubs_dir, course.solutions_dir)
                if folder.is_dir() for p in sorted(folder.rglob("*.py"))
                if "__pycache__" not in p.parts and str(p.relative_to(folder)) not in known]
    problems += [f"{p} is not in the manifest (no exercise has these checks)"
                 for p in sorted(course.checks_dir.rglob("test_*.py"))
                 if str(p.relative_to(course.checks_dir)) not in checks]
    problems += [f"{p} is for no exercise of the manifest" for folder in (course.mutants_dir, course.alternatives_dir)
                 if folder.is_dir() for p in sorted(folder.iterdir())
                 if p.is_dir() and p.name not in ids and p.name != "__pycache__"]
    problems += _stale_timings(course, ids)
    for spec in course.manifest:
        problems += _interface(course, spec)
    if not problems:
        return [Proof("course", "files", True, "the manifest and the files agree")]
    return [Proof("course", "files", False, problem) for problem in problems]


def _stale_timings(course: Course, ids: set[str]) -> list[str]:
    try:
        data = json.loads(course.timings_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return [f"{course.timings_path} is not valid JSON; run `kata dev timings`"]
    return [f"{course.timings_path} has timings for '{i}', which the manifest does not list; run `kata dev timings`"
            for i in data if i not in ids]


def _interface(course: Course, spec: ExerciseSpec) -> list[str]:
    """The stub's top-level functions and classes that the solution lacks (the learner fills in
    the stub's interface; a solution without it grades something else)."""
    import ast
    names = {}
    for label, path in (("stub", course.stubs_dir / spec.relpath), ("solution", course.solutions_dir / spec.relpath)):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            return []  # a missing or broken file has its own finding
        names[label] = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                        and not n.name.startswith("_")}
    return [f"{spec.id}: the stub defines {name}, the solution {course.solutions_dir / spec.relpath} does not"
            for name in sorted(names["stub"] - names["solution"])]


def _docstring(path: Path) -> str:
    import ast
    try:
        return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError, ValueError):
        return ""


def learn_timings(course: Course, *, only: list[str] | None = None, repeats: int = 2) -> dict[str, dict[str, float]]:
    """The reference solution's time per check (the fastest of `repeats` gradings: a busy machine
    only ever adds time), for the
    per-check limits the runner derives from them (runner.learned_limits). Checks skipped here
    (needs GPU) get no entry and keep the exercise's timeout."""
    from .api import grade_pairs
    specs = [course.manifest.get(i) for i in only] if only else list(course.manifest)
    pairs = [(spec, course.solutions_dir / spec.relpath, spec.relpath) for spec in specs] * repeats
    timings: dict[str, dict[str, float]] = {}
    for result in grade_pairs(pairs, course=course, jobs=1):
        for check in result.checks:
            if check.outcome == "passed" and check.duration_s > 0:
                seconds = timings.setdefault(result.id, {}).get(check.name, float("inf"))
                timings[result.id][check.name] = round(min(seconds, check.duration_s), 3)
    return timings
