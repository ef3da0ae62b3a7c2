"""Mutant: predict_without_history runs model(x) with history and detaches the result afterwards,
so the whole graph is built (and its memory spent) before being thrown away.

expect: detach
"""
from __future__ import annotations

from typing import Callable

import torch


def derivative(f: Callable[[torch.Tensor], torch.Tensor], x: float) -> float:
    """f'(x) by autograd; f maps a 0-dim float tensor to a 0-dim tensor.

    >>> derivative(lambda t: t**2 + 3*t + 4, 2.0)
    7.0
    """
    t = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    f(t).backward()
    return t.grad.item()


def gradient(f: Callable[..., torch.Tensor], *xs: float) -> list[float]:
    """[df/dx1, ..., df/dxn] of the scalar f(x1, ..., xn) at the given point."""
    ts = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    f(*ts).backward()
    return [t.grad.item() for t in ts]


def predict_without_history(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """model(x) with no autograd history; the model's parameters and mode are left as they were."""
    return model(x).detach()
