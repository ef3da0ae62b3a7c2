"""The result model: CheckResult → ExerciseResult → GradeReport (schema kata-results/1).

Scores are derived, never stored twice. Every renderer reads these objects (or the JSON they
round-trip through), so a score reads the same in every format. Standard library only.

A check may carry loss curves (a training exercise's losses, and the reference's next to them):
`"curves": [["yours", [2.3, 1.9, ...]], ["reference", [...]]]` in the check's JSON, written only
when there is one. Curves come from the learner's code, so `clean_curves` bounds and checks them
wherever they enter (the child's record, a results.json read back): at most MAX_CURVES series of
at most MAX_CURVE_POINTS finite numbers (longer ones thinned), anything malformed dropped.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

SCHEMA = "kata-results/1"

CHECK_OUTCOMES = ("passed", "failed", "error", "skipped")
EXERCISE_STATUSES = ("passed", "failed", "not_started", "error", "timeout", "memory", "skipped")
FAULTS = ("memory", "timeout", "error")  # statuses of an exercise whose grading went wrong, most telling first


MAX_CURVES = 4  # series per check
MAX_CURVE_POINTS = 200  # values per series; longer series are thinned to this many
MAX_LABEL = 40  # characters of a series label

Curve = tuple[str, tuple[float, ...]]  # (label, values)


class ResultsError(Exception):
    """A results file that cannot be read."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: str  # passed | failed | error | skipped
    max_points: float = 1.0
    message: str = ""
    duration_s: float = 0.0
    not_implemented: bool = False  # the check hit the stub's NotImplementedError
    line: int | None = None  # the learner's line the failure points at, when known
    curves: tuple[Curve, ...] = ()  # loss curves the check recorded (see clean_curves)
    trace: tuple = field(default=(), compare=False, repr=False)  # fingerprints of its calls' results (grader/mistakes.py)

    @property
    def points(self) -> float:
        return self.max_points if self.outcome == "passed" else 0.0

    @property
    def counts(self) -> bool:
        """Skipped checks (needs GPU, missing package) are left out of the max score."""
        return self.outcome != "skipped"

    def to_dict(self) -> dict:
        data = {"name": self.name, "outcome": self.outcome, "points": self.points,
                "max_points": self.max_points, "message": self.message,
                "duration_s": round(self.duration_s, 4)}
        if self.line is not None:
            data["line"] = self.line
        if self.not_implemented:
            data["not_implemented"] = True
        if self.curves:
            data["curves"] = [[label, list(values)] for label, values in self.curves]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        return cls(name=str(data["name"]), outcome=_one_of(data["outcome"], CHECK_OUTCOMES),
                   max_points=float(data.get("max_points", 1.0)), message=str(data.get("message", "")),
                   duration_s=float(data.get("duration_s", 0.0)),
                   not_implemented=bool(data.get("not_implemented", False)), line=data.get("line"),
                   curves=clean_curves(data.get("curves")))


@dataclass(frozen=True)
class ExerciseResult:
    id: str
    title: str
    path: str
    checks: tuple[CheckResult, ...] = ()
    message: str = ""  # exercise-level: import traceback, timeout, crash
    output: str = ""  # bounded tail of what the submission printed
    duration_s: float = 0.0
    fault: str | None = None  # error | timeout | memory: what went wrong beyond the checks
    skipped_reason: str = ""  # the whole exercise was skipped (e.g. "needs torchvision")

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks if c.counts)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks if c.counts)

    @property
    def status(self) -> str:
        if self.skipped_reason:
            return "skipped"
        counted = [c for c in self.checks if c.counts]
        if self.fault:
            return self.fault
        if counted and all(c.not_implemented for c in counted):
            return "not_started"
        if counted and all(c.outcome == "passed" for c in counted):
            return "passed"
        if not counted:
            return "skipped"
        return "failed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "path": self.path, "status": self.status,
                "score": self.score, "max_score": self.max_score,
                "duration_s": round(self.duration_s, 3), "message": self.message,
                "output": self.output, "checks": [c.to_dict() for c in self.checks]}

    @classmethod
    def from_dict(cls, data: dict) -> "ExerciseResult":
        status = _one_of(data.get("status", "failed"), EXERCISE_STATUSES)
        return cls(id=str(data["id"]), title=str(data.get("title", "")), path=str(data.get("path", "")),
                   checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
                   message=str(data.get("message", "")), output=str(data.get("output", "")),
                   duration_s=float(data.get("duration_s", 0.0)),
                   fault=status if status in FAULTS else None,
                   skipped_reason=str(data.get("message", "")) if status == "skipped" and not data.get("checks") else "")


