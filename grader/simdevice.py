"""A pretend accelerator, replayed on the CPU in the learner's process (the device checks).

On a GPU, a batch the loader hands over lives in host memory; the model's weights live on the
device; an operation that mixes the two fails with "expected all tensors to be on the same
device". Without a GPU every tensor is on the CPU and nothing fails, so the device checks replay
the same rules on the CPU, around the learner's call, in the learner's process (a check's snippet
finds this module as `simdevice`):

- the learner is passed `SIM_DEVICE`, torch.device("cpu", 0): a real device that compares
  unequal to torch.device("cpu"), so `x.to(device)` (the device) and `x.cpu()` / `x.to("cpu")`
  (the host) can be told apart;
- batches arrive as `OnHost` tensors (a marker subclass, `HostBatches` hands them over);
  `.to(device)`, `.cuda()`, a factory called with device=device give ordinary tensors, which
  stand for device memory, like the model's weights; `.cpu()`, `.to("cpu")`, a factory without a
  device give `OnHost` tensors;
- `Simulated` (a TorchFunctionMode, active only while the learner's function runs) records every
  operation that mixes a host tensor of one or more dimensions with a device tensor, and every
  `.numpy()` of a device tensor: exactly what fails on a GPU. A host scalar (0-d) may meet device
  tensors, as on a GPU. `x.device` of a device tensor reads SIM_DEVICE, so code that asks the
  model where it lives (`next(model.parameters()).device`) works as it would on a GPU.

What it records comes back to the judge as plain data (`Simulated.facts()`), and the judge's
grader/checks/devices.py turns it into feedback. Like every result from the learner's process, it
decides only what the learner's own functions did.
"""
from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode

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

    def facts(self) -> dict:
        """What would have failed on a GPU: the operations that mixed host and device, and whether
        a device tensor met .numpy()."""
        return {"mixed": sorted(set(self.mixed)), "numpy_on_device": self.numpy_on_device}


class HostBatches:
    """Batches as a DataLoader hands them over, in host memory: iteration, len() and .dataset."""

    def __init__(self, inputs, targets, batch_size: int):
        from torch.utils.data import TensorDataset
        self.dataset = TensorDataset(inputs, targets)
        self.batches = [(on_host(x), on_host(y))
                        for x, y in zip(inputs.split(batch_size), targets.split(batch_size))]

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)
