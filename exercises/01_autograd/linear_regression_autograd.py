"""Linear regression with autograd and a hand-written update.

We fit a straight line `y ≈ w·x + b` to N points by gradient descent. The data are two tensors
`X` and `Y` of shape (N, 1); the parameters are two 0-dim tensors `w` and `b`. The loss is the
mean squared error over all N points:

    L(w, b) = mean((w·X + b - Y)²)

Autograd computes the gradients for us. Make `w` and `b` leaf tensors that record history
(`requires_grad=True`), compute `L`, call `L.backward()`, and PyTorch fills `w.grad` = dL/dw and
`b.grad` = dL/db. One epoch of gradient descent is then:

    1. loss = mean((w * X + b - Y) ** 2)         record loss.item() (before the update)
    2. loss.backward()                            fills w.grad and b.grad
    3. with torch.no_grad():                      the update itself must not be recorded
           w -= lr * w.grad;  b -= lr * b.grad    in place: w stays the same leaf tensor
           w.grad.zero_();    b.grad.zero_()      backward() ADDS to .grad, so reset it

Two details matter. The update happens under `torch.no_grad()` and in place (`-=`): an in-place
change of a leaf that requires grad is an error while history is recorded, and `w = w - ...`
would make a new tensor that is no longer the leaf `backward()` fills. And `.grad` accumulates:
without zeroing, each epoch would step along the sum of all gradients so far.

Worked example: X = [[1], [2], [3], [4]], Y = [[3], [5], [7], [9]] (so Y = 2·X + 1). From
w0 = 0.5, b0 = 0 the errors are [-2.5, -4, -5.5, -7], the first loss is
mean(6.25, 16, 30.25, 49) = 101.5/4 = 25.375, dL/dw = -27.5 and dL/db = -9.5, so with lr = 0.01
the first step gives w = 0.775, b = 0.095. After 1000 epochs w ≈ 2 and b ≈ 1 (from
w0 = b0 = 0 as well).
"""
from __future__ import annotations

import torch


def fit(X: torch.Tensor, Y: torch.Tensor, w0: float, b0: float,
        lr: float = 0.01, epochs: int = 1000) -> tuple[float, float, list[float]]:
    """Fit Y ≈ w·X + b by gradient descent with autograd, starting from w0, b0.

    X, Y: tensors of shape (N, 1). Returns the final w and b as Python floats and the list of
    `epochs` losses (Python floats), each measured before that epoch's update.
    """
    # TODO: make w and b 0-dim leaf tensors that record history, starting at w0 and b0
    #       (torch.tensor(..., dtype=X.dtype, requires_grad=True)), and an empty list of losses.
    # TODO: for each epoch: the mean squared error of w * X + b against Y; record loss.item();
    #       loss.backward(); then under torch.no_grad(): w -= lr * w.grad, b -= lr * b.grad,
    #       and zero both gradients.
    # TODO: return w.item(), b.item(), losses
    raise NotImplementedError("fit: write the gradient-descent loop")
