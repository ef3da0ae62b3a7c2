"""A learner's result as a few numbers: what the mistake library compares (grader/mistakes.py).

Every value that comes back from a learner's call is plain data already (grader/wire.py). Its
fingerprint is small JSON: an array's shape, dtype kind, count of non-finite entries, sum, sum of
squares and two fixed projections; a number itself; a string's digest; a list's items (bounded).
Two fingerprints `agree` when they could come from the same values up to float rounding, so a
float64 port of a float32 mistake still agrees with it. A fingerprint is never enough to rebuild
an array, and the library that holds the reference's ones stays beside the hidden checks.
"""
from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

ITEMS = 16  # items of a list, tuple or dict kept
RTOL = 1e-3  # of the array's norm: float32 sums of different orders agree, different values do not


def _array(a: np.ndarray) -> list:
    kind = a.dtype.kind
    if kind not in "biufc" or a.dtype.hasobject:
        return ["a?", list(a.shape)]
    x = a.astype(np.complex128 if kind == "c" else np.float64).ravel()
    if kind == "c":
        x = np.concatenate([x.real, x.imag])
    finite = np.isfinite(x)
    x = np.where(finite, x, 0.0)
    index = np.arange(x.size, dtype=np.float64)
    return ["a", list(a.shape), "f" if kind in "fc" else "i", int(x.size - finite.sum()),
            float(x.sum()), float((x * x).sum()), float((x * np.cos(index * 0.7 + 1.0)).sum()),
            float((x * np.sin(index * 1.3 + 0.5)).sum())]


def fingerprint(value: Any) -> list:
    """JSON-able, small, and the same for the same values (see the module docstring)."""
    if value is None:
        return ["none"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return ["n", number if math.isfinite(number) else str(number)]
    if isinstance(value, str):
        return ["s", hashlib.sha1(value.encode("utf-8", "replace")).hexdigest()[:16]]
    if isinstance(value, (list, tuple)):
        return ["l", len(value), [fingerprint(v) for v in value[:ITEMS]]]
    if isinstance(value, dict):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda item: item[0])[:ITEMS]
        return ["d", len(value), [[k, fingerprint(v)] for k, v in items]]
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, np.generic):
        return fingerprint(value.item())
    if type(value).__module__.startswith("torch"):
        try:
            import torch
            if isinstance(value, torch.Tensor):
                return _array(value.detach().cpu().resolve_conj().numpy())
        except Exception:  # noqa: BLE001 - a tensor numpy cannot take: told by its shape only
            return ["a?", list(getattr(value, "shape", ()))]
    return ["o", type(value).__name__]


def error(type_name: str) -> list:
    """The fingerprint of a call that raised."""
    return ["err", type_name]


def agree(a: Any, b: Any) -> bool:
    """Whether two fingerprints could come from the same values."""
    if type(a) is not list or type(b) is not list or not a or not b or a[0] != b[0]:
        return False
    kind = a[0]
    if kind == "a":
        if len(a) != 8 or len(b) != 8 or a[1:4] != b[1:4]:
            return False
        norm = math.sqrt(max(a[5], b[5], 0.0))
        if not math.isfinite(norm):  # values past float range: each number against its own size
            norm = 0.0
            close = lambda x, y: x == y or abs(x - y) <= RTOL * max(abs(x), abs(y))  # noqa: E731
        else:
            close = lambda x, y: x == y or abs(x - y) <= RTOL * norm + 1e-9  # noqa: E731 - inf == inf
        return (close(a[4], b[4]) and close(a[6], b[6]) and close(a[7], b[7])
                and (a[5] == b[5] or abs(a[5] - b[5]) <= 2 * RTOL * max(a[5], b[5]) + 1e-12))
    if kind == "n":
        if isinstance(a[1], str) or isinstance(b[1], str):
            return a[1] == b[1]
        return a[1] == b[1] or abs(a[1] - b[1]) <= RTOL * max(abs(a[1]), abs(b[1])) + 1e-9
    if kind in ("l", "d"):
        if a[1] != b[1] or len(a[2]) != len(b[2]):
            return False
        if kind == "d":
            return all(x[0] == y[0] and agree(x[1], y[1]) for x, y in zip(a[2], b[2]))
        return all(agree(x, y) for x, y in zip(a[2], b[2]))
    return a == b
