"""Mutant: the loss is the sum of the squared errors, not their mean.

expect: sum of the squared errors
"""
from __future__ import annotations

import torch


def fit(X: torch.Tensor, Y: torch.Tensor, w0: float, b0: float,
        lr: float = 0.01, epochs: int = 1000) -> tuple[float, float, list[float]]:
    """Fit Y ≈ w·X + b by gradient descent with autograd, starting from w0, b0.

    X, Y: tensors of shape (N, 1). Returns the final w and b as Python floats and the list of
    `epochs` losses (Python floats), each measured before that epoch's update.
    """
    w = torch.tensor(float(w0), dtype=X.dtype, requires_grad=True)
    b = torch.tensor(float(b0), dtype=X.dtype, requires_grad=True)
    losses: list[float] = []
    for _ in range(epochs):
        loss = ((w * X + b - Y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), losses
