"""Alternative: einsum in Linear, nn.init for the start values, an nn.ModuleList with
torch.relu applied in forward, and Square keeping x on ctx and building the gradient with mul."""
from __future__ import annotations

import math

import torch
from torch import nn


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        nn.init.uniform_(self.bias, -1 / math.sqrt(in_features), 1 / math.sqrt(in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("...i,oi->...o", x, self.weight) + self.bias


class MLP(nn.Module):
    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.linears = nn.ModuleList(Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, last = self.linears
        for layer in hidden:
            x = torch.relu(layer(x))
        return last(x)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x.detach()
        return x.pow(2)

    @staticmethod
    def backward(ctx, grad_output):
        return torch.mul(grad_output, 2.0 * ctx.x)


def square(x: torch.Tensor) -> torch.Tensor:
    return Square.apply(x)
