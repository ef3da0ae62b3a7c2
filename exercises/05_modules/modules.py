"""Writing your own nn.Modules and an autograd Function.

A PyTorch model is a tree of `nn.Module`s. A module keeps its learnable tensors as
`nn.Parameter`s, assigned as attributes in `__init__`: assigning an `nn.Parameter` to `self.name`
*registers* it, so it shows up in `model.parameters()` (what an optimizer updates), in
`model.state_dict()` (what gets saved and loaded) and moves with `model.to(device)`. A plain
tensor assigned the same way is invisible to all three. The computation goes in `forward`; you
call the module itself, `layer(x)`, which runs `forward` (plus any hooks).

A fully connected layer computes, for a batch x of shape (N, in_features),

    y = x @ weight.T + bias            weight: (out_features, in_features), bias: (out_features,)

so y has shape (N, out_features). The weight is stored as (out, in), the same layout as
`nn.Linear`, so a state_dict saved from one loads into the other. Initialise like `nn.Linear`:
every entry uniform in [-k, k] with k = 1 / sqrt(in_features).
Worked example: weight = [[1, 2], [3, 4], [5, 6]] (3 x 2), bias = [0, 0, 1], x = [[1, 1]]
gives y = [[3, 7, 12]].

An MLP stacks layers: `MLP([2, 8, 8, 1])` is Linear(2, 8), ReLU, Linear(8, 8), ReLU, Linear(8, 1).
There is no ReLU after the last Linear: the output is a raw score (a logit), free to be negative.

Autograd knows the derivative of every built-in operation. To add your own, subclass
`torch.autograd.Function` with two static methods: `forward(ctx, x)` computes the output (history
is not recorded inside it) and saves what the backward needs with `ctx.save_for_backward(...)`;
`backward(ctx, grad_output)` receives dL/d(output) and returns dL/d(input) by the chain rule.
For y = x**2: dL/dx = dL/dy * dy/dx = grad_output * 2x. Call it through `Square.apply(x)`.
Worked example: x = [1., -2., 3.] gives y = [1., 4., 9.]; with grad_output = [1., 1., 1.] the
backward returns [2., -4., 6.].
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
        # TODO: register self.weight, shape (out_features, in_features), and self.bias, shape
        #       (out_features,), as nn.Parameter, each uniform in [-k, k] with
        #       k = 1 / math.sqrt(in_features)   (hint: torch.empty(...).uniform_(-k, k)).
        raise NotImplementedError("Linear.__init__: create weight and bias as nn.Parameter")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: return x @ weight.T + bias
        raise NotImplementedError("Linear.forward")


class MLP(nn.Module):
    """Linear, ReLU, Linear, ReLU, ..., Linear: sizes[i] -> sizes[i + 1] for each layer."""

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        # TODO: one Linear(sizes[i], sizes[i + 1]) per consecutive pair of sizes, a ReLU after
        #       every Linear except the last; keep them in an nn.Sequential (or nn.ModuleList) so
        #       that they are registered.
        raise NotImplementedError("MLP.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, sizes[0]) -> (N, sizes[-1])."""
        # TODO: apply the layers in order.
        raise NotImplementedError("MLP.forward")


class Square(torch.autograd.Function):
    """y = x**2 elementwise, with a hand-written backward: dL/dx = grad_output * 2x."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        # TODO: save x for the backward (ctx.save_for_backward) and return x squared.
        raise NotImplementedError("Square.forward")

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        # TODO: read x back from ctx.saved_tensors and return dL/dx by the chain rule.
        raise NotImplementedError("Square.backward")


def square(x: torch.Tensor) -> torch.Tensor:
    """x**2 through the custom autograd Function (same shape as x)."""
    return Square.apply(x)
