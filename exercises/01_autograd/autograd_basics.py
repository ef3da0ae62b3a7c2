"""Autograd basics: derivatives, gradients, and predictions without history.

torch records every operation on a tensor created with `requires_grad=True`. Calling
`.backward()` on a 0-dim result walks that record backwards (the chain rule) and leaves
d result / d input in each input's `.grad`.

    x = torch.tensor(2.0, requires_grad=True)
    y = x**2 + 3*x + 4          # y = 14
    y.backward()
    x.grad                      # tensor(7.) = 2*x + 3 at x = 2

With several inputs, one `.backward()` fills every input's `.grad` with its partial derivative.

At prediction time no gradient is needed; recording the graph only costs memory. Under
`torch.no_grad()` nothing is recorded: the result has `requires_grad == False` and no `grad_fn`.
That is not the same as `model.eval()`, which switches layers such as Dropout and BatchNorm to
their inference behaviour; a prediction helper should leave the model's mode alone.
"""
from __future__ import annotations

from typing import Callable

import torch


def derivative(f: Callable[[torch.Tensor], torch.Tensor], x: float) -> float:
    """f'(x) by autograd; f maps a 0-dim float tensor to a 0-dim tensor.

    >>> derivative(lambda t: t**2 + 3*t + 4, 2.0)
    7.0
    """
    # TODO: make x a tensor that records history, apply f, call backward, return the gradient
    raise NotImplementedError("derivative")


def gradient(f: Callable[..., torch.Tensor], *xs: float) -> list[float]:
    """[df/dx1, ..., df/dxn] of the scalar f(x1, ..., xn) at the given point."""
    # TODO: one leaf tensor per input, one backward() call, one .grad per input
    raise NotImplementedError("gradient")


def predict_without_history(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """model(x) with no autograd history; the model's parameters and mode are left as they were."""
    # TODO: call the model without recording history (and without touching its mode)
    raise NotImplementedError("predict_without_history")
