"""Mutant: MLP stacks the Linear layers with no ReLU in between (a single linear map).

expect: no ReLU between
"""
from __future__ import annotations

import math

import torch
from torch import nn


class Linear(nn.Module):
    """y = x @ weight.T + bias, for x of shape (..., in_features) -> (..., out_features)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        k = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-k, k))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-k, k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T + self.bias


class MLP(nn.Module):
    """Linear, ReLU, Linear, ReLU, ..., Linear: sizes[i] -> sizes[i + 1] for each layer."""

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, sizes[0]) -> (N, sizes[-1])."""
        return self.layers(x)


class Square(torch.autograd.Function):
    """y = x**2 elementwise, with a hand-written backward: dL/dx = grad_output * 2x."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x


def square(x: torch.Tensor) -> torch.Tensor:
    """x**2 through the custom autograd Function (same shape as x)."""
    return Square.apply(x)
