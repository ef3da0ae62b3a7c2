"""Mutant: derivative by central finite differences instead of autograd.

expect: finite differences
"""
from __future__ import annotations

from typing import Callable

import torch


def derivative(f: Callable[[torch.Tensor], torch.Tensor], x: float) -> float:
    """f'(x) by autograd; f maps a 0-dim float tensor to a 0-dim tensor.

    >>> derivative(lambda t: t**2 + 3*t + 4, 2.0)
    7.0
    """
    h = 1e-6
    t = torch.tensor(float(x), dtype=torch.float64)
    return ((f(t + h) - f(t - h)) / (2 * h)).item()


def gradient(f: Callable[..., torch.Tensor], *xs: float) -> list[float]:
    """[df/dx1, ..., df/dxn] of the scalar f(x1, ..., xn) at the given point."""
    ts = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    f(*ts).backward()
    return [t.grad.item() for t in ts]


def predict_without_history(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """model(x) with no autograd history; the model's parameters and mode are left as they were."""
    with torch.no_grad():
        return model(x)
