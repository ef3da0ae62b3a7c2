"""The event protocol: every event survives the trip, and anything else is refused whole."""
from __future__ import annotations

import json

import pytest

from grader import events as ev

EVENTS = [
    ev.Collected((ev.CheckInfo("add", 2.0), ev.CheckInfo("gpu", 1.0, "needs GPU"))),
    ev.Loading(),
    ev.Loaded("printed at import\n"),
    ev.LoadError("x.py does not compile", 3, False, ""),
    ev.Start("add"),
    ev.Outcome("add", "failed", "add(1, 2) is 4, expected 3", 7, False, False, 0.25, "out",
               (("yours", (1.0, 0.5)),), (ev.Hit("torch.nn.functional.conv2d", 12),)),
    ev.Done(),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_round_trips(event):
    back = ev.from_json(ev.to_json(event))
    if isinstance(event, ev.Outcome):  # curves come back as lists, cleaned by the parent
        assert back == ev.Outcome(**{**event.__dict__, "curves": back.curves})
        assert json.loads(json.dumps(back.curves)) == [["yours", [1.0, 0.5]]]
    else:
        assert back == event


@pytest.mark.parametrize("line", [
    b"not json", b"[1, 2]", b'"outcome"', b'{"type": "outcome"}',          # not an object, no fields
    b'{"type": "pwned", "name": "x"}', b'{"name": "x"}',                   # unknown or missing type
    b'{"type": "outcome", "name": "x", "outcome": "full_marks"}',          # an outcome that is no outcome
    b'{"type": "outcome", "name": 1, "outcome": "passed"}',                # a name that is no string
    b'{"type": "outcome", "name": "x", "outcome": "passed", "line": "7"}',
    b'{"type": "outcome", "name": "x", "outcome": "passed", "not_implemented": 1}',
    b'{"type": "collected", "checks": [{"name": "x", "max_points": "99"}]}',
    b'{"type": "collected", "checks": [{"name": "x", "max_points": true}]}',
    b'{"type": "outcome", "name": "x", "outcome": "passed", "hits": [{"line": 3}]}',
    b"[" * 100000,                                                          # nesting that would recurse
])
def test_anything_but_a_well_formed_event_is_refused(line):
    with pytest.raises(ev.EventError):
        ev.from_json(line)


def test_extra_fields_are_ignored_not_trusted():
    event = ev.from_json(b'{"type": "outcome", "name": "x", "outcome": "passed", "points": 1000}')
    assert event == ev.Outcome("x", "passed") and not hasattr(event, "points")
