"""Checks that isolate: judge one learner function on the reference version of the ones it calls.

A learner's `train` calls their own `backprop` (or `gradient`, or `update_weights`). Judged on
its own outputs, a wrong `backprop` fails the `train` checks too, and their hint points at
`train`'s loop, which may be right. So a check of `train` swaps the submission's callee for a
reference one for the length of the call (the learner's code looks the name up in its module
at call time), and its message says so; a separate whole-pipeline check runs the learner's own
pieces together.
"""
from __future__ import annotations

import contextlib

_MISSING = object()


@contextlib.contextmanager
def swapped(sub, **references):
    """The submission's functions named here replaced by `references` for the block, then restored."""
    originals = {name: getattr(sub, name, _MISSING) for name in references}
    for name, function in references.items():
        setattr(sub, name, function)
    try:
        yield
    finally:
        for name, function in originals.items():
            if function is _MISSING:
                delattr(sub, name)
            else:
                setattr(sub, name, function)


def on_reference(caller: str, callee: str) -> str:
    """The words a message adds when `caller` ran on the reference `callee`."""
    return f"{caller}, run with the reference {callee} swapped in for yours (so only {caller} is judged)"
