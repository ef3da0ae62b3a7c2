"""A learner's result as exact built-in values, before any comparison looks at it.

A result can be built to agree with anything: a list whose `__eq__` is always true, a Tensor
subclass whose `__torch_function__` hands back the expected value, an object that fakes
`__class__` and answers `__array__` with the expected value. `plain` copies a result into values
whose types are exactly the built-in ones (`type(x) is ...`, never `isinstance`, which trusts a
faked `__class__`), so that the comparisons that follow run only the grader's code:

- tensors (and Parameters and Tensor subclasses) become a detached copy of type torch.Tensor,
  made with torch functions and torch dispatch disabled, so neither a subclass's hooks nor a mode
  the submission left on the stack can answer for them;
- NumPy arrays (exactly np.ndarray, with a numeric, bool or text dtype) and NumPy scalars are
  copied; lists, tuples, dicts and torch.Size are copied recursively;
- bool, int, float, complex, str, bytes and None are kept (their types are checked exactly).

Anything else is refused with a message for the learner (`PlainError`, a check failure).
Everything used here is bound at import, before a submission can patch torch or numpy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_np_array = np.array
_ndarray = np.ndarray
_NUMPY_SCALARS = frozenset(t for t in np.sctypeDict.values() if t is not np.object_ and t is not np.void)
_ARRAY_KINDS = frozenset("biufcUS")  # no object or structured dtypes: their entries run code
_ATOMS = frozenset({bool, int, float, complex, str, bytes, type(None)})
_MAX_DEPTH = 20

try:  # torch is optional, and not even imported while grading a NumPy-only exercise
    if __import__("os").environ.get("KATA_WITHOUT_TORCH") == "1":
        raise ImportError
    import torch as _torch

    _Tensor = _torch.Tensor
    _Parameter = _torch.nn.Parameter
    _Size = _torch.Size
    _dtype = _torch.dtype
    _detach = _torch.Tensor.detach
    _clone = _torch.Tensor.clone
    _as_subclass = _torch.Tensor.as_subclass
    _no_torch_function = _torch._C.DisableTorchFunction
    _no_torch_dispatch = _torch._C._DisableTorchDispatch
    _issubclass = issubclass
except ImportError:  # pragma: no cover - torch is a dependency of the package
    _torch = None


class PlainError(AssertionError):
    """The result is of a type the checks do not compare. Like helpers.Feedback, an AssertionError
    whose message is shown to the learner as it is (helpers imports this module, not the reverse)."""


def plain(value: Any, name: str = "your code", expected: str = "a tensor, an array or a number") -> Any:
    """`value` copied into exact built-in types; PlainError names what was returned instead."""
    return _plain(value, name, expected, 0)


def graph_tensor(value: Any, name: str = "your code") -> Any:
    """A tensor result as exactly torch.Tensor, still attached to its autograd graph (for checks
    that differentiate it); what is not a tensor is returned as it is, for check_array to name."""
    if _torch is None or not _issubclass(type(value), _Tensor) or type(value) is _Tensor:
        return value
    try:
        with _no_torch_function(), _no_torch_dispatch():
            alias = _as_subclass(value, _Tensor)
    except Exception:  # noqa: BLE001 - a subclass that cannot be viewed as a plain tensor
        alias = None
    if type(alias) is not _Tensor:
        raise PlainError(f"{name} returned a {_type_name(type(value))} (a tensor subclass whose values"
                         " cannot be read) where a torch.Tensor was expected; return a plain torch.Tensor.")
    return alias


def _plain(value: Any, name: str, expected: str, depth: int) -> Any:
    kind = type(value)  # type() cannot be faked, unlike value.__class__
    if kind in _ATOMS:
        return value
    if depth > _MAX_DEPTH:
        raise PlainError(f"{name} is nested more than {_MAX_DEPTH} levels deep; expected {expected}.")
    if _torch is not None and _issubclass(kind, _Tensor):
        return _plain_tensor(value, name, expected)
    if kind is _ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            raise PlainError(f"{name} returned an array of dtype {value.dtype} where {expected} was"
                             " expected; use a numeric dtype (e.g. float64).")
        return _np_array(value, copy=True)
    if kind in _NUMPY_SCALARS:
        return _np_array(value, copy=True)[()]
    if kind is list:
        return [_plain(v, name, expected, depth + 1) for v in value]
    if kind is tuple or (_torch is not None and kind is _Size):
        return tuple(_plain(v, name, expected, depth + 1) for v in value)
    if kind is dict:
        return {_plain(k, name, expected, depth + 1): _plain(v, name, expected, depth + 1)
                for k, v in value.items()}
    if _torch is not None and kind is _dtype:
        return value
    raise PlainError(f"{name} returned a {_remote_kind(value) or _type_name(kind)} where {expected} was expected.")


def _remote_kind(value: Any) -> str | None:
    """The learner's own type name, for a handle to an object of the learner's process."""
    from grader.judge import is_remote
    return object.__getattribute__(value, "_kata_kind") or "object" if is_remote(value) else None


def _plain_tensor(value: Any, name: str, expected: str):
    """A detached torch.Tensor copy, made by the base class's own methods with every hook off."""
    try:
        with _no_torch_function(), _no_torch_dispatch():
            copy = _clone(_detach(value))
    except Exception:  # noqa: BLE001 - e.g. a wrapper subclass without storage of its own
        copy = None
    if type(copy) is not _Tensor:
        raise PlainError(f"{name} returned a {_type_name(type(value))} (a tensor subclass whose values"
                         f" cannot be read) where {expected} was expected; return a plain torch.Tensor.")
    return copy


def _type_name(kind: type) -> str:
    module = getattr(kind, "__module__", "") or ""
    qualname = getattr(kind, "__qualname__", None) or getattr(kind, "__name__", "object")
    if not isinstance(module, str) or not isinstance(qualname, str):
        return "value of an unknown type"
    return qualname if module in ("builtins", "__main__") or module.startswith("kata_submission") \
        else f"{module}.{qualname}"