@dataclass(frozen=True)
class GradeReport:
    exercises: tuple[ExerciseResult, ...]
    started_at: str = ""
    duration_s: float = 0.0
    environment: dict = field(default_factory=dict)
    kata_version: str = ""

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0

    def get(self, exercise_id: str) -> ExerciseResult | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def merged_into(self, older: "GradeReport | None") -> "GradeReport":
        """This report plus the exercises of an older one that this run did not grade."""
        if older is None:
            return self
        mine = {e.id for e in self.exercises}
        kept = tuple(e for e in older.exercises if e.id not in mine)
        return replace(self, exercises=kept + self.exercises)

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "kata_version": self.kata_version, "started_at": self.started_at,
                "duration_s": round(self.duration_s, 3), "environment": dict(self.environment),
                "score": self.score, "max_score": self.max_score,
                "exercises": [e.to_dict() for e in self.exercises]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> "GradeReport":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ResultsError(f"not a {SCHEMA} document")
        try:
            return cls(exercises=tuple(ExerciseResult.from_dict(e) for e in data["exercises"]),
                       started_at=str(data.get("started_at", "")),
                       duration_s=float(data.get("duration_s", 0.0)),
                       environment=dict(data.get("environment") or {}),
                       kata_version=str(data.get("kata_version", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"malformed results: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> "GradeReport":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{path} is not readable JSON ({exc})") from None
        try:
            return cls.from_dict(data)
        except ResultsError as exc:
            raise ResultsError(f"{path}: {exc}") from None


# --- curves -------------------------------------------------------------------------------------

def clean_curves(raw: object) -> tuple[Curve, ...]:
    """Curves as `[[label, [numbers]], ...]`, bounded; a malformed series is dropped, never an error.

    Only exact built-in types are accepted (list, tuple, str, int, float), so an object from a
    hostile submission cannot run code here through __len__, __iter__ or __float__.
    """
    if type(raw) not in (list, tuple):
        return ()
    curves = []
    for item in raw[: MAX_CURVES * 4]:  # a few malformed entries may come before good ones
        curve = _clean_curve(item)
        if curve is not None:
            curves.append(curve)
            if len(curves) == MAX_CURVES:
                break
    return tuple(curves)


def _clean_curve(item: object) -> Curve | None:
    if type(item) not in (list, tuple) or len(item) != 2:
        return None
    label, values = item
    if type(label) is not str or type(values) not in (list, tuple):
        return None
    label = " ".join(label[: MAX_LABEL * 2].split())[:MAX_LABEL]
    # Thinned before anything is converted: a series of a million values costs no more than 800.
    finite = [v for v in map(_finite, thin(values, 4 * MAX_CURVE_POINTS)) if v is not None]
    if not label or not finite:
        return None
    return label, tuple(thin(finite, MAX_CURVE_POINTS))


def _finite(value: object) -> float | None:
    """A plain finite number as a float, rounded to 6 significant digits (plenty for a plot and
    stable through JSON); None for anything else (bool, nan, inf, other types)."""
    if type(value) not in (int, float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return float(f"{number:.6g}") if math.isfinite(number) else None


def thin(values: list, limit: int) -> list:
    """At most `limit` evenly spaced entries of `values`, the first and the last kept."""
    n = len(values)
    if n <= limit:
        return list(values)
    if limit <= 1:
        return list(values[:limit])
    return [values[round(i * (n - 1) / (limit - 1))] for i in range(limit)]


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"'{value}' is not one of {', '.join(allowed)}")
    return value
