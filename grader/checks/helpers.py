"""Shared helpers for hidden checks: comparisons whose failure messages teach.

Every function here raises `Feedback` (an AssertionError) with a message written for the learner:
what was checked, which entries disagree and by how much, and the likely mistake. Checks should
never show their own source, so they fail through these helpers (or `raise Feedback("...")`).

The submission is loaded after this module, and it may patch numpy or torch at import time
(`np.allclose = lambda *a: True`, `torch.manual_seed = ...`). Everything used here is therefore
bound once, at import, and never looked up through a module attribute later.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from grader.checks.diagnose import Finding, scalar_for_array, shape_finding, value_finding
from grader.checks.plain import plain
from grader.explain import explain
from grader.results import MAX_CURVE_POINTS, MAX_CURVES, thin

# Bound before any submission is loaded (see the module docstring).
_asarray = np.asarray
_array = np.array
_isclose = np.isclose
_isfinite = np.isfinite
_abs = np.abs
_argwhere = np.argwhere
_default_rng = np.random.default_rng
_float64 = np.float64
_ndarray = np.ndarray
_generic = np.generic
_issubdtype = np.issubdtype
_floating = np.floating
_errstate = np.errstate
_fsum = math.fsum

try:  # torch is optional, and not even imported while grading a NumPy-only exercise
    if os.environ.get("KATA_WITHOUT_TORCH") == "1":
        raise ImportError
    import torch as _torch

    _Tensor = _torch.Tensor
    _detach = _torch.Tensor.detach
    _cpu = _torch.Tensor.cpu
    _to = _torch.Tensor.to
    _numpy = _torch.Tensor.numpy
    _tensor_dtype = _torch.float64
    _Generator = _torch.Generator
    _randn = _torch.randn
    _rand = _torch.rand
    _randint = _torch.randint
except ImportError:  # pragma: no cover - torch is a dependency of the package
    _torch = None
    _Tensor = ()


class Feedback(AssertionError):
    """A check failed; the message is shown to the learner as it is."""


# --- seeded inputs ------------------------------------------------------------------------------

def rng(seed: int) -> np.random.Generator:
    """A NumPy generator that a submission cannot reseed or replace."""
    return _default_rng(seed)


def torch_generator(seed: int):
    g = _Generator()
    g.manual_seed(seed)
    return g


def randn(*shape: int, seed: int, dtype=None, requires_grad: bool = False):
    """torch.randn from a private seeded generator."""
    t = _randn(*shape, generator=torch_generator(seed), dtype=dtype or _torch.float32)
    return t.requires_grad_(requires_grad)


def rand(*shape: int, seed: int, dtype=None):
    return _rand(*shape, generator=torch_generator(seed), dtype=dtype or _torch.float32)


def randint(low: int, high: int, shape: Sequence[int], *, seed: int):
    return _randint(low, high, tuple(shape), generator=torch_generator(seed))


# --- conversions --------------------------------------------------------------------------------

def is_tensor(x: Any) -> bool:
    return bool(_Tensor) and isinstance(x, _Tensor)


def to_numpy(x: Any) -> np.ndarray:
    """float64 NumPy copy of an array, a tensor or a number (for comparing only)."""
    if is_tensor(x):
        return _numpy(_to(_cpu(_detach(x)), _tensor_dtype))
    return _array(x, dtype=_float64)


def describe(x: Any) -> str:
    if is_tensor(x):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, _ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None (did you forget a return?)"
    return f"{type(x).__name__} {_short(x)}"


def _short(x: Any, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- type, shape, dtype -------------------------------------------------------------------------

def check_float(value: Any, name: str) -> float:
    """A Python number (not a tensor or array); returns it as float."""
    value = plain(value, name, "a number")  # exact built-in types before anything is compared
    if is_tensor(value):
        raise Feedback(f"{name} returned {describe(value)}; return a Python float, e.g. with .item().")
    if isinstance(value, _ndarray) and value.size != 1:
        raise Feedback(f"{name} returned {describe(value)}; expected a single number.")
    if isinstance(value, bool) or not isinstance(value, (int, float, _generic, _ndarray)):
        raise Feedback(f"{name} returned {describe(value)}; expected a number.")
    number = float(value)
    if not math.isfinite(number):
        raise Feedback(f"{name} returned {number}; expected a finite number.")
    return number


def check_array(value: Any, name: str, *, shape: Sequence[int] | None = None, dtype: Any = None,
                kind: str = "array") -> None:
    """Type, then shape, then dtype. `kind` is "array" (NumPy) or "tensor" (torch).

    `dtype` may be a concrete dtype, "floating" (any float dtype), or None (not checked).
    """
    value = plain(value, name, "a torch.Tensor" if kind == "tensor" else "an np.ndarray")
    if kind == "tensor":
        if not is_tensor(value):
            raise Feedback(f"{name} should be a torch.Tensor, got {describe(value)}.")
    elif not isinstance(value, _ndarray):
        hint = " Convert with np.asarray(...)." if isinstance(value, (list, tuple)) else ""
        if is_tensor(value):
            hint = " This exercise is NumPy only: return an np.ndarray."
        if shape is not None and math.prod(shape) > 1 and (
                isinstance(value, (float, int, _generic)) and not isinstance(value, bool)):
            hint = " " + _finding(scalar_for_array(value, tuple(shape)))
        raise Feedback(f"{name} should be an np.ndarray, got {describe(value)}.{hint}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Feedback(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}."
                       + _shape_hint(tuple(value.shape), tuple(shape)))
    if dtype is None:
        return
    if dtype == "floating":
        ok = value.is_floating_point() if is_tensor(value) else _issubdtype(value.dtype, _floating)
        if not ok:
            raise Feedback(f"{name} has dtype {value.dtype}; expected a floating-point dtype.")
    elif value.dtype != dtype:
        raise Feedback(f"{name} has dtype {value.dtype}, expected {dtype}.")


def _shape_hint(got: tuple, want: tuple) -> str:
    finding = shape_finding(got, want)
    return " " + _finding(finding) if finding else ""


def _finding(finding: Finding) -> str:
    """A structural finding as the learner reads it: a named mistake, or what is observed."""
    text = finding.text if finding.text.endswith(("?", ".")) else finding.text + "."
    return f"Likely mistake: {text}" if finding.named else f"What the numbers show: {text}"


# --- values -------------------------------------------------------------------------------------

Diagnosis = tuple[str, Any]  # (the likely mistake, what that mistake would have produced)


def assert_close(actual: Any, expected: Any, name: str, *, rtol: float = 1e-5, atol: float = 1e-8,
                 hint: str | None = None, diagnose: Iterable[Diagnosis] = (),
                 max_entries: int = 5, sizes: dict[str, int] | None = None) -> None:
    """Values agree within rtol/atol (shape must already be right, or is checked here).

    `diagnose` lists (mistake, wrong_result) pairs computed by the oracle: when the learner's
    values match one of the wrong results, the message names that mistake. Otherwise
    grader.checks.diagnose analyses how the values differ (a ratio, an offset along an axis, a
    transpose, a shift, an axis reduced...): a replay that reproduces them is named, anything else
    is told as observed, and `hint` (if given) follows. `sizes` names counts that are not axes of
    the result ({"the batch size N": n}) so that a ratio of N is recognised.
    """
    actual = plain(actual, name)  # exact built-in types: no hook of the learner's answers for them
    got, want = to_numpy(actual), to_numpy(expected)
    diagnose = list(diagnose)
    if got.shape != want.shape:
        head = f"{name} has shape {got.shape}, expected {want.shape}."
        mistake = _diagnosis(got, diagnose, rtol, atol)   # a named mistake of that very shape
        if mistake:
            raise Feedback(f"{head} Likely mistake: {mistake}.")
        finding = shape_finding(got.shape, want.shape, got, want, rtol=rtol, atol=atol)
        raise Feedback(head + (" " + _finding(finding) if finding else "")
                       + (f"\nHint: {hint}" if hint and not (finding and finding.named) else ""))
    with _errstate(invalid="ignore", over="ignore"):
        close = _isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
    lines = [_disagreement(got, want, close, name, max_entries)]
    mistake = _diagnosis(got, diagnose, rtol, atol)
    finding = None if mistake else value_finding(got, want, rtol=rtol, atol=atol, sizes=sizes)
    if mistake:
        lines.append(f"Likely mistake: {mistake}.")
    elif finding:
        lines.append(_finding(finding))
    if hint and not mistake and not (finding and finding.named):
        lines.append(f"Hint: {hint}")
    raise Feedback("\n".join(lines))


def _disagreement(got: np.ndarray, want: np.ndarray, close: np.ndarray, name: str, limit: int) -> str:
    if got.ndim == 0:
        return f"{name} is {_num(got)}, expected {_num(want)} (off by {_num(_abs(got - want))})."
    bad = _argwhere(~close)
    total = got.size
    head = f"{name}: {len(bad)} of {total} entries disagree"
    if not bool(_isfinite(got).all()):
        head += " (some are nan or inf: an overflow, a log of 0, or a division by 0?)"
    rows = []
    for index in bad[:limit]:
        i = tuple(int(k) for k in index)
        g, w = got[i], want[i]
        rows.append(f"  at {list(i) if len(i) > 1 else i[0]}: got {_num(g)}, expected {_num(w)}"
                    f" (off by {_num(abs(g - w))})")
    if len(bad) > limit:
        rows.append(f"  ... and {len(bad) - limit} more")
    return head + ":\n" + "\n".join(rows)


def _diagnosis(got: np.ndarray, diagnose: Iterable[Diagnosis], rtol: float, atol: float) -> str | None:
    """Every named mistake whose result matches `got` (on small inputs two can coincide:
    averaging over N = 2 samples is also halving), most likely first."""
    matches: list[str] = []
    for mistake, wrong in diagnose:
        try:
            candidate = to_numpy(wrong)
        except (TypeError, ValueError):
            continue
        if candidate.shape != got.shape:
            continue
        with _errstate(invalid="ignore", over="ignore"):
            if bool(_isclose(got, candidate, rtol=max(rtol, 1e-4), atol=max(atol, 1e-6),
                             equal_nan=True).all()) and mistake not in matches:
                matches.append(mistake)
    return "; or else: ".join(matches) or None


def _num(x: Any) -> str:
    value = float(x)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    return f"{value:.6g}"


def assert_unchanged(before: Any, after: Any, name: str, *, mistake: str) -> None:
    """An input the function must not modify (compare with a copy taken before the call)."""
    before, after = plain(before, name), plain(after, name)
    got, want = to_numpy(after), to_numpy(before)
    if got.shape != want.shape or not bool((got == want).all()):
        raise Feedback(f"{name} was modified by your function. Likely mistake: {mistake}.")


def learner_call(fn: Callable[[], Any], what: str, hint: str) -> Any:
    """Run a call into the learner's code; an exception other than NotImplementedError (the stub's)
    becomes feedback that names the call, reads the error (grader/explain.py) and gives `hint`:
    a hint, not a diagnosis, since any mistake can raise."""
    try:
        return fn()
    except (NotImplementedError, Feedback):
        raise
    except Exception as exc:  # noqa: BLE001 - the learner's error is the feedback
        reading = explain(str(exc))
        raise Feedback(f"{what} raised {type(exc).__name__}: {exc}"
                       + (f"\nReading it: {reading}" if reading else "") + f"\nHint: {hint}.") from None


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any], name: str,
                  *, why: str) -> BaseException:
    """fn() must raise exc_type; `why` explains what should have caused it."""
    try:
        fn()
    except exc_type as exc:
        return exc
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the wrong exception is feedback too
        raise Feedback(f"{name} raised {type(exc).__name__}: {exc}; expected {exc_type.__name__} ({why}).")
    raise Feedback(f"{name} did not raise {exc_type.__name__} ({why}).")


# --- loss curves for the report ----------------------------------------------------------------

_curves: list = []  # what the running check recorded; the plugin takes it when the check ends


def record_curve(label: str, values: Any, *, _sink: list = _curves) -> None:
    """Attach a loss curve to the running check, for the html and md reports.

    `values` (a list, tuple, array or tensor of losses, one per step or epoch) may come straight
    from the learner's code: it is thinned to MAX_CURVE_POINTS, entries that are not finite
    numbers are left out, and nothing here ever fails the check. Record "yours" first, then
    "reference" where the oracle's curve is at hand.
    """
    if len(_sink) >= MAX_CURVES:
        return
    try:
        points = _curve_values(values)
    except Exception:  # noqa: BLE001 - a curve is decoration; a bad one is just not drawn
        return
    if points:
        _sink.append((str(label), tuple(points)))


def _curve_values(values: Any) -> list[float]:
    if is_tensor(values) or isinstance(values, _ndarray):
        values = list(to_numpy(values).reshape(-1))
    elif not isinstance(values, (list, tuple)):
        return []
    points = []
    for value in thin(list(values), MAX_CURVE_POINTS * 4):  # bound the work on a huge list
        try:
            number = float(to_numpy(value)) if is_tensor(value) else float(value)
        except Exception:  # noqa: BLE001 - not a number: left out
            continue
        if math.isfinite(number):
            points.append(number)
    return thin(points, MAX_CURVE_POINTS)


def take_curves(*, _sink: list = _curves) -> list:
    """The curves recorded since the last call (the plugin calls it around every check).

    The list is bound as a default, so a submission that rebinds `helpers._curves` changes
    nothing; what it may append is filtered by results.clean_curves."""
    taken = list(_sink)
    _sink.clear()
    return taken
