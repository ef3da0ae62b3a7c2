"""The record protocol between a grading child and the parent, defined once for both ends.

The child reports facts (which checks exist, which one starts, how it ended and what it said);
the parent judges (points, statuses, the forbidden-API verdict). Every event is a small frozen
dataclass that travels as one JSON object per line (`to_json` / `from_json`). `from_json` accepts
only exact built-in types in the expected fields, so a record written by something else either
decodes to a well-formed event or is refused (`EventError`); it never runs code.

Protocol order, per child: Collected, Loading, Loaded | LoadError, then (Start, Outcome)*, Done.
Collected is sent before the learner's file is loaded, so the checks and their points it lists
come from the hidden checks alone. The parent (runner.Fold) counts an event only in that order.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from .results import CHECK_OUTCOMES as OUTCOMES


class EventError(ValueError):
    """A line that is not a well-formed event."""


@dataclass(frozen=True)
class CheckInfo:
    name: str
    max_points: float = 1.0
    skip: str | None = None  # why the check cannot run here (needs GPU, a package)


@dataclass(frozen=True)
class Collected:
    checks: tuple[CheckInfo, ...]


@dataclass(frozen=True)
class Loading:
    """The child starts importing the learner's file (a hang or crash now is the import's)."""


@dataclass(frozen=True)
class Loaded:
    output: str = ""


@dataclass(frozen=True)
class LoadError:
    message: str
    line: int | None = None
    memory: bool = False
    output: str = ""


@dataclass(frozen=True)
class Start:
    name: str


@dataclass(frozen=True)
class Hit:
    """A forbidden operation reached while the learner's code ran."""
    name: str
    line: int | None = None


@dataclass(frozen=True)
class Outcome:
    name: str
    outcome: str  # passed | failed | error | skipped
    message: str = ""
    line: int | None = None
    not_implemented: bool = False  # the check only hit the stub's NotImplementedError
    memory: bool = False  # it failed by running out of memory
    duration_s: float = 0.0
    output: str = ""
    curves: tuple = ()  # [[label, [numbers]], ...]; cleaned by the parent (results.clean_curves)
    hits: tuple[Hit, ...] = ()
    trace: tuple = ()  # fingerprints of what the check's calls returned (grader/fingerprint.py)


@dataclass(frozen=True)
class Done:
    pass


EVENTS = {cls.__name__.lower(): cls for cls in (Collected, Loading, Loaded, LoadError, Start, Outcome, Done)}
Event = Collected | Loading | Loaded | LoadError | Start | Outcome | Done


def to_json(event: Event) -> str:
    return json.dumps({"type": type(event).__name__.lower(), **asdict(event)}, separators=(",", ":"),
                      default=str)


def from_json(line: str | bytes) -> Event:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise EventError(f"not JSON: {exc}") from None
    if type(data) is not dict:
        raise EventError("not a JSON object")
    cls = EVENTS.get(data.get("type")) if type(data.get("type")) is str else None
    if cls is None:
        raise EventError(f"unknown event type {data.get('type')!r}")
    return _build(cls, data)


def _build(cls, data: dict):
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        values[f.name] = _field(cls, f.name, data[f.name])
    try:
        event = cls(**values)
    except TypeError as exc:  # a required field is missing
        raise EventError(str(exc)) from None
    if isinstance(event, Outcome) and event.outcome not in OUTCOMES:
        raise EventError(f"outcome {event.outcome!r}")
    return event


_STR = ("name", "message", "output", "outcome")
_FLAGS = ("not_implemented", "memory")


def _field(cls, name: str, value):
    if name in _STR or (name == "skip" and value is not None):
        return _exact(value, str, name)
    if name in _FLAGS:
        return _exact(value, bool, name)
    if name in ("line",):
        return None if value is None else _exact(value, int, name)
    if name in ("max_points", "duration_s"):
        if type(value) not in (int, float) or type(value) is bool:
            raise EventError(f"{name} is not a number")
        return float(value)
    if name == "checks":
        return tuple(_build(CheckInfo, _exact(c, dict, name)) for c in _exact(value, list, name))
    if name == "hits":
        return tuple(_build(Hit, _exact(h, dict, name)) for h in _exact(value, list, name))
    if name in ("curves", "trace"):
        return tuple(_exact(value, list, name))
    return value


def _exact(value, kind, name: str):
    if type(value) is not kind:
        raise EventError(f"{name} is not a {kind.__name__}")
    return value
