"""A pretend accelerator for the device checks on a machine without one.

On a GPU, a batch the loader hands over lives in host memory; the model's weights live on the
device; an operation that mixes the two fails with "expected all tensors to be on the same
device". Without a GPU every tensor is on the CPU and nothing fails, so these checks replay the
same rules on the CPU:

- the checks pass the learner `SIM_DEVICE`, torch.device("cpu", 0): a real device that compares
  unequal to torch.device("cpu"), so `x.to(device)` (the device) and `x.cpu()` / `x.to("cpu")`
  (the host) can be told apart;
- batches arrive as `OnHost` tensors (a marker subclass); `.to(device)`, `.cuda()`, a factory
  called with device=device give ordinary tensors, which stand for device memory, like the
  model's weights; `.cpu()`, `.to("cpu")`, a factory without a device give `OnHost` tensors;
- `Simulated` (a TorchFunctionMode, active only while the learner's function runs) records every
  operation that mixes a host tensor of one or more dimensions with a device tensor, and every
  `.numpy()` of a device tensor: exactly what fails on a GPU. A host scalar (0-d) may meet device
  tensors, as on a GPU. `x.device` of a device tensor reads SIM_DEVICE, so code that asks the
  model where it lives (`next(model.parameters()).device`) works as it would on a GPU.

The checks that run on a real GPU (marked requires("cuda")) need none of this; `same_device_error`
turns the error a GPU raises into the same feedback.
"""
from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode

from grader.checks.helpers import Feedback

# Bound at import, before the submission is loaded (it may reassign module attributes).
_Tensor = torch.Tensor
_device = torch.device
_as_subclass = torch.Tensor.as_subclass
_DisableSubclass = torch._C.DisableTorchFunctionSubclass
_to, _cpu, _cuda, _numpy = torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.cuda, torch.Tensor.numpy
_copy_ = torch.Tensor.copy_
_device_property = torch.Tensor.device
_FACTORIES = frozenset([torch.tensor, torch.as_tensor, torch.zeros, torch.ones, torch.empty, torch.full,
                        torch.arange, torch.linspace, torch.eye, torch.rand, torch.randn, torch.randint])
_LIKE = frozenset([torch.zeros_like, torch.ones_like, torch.empty_like, torch.full_like])

SIM_DEVICE = _device("cpu", 0)
_CROSS_DEVICE = frozenset([_copy_])   # copy_ between devices is allowed on a GPU


class OnHost(torch.Tensor):
    """A tensor in host memory (a batch as the loader hands it over, or a result moved back)."""


def on_host(t):
    with _DisableSubclass():
        return _as_subclass(t, OnHost)


def _on_device(t):
    with _DisableSubclass():
        return _as_subclass(t, _Tensor)


def _tensors(obj):
    if isinstance(obj, _Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def _side_of_device(value) -> str | None:
    """'host' or 'device' for a .to(...) / device=... argument; None if it names no device."""
    if isinstance(value, _Tensor):
        return "host" if isinstance(value, OnHost) else "device"
    if isinstance(value, (str, _device)):
        try:
            target = _device(value)
        except (RuntimeError, TypeError, ValueError):
            return None
        return "host" if target.type == "cpu" and target.index is None else "device"
    return None


def _to_target(args, kwargs) -> str | None:
    if "device" in kwargs:
        return _side_of_device(kwargs["device"])
    for arg in args[1:]:
        side = _side_of_device(arg)
        if side is not None:
            return side
    return None


def _placed(out, side: str):
    if not isinstance(out, _Tensor):
        return out
    return on_host(out) if side == "host" else _on_device(out)


class Simulated(TorchFunctionMode):
    """Records what would fail on a GPU while the learner's code runs (see the module docstring)."""

    def __init__(self):
        super().__init__()
        self.mixed: list[str] = []
        self.numpy_on_device = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__self__", None) is _device_property:      # x.device
            if args and isinstance(args[0], _Tensor) and not isinstance(args[0], OnHost):
                return SIM_DEVICE
            return func(*args, **kwargs)
        if func is _cpu:
            return on_host(func(*args, **kwargs))
        if func is _cuda:                  # no CUDA here: stand in for the move
            return _on_device(args[0])
        if func is _to:
            side = _to_target(args, kwargs)
            if side == "device" and "device" not in kwargs:
                # Move for real to the CPU (keeping dtype and other options) in place of the device.
                args = (args[0],) + tuple(SIM_DEVICE if _side_of_device(a) == "device"
                                          and not isinstance(a, _Tensor) else a for a in args[1:])
            elif side == "device":
                kwargs = {**kwargs, "device": SIM_DEVICE}
            out = func(*args, **kwargs)
            return out if side is None else _placed(out, side)
        if func is _numpy and args and isinstance(args[0], _Tensor) and not isinstance(args[0], OnHost):
            self.numpy_on_device = True
        if func in _FACTORIES or func in _LIKE:
            side = _side_of_device(kwargs["device"]) if "device" in kwargs else None
            if side == "device":
                kwargs = {**kwargs, "device": SIM_DEVICE}
            out = func(*args, **kwargs)
            if side is None and func in _FACTORIES and not any(_tensors(args)):
                side = "host"                  # torch.zeros(...) without a device: host memory
            return out if side is None else _placed(out, side)
        if func not in _CROSS_DEVICE:
            found = list(_tensors(args)) + list(_tensors(kwargs))
            host = [t for t in found if isinstance(t, OnHost)]
            if any(t.dim() > 0 for t in host) and len(host) < len(found):
                self.mixed.append(getattr(func, "__name__", str(func)))
        return func(*args, **kwargs)

    def verdict(self, what: str) -> None:
        """Feedback for what would have failed on a GPU, if anything."""
        if self.mixed:
            ops = ", ".join(sorted(set(self.mixed))[:4])
            raise Feedback(
                f"{what} used a batch that was never moved to the device: a tensor still in host "
                f"memory met the model's weights or its outputs in {ops}. On a GPU this fails with "
                "'expected all tensors to be on the same device'. Likely mistake: the batch is not "
                "moved to device; move inputs and targets with .to(device) before using them "
                "(or bring the predictions back with .cpu() before comparing them with targets "
                "that stayed on the host).")
        if self.numpy_on_device:
            raise Feedback(f"{what} called .numpy() on a tensor on the device; on a GPU this fails "
                           "('can't convert cuda tensor to numpy'). Bring it back first: "
                           "tensor.cpu().numpy(), or use .item() / .tolist().")


def same_device_error(exc: BaseException, what: str) -> Feedback | None:
    """The feedback for an error a real GPU raised when host and device tensors met, else None."""
    text = str(exc)
    low = text.lower()
    # "Expected all tensors to be on the same device", "Input type (torch.FloatTensor) and weight
    # type (torch.cuda.FloatTensor) should be the same", "can't convert cuda:0 device type tensor
    # to numpy": the wordings differ between operations and torch versions.
    if isinstance(exc, (RuntimeError, TypeError)) and ("same device" in low or "cuda" in low and any(
            word in low for word in ("cpu", "numpy", "floattensor", "should be the same", "device type"))):
        return Feedback(f"{what} failed on a GPU with {type(exc).__name__}: {text.splitlines()[0]} "
                        "Likely mistake: the batch is not moved to device; move inputs and targets "
                        "with .to(device) before using them, and bring results back with .cpu() "
                        "before comparing them with host tensors.")
    return None
