"""Where a failing answer turns from right to wrong: one parameter at a time, from the simplest case.

A check that fails on a case with many parameters (batch, channels, stride, padding, a bias)
does not say which of them the learner's code gets wrong. A check declares its parameters as a
`Variation`: the simplest case and, per parameter, the other values worth trying. When its
comparison fails inside `localised(...)`, the search runs the learner's code on the simplest
case, then on it with one parameter changed at a time, within a time budget, and the feedback
gains a line: "Right with padding=0; wrong with padding=1: look at how you pad." It says nothing
when it found nothing: the search never guesses.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from grader.checks.helpers import Feedback

BUDGET_S = 1.0  # wall time for the whole search, on top of the failing check


@dataclass(frozen=True)
class Variation:
    """A check's parameters: the simplest case, other values to try, and what to look at when
    the answer turns wrong as one of them changes."""
    simplest: Mapping[str, Any]
    steps: Mapping[str, tuple]
    advice: Mapping[str, str] = field(default_factory=dict)  # parameter -> "look at how you pad"

    def cases(self):
        """(parameter, value, case) one parameter away from the simplest, in declaration order."""
        for name, values in self.steps.items():
            for value in values:
                if value != self.simplest[name]:
                    yield name, value, {**self.simplest, name: value}


Right = Callable[[dict], bool]  # True when the learner's answer on this case agrees with the oracle


def _shown(case: Mapping[str, Any], names) -> str:
    return ", ".join(f"{name}={case[name]!r}" for name in names)


def search(variation: Variation, right: Right, *, budget_s: float = BUDGET_S) -> str | None:
    """The line to add to the feedback, or None when the search shows nothing."""
    ends = time.monotonic() + budget_s
    simplest = dict(variation.simplest)
    if not _agrees(right, simplest):
        return (f"Wrong already in the simplest case ({_shown(simplest, simplest)}): start there,"
                " by hand, before the other cases.")
    turns: dict[str, Any] = {}  # parameter -> the first value where the answer turns wrong
    for name, value, case in variation.cases():
        if time.monotonic() > ends:
            break
        if name not in turns and not _agrees(right, case):
            turns[name] = value
    if not turns:
        return None
    parts = [f"right with {name}={simplest[name]!r}, wrong with {name}={value!r}"
             + (f": {variation.advice[name]}" if name in variation.advice else "")
             for name, value in turns.items()]
    return f"Where it goes wrong (the other parameters as simple as they go): {'; '.join(parts)}."


def _agrees(right: Right, case: dict) -> bool:
    try:
        return bool(right(case))
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - an error on that case: it is not right there
        return False


@contextlib.contextmanager
def localised(variation: Variation, right: Right, *, case: Mapping[str, Any] | None = None,
              budget_s: float = BUDGET_S):
    """Around a check's comparisons: a Feedback raised inside gains the search's line. `case`:
    the failing check's own parameters (nothing is added when it is the simplest case itself)."""
    try:
        yield
    except Feedback as failed:
        if case is not None and dict(case) == dict(variation.simplest):
            raise
        line = search(variation, right, budget_s=budget_s)
        if line is None:
            raise
        raise Feedback(f"{failed}\n{line}") from None
