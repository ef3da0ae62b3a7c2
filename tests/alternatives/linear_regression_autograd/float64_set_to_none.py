"""Alternative: float64 parameters, updates through .data, gradients reset to None."""
from __future__ import annotations

import torch


def fit(X: torch.Tensor, Y: torch.Tensor, w0: float, b0: float,
        lr: float = 0.01, epochs: int = 1000) -> tuple[float, float, list[float]]:
    X64, Y64 = X.double(), Y.double()
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(epochs):
        residual = w * X64 + b - Y64
        loss = torch.mean(residual * residual)
        losses.append(float(loss))
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        w.grad = None
        b.grad = None
    return float(w), float(b), losses
