"""Alternative: one parameter vector theta = (w, b) and a design matrix [X, 1]."""
from __future__ import annotations

import torch


def fit(X: torch.Tensor, Y: torch.Tensor, w0: float, b0: float,
        lr: float = 0.01, epochs: int = 1000) -> tuple[float, float, list[float]]:
    design = torch.cat([X, torch.ones_like(X)], dim=1)          # (N, 2)
    theta = torch.tensor([[w0], [b0]], dtype=X.dtype, requires_grad=True)   # (2, 1)
    losses = []
    for epoch in range(epochs):
        if theta.grad is not None:
            theta.grad.zero_()
        loss = torch.nn.functional.mse_loss(design @ theta, Y)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            theta.sub_(lr * theta.grad)
    return theta[0, 0].item(), theta[1, 0].item(), losses
